"""Every owner-scoped v1 route: someone else's artifact is 403 `Unauthorized to … this artifact`, an
unknown one 404 `Artifact not found`, and neither changes anything."""

import boto3
import pytest

from cloudshare.store import items, users
from tests.unit import v1client as v1
from tests.unit.apigw import body
from tests.unit.helpers import BUCKET

ROUTES = [  # (what, call, action named in the 403)
    ("metadata", lambda runner, key, slug: v1.update(runner, key, slug, {"is_published": "false"}), "update"),
    ("json metadata", lambda runner, key, slug: v1.update(runner, key, slug, json_body={"view_only": True}), "update"),
    (
        "inline version",
        lambda runner, key, slug: v1.update(
            runner, key, slug, {"version_name": "mine"}, {"file": ("x.txt", b"hijack")}
        ),
        "update",
    ),
    ("presigned version", lambda runner, key, slug: v1.update(runner, key, slug, {"file_name": "x.txt"}), "update"),
    ("get", lambda runner, key, slug: v1.get(runner, key, slug), "access"),
    ("delete", lambda runner, key, slug: v1.delete(runner, key, slug), "delete"),
    ("restore", lambda runner, key, slug: v1.restore(runner, key, slug), "restore"),
]


def snapshot(owner_id: str) -> tuple:
    """Everything a request could have changed: item and version records, objects, the owner's counters."""
    objects = boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    records = sorted(v1.stored_items(), key=lambda record: (record["PK"]["S"], record["SK"]["S"]))
    return records, sorted(o["Key"] for o in objects), users.get_user(owner_id)


@pytest.mark.parametrize("what, route, action", ROUTES, ids=[route[0] for route in ROUTES])
@pytest.mark.parametrize("deleted", [False, True], ids=["live", "soft-deleted"])
def test_given_someone_elses_artifact_then_403_and_nothing_changes(runner, user, what, route, action, deleted):
    slug = v1.create_inline(runner, user["api_key"], b"owner's bytes")
    if deleted:
        v1.delete(runner, user["api_key"], slug)
    _, intruder_key = v1.second_user()
    before = snapshot(user["user"].user_id)
    response = route(runner, intruder_key, slug)
    if deleted and action != "restore":  # a deleted artifact is gone for everyone but restore
        assert (response["statusCode"], body(response)) == (404, {"status": False, "message": "Artifact not found"})
    else:
        assert response["statusCode"] == 403
        assert body(response) == {"status": False, "message": f"Unauthorized to {action} this artifact"}
    assert snapshot(user["user"].user_id) == before


@pytest.mark.parametrize("what, route, action", ROUTES, ids=[route[0] for route in ROUTES])
def test_given_an_unknown_slug_then_404_and_nothing_is_created(runner, user, what, route, action):
    response = route(runner, user["api_key"], "unknownslug2")
    assert (response["statusCode"], body(response)) == (404, {"status": False, "message": "Artifact not found"})
    assert v1.stored_items() == [] and items.get("unknownslug2") is None


def test_given_two_owners_then_each_list_shows_only_their_own(runner, user):
    mine = v1.create_inline(runner, user["api_key"])
    _, other_key = v1.second_user()
    theirs = v1.create_inline(runner, other_key)
    assert [a["slug"] for a in body(v1.listing(runner, user["api_key"]))["artifacts"]] == [mine]
    assert [a["slug"] for a in body(v1.listing(runner, other_key))["artifacts"]] == [theirs]
