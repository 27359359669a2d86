"""S3 events for uploads beyond the happy path: a presigned POST replayed over settled bytes."""

import boto3
import pytest
import requests

from cloudshare.services import uploads
from cloudshare.store import users
from cloudshare_admin.consistency import check
from tests.unit.helpers import BUCKET, TABLE


def post(ticket, data: bytes) -> str:
    """The presigned POST, for real, to (moto's) S3 API; returns the S3 version id of what it stored
    (what S3's event names; moto's POST answer leaves it out)."""
    response = requests.post(
        ticket.url, data=ticket.fields, files={"file": ("notes.bin", data, "application/octet-stream")}, timeout=10
    )
    assert response.status_code in (200, 201, 204), response.text
    return boto3.client("s3").head_object(Bucket=BUCKET, Key=ticket.version.object_key)["VersionId"]


def object_created(key: str, version_id: str | None) -> dict:
    stored = {"key": key, "size": 0, "eTag": "", **({"versionId": version_id} if version_id else {})}
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {"bucket": {"name": BUCKET}, "object": stored},
            }
        ]
    }


@pytest.mark.parametrize("event_names_the_version", [True, False], ids=["versionId", "no-versionId"])
def test_given_a_settled_upload_when_its_presigned_post_is_replayed_then_the_settled_bytes_stay(
    runner, user, event_names_the_version
):
    # Given an upload settled through its S3 event
    ticket = uploads.request_upload(user["user"], "notes.bin", 1000, None, None)
    first = post(ticket, b"a" * 1000)
    runner.call("S3FinalizeFunction", object_created(ticket.version.object_key, first))
    assert users.get_user(user["user"].user_id).storage_used == 1000

    # When the same POST fields are sent again (the policy has not expired) with 50 times the bytes
    replay = post(ticket, b"b" * 50_000)
    runner.call(
        "S3FinalizeFunction", object_created(ticket.version.object_key, replay if event_names_the_version else None)
    )

    # Then the replayed bytes are gone, the settled ones are served, and usage is what is stored
    s3 = boto3.client("s3")
    assert s3.get_object(Bucket=BUCKET, Key=ticket.version.object_key)["Body"].read() == b"a" * 1000
    assert users.get_user(user["user"].user_id).storage_used == 1000
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix=ticket.version.object_key).get("Versions", [])
    assert [v["VersionId"] for v in versions] == [first]
    report = check(TABLE, BUCKET)
    assert report.consistent, report.problems


def test_given_an_event_for_the_settled_bytes_again_then_nothing_is_removed(runner, user):
    ticket = uploads.request_upload(user["user"], "notes.bin", 1000, None, None)
    first = post(ticket, b"a" * 1000)
    for _ in range(2):  # S3 delivers at least once
        runner.call("S3FinalizeFunction", object_created(ticket.version.object_key, first))
    assert boto3.client("s3").get_object(Bucket=BUCKET, Key=ticket.version.object_key)["Body"].read() == b"a" * 1000
    assert check(TABLE, BUCKET).consistent


def test_given_refused_or_unwanted_bytes_then_no_version_of_them_is_kept(runner, user):
    # Given an upload over its policy's limit (moto, unlike S3, does not enforce the policy's size range)
    ticket = uploads.request_upload(user["user"], "big.bin", None, None, None)
    too_big = post(ticket, b"x" * (ticket.version.max_size + 1))
    runner.call("S3FinalizeFunction", object_created(ticket.version.object_key, too_big))
    # ... and, once refused, the same POST again
    again = post(ticket, b"y" * 10)
    runner.call("S3FinalizeFunction", object_created(ticket.version.object_key, again))

    # Then both are deleted by version id: nothing stays billed as a noncurrent version or marker
    listed = boto3.client("s3").list_object_versions(Bucket=BUCKET, Prefix=ticket.version.object_key)
    assert listed.get("Versions", []) == [] and listed.get("DeleteMarkers", []) == []
    assert check(TABLE, BUCKET).consistent
