"""Multipart uploads against the local stack, over real HTTP: parts PUT to presigned S3 URLs, the CLI killed
mid-upload and run again, plan limits, a foreign user, the sweep."""

from __future__ import annotations

import hashlib
import json
import secrets
import signal
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from requests.auth import HTTPDigestAuth

from devtools.partgate import PartGate
from tests.integration.conftest import admin, aws
from tests.integration.helpers import COMMAND, Cli

pytestmark = pytest.mark.integration
MIB = 1024 * 1024
UPLOADS = "/api/v1/uploads"
JSON = {"Accept": "application/json"}


class Account:
    """A new account on its own plan, speaking with an API key or with HTTP Digest."""

    def __init__(self, stack, plan: str, *, digest: bool = False):
        self.api = stack["api_url"]
        self.email = f"parts-{uuid.uuid4().hex[:8]}@example.com"
        created = admin(stack, "create-user", self.email, "--plan", plan, "--generate-password")
        self.password = created["password"]
        self.session = requests.Session()
        self.session.headers.update(JSON)
        if digest:
            self.session.auth = HTTPDigestAuth(self.email, self.password)
        else:
            self.key = admin(stack, "create-key", self.email)["api_key"]
            self.session.headers["Authorization"] = f"Bearer {self.key}"

    def call(self, method: str, path: str, body: dict | None = None) -> requests.Response:
        return self.session.request(method, self.api + path, json=body, timeout=60)

    def start(self, name: str, size: int) -> dict:
        started = self.call("POST", UPLOADS, {"name": name, "file_size": size})
        assert started.status_code == 201, started.text
        return started.json()

    def storage_used(self) -> int:
        return self.call("GET", "/api/v1/account").json()["account"]["usage"]["storage_used"]


def send(account: Account, upload: dict, data: bytes, numbers: list[int], jobs: int = 4) -> list[dict]:
    """PUTs the parts to their presigned URLs, in parallel, as a client does; [{number, etag}]."""
    answer = account.call("POST", f"{UPLOADS}/{upload['upload_id']}/parts", {"numbers": numbers})
    assert answer.status_code == 200, answer.text
    urls = {part["number"]: part["url"] for part in answer.json()["parts"]}
    size = upload["part_size"]

    def put(number: int) -> dict:
        response = requests.put(urls[number], data=data[(number - 1) * size : number * size], timeout=120)
        assert response.status_code == 200, response.text
        return {"number": number, "etag": response.headers["ETag"]}

    with ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(put, numbers))


def downloaded(account: Account, slug: str) -> bytes:
    """The artifact's bytes as its owner downloads them (the API redirects to a presigned GET)."""
    artifact = account.call("GET", f"/api/v1/artifacts/{slug}").json()["artifact"]
    response = account.session.get(artifact["current_file_url"], timeout=120)
    assert response.status_code == 200, response.status_code
    return response.content


@pytest.mark.parametrize("digest", [False, True], ids=["api key", "digest"])
def test_given_a_40_mb_file_in_parallel_parts_then_its_download_is_byte_identical(stack, digest):
    owner = Account(stack, "pro", digest=digest)
    data = secrets.token_bytes(40 * MIB)
    upload = owner.start("big.bin", len(data))
    assert upload["part_count"] == -(-len(data) // upload["part_size"]) > 1

    parts = send(owner, upload, data, list(range(1, upload["part_count"] + 1)))
    done = owner.call("POST", f"{UPLOADS}/{upload['upload_id']}/complete", {"parts": parts})

    assert done.status_code == 200, done.text
    assert done.json()["file_size"] == len(data)
    assert hashlib.sha256(downloaded(owner, upload["slug"])).digest() == hashlib.sha256(data).digest()
    assert owner.storage_used() == len(data)


@pytest.mark.slow
def test_given_a_300_mb_file_through_the_cli_then_its_download_is_byte_identical(stack, tmp_path):
    cli = Cli(tmp_path, {"CLOUDSHARE_API_URL": stack["api_url"], "CLOUDSHARE_API_KEY": stack["api_key"]})
    original = tmp_path / "huge.bin"
    with open(original, "wb") as handle:
        for _ in range(300):
            handle.write(secrets.token_bytes(MIB))

    item = cli.json("upload", str(original), "-j", "4")

    assert (item["file_size"], item["upload_state"]) == (300 * MIB, "ready")
    copy = tmp_path / "copy.bin"
    cli.out("download", item["slug"], "-o", str(copy))
    assert _sha256(copy) == _sha256(original)


def _sha256(path: Path) -> bytes:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(MIB):
            digest.update(chunk)
    return digest.digest()


def test_given_the_cli_killed_half_way_when_run_again_then_it_sends_only_the_rest(stack, tmp_path):
    cli = Cli(tmp_path, {"CLOUDSHARE_API_URL": stack["api_url"], "CLOUDSHARE_API_KEY": stack["api_key"]})
    original = tmp_path / "resume.bin"
    original.write_bytes(secrets.token_bytes(80 * MIB))  # 10 parts of 8 MiB
    args = [str(COMMAND), "upload", str(original), "-j", "1", "--multipart-threshold", "16MiB", "--json"]

    # Given the CLI killed while it sends its sixth part: its traffic goes through a proxy that passes
    # five parts to S3 and holds the sixth (one part at a time, -j 1), so no clock decides where it stops
    with PartGate(parts_to_pass=5) as gate:
        first = subprocess.Popen(
            args, cwd=tmp_path, env=cli.env | gate.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        held = gate.held.wait(timeout=120)
        first.send_signal(signal.SIGKILL)
        _, stderr = first.communicate(timeout=30)
    assert held, stderr.decode()
    state = json.loads(next((tmp_path / "uploads").glob("*.json")).read_text())
    s3, bucket = aws(stack, "s3"), json.loads((stack["state_dir"] / "stack.json").read_text())["bucket_name"]
    started = [up for up in s3.list_multipart_uploads(Bucket=bucket)["Uploads"] if state["slug"] in up["Key"]]
    parts = s3.list_parts(Bucket=bucket, Key=started[0]["Key"], UploadId=started[0]["UploadId"]).get("Parts", [])
    assert [part["PartNumber"] for part in parts] == [1, 2, 3, 4, 5]

    # When it runs again
    second = cli.run(*args[1:])

    # Then it resumed, sent at most 60% of the file, and the result is identical
    resumed = [line for line in second.stderr.decode().splitlines() if line.startswith("resuming")]
    assert resumed, second.stderr.decode()
    assert resumed[0].split(": ")[1].startswith("5 of 10"), resumed
    item = json.loads(second.stdout)
    assert (item["file_size"], item["upload_state"]) == (80 * MIB, "ready")
    copy = tmp_path / "copy.bin"
    cli.out("download", item["slug"], "-o", str(copy))
    assert copy.read_bytes() == original.read_bytes()
    assert list((tmp_path / "uploads").glob("*.json")) == []  # the finished upload's state is gone


def test_given_plan_limits_then_they_are_refused_at_start_and_at_completion(stack):
    free = Account(stack, "free")
    max_size = free.call("GET", "/api/v1/account").json()["account"]["limits"]["max_upload_size"]

    # At the start, against the declared size
    refused = free.call("POST", UPLOADS, {"name": "big.bin", "file_size": max_size + 1})
    assert refused.status_code == 400 and refused.json()["status"] is False
    assert refused.json()["message"] == "File size is too large"

    # At completion, against the real size: more bytes than declared
    upload = free.start("small.bin", 1000)
    parts = send(free, upload, b"m" * 5000, [1])
    done = free.call("POST", f"{UPLOADS}/{upload['upload_id']}/complete", {"parts": parts})
    assert done.status_code == 400 and "5000 bytes" in done.json()["message"], done.text
    assert free.storage_used() == 0
    artifact = free.call("GET", f"/api/v1/artifacts/{upload['slug']}").json()["artifact"]
    assert artifact["upload_state"] == "failed"


def test_given_another_users_upload_then_every_route_refuses_with_404(stack):
    owner, mallory = Account(stack, "pro"), Account(stack, "pro", digest=True)
    upload = owner.start("mine.bin", 10)
    parts = send(owner, upload, b"0123456789", [1])
    route = f"{UPLOADS}/{upload['upload_id']}"

    answers = [
        mallory.call("POST", f"{route}/parts", {"numbers": [1]}),
        mallory.call("GET", f"{route}/parts"),
        mallory.call("POST", f"{route}/complete", {"parts": parts}),
        mallory.call("DELETE", route),
    ]

    assert [answer.status_code for answer in answers] == [404] * 4
    assert all(answer.json() == {"status": False, "message": "Upload not found"} for answer in answers)
    assert len(owner.call("GET", f"{route}/parts").json()["parts"]) == 1  # untouched


def test_given_an_idle_upload_past_its_deadline_then_the_sweep_aborts_it(stack):
    owner = Account(stack, "pro")
    upload = owner.start("idle.bin", 20 * MIB)
    send(owner, upload, secrets.token_bytes(20 * MIB), [1])
    route = f"{UPLOADS}/{upload['upload_id']}/parts"

    # Within its deadline the sweep leaves it alone
    admin(stack, "sweep")
    assert owner.call("GET", route).status_code == 200

    # Past its deadline, its only part long idle, it is aborted and its artifact gone
    deadline = datetime.fromisoformat(upload["expires_at"].replace("Z", "+00:00"))
    report = admin(stack, "sweep", "--now", (deadline + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert report["uploads_abandoned"] >= 1 and report["errors"] == 0
    assert owner.call("GET", route).status_code == 404
    assert owner.call("GET", f"/api/v1/artifacts/{upload['slug']}").status_code == 404
