"""Integration tests: the local stack (`make dev`) started once per session, spoken to over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_stack(state_dir: Path) -> tuple[subprocess.Popen, dict]:
    api_port, aws_port = free_port(), free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    log = open(state_dir / "stack.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.stack", "--api-port", str(api_port), "--aws-port", str(aws_port),
         "--state-dir", str(state_dir)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    credentials_file = state_dir / "credentials.json"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"local stack exited early:\n{(state_dir / 'stack.log').read_text()}")
        if credentials_file.exists():
            try:
                credentials = json.loads(credentials_file.read_text())
                requests.get(f"{credentials['api_url']}/v3/account", timeout=2)
                return process, credentials | {"state_dir": state_dir}
            except (requests.ConnectionError, ValueError):
                pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"local stack did not answer in {STARTUP_SECONDS}s:\n{(state_dir / 'stack.log').read_text()}")


STOP_SECONDS = 60  # after thousands of requests on a loaded machine, 15 s was seen to be too short


def stop_stack(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    process, credentials = start_stack(tmp_path_factory.mktemp("stack"))
    yield credentials
    stop_stack(process)


def admin(stack: dict, *args: str) -> dict | list:
    """Runs cloudshare-admin against the test stack, as an operator would."""
    result = subprocess.run(
        [sys.executable, "-m", "devtools.admin", "--local-state", str(stack["state_dir"] / "stack.json"), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={name: value for name, value in os.environ.items() if not name.startswith("AWS_")},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def curl(*args: str) -> tuple[int, str, str]:
    """Runs the real curl; returns (status, headers, body) of the last exchange."""
    result = subprocess.run(
        ["curl", "-sS", "-i", "-w", "\n%{http_code}", *args],
        capture_output=True, text=True, timeout=60,
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
