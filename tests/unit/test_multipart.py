"""Multipart uploads (/api/v1/uploads) through their handlers, under each function's IAM policy, with the
parts sent to presigned UploadPart URLs as a client sends them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import boto3
import pytest
import requests

from cloudshare.services import accounts, clock, lifecycle, multipart, sweeps, uploads
from cloudshare.store import items, users
from devtools import iam
from tests.unit.apigw import bearer, body, event
from tests.unit.helpers import BUCKET, TABLE
from tests.unit.v1client import create_inline

UPLOADS = "/api/v1/uploads"
MIB = 1024 * 1024
PART = multipart.MIN_PART_SIZE


def api(
    runner, function: str, key: str, method: str, path: str, json_body: dict | None = None, upload_id: str | None = None
) -> dict:
    request = event(
        path,
        method,
        {**bearer(key), **({"Content-Type": "application/json"} if json_body else {})},
        None if json_body is None else json.dumps(json_body),
    )
    request["pathParameters"] = {"upload_id": upload_id} if upload_id else None
    return runner.call(function, request)


def start(runner, key: str, **fields) -> dict:
    return api(runner, "V1StartUploadFunction", key, "POST", UPLOADS, {"name": "movie.bin", **fields})


def sign(runner, key: str, upload_id: str, numbers: list[int]) -> dict:
    return api(
        runner,
        "V1SignUploadPartsFunction",
        key,
        "POST",
        f"{UPLOADS}/{upload_id}/parts",
        {"numbers": numbers},
        upload_id,
    )


def listed(runner, key: str, upload_id: str) -> dict:
    return api(runner, "V1ListUploadPartsFunction", key, "GET", f"{UPLOADS}/{upload_id}/parts", None, upload_id)


def complete(runner, key: str, upload_id: str, parts: list[dict] | None = None) -> dict:
    return api(
        runner,
        "V1CompleteUploadFunction",
        key,
        "POST",
        f"{UPLOADS}/{upload_id}/complete",
        {"parts": parts} if parts is not None else None,
        upload_id,
    )


def abort(runner, key: str, upload_id: str) -> dict:
    return api(runner, "V1AbortUploadFunction", key, "DELETE", f"{UPLOADS}/{upload_id}", None, upload_id)


def send_parts(runner, key: str, upload_id: str, data: bytes, part_size: int, numbers: list[int]) -> list[dict]:
    """PUTs each part to its presigned URL, as a client does; returns [{number, etag}]."""
    urls = {part["number"]: part["url"] for part in body(sign(runner, key, upload_id, numbers))["parts"]}
    sent = []
    for number in numbers:
        response = requests.put(urls[number], data=data[(number - 1) * part_size : number * part_size], timeout=30)
        assert response.status_code == 200, response.text
        sent.append({"number": number, "etag": response.headers["ETag"]})
    return sent


def usage(user) -> tuple[int, int]:
    current = users.get_user(user.user_id)
    return current.storage_used, current.artifact_count


def s3_uploads() -> list[dict]:
    return boto3.client("s3").list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])


def objects() -> set[str]:
    return {entry["Key"] for entry in boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def table_records() -> list[str]:
    found = boto3.client("dynamodb").scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return sorted(
        f"{record['PK']['S']}/{record['SK']['S']}"
        for record in found
        if record["PK"]["S"].startswith(("ITEM#", "UPLOADS#"))
    )


@pytest.fixture
def pro(user):
    accounts.set_plan(user["email"], "pro")
    return user


def test_given_a_file_in_parts_when_completed_then_the_artifact_holds_exactly_its_bytes(runner, pro):
    # Given a start for a file of two and a half parts
    data = bytes(range(256)) * (PART * 5 // 2 // 256)
    started = start(runner, pro["api_key"], file_size=len(data), content_type="video/mp4")
    assert started["statusCode"] == 201, started
    upload = body(started)
    assert (upload["part_size"], upload["part_count"]) == (PART, 3)
    assert items.get(upload["slug"]).state == "pending"

    # When the parts go (out of order) and the upload is completed with their ETags
    parts = send_parts(runner, pro["api_key"], upload["upload_id"], data, PART, [3, 1, 2])
    done = complete(runner, pro["api_key"], upload["upload_id"], parts)

    # Then the artifact is ready with exactly those bytes, counted once
    assert done["statusCode"] == 200, done
    assert body(done)["slug"] == upload["slug"] and body(done)["file_size"] == len(data)
    item = items.get(upload["slug"])
    assert (item.state, item.size, item.content_type) == ("ready", len(data), "video/mp4")
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=item.object_key)["Body"].read()
    assert hashlib.sha256(stored).digest() == hashlib.sha256(data).digest()
    assert usage(pro["user"]) == (len(data), 1) and s3_uploads() == []
    # And completing again (a retry whose answer was lost) answers the same, counting nothing more
    again = complete(runner, pro["api_key"], upload["upload_id"], parts)
    assert again["statusCode"] == 200 and body(again) == body(done)
    assert usage(pro["user"]) == (len(data), 1)


def test_given_s3s_event_first_when_the_client_completes_then_one_settle_counts_it(runner, pro):
    # Given an upload completed in S3 and settled by S3's CompleteMultipartUpload event
    data = b"x" * (PART + 10)
    upload = body(start(runner, pro["api_key"], file_size=len(data)))
    parts = send_parts(runner, pro["api_key"], upload["upload_id"], data, PART, [1, 2])
    key = uploads.object_key(upload["slug"])
    boto3.client("s3").complete_multipart_upload(
        Bucket=BUCKET,
        Key=key,
        UploadId=items.get_version(upload["slug"], 1).multipart_upload_id,
        MultipartUpload={"Parts": [{"PartNumber": p["number"], "ETag": p["etag"]} for p in parts]},
    )
    runner.call("S3FinalizeFunction", {"Records": [{"s3": {"object": {"key": key}}}]})
    assert items.get(upload["slug"]).state == "ready"

    # When the client's complete comes after
    done = complete(runner, pro["api_key"], upload["upload_id"], parts)

    # Then it answers the settled artifact; the bytes were counted once
    assert done["statusCode"] == 200 and body(done)["file_size"] == len(data)
    assert usage(pro["user"]) == (len(data), 1)


def test_given_parts_already_sent_when_the_client_resumes_then_s3_lists_them_and_complete_needs_no_etags(runner, pro):
    data = b"r" * (2 * PART + 1)
    upload = body(start(runner, pro["api_key"], file_size=len(data)))
    send_parts(runner, pro["api_key"], upload["upload_id"], data, PART, [1, 3])

    # When the client asks which parts S3 has
    answer = listed(runner, pro["api_key"], upload["upload_id"])

    # Then it learns parts 1 and 3 (with ETags and sizes); a complete now names what is missing
    assert answer["statusCode"] == 200, answer
    assert [(p["number"], p["size"]) for p in body(answer)["parts"]] == [(1, PART), (3, 1)]
    early = complete(runner, pro["api_key"], upload["upload_id"])
    assert early["statusCode"] == 400 and "part 2" in body(early)["message"]
    assert items.get(upload["slug"]).state == "pending"
    # And after sending only part 2, completing without ETags uses the parts S3 lists
    send_parts(runner, pro["api_key"], upload["upload_id"], data, PART, [2])
    done = complete(runner, pro["api_key"], upload["upload_id"])
    assert done["statusCode"] == 200 and body(done)["file_size"] == len(data)


def test_given_a_completed_object_bigger_than_declared_then_it_is_refused_and_never_counted(runner, pro):
    # Given a start declaring one part, and a client that sends more bytes than it declared
    declared = 1000
    upload = body(start(runner, pro["api_key"], file_size=declared))
    parts = send_parts(runner, pro["api_key"], upload["upload_id"], b"y" * (declared + 500), PART, [1])

    # When it completes
    done = complete(runner, pro["api_key"], upload["upload_id"], parts)

    # Then the upload is refused (v1 format), its bytes deleted and its storage never counted
    assert done["statusCode"] == 400 and body(done)["status"] is False, done
    assert "1500 bytes" in body(done)["message"]
    assert items.get(upload["slug"]).state == "failed"
    assert objects() == set() and usage(pro["user"]) == (0, 0)


def test_given_a_declared_size_over_the_plan_then_the_start_is_refused_and_nothing_is_left(runner, user):
    # Given a free account (its plan's max upload size is far below 5 GiB)
    free_max = user["user"].plan.max_upload_size

    # When it declares a bigger file
    refused = start(runner, user["api_key"], file_size=free_max + 1)

    # Then 400 in the v1 format, and no records, no S3 upload
    assert refused["statusCode"] == 400 and body(refused) == {
        "status": False,
        "message": "File size is too large",
        "max_upload_size": free_max,
    }
    assert table_records() == [] and s3_uploads() == []


def test_given_the_daily_upload_limit_reached_when_the_upload_completes_then_it_is_refused_at_completion(
    runner, user, frozen
):
    # Given an upload started within the free plan's limits, and the day's uploads used up meanwhile
    upload = body(start(runner, user["api_key"], file_size=100))
    parts = send_parts(runner, user["api_key"], upload["upload_id"], b"z" * 100, PART, [1])
    allowed = user["user"].plan.daily_uploads
    boto3.client("dynamodb").update_item(
        TableName=TABLE,
        Key=items.owner_key(user["user"].user_id),
        UpdateExpression="SET uploads_day = :day, uploads_today = :used",
        ExpressionAttributeValues={":day": {"S": clock.today()}, ":used": {"N": str(allowed)}},
    )

    # When it completes
    done = complete(runner, user["api_key"], upload["upload_id"], parts)

    # Then the real upload is refused against the plan, as a presigned POST's would be
    assert done["statusCode"] == 400 and body(done)["message"] == "Daily upload limit reached"
    assert usage(user["user"]) == (0, 0) and objects() == set()


def test_given_another_users_upload_then_every_upload_route_says_404_and_changes_nothing(runner, pro):
    upload = body(start(runner, pro["api_key"], file_size=10))
    accounts.create_user("mallory@example.com", "mallory password", "pro")
    mallory = accounts.create_api_key("mallory@example.com")[1]
    before = table_records()

    answers = [
        sign(runner, mallory, upload["upload_id"], [1]),
        listed(runner, mallory, upload["upload_id"]),
        complete(runner, mallory, upload["upload_id"], [{"number": 1, "etag": "x"}]),
        abort(runner, mallory, upload["upload_id"]),
    ]

    assert [a["statusCode"] for a in answers] == [404] * 4
    assert {body(a)["message"] for a in answers} == {"Upload not found"}
    assert table_records() == before and len(s3_uploads()) == 1


def test_given_an_upload_aborted_then_s3_drops_the_parts_and_the_pending_artifact_goes(runner, pro):
    upload = body(start(runner, pro["api_key"], file_size=PART + 1))
    send_parts(runner, pro["api_key"], upload["upload_id"], b"a" * (PART + 1), PART, [1])

    aborted = abort(runner, pro["api_key"], upload["upload_id"])

    assert aborted["statusCode"] == 200 and body(aborted) == {"status": True, "message": "Upload aborted"}
    assert s3_uploads() == [] and table_records() == [] and usage(pro["user"]) == (0, 0)
    assert listed(runner, pro["api_key"], upload["upload_id"])["statusCode"] == 404


def test_given_an_artifact_when_an_upload_names_it_then_the_upload_becomes_its_next_version(runner, pro):
    slug = create_inline(runner, pro["api_key"], b"version one")
    data = b"version two"
    upload = body(start(runner, pro["api_key"], file_size=len(data), artifact=slug, version_name="v2"))
    assert (upload["slug"], upload["version_number"]) == (slug, 2)

    parts = send_parts(runner, pro["api_key"], upload["upload_id"], data, PART, [1])
    done = complete(runner, pro["api_key"], upload["upload_id"], parts)

    assert done["statusCode"] == 200 and body(done)["version_number"] == 2
    item = items.get(slug)
    assert (item.version, item.size, item.version_name) == (2, len(data), "v2")
    assert usage(pro["user"]) == (len(b"version one") + len(data), 1)


@pytest.mark.parametrize(
    ("fields", "field_message"),
    [
        ({"file_size": 0}, "file_size"),
        ({"file_size": "10"}, "file_size"),
        ({"name": "", "file_size": 10}, "name"),
        ({"file_size": multipart.MAX_FILE_SIZE + 1}, "file_size"),
        ({"file_size": 10, "artifact": "nosuchslug23"}, ""),
    ],
)
def test_given_bad_start_input_then_a_v1_error_and_no_records(runner, pro, fields, field_message):
    refused = start(runner, pro["api_key"], **fields)
    assert refused["statusCode"] in (400, 404) and body(refused)["status"] is False, refused
    assert field_message in body(refused)["message"]
    assert table_records() == [] and s3_uploads() == []


def test_given_bad_part_numbers_then_400_naming_the_range(runner, pro):
    upload = body(start(runner, pro["api_key"], file_size=10))
    for numbers in ([0], [2], []):
        refused = sign(runner, pro["api_key"], upload["upload_id"], numbers)
        assert refused["statusCode"] == 400 and body(refused)["status"] is False, (numbers, refused)


def test_given_a_malformed_upload_id_then_404_without_a_lookup(runner, pro):
    assert listed(runner, pro["api_key"], "../../etc")["statusCode"] == 404


def test_the_part_size_keeps_every_file_within_s3s_part_count():
    for size in (1, PART, 100 * 1024**3, multipart.MAX_FILE_SIZE):
        part = multipart.part_size_for(size)
        assert part >= multipart.MIN_PART_SIZE and part % MIB == 0 and -(-size // part) <= multipart.MAX_PARTS


# ---------------------------------------------------------------- the sweep


def _sweep(now: str):
    with iam.enforce("SweepFunction"):
        return sweeps.run(now)


def _in(seconds: float) -> str:
    return lifecycle.iso(datetime.fromtimestamp(clock.now() + seconds, UTC))


def _started_an_hour_ago(runner, pro, monkeypatch, size: int) -> dict:
    real = clock.now()
    with monkeypatch.context() as patched:
        patched.setattr(clock, "now", lambda: real - 3600)
        return body(start(runner, pro["api_key"], file_size=size))


def test_given_an_idle_multipart_upload_past_its_deadline_then_the_sweep_aborts_it(runner, pro, monkeypatch):
    # Given an upload an hour old (past its deadline) whose only part came then
    upload = _started_an_hour_ago(runner, pro, monkeypatch, 10)
    assert lifecycle.parse_time(upload["expires_at"]).timestamp() < clock.now()

    # When the sweep runs well after the newest part
    report = _sweep(_in(2 * multipart.IDLE_SECONDS))

    # Then S3's upload is aborted and the pending artifact removed; nothing counted
    assert report.uploads_abandoned == 1 and s3_uploads() == []
    assert items.get(upload["slug"]) is None and usage(pro["user"]) == (0, 0)


def test_given_a_multipart_upload_still_receiving_parts_then_the_sweep_leaves_it_and_looks_again(
    runner, pro, monkeypatch
):
    # Given an upload past its deadline whose newest part came just now
    data = b"p" * (PART + 1)
    upload = _started_an_hour_ago(runner, pro, monkeypatch, len(data))
    send_parts(runner, pro["api_key"], upload["upload_id"], data, PART, [1])

    # When the sweep runs a minute later
    report = _sweep(_in(60))

    # Then the upload stays, and a client can finish it
    assert report.uploads_abandoned == 0 and report.rescheduled == 1 and len(s3_uploads()) == 1
    parts = send_parts(runner, pro["api_key"], upload["upload_id"], data, PART, [2])
    assert complete(runner, pro["api_key"], upload["upload_id"])["statusCode"] == 200, parts
    assert items.get(upload["slug"]).state == "ready"
