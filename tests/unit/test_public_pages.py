"""GET /{code}: the share page (HTML), the item as JSON, and the rules every public request obeys."""

import json
import re

import boto3
import pytest

from cloudshare.config import settings
from cloudshare.services import accounts, links, uploads
from cloudshare.services.passwords import hash_password
from cloudshare.store import items
from tests.unit.apigw import bearer, event
from tests.unit.public_helpers import (
    BROWSER,
    change,
    code,
    counted,
    deliver_thumbnail_requests,
    header,
    page,
    png,
    request,
    shared_file,
)


def test_given_a_shared_image_when_a_browser_opens_the_link_then_a_page_with_preview_download_and_views(runner, user):
    item = shared_file(user["user"], "Holiday photo.png")
    response = page(runner, item)
    assert response["statusCode"] == 200
    assert header(response, "Content-Type").startswith("text/html")
    html = response["body"]
    assert '<h1 id="name">Holiday photo.png</h1>' in html
    preview = re.search(r'<img id="preview" src="([^"]+)"', html).group(1)
    assert preview.startswith(f"https://api.example.com/{code(item)}/content/Holiday%20photo.png?t=")
    assert re.search(r'<a id="download" class="button" href="[^"]+/download/Holiday%20photo.png\?t=', html)
    assert "1 view<" in html and counted(item.slug).view_counter == 1
    assert "script-src 'none'" in header(response, "Content-Security-Policy")
    assert header(response, "Referrer-Policy") == "no-referrer"  # the long link's secret stays in the address bar


def test_given_an_api_client_when_it_asks_for_json_then_the_v3_item_with_this_views_links(runner, user):
    item = shared_file(user["user"], "a.png")
    response = page(runner, item, accept="application/json")
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["slug"] == item.slug and body["share_url"] == f"https://api.example.com/{code(item)}"
    assert body["view_counter"] == 1 and body["item_type"] == "image" and body["downloads_allowed"] is True
    assert re.fullmatch(rf"https://api.example.com/{code(item)}/content/a.png\?t=\d+\.[\w-]+", body["content_url"])
    assert "/download/a.png?t=" in body["remote_url"]


def test_given_owner_only_facts_then_a_visitor_gets_only_the_public_shape(runner, user):
    uploader = "cloudshare-cli/1.0 (alice-work-laptop; build 42)"
    item = shared_file(user["user"], "a.png", source=uploader, favorite=True, expires_after_views=5)
    shown = json.loads(page(runner, item, accept="application/json")["body"])
    assert set(shown) == {
        "slug",
        "name",
        "item_type",
        "content_type",
        "file_size",
        "view_counter",
        "share_url",
        "content_url",
        "remote_url",
        "thumbnail_url",
        "redirect_url",
        "downloads_allowed",
    }
    assert (shown["content_type"], shown["file_size"]) == ("image/png", item.size)
    assert uploader not in page(runner, item)["body"]  # nor on the page


FORGED = {
    "Host": "evil.example",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "http",
    "Forwarded": "host=evil.example;proto=http",
}


@pytest.mark.parametrize(
    "configured, context, expected",
    [
        (None, {"domainName": "api.example.com"}, "https://api.example.com"),  # a custom domain: no stage in paths
        (
            None,
            {"domainName": "abc123.execute-api.eu-west-1.amazonaws.com", "stage": "prod"},
            "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        ),
        (
            None,
            {"domainName": None, "apiId": "abc123", "stage": "prod"},
            "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
        ),  # the API's own stage URL
        ("https://share.example.com/", {"domainName": "api.example.com"}, "https://share.example.com"),
    ],
)
def test_given_a_forged_host_then_api_links_come_only_from_configuration_or_api_gateway(
    runner, user, monkeypatch, configured, context, expected
):
    if configured:
        monkeypatch.setenv("PUBLIC_BASE_URL", configured)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    settings.cache_clear()
    built = event(
        "/v3/items",
        "POST",
        {**bearer(user["api_key"]), **FORGED, "Content-Type": "application/json"},
        json.dumps({"name": "b.png"}),
    )
    built["requestContext"].update(context)
    answer = json.loads(runner.call("V3CreateItemFunction", built)["body"])
    assert answer["s3"]["success_action_redirect"] == f"{expected}/v3/items/{answer['slug']}/s3"


def test_given_a_share_host_then_the_api_links_items_there_and_itself_on_its_own_host(runner, user, monkeypatch):
    """Share links live on the public function URL (SHARE_BASE_URL, from the template), while the
    API's own links (S3 redirect, list cursors) stay on the API's host."""
    monkeypatch.setenv("SHARE_BASE_URL", "https://abc123xyz.lambda-url.us-east-1.on.aws/")
    settings.cache_clear()
    key = bearer(user["api_key"])
    made = [
        json.loads(
            runner.call(
                "V3CreateItemFunction",
                event(
                    "/v3/items",
                    "POST",
                    {**key, "Content-Type": "application/json"},
                    json.dumps({"bookmark_url": f"https://example.com/{n}"}),
                ),
            )["body"]
        )
        for n in range(2)
    ][-1]
    assert made["share_url"].startswith(f"https://abc123xyz.lambda-url.us-east-1.on.aws/{made['slug']}")
    upload = json.loads(
        runner.call(
            "V3CreateItemFunction",
            event("/v3/items", "POST", {**key, "Content-Type": "application/json"}, json.dumps({"name": "b.png"})),
        )["body"]
    )
    assert upload["s3"]["success_action_redirect"] == f"https://api.example.com/v3/items/{upload['slug']}/s3"
    listing = event("/v3/items", headers=key)
    listing.update(queryStringParameters={"per_page": "1"}, multiValueQueryStringParameters={"per_page": ["1"]})
    listed = json.loads(runner.call("V3ListItemsFunction", listing)["body"])
    assert listed["links"]["next_url"]["href"].startswith("https://api.example.com/v3/items?")
    assert {item["share_url"].rpartition("/")[0] for item in listed["data"]} == {
        "https://abc123xyz.lambda-url.us-east-1.on.aws"
    }


@pytest.mark.parametrize(
    "configured, expected",
    [
        (None, "https://abc123xyz.lambda-url.us-east-1.on.aws"),  # the function URL's own host
        ("https://share.example.com/", "https://share.example.com"),  # a domain in front of it
    ],
)
def test_given_a_forged_host_then_share_links_come_only_from_configuration_or_the_function_url(
    runner, user, monkeypatch, configured, expected
):
    if configured:
        monkeypatch.setenv("PUBLIC_BASE_URL", configured)
    settings.cache_clear()

    def sent(built):
        built["requestContext"].update(domainName="abc123xyz.lambda-url.us-east-1.on.aws", domainPrefix="abc123xyz")
        return runner.call("PublicFunction", built)

    item = shared_file(user["user"], "a.png", password_hash=hash_password("open sesame"))
    unlocked = sent(
        request(
            f"/{code(item)}/unlock",
            method="POST",
            headers={**FORGED, "Content-Type": "application/x-www-form-urlencoded"},
            body="password=open+sesame",
        )
    )
    assert header(unlocked, "Location") == f"{expected}/{code(item)}"
    cookie = header(unlocked, "Set-Cookie")
    assert f"Path=/{code(item)};" in cookie and "Secure" in cookie and "HttpOnly" in cookie, cookie
    shown = json.loads(
        sent(request(f"/{code(item)}", accept="application/json", headers={**FORGED, "Cookie": cookie.split(";")[0]}))[
            "body"
        ]
    )
    assert [
        shown[name].split(f"/{code(item)}")[0] for name in ("share_url", "content_url", "remote_url", "thumbnail_url")
    ] == [expected] * 4


def test_given_a_hostile_file_name_then_the_page_escapes_it_everywhere(runner, user):
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>.png'
    item = shared_file(user["user"], hostile)
    html = page(runner, item)["body"]
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;" in html  # the quote cannot close an attribute either
    assert "<script" not in html


def test_given_a_bookmark_then_browsers_are_redirected_and_the_view_counted(runner, user):
    bookmark = uploads.create_bookmark(user["user"], "https://example.org/page", None, None)
    response = page(runner, bookmark)
    assert response["statusCode"] == 302 and header(response, "Location") == "https://example.org/page"
    assert counted(bookmark.slug).view_counter == 1


@pytest.mark.parametrize(
    "fields, status, state",
    [
        ({"is_published": False}, 404, "unpublished"),
        ({"deleted_at": "2026-01-01T00:00:00Z"}, 410, "deleted"),
        ({"state": "failed", "failure_reason": "too big"}, 404, "failed"),
        ({"expiration_time": "2020-01-01T00:00:00Z"}, 410, "expired"),
        ({"expired_at": "2026-01-01T00:00:00Z"}, 410, "expired"),
        ({"expires_after_views": 3, "view_counter": 3}, 410, "expired"),
    ],
)
def test_given_an_item_not_to_be_served_then_a_clear_refusal_and_never_the_file(runner, user, fields, status, state):
    item = shared_file(user["user"], "x.png", **fields)
    html = page(runner, item)
    assert html["statusCode"] == status and f'data-state="{state}"' in html["body"]
    as_json = json.loads(page(runner, item, accept="application/json")["body"])
    assert as_json["errors"]["state"] == state
    for route, function in (("content", "PublicFunction"), ("download", "PublicFunction")):
        response = runner.call(function, request(f"/{code(item)}/{route}/x.png"))
        assert response["statusCode"] == status and header(response, "Location") is None
    assert counted(item.slug).view_counter == fields.get("view_counter", 0)  # nothing counted


def test_given_a_pending_upload_then_404_saying_so(runner, user):
    ticket = uploads.request_upload(user["user"], "later.png", 10, None, None)
    response = page(runner, ticket.item)
    assert response["statusCode"] == 404 and "still being uploaded" in response["body"]


def test_given_a_long_link_then_only_its_current_form_resolves(runner, user):
    item = shared_file(user["user"], "a.png")
    assert page(runner, item.slug)["statusCode"] == 404  # the short form of a long-link item
    assert page(runner, item.slug + "x" * 16)["statusCode"] == 404  # a wrong secret
    assert page(runner, item)["statusCode"] == 200
    short = change(item, long_link=False)
    assert page(runner, item.slug)["statusCode"] == 200
    assert page(runner, links.share_code(item))["statusCode"] == 404  # the retired long form
    assert page(runner, "not-a-code")["statusCode"] == 404
    assert counted(short.slug).view_counter == 2


def test_given_the_owners_api_key_then_the_view_is_not_counted_but_a_strangers_is(runner, user):
    item = shared_file(user["user"], "a.png", expires_after_views=1)
    for _ in range(3):
        assert page(runner, item, headers=bearer(user["api_key"]))["statusCode"] == 200
    assert counted(item.slug).view_counter == 0
    accounts.create_user("bob@example.com", "bob's password", "free")
    _, other_key = accounts.create_api_key("bob@example.com")
    assert page(runner, item, headers=bearer(other_key))["statusCode"] == 200
    assert counted(item.slug).view_counter == 1
    assert page(runner, item, headers=bearer("csk_nonsense"))["statusCode"] == 410  # a bad key is just anonymous


@pytest.mark.parametrize("fields", [{"view_only": True}, {"allow_downloads": False}])
def test_given_downloads_not_allowed_then_no_download_link_and_no_attachment(runner, user, fields):
    item = shared_file(user["user"], "a.png", **fields)
    html = page(runner, item)["body"]
    assert 'id="preview"' in html and 'id="download"' not in html
    assert json.loads(page(runner, item, accept="application/json")["body"])["remote_url"] is None
    refused = runner.call("PublicFunction", request(f"/{code(item)}/download/a.png"))
    assert refused["statusCode"] == 403 and header(refused, "Location") is None
    assert counted(item.slug).download_counter == 0
    inline = runner.call("PublicFunction", request(f"/{code(item)}/content/a.png"))
    assert inline["statusCode"] == 302  # viewing is what view-only allows


def test_given_views_run_out_then_the_last_view_is_served_and_puts_the_item_on_the_due_index(runner, user):
    item = shared_file(user["user"], "a.png", expires_after_views=2)
    assert [page(runner, item)["statusCode"] for _ in range(3)] == [200, 200, 410]
    assert counted(item.slug).view_counter == 2
    # The due attributes are not part of Item: the raw record shows them.
    raw = boto3.client("dynamodb").get_item(TableName="cloudshare-test", Key=items.key(item.slug))["Item"]
    assert raw["due_shard"]["S"].startswith("DUE#") and raw["due_at"]["S"].endswith(f"#{item.slug}")


def test_given_an_image_then_its_thumbnail_is_made_after_settling_and_served_by_redirect(runner, user):
    item = shared_file(user["user"], "big.png", png(1600, 900))
    assert deliver_thumbnail_requests(runner) == 1
    response = runner.call("PublicFunction", request(f"/{code(item)}/thumbnail", accept="image/*"))
    assert response["statusCode"] == 302
    assert f"/thumbnails/{item.slug}/1?" in header(response, "Location")
    assert counted(item.slug).view_counter == 0  # thumbnails are not views


def test_given_an_image_whose_thumbnail_is_not_made_yet_then_its_placeholder_is_not_kept_by_the_browser(runner, user):
    # Given an image just uploaded, its thumbnail request not yet delivered to the worker
    item = shared_file(user["user"], "fresh.png", png(64, 64))
    # When a page asks for its thumbnail, then a placeholder the browser must ask for again next time
    response = runner.call("PublicFunction", request(f"/{code(item)}/thumbnail", accept="image/*"))
    assert response["statusCode"] == 200 and header(response, "Content-Type") == "image/svg+xml"
    assert header(response, "Cache-Control") == "no-cache"
    # and once it is made, the redirect to it
    deliver_thumbnail_requests(runner)
    assert runner.call("PublicFunction", request(f"/{code(item)}/thumbnail", accept="image/*"))["statusCode"] == 302


def test_given_a_text_file_or_a_locked_item_then_the_thumbnail_is_a_placeholder(runner, user):
    text = shared_file(user["user"], "notes.txt", b"hello", "text/plain")
    response = runner.call("PublicFunction", request(f"/{code(text)}/thumbnail", accept="image/*"))
    assert response["statusCode"] == 200 and header(response, "Content-Type") == "image/svg+xml"
    assert ">TEXT</text>" in response["body"] and header(response, "Cache-Control") == "private, max-age=60"
    locked = shared_file(user["user"], "secret.png", password_hash=hash_password("pw"))
    response = runner.call("PublicFunction", request(f"/{code(locked)}/thumbnail", accept="image/*"))
    assert response["statusCode"] == 200 and ">LOCKED</text>" in response["body"]


def test_the_upload_page_loads_its_scripts_from_this_service_and_runs_no_inline_one(runner):
    response = runner.call("UploadPageFunction", event("/upload", headers={"Accept": BROWSER}))
    assert response["statusCode"] == 200
    sources = re.findall(r'<script src="https://api.example.com/scripts/([^"]+)"></script>', response["body"])
    assert sources == ["multipart_upload.js", "upload_page.js"] and response["body"].count("<script") == 2
    assert "script-src 'self';" in header(response, "Content-Security-Policy")
    assert 'data-api="https://api.example.com"' in response["body"]
    for name in sources:
        served = runner.call("ScriptsFunction", {**event(f"/scripts/{name}"), "pathParameters": {"name": name}})
        assert served["statusCode"] == 200 and header(served, "Content-Type").startswith("text/javascript")


def test_given_the_root_then_a_landing_page_linking_to_upload_and_docs(runner):
    response = runner.call("ApiDocsFunction", event("/", headers={"Accept": BROWSER}))
    assert response["statusCode"] == 200 and header(response, "Content-Type").startswith("text/html")
    assert 'href="https://api.example.com/upload"' in response["body"]
    assert 'href="https://api.example.com/docs"' in response["body"]
    assert "script-src 'none'" in header(response, "Content-Security-Policy")


def test_given_head_on_the_root_then_gets_headers_and_status_without_a_body(runner):
    got = runner.call("ApiDocsFunction", event("/", headers={"Accept": BROWSER}))
    head = runner.call("ApiDocsFunction", event("/", "HEAD", headers={"Accept": BROWSER}))
    assert (head["statusCode"], head["body"], head["isBase64Encoded"]) == (200, "", False)
    assert header(head, "Content-Type") == header(got, "Content-Type")
    assert "script-src 'none'" in header(head, "Content-Security-Policy")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_given_another_method_on_the_root_then_a_404_in_the_public_dialect(runner, method):
    response = runner.call("ApiDocsFunction", event("/", method, {"Accept": "application/json"}, "x=1"))
    assert response["statusCode"] == 404 and json.loads(response["body"])["errors"]["name"] == "state"


def test_given_share_links_that_name_the_api_host_then_they_are_sent_on_to_the_share_host(runner, user, monkeypatch):
    # Given share links on the public function URL, and links from before that move still in the wild
    monkeypatch.setenv("SHARE_BASE_URL", "https://abc123xyz.lambda-url.us-east-1.on.aws/")
    settings.cache_clear()
    item = shared_file(user["user"])
    old = f"/{code(item)}/download/{item.name}"
    download = event(old, headers={"Accept": BROWSER})
    download["queryStringParameters"] = {"t": "ticket"}
    unlock = event(f"/{code(item)}/unlock", "POST", {"Content-Type": "application/x-www-form-urlencoded"}, "password=x")
    # When the API's host gets them
    moved, moved_form = runner.call("NotFoundFunction", download), runner.call("NotFoundFunction", unlock)
    # Then a permanent redirect (that keeps a form's method and body) to the same path and query there
    assert moved["statusCode"] == moved_form["statusCode"] == 308
    assert header(moved, "Location") == f"https://abc123xyz.lambda-url.us-east-1.on.aws{old}?t=ticket"
    assert header(moved_form, "Location") == f"https://abc123xyz.lambda-url.us-east-1.on.aws/{code(item)}/unlock"
    # and a path that is no share link is still the public 404
    assert runner.call("NotFoundFunction", event("/not-a-share-code"))["statusCode"] == 404


def test_given_the_share_host_is_the_api_host_then_an_unknown_path_is_a_404_not_a_redirect_loop(
    runner, user, monkeypatch
):
    monkeypatch.setenv("SHARE_BASE_URL", "https://api.example.com")
    settings.cache_clear()
    item = shared_file(user["user"])
    assert runner.call("NotFoundFunction", event(f"/{code(item)}/nothing"))["statusCode"] == 404


def test_given_the_templates_compiled_as_the_layer_ships_them_then_the_share_page_is_the_same(
    runner, user, tmp_path, monkeypatch, frozen
):
    from cloudshare.dialects import pages

    # Given one shared image, its page rendered from the templates' sources (each page's CSP nonce fixed, and
    # the clock: the file links are signed until a time, which moved on when the two renders straddled a second)
    monkeypatch.setattr(pages.secrets, "token_urlsafe", lambda size: "fixed-nonce")
    item = shared_file(user["user"], "Holiday photo.png")
    from_sources = page(runner, item)["body"]
    # When the layer's build has compiled them (pages.precompile) and a new cold start loads those
    pages.precompile(tmp_path)
    monkeypatch.setattr(pages, "COMPILED", tmp_path)
    pages._environment.cache_clear()
    try:
        from_modules = page(runner, item)["body"]
        loader = type(pages._environment().loader).__name__
    finally:
        pages._environment.cache_clear()
    # Then the page is the very same (but for the view it counted)
    assert loader == "ModuleLoader" and len(list(tmp_path.glob("tmpl_*.py"))) >= 15
    assert from_modules.replace("2 views", "1 view") == from_sources
