"""`pip install ./cli` on a machine that never ran `make`: the command alone, in a fresh venv, against
the local stack over real HTTP. pip resolves cli/requirements.txt from its (warm) cache and the index."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
import venv
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, admin

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv of its own, holding only the CLI and its pinned dependencies: its `cloudshare` command."""
    home = tmp_path_factory.mktemp("laptop")
    venv.create(home / "venv", with_pip=True)
    # Copied out of the checkout first: the installed command must not find the repo beside it.
    source = home / "cli"
    subprocess.run(["cp", "-r", str(ROOT / "cli"), str(source)], check=True)
    python = home / "venv" / "bin" / "python"
    result = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(source)],
                            capture_output=True, text=True, timeout=600, cwd=home)
    assert result.returncode == 0, result.stderr[-3000:]
    return home / "venv" / "bin" / "cloudshare"


def run(command: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    # A laptop's environment: no AWS or cloudshare settings, no PYTHONPATH into the checkout.
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("CLOUDSHARE_", "AWS_", "PYTHON", "VIRTUAL_ENV"))}
    env |= {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([str(command), *args], capture_output=True, text=True, cwd=home, env=env, timeout=120)


def test_given_a_fresh_venv_when_the_cli_is_pip_installed_then_it_runs_alone(installed, tmp_path):
    listed = subprocess.run([str(installed.parent / "python"), "-m", "pip", "list", "--format", "json"],
                            capture_output=True, text=True, check=True)
    names = {package["name"].lower() for package in json.loads(listed.stdout)}
    assert "cloudshare-cli" in names and not names & {"boto3", "botocore", "aws-lambda-powertools", "cloudshare"}
    help_text = run(installed, tmp_path, "--help")
    assert help_text.returncode == 0 and "upload" in help_text.stdout and "login" in help_text.stdout


def test_given_the_installed_cli_when_logging_in_and_uploading_then_the_item_is_shared(installed, stack, tmp_path):
    email = f"laptop-{uuid.uuid4().hex[:8]}@example.com"
    password = admin(stack, "create-user", email, "--plan", "free", "--generate-password")["password"]
    login = run(installed, tmp_path, "login", "--api-url", stack["api_url"], "--email", email, "--password", password)
    assert login.returncode == 0, login.stderr
    assert (tmp_path / ".config" / "cloudshare" / "config.json").exists()  # the laptop's own config, not the repo's
    note = tmp_path / "note.txt"
    note.write_text("from a laptop\n")
    uploaded = run(installed, tmp_path, "upload", str(note), "--json")
    assert uploaded.returncode == 0, uploaded.stderr
    item = json.loads(uploaded.stdout)
    assert item["upload_state"] == "ready" and item["share_url"].startswith(stack["api_url"] + "/")
    fetched = run(installed, tmp_path, "download", item["slug"], "--public", "-o", str(tmp_path / "copy.txt"))
    assert fetched.returncode == 0, fetched.stderr
    assert (tmp_path / "copy.txt").read_text() == "from a laptop\n"

