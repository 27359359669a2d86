"""v1 artifacts over real HTTP with the real curl, against the local stack (SAM's API Gateway, binary
multipart bodies base64-encoded as API Gateway does)."""

import json
import os
import time

import pytest

from tests.integration.conftest import curl

pytestmark = pytest.mark.integration


def v1(stack, *args: str) -> tuple[int, dict]:
    status, _, body = curl("-H", f"Authorization: Bearer {stack['api_key']}", *args)
    return status, json.loads(body)


def usage(stack) -> dict:
    status, body = v1(stack, f"{stack['api_url']}/api/v1/account")
    assert status == 200, body
    return body["account"]["usage"]


def test_given_curl_F_file_then_an_artifact_listed_counted_and_versioned(stack, tmp_path):
    artifacts = f"{stack['api_url']}/api/v1/artifacts"
    first, second = os.urandom(300_000), os.urandom(120_000)  # binary, so a mangled body would show
    (tmp_path / "report.pdf").write_bytes(first)
    (tmp_path / "report-v2.pdf").write_bytes(second)
    before = usage(stack)

    status, created = v1(
        stack,
        "-F",
        f"file=@{tmp_path / 'report.pdf'}",
        "-F",
        "version_name=Initial Release",
        "-F",
        "allow_comments=true",
        "-F",
        "allow_downloads=true",
        artifacts,
    )
    assert status == 201, created
    share_url = created.pop("share_url")  # beside the seed's fields: the public link, live at once
    assert created == {"status": True, "message": "Artifact created successfully", "slug": created["slug"]}
    assert share_url.rpartition("/")[2].startswith(created["slug"])
    slug = created["slug"]

    status, page = v1(stack, f"{artifacts}?page=1&limit=100&sort_by=created_at&sort_order=desc")
    listed = next(a for a in page["artifacts"] if a["slug"] == slug)
    assert (listed["current_version_number"], listed["current_version_name"]) == (1, "Initial Release")
    assert listed["current_file_type"] == "application/pdf" and listed["current_file_extension"] == "pdf"
    after = usage(stack)
    assert after["artifacts"] == before["artifacts"] + 1
    assert after["storage_used"] == before["storage_used"] + len(first)

    status, updated = v1(
        stack,
        "-X",
        "PUT",
        "-F",
        f"file=@{tmp_path / 'report-v2.pdf'}",
        "-F",
        "version_name=v2.0",
        "-F",
        "keep_password=true",
        f"{artifacts}/{slug}",
    )
    assert status == 200, updated
    assert updated == {
        "status": True,
        "message": "Artifact updated successfully",
        "version_number": 2,
        "password_inherited": False,
    }
    status, detail = v1(stack, f"{artifacts}/{slug}")
    assert detail["artifact"]["current_version_number"] == 2
    assert [(v["version_number"], v["file_size"]) for v in detail["artifact"]["versions"]] == [
        (1, len(first)),
        (2, len(second)),
    ]
    assert usage(stack)["storage_used"] == before["storage_used"] + len(first) + len(second)


def test_given_file_name_then_curl_posts_to_s3_and_the_s3_event_lists_the_artifact(stack, tmp_path):
    artifacts = f"{stack['api_url']}/api/v1/artifacts"
    data = os.urandom(50_000)
    (tmp_path / "big.bin").write_bytes(data)
    status, created = v1(
        stack, "-F", "file_name=big.bin", "-F", f"file_size={len(data)}", "-F", "version_name=v1", artifacts
    )
    assert status == 201, created
    fields = [arg for name, value in created["upload"]["fields"].items() for arg in ("-F", f"{name}={value}")]
    status, _, _ = curl(*fields, "-F", f"file=@{tmp_path / 'big.bin'}", created["upload"]["url"])
    assert status == 204
    deadline = time.monotonic() + 30  # S3 -> SQS -> the local poller -> finalize
    while time.monotonic() < deadline:
        _, detail = v1(stack, f"{artifacts}/{created['slug']}")
        if detail["artifact"]["upload_state"] == "ready":
            break
        time.sleep(0.3)
    assert detail["artifact"]["upload_state"] == "ready" and detail["artifact"]["versions"][0]["file_size"] == len(data)
    _, page = v1(stack, f"{artifacts}?limit=100")
    assert created["slug"] in [a["slug"] for a in page["artifacts"]]
