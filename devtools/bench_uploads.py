"""AWS calls per upload request and per finalize, and the file bytes that pass through Lambda.

In-process moto, the template's table and bucket, the real handlers through the in-process runner.
Run: python -m devtools.bench_uploads
"""

from __future__ import annotations

import json
import os
import sys

from devtools.offline import use_in_process_aws
from devtools.template import ROOT

FILE_SIZE = 1024 * 1024


def measure() -> list[str]:
    # Before cloudshare is imported: Powertools reads its settings when the module loads.
    use_in_process_aws(TABLE_NAME="bench", BUCKET_NAME="bench-files", NONCE_SECRET_ID="bench")
    import boto3
    from moto import mock_aws

    from cloudshare.config import settings
    from cloudshare.services import accounts, uploads
    from devtools.awscalls import counting
    from devtools.runner import InProcessRunner
    from devtools.template import create_bucket, create_table

    settings.cache_clear()
    runner = InProcessRunner()
    with mock_aws():
        create_table(boto3.client("dynamodb"), "bench")
        create_bucket(boto3.client("s3"), "bench-files")
        accounts.create_user("bench@example.com", "bench-password", "pro")
        _, key = accounts.create_api_key("bench@example.com")
        event = _api_event("/v3/items", "POST", key, json.dumps({"name": "report.pdf", "file_size": FILE_SIZE}))
        runner.call("V3CreateItemFunction", event)  # warm: the numbers below are a warm function's
        with counting() as count:
            response = runner.call("V3CreateItemFunction", event)
        request_calls = count.summary()
        request_total = count.total
        request_bytes = len(event["body"] or "") + len(response["body"])
        slug = json.loads(response["body"])["slug"]
        boto3.client("s3").put_object(Bucket="bench-files", Key=uploads.object_key(slug), Body=os.urandom(FILE_SIZE))
        s3_event = {
            "Records": [{"s3": {"bucket": {"name": "bench-files"}, "object": {"key": uploads.object_key(slug)}}}]
        }
        with counting() as count:
            runner.call("S3FinalizeFunction", s3_event)
        finalize_total, finalize_calls = count.total, count.summary()
        moved = [name for name in ("s3.GetObject", "s3.PutObject")]
        lambda_file_bytes = sum(count.calls[name] for name in moved) * FILE_SIZE
        finalize_bytes = len(json.dumps(s3_event))
    return [
        f"request-upload (POST /v3/items, auth included): {request_total} AWS calls (target <= 3): {request_calls}",
        f"finalize (S3 event, first delivery):             {finalize_total} AWS calls (target <= 3): {finalize_calls}",
        f"file bytes through Lambda on the presigned path:  {lambda_file_bytes} of {FILE_SIZE} "
        f"(handlers read/wrote no object; request+response+event payloads {request_bytes + finalize_bytes} bytes, "
        f"{(request_bytes + finalize_bytes) / FILE_SIZE:.4f}x the file)",
    ]


def _api_event(path: str, method: str, api_key: str, body: str | None) -> dict:
    event = json.loads((ROOT / "events" / "v3_create_item.json").read_text())
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json", "Host": "bench.local"}
    event.update(
        path=path,
        httpMethod=method,
        body=body,
        headers=headers,
        multiValueHeaders={name: [value] for name, value in headers.items()},
    )
    return event


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    print("\n".join(measure()))
