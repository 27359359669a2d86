"""A large file through the `cloudshare` CLI's multipart upload beside boto3's own upload_file (its multipart,
same endpoint, same part size and concurrency), in one run against the local stack.

Both run as child processes (each pays its interpreter's start and its library's imports, as a command
would), interleaved, best of three each, after one small upload of each has warmed the stack (its functions
start cold). Reports: the time ratio CLI / boto3 (target <= 1.1), the CLI's peak RSS (target <= 150 MB), the
bytes a resumed upload sends in total (stopped at half its parts by a proxy, killed, run again; target <= 1.1x
the file), and the file bytes that passed through Lambda (target 0: the handlers' AWS calls are counted
in-process, with moto, for one upload). Exits 1 when a target is missed.
Run: python -m devtools.bench_multipart [--size-mib 1024] [--jobs 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from devtools.offline import use_in_process_aws
from devtools.partgate import PartGate
from devtools.stack import start_stack, stop_stack
from devtools.template import ROOT

MIB = 1024 * 1024
PART_SIZE = 8 * MIB  # what the server hands out for files up to 80 GiB (services/multipart.part_size_for)
COMMAND = Path(sys.executable).with_name("cloudshare")
TARGET_RATIO, TARGET_RSS, TARGET_RESENT = 1.1, 150 * 1000 * 1000, 1.1
# boto3's side imports boto3 alone (nothing of the bench's), as `python -c`: a command like the CLI.
BOTO3_UPLOAD = """
import sys
import boto3
from boto3.s3.transfer import TransferConfig
path, endpoint, region, bucket, part_size, jobs = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region, aws_access_key_id="local",
                  aws_secret_access_key="local")
config = TransferConfig(multipart_threshold=int(part_size), multipart_chunksize=int(part_size),
                        max_concurrency=int(jobs))
s3.upload_file(path, bucket, "bench/boto3-upload_file", Config=config)
"""


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


def _on_plan(stack_json: Path, email: str, plan: str) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    command = [sys.executable, "-m", "cloudshare_admin", "--local-state", str(stack_json), "set-plan", email, plan]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)


def _timed(args: list[str], env: dict, cwd: Path) -> tuple[float, int]:
    """Runs a child to its end: its wall time and its own peak RSS in bytes (wait4's, not all children's)."""
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    if process.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed: {stderr.decode()[-2000:]}")
    return seconds, usage.ru_maxrss * 1024


def _resumed(args: list[str], env: dict, cwd: Path, part_count: int) -> tuple[int, str]:
    """The CLI stopped once half its parts are in storage (a proxy holds the others), killed, and run
    again: the part bytes it sent in both runs, and the rerun's `resuming` line."""
    with PartGate(parts_to_pass=part_count // 2) as gate:
        first = subprocess.Popen(args, cwd=cwd, env=env | gate.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        held = gate.held.wait(timeout=600)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
        if not held:
            raise RuntimeError("the CLI never reached half its parts")
        gate.pass_all()
        second = subprocess.run(args, cwd=cwd, env=env | gate.env, capture_output=True)
        if second.returncode != 0:
            raise RuntimeError(second.stderr.decode()[-2000:])
        line = next((text for text in second.stderr.decode().splitlines() if text.startswith("resuming")), "")
        return gate.part_bytes, line


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


def measure(size_mib: int, jobs: int, rounds: int) -> tuple[list[str], list[str]]:
    """The report's lines, and the targets missed."""
    size = size_mib * MIB
    with tempfile.TemporaryDirectory(prefix="bench-multipart-") as folder:
        work = Path(folder)
        process, credentials = start_stack(work)
        try:
            stack_json = json.loads((work / "stack.json").read_text())
            _on_plan(work / "stack.json", credentials["email"], "pro_max")  # pro's largest upload: 500 MiB
            env = _cli_env(work, credentials)

            def cli(path: Path) -> list[str]:
                return [str(COMMAND), "upload", str(path), "-j", str(jobs), "-q", "--json"]

            def boto3(path: Path) -> list[str]:
                endpoint, region, bucket = stack_json["aws_endpoint"], stack_json["region"], stack_json["bucket_name"]
                return [
                    sys.executable,
                    "-c",
                    BOTO3_UPLOAD,
                    str(path),
                    endpoint,
                    region,
                    bucket,
                    str(PART_SIZE),
                    str(jobs),
                ]

            warm = work / "warm.bin"  # two parts: every multipart function of the stack answers once
            _write_random(warm, PART_SIZE // MIB + 1)
            _timed([*cli(warm), "--multipart-threshold", "1MiB"], env, work)
            _timed(boto3(warm), env, work)
            path = work / "bench.bin"
            _write_random(path, size_mib)
            times: dict[str, list[float]] = {"cli": [], "boto3": []}
            rss: dict[str, list[int]] = {"cli": [], "boto3": []}
            for round_ in range(rounds):
                for side in ("boto3", "cli") if round_ % 2 == 0 else ("cli", "boto3"):
                    os.utime(path, None)  # a new mtime: the CLI's next run is a new upload, not a resume
                    seconds, peak = _timed(cli(path) if side == "cli" else boto3(path), env, work)
                    times[side].append(seconds)
                    rss[side].append(peak)
            part_count = -(-size // PART_SIZE)
            os.utime(path, None)
            sent, resuming = _resumed(cli(path), env, work, part_count)
        finally:
            stop_stack(process)
    moved, payload, calls = through_lambda()
    ratio = min(times["cli"]) / min(times["boto3"])
    resent = sent / size
    missed = [
        *([f"time ratio {ratio:.2f} > {TARGET_RATIO}"] if ratio > TARGET_RATIO else []),
        *([f"CLI peak RSS {max(rss['cli']) / 1e6:.0f} MB > 150 MB"] if max(rss["cli"]) > TARGET_RSS else []),
        *([f"resumed upload sent {resent:.2f}x > {TARGET_RESENT}x"] if resent > TARGET_RESENT else []),
        *([f"{moved} file bytes through Lambda"] if moved else []),
    ]

    def runs(side: str) -> str:
        return ", ".join(f"{seconds:.1f}" for seconds in times[side])

    return [
        f"multipart {size_mib} MiB, {jobs} parts of {PART_SIZE // MIB} MiB at once, local stack (moto S3), "
        f"{rounds} interleaved rounds, load average {os.getloadavg()[0]:.1f}:",
        f"  CLI {min(times['cli']):.1f} s (runs {runs('cli')}), boto3 upload_file {min(times['boto3']):.1f} s "
        f"(runs {runs('boto3')}): ratio of the bests {ratio:.2f} (target <= {TARGET_RATIO})",
        f"  peak RSS: CLI {max(rss['cli']) / MIB:.0f} MiB (target <= 150 MB), boto3 {max(rss['boto3']) / MIB:.0f} MiB",
        f"  resumed upload: held at {part_count // 2} of {part_count} parts, killed, run again ({resuming!r}): "
        f"sent {resent:.2f}x the file in total (target <= {TARGET_RESENT})",
        f"  file bytes through Lambda: {moved} of a {3 * PART_SIZE // MIB} MiB upload (target 0); API payloads "
        f"{payload} bytes; the handlers' AWS calls: {dict(sorted(calls.items()))}",
    ], missed


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    lines, missed = measure(options.size_mib, options.jobs, options.rounds)
    print("\n".join(lines))
    if missed:
        sys.exit("missed: " + "; ".join(missed))
