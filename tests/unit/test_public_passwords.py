"""Password-protected items: a form and a JSON way, a signed grant cookie, attempts limited per client."""

import json

import boto3

from cloudshare.services import accounts, clock, share_tokens, throttle
from cloudshare.services.passwords import hash_password
from cloudshare.store import public
from tests.unit import v1client, v3_calls
from tests.unit.public_helpers import (
    PASSWORD,
    change,
    code,
    cookie_of,
    header,
    page,
    protected,
    request,
    shared_file,
    ticket_of,
    unlock,
)


def test_given_a_protected_item_then_the_page_is_a_form_and_nothing_is_counted(runner, user):
    item = protected(user)
    response = page(runner, item)
    assert response["statusCode"] == 403
    assert f'action="https://api.example.com/{code(item)}/unlock"' in response["body"]
    assert 'type="password"' in response["body"] and 'id="preview"' not in response["body"]
    as_json = json.loads(page(runner, item, accept="application/json")["body"])
    assert as_json["errors"]["name"] == "password" and "content_url" not in as_json
    content = runner.call("PublicFunction", request(f"/{code(item)}/content/secret.png"))
    assert content["statusCode"] == 403 and header(content, "Location") is None


def test_given_a_wrong_password_then_403_without_a_hint_and_no_cookie(runner, user):
    item = protected(user)
    response = unlock(runner, item, "open sesamE")
    assert response["statusCode"] == 403 and header(response, "Set-Cookie") is None
    assert "Wrong password." in response["body"]
    as_json = unlock(runner, item, "", as_json=True)
    assert as_json["statusCode"] == 403
    assert json.loads(as_json["body"])["errors"]["message"] == "Wrong password."


def test_given_a_grant_then_its_views_read_the_item_once_per_cache_period_not_once_per_view(runner, user, monkeypatch):
    """A protected link's views scale as an open link's: the grant is checked against the instance's
    cached item (docs/scale-and-cost.md), so 20 views within one cache period cost one read and 20 shard
    writes. The instance's clock stands still: on a loaded machine 20 views can outlast the period."""
    from devtools.awscalls import counting

    monkeypatch.setattr(public, "_monotonic", lambda: 1000.0)
    item = protected(user)
    cookie = cookie_of(unlock(runner, item, PASSWORD))
    public.forget_cached_items()
    with counting() as calls:
        for _ in range(20):
            assert page(runner, item, headers={"Cookie": cookie})["statusCode"] == 200
    assert {name: count for name, count in calls.calls.items() if name.startswith("dynamodb")} == {
        "dynamodb.GetItem": 1,
        "dynamodb.UpdateItem": 20,
    }


def test_given_the_right_password_then_a_scoped_grant_cookie_opens_the_page(runner, user):
    item = protected(user)
    response = unlock(runner, item, PASSWORD)
    assert response["statusCode"] == 303 and header(response, "Location") == f"https://api.example.com/{code(item)}"
    cookie = header(response, "Set-Cookie")
    assert f"Path=/{code(item)}" in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert f"Max-Age={share_tokens.GRANT_SECONDS}" in cookie
    opened = page(runner, item, headers={"Cookie": f"theme=dark; {cookie_of(response)}"})
    assert opened["statusCode"] == 200 and 'id="preview"' in opened["body"]


def test_given_an_api_client_then_json_unlock_gives_the_grant(runner, user):
    item = protected(user)
    response = unlock(runner, item, PASSWORD, as_json=True)
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["unlocked"] is True and body["cookie"] == f"grant_{item.slug}"
    opened = page(runner, item, accept="application/json", headers={"Cookie": f"{body['cookie']}={body['grant']}"})
    assert opened["statusCode"] == 200 and json.loads(opened["body"])["view_counter"] == 1


def test_given_a_grant_for_another_item_or_an_old_one_then_it_opens_nothing(runner, user, monkeypatch):
    item, other = protected(user), protected(user)
    cookie = cookie_of(unlock(runner, other, PASSWORD)).replace(other.slug, item.slug)
    assert page(runner, item, headers={"Cookie": cookie})["statusCode"] == 403
    own = cookie_of(unlock(runner, item, PASSWORD))
    later = clock.now() + share_tokens.GRANT_SECONDS + 1
    monkeypatch.setattr(clock, "now", lambda: later)
    assert page(runner, item, headers={"Cookie": own})["statusCode"] == 403


def test_given_many_wrong_passwords_from_one_client_then_429_with_backoff_while_others_wait_seconds_at_most(
    runner, user, frozen
):
    item = protected(user)
    statuses = [unlock(runner, item, f"guess {n}")["statusCode"] for n in range(30)]
    assert statuses == [403] * (throttle.free_failures() + 1) + [429] * (30 - throttle.free_failures() - 1)
    limited = unlock(runner, item, PASSWORD)
    assert limited["statusCode"] == 429 and int(header(limited, "Retry-After")) == 1
    as_json = unlock(runner, item, PASSWORD, as_json=True)
    assert as_json["statusCode"] == 429
    assert json.loads(as_json["body"])["errors"]["message"] == "Too many failed attempts. Try again in 1 s."
    # Another client, with no failures of its own, waits at most CLEAN_SOURCE_SECONDS for the item.
    other = unlock(runner, item, PASSWORD, client_ip="203.0.113.9")
    assert other["statusCode"] in (303, 429)
    assert int(header(other, "Retry-After") or 0) <= throttle.CLEAN_SOURCE_SECONDS
    frozen[0] += 1
    assert unlock(runner, item, PASSWORD)["statusCode"] == 303
    assert unlock(runner, item, PASSWORD, client_ip="203.0.113.9")["statusCode"] == 303
    counters = boto3.client("dynamodb").scan(
        TableName="cloudshare-test",
        FilterExpression="begins_with(PK, :p)",
        ExpressionAttributeValues={":p": {"S": "THROTTLE#"}},
    )["Items"]
    assert sorted(int(c["failures"]["N"]) for c in counters) == [6, 6]  # the item and the client
    assert all(int(c["expires_at"]["N"]) > clock.now() for c in counters)  # the table's TTL removes them
    assert "198.51.100.7" not in str(counters)  # client addresses are not stored


def test_given_the_password_is_removed_then_the_item_opens_without_one(runner, user):
    item = change(protected(user), password_hash=None)
    assert page(runner, item)["statusCode"] == 200


def test_given_a_grant_when_the_owner_changes_the_password_then_the_grant_ends_within_the_cache_bound(runner, user):
    accounts.set_plan(user["email"], "pro")
    item = protected(user)
    cookie = cookie_of(unlock(runner, item, PASSWORD))
    assert page(runner, item, headers={"Cookie": cookie})["statusCode"] == 200
    changed = v1client.update(runner, user["api_key"], item.slug, json_body={"password": "a new one"})
    assert changed["statusCode"] == 200, changed
    # A grant for the new password opens at once (what the cached item refuses, the item as it is now decides).
    assert page(runner, item, headers={"Cookie": cookie_of(unlock(runner, item, "a new one"))})["statusCode"] == 200
    public.forget_cached_items()  # ITEM_CACHE_SECONDS later: the old grant is checked against the new password
    refused = page(runner, item, headers={"Cookie": cookie}, accept="application/json")
    assert refused["statusCode"] == 403 and json.loads(refused["body"])["errors"]["name"] == "password"
    content = runner.call("PublicFunction", request(f"/{code(item)}/content/secret.png", headers={"Cookie": cookie}))
    assert content["statusCode"] == 403 and header(content, "Location") is None


def test_given_a_grant_when_the_owner_switches_or_rotates_the_link_then_the_new_link_asks_again(runner, user):
    item = protected(user)
    cookie = cookie_of(unlock(runner, item, PASSWORD))

    def link_form(long_link: bool) -> str:
        answer = v3_calls.call(
            runner, "V3UpdateItemFunction", f"/v3/items/{item.slug}", user["api_key"], "PUT", {"long_link": long_link}
        )
        assert answer["statusCode"] == 200, answer
        return json.loads(answer["body"])["share_url"].rpartition("/")[2]

    assert page(runner, link_form(False), headers={"Cookie": cookie})["statusCode"] == 403
    rotated = link_form(True)
    assert rotated != code(item)
    assert page(runner, rotated, headers={"Cookie": cookie})["statusCode"] == 403


def test_given_a_page_ticket_when_the_owner_then_sets_a_password_then_the_ticket_opens_nothing(runner, user):
    accounts.set_plan(user["email"], "pro")
    item = shared_file(user["user"], "open.png")
    shown = json.loads(page(runner, item, accept="application/json")["body"])
    query = ticket_of(shown["content_url"])
    protect = v1client.update(runner, user["api_key"], item.slug, json_body={"password": PASSWORD})
    assert protect["statusCode"] == 200, protect
    public.forget_cached_items()  # past the bound on instances' item caches (public.ITEM_CACHE_SECONDS)
    for function, path in (("PublicFunction", "content"), ("PublicFunction", "download")):
        response = runner.call(function, request(f"/{code(item)}/{path}/open.png", query=query))
        assert response["statusCode"] == 403 and header(response, "Location") is None, function
    assert int(v3_calls.record(item.slug)["download_counter"]["N"]) == 0


def test_given_a_ticket_of_a_protected_item_then_it_works_until_the_password_changes(runner, user):
    item = protected(user)
    cookie = cookie_of(unlock(runner, item, PASSWORD))
    shown = json.loads(page(runner, item, accept="application/json", headers={"Cookie": cookie})["body"])
    query = ticket_of(shown["remote_url"])
    download = f"/{code(item)}/download/secret.png"
    assert runner.call("PublicFunction", request(download, query=query))["statusCode"] == 302
    change(item, password_hash=hash_password(PASSWORD))  # the same password, set again: a new generation
    assert runner.call("PublicFunction", request(download, query=query))["statusCode"] == 403
