"""GET /api/v1/artifacts (paging, orders, filter, bad values), DELETE and restore, and both dialects agreeing."""

import uuid

import boto3
import pytest

from cloudshare.services import accounts, clock, management, uploads
from cloudshare.services.management import ItemChanges
from cloudshare.store import users
from tests.unit import v1client as v1
from tests.unit.apigw import body
from tests.unit.helpers import TABLE

SEED_FIELDS = {
    "id",
    "slug",
    "user_id",
    "is_published",
    "allow_comments",
    "allow_downloads",
    "view_only",
    "total_views",
    "total_downloads",
    "total_comments",
    "created_at",
    "updated_at",
    "current_version_number",
    "current_version_name",
    "current_file_url",
    "current_file_type",
    "current_file_extension",
}
BEYOND_THE_SEED = {"show_combined_comments", "comment_emails"}  # PUT sets them; clients read them back


@pytest.fixture
def five(runner, user, monkeypatch):
    """Five artifacts created a second apart (oldest first), with views 3,1,4,1,5 and downloads 0..4."""
    accounts.set_plan(user["email"], "pro")
    start = clock.now()
    slugs = []
    with monkeypatch.context() as moved:  # undoes only the clock (not the functions' environment)
        for n in range(5):
            moved.setattr(clock, "now", lambda n=n: start + n)
            slugs.append(v1.create_inline(runner, user["api_key"], f"file {n}".encode(), f"{n}.txt"))
    for slug, views, downloads in zip(slugs, (3, 1, 4, 1, 5), range(5), strict=True):
        boto3.client("dynamodb").update_item(
            TableName=TABLE,
            Key={"PK": {"S": f"ITEM#{slug}"}, "SK": {"S": "ITEM"}},
            UpdateExpression="SET view_counter = :v, download_counter = :d",
            ExpressionAttributeValues={":v": {"N": str(views)}, ":d": {"N": str(downloads)}},
        )
    return slugs


def page(runner, user, **query):
    response = v1.listing(runner, user["api_key"], **query)
    assert response["statusCode"] == 200, response
    return body(response)


def test_given_artifacts_then_the_seeds_fields_exactly_and_the_counters(runner, user, five):
    answer = page(runner, user)
    assert answer["status"] is True and len(answer["artifacts"]) == 5
    newest = answer["artifacts"][0]
    assert set(newest) == SEED_FIELDS | BEYOND_THE_SEED
    assert newest["slug"] == five[-1] and newest["user_id"] == str(uuid.UUID(hex=user["user"].user_id))
    ids = [artifact["id"] for artifact in answer["artifacts"]]
    assert all(uuid.UUID(found).version == 5 for found in ids) and len(set(ids)) == 5  # UUIDs, as the seed shows
    assert ids == [artifact["id"] for artifact in page(runner, user)["artifacts"]]  # and stable
    assert (newest["total_views"], newest["total_downloads"], newest["total_comments"]) == (5, 4, 0)
    assert (newest["current_version_number"], newest["current_version_name"]) == (1, "v1")
    assert (newest["current_file_type"], newest["current_file_extension"]) == ("text/plain", "txt")
    assert newest["current_file_url"].startswith("https://api.example.com/" + five[-1])
    assert newest["current_file_url"].endswith("/content/4.txt")
    assert answer["pagination"] == {"total": 5, "page": 1, "limit": 20, "totalPages": 1}


def test_given_a_page_size_then_pages_cover_every_artifact_once_newest_first(runner, user, five):
    seen = []
    for number in (1, 2, 3):
        answer = page(runner, user, page=number, limit=2)
        assert answer["pagination"] == {"total": 5, "page": number, "limit": 2, "totalPages": 3}
        seen += [a["slug"] for a in answer["artifacts"]]
    assert seen == list(reversed(five))
    assert page(runner, user, page=4, limit=2)["artifacts"] == []


@pytest.mark.parametrize(
    "sort_by, sort_order, key, expected",
    [
        ("created_at", "asc", "slug", "five"),
        ("total_views", "desc", "total_views", [5, 4, 3, 1, 1]),
        ("total_views", "asc", "total_views", [1, 1, 3, 4, 5]),
        ("total_downloads", "desc", "total_downloads", [4, 3, 2, 1, 0]),
    ],
)
def test_given_a_sort_then_the_index_orders_the_artifacts(runner, user, five, sort_by, sort_order, key, expected):
    answer = page(runner, user, sort_by=sort_by, sort_order=sort_order)
    assert [a[key] for a in answer["artifacts"]] == (five if expected == "five" else expected)


def test_given_updated_at_order_then_the_last_changed_comes_first(runner, user, five, monkeypatch):
    later = clock.now() + 60
    monkeypatch.setattr(clock, "now", lambda: later)
    assert v1.update(runner, user["api_key"], five[1], {"allow_comments": "false"})["statusCode"] == 200
    assert page(runner, user, sort_by="updated_at")["artifacts"][0]["slug"] == five[1]
    assert page(runner, user, sort_by="updated_at", sort_order="asc")["artifacts"][-1]["slug"] == five[1]


def test_given_the_published_filter_then_only_those_and_their_total(runner, user, five):
    v1.update(runner, user["api_key"], five[0], {"is_published": "false"})
    hidden = page(runner, user, is_published="false")
    assert [a["slug"] for a in hidden["artifacts"]] == [five[0]] and hidden["pagination"]["total"] == 1
    shown = page(runner, user, is_published="true", limit=3)
    assert len(shown["artifacts"]) == 3 and shown["pagination"] == {"total": 4, "page": 1, "limit": 3, "totalPages": 2}


def test_given_a_limit_over_100_then_it_is_capped(runner, user, five):
    assert page(runner, user, limit=5000)["pagination"]["limit"] == 100


@pytest.mark.parametrize(
    "query, message",
    [
        ({"page": "0"}, "page must be at least 1"),
        ({"page": "two"}, "page must be a whole number"),
        ({"limit": "0"}, "limit must be at least 1"),
        ({"limit": "-5"}, "limit must be at least 1"),
        ({"limit": "1.5"}, "limit must be a whole number"),
        ({"sort_by": "name"}, "sort_by must be one of created_at, updated_at, total_views, total_downloads"),
        ({"sort_order": "up"}, "sort_order must be asc or desc"),
        ({"is_published": "perhaps"}, "is_published must be true or false (also accepted: 1/0, yes/no)"),
    ],
)
def test_given_bad_query_values_then_400_in_the_v1_format(runner, user, query, message):
    response = v1.listing(runner, user["api_key"], **query)
    assert response["statusCode"] == 400
    assert body(response) == {"status": False, "message": message}


def test_given_a_bookmark_then_it_is_listed_as_an_artifact_without_a_file(runner, user):
    bookmark = uploads.create_bookmark(user["user"], "https://example.com/page", None, None)
    [listed] = page(runner, user)["artifacts"]
    assert listed["slug"] == bookmark.slug and listed["current_version_number"] == 0
    # the seed types these as String: a typed client gets strings, empty for what a bookmark lacks
    assert (listed["current_version_name"], listed["current_file_type"], listed["current_file_extension"]) == (
        "",
        "",
        "",
    )
    assert listed["current_file_url"] == f"https://api.example.com/{bookmark.slug}{bookmark.link_secret}"


def test_given_a_rename_in_v3_then_v1_shows_it(runner, user):
    slug = v1.create_inline(runner, user["api_key"], b"x", "old.txt")
    management.update(user["user"], slug, ItemChanges(name="new name.md", long_link=False))
    [listed] = page(runner, user)["artifacts"]
    assert listed["current_file_url"] == f"https://api.example.com/{slug}/content/new%20name.md"


def test_given_a_delete_then_gone_from_the_list_and_counts_until_restored(runner, user):
    key = user["api_key"]
    slug = v1.create_inline(runner, key)
    response = v1.delete(runner, key, slug)
    assert response["statusCode"] == 200
    assert body(response) == {"status": True, "message": "Artifact deleted successfully"}
    assert page(runner, user)["artifacts"] == [] and page(runner, user)["pagination"]["total"] == 0
    assert users.get_user(user["user"].user_id).artifact_count == 0
    assert body(v1.delete(runner, key, slug)) == {"status": False, "message": "Artifact not found"}
    assert v1.get(runner, key, slug)["statusCode"] == 404
    response = v1.restore(runner, key, slug)
    assert response["statusCode"] == 200
    assert body(response) == {"status": True, "message": "Artifact restored successfully"}
    assert [a["slug"] for a in page(runner, user)["artifacts"]] == [slug]
    assert users.get_user(user["user"].user_id).artifact_count == 1


def test_given_an_artifact_that_is_not_deleted_then_restore_says_400(runner, user):
    slug = v1.create_inline(runner, user["api_key"])
    response = v1.restore(runner, user["api_key"], slug)
    assert response["statusCode"] == 400 and body(response)["status"] is False


def test_given_the_artifact_limit_reached_meanwhile_then_restore_is_the_seeds_403(runner, user):
    slug = v1.create_inline(runner, user["api_key"])
    v1.delete(runner, user["api_key"], slug)
    v1.set_usage(user["user"].user_id, artifact_count=50)
    response = v1.restore(runner, user["api_key"], slug)
    assert response["statusCode"] == 403
    assert body(response) == {"status": False, "message": "Artifact limit reached", "current": 50, "limit": 50}
    assert page(runner, user)["artifacts"] == []


def test_given_a_page_far_past_the_end_then_an_empty_page_read_without_touching_the_listing(runner, user, five):
    from devtools.awscalls import counting

    with counting() as count:
        answer = body(v1.listing(runner, user["api_key"], page=10**20, limit=20))
    assert answer["artifacts"] == [] and answer["pagination"]["total"] == 5
    assert count.calls["dynamodb.Query"] == 0
