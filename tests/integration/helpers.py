"""What the integration tests share: headless Chromium's helpers (the `browser` fixture is in conftest.py), the
seed's upload over HTTP, waiting on a condition, the dashboard's sign-in, and the `cloudshare` command run as a
user runs it."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_SECONDS = 20
HTTP_SECONDS = 30  # a first request wakes a worker: slow on a loaded machine


def png_bytes(width=640, height=360) -> bytes:
    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(output, "PNG")
    return output.getvalue()


def upload(account, name: str, data: bytes, content_type: str) -> dict:
    """The seed's three steps over HTTP: request a presigned POST, POST to S3, follow the redirect."""
    key = {"Authorization": f"Bearer {account['api_key']}", "Accept": "application/json"}
    ticket = requests.post(
        f"{account['api_url']}/v3/items", json={"name": name, "file_size": len(data)}, headers=key, timeout=HTTP_SECONDS
    ).json()
    posted = requests.post(
        ticket["url"],
        data={**ticket["s3"], "Content-Type": content_type},
        files={"file": (name, data, content_type)},
        allow_redirects=False,
        timeout=HTTP_SECONDS,
    )
    assert posted.status_code == 303
    item = requests.get(posted.headers["Location"], headers=key, timeout=HTTP_SECONDS).json()
    assert item["upload_state"] == "ready", item
    return item


def wait_for(condition, what: str, seconds: float = WAIT_SECONDS):
    """Polls `condition` until it gives a true value. An element that went stale while it was read (the page
    it was on was just replaced, as after a click that navigates) means: not yet, look again."""
    from selenium.common.exceptions import StaleElementReferenceException

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
        except StaleElementReferenceException:
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def element(driver, element_id: str):
    from selenium.webdriver.common.by import By

    return wait_for(lambda: (found := driver.find_elements(By.ID, element_id)) and found[0], f"#{element_id}")


def submit_password(driver, owner) -> None:
    """A fresh browser posts the sign-in form (what follows depends on the account's second factor)."""
    driver.delete_all_cookies()
    driver.get(f"{owner['api_url']}/login")
    element(driver, "email").send_keys(owner["email"])
    element(driver, "password").send_keys(owner["password"])
    element(driver, "sign-in").click()


def sign_in(driver, owner) -> None:
    submit_password(driver, owner)
    wait_for(lambda: driver.current_url.endswith("/dashboard"), "the dashboard after signing in")


def sign_in_with_requests(owner) -> requests.Session:
    """A second device: the same form, through another HTTP client."""
    session = requests.Session()
    form = session.get(f"{owner['api_url']}/login", timeout=HTTP_SECONDS).text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    signed = session.post(
        f"{owner['api_url']}/login",
        timeout=HTTP_SECONDS,
        data={"csrf": token, "email": owner["email"], "password": owner["password"]},
    )
    assert signed.url.endswith("/dashboard") and signed.status_code == 200
    return session


COMMAND = Path(sys.executable).with_name("cloudshare")


class Cli:
    """Runs `cloudshare` with its own (empty) config file and the given credentials in the environment."""

    def __init__(self, tmp_path: Path, env: dict[str, str]):
        self.cwd = tmp_path
        self.env = {name: value for name, value in os.environ.items() if not name.startswith(("CLOUDSHARE_", "AWS_"))}
        self.env |= {
            "CLOUDSHARE_CONFIG": str(tmp_path / "cloudshare-config.json"),
            "COLUMNS": "200",
            "NO_COLOR": "1",
        } | env

    def run(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(COMMAND), *args], input=input, capture_output=True, cwd=self.cwd, env=self.env, timeout=180
        )
        if check:
            assert result.returncode == 0, f"cloudshare {' '.join(args)} failed:\n{result.stderr.decode()}"
        return result

    def out(self, *args: str, input: bytes | None = None) -> str:
        return self.run(*args, input=input).stdout.decode().strip()

    def json(self, *args: str, input: bytes | None = None):
        return json.loads(self.out(*args, "--json", input=input))
