"""The dashboard's multipart routes (/dashboard/multipart/…), as the upload script calls them: the session
cookie and the X-CSRF-Token header, the same service as /api/v1/uploads; parts PUT to presigned URLs."""

from __future__ import annotations

import json
import re

import boto3
import pytest
import requests

from cloudshare.services import accounts, multipart
from cloudshare.store import items
from tests.unit.dashboard_client import Browser
from tests.unit.helpers import BUCKET

PART = multipart.MIN_PART_SIZE
START = "/dashboard/multipart"


@pytest.fixture
def signed_in(runner, user):
    accounts.set_plan(user["email"], "pro")
    browser = Browser(runner)
    browser.sign_in(user["email"], user["password"])
    return browser


def answer(response: dict) -> dict:
    return json.loads(response["body"])


def put_parts(browser: Browser, upload_id: str, data: bytes, numbers: list[int]) -> None:
    """As the script does: a batch of part URLs, then each part's bytes PUT to S3."""
    signed = browser.json("POST", f"{START}/{upload_id}/parts", {"numbers": numbers})
    assert signed["statusCode"] == 200, signed
    for part in answer(signed)["parts"]:
        number = part["number"]
        sent = requests.put(part["url"], data=data[(number - 1) * PART : number * PART], timeout=30)
        assert sent.status_code == 200, sent.text


def s3_uploads() -> list[dict]:
    return boto3.client("s3").list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])


def test_given_a_large_file_sent_in_parts_and_resumed_then_the_grid_item_holds_exactly_its_bytes(signed_in):
    # Given a started upload with its first and last parts sent (then the page was reloaded)
    data = bytes(range(256)) * ((2 * PART + 1000) // 256)
    started = signed_in.json("POST", START, {"name": "talk.mp4", "file_size": len(data)})
    assert started["statusCode"] == 200, started
    upload = answer(started)
    assert upload["part_size"] == PART and upload["part_count"] == 3
    put_parts(signed_in, upload["upload_id"], data, [1, 3])

    # When the script asks which parts S3 holds, sends the missing one and completes
    held = signed_in.json("GET", f"{START}/{upload['upload_id']}/parts")
    assert [part["number"] for part in answer(held)["parts"]] == [1, 3]
    put_parts(signed_in, upload["upload_id"], data, [2])
    done = signed_in.json("POST", f"{START}/{upload['upload_id']}/complete")

    # Then the answer is the settled item as the grid shows it, and the object is exactly the file
    assert done["statusCode"] == 200, done
    item = answer(done)
    assert item["slug"] == upload["slug"] and item["name"] == "talk.mp4" and item["state"] == "available"
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=items.get(upload["slug"]).object_key)["Body"].read()
    assert stored == data and s3_uploads() == []


def test_given_parts_missing_when_the_script_completes_then_a_json_refusal_naming_them(signed_in):
    upload = answer(signed_in.json("POST", START, {"name": "big.bin", "file_size": 2 * PART}))
    put_parts(signed_in, upload["upload_id"], b"x" * 2 * PART, [1])

    early = signed_in.json("POST", f"{START}/{upload['upload_id']}/complete")

    assert early["statusCode"] == 422 and "part 2" in answer(early)["errors"]["message"]
    assert items.get(upload["slug"]).state == "pending"


@pytest.mark.parametrize("token", ["", "not-the-token"], ids=["no-token", "another-token"])
def test_given_no_or_a_wrong_csrf_header_then_403_and_no_upload_starts(signed_in, token):
    refused = signed_in.json("POST", START, {"name": "big.bin", "file_size": 2 * PART}, csrf=token)

    assert refused["statusCode"] == 403 and answer(refused)["errors"]["message"]
    assert s3_uploads() == []


def test_given_no_session_then_the_routes_refuse_and_nothing_starts(runner, signed_in):
    stranger = Browser(runner)
    stranger.csrf = signed_in.csrf  # even with a token seen somewhere

    posted = stranger.json("POST", START, {"name": "big.bin", "file_size": 2 * PART})
    listed = stranger.json("GET", f"{START}/{'a' * multipart.UPLOAD_ID_LENGTH}/parts")

    assert posted["statusCode"] == 403 and s3_uploads() == []
    assert listed["statusCode"] == 303 and listed["multiValueHeaders"]["Location"][0].endswith("/login")


def test_given_another_users_upload_then_every_dashboard_route_says_404_and_changes_nothing(runner, signed_in):
    upload = answer(signed_in.json("POST", START, {"name": "mine.bin", "file_size": 2 * PART}))
    accounts.create_user("mallory@example.com", "mallory password", "pro")
    mallory = Browser(runner, source="198.51.100.9")
    mallory.sign_in("mallory@example.com", "mallory password")
    path = f"{START}/{upload['upload_id']}"

    answers = [
        mallory.json("POST", f"{path}/parts", {"numbers": [1]}),
        mallory.json("GET", f"{path}/parts"),
        mallory.json("POST", f"{path}/complete"),
    ]

    assert [response["statusCode"] for response in answers] == [404] * 3
    assert {answer(response)["errors"]["message"] for response in answers} == {"Upload not found"}
    assert items.get(upload["slug"]).state == "pending" and len(s3_uploads()) == 1


@pytest.mark.parametrize(
    "document",
    [
        {"name": "huge.bin", "file_size": 10**12},  # over the pro plan's max upload size
        {"name": "", "file_size": 2 * PART},
        {"name": "big.bin", "file_size": 0},
        {"name": "big.bin", "file_size": "20"},
    ],
    ids=["over-the-plan", "no-name", "empty", "size-as-text"],
)
def test_given_a_start_over_the_limits_or_malformed_then_a_json_refusal_and_nothing_left(signed_in, user, document):
    refused = signed_in.json("POST", START, document)

    assert refused["statusCode"] in (400, 403, 413, 422), refused
    assert answer(refused)["errors"]["message"]
    assert s3_uploads() == [] and accounts.find_user(user["email"]).item_count == 0


def test_given_a_form_body_on_a_multipart_route_then_it_is_refused_as_not_json(signed_in):
    refused = signed_in.post(START, {"name": "big.bin", "file_size": "20"}, headers={"Accept": "application/json"})

    assert refused["statusCode"] == 415 and s3_uploads() == []


def test_the_items_page_loads_its_uploader_scripts_from_this_service_only(runner, signed_in):
    page = signed_in.get("/dashboard")
    policy = page["multiValueHeaders"]["Content-Security-Policy"][0]
    assert "script-src 'self';" in policy
    sources = re.findall(r'<script src="[^"]*/scripts/([^"]+)"></script>', page["body"])
    assert sources == ["multipart_upload.js", "dashboard_upload.js"] and page["body"].count("<script") == 2

    # The same bytes for everyone: no session needed; any other name is 404
    engine = Browser(runner).get("/scripts/multipart_upload.js")
    assert engine["statusCode"] == 200 and "javascript" in engine["multiValueHeaders"]["Content-Type"][0]
    assert "window.cloudshareUploads" in engine["body"]
    assert Browser(runner).get("/scripts/..%2Fdashboard.py")["statusCode"] == 404


def test_given_hostile_json_bodies_then_the_multipart_routes_answer_json_refusals_never_5xx(signed_in):
    """The fuzzer's JSON (devtools/fuzz.py) past the session and CSRF checks, into the routes' bodies."""
    from hypothesis import given
    from hypothesis import strategies as st

    from devtools import fuzz

    upload = answer(signed_in.json("POST", START, {"name": "fuzzed.bin", "file_size": 2 * PART}))
    headers = {"Accept": "application/json", "Content-Type": "application/json", "X-CSRF-Token": signed_in.csrf}

    @fuzz.hunting(40)
    @given(
        path=st.sampled_from(
            [START, f"{START}/{upload['upload_id']}/parts", f"{START}/{upload['upload_id']}/complete"]
        ),
        text=st.one_of(fuzz.json_documents(), fuzz.huge_number_json(), fuzz.deep_json()),
    )
    def answers_every_body(path, text):
        response = signed_in.request("POST", path, headers=headers, raw=text)
        assert response["statusCode"] < 500, response
        if response["statusCode"] >= 400:
            assert answer(response)["errors"]["message"]

    answers_every_body()
