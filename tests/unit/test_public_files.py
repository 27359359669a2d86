"""Content and download links: redirects to presigned S3 GETs with safe headers; bytes never pass here."""

import json
import time
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests

from cloudshare import content_types
from cloudshare.services import share_tokens, uploads
from cloudshare.store import delivery, items
from tests.unit.apigw import bearer, event
from tests.unit.helpers import BUCKET
from tests.unit.public_helpers import change, code, counted, header, page, request, shared_file, ticket_of


def fetch(runner, function, item, route, query=None):
    response = runner.call(function, request(f"/{code(item)}/{route}/{item.name}", query=query))
    assert response["statusCode"] == 302, response
    assert header(response, "Cache-Control") == "no-store"
    return header(response, "Location")


def presigned_headers(location: str) -> dict:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def test_given_a_download_link_then_s3_serves_the_exact_bytes_as_an_attachment(runner, user):
    data = bytes(range(256)) * 40
    item = shared_file(user["user"], "report final.bin", data, "application/octet-stream")
    location = fetch(runner, "PublicFunction", item, "download")
    params = presigned_headers(location)
    assert params["response-content-disposition"] == 'attachment; filename="report final.bin"'
    assert params["response-content-type"] == "application/octet-stream"
    lifetime = int(params["X-Amz-Expires"]) if "X-Amz-Expires" in params else int(params["Expires"]) - time.time()
    assert 0 < lifetime <= 300  # minutes, not days (SigV2 or SigV4, as botocore picks for the region)
    served = requests.get(location, timeout=10)  # moto answers the presigned URL in-process
    assert served.content == data
    assert served.headers["Content-Disposition"] == 'attachment; filename="report final.bin"'
    stored = counted(item.slug)
    assert (stored.download_counter, stored.view_counter) == (1, 1)  # a bare download link is a view too


def test_given_the_pages_own_links_then_they_count_no_second_view_and_outlive_the_last_view(runner, user):
    item = shared_file(user["user"], "a.png", expires_after_views=1)
    links = json.loads(page(runner, item, accept="application/json")["body"])
    fetch(runner, "PublicFunction", item, "content", ticket_of(links["content_url"]))
    fetch(runner, "PublicFunction", item, "download", ticket_of(links["remote_url"]))
    stored = counted(item.slug)
    assert (stored.view_counter, stored.download_counter) == (1, 1)
    bare = runner.call("PublicFunction", request(f"/{code(item)}/content/a.png"))
    assert bare["statusCode"] == 410  # without the ticket it would be an (N+1)th view
    forged = runner.call("PublicFunction", request(f"/{code(item)}/content/a.png", query={"t": "9999999999.x"}))
    assert forged["statusCode"] == 410


def hostile_upload(runner, user, name: str, label: str, data: bytes = b"<script>alert(1)</script>"):
    """The seed's flow with a label of the uploader's choosing: a real presigned POST to (moto's) S3,
    which enforces no policy here, so the label reaches the object as AWS would refuse it."""
    response = runner.call(
        "V3CreateItemFunction",
        event(
            "/v3/items",
            "POST",
            {**bearer(user["api_key"]), "Content-Type": "application/json"},
            json.dumps({"name": name, "file_size": len(data)}),
        ),
    )
    ticket = json.loads(response["body"])
    posted = requests.post(
        ticket["url"],
        data={**ticket["s3"], "Content-Type": label},
        files={"file": (name, data)},
        allow_redirects=False,
        timeout=10,
    )
    assert posted.status_code == 303
    assert boto3.client("s3").head_object(Bucket=BUCKET, Key=ticket["s3"]["key"])["ContentType"] == label
    runner.call(
        "S3FinalizeFunction",
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Post",
                    "s3": {"bucket": {"name": BUCKET}, "object": {"key": ticket["s3"]["key"]}},
                }
            ]
        },
    )
    return items.get(ticket["slug"])


@pytest.mark.parametrize(
    "name, label, stored, disposition, served",
    [
        ("clip.mp4", "video/mp4,text/html", "video/mp4", "inline", "video/mp4"),
        ("page.html", "text/html; charset=utf-8", "application/octet-stream", "attachment", "application/octet-stream"),
        ("logo.svg", "image/svg+xml", "application/octet-stream", "attachment", "application/octet-stream"),
        ("photo.png", "IMAGE/PNG; name=x", "image/png", "inline", "image/png"),
        ("notes.txt", "text/plain\r\nX-Injected: 1", "text/plain", "inline", "text/plain; charset=utf-8"),
    ],
)
def test_given_a_hostile_content_type_on_upload_then_only_an_allow_listed_type_is_stored_and_served(
    runner, user, name, label, stored, disposition, served
):
    item = hostile_upload(runner, user, name, label)
    assert item.content_type == stored
    for route, function in (("content", "PublicFunction"), ("download", "PublicFunction")):
        location = fetch(runner, function, item, route)
        answer = requests.get(location, timeout=10)  # what S3 itself sends the browser
        expected = (disposition, served) if route == "content" else ("attachment", content_types.served(stored))
        assert (answer.headers["Content-Disposition"].split(";")[0], answer.headers["Content-Type"]) == expected


@pytest.mark.parametrize("recorded_type", ["text/html", "video/mp4,text/html", "image/svg+xml", "Image/PNG"])
def test_given_a_record_from_before_the_allow_list_then_it_is_served_only_as_an_octet_stream_attachment(
    runner, user, recorded_type
):
    item = change(
        shared_file(user["user"], "f", b"<script>alert(1)</script>", "text/plain"), content_type=recorded_type
    )
    params = presigned_headers(fetch(runner, "PublicFunction", item, "content"))
    assert params["response-content-type"] == "application/octet-stream"
    assert params["response-content-disposition"] == 'attachment; filename="f"'
    assert 'id="preview" class="icon"' in page(runner, item)["body"]  # and the page previews nothing


@pytest.mark.parametrize("fields", [{"view_only": True}, {"allow_downloads": False}])
def test_given_downloads_off_then_content_shows_previewable_files_inline_and_refuses_the_rest(runner, user, fields):
    image = shared_file(user["user"], "a.png", **fields)
    archive = shared_file(user["user"], "a.zip", b"PK\x03\x04", "application/zip", **fields)
    params = presigned_headers(fetch(runner, "PublicFunction", image, "content"))
    assert (params["response-content-disposition"], params["response-content-type"]) == (
        'inline; filename="a.png"',
        "image/png",
    )
    shown = json.loads(page(runner, archive, accept="application/json")["body"])
    assert (shown["content_url"], shown["remote_url"]) == (None, None)  # no link the visitor cannot use
    before = items.get(archive.slug)
    for query in (None, {"t": share_tokens.ticket(before)}):  # a bare link, and one with a page's ticket
        refused = runner.call("PublicFunction", request(f"/{code(archive)}/content/a.zip", query=query))
        assert refused["statusCode"] == 403 and header(refused, "Location") is None
    after = items.get(archive.slug)  # a refusal counts nothing
    assert (after.view_counter, after.download_counter) == (before.view_counter, before.download_counter)


def test_given_a_bookmark_then_its_content_link_is_404_and_counts_nothing(runner, user):
    bookmark = uploads.create_bookmark(user["user"], "https://example.org/", None, None)
    response = runner.call("PublicFunction", request(f"/{code(bookmark)}/content/x"))
    assert response["statusCode"] == 404 and items.get(bookmark.slug).view_counter == 0


def test_given_downloads_allowed_then_content_of_a_type_not_previewed_comes_as_an_attachment(runner, user):
    archive = shared_file(user["user"], "a.zip", b"PK\x03\x04", "application/zip")
    params = presigned_headers(fetch(runner, "PublicFunction", archive, "content"))
    assert (params["response-content-disposition"], params["response-content-type"]) == (
        'attachment; filename="a.zip"',
        "application/zip",
    )


@pytest.mark.parametrize(
    "name, expected",
    [
        ("plain.txt", 'attachment; filename="plain.txt"'),
        ('say "hi".txt', 'attachment; filename="say _hi_.txt"'),
        ("two\r\nlines\n.txt", 'attachment; filename="two__lines_.txt"'),
        ("back\\slash/..\\x", 'attachment; filename="back_slash_.._x"'),
        ("Résumé €.pdf", "attachment; filename=\"Resume .pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%E2%82%AC.pdf"),
        ("日本語.png", "attachment; filename=\".png\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.png"),
        ("写真", "attachment; filename=\"download\"; filename*=UTF-8''%E5%86%99%E7%9C%9F"),
        ("\n", 'attachment; filename="_"'),
    ],
)
def test_content_disposition_survives_quotes_newlines_and_non_ascii(name, expected):
    header_value = delivery.content_disposition(name, attachment=True)
    assert header_value == expected
    assert "\r" not in header_value and "\n" not in header_value
    assert header_value.isascii()


def test_given_a_non_ascii_name_then_s3_sends_the_rfc_6266_header(runner, user):
    item = shared_file(user["user"], 'naïve "quote"/.txt', b"text", "text/plain")
    location = fetch(runner, "PublicFunction", item, "download")
    served = requests.get(location, timeout=10)
    assert served.headers["Content-Disposition"] == (
        "attachment; filename=\"naive _quote__.txt\"; filename*=UTF-8''na%C3%AFve%20_quote__.txt"
    )
