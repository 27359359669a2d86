"""POST /api/v1/artifacts: inline files and presigned uploads, the seed's errors, nothing left behind on refusal."""

import datetime

import boto3
import pytest
import requests

from cloudshare.dialects import v3
from cloudshare.services import accounts, clock, lifecycle, links, uploads
from cloudshare.services.artifacts import INLINE_UPLOAD_CAP
from cloudshare.services.passwords import verify_password
from cloudshare.store import items, users
from tests.unit import v1client as v1
from tests.unit.apigw import body, event
from tests.unit.helpers import BUCKET, s3_event


def test_given_an_inline_file_then_201_with_the_seed_body_and_the_item_counted_once(runner, user):
    response = v1.create(
        runner,
        user["api_key"],
        {"version_name": "Initial Release", "allow_comments": "true"},
        {"file": ("report.pdf", b"%PDF-1.4 tiny", "application/pdf")},
    )
    assert response["statusCode"] == 201
    answer = body(response)
    share_url = f"https://api.example.com/{links.share_code(items.get(answer['slug']))}"  # beside the seed's fields
    assert answer == {
        "status": True,
        "message": "Artifact created successfully",
        "slug": answer["slug"],
        "share_url": share_url,
    }
    seen_by_v3 = v3.item(items.get(answer["slug"]), "https://api.example.com")
    assert (seen_by_v3["name"], seen_by_v3["file_size"], seen_by_v3["upload_state"]) == ("report.pdf", 13, "ready")
    assert seen_by_v3["content_url"].endswith("/content/report.pdf")
    owner = users.get_user(user["user"].user_id)
    assert (owner.storage_used, owner.artifact_count, owner.item_count, owner.uploads_today) == (13, 1, 1, 1)
    assert items.get(answer["slug"]).version_name == "Initial Release"


@pytest.mark.parametrize(
    "filename, part_type, stored_type",
    [
        ("photo.png", None, "image/png"),  # no type on the part: guessed from the name
        ("data.json", "application/octet-stream", "application/json"),  # a generic label says nothing
        ("weird.unknownext", None, "application/octet-stream"),
        ("notes", "text/markdown", "text/markdown"),  # the part's own type wins
        ("photo.png", "IMAGE/PNG; name=x", "image/png"),  # ... as its bare type
        ("clip.mp4", "video/mp4,text/html", "video/mp4"),  # a type not on the allow-list says nothing
        ("page.html", "text/html; charset=utf-8", "application/octet-stream"),
        ("logo.svg", "image/svg+xml", "application/octet-stream"),
    ],
)
def test_given_an_inline_file_then_its_type_is_the_parts_or_the_names(runner, user, filename, part_type, stored_type):
    part = (filename, b"bytes") if part_type is None else (filename, b"bytes", part_type)
    slug = body(v1.create(runner, user["api_key"], {"version_name": "v1"}, {"file": part}))["slug"]
    assert items.get(slug).content_type == stored_type
    head = boto3.client("s3").head_object(Bucket=BUCKET, Key=uploads.object_key(slug))
    assert head["ContentType"] == stored_type


def test_given_binary_bytes_then_the_stored_object_is_identical(runner, user):
    data = bytes(range(256)) * 64 + b"\r\n--not-a-boundary\r\n\r\n"
    slug = v1.create_inline(runner, user["api_key"], data, "blob.bin")
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=uploads.object_key(slug))["Body"].read()
    assert stored == data


def test_given_a_client_path_as_filename_then_only_the_file_name_is_kept(runner, user):
    slug = v1.create_inline(runner, user["api_key"], b"x", "/home/me/Desktop/plan.txt")
    assert items.get(slug).name == "plan.txt"


@pytest.mark.parametrize(
    "form, files, status, expected",
    [
        ({"version_name": "v1"}, None, 400, {"status": False, "message": "File is required"}),
        ({}, {"file": ("a.txt", b"x")}, 400, {"status": False, "message": "version_name is required"}),
        (
            {"version_name": "  "},
            {"file": ("a.txt", b"x")},
            400,
            {"status": False, "message": "version_name must not be empty"},
        ),
        ({"version_name": "v1", "file": "not a file"}, None, 400, None),
        ({"version_name": "v1", "file_name": "a.txt"}, {"file": ("a.txt", b"x")}, 400, None),
        ({"version_name": "v1"}, {"file": ("empty.txt", b"")}, 400, {"status": False, "message": "file is empty"}),
        (
            {"version_name": "v1", "file_name": "a.bin", "file_size": "lots"},
            None,
            400,
            {"status": False, "message": "file_size must be a whole number"},
        ),
        (
            {"version_name": "v1", "allow_comments": "maybe"},
            {"file": ("a.txt", b"x")},
            400,
            {"status": False, "message": "allow_comments must be true or false (also accepted: 1/0, yes/no)"},
        ),
        ({"version_name": "v1", "view_only": "on"}, {"file": ("a.txt", b"x")}, 400, None),
        (
            {"version_name": "v1", "password": "hunter2"},
            {"file": ("a.txt", b"x")},
            403,
            {
                "status": False,
                "message": "Password protection requires a paid plan. Upgrade to access this feature.",
                "feature": "passwordProtection",
            },
        ),
        (
            {"version_name": "v1", "expiration_date": "2099-01-01T00:00:00Z"},
            {"file": ("a.txt", b"x")},
            403,
            {
                "status": False,
                "message": "Expiration requires a paid plan. Upgrade to access this feature.",
                "feature": "expiration",
            },
        ),
        (
            {"version_name": "v1", "expiration_date": "2001-01-01T00:00:00Z"},
            {"file": ("a.txt", b"x")},
            400,
            {"status": False, "message": "expiration_date must be in the future"},
        ),
        ({"version_name": "v1", "expiration_date": "next tuesday"}, {"file": ("a.txt", b"x")}, 400, None),
        ({"version_name": "v1", "file_name": "huge.iso", "file_size": str(26214401)}, None, 400, None),
    ],
)
def test_given_a_refused_request_then_the_v1_error_and_nothing_is_stored(runner, user, form, files, status, expected):
    response = v1.create(runner, user["api_key"], form, files)
    assert response["statusCode"] == status, response
    answer = body(response)
    assert answer["status"] is False and answer["message"]
    if expected is not None:
        assert answer == expected
    assert v1.stored_items() == []
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=BUCKET)


def test_given_a_file_over_the_inline_cap_then_413_pointing_to_the_presigned_upload(runner, user):
    response = v1.create(
        runner, user["api_key"], {"version_name": "v1"}, {"file": ("big.bin", b"\0" * (INLINE_UPLOAD_CAP + 1))}
    )
    assert response["statusCode"] == 413
    answer = body(response)
    assert set(answer) == {"status", "message"} and answer["status"] is False
    assert "use the presigned upload: send file_name and file_size instead of file" in answer["message"]
    assert v1.stored_items() == []


def test_given_a_file_exactly_at_the_inline_cap_then_it_is_accepted(runner, user):
    slug = v1.create_inline(runner, user["api_key"], b"\1" * INLINE_UPLOAD_CAP, "edge.bin")
    assert items.get(slug).size == INLINE_UPLOAD_CAP


def test_given_the_artifact_limit_reached_then_the_seeds_403(runner, user):
    v1.set_usage(user["user"].user_id, artifact_count=50)
    response = v1.create(runner, user["api_key"], {"version_name": "v1"}, {"file": ("a.txt", b"x")})
    assert response["statusCode"] == 403
    assert body(response) == {"status": False, "message": "Artifact limit reached", "current": 50, "limit": 50}
    assert v1.stored_items() == []


def test_given_too_little_storage_left_then_the_seeds_403_with_the_numbers(runner, user):
    quota = user["user"].plan.storage_quota
    v1.set_usage(user["user"].user_id, storage_used=quota - 10)
    response = v1.create(runner, user["api_key"], {"version_name": "v1"}, {"file": ("a.txt", b"x" * 11)})
    assert response["statusCode"] == 403
    assert body(response) == {
        "status": False,
        "message": "Storage quota exceeded",
        "current": quota - 10,
        "limit": quota,
        "remaining": 10,
    }
    assert v1.stored_items() == []


def test_given_no_uploads_left_today_then_a_403_daily_limit(runner, user, frozen):
    v1.set_usage(user["user"].user_id, uploads_day=clock.today(), uploads_today=10)
    response = v1.create(runner, user["api_key"], {"version_name": "v1", "file_name": "a.txt"})
    assert response["statusCode"] == 403
    assert body(response) == {"status": False, "message": "Daily upload limit reached", "current": 10, "limit": 10}
    assert v1.stored_items() == []


@pytest.mark.parametrize("text, expected", [("TRUE", True), ("0", False), ("yes", True), ("No", False)])
def test_given_boolean_spellings_then_the_flags_are_stored(runner, user, text, expected):
    slug = v1.create_inline(runner, user["api_key"], allow_downloads=text, view_only=text)
    stored = items.get(slug)
    assert (stored.allow_downloads, stored.view_only) == (expected, expected)


def test_given_a_paid_plan_then_password_is_stored_hashed_and_expiration_normalised(runner, user):
    accounts.set_plan(user["email"], "pro")
    later = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3)).replace(microsecond=0)
    slug = v1.create_inline(
        runner,
        user["api_key"],
        password="s3cret pass",
        expiration_date=later.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        allow_comments="false",
    )
    stored = items.get(slug)
    assert stored.password_hash != "s3cret pass" and verify_password("s3cret pass", stored.password_hash)
    assert stored.expiration_time == lifecycle.iso(later) and stored.allow_comments is False


def test_given_file_name_without_file_then_a_presigned_post_that_the_s3_event_finalizes(runner, user):
    key = user["api_key"]
    response = v1.create(runner, key, {"version_name": "Initial", "file_name": "data.csv", "file_size": "8"})
    assert response["statusCode"] == 201
    answer = body(response)
    assert set(answer) == {"status", "message", "slug", "share_url", "upload"}
    assert set(answer["upload"]) == {"url", "fields"}
    fields = answer["upload"]["fields"]
    assert fields["key"] == uploads.object_key(answer["slug"]) and "success_action_redirect" not in fields
    assert body(v1.listing(runner, key))["artifacts"] == []  # nothing listed or counted before the bytes exist
    posted = requests.post(
        answer["upload"]["url"],
        data={**fields, "Content-Type": "text/csv"},
        files={"file": ("data.csv", b"a,b\n1,2\n")},
    )
    assert posted.status_code == 204
    runner.call("S3FinalizeFunction", s3_event(fields["key"]))
    [listed] = body(v1.listing(runner, key))["artifacts"]
    assert (listed["slug"], listed["current_version_name"], listed["current_file_type"]) == (
        answer["slug"],
        "Initial",
        "text/csv",
    )
    assert users.get_user(user["user"].user_id).storage_used == 8


def test_given_no_credentials_then_401_before_the_body_is_read(runner):
    request = event("/api/v1/artifacts", "POST", {"Content-Type": "multipart/form-data"})
    assert runner.call("V1CreateArtifactFunction", request)["statusCode"] == 401
