"""Integration tests: the local stack (`make dev`) started once per session, spoken to over real HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import boto3
import pytest

from devtools.stack import start_stack, stop_stack
from tests.integration import helpers

ROOT = Path(__file__).resolve().parents[2]
UV = str(Path(sys.executable).parent / "uv")  # installed into the dev venv by `make`


# Every test talks from 127.0.0.1, where on AWS each client has its own address: the tests that send
# wrong passwords on purpose (fuzzing, refusals) would hold back every later test as one guessing
# client. The backoff itself is proved in tests/unit/test_throttle.py with a controlled clock.
FAILURES_BEFORE_BACKOFF = "100000"


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    process, credentials = start_stack(
        tmp_path_factory.mktemp("stack"), "--failures-before-backoff", FAILURES_BEFORE_BACKOFF
    )
    yield credentials
    stop_stack(process)


def admin(stack: dict, *args: str) -> dict | list:
    """Runs cloudshare-admin against the test stack, as an operator would."""
    result = subprocess.run(
        [sys.executable, "-m", "cloudshare_admin", "--local-state", str(stack["state_dir"] / "stack.json"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={name: value for name, value in os.environ.items() if not name.startswith("AWS_")},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def curl(*args: str) -> tuple[int, str, str]:
    """Runs the real curl; returns (status, headers, body) of the last exchange."""
    result = subprocess.run(
        ["curl", "-sS", "-i", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    output, status = result.stdout.rsplit("\n", 1)
    headers, _, body = output.rpartition("\n\n")  # text mode turned CRLF into LF; last exchange wins
    return int(status), headers, body


def header(headers: str, name: str) -> str | None:
    """The value of the last `name:` header in curl -i output."""
    found = None
    for line in headers.splitlines():
        field, _, value = line.partition(":")
        if field.strip().lower() == name.lower():
            found = value.strip()
    return found


def install_alone(package: str, home: Path) -> Path:
    """`pip install ./<package>` into a fresh venv under home, as on a laptop that never ran `make`: the
    package is copied out of the checkout first (symlinks into the layer followed), so that nothing
    installed can find the repository beside it. Returns the venv's bin directory. The installer is uv's
    pip (the one `make` uses): the same build of the package from its pyproject.toml and the same resolution
    of its pins as pip's, from a warm cache, in seconds rather than the half minute of CPU pip takes."""
    venv.create(home / "venv", with_pip=False)
    source = home / package
    leftovers = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")  # of an earlier in-tree install
    shutil.copytree(ROOT / package, source, symlinks=False, ignore=leftovers)
    result = subprocess.run(
        [UV, "pip", "install", "-q", "--python", str(home / "venv" / "bin" / "python"), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=home,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return home / "venv" / "bin"


def laptop_env(home: Path) -> dict[str, str]:
    """A laptop's environment: its own home, no AWS or cloudshare settings, no path into the checkout."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CLOUDSHARE_", "AWS_", "PYTHON", "VIRTUAL_ENV"))
    }
    return env | {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "NO_COLOR": "1", "COLUMNS": "200"}


def installed_packages(bin_dir: Path) -> set[str]:
    listed = subprocess.run(
        [UV, "pip", "list", "--python", str(bin_dir / "python"), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {package["name"].lower().replace("_", "-") for package in json.loads(listed.stdout)}


def aws(stack: dict, service: str):
    """A client of the stack's own AWS (moto), to look at what the product stored."""
    state = json.loads((stack["state_dir"] / "stack.json").read_text())
    return boto3.client(
        service,
        endpoint_url=state["aws_endpoint"],
        region_name=state["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A headless Chromium for one test module (Debian's chromium and chromium-driver, never a download)."""
    if not (Path(helpers.CHROMIUM).exists() and Path(helpers.CHROMEDRIVER).exists()):
        pytest.fail("headless Chromium is needed: apt-get install -y chromium chromium-driver")
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never fetch a browser or driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = helpers.CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(helpers.CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    yield driver
    driver.quit()
