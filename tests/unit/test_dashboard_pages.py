"""Dashboard pages and forms: the owner's items from their listing partitions (search, filters,
orders, trash, pages), the item forms, API keys; another user's items are invisible everywhere."""

import json
import re

import boto3
import pytest

from cloudshare.services import accounts, clock, management, uploads
from cloudshare.services.management import ItemChanges
from cloudshare.store import items
from tests.unit.apigw import bearer, event
from tests.unit.dashboard_client import Browser, location
from tests.unit.helpers import BUCKET, ready_file


def _slugs(page: dict) -> list[str]:
    grid = page["body"].split('id="grid"')[1].split("</ul>")[0]
    return re.findall(r'data-slug="([^"]+)"', grid)


@pytest.fixture
def signed_in(runner, user):
    browser = Browser(runner)
    browser.sign_in(user["email"], user["password"])
    return browser


@pytest.fixture
def pro(user):
    accounts.set_plan(user["email"], "pro")
    return accounts.find_user(user["email"])


def test_given_items_then_search_filters_orders_and_pages_list_them_as_the_owner_asks(signed_in, pro):
    made = [ready_file(pro, name) for name in ("Holiday.PNG", "report.pdf", "holiday-2.png", "notes.txt")]
    management.set_favorite(pro, made[1].slug, True)
    management.update(pro, made[3].slug, ItemChanges(is_published=False))
    newest_first = [item.slug for item in reversed(made)]
    assert _slugs(signed_in.get("/dashboard")) == newest_first
    assert _slugs(signed_in.get("/dashboard?order=asc")) == newest_first[::-1]
    assert _slugs(signed_in.get("/dashboard?q=HOLIDAY")) == [made[2].slug, made[0].slug]  # any case
    assert _slugs(signed_in.get("/dashboard?filter=favorites")) == [made[1].slug]
    assert made[3].slug not in _slugs(signed_in.get("/dashboard?filter=published"))
    management.soft_delete(pro, made[0].slug)
    assert _slugs(signed_in.get("/dashboard?filter=trash")) == [made[0].slug]
    assert made[0].slug not in _slugs(signed_in.get("/dashboard"))
    for order in management.SORT_FIELDS:
        assert sorted(_slugs(signed_in.get(f"/dashboard?sort_by={order}"))) == sorted(newest_first[:3])


def test_given_more_items_than_a_page_then_pages_follow_one_another_without_gaps(signed_in, pro):
    made = [ready_file(pro, f"f{n}.txt").slug for n in range(30)]
    first = signed_in.get("/dashboard")
    assert len(_slugs(first)) == 24 and 'id="next"' in first["body"]
    second = signed_in.get("/dashboard?page=2")
    assert 'id="next"' not in second["body"] and 'id="previous"' in second["body"]
    assert _slugs(first) + _slugs(second) == made[::-1]


def test_given_an_expired_item_then_the_expired_filter_finds_it(signed_in, pro, monkeypatch):
    kept, lapsing = ready_file(pro, "kept.txt"), ready_file(pro, "lapsing.txt")
    management.update(pro, lapsing.slug, ItemChanges(expiration_time=clock.iso(clock.now() + 60)))
    assert _slugs(signed_in.get("/dashboard?filter=expired")) == []
    later = clock.now() + 120
    monkeypatch.setattr(clock, "now", lambda: later)
    assert _slugs(signed_in.get("/dashboard?filter=expired")) == [lapsing.slug]
    assert kept.slug in _slugs(signed_in.get("/dashboard"))


@pytest.mark.parametrize(
    "query", ["filter=everything", "sort_by=size", "order=up", "page=0", "page=x", "q=" + "a" * 300]
)
def test_given_a_bad_listing_question_then_a_clear_422_page(signed_in, query):
    refused = signed_in.get(f"/dashboard?{query}")
    assert refused["statusCode"] == 422 and "<h1" in refused["body"]


def test_given_the_item_forms_then_rename_expiry_password_sharing_delete_and_restore_work(signed_in, pro):
    item = ready_file(pro, "before.txt")
    page = f"/dashboard/items/{item.slug}"
    assert signed_in.get(page)["statusCode"] == 200
    steps = [
        ({"action": "rename", "name": "after.txt"}, lambda found: found.name == "after.txt"),
        (
            {"action": "expiry", "expires_at": "2099-01-01T10:30", "expires_after_views": "5"},
            lambda found: (found.expiration_time, found.expires_after_views) == ("2099-01-01T10:30:00Z", 5),
        ),
        ({"action": "expiry"}, lambda found: found.expiration_time is None and found.expires_after_views is None),
        ({"action": "password", "password": "s3cret pass"}, lambda found: found.password_hash is not None),
        ({"action": "password", "remove": "on"}, lambda found: found.password_hash is None),
        ({"action": "sharing", "allow_downloads": "on"}, lambda found: not found.is_published),
        ({"action": "favorite", "favorite": "on"}, lambda found: found.favorite),
    ]
    for fields, check in steps:
        response = signed_in.post(page, fields)
        assert response["statusCode"] == 303 and location(response).endswith(f"{page}?done={fields['action']}")
        assert check(items.get(item.slug)), fields
    assert "Renamed." not in signed_in.get(page)["body"]
    assert signed_in.post(f"{page}/delete")["statusCode"] == 303 and items.get(item.slug).deleted_at
    trashed = signed_in.get(page)
    assert 'id="restore"' in trashed["body"]
    assert signed_in.post(f"{page}/restore")["statusCode"] == 303 and items.get(item.slug).deleted_at is None


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "rename", "name": ""},
        {"action": "expiry", "expires_at": "soon"},
        {"action": "expiry", "expires_after_views": "0"},
        {"action": "expiry", "expires_after_views": "many"},
        {"action": "password"},
        {"action": "explode"},
    ],
)
def test_given_a_bad_form_then_a_clear_error_page_and_nothing_changes(signed_in, pro, fields):
    item = ready_file(pro, "stay.txt")
    refused = signed_in.post(f"/dashboard/items/{item.slug}", fields)
    assert refused["statusCode"] == 422 and 'id="message"' in refused["body"]
    assert items.get(item.slug) == item


def test_given_a_free_plan_then_paid_features_are_refused_with_their_reason(signed_in, user):
    item = ready_file(user["user"])
    refused = signed_in.post(f"/dashboard/items/{item.slug}", {"action": "password", "password": "s3cret pass"})
    assert refused["statusCode"] == 403 and "requires a paid plan" in refused["body"]


def test_given_another_users_items_then_every_page_and_form_acts_as_if_they_did_not_exist(runner, signed_in, user):
    mallory = accounts.create_user("mallory@example.com", "mallory password", "pro")
    theirs = ready_file(mallory, "private.txt")
    trashed = ready_file(mallory, "binned.txt")
    management.soft_delete(mallory, trashed.slug)
    assert theirs.slug not in signed_in.get("/dashboard")["body"]
    assert trashed.slug not in signed_in.get("/dashboard?filter=trash")["body"]
    assert signed_in.get(f"/dashboard/items/{theirs.slug}")["statusCode"] == 404
    assert signed_in.get(f"/dashboard/items/{trashed.slug}")["statusCode"] == 404
    for path, fields in (
        (f"/dashboard/items/{theirs.slug}", {"action": "rename", "name": "mine.txt"}),
        (f"/dashboard/items/{theirs.slug}/delete", {}),
        (f"/dashboard/items/{trashed.slug}/restore", {}),
    ):
        refused = signed_in.post(path, fields)
        assert refused["statusCode"] == 404 and "private.txt" not in refused["body"], path
    assert items.get(theirs.slug) == theirs and items.get(trashed.slug).deleted_at
    _, their_key = accounts.create_api_key(mallory.email)
    key_id = their_key.split("_")[1]
    assert signed_in.post(f"/dashboard/keys/{key_id}/revoke")["statusCode"] == 404
    assert key_id not in signed_in.get("/dashboard/account")["body"]
    assert runner.call("V3AccountFunction", event("/v3/account", headers=bearer(their_key)))["statusCode"] == 200


def test_given_a_new_api_key_then_it_is_shown_once_works_and_stops_when_revoked(runner, signed_in):
    created = signed_in.post("/dashboard/keys", {"label": "laptop"})
    key = re.search(r'id="new-key">(csk_[^<]+)<', created["body"]).group(1)
    assert runner.call("V3AccountFunction", event("/v3/account", headers=bearer(key)))["statusCode"] == 200
    account = signed_in.get("/dashboard/account")
    assert key not in account["body"] and "laptop" in account["body"]
    key_id = key.split("_")[1]
    assert signed_in.post(f"/dashboard/keys/{key_id}/revoke")["statusCode"] == 303
    assert runner.call("V3AccountFunction", event("/v3/account", headers=bearer(key)))["statusCode"] == 403


def test_given_the_account_page_then_plan_and_usage_against_its_limits(signed_in, user):
    ready_file(user["user"], "a.txt", b"x" * 2048)
    page = signed_in.get("/dashboard/account")["body"]
    assert 'id="plan">Free<' in page and "Items: 1 of 50" in page and "Storage: 2.0 KB of 1.0 GB" in page


def test_given_a_dropped_file_then_its_presigned_post_lands_and_the_item_is_ready_for_the_grid(signed_in, user):
    """What the page's upload script does, step by step: a ticket, the POST to S3, the settled item."""
    ticket = signed_in.post(
        "/dashboard/uploads", {"name": "dropped.txt", "file_size": "5"}, headers={"Accept": "application/json"}
    )
    assert ticket["statusCode"] == 200
    answer = json.loads(ticket["body"])
    assert answer["fields"]["key"] == uploads.object_key(answer["slug"])
    boto3.client("s3").put_object(Bucket=BUCKET, Key=answer["fields"]["key"], Body=b"hello")
    finished = signed_in.get(f"/dashboard/uploads/{answer['slug']}", Accept="application/json")
    card = json.loads(finished["body"])
    assert finished["statusCode"] == 200 and (card["name"], card["state"]) == ("dropped.txt", "available")
    assert card["thumbnail_url"].endswith("/thumbnail") and answer["slug"] in _slugs(signed_in.get("/dashboard"))


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "a.txt"},
        {"name": "a.txt", "file_size": "-1"},
        {"name": "a.txt", "file_size": "lots"},
        {"name": "", "file_size": "5"},
        {"name": "a.txt", "file_size": str(10**12)},
    ],
)
def test_given_a_bad_upload_request_then_a_json_refusal_and_no_item(signed_in, user, fields):
    refused = signed_in.post("/dashboard/uploads", fields, headers={"Accept": "application/json"})
    assert refused["statusCode"] in (403, 413, 422) and json.loads(refused["body"])["errors"]["message"]
    assert accounts.find_user(user["email"]).item_count == 0 and _slugs(signed_in.get("/dashboard")) == []


def test_given_hostile_cookies_tokens_forms_and_queries_then_no_dashboard_route_answers_5xx(runner, signed_in, pro):
    """The fuzzer's hostile inputs (devtools/fuzz.py) against every dashboard route, signed in or not."""
    from hypothesis import given
    from hypothesis import strategies as st

    from devtools import fuzz

    slug = ready_file(pro, "fuzzed.txt").slug
    routes = [(method, re.sub(r"\{\w+\}", slug, path)) for method, _, _, path in signed_in.routes]
    keep = dict(signed_in.cookies)

    @fuzz.hunting(60)
    @given(
        route=st.sampled_from(routes),
        session=st.one_of(st.just(keep["cs_session"]), fuzz.tokens()),
        csrf=st.one_of(st.just(signed_in.csrf), fuzz.tokens()),
        field=fuzz.header_text(),
        query=fuzz.header_text(),
        json_client=st.booleans(),
    )
    def answers_every_request(route, session, csrf, field, query, json_client):
        method, path = route
        signed_in.cookies = {**keep, "cs_session": session, "cs_login": csrf}
        headers = {"Accept": "application/json"} if json_client else {}
        if method == "GET":
            response = signed_in.request("GET", f"{path}?q={field}&page={query}&filter={query}", headers=headers)
        else:
            fields = {
                "csrf": csrf,
                "action": query,
                "name": field,
                "expires_at": field,
                "expires_after_views": query,
                "password": field,
                "email": field,
                "label": field,
                "file_size": query,
                "code": field,
                "secret": field,
                "pending": field,
            }
            response = signed_in.request("POST", path, fields, headers)
        assert response["statusCode"] < 500, (route, response)

    try:
        answers_every_request()
    finally:
        signed_in.cookies = keep
