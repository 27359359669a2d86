"""Throttling and server errors on write paths: retried when a retry can succeed, a clean 503 when
it cannot, and never a half-written state (the invariant checker runs after every fault)."""

import json

import boto3
import pytest

from cloudshare.services import uploads
from cloudshare.store import items, users
from devtools.consistency import check
from devtools.runner import FunctionFailed
from tests.unit.apigw import bearer, body, event
from tests.unit.conftest import BUCKET, TABLE
from tests.unit.faults import failing


def consistent():
    report = check(TABLE, BUCKET)
    assert report.consistent, report.problems


def request_upload(runner, user):
    request = event("/v3/items", "POST", {**bearer(user["api_key"]), "Content-Type": "application/json"},
                    json.dumps({"name": "photo.png", "file_size": 1000}))
    return runner.call("V3CreateItemFunction", request)


def item_records():
    return boto3.client("dynamodb").scan(TableName=TABLE, FilterExpression="begins_with(PK, :item)",
                                         ExpressionAttributeValues={":item": {"S": "ITEM#"}})["Items"]


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
