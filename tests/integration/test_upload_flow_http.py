"""The seed's three-step upload, done by plain curl against the local stack, as a CloudApp client would."""

import json
import os
import subprocess
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import admin, curl, header

pytestmark = pytest.mark.integration


def test_given_the_seed_flow_with_curl_then_a_ready_item_that_counts(stack, tmp_path):
    login = f"{stack['email']}:{stack['password']}"
    data = os.urandom(200_000)
    path = tmp_path / "photo of me.png"
    path.write_bytes(data)

    # Step 1: request to upload (Digest, JSON).
    status, _, body = curl(
        "--digest",
        "-u",
        login,
        "-H",
        "Accept: application/json",
        "-H",
        "Content-Type: application/json",
        "-d",
        json.dumps({"name": path.name, "file_size": len(data)}),
        f"{stack['api_url']}/v3/items",
    )
    assert status == 200, body
    ticket = json.loads(body)
    assert set(ticket) == {"slug", "name", "url", "uploads_remaining", "max_upload_size", "s3"}

    # Step 2: every s3 entry as a form field, the file last, straight to S3 (no credentials of ours).
    fields = [arg for name, value in ticket["s3"].items() for arg in ("-F", f"{name}={value}")]
    status, headers, _ = curl(*fields, "-F", f"file=@{path};type=image/png", ticket["url"])
    assert status == 303
    location = header(headers, "Location")
    assert urlsplit(location).path == f"/v3/items/{ticket['slug']}/s3"  # S3 adds ?bucket=&key=&etag=

    # Step 3: follow the redirect back to the API, authenticated.
    status, _, body = curl("--digest", "-u", login, "-H", "Accept: application/json", location)
    assert status == 200, body
    item = json.loads(body)
    assert (item["slug"], item["name"], item["file_size"], item["item_type"]) == (
        ticket["slug"],
        path.name,
        len(data),
        "image",
    )
    assert item["upload_state"] == "ready"

    status, _, body = curl("-H", f"Authorization: Bearer {stack['api_key']}", f"{stack['api_url']}/v3/account")
    assert json.loads(body)["usage"]["storage_used"] >= len(data)

    # The share link works for anyone, and the bytes behind it are the ones sent.
    status, _, body = curl("-H", "Accept: application/json", item["share_url"])
    assert status == 200 and json.loads(body)["slug"] == ticket["slug"]
    subprocess.run(["curl", "-sSfL", "-o", str(tmp_path / "back"), item["remote_url"]], check=True, timeout=60)
    assert (tmp_path / "back").read_bytes() == data

    assert admin(stack, "check-consistency")["consistent"]


def test_given_a_forged_host_then_links_still_name_the_service_itself(stack):
    forged = ("-H", "Host: evil.example", "-H", "X-Forwarded-Host: evil.example", "-H", "X-Forwarded-Proto: http")
    status, _, body = curl(
        *forged,
        "-H",
        f"Authorization: Bearer {stack['api_key']}",
        "-H",
        "Accept: application/json",
        "-H",
        "Content-Type: application/json",
        "-d",
        json.dumps({"name": "docs", "bookmark_url": "https://example.org/docs"}),
        f"{stack['api_url']}/v3/items",
    )
    assert status == 200, body
    share_url = json.loads(body)["share_url"]
    assert share_url.startswith(f"{stack['api_url']}/")  # the stack's configured address (PUBLIC_BASE_URL)
    status, _, body = curl(*forged, "-H", "Accept: application/json", share_url)
    assert status == 200 and json.loads(body)["share_url"] == share_url
    assert "evil.example" not in body


def test_given_a_file_over_the_free_plans_limit_when_following_s3s_redirect_then_422_and_the_item_failed(
    stack, tmp_path
):
    created = admin(stack, "create-user", "frank@example.com", "--plan", "free", "--generate-password")
    login = f"frank@example.com:{created['password']}"
    ticket_status, _, body = curl(
        "--digest",
        "-u",
        login,
        "-H",
        "Content-Type: application/json",
        "-d",
        json.dumps({"name": "huge.bin"}),
        f"{stack['api_url']}/v3/items",
    )
    ticket = json.loads(body)
    assert ticket_status == 200 and ticket["max_upload_size"] == 26214400
    path = tmp_path / "huge.bin"
    with path.open("wb") as handle:  # one byte over the plan's limit, which the policy names too
        handle.truncate(ticket["max_upload_size"] + 1)

    fields = [arg for name, value in ticket["s3"].items() for arg in ("-F", f"{name}={value}")]
    status, headers, _ = curl(*fields, "-F", f"file=@{path}", ticket["url"])
    assert status == 303  # the embedded S3 does not enforce the policy; AWS would answer 400 here

    status, _, body = curl("--digest", "-u", login, "-H", "Accept: application/json", header(headers, "Location"))
    errors = json.loads(body)["errors"]
    assert status == 422 and errors["name"] == "file" and "26214401 bytes" in errors["message"]
    status, _, body = curl("--digest", "-u", login, f"{stack['api_url']}/v3/items/{ticket['slug']}")
    assert status == 200 and json.loads(body)["upload_state"] == "failed"
