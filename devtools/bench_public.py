"""AWS calls per public request: a share page view and a download redirect (targets: at most 2 each).

Runs the template's handlers in-process against moto and counts every API call their DynamoDB and
S3 clients make (botocore's before-call event). Presigning is local signing, not a call, so it
counts nothing — the bytes themselves go from S3 to the browser.

    python -m devtools.bench_public
"""

from __future__ import annotations

import copy
import io
import json
import os
import sys
import warnings
from collections import Counter
from urllib.parse import urlencode

from devtools.template import ROOT

TARGETS = {"share page view": 2, "download redirect": 2}


def _event(path: str, accept: str, query: dict | None = None, cookie: str | None = None) -> dict:
    """PublicFunction's function URL event (payload format 2.0) for a GET of `path`."""
    event = copy.deepcopy(json.loads((ROOT / "events" / "public.json").read_text()))
    event.update(
        rawPath=path,
        rawQueryString=urlencode(query or {}),
        queryStringParameters=query,
        cookies=[cookie] if cookie else [],
    )
    event["headers"]["accept"] = accept
    event["requestContext"]["http"]["path"] = path
    return event


def _jpeg() -> bytes:
    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(output, "JPEG")
    return output.getvalue()


def public_calls() -> dict[str, int]:
    """AWS API calls made by one request of each kind, measured on a fresh shared image (moto)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(
        {
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_NAMESPACE": "cloudshare",
            "POWERTOOLS_SERVICE_NAME": "cloudshare",
        }
    )
    sys.path.insert(0, str(ROOT / "layers" / "shared"))

    from moto import mock_aws

    from cloudshare.config import settings
    from cloudshare.store.aws import client
    from devtools.runner import InProcessRunner
    from devtools.template import create_resources

    settings.cache_clear()
    client.cache_clear()
    try:
        with mock_aws():
            os.environ.update(create_resources("bench-public").environment())
            settings.cache_clear()
            return calls_per_request(InProcessRunner())
    finally:
        settings.cache_clear()
        client.cache_clear()


def calls_per_request(runner) -> dict[str, int]:
    """Within an AWS (moto or real) holding the template's table and bucket: shares an image, then
    counts the calls each kind of public request makes."""
    import boto3

    from cloudshare.config import settings
    from cloudshare.services import accounts, links, uploads
    from cloudshare.store.aws import client

    owner = accounts.create_user("bench-public@example.com", "bench password", "pro")
    ticket = uploads.request_upload(owner, "photo.jpg", None, None, None)
    boto3.client("s3").put_object(
        Bucket=settings().bucket_name, Key=ticket.version.object_key, Body=_jpeg(), ContentType="image/jpeg"
    )
    code = links.share_code(uploads.settle(ticket.item, ticket.version))

    calls: Counter = Counter()

    def count(model, **_):
        calls[model.name] += 1

    for service in ("dynamodb", "s3"):
        client(service).meta.events.register("before-call.*.*", count)

    def measure(function: str, event: dict) -> tuple[int, dict]:
        calls.clear()
        response = runner.call(function, event)
        return sum(calls.values()), response

    browser = "text/html,application/xhtml+xml,*/*;q=0.8"
    download, content = f"/{code}/download/photo.jpg", f"/{code}/content/photo.jpg"
    results = {}
    results["share page view"], _ = measure("PublicFunction", _event(f"/{code}", browser))
    results["share page view (JSON)"], shown = measure("PublicFunction", _event(f"/{code}", "application/json"))
    page_ticket = {"t": json.loads(shown["body"])["remote_url"].rpartition("?t=")[2]}
    results["download redirect"], _ = measure("PublicFunction", _event(download, browser, page_ticket))
    results["download redirect (bare link: a view too)"], _ = measure("PublicFunction", _event(download, browser))
    results["content redirect (page preview)"], _ = measure("PublicFunction", _event(content, browser, page_ticket))
    for service in ("dynamodb", "s3"):
        client(service).meta.events.unregister("before-call.*.*", count)
    return results


def main() -> None:
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    results = public_calls()
    print("== AWS calls per public request ==")
    failed = False
    for name, count in results.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else f" (target <= {target:d}: {'ok' if count <= target else 'OVER'})"
        failed |= target is not None and count > target
        print(f"{name:45} {count}{verdict}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
