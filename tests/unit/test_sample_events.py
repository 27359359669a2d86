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
    _seed_deleted_item(user.user_id)
    _seed_pro_account_with_a_ready_item()
    _seed_shared_file(user.user_id)


DELETED_SLUG = "restoreme234"


def _seed_deleted_item(owner_id: str) -> None:
    """events/v1_restore_artifact.json restores this soft-deleted (never uploaded) item."""
    item = Item(slug=DELETED_SLUG, owner_id=owner_id, name="old.txt", kind="file", state="pending",
                created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z",
                object_key=uploads.object_key(DELETED_SLUG), max_size=1024, last_version=1)
    items.create_upload(item, Version(slug=DELETED_SLUG, number=1, state="pending", created_at=item.created_at,
                                      object_key=item.object_key, max_size=1024, owner_id=owner_id),
                        "2026-01-01T00:30:00Z")
    items.soft_delete(item, "2026-01-02T00:00:00Z", "2026-02-01T00:00:00Z")


def test_every_function_has_a_sample_event_and_every_event_a_function():
    expected = {_event_name(logical_id) for logical_id in functions()}
    present = {path.stem for path in EVENTS.glob("*.json")}
    assert present == expected


@pytest.mark.parametrize("logical_id", sorted(functions()))
def test_given_the_sample_event_when_invoked_then_the_function_does_its_work(runner, logical_id):
    _seed_sample_data()
    response = runner.call(logical_id, load_event(_event_name(logical_id)))
    event_types = {event["Type"] for event in functions()[logical_id]["Properties"]["Events"].values()}
    if "Api" in event_types and logical_id in REDIRECTING_FUNCTIONS:
        location = response["multiValueHeaders"]["Location"][0]
        assert response["statusCode"] == 302 and location.startswith("https://"), response
    elif "Api" in event_types:
        assert 200 <= response["statusCode"] < 300, response
    elif "Schedule" in event_types:  # the lifecycle sweep removes the sample upload: its window closed long ago
        assert response["finished"] and response["uploads_abandoned"] == 1
        assert items.get(SAMPLE_SLUG) is None
    else:  # the S3 event settles the sample upload
        assert items.get(SAMPLE_SLUG).state == "ready"


READY_SLUG = "demoready234"


def _seed_pro_account_with_a_ready_item() -> None:
    """The v3 management events (events/v3_*item*, *favorite*, *expiration*, *share*) act on a ready
    bookmark of a pro account: expiration is a paid feature, and only an available item can be shared."""
    pro = accounts.create_user("sample-pro@example.com", "sample-password", "pro")
    key = "csk_samplepro000_" + "P" * 43
    users.put_api_key(
        ApiKey(key_id="samplepro000", user_id=pro.user_id, secret_hash=hashlib.sha256(key.encode()).hexdigest(),
               created_at="2026-01-01T00:00:00Z")
    )
    items.create_bookmark(
        Item(slug=READY_SLUG, owner_id=pro.user_id, name="https://example.com/", kind="bookmark", state="ready",
             created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z",
             redirect_url="https://example.com/", link_secret="S" * uploads.LINK_SECRET_LENGTH),
        None,
    )


SHARED_SLUG = "demoshare234"
# Their whole job is a redirect (to a presigned S3 GET): 302 is their success.
REDIRECTING_FUNCTIONS = {"PublicContentFunction", "PublicDownloadFunction"}


def _seed_shared_file(owner_id: str) -> None:
    """The public events (events/public_*.json) open this ready text file through its short link."""
    item = Item(slug=SHARED_SLUG, owner_id=owner_id, name="shared.txt", kind="file", state="pending",
                created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z", long_link=False,
                object_key=uploads.object_key(SHARED_SLUG), max_size=1024, last_version=1)
    version = Version(slug=SHARED_SLUG, number=1, state="pending", created_at=item.created_at,
                      object_key=item.object_key, max_size=1024, owner_id=owner_id)
    items.create_upload(item, version, "2026-01-01T00:30:00Z")
    boto3.client("s3").put_object(Bucket=BUCKET, Key=item.object_key, Body=b"shared bytes", ContentType="text/plain")
    uploads.settle(item, version)
