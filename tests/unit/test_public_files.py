"""Content and download links: redirects to presigned S3 GETs with safe headers; bytes never pass here."""

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from cloudshare.services import sharing
from cloudshare.store import delivery, items
from tests.unit.public_helpers import code, header, page, request, shared_file, ticket_of


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
    location = fetch(runner, "PublicDownloadFunction", item, "download")
    params = presigned_headers(location)
    assert params["response-content-disposition"] == 'attachment; filename="report final.bin"'
    assert params["response-content-type"] == "application/octet-stream"
    lifetime = int(params["X-Amz-Expires"]) if "X-Amz-Expires" in params else int(params["Expires"]) - time.time()
    assert 0 < lifetime <= 300  # minutes, not days (SigV2 or SigV4, as botocore picks for the region)
    served = requests.get(location, timeout=10)  # moto answers the presigned URL in-process
    assert served.content == data
    assert served.headers["Content-Disposition"] == 'attachment; filename="report final.bin"'
    stored = items.get(item.slug)
    assert (stored.download_counter, stored.view_counter) == (1, 1)  # a bare download link is a view too


def test_given_the_pages_own_links_then_they_count_no_second_view_and_outlive_the_last_view(runner, user):
    item = shared_file(user["user"], "a.png", expires_after_views=1)
    links = json.loads(page(runner, item, accept="application/json")["body"])
    fetch(runner, "PublicContentFunction", item, "content", ticket_of(links["content_url"]))
    fetch(runner, "PublicDownloadFunction", item, "download", ticket_of(links["remote_url"]))
    stored = items.get(item.slug)
    assert (stored.view_counter, stored.download_counter) == (1, 1)
    bare = runner.call("PublicContentFunction", request(f"/{code(item)}/content/a.png"))
    assert bare["statusCode"] == 410  # without the ticket it would be an (N+1)th view
    forged = runner.call("PublicContentFunction", request(f"/{code(item)}/content/a.png", query={"t": "9999999999.x"}))
    assert forged["statusCode"] == 410


@pytest.mark.parametrize(
    "stored_type, served_type",
    [
        ("image/png", "image/png"),
        ("application/pdf", "application/pdf"),
        ("text/html", "text/plain; charset=utf-8"),  # shown as source, never run on the bucket's origin
        ("image/svg+xml", "application/octet-stream"),  # SVG can hold script
        ("application/x-msdownload", "application/octet-stream"),
    ],
)
def test_given_any_stored_type_then_inline_content_is_only_ever_a_harmless_type(runner, user, stored_type,
                                                                               served_type):
    item = shared_file(user["user"], "f", b"<script>alert(1)</script>", stored_type)
    params = presigned_headers(fetch(runner, "PublicContentFunction", item, "content"))
    assert params["response-content-type"] == served_type
    assert params["response-content-disposition"] == 'inline; filename="f"'


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
    location = fetch(runner, "PublicDownloadFunction", item, "download")
    served = requests.get(location, timeout=10)
    assert served.headers["Content-Disposition"] == (
        "attachment; filename=\"naive _quote__.txt\"; filename*=UTF-8''na%C3%AFve%20_quote__.txt")


def test_preview_kinds_follow_the_content_type():
    assert [sharing.preview_kind(t) for t in ("image/jpeg", "video/mp4", "audio/mpeg", "application/pdf",
                                               "text/markdown; charset=utf-8", "application/zip", None)] == [
        "image", "video", "audio", "pdf", "text", None, None]
