"""Bad input gets a 4xx in the route's dialect, never a 500; names and URLs follow one rule on every
route; JSON is read only from JSON-labelled bodies, and no other site's page can act on the APIs."""

from __future__ import annotations

import base64
import json

import pytest

from cloudshare.dialects import forms, pages
from cloudshare.services import accounts, management
from cloudshare.services.passwords import hash_password
from cloudshare.store import items
from cloudshare.store import public as public_store
from tests.unit import v1client as v1
from tests.unit.apigw import bearer, body, digest_header, event
from tests.unit.public_helpers import code, counted, header, page, request, shared_file
from tests.unit.v1client import stored_items
from tests.unit.v3_calls import bookmark, call, record

V3_BODY_ROUTES = [  # (function, method, path with {slug})
    ("V3CreateItemFunction", "POST", "/v3/items"),
    ("V3UpdateItemFunction", "PUT", "/v3/items/{slug}"),
    ("V3AddFavoriteFunction", "POST", "/v3/items/{slug}/favorite"),
    ("V3SetExpirationFunction", "POST", "/v3/items/{slug}/expiration"),
    ("V3ShareItemFunction", "POST", "/v3/items/{slug}/share"),
]
HUGE_NUMBER = '{"name": "a.txt", "file_size": ' + "9" * 5000 + "}"
DEEP_50K = '{"name": ' + "[" * 50_000 + "]" * 50_000 + "}"  # the input: larger than any JSON body
DEEP_10K = '{"name": ' + "[" * 10_000 + "]" * 10_000 + "}"  # within the size bound: refused for its depth


@pytest.fixture
def pro(user):
    return {**user, "user": accounts.set_plan(user["email"], "pro")}


def v3_raw(
    runner, function: str, method: str, path: str, key: str, text: str | None, content_type: str | None, slug: str = ""
) -> dict:
    headers = bearer(key) | ({"Content-Type": content_type} if content_type is not None else {})
    built = event(path.format(slug=slug), method, headers, text)
    built["pathParameters"] = {"slug": slug} if slug else None
    return runner.call(function, built)


def v1_raw(
    runner, function: str, method: str, path: str, key: str, text: str, content_type: str, slug: str = ""
) -> dict:
    built = event(path, method, bearer(key) | {"Content-Type": content_type}, text)
    built["pathParameters"] = {"slug": slug} if slug else None
    return runner.call(function, built)


def v3_error(response: dict, status: int) -> dict:
    assert response["statusCode"] == status, response
    errors = body(response)["errors"]
    assert set(errors) >= {"name", "message", "type"}
    return errors


def v1_error(response: dict, status: int) -> str:
    assert response["statusCode"] == status, response
    assert body(response)["status"] is False
    return body(response)["message"]


# ---------------------------------------------------------------- 11: 500s from bad input


def test_given_a_ticket_with_non_ascii_digits_then_it_counts_as_no_ticket_not_a_500(runner, user):
    # Given ?t=%C2%B2.x ('²'.isdigit() is True, int('²') fails) on the content and thumbnail links
    item = shared_file(user["user"])
    content = runner.call("PublicFunction", request(f"/{code(item)}/content/photo.png", query={"t": "².x"}))
    thumb = runner.call("PublicFunction", request(f"/{code(item)}/thumbnail", query={"t": "²1.x"}))
    # Then: answered as a link without a ticket (served, and counted as a view of its own)
    assert content["statusCode"] == 302 and thumb["statusCode"] in (200, 302)
    assert counted(item.slug).view_counter == 1


def test_given_a_non_ascii_grant_cookie_or_ticket_then_the_item_stays_locked_not_a_500(runner, user):
    item = shared_file(user["user"], "secret.png", password_hash=hash_password("open sesame"))
    cookie = {"Cookie": f"grant_{item.slug}=1999999999.éé"}
    locked = page(runner, item, headers=cookie, accept="application/json")
    assert locked["statusCode"] == 403 and body(locked)["errors"]["name"] == "password"
    browser = page(runner, item, headers=cookie)
    assert browser["statusCode"] == 403 and 'type="password"' in browser["body"]
    content = runner.call(
        "PublicFunction", request(f"/{code(item)}/content/secret.png", query={"t": "1999999999.é"}, headers=cookie)
    )
    assert content["statusCode"] == 403
    assert items.get(item.slug).view_counter == 0


def test_given_a_5000_digit_integer_in_json_then_4xx_in_each_dialect(runner, user):
    key = user["api_key"]
    v3 = v3_error(
        v3_raw(runner, "V3CreateItemFunction", "POST", "/v3/items", key, HUGE_NUMBER, "application/json"), 422
    )
    assert "digits" in v3["message"]
    assert "digits" in v1_error(
        v1_raw(runner, "V1CreateArtifactFunction", "POST", v1.ARTIFACTS, key, HUGE_NUMBER, "application/json"), 400
    )
    slug = v1.create_inline(runner, key)
    assert "digits" in v1_error(
        v1_raw(
            runner,
            "V1UpdateArtifactFunction",
            "PUT",
            f"{v1.ARTIFACTS}/{slug}",
            key,
            '{"version_name": ' + "1" * 5000 + "}",
            "application/json",
            slug,
        ),
        400,
    )
    assert len(stored_items()) == 2  # the inline artifact and its version: nothing else


@pytest.mark.parametrize(
    "document, status_v3, status_v1", [(DEEP_50K, 413, 413), (DEEP_10K, 422, 400)], ids=["50000-deep", "10000-deep"]
)
def test_given_deeply_nested_json_then_4xx_in_each_dialect(runner, user, document, status_v3, status_v1):
    key = user["api_key"]
    v3_error(v3_raw(runner, "V3CreateItemFunction", "POST", "/v3/items", key, document, "application/json"), status_v3)
    v1_error(
        v1_raw(runner, "V1CreateArtifactFunction", "POST", v1.ARTIFACTS, key, document, "application/json"), status_v1
    )
    assert stored_items() == []


def test_given_deep_or_huge_json_to_the_public_unlock_then_4xx_json_not_a_500(runner, user):
    item = shared_file(user["user"], "secret.png", password_hash=hash_password("open sesame"))
    for document in ('{"password": ' + "[" * 10_000 + "]" * 10_000 + "}", '{"password": ' + "7" * 5000 + "}"):
        response = runner.call(
            "PublicFunction",
            request(
                f"/{code(item)}/unlock",
                method="POST",
                body=document,
                accept="application/json",
                headers={"Content-Type": "application/json"},
            ),
        )
        assert response["statusCode"] == 422 and body(response)["errors"]["message"]


@pytest.mark.parametrize("function, method, path", V3_BODY_ROUTES, ids=[route[0] for route in V3_BODY_ROUTES])
def test_given_text_plain_on_a_v3_body_route_then_415_and_nothing_changes(runner, pro, function, method, path):
    item = bookmark(pro["user"])
    before = record(item.slug)
    response = v3_raw(
        runner, function, method, path, pro["api_key"], '{"favorite": false, "name": "x"}', "text/plain", item.slug
    )
    assert v3_error(response, 415) == {
        "name": "Content-Type",
        "type": "unsupported_media_type",
        "message": "Send the body as JSON with Content-Type: application/json",
    }
    assert record(item.slug) == before and len(stored_items()) == 1


def test_given_an_expiry_beyond_the_last_utc_date_then_4xx_in_each_dialect(runner, pro):
    # Given 9999-12-31T23:59:59-01:00: a valid ISO 8601 time in the year 10000 in UTC
    item = bookmark(pro["user"])
    response = call(
        runner,
        "V3SetExpirationFunction",
        f"/v3/items/{item.slug}/expiration",
        pro["api_key"],
        "POST",
        {"expires_at": "9999-12-31T23:59:59-01:00"},
    )
    assert v3_error(response, 422)["name"] == "expires_at"
    assert "expiration_date" in v1_error(
        v1.create(
            runner,
            pro["api_key"],
            {"version_name": "v1", "file_name": "a.txt", "expiration_date": "9999-12-31T23:59:59-01:00"},
        ),
        400,
    )
    assert items.get(item.slug).expiration_time is None and len(stored_items()) == 1


def test_given_a_lone_surrogate_escape_in_json_then_4xx_not_a_storage_500(runner, user):
    response = v3_raw(
        runner,
        "V3CreateItemFunction",
        "POST",
        "/v3/items",
        user["api_key"],
        '{"name": "a\\ud800.txt", "file_size": 3}',
        "application/json",
    )
    assert "surrogate" in v3_error(response, 422)["message"]
    assert stored_items() == []


def test_given_an_unforeseen_failure_while_parsing_then_a_4xx_in_the_dialect_logged_and_counted(
    runner, user, monkeypatch, capsys, caplog
):
    # Given parsers that fail in a way nobody wrote a check for (as int('²') and compare_digest did)
    def unforeseen(*_args, **_kwargs):
        raise TypeError("a parser met something it did not expect")

    item = shared_file(user["user"])
    monkeypatch.setattr(forms, "_unique", unforeseen)
    monkeypatch.setattr(pages, "cookies", unforeseen)
    v1_answer = v1.create(runner, user["api_key"], {"version_name": "v1", "file_name": "a.txt"})
    public = page(runner, item, accept="application/json")
    assert v1_error(v1_answer, 400) == "The request could not be read"
    assert v3_error(public, 422)["message"] == "The request could not be read"
    assert capsys.readouterr().out.count('"UnreadableInput":[1.0]') == 2
    assert [record.getMessage() for record in caplog.records].count("unreadable client input") == 2
    assert stored_items() == [record for record in stored_items() if item.slug in record["PK"]["S"]]


def test_given_a_server_bug_behind_a_parsed_request_then_it_stays_a_logged_500(
    runner, user, monkeypatch, capsys, caplog
):
    # Given a fault in the work after parsing (a ValueError, as unforeseen parse errors are): not masked as a 4xx
    item = bookmark(user["user"])

    def broken(_slug):
        raise ValueError("a record this code cannot read")

    monkeypatch.setattr(items, "get", broken)
    v3 = call(runner, "V3GetItemFunction", f"/v3/items/{item.slug}", user["api_key"])
    monkeypatch.setattr(public_store, "cached_item", lambda *_args, **_kwargs: broken(item.slug))
    public = page(runner, code(item), accept="application/json")
    browser = page(runner, code(item))
    assert v3["statusCode"] == 500 and body(v3)["errors"]["message"].startswith("Internal server error")
    assert public["statusCode"] == 500 and body(public)["errors"]["message"].startswith("Internal server error")
    assert browser["statusCode"] == 500 and "Something went wrong" in browser["body"]
    assert capsys.readouterr().out.count('"UnexpectedError":[1.0]') == 3
    logged = [record for record in caplog.records if record.getMessage() == "unexpected error"]
    assert len(logged) == 3 and all(record.exc_info for record in logged)


# ---------------------------------------------------------------- 12: one rule for names and URLs


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a b",
        "https://example.com/a\r\nSet-Cookie: x=1",
        "https://example.com/\ta",
        "https://exa mple.com/",
        "https://example.com/\x00",
        "https://example.com/a\u2028b",
        "https://example.com/a\x85b",
        "https://bü.example/",
        "https://example.com:port/",
        "javascript:alert(1)",
        "https://[::1/",
        "",
        "  ",
    ],
)
def test_given_a_bookmark_url_with_whitespace_or_controls_then_422_and_nothing_stored(runner, user, url):
    response = call(runner, "V3CreateItemFunction", "/v3/items", user["api_key"], "POST", {"bookmark_url": url})
    assert v3_error(response, 422)["name"] == "bookmark_url"
    assert stored_items() == []


def test_given_a_bookmark_url_with_non_ascii_path_then_it_is_stored_percent_encoded_and_redirects(runner, user):
    made = body(
        call(
            runner,
            "V3CreateItemFunction",
            "/v3/items",
            user["api_key"],
            "POST",
            {"bookmark_url": "  https://de.wikipedia.org/wiki/Müller?q=ä#ö  "},
        )
    )
    assert made["redirect_url"] == "https://de.wikipedia.org/wiki/M%C3%BCller?q=%C3%A4#%C3%B6"
    assert header(page(runner, made["share_url"].rsplit("/", 1)[1]), "Location") == made["redirect_url"]


BAD_NAMES = [
    "a\r\nb.txt",
    "a\nb.txt",
    "tab\there.txt",
    "nul\x00.txt",
    "line\u2028sep.txt",
    "report\u202etxt.exe",
    "c1\x85.txt",
    "   ",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_given_a_bad_name_then_every_v3_entry_point_refuses_it_with_422(runner, user, name):
    key = user["api_key"]
    upload = call(runner, "V3CreateItemFunction", "/v3/items", key, "POST", {"name": name, "file_size": 3})
    named_bookmark = call(
        runner, "V3CreateItemFunction", "/v3/items", key, "POST", {"bookmark_url": "https://example.com/", "name": name}
    )
    assert v3_error(upload, 422)["name"] == v3_error(named_bookmark, 422)["name"] == "name"
    item = bookmark(user["user"])
    rename = call(runner, "V3UpdateItemFunction", f"/v3/items/{item.slug}", key, "PUT", {"name": name})
    assert v3_error(rename, 422)["name"] == "name"
    assert items.get(item.slug).name == item.name and len(stored_items()) == 1


def _rfc2231_file(filename: str, data: bytes = b"hello") -> tuple[str, str]:
    """A multipart body whose file part names its file the way browsers escape odd names (RFC 2231),
    which the parser decodes back into the very characters (CR, LF, U+2028…)."""
    encoded = "".join(f"%{byte:02X}" for byte in filename.encode("utf-8"))
    raw = (
        b'--b\r\nContent-Disposition: form-data; name="version_name"\r\n\r\nv1\r\n'
        b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''"
        + encoded.encode()
        + b"\r\nContent-Type: text/plain\r\n\r\n"
        + data
        + b"\r\n--b--\r\n"
    )
    return base64.b64encode(raw).decode(), "multipart/form-data; boundary=b"


def _v1_multipart(
    runner, function: str, method: str, path: str, key: str, payload: tuple[str, str], slug: str = ""
) -> dict:
    built = event(path, method, bearer(key) | {"Content-Type": payload[1]}, payload[0])
    built["isBase64Encoded"] = True
    built["pathParameters"] = {"slug": slug} if slug else None
    return runner.call(function, built)


@pytest.mark.parametrize("name", BAD_NAMES)
def test_given_a_bad_name_then_every_v1_entry_point_refuses_it_with_400(runner, user, name):
    key = user["api_key"]
    slug = v1.create_inline(runner, key)
    before = stored_items()
    inline = _v1_multipart(runner, "V1CreateArtifactFunction", "POST", v1.ARTIFACTS, key, _rfc2231_file(name))
    presigned = v1.create(runner, key, {"version_name": "v1", "file_name": name})
    version = v1.create(runner, key, {"version_name": name, "file_name": "fine.txt"})
    new_inline = _v1_multipart(
        runner, "V1UpdateArtifactFunction", "PUT", f"{v1.ARTIFACTS}/{slug}", key, _rfc2231_file(name), slug
    )
    new_presigned = v1.update(runner, key, slug, {"file_name": name})
    for response in (inline, presigned, version, new_inline, new_presigned):
        assert "must not" in v1_error(response, 400)
    assert stored_items() == before


def test_given_names_with_emoji_and_joiners_then_they_are_accepted_trimmed(runner, user):
    name = "  family 👨‍👩‍👧 café.txt  "
    made = body(
        call(runner, "V3CreateItemFunction", "/v3/items", user["api_key"], "POST", {"name": name, "file_size": 3})
    )
    assert made["name"] == name.strip()


# ---------------------------------------------------------------- 15: JSON only when labelled JSON; no cross-site acts


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]
)
def test_given_a_json_body_not_labelled_json_then_415_in_each_dialect_and_nothing_changes(runner, user, content_type):
    # These are the types (or no type) a page on another site can send without a CORS preflight.
    key = user["api_key"]
    slug = v1.create_inline(runner, key)
    before = stored_items()
    text = json.dumps({"bookmark_url": "https://example.com/", "is_published": False})
    created = v3_raw(runner, "V3CreateItemFunction", "POST", "/v3/items", key, text, content_type)
    assert v3_error(created, 415)["name"] == "Content-Type"
    built = event(
        f"{v1.ARTIFACTS}/{slug}",
        "PUT",
        bearer(key) | ({"Content-Type": content_type} if content_type is not None else {}),
        text,
    )
    updated = runner.call("V1UpdateArtifactFunction", {**built, "pathParameters": {"slug": slug}})
    assert updated["statusCode"] in (400, 415) and body(updated)["status"] is False
    assert stored_items() == before


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"],
)
def test_given_json_labelled_json_then_both_dialects_read_it(runner, user, content_type):
    key = user["api_key"]
    created = v3_raw(
        runner,
        "V3CreateItemFunction",
        "POST",
        "/v3/items",
        key,
        json.dumps({"bookmark_url": "https://example.com/"}),
        content_type,
    )
    assert created["statusCode"] == 200 and body(created)["redirect_url"] == "https://example.com/"
    slug = v1.create_inline(runner, key)
    updated = v1_raw(
        runner,
        "V1UpdateArtifactFunction",
        "PUT",
        f"{v1.ARTIFACTS}/{slug}",
        key,
        json.dumps({"is_published": False}),
        content_type,
        slug,
    )
    assert updated["statusCode"] == 200 and management.owned(user["user"], slug).is_published is False


def test_given_an_empty_form_post_to_favorite_then_415_not_marked(runner, user):
    # An empty <form method=post> is the simplest request another site can make; no body means true.
    item = bookmark(user["user"])
    response = v3_raw(
        runner,
        "V3AddFavoriteFunction",
        "POST",
        "/v3/items/{slug}/favorite",
        user["api_key"],
        "",
        "application/x-www-form-urlencoded",
        item.slug,
    )
    assert v3_error(response, 415)["name"] == "Content-Type"
    assert items.get(item.slug).favorite is False
    no_body = v3_raw(
        runner, "V3AddFavoriteFunction", "POST", "/v3/items/{slug}/favorite", user["api_key"], None, None, item.slug
    )  # curl -X POST without -d: the seed's way
    assert no_body["statusCode"] == 200 and items.get(item.slug).favorite is True


def _digest_request(runner, user, function: str, built: dict) -> dict:
    """The request as a browser would replay it with remembered Digest credentials."""
    challenge = next(
        value for value in runner.call(function, built)["multiValueHeaders"]["WWW-Authenticate"] if "SHA-256" in value
    )
    built["headers"]["Authorization"] = digest_header(
        challenge, user["email"], user["password"], built["httpMethod"], built["path"]
    )
    built["multiValueHeaders"]["Authorization"] = [built["headers"]["Authorization"]]
    return runner.call(function, built)


@pytest.mark.parametrize(
    "labels",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://other.example.com"},
    ],
)
def test_given_a_cross_site_browser_request_with_remembered_digest_then_403_and_nothing_changes(runner, user, labels):
    item = bookmark(user["user"])
    slug = v1.create_inline(runner, user["api_key"])
    before = stored_items()
    favorite = event(f"/v3/items/{item.slug}/favorite", "POST", labels)
    restore = event(f"{v1.ARTIFACTS}/{slug}/restore", "POST", labels | {"Content-Type": "multipart/form-data"})
    payload, content_type = v1.multipart({"version_name": "v1"}, {"file": ("a.txt", b"hi")})
    create = event(v1.ARTIFACTS, "POST", labels | {"Content-Type": content_type}, payload)
    create["isBase64Encoded"] = True
    for function, built in (
        ("V3AddFavoriteFunction", {**favorite, "pathParameters": {"slug": item.slug}}),
        ("V1RestoreArtifactFunction", {**restore, "pathParameters": {"slug": slug}}),
        ("V1CreateArtifactFunction", create),
    ):
        response = runner.call(function, built)
        assert response["statusCode"] == 403, response  # refused before any credentials are asked for
    assert items.get(item.slug).favorite is False and stored_items() == before


def test_given_the_same_origin_or_no_browser_labels_then_digest_requests_act(runner, user):
    # Given the upload page's own fetches (same origin, also behind a proxy), and curl (no labels at all)
    item = bookmark(user["user"])
    same_origin = {
        "Origin": "https://api.example.com",
        "Sec-Fetch-Site": "same-origin",
        "Content-Type": "application/json",
    }
    behind_a_proxy = same_origin | {"Origin": "https://files.example.org"}  # a CDN that rewrites Host
    for labels in (same_origin, behind_a_proxy, {"Content-Type": "application/json"}):
        built = {
            **event(f"/v3/items/{item.slug}/favorite", "POST", labels, json.dumps({"favorite": True})),
            "pathParameters": {"slug": item.slug},
        }
        assert _digest_request(runner, user, "V3AddFavoriteFunction", built)["statusCode"] == 200
    assert items.get(item.slug).favorite is True
