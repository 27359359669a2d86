"""Every function has a sample event in events/, and every sample event still works with its function."""

import hashlib
from pathlib import Path

import boto3
import pytest

from cloudshare.models import ApiKey, Item, Version
from cloudshare.services import accounts, uploads
from cloudshare.store import items, users
from devtools.template import functions
from tests.unit.conftest import BUCKET, EVENTS, load_event

SAMPLE_SLUG = "demoitem2345"


def _event_name(logical_id: str) -> str:
    return Path(functions()[logical_id]["Properties"]["CodeUri"]).name


def _seed_sample_data() -> None:
    """The sample events name a fixed API key and item; make them real so the events work."""
    user = accounts.create_user("sample@example.com", "sample-password", "free")
    key = "csk_sampleevent0_" + "S" * 43
    users.put_api_key(
        ApiKey(key_id="sampleevent0", user_id=user.user_id, secret_hash=hashlib.sha256(key.encode()).hexdigest(),
               created_at="2026-01-01T00:00:00Z")
    )
    items.create_upload(
        Item(slug=SAMPLE_SLUG, owner_id=user.user_id, name="sample.txt", kind="file", state="pending",
             created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z",
             object_key=uploads.object_key(SAMPLE_SLUG), max_size=1024, last_version=1),
        Version(slug=SAMPLE_SLUG, number=1, state="pending", created_at="2026-01-01T00:00:00Z",
                object_key=uploads.object_key(SAMPLE_SLUG), max_size=1024, owner_id=user.user_id),
        "2026-01-01T00:30:00Z",
    )
    boto3.client("s3").put_object(Bucket=BUCKET, Key=uploads.object_key(SAMPLE_SLUG), Body=b"sample bytes",
                                  ContentType="text/plain")


def test_every_function_has_a_sample_event_and_every_event_a_function():
    expected = {_event_name(logical_id) for logical_id in functions()}
    present = {path.stem for path in EVENTS.glob("*.json")}
    assert present == expected


@pytest.mark.parametrize("logical_id", sorted(functions()))
def test_given_the_sample_event_when_invoked_then_the_function_does_its_work(runner, logical_id):
    _seed_sample_data()
    response = runner.call(logical_id, load_event(_event_name(logical_id)))
    if "Api" in {event["Type"] for event in functions()[logical_id]["Properties"]["Events"].values()}:
        assert 200 <= response["statusCode"] < 300, response
    else:  # the S3 event settles the sample upload
        assert items.get(SAMPLE_SLUG).state == "ready"
