"""`pip install ./cli` on a machine that never ran `make`: the command alone, in a fresh venv, against
the local stack over real HTTP."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.integration.conftest import admin, install_alone, installed_packages, laptop_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The `cloudshare` command of a venv that holds only the CLI and its pinned dependencies."""
    return install_alone("cli", tmp_path_factory.mktemp("laptop")) / "cloudshare"


def run(command: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(command), *args], capture_output=True, text=True, cwd=home, env=laptop_env(home), timeout=120
    )


def test_given_a_fresh_venv_when_the_cli_is_pip_installed_then_it_runs_alone(installed, tmp_path):
    names = installed_packages(installed.parent)
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
