"""A large file through the `cloudshare` CLI's multipart upload beside boto3's own upload_file (its multipart,
same endpoint, same part size and concurrency), in one run against the local stack.

Reports: the time ratio CLI / boto3 (target <= 1.1), the CLI's peak RSS (target <= 150 MB), the bytes a
resumed upload sends in total (killed half way, run again: target <= 1.1x the file), and the file bytes that
passed through Lambda (target 0: the handlers' AWS calls are counted in-process, with moto, for one upload).
Run: python -m devtools.bench_multipart [--size-mib 1024] [--jobs 4]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from devtools.offline import use_in_process_aws
from devtools.stack import start_stack, stop_stack
from devtools.template import ROOT

MIB = 1024 * 1024
PART_SIZE = 8 * MIB  # what the server hands out for files up to 80 GiB (services/multipart.part_size_for)
COMMAND = Path(sys.executable).with_name("cloudshare")


def _write_random(path: Path, size_mib: int) -> None:
    with open(path, "wb") as handle:
        for _ in range(size_mib):
            handle.write(secrets.token_bytes(MIB))


def _cli_env(state: Path, credentials: dict) -> dict:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CLOUDSHARE_", "AWS_"))}
    return env | {
        "CLOUDSHARE_CONFIG": str(state / "cli-config.json"),
        "CLOUDSHARE_API_URL": credentials["api_url"],
        "CLOUDSHARE_API_KEY": credentials["api_key"],
    }


def _run_cli(args: list[str], env: dict, cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True)
    return time.perf_counter() - started, result


def _boto3_upload(path: Path, stack_json: dict, jobs: int) -> float:
    import boto3
    from boto3.s3.transfer import TransferConfig

    s3 = boto3.client(
        "s3",
        endpoint_url=stack_json["aws_endpoint"],
        region_name=stack_json["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    config = TransferConfig(multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, max_concurrency=jobs)
    started = time.perf_counter()
    s3.upload_file(str(path), stack_json["bucket_name"], "bench/boto3-upload_file", Config=config)
    return time.perf_counter() - started


def _killed_half_way(args: list[str], env: dict, cwd: Path, stack_json: dict) -> int:
    """Runs the CLI until about half the parts are in storage (asked of S3 itself: the API's answer would
    lag on a busy machine), kills it; returns the parts stored."""
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=stack_json["aws_endpoint"],
        region_name=stack_json["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stored = 0
    try:
        while process.poll() is None:
            time.sleep(0.01)  # polls for the condition below
            uploads = s3.list_multipart_uploads(Bucket=stack_json["bucket_name"], Prefix="items/").get("Uploads", [])
            if not uploads:
                continue
            newest = max(uploads, key=lambda upload: upload["Initiated"])
            stored = len(
                s3.list_parts(Bucket=stack_json["bucket_name"], Key=newest["Key"], UploadId=newest["UploadId"]).get(
                    "Parts", []
                )
            )
            if stored * PART_SIZE >= path_size(args) // 2:
                break
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    return stored


def path_size(args: list[str]) -> int:
    return Path(args[2]).stat().st_size


def through_lambda(size: int = 3 * PART_SIZE) -> tuple[int, int, dict]:
    """One multipart upload through the real handlers (in-process moto; parts PUT to their presigned URLs):
    the file bytes the handlers moved (S3 calls that carry object bytes), the request+response payload
    bytes of the API calls, and the handlers' AWS calls."""
    use_in_process_aws(TABLE_NAME="bench", BUCKET_NAME="bench-files", NONCE_SECRET_ID="bench")
    import boto3
    from moto import mock_aws

    from cloudshare.config import settings
    from cloudshare.services import accounts
    from devtools.awscalls import counting
    from devtools.runner import InProcessRunner
    from devtools.template import create_bucket, create_table

    settings.cache_clear()
    runner = InProcessRunner()
    data = secrets.token_bytes(size)
    with mock_aws():
        create_table(boto3.client("dynamodb"), "bench")
        create_bucket(boto3.client("s3"), "bench-files")
        accounts.create_user("bench@example.com", "bench-password", "pro")
        _, key = accounts.create_api_key("bench@example.com")
        payload = 0

        def call(function: str, method: str, path: str, body: dict | None, upload_id: str | None = None) -> dict:
            nonlocal payload
            event = _api_event(path, method, key, None if body is None else json.dumps(body))
            event["pathParameters"] = {"upload_id": upload_id} if upload_id else None
            response = runner.call(function, event)
            payload += len(event["body"] or "") + len(response["body"])
            return json.loads(response["body"])

        with counting() as count:
            upload = call("V1StartUploadFunction", "POST", "/api/v1/uploads", {"name": "big.bin", "file_size": size})
            upload_id, part = upload["upload_id"], upload["part_size"]
            numbers = list(range(1, upload["part_count"] + 1))
            urls = call(
                "V1SignUploadPartsFunction",
                "POST",
                f"/api/v1/uploads/{upload_id}/parts",
                {"numbers": numbers},
                upload_id,
            )["parts"]
        for entry in urls:  # the client's PUTs, straight to S3: not counted as the handlers'
            number = entry["number"]
            requests.put(entry["url"], data=data[(number - 1) * part : number * part], timeout=60)
        with counting() as finishing:
            call("V1CompleteUploadFunction", "POST", f"/api/v1/uploads/{upload_id}/complete", None, upload_id)
        calls = {**count.calls}
        for name, number in finishing.calls.items():
            calls[name] = calls.get(name, 0) + number
    moved = sum(calls.get(name, 0) for name in ("s3.GetObject", "s3.PutObject", "s3.UploadPart")) * part
    return moved, payload, calls


def _api_event(path: str, method: str, api_key: str, body: str | None) -> dict:
    event = json.loads((ROOT / "events" / "v1_start_upload.json").read_text())
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Host": "bench.local",
        **({"Content-Type": "application/json"} if body else {}),
    }
    event.update(
        path=path,
        resource=path,
        httpMethod=method,
        body=body,
        headers=headers,
        multiValueHeaders={name: [value] for name, value in headers.items()},
    )
    return event


def measure(size_mib: int, jobs: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bench-multipart-") as folder:
        work = Path(folder)
        process, credentials = start_stack(work)
        try:
            stack_json = json.loads((work / "stack.json").read_text())
            path = work / "bench.bin"
            _write_random(path, size_mib)
            env = _cli_env(work, credentials)
            args = [str(COMMAND), "upload", str(path), "-j", str(jobs), "-q", "--json"]
            boto3_seconds = _boto3_upload(path, stack_json, jobs)
            cli_seconds, result = _run_cli(args, env, work)
            if result.returncode != 0:
                raise RuntimeError(result.stderr.decode())
            # The largest child reaped so far is that CLI run (the stack runs on until the end).
            peak_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
            # resume: a changed mtime makes it another upload
            os.utime(path, None)
            stored = _killed_half_way(args, env, work, stack_json)
            _, resumed = _run_cli(args, env, work)
            if resumed.returncode != 0:
                raise RuntimeError(resumed.stderr.decode())
            line = next((text for text in resumed.stderr.decode().splitlines() if text.startswith("resuming")), "")
            already = int(line.split(": ")[1].split(" of ")[0]) if line else 0
            part_count = -(-size_mib * MIB // PART_SIZE)
            # first run: the parts stored when killed plus at most one in flight per job; then the rest
            total_sent = (min(part_count, stored + jobs) + part_count - already) * PART_SIZE
        finally:
            stop_stack(process)
    size = size_mib * MIB
    moved, payload, calls = through_lambda()
    return [
        f"multipart {size_mib} MiB, {jobs} parts at once, local stack (moto S3):",
        f"  CLI {cli_seconds:.1f} s, boto3 upload_file {boto3_seconds:.1f} s: ratio {cli_seconds / boto3_seconds:.2f} "
        f"(target <= 1.1)",
        f"  CLI peak RSS {peak_rss / MIB:.0f} MiB (target <= 150 MB)",
        f"  resumed upload: killed with {stored} of {part_count} parts stored, the rerun found {already}; "
        f"sent in total at most {total_sent / size:.2f}x the file (target <= 1.1)",
        f"  file bytes through Lambda: {moved} of a {3 * PART_SIZE // MIB} MiB upload (target 0); API payloads "
        f"{payload} bytes; the handlers' AWS calls: {dict(sorted(calls.items()))}",
    ]


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--jobs", type=int, default=4)
    options = parser.parse_args()
    print("\n".join(measure(options.size_mib, options.jobs)))
