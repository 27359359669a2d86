"""v3 items management: read, rename and relink, delete, favorites, expiration — and nobody else's items."""

import json

import pytest

from cloudshare.services import accounts, links, management
from cloudshare.store import items
from tests.unit.apigw import bearer, body, event
from tests.unit.helpers import ready_file
from tests.unit.v3_calls import BASE, bookmark, call, record, set_attributes

SEED_FIELDS = {
    "slug",
    "name",
    "created_at",
    "updated_at",
    "long_link",
    "item_type",
    "view_counter",
    "content_url",
    "redirect_url",
    "remote_url",
    "source",
    "thumbnail_url",
    "share_url",
}


@pytest.fixture
def pro(user):
    """The `user` account on a plan with expiration."""
    return {**user, "user": accounts.set_plan(user["email"], "pro")}


@pytest.fixture
def other():
    """A second account with its own key."""
    accounts.create_user("mallory@example.com", "mallory password", "pro")
    return accounts.create_api_key("mallory@example.com", label="tests")[1]


def errors(response: dict) -> dict:
    return body(response)["errors"]


# ------------------------------------------------------------------ GET / PUT / DELETE /v3/items/{slug}


def test_given_an_item_when_fetched_then_the_seed_shape_and_the_management_fields(runner, user):
    item = ready_file(user["user"], "photo 1.png")
    response = call(runner, "V3GetItemFunction", f"/v3/items/{item.slug}", user["api_key"])
    assert response["statusCode"] == 200
    answer = body(response)
    assert SEED_FIELDS <= set(answer)
    assert answer["slug"] == item.slug and answer["name"] == "photo 1.png" and answer["long_link"] is True
    assert answer["share_url"] == f"{BASE}/{item.slug}{item.link_secret}"
    assert answer["content_url"] == f"{BASE}/{item.slug}{item.link_secret}/content/photo%201.png"
    assert (answer["favorite"], answer["expires_at"], answer["expires_after_views"], answer["status"]) == (
        False,
        None,
        None,
        "available",
    )


@pytest.mark.parametrize("slug", ["nosuchitem23", "x", "a" * 200])
def test_given_no_such_item_then_404_in_the_v3_format(runner, user, slug):
    response = call(runner, "V3GetItemFunction", f"/v3/items/{slug}", user["api_key"])
    assert response["statusCode"] == 404
    assert errors(response) == {"name": "slug", "message": "Item not found", "type": "not_found"}


def test_given_a_rename_and_a_short_link_then_share_url_changes_and_the_long_link_stops_matching(runner, user):
    item = ready_file(user["user"])
    response = call(
        runner,
        "V3UpdateItemFunction",
        f"/v3/items/{item.slug}",
        user["api_key"],
        "PUT",
        {"name": " new_name.png ", "long_link": False},
    )
    assert response["statusCode"] == 200
    answer = body(response)
    assert (answer["name"], answer["long_link"], answer["share_url"]) == ("new_name.png", False, f"{BASE}/{item.slug}")
    stored = items.get(item.slug)
    assert links.matches(stored, "") and not links.matches(stored, item.link_secret)
    assert answer["updated_at"] >= item.updated_at

    back = body(
        call(runner, "V3UpdateItemFunction", f"/v3/items/{item.slug}", user["api_key"], "PUT", {"long_link": True})
    )
    relinked = items.get(item.slug)
    assert back["share_url"] == f"{BASE}/{item.slug}{relinked.link_secret}"
    assert relinked.link_secret != item.link_secret  # the first long link never comes back
    assert not links.matches(relinked, "") and not links.matches(relinked, item.link_secret)


@pytest.mark.parametrize(
    "payload, raw, field",
    [
        ({"name": ""}, None, "name"),
        ({"name": "   "}, None, "name"),
        ({"name": "x" * 256}, None, "name"),
        ({"name": "a\nb"}, None, "name"),
        ({"name": 5}, None, "name"),
        ({"long_link": "no"}, None, "long_link"),
        ({"long_link": 0}, None, "long_link"),
        (None, "{nope", None),  # malformed JSON: 422, not 500
    ],
)
def test_given_a_bad_update_then_422_and_nothing_changes(runner, user, payload, raw, field):
    item = ready_file(user["user"])
    before = record(item.slug)
    response = call(runner, "V3UpdateItemFunction", f"/v3/items/{item.slug}", user["api_key"], "PUT", payload, raw=raw)
    assert response["statusCode"] == 422
    assert set(errors(response)) >= {"name", "message", "type"}
    assert field is None or errors(response)["name"] == field
    assert record(item.slug) == before


def test_given_a_delete_then_204_and_the_item_is_gone_from_v3_but_restorable(runner, user):
    item = ready_file(user["user"])
    response = call(runner, "V3DeleteItemFunction", f"/v3/items/{item.slug}", user["api_key"], "DELETE")
    assert (response["statusCode"], response["body"]) == (204, "")  # "", not null: SAM logs "empty body!" for null
    assert not {name.lower() for name in response["multiValueHeaders"]} & {"content-type"}
    assert call(runner, "V3GetItemFunction", f"/v3/items/{item.slug}", user["api_key"])["statusCode"] == 404
    assert (
        call(runner, "V3DeleteItemFunction", f"/v3/items/{item.slug}", user["api_key"], "DELETE")["statusCode"] == 404
    )
    listed = body(call(runner, "V3ListItemsFunction", "/v3/items", user["api_key"]))
    assert listed["data"] == [] and listed["meta"]["count"] == 0
    assert record(item.slug)["deleted_at"]["S"]  # soft: kept until the purge
    management.restore(accounts.find_user(user["email"]), item.slug)
    assert call(runner, "V3GetItemFunction", f"/v3/items/{item.slug}", user["api_key"])["statusCode"] == 200


# ------------------------------------------------------------------ favorites


def test_given_favorite_calls_then_the_flag_follows_them(runner, user):
    slug, key = bookmark(user["user"]).slug, user["api_key"]
    path = f"/v3/items/{slug}/favorite"

    def favorite() -> bool:
        response = call(runner, "V3GetFavoriteFunction", path, key)
        assert response["statusCode"] == 200
        return body(response)["favorite"]

    assert favorite() is False
    assert body(call(runner, "V3AddFavoriteFunction", path, key, "POST", {"favorite": True})) == {"favorite": True}
    assert favorite() is True
    assert body(call(runner, "V3AddFavoriteFunction", path, key, "POST", {"favorite": False})) == {"favorite": False}
    assert body(call(runner, "V3AddFavoriteFunction", path, key, "POST")) == {"favorite": True}  # no body: true
    assert body(call(runner, "V3GetItemFunction", f"/v3/items/{slug}", key))["favorite"] is True
    response = call(runner, "V3RemoveFavoriteFunction", path, key, "DELETE")
    assert response["statusCode"] == 204 and favorite() is False


@pytest.mark.parametrize("payload", [{"favorite": "yes"}, {"favorite": 1}, {"favorite": None}])
def test_given_a_bad_favorite_then_422_and_nothing_changes(runner, user, payload):
    slug = bookmark(user["user"]).slug
    before = record(slug)
    response = call(runner, "V3AddFavoriteFunction", f"/v3/items/{slug}/favorite", user["api_key"], "POST", payload)
    assert response["statusCode"] == 422 and errors(response)["name"] == "favorite"
    assert record(slug) == before


# ------------------------------------------------------------------ expiration


def test_given_an_expiration_then_it_is_shown_changed_field_by_field_and_removed(runner, pro):
    slug, key = bookmark(pro["user"]).slug, pro["api_key"]
    path = f"/v3/items/{slug}/expiration"
    response = call(
        runner,
        "V3SetExpirationFunction",
        path,
        key,
        "POST",
        {"expires_at": "2099-03-30T20:00:00+02:00", "expires_after_views": 10},
    )
    assert response["statusCode"] == 200
    assert body(response) == {"expires_at": "2099-03-30T18:00:00Z", "expires_after_views": 10}
    assert body(call(runner, "V3GetExpirationFunction", path, key)) == body(response)

    only_views = body(call(runner, "V3SetExpirationFunction", path, key, "POST", {"expires_after_views": None}))
    assert only_views == {"expires_at": "2099-03-30T18:00:00Z", "expires_after_views": None}
    untouched = body(call(runner, "V3SetExpirationFunction", path, key, "POST", {}))
    assert untouched == only_views

    assert call(runner, "V3RemoveExpirationFunction", path, key, "DELETE")["statusCode"] == 204
    assert body(call(runner, "V3GetExpirationFunction", path, key)) == {"expires_at": None, "expires_after_views": None}
    assert "due_at" not in record(slug)  # nothing left for the sweep to do


def test_given_an_expired_item_not_yet_purged_when_expiration_is_removed_then_it_is_available_again(runner, pro):
    slug, key = bookmark(pro["user"]).slug, pro["api_key"]
    call(runner, "V3SetExpirationFunction", f"/v3/items/{slug}/expiration", key, "POST", {"expires_after_views": 2})
    set_attributes(slug, view_counter=2, expired_at="2026-01-01T00:00:00Z")  # viewed out; the sweep made it final
    assert body(call(runner, "V3GetItemFunction", f"/v3/items/{slug}", key))["status"] == "expired"

    removed = call(runner, "V3RemoveExpirationFunction", f"/v3/items/{slug}/expiration", key, "DELETE")
    assert removed["statusCode"] == 204
    assert body(call(runner, "V3GetItemFunction", f"/v3/items/{slug}", key))["status"] == "available"
    assert "expired_at" not in record(slug)


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"expires_at": "2001-03-30T18:00:00Z"}, "expires_at"),
        ({"expires_at": "tomorrow"}, "expires_at"),
        ({"expires_at": "2099-13-45T00:00:00Z"}, "expires_at"),
        ({"expires_at": 1767225600}, "expires_at"),
        ({"expires_after_views": 0}, "expires_after_views"),
        ({"expires_after_views": -3}, "expires_after_views"),
        ({"expires_after_views": 2.5}, "expires_after_views"),
        ({"expires_after_views": "10"}, "expires_after_views"),
        ({"expires_after_views": True}, "expires_after_views"),
        ({"expires_at": "2099-01-01T00:00:00Z", "expires_after_views": 0}, "expires_after_views"),
    ],
)
def test_given_a_bad_expiration_then_422_and_nothing_changes(runner, pro, payload, field):
    slug = bookmark(pro["user"]).slug
    before = record(slug)
    response = call(runner, "V3SetExpirationFunction", f"/v3/items/{slug}/expiration", pro["api_key"], "POST", payload)
    assert response["statusCode"] == 422 and errors(response)["name"] == field
    assert record(slug) == before


def test_given_a_free_plan_when_setting_an_expiration_then_422_paid_feature_and_nothing_changes(runner, user):
    slug = bookmark(user["user"]).slug
    before = record(slug)
    response = call(
        runner,
        "V3SetExpirationFunction",
        f"/v3/items/{slug}/expiration",
        user["api_key"],
        "POST",
        {"expires_at": "2099-01-01T00:00:00Z"},
    )
    assert response["statusCode"] == 422
    assert errors(response)["message"] == "Expiration requires a paid plan. Upgrade to access this feature."
    assert errors(response)["feature"] == "expiration"
    assert record(slug) == before


# ------------------------------------------------------------------ nobody else's items

OWNER_SCOPED = [
    ("V3GetItemFunction", "", "GET", None),
    ("V3UpdateItemFunction", "", "PUT", {"name": "mine now", "long_link": False}),
    ("V3DeleteItemFunction", "", "DELETE", None),
    ("V3GetFavoriteFunction", "/favorite", "GET", None),
    ("V3AddFavoriteFunction", "/favorite", "POST", {"favorite": True}),
    ("V3RemoveFavoriteFunction", "/favorite", "DELETE", None),
    ("V3GetExpirationFunction", "/expiration", "GET", None),
    ("V3SetExpirationFunction", "/expiration", "POST", {"expires_at": "2099-01-01T00:00:00Z"}),
    ("V3RemoveExpirationFunction", "/expiration", "DELETE", None),
    ("V3ShareItemFunction", "/share", "POST", {"recipients": ["friend@example.com"]}),
]


@pytest.mark.parametrize("function, suffix, method, payload", OWNER_SCOPED, ids=[row[0] for row in OWNER_SCOPED])
def test_given_a_second_user_then_404_on_every_owner_scoped_route_and_nothing_changes(
    runner, pro, other, function, suffix, method, payload
):
    item = bookmark(pro["user"])
    management.update(pro["user"], item.slug, management.ItemChanges(favorite=True, expires_after_views=5))
    before = record(item.slug)
    response = call(runner, function, f"/v3/items/{item.slug}{suffix}", other, method, payload)
    assert response["statusCode"] == 404
    assert errors(response) == {"name": "slug", "message": "Item not found", "type": "not_found"}
    assert record(item.slug) == before


@pytest.mark.parametrize("function, suffix, method, payload", OWNER_SCOPED, ids=[row[0] for row in OWNER_SCOPED])
def test_given_a_missing_or_deleted_item_then_404_on_every_owner_scoped_route(
    runner, pro, function, suffix, method, payload
):
    deleted = bookmark(pro["user"])
    management.soft_delete(pro["user"], deleted.slug)
    before = record(deleted.slug)
    for slug in ("nosuchitem23", deleted.slug):
        response = call(runner, function, f"/v3/items/{slug}{suffix}", pro["api_key"], method, payload)
        assert response["statusCode"] == 404 and errors(response)["message"] == "Item not found"
    assert record(deleted.slug) == before


def test_given_a_second_user_then_the_listing_shows_none_of_the_first_users_items(runner, pro, other):
    bookmark(pro["user"])
    listed = body(call(runner, "V3ListItemsFunction", "/v3/items", other))
    assert listed["data"] == [] and listed["meta"]["count"] == 0


def test_given_json_labelled_as_a_form_then_415_in_the_v3_format_and_nothing_is_made(runner, user):
    # curl -X POST -d '{…}' without -H Content-Type labels the body as a form.
    created = runner.call(
        "V3CreateItemFunction",
        event(
            "/v3/items",
            "POST",
            {**bearer(user["api_key"]), "Content-Type": "application/x-www-form-urlencoded"},
            json.dumps({"bookmark_url": "https://example.com/"}),
        ),
    )
    assert created["statusCode"] == 415
    assert body(created)["errors"] == {
        "name": "Content-Type",
        "type": "unsupported_media_type",
        "message": "Send the body as JSON with Content-Type: application/json",
    }
    assert body(call(runner, "V3ListItemsFunction", "/v3/items", user["api_key"]))["data"] == []
