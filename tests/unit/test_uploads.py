"""v3 uploads: request a presigned POST, S3 holds the bytes, finalize settles the item exactly once."""

import base64
import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from cloudshare.services import accounts, uploads
from cloudshare.store import items, users
from tests.unit.apigw import bearer, body, event
from tests.unit.helpers import BUCKET


def create(runner, user, payload):
    request = event(
        "/v3/items", "POST", {**bearer(user["api_key"]), "Content-Type": "application/json"}, json.dumps(payload)
    )
    return runner.call("V3CreateItemFunction", request)


def s3_event(key: str) -> dict:
    return {
        "Records": [{"eventName": "ObjectCreated:Post", "s3": {"bucket": {"name": BUCKET}, "object": {"key": key}}}]
    }


def upload(slug: str, data: bytes, content_type="image/png"):
    boto3.client("s3").put_object(Bucket=BUCKET, Key=uploads.object_key(slug), Body=data, ContentType=content_type)


def test_given_a_file_request_then_the_seed_shape_with_a_narrow_policy(runner, user):
    response = create(runner, user, {"name": "Image.png", "file_size": 1000})
    assert response["statusCode"] == 200
    answer = body(response)
    assert set(answer) == {"slug", "name", "url", "uploads_remaining", "max_upload_size", "s3"}
    assert answer["uploads_remaining"] == 10 and answer["max_upload_size"] == 26214400
    assert answer["s3"]["key"] == f"items/{answer['slug']}/1"
    assert answer["s3"]["success_action_redirect"].endswith(f"/v3/items/{answer['slug']}/s3")
    policy = json.loads(base64.b64decode(answer["s3"]["policy"]))
    assert ["content-length-range", 1, 26214400] in policy["conditions"]
    assert {"key": f"items/{answer['slug']}/1"} in policy["conditions"]
    # S3 takes exactly the allow-listed type the name implies, handed out as a field: no label of the uploader's.
    assert answer["s3"]["Content-Type"] == "image/png" and {"Content-Type": "image/png"} in policy["conditions"]
    assert not [rule for rule in policy["conditions"] if isinstance(rule, list) and rule[1] == "$Content-Type"]
    assert items.get(answer["slug"]).state == "pending"
    assert users.get_user(user["user"].user_id).storage_used == 0  # nothing counted before bytes exist


@pytest.mark.parametrize(
    "payload, field, message",
    [
        ({"name": "big.bin", "file_size": 26214401}, "file_size", "File size is too large"),
        ({}, "", "give a name"),
        ({"bookmark_url": "javascript:alert(1)"}, "bookmark_url", "http or https"),
        ({"bookmark_url": "ftp://example.com/x"}, "bookmark_url", "http or https"),
        ({"name": "x", "file_size": -1}, "file_size", "greater than or equal"),
        ({"name": ""}, "name", "at least 1"),
    ],
)
def test_given_bad_input_then_422_in_the_v3_format(runner, user, payload, field, message):
    response = create(runner, user, payload)
    assert response["statusCode"] == 422
    errors = body(response)["errors"]
    assert errors["name"] == field and message in errors["message"]
    assert not boto3.client("dynamodb").scan(
        TableName="cloudshare-test",
        FilterExpression="begins_with(PK, :i)",
        ExpressionAttributeValues={":i": {"S": "ITEM#"}},
    )["Items"]


def test_given_malformed_json_then_422_not_500(runner, user):
    request = event("/v3/items", "POST", {**bearer(user["api_key"]), "Content-Type": "application/json"}, "{nope")
    response = runner.call("V3CreateItemFunction", request)
    assert response["statusCode"] == 422
    assert body(response)["errors"]["name"] == "" and "not valid JSON" in body(response)["errors"]["message"]


def test_given_a_bookmark_then_an_item_that_redirects(runner, user):
    answer = body(create(runner, user, {"bookmark_url": "http://getcloudapp.com/"}))
    assert answer["item_type"] == "bookmark" and answer["redirect_url"] == "http://getcloudapp.com/"
    assert answer["name"] == "http://getcloudapp.com/" and answer["content_url"] is None


def test_given_no_uploads_left_today_then_the_seed_answer_without_s3(runner, user, frozen):
    for _ in range(10):
        slug = body(create(runner, user, {"name": "a.png"}))["slug"]
        upload(slug, b"x")
        uploads.finalize_object(uploads.object_key(slug))
    answer = body(create(runner, user, {"name": "one-too-many.png"}))
    assert answer["uploads_remaining"] == 0 and "s3" not in answer


def test_given_duplicate_and_reordered_events_then_one_item_counted_once(runner, user):
    slug = body(create(runner, user, {"name": "photo.png"}))["slug"]
    upload(slug, b"p" * 500)
    redirect = event(f"/v3/items/{slug}/s3", "GET", bearer(user["api_key"]))
    redirect["pathParameters"] = {"slug": slug}
    first = runner.call("V3ItemS3Function", redirect)  # the redirect before the event
    for _ in range(3):
        runner.call("S3FinalizeFunction", s3_event(uploads.object_key(slug)))
    assert body(first)["item_type"] == "image" and body(first)["file_size"] == 500
    owner = users.get_user(user["user"].user_id)
    assert (owner.storage_used, owner.item_count, owner.uploads_today) == (500, 1, 1)


def test_given_an_object_bigger_than_its_policy_then_it_is_deleted_and_the_item_failed(runner, user):
    slug = body(create(runner, user, {"name": "small.png"}))["slug"]
    upload(slug, b"x" * 26214401)
    runner.call("S3FinalizeFunction", s3_event(uploads.object_key(slug)))
    item = items.get(slug)
    assert item.state == "failed" and "26214401 bytes" in item.failure_reason
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=f"items/{slug}/")
    assert users.get_user(user["user"].user_id).storage_used == 0


def test_given_an_object_with_no_item_then_it_is_removed(runner, user):
    boto3.client("s3").put_object(Bucket=BUCKET, Key="items/unknown+name", Body=b"x")
    runner.call("S3FinalizeFunction", s3_event("items/unknown%2Bname"))
    boto3.client("s3").put_object(Bucket=BUCKET, Key="items/abcdefghijkm/1", Body=b"x")  # well-formed, no item
    runner.call("S3FinalizeFunction", s3_event("items/abcdefghijkm/1"))
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="items/")


def test_given_an_event_for_a_key_outside_items_then_finalize_leaves_the_object_alone(runner, user):
    # Given a thumbnail (no upload owns it) and an event for it, as a trigger without its prefix filter sends
    boto3.client("s3").put_object(Bucket=BUCKET, Key="thumbnails/abcdefghijkm/1", Body=b"jpeg")
    # When finalize runs on it
    runner.call("S3FinalizeFunction", s3_event("thumbnails/abcdefghijkm/1"))
    # Then the thumbnail is still there
    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="thumbnails/")
    assert [entry["Key"] for entry in listed["Contents"]] == ["thumbnails/abcdefghijkm/1"]


def test_given_many_uploads_finishing_at_once_near_the_quota_then_storage_never_exceeds_it(
    runner,
    user,
):
    accounts.set_plan(user["email"], "free")
    quota = users.get_user(user["user"].user_id).plan.storage_quota
    boto3.client("dynamodb").update_item(
        TableName="cloudshare-test",
        Key={"PK": {"S": f"USER#{user['user'].user_id}"}, "SK": {"S": "PROFILE"}},
        UpdateExpression="SET storage_used = :used",
        ExpressionAttributeValues={":used": {"N": str(quota - 2500)}},
    )
    slugs = [body(create(runner, user, {"name": f"{n}.bin"}))["slug"] for n in range(8)]
    for slug in slugs:
        assert items.get_version(slug, 1).max_size == 2500
        upload(slug, b"z" * 1000)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda slug: uploads.finalize_object(uploads.object_key(slug)), slugs))
    states = sorted(items.get(slug).state for slug in slugs)
    assert states == ["failed"] * 6 + ["ready"] * 2
    assert users.get_user(user["user"].user_id).storage_used == quota - 500


def test_given_another_users_upload_then_the_redirect_route_says_404(runner, user):
    slug = body(create(runner, user, {"name": "private.png"}))["slug"]
    accounts.create_user("mallory@example.com", "mallory password", "free")
    _, key = accounts.create_api_key("mallory@example.com")
    redirect = event(f"/v3/items/{slug}/s3", "GET", bearer(key))
    redirect["pathParameters"] = {"slug": slug}
    response = runner.call("V3ItemS3Function", redirect)
    assert response["statusCode"] == 404
    assert items.get(slug).state == "pending"


def test_given_no_credentials_and_an_empty_body_then_401_before_any_validation(runner):
    # curl --digest first sends the POST without its body to obtain the challenge.
    response = runner.call("V3CreateItemFunction", event("/v3/items", "POST", {"Content-Type": "application/json"}))
    assert response["statusCode"] == 401


def test_given_an_upload_without_a_content_type_then_the_type_comes_from_its_name(runner, user):
    # The seed's S3 POST carries no Content-Type field, so S3 reports a generic type.
    slug = body(create(runner, user, {"name": "holiday.jpeg"}))["slug"]
    boto3.client("s3").put_object(Bucket=BUCKET, Key=uploads.object_key(slug), Body=b"jpeg bytes")
    runner.call("S3FinalizeFunction", s3_event(uploads.object_key(slug)))
    assert items.get(slug).content_type == "image/jpeg"


def test_given_an_upload_with_a_content_type_then_s3s_type_is_kept(runner, user):
    slug = body(create(runner, user, {"name": "notes.jpeg"}))["slug"]
    upload(slug, b"plain", content_type="text/plain")
    runner.call("S3FinalizeFunction", s3_event(uploads.object_key(slug)))
    assert items.get(slug).content_type == "text/plain"


def test_given_the_first_upload_of_a_day_when_the_day_turned_then_the_counter_restarts(runner, user, monkeypatch):
    from cloudshare.services import clock

    first = body(create(runner, user, {"name": "a.png"}))["slug"]
    upload(first, b"a")
    uploads.finalize_object(uploads.object_key(first))
    second = body(create(runner, user, {"name": "b.png"}))["slug"]
    upload(second, b"b")
    tomorrow = clock.now() + 86400
    monkeypatch.setattr(clock, "now", lambda: tomorrow)
    uploads.finalize_object(uploads.object_key(second))  # requested yesterday, lands today
    owner = users.get_user(user["user"].user_id)
    assert (owner.uploads_day, owner.uploads_today, owner.item_count) == (clock.today(), 1, 2)


def test_given_a_pending_upload_deleted_before_its_bytes_land_then_nothing_is_counted(runner, user):
    from cloudshare.services import management

    slug = body(create(runner, user, {"name": "late.png"}))["slug"]
    management.soft_delete(user["user"], slug)
    upload(slug, b"late bytes")
    runner.call("S3FinalizeFunction", s3_event(uploads.object_key(slug)))
    owner = users.get_user(user["user"].user_id)
    assert (owner.item_count, owner.artifact_count, owner.storage_used) == (0, 0, 0)
    assert items.get(slug).state == "pending" and items.get(slug).deleted_at is not None


def test_given_an_upload_refused_as_too_large_when_the_redirect_lands_then_422_naming_the_reason(runner, user):
    # Given a free plan with 2,500 bytes of room left, so the upload may take at most that
    accounts.set_plan(user["email"], "free")
    quota = users.get_user(user["user"].user_id).plan.storage_quota
    boto3.client("dynamodb").update_item(
        TableName="cloudshare-test",
        Key={"PK": {"S": f"USER#{user['user'].user_id}"}, "SK": {"S": "PROFILE"}},
        UpdateExpression="SET storage_used = :used",
        ExpressionAttributeValues={":used": {"N": str(quota - 2500)}},
    )
    slug = body(create(runner, user, {"name": "big.png"}))["slug"]
    upload(slug, b"z" * 3000)
    redirect = event(f"/v3/items/{slug}/s3", "GET", bearer(user["api_key"]))
    redirect["pathParameters"] = {"slug": slug}
    # When S3's redirect lands, before and after the S3 event
    first = runner.call("V3ItemS3Function", redirect)
    runner.call("S3FinalizeFunction", s3_event(uploads.object_key(slug)))
    again = runner.call("V3ItemS3Function", redirect)
    # Then both are 422 in the v3 format with the reason, never a 200 with a share link
    for response in (first, again):
        assert response["statusCode"] == 422
        assert body(response)["errors"] == {
            "name": "file",
            "message": "File is 3000 bytes; the most this upload could take was 2500",
            "type": "",
            "slug": slug,
            "upload_state": "failed",
        }
    # And the owner still reads the item, failed, with its reason
    read = event(f"/v3/items/{slug}", "GET", bearer(user["api_key"]))
    read["pathParameters"] = {"slug": slug}
    item = body(runner.call("V3GetItemFunction", read))
    assert (item["upload_state"], item["status"]) == ("failed", "failed") and "3000 bytes" in item["failure_reason"]
    assert users.get_user(user["user"].user_id).storage_used == quota - 2500


def test_given_the_s3_event_refuses_the_upload_while_the_redirect_looks_then_the_redirect_answers_422(
    runner, user, monkeypatch
):
    # Given an upload over the room left, and S3's event handled in full between the redirect's read
    # of the pending item and its look at S3 (the two run at once on AWS)
    accounts.set_plan(user["email"], "free")
    room = users.get_user(user["user"].user_id).plan.max_upload_size
    slug = body(create(runner, user, {"name": "big.png"}))["slug"]
    upload(slug, b"z" * (room + 1))
    look_at_s3 = uploads.objects.head

    def event_first(key):
        monkeypatch.setattr(uploads.objects, "head", look_at_s3)
        runner.call("S3FinalizeFunction", s3_event(key))
        return look_at_s3(key)

    monkeypatch.setattr(uploads.objects, "head", event_first)
    redirect = event(f"/v3/items/{slug}/s3", "GET", bearer(user["api_key"]))
    redirect["pathParameters"] = {"slug": slug}

    # When the redirect lands
    response = runner.call("V3ItemS3Function", redirect)

    # Then the refusal, not a pending item with a share link that will never work
    assert response["statusCode"] == 422 and body(response)["errors"]["upload_state"] == "failed"
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=f"items/{slug}/")
