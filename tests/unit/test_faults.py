"""Throttling and server errors on write paths: retried when a retry can succeed, a clean 503 when
it cannot, and never a half-written state (the invariant checker runs after every fault)."""

import json

import boto3
import pytest

from cloudshare.services import uploads
from cloudshare.store import items, users
from cloudshare_admin.consistency import check
from devtools.runner import FunctionFailed
from tests.unit.apigw import bearer, body, event
from tests.unit.faults import failing
from tests.unit.helpers import BUCKET, TABLE


def consistent():
    report = check(TABLE, BUCKET)
    assert report.consistent, report.problems


def request_upload(runner, user):
    request = event(
        "/v3/items",
        "POST",
        {**bearer(user["api_key"]), "Content-Type": "application/json"},
        json.dumps({"name": "photo.png", "file_size": 1000}),
    )
    return runner.call("V3CreateItemFunction", request)


def item_records():
    return boto3.client("dynamodb").scan(
        TableName=TABLE, FilterExpression="begins_with(PK, :item)", ExpressionAttributeValues={":item": {"S": "ITEM#"}}
    )["Items"]


def test_given_brief_throttling_when_requesting_an_upload_then_botocore_retries_and_it_succeeds(runner, user):
    with failing("dynamodb", "TransactWriteItems", times=2) as fault:
        response = request_upload(runner, user)
    assert fault.injected == 2
    assert response["statusCode"] == 200 and items.get(body(response)["slug"]).state == "pending"
    consistent()


def test_given_throttling_that_outlasts_retries_then_a_clean_503_and_nothing_written(runner, user):
    with failing("dynamodb", "TransactWriteItems"):
        response = request_upload(runner, user)
    assert response["statusCode"] == 503
    assert response["multiValueHeaders"]["Retry-After"] == ["2"]
    assert body(response)["errors"]["type"] == "unavailable"
    assert item_records() == []
    consistent()


def test_given_s3_failing_during_finalize_then_nothing_counts_until_the_event_is_redelivered(runner, user):
    slug = body(request_upload(runner, user))["slug"]
    boto3.client("s3").put_object(Bucket=BUCKET, Key=uploads.object_key(slug), Body=b"x" * 700)
    s3_event = {"Records": [{"s3": {"bucket": {"name": BUCKET}, "object": {"key": uploads.object_key(slug)}}}]}
    with failing("s3", "HeadObject"), pytest.raises(FunctionFailed):
        runner.call("S3FinalizeFunction", s3_event)  # Lambda reports the failure; S3 delivers again
    assert items.get(slug).state == "pending"
    assert users.get_user(user["user"].user_id).storage_used == 0
    consistent()
    runner.call("S3FinalizeFunction", s3_event)
    assert items.get(slug).state == "ready" and users.get_user(user["user"].user_id).storage_used == 700
    consistent()


def test_given_the_settling_transaction_throttled_then_the_upload_settles_once_on_redelivery(runner, user):
    slug = body(request_upload(runner, user))["slug"]
    boto3.client("s3").put_object(Bucket=BUCKET, Key=uploads.object_key(slug), Body=b"y" * 300)
    s3_event = {"Records": [{"s3": {"bucket": {"name": BUCKET}, "object": {"key": uploads.object_key(slug)}}}]}
    with failing("dynamodb", "TransactWriteItems"), pytest.raises(FunctionFailed):
        runner.call("S3FinalizeFunction", s3_event)
    consistent()
    for _ in range(2):
        runner.call("S3FinalizeFunction", s3_event)
    owner = users.get_user(user["user"].user_id)
    assert (owner.storage_used, owner.item_count, owner.uploads_today) == (300, 1, 1)
    consistent()


# ---------------------------------------------------------------- every write path
WRITES = ("TransactWriteItems", "UpdateItem", "PutItem", "DeleteItem", "BatchWriteItem")


def _write_routes() -> list[str]:
    from devtools.template import functions

    found = []
    for logical_id, resource in sorted(functions().items()):
        for event_spec in resource["Properties"].get("Events", {}).values():
            method = event_spec["Properties"].get("Method", "").upper()
            if event_spec["Type"] != "Api" or method in ("POST", "PUT", "DELETE"):
                found.append(logical_id)
                break
    return found


def _snapshot():
    records = boto3.client("dynamodb").scan(TableName=TABLE, ConsistentRead=True)["Items"]
    objects = boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return sorted(map(str, records)), sorted(entry["Key"] for entry in objects)


@pytest.mark.parametrize("logical_id", _write_routes())
def test_given_dynamodb_refusing_every_write_then_a_clean_failure_and_nothing_changed(runner, logical_id):
    from devtools.samples import sample_event, seed

    seed()
    before = _snapshot()
    faults = [failing("dynamodb", operation) for operation in WRITES]
    injected = [fault.__enter__() for fault in faults]
    try:
        response = runner.call(logical_id, sample_event(logical_id))
    except FunctionFailed:
        response = None  # an event function: Lambda reports it and the event is delivered again
    finally:
        for fault in reversed(faults):
            fault.__exit__(None, None, None)
    wrote = sum(fault.injected for fault in injected) > 0
    if response is not None and "statusCode" in response and wrote:
        assert response["statusCode"] == 503, response
        assert response["multiValueHeaders"]["Retry-After"]
    elif response is not None and "statusCode" in response:  # nothing to write (e.g. already so): fine
        assert response["statusCode"] < 500, response
    assert _snapshot()[0] == before[0]
    consistent()


@pytest.mark.parametrize("logical_id", ["V1CreateArtifactFunction"])
def test_given_s3_refusing_an_inline_file_then_a_clean_503_and_no_records_left(runner, logical_id):
    from devtools.samples import sample_event, seed

    seed()
    before = _snapshot()
    with failing("s3", "PutObject"):
        response = runner.call(logical_id, sample_event(logical_id))
    assert response["statusCode"] == 503 and body(response)["status"] is False
    assert _snapshot() == before
    consistent()


def test_given_s3_refusing_a_new_inline_version_then_a_clean_503_and_the_artifact_as_it_was(runner, user):
    from tests.unit import v1client

    slug = v1client.create_inline(runner, user["api_key"], b"first", "a.txt", version_name="v1")
    before = _snapshot()
    with failing("s3", "PutObject"):
        response = v1client.update(
            runner,
            user["api_key"],
            slug,
            form={"version_name": "v2"},
            files={"file": ("a.txt", b"second", "text/plain")},
        )
    assert response["statusCode"] == 503
    records, objects = _snapshot()
    assert objects == before[1] and len(records) == len(before[0])
    assert items.get(slug).version == 1
    consistent()
