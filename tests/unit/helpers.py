"""What unit tests share (test modules never import each other): the names of the AWS resources the
`aws` fixture makes, the sample events, and small builders of stored state."""

import json
from pathlib import Path

import boto3

from cloudshare.services import uploads

TABLE = "cloudshare-test"
BUCKET = "cloudshare-test-files"
NONCE_SECRET = "cloudshare-test-nonce"
SHARE_SENDER = "share@cloudshare.test"
EVENTS = Path(__file__).resolve().parents[2] / "events"


def load_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


def ready_file(user, name="a.txt", data=b"hello"):
    """A file item whose bytes S3 holds, settled as finalize would."""
    ticket = uploads.request_upload(user, name, len(data), None, None)
    boto3.client("s3").put_object(Bucket=BUCKET, Key=ticket.version.object_key, Body=data)
    return uploads.settle(ticket.item, ticket.version)


def s3_event(key: str) -> dict:
    """The S3 notification finalize receives for a presigned POST of `key`."""
    record = {"eventName": "ObjectCreated:Post", "s3": {"bucket": {"name": BUCKET}, "object": {"key": key}}}
    return {"Records": [record]}
