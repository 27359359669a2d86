"""The local stack's S3 events beyond the happy path, over real HTTP: a presigned POST replayed over a
settled upload is undone, and an image gets its thumbnail from ThumbnailFunction (via its queue)."""

import io
import json
import subprocess
import time
from urllib.parse import unquote_plus

import boto3
import pytest
from PIL import Image

from tests.integration.conftest import admin, curl, header

pytestmark = pytest.mark.integration
WAIT_SECONDS = 20


def eventually(condition, what: str):
    """Polls a condition the background (S3 events, queues) makes true; fails after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"not within {WAIT_SECONDS}s: {what}")


def png_bytes(width: int, height: int) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), (20, 160, 90)).save(output, "PNG")
    return output.getvalue()


def test_given_a_settled_image_when_its_presigned_post_is_replayed_then_the_stack_stays_consistent(stack, tmp_path):
    key = ["-H", f"Authorization: Bearer {stack['api_key']}", "-H", "Accept: application/json"]
    image = png_bytes(1200, 800)
    (tmp_path / "photo.png").write_bytes(image)
    (tmp_path / "big.bin").write_bytes(b"\0" * 3_000_000)
    request = json.dumps({"name": "photo.png", "file_size": len(image)})
    status, _, body = curl(*key, "-H", "Content-Type: application/json", "-d", request, f"{stack['api_url']}/v3/items")
    assert status == 200, body
    ticket = json.loads(body)
    fields = [arg for name, value in ticket["s3"].items() for arg in ("-F", f"{name}={value}")]
    status, headers, _ = curl(*fields, "-F", f"file=@{tmp_path / 'photo.png'};type=image/png", ticket["url"])
    assert status == 303
    status, _, body = curl(*key, header(headers, "Location"))
    item = json.loads(body)
    assert status == 200 and item["upload_state"] == "ready"
    used = json.loads(curl(*key, f"{stack['api_url']}/v3/account")[2])["usage"]["storage_used"]

    # The thumbnail is made off the request path, by ThumbnailFunction fed from its queue
    thumbnail = f"{item['share_url']}/thumbnail"
    location = eventually(lambda: header(curl("-H", "Accept: image/*", thumbnail)[1], "Location"), "a thumbnail")
    subprocess.run(["curl", "-sSf", "-o", str(tmp_path / "thumbnail.jpg"), location], check=True, timeout=60)
    with Image.open(tmp_path / "thumbnail.jpg") as made:
        assert (made.format, made.size) == ("JPEG", (480, 320))

    # When the same POST fields are sent again with other, larger bytes
    status, _, _ = curl(*fields, "-F", f"file=@{tmp_path / 'big.bin'};type=image/png", ticket["url"])
    assert status == 303

    # Then finalize undoes the replay: the settled bytes are served again, usage unchanged, consistent
    eventually(lambda: admin(stack, "check-consistency")["consistent"], "the replay undone")
    assert json.loads(curl(*key, f"{stack['api_url']}/v3/account")[2])["usage"]["storage_used"] == used
    subprocess.run(["curl", "-sSfL", "-o", str(tmp_path / "back.png"), item["remote_url"]], check=True, timeout=60)
    assert (tmp_path / "back.png").read_bytes() == image


def test_given_a_finalize_that_fails_every_retry_then_replay_failed_settles_it(stack, tmp_path):
    # Given an upload whose version record is corrupted, so that every finalize of it fails
    key = ["-H", f"Authorization: Bearer {stack['api_key']}", "-H", "Accept: application/json"]
    local = json.loads((stack["state_dir"] / "stack.json").read_text())
    aws = {
        "endpoint_url": local["aws_endpoint"],
        "region_name": local["region"],
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
    }
    dynamodb, sqs = boto3.client("dynamodb", **aws), boto3.client("sqs", **aws)
    failed_events = local["queues"]["FailedEventsQueue"]
    status, _, body = curl(
        *key,
        "-H",
        "Content-Type: application/json",
        "-d",
        json.dumps({"name": "a.txt"}),
        f"{stack['api_url']}/v3/items",
    )
    ticket = json.loads(body)
    version = {"PK": {"S": f"ITEM#{ticket['slug']}"}, "SK": {"S": "VERSION#000001"}}
    limit = dynamodb.get_item(TableName=local["table_name"], Key=version)["Item"]["max_size"]
    dynamodb.update_item(
        TableName=local["table_name"],
        Key=version,
        UpdateExpression="SET max_size = :bad",
        ExpressionAttributeValues={":bad": {"S": "corrupted"}},
    )
    (tmp_path / "a.txt").write_bytes(b"hello")

    # When its bytes land in S3 (the S3 event is invoked asynchronously: 1 try + 2 retries)
    fields = [arg for name, value in ticket["s3"].items() for arg in ("-F", f"{name}={value}")]
    assert curl(*fields, "-F", f"file=@{tmp_path / 'a.txt'};type=text/plain", ticket["url"])[0] == 303

    # Then the event waits in the failed-events queue, the upload still pending
    records = eventually(
        lambda: sqs.receive_message(QueueUrl=failed_events, VisibilityTimeout=0, MaxNumberOfMessages=10).get(
            "Messages"
        ),
        "a failed event",
    )
    record = json.loads(records[0]["Body"])
    assert record["requestContext"]["approximateInvokeCount"] == 3
    event_key = record["requestPayload"]["Records"][0]["s3"]["object"]["key"]
    assert unquote_plus(event_key) == f"items/{ticket['slug']}/1"  # S3 events URL-encode keys

    # When the record is repaired and the operator replays the failed events
    dynamodb.update_item(
        TableName=local["table_name"],
        Key=version,
        UpdateExpression="SET max_size = :limit",
        ExpressionAttributeValues={":limit": limit},
    )
    report = admin(stack, "replay-failed")

    # Then the upload is settled, the queue is empty and the stack consistent
    assert (report["replayed"], report["failed"]) == (1, 0)
    item = json.loads(curl(*key, f"{stack['api_url']}/v3/items/{ticket['slug']}")[2])
    assert item["upload_state"] == "ready" and item["file_size"] == 5
    assert sqs.receive_message(QueueUrl=failed_events, VisibilityTimeout=0).get("Messages") is None
    assert admin(stack, "check-consistency")["consistent"]
