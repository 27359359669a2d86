"""The item page's links, QR code and versions (a new one uploaded through the presigned POST), the
integrations page and the ShareX uploader it hands out, replayed as ShareX sends it."""

import base64
import json
import re
from urllib.parse import urlsplit

import boto3
import pytest
import requests

from cloudshare.dialects import pages
from cloudshare.services import accounts, links
from cloudshare.store import items
from tests.unit.apigw import bearer, event
from tests.unit.dashboard_client import Browser
from tests.unit.helpers import BUCKET, ready_file
from tests.unit.public_helpers import request as public_request

JSON = {"Accept": "application/json"}


@pytest.fixture
def signed_in(runner, user):
    browser = Browser(runner)
    browser.sign_in(user["email"], user["password"])
    return browser


def _new_version(browser: Browser, slug: str, data: bytes, name: str = "v2.txt") -> dict:
    """What the item page's script does: a ticket, the POST to S3, then the settled versions."""
    ticket = browser.post(
        f"/dashboard/items/{slug}/versions", {"name": name, "file_size": str(len(data))}, headers=JSON
    )
    assert ticket["statusCode"] == 200, ticket
    answer = json.loads(ticket["body"])
    boto3.client("s3").put_object(Bucket=BUCKET, Key=answer["fields"]["key"], Body=data)
    return browser.get(f"/dashboard/items/{slug}/versions/{answer['version']}", **JSON)


def test_given_an_item_then_its_page_has_copy_buttons_a_qr_code_of_its_link_and_its_counts(signed_in, user):
    item = ready_file(user["user"], "a.txt")
    page = signed_in.get(f"/dashboard/items/{item.slug}")
    body, share = page["body"], links.share_url(item, "https://api.example.com")
    assert page["statusCode"] == 200 and f'id="long-link" readonly value="{share}"' in body
    assert 'data-copy="long-link"' in body and 'data-copy="short-link"' in body
    assert pages.qr_svg(share) in body and "<svg" in body  # the very code of the share link
    assert 'id="views">0 views<' in body and 'id="downloads">0 downloads<' in body
    assert re.search(r'<script src="[^"]+/scripts/dashboard_item.js"></script>', body) and "<script>" not in body
    policy = page["multiValueHeaders"]["Content-Security-Policy"][0]
    assert "script-src 'self';" in policy  # the served file only: no inline script runs


def test_given_the_item_script_route_then_it_serves_the_script_and_nothing_else(runner):
    served = runner.call("ScriptsFunction", _script_event("dashboard_item.js"))
    assert served["statusCode"] == 200 and "navigator.clipboard" in served["body"]
    assert served["multiValueHeaders"]["Content-Type"][0].startswith("text/javascript")
    for name in ("item.js", "..%2Fbase.html", "dashboard_item.html"):
        assert runner.call("ScriptsFunction", _script_event(name))["statusCode"] == 404


def _script_event(name: str) -> dict:
    built = event(f"/scripts/{name}", headers={"Accept": "*/*"})
    built["pathParameters"] = {"name": name}
    return built


def test_given_a_new_version_uploaded_from_the_page_then_it_is_listed_as_current(signed_in, user):
    item = ready_file(user["user"], "notes.txt", b"first")
    answer = _new_version(signed_in, item.slug, b"second version")
    assert answer["statusCode"] == 200
    found = json.loads(answer["body"])
    assert [(v["number"], v["current"]) for v in found["versions"]] == [(2, True), (1, False)]
    assert found["item"]["size"] == "14 bytes" and items.get(item.slug).version == 2
    page = signed_in.get(f"/dashboard/items/{item.slug}")["body"]
    assert re.search(
        r'<tr data-version="2"><td>version 2</td>\s*<td>14 bytes</td><td>[^<]+</td>\s*<td>current</td>', page
    )


def test_given_a_new_version_over_the_plan_then_a_json_refusal_and_no_version(signed_in, user):
    item = ready_file(user["user"], "notes.txt")
    refused = signed_in.post(
        f"/dashboard/items/{item.slug}/versions", {"name": "big.bin", "file_size": str(10**12)}, headers=JSON
    )
    assert refused["statusCode"] == 422 and json.loads(refused["body"])["errors"]["message"] == "File size is too large"
    assert items.get(item.slug).last_version == 1


def test_given_bytes_over_the_declared_size_then_the_version_is_refused_with_its_reason(signed_in, user):
    item = ready_file(user["user"], "notes.txt")
    ticket = signed_in.post(
        f"/dashboard/items/{item.slug}/versions", {"name": "v2.txt", "file_size": "3"}, headers=JSON
    )
    key = json.loads(ticket["body"])["fields"]["key"]
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"x" * (items.get_version(item.slug, 2).max_size + 1))
    refused = signed_in.get(f"/dashboard/items/{item.slug}/versions/2", **JSON)
    assert refused["statusCode"] == 422 and json.loads(refused["body"])["errors"]["message"]
    assert items.get(item.slug).version == 1


@pytest.mark.parametrize("number", ["0", "x", "99"])
def test_given_a_version_that_is_not_there_then_a_clear_refusal(signed_in, user, number):
    item = ready_file(user["user"], "notes.txt")
    assert signed_in.get(f"/dashboard/items/{item.slug}/versions/{number}", **JSON)["statusCode"] in (404, 422)


def test_given_another_users_item_then_the_version_routes_are_404_and_change_nothing(signed_in):
    mallory = accounts.create_user("mallory@example.com", "mallory password", "pro")
    theirs = ready_file(mallory, "private.txt")
    posted = signed_in.post(
        f"/dashboard/items/{theirs.slug}/versions", {"name": "x.txt", "file_size": "3"}, headers=JSON
    )
    assert posted["statusCode"] == 404 and "private.txt" not in posted["body"]
    assert signed_in.get(f"/dashboard/items/{theirs.slug}/versions/1", **JSON)["statusCode"] == 404
    assert items.get(theirs.slug) == theirs


@pytest.mark.parametrize("path", ["/dashboard/items/{slug}/versions", "/dashboard/sharex.sxcu"])
def test_given_a_form_without_its_csrf_token_then_403_and_nothing_is_made(signed_in, user, path):
    item = ready_file(user["user"], "notes.txt")
    refused = signed_in.post(path.format(slug=item.slug), {"name": "x.txt", "file_size": "3"}, csrf=False)
    assert refused["statusCode"] == 403
    assert items.get(item.slug).last_version == 1 and [key.label for key in accounts.keys_of(user["user"])] == ["tests"]


def test_given_the_integrations_page_then_it_is_linked_and_names_this_deployment(signed_in):
    assert 'href="https://api.example.com/dashboard/integrations"' in signed_in.get("/dashboard")["body"]
    page = signed_in.get("/dashboard/integrations")["body"]
    assert 'action="https://api.example.com/dashboard/sharex.sxcu"' in page
    assert 'API_URL="https://api.example.com"' in page and "flameshot gui --raw" in page
    assert "cloudshare login --api-url https://api.example.com" in page


def test_given_the_sharex_file_when_sharex_sends_a_screenshot_then_its_url_template_is_a_working_link(
    runner, signed_in, user
):
    answer = signed_in.post("/dashboard/sharex.sxcu")
    disposition = answer["multiValueHeaders"]["Content-Disposition"][0]
    assert answer["statusCode"] == 200 and disposition.startswith("attachment;") and ".sxcu" in disposition
    uploader = json.loads(answer["body"])
    assert uploader["DestinationType"] == "ImageUploader, TextUploader, FileUploader"
    assert (uploader["RequestMethod"], uploader["Body"], uploader["FileFormName"]) == (
        "POST",
        "MultipartFormData",
        "file",
    )
    assert uploader["RequestURL"] == "https://api.example.com/api/v1/artifacts"
    assert "ShareX" in [key.label for key in accounts.keys_of(user["user"])]

    # ShareX: a multipart POST of Arguments and the file to RequestURL, with Headers.
    screenshot = b"\x89PNG\r\n\x1a\n" + b"pixels" * 10
    prepared = requests.Request(
        uploader["RequestMethod"],
        uploader["RequestURL"],
        headers={"User-Agent": "ShareX/16.1.0", **uploader["Headers"]},
        data=uploader["Arguments"],
        files={uploader["FileFormName"]: ("ShareX_2026-01-01.png", screenshot, "image/png")},
    ).prepare()
    sent = event(urlsplit(prepared.url).path, "POST", dict(prepared.headers), base64.b64encode(prepared.body).decode())
    sent["isBase64Encoded"] = True
    created = runner.call("V1CreateArtifactFunction", sent)
    assert created["statusCode"] == 201, created
    fields = json.loads(created["body"])

    link = re.sub(r"\{json:(\w+)\}", lambda found: fields[found.group(1)], uploader["URL"])
    shared = runner.call("PublicFunction", public_request(urlsplit(link).path, accept="application/json"))
    assert shared["statusCode"] == 200 and json.loads(shared["body"])["name"] == "ShareX_2026-01-01.png"
    deletion = re.sub(r"\{json:(\w+)\}", lambda found: fields[found.group(1)], uploader["DeletionURL"])
    assert signed_in.get(urlsplit(deletion).path)["statusCode"] == 200  # the owner's page, with its delete form

    key = uploader["Headers"]["x-api-key"]
    assert runner.call("V3AccountFunction", event("/v3/account", headers=bearer(key)))["statusCode"] == 200
