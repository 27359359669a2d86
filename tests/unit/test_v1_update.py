"""PUT /api/v1/artifacts/{slug}: new versions (inline and presigned), metadata, keep_password; GET one artifact."""

import boto3
import pytest
import requests

from cloudshare.services import accounts, management, uploads
from cloudshare.services.passwords import verify_password
from cloudshare.store import items, users
from tests.unit import v1client as v1
from tests.unit.apigw import bearer, body, event
from tests.unit.helpers import BUCKET, s3_event


def listed(runner, key, slug):
    return next(a for a in body(v1.listing(runner, key))["artifacts"] if a["slug"] == slug)


def test_given_an_inline_file_then_version_2_becomes_current_and_both_versions_count(runner, user, frozen):
    key = user["api_key"]
    slug = v1.create_inline(runner, key, b"first", "report.pdf")
    response = v1.update(runner, key, slug, {"version_name": "v2.0"}, {"file": ("report.pdf", b"second!")})
    assert response["statusCode"] == 200
    assert body(response) == {
        "status": True,
        "message": "Artifact updated successfully",
        "version_number": 2,
        "password_inherited": False,
    }
    artifact = listed(runner, key, slug)
    assert (artifact["current_version_number"], artifact["current_version_name"]) == (2, "v2.0")
    assert (artifact["current_file_type"], artifact["current_file_extension"]) == ("application/pdf", "pdf")
    owner = users.get_user(user["user"].user_id)
    assert (owner.storage_used, owner.artifact_count, owner.uploads_today) == (5 + 7, 1, 2)
    versions = body(v1.get(runner, key, slug))["artifact"]["versions"]
    assert [(v["version_number"], v["version_name"], v["file_size"], v["state"]) for v in versions] == [
        (1, "v1", 5, "ready"),
        (2, "v2.0", 7, "ready"),
    ]


def test_given_a_new_version_of_another_kind_then_the_extension_follows_its_type(runner, user):
    key = user["api_key"]
    slug = v1.create_inline(runner, key, b"first", "report.pdf")
    v1.update(runner, key, slug, {"version_name": "as zip"}, {"file": ("report.zip", b"PK..", "application/zip")})
    artifact = listed(runner, key, slug)
    assert (artifact["current_file_type"], artifact["current_file_extension"]) == ("application/zip", "zip")


def test_given_file_name_then_a_presigned_post_and_the_s3_event_makes_version_2_current(runner, user):
    key = user["api_key"]
    slug = v1.create_inline(runner, key, b"first", "notes.txt")
    response = v1.update(runner, key, slug, {"version_name": "big one", "file_name": "notes.txt", "file_size": "9"})
    answer = body(response)
    assert response["statusCode"] == 200 and answer["version_number"] == 2
    fields = answer["upload"]["fields"]
    assert fields["key"] == uploads.object_key(slug, 2) and "success_action_redirect" not in fields
    assert listed(runner, key, slug)["current_version_number"] == 1  # version 2 is pending until S3 has it
    posted = requests.post(
        answer["upload"]["url"],
        data={**fields, "Content-Type": "text/plain"},
        files={"file": ("notes.txt", b"123456789")},
    )
    assert posted.status_code == 204
    runner.call("S3FinalizeFunction", s3_event(fields["key"]))
    artifact = listed(runner, key, slug)
    assert (artifact["current_version_number"], artifact["current_version_name"]) == (2, "big one")
    assert users.get_user(user["user"].user_id).storage_used == 5 + 9


def test_given_metadata_as_multipart_then_management_sees_every_change(runner, user):
    owner = accounts.set_plan(user["email"], "pro")
    slug = v1.create_inline(runner, user["api_key"])
    response = v1.update(
        runner,
        user["api_key"],
        slug,
        {
            "is_published": "false",
            "allow_comments": "no",
            "allow_downloads": "0",
            "view_only": "yes",
            "show_combined_comments": "true",
            "password": "open sesame",
            "expiration_date": "2099-05-01T10:00:00Z",
            "version_name": "renamed",
        },
    )
    assert body(response) == {
        "status": True,
        "message": "Artifact updated successfully",
        "version_number": 1,
        "password_inherited": False,
    }
    item = management.owned(owner, slug)
    assert (
        item.is_published,
        item.allow_comments,
        item.allow_downloads,
        item.view_only,
        item.show_combined_comments,
    ) == (False, False, False, True, True)
    assert verify_password("open sesame", item.password_hash)
    assert item.expiration_time == "2099-05-01T10:00:00Z" and item.version_name == "renamed"
    assert items.get_version(slug, 1).name == "renamed"
    # and both reads return what was written, show_combined_comments included (it was write-only)
    [listed] = body(v1.listing(runner, user["api_key"]))["artifacts"]
    read = body(v1.get(runner, user["api_key"], slug))["artifact"]
    for answer in (listed, read):
        assert (answer["allow_comments"], answer["show_combined_comments"]) == (False, True)


@pytest.mark.parametrize(
    "removal", [{"password": "", "expiration_date": "null"}, {"password": "", "expiration_date": ""}]
)
def test_given_empty_values_as_multipart_then_password_and_expiration_are_removed(runner, user, removal):
    owner = accounts.set_plan(user["email"], "pro")
    slug = v1.create_inline(runner, user["api_key"], password="pw", expiration_date="2099-01-01T00:00:00Z")
    assert v1.update(runner, user["api_key"], slug, removal)["statusCode"] == 200
    item = management.owned(owner, slug)
    assert (item.password_hash, item.expiration_time) == (None, None)


def test_given_a_json_body_then_metadata_changes_and_null_removes(runner, user):
    owner = accounts.set_plan(user["email"], "pro")
    slug = v1.create_inline(runner, user["api_key"], expiration_date="2099-01-01T00:00:00Z")
    response = v1.update(
        runner, user["api_key"], slug, json_body={"is_published": False, "view_only": "true", "expiration_date": None}
    )
    assert response["statusCode"] == 200
    item = management.owned(owner, slug)
    assert (item.is_published, item.view_only, item.expiration_time) == (False, True, None)


@pytest.mark.parametrize(
    "form, json_body, message",
    [
        ({"is_published": "sometimes"}, None, "is_published must be true or false (also accepted: 1/0, yes/no)"),
        ({"expiration_date": "2001-01-01T00:00:00Z"}, None, "expiration_date must be in the future"),
        ({"version_name": ""}, None, "version_name must not be empty"),
        (None, {"allow_downloads": [True]}, "allow_downloads must be true or false (also accepted: 1/0, yes/no)"),
        (None, {"file_size": "many", "file_name": "a"}, "file_size must be a whole number"),
    ],
)
def test_given_bad_values_then_400_and_nothing_changes(runner, user, form, json_body, message):
    accounts.set_plan(user["email"], "pro")
    slug = v1.create_inline(runner, user["api_key"])
    before = items.get(slug)
    response = v1.update(runner, user["api_key"], slug, form, json_body=json_body)
    assert response["statusCode"] == 400 and body(response) == {"status": False, "message": message}
    assert items.get(slug) == before


def test_given_a_free_plan_when_setting_a_password_then_403_with_feature_and_no_new_version(runner, user):
    slug = v1.create_inline(runner, user["api_key"])
    response = v1.update(
        runner, user["api_key"], slug, {"password": "x", "version_name": "v2"}, {"file": ("b.txt", b"new")}
    )
    assert response["statusCode"] == 403 and body(response)["feature"] == "passwordProtection"
    assert items.get(slug).last_version == 1 and items.get_version(slug, 2) is None


def test_given_a_new_version_over_the_quota_then_403_and_nothing_changes(runner, user):
    slug = v1.create_inline(runner, user["api_key"], b"12345")
    quota = user["user"].plan.storage_quota
    v1.set_usage(user["user"].user_id, storage_used=quota - 2)
    before = items.get(slug)
    response = v1.update(runner, user["api_key"], slug, {"is_published": "false"}, {"file": ("b.txt", b"abc")})
    assert body(response) == {
        "status": False,
        "message": "Storage quota exceeded",
        "current": quota - 2,
        "limit": quota,
        "remaining": 2,
    }
    assert items.get(slug) == before


@pytest.mark.parametrize(
    "keep, password, inherited, still_protected_by",
    [
        (None, None, True, "old pass"),  # a protected artifact stays protected by default
        ("true", None, True, "old pass"),
        ("false", None, False, None),  # explicitly not inherited: the new version is open
        (None, "new pass", False, "new pass"),
        (None, "", False, None),
    ],
)
def test_given_a_protected_artifact_when_a_new_version_arrives_then_keep_password_decides(
    runner, user, keep, password, inherited, still_protected_by
):
    accounts.set_plan(user["email"], "pro")
    slug = v1.create_inline(runner, user["api_key"], password="old pass")
    form = {
        "version_name": "v2",
        **({"keep_password": keep} if keep else {}),
        **({"password": password} if password is not None else {}),
    }
    response = v1.update(runner, user["api_key"], slug, form, {"file": ("b.txt", b"v2")})
    assert body(response)["password_inherited"] is inherited and body(response)["version_number"] == 2
    stored = items.get(slug).password_hash
    assert stored is None if still_protected_by is None else verify_password(still_protected_by, stored)


def test_given_keep_password_and_a_new_password_together_then_400(runner, user):
    accounts.set_plan(user["email"], "pro")
    slug = v1.create_inline(runner, user["api_key"], password="old pass")
    response = v1.update(
        runner, user["api_key"], slug, {"keep_password": "true", "password": "other"}, {"file": ("b.txt", b"v2")}
    )
    assert response["statusCode"] == 400 and items.get(slug).last_version == 1


def test_given_an_unprotected_artifact_then_a_new_version_inherits_nothing(runner, user):
    slug = v1.create_inline(runner, user["api_key"])
    response = v1.update(runner, user["api_key"], slug, {"keep_password": "true"}, {"file": ("b.txt", b"v2")})
    assert body(response)["password_inherited"] is False


def test_given_a_bookmark_then_a_file_version_is_refused(runner, user):
    bookmark = uploads.create_bookmark(user["user"], "https://example.com/", None, None)
    response = v1.update(runner, user["api_key"], bookmark.slug, {"version_name": "v2"}, {"file": ("b.txt", b"x")})
    assert response["statusCode"] == 400 and body(response)["message"] == "Bookmarks have no file versions"


def test_given_an_unknown_slug_then_the_seeds_404(runner, user):
    response = v1.update(runner, user["api_key"], "nosuchslug23", {"is_published": "true"})
    assert response["statusCode"] == 404
    assert body(response) == {"status": False, "message": "Artifact not found"}


def test_given_a_pending_presigned_artifact_then_get_shows_its_pending_version(runner, user):
    created = body(v1.create(runner, user["api_key"], {"version_name": "v1", "file_name": "later.txt"}))
    artifact = body(v1.get(runner, user["api_key"], created["slug"]))["artifact"]
    assert artifact["upload_state"] == "pending" and artifact["current_version_number"] == 0
    assert [(v["version_number"], v["state"]) for v in artifact["versions"]] == [(1, "pending")]
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket="cloudshare-test-files")


def test_given_json_labelled_as_a_form_then_415_naming_the_content_type_and_nothing_changes(runner, user):
    # curl -d '{…}' without -H labels JSON as a form; a form is also what another site's page can send.
    slug = v1.create_inline(runner, user["api_key"])
    request = event(
        f"{v1.ARTIFACTS}/{slug}",
        "PUT",
        {**bearer(user["api_key"]), "Content-Type": "application/x-www-form-urlencoded"},
        '{"is_published": false}',
    )
    response = runner.call("V1UpdateArtifactFunction", {**request, "pathParameters": {"slug": slug}})
    assert response["statusCode"] == 415 and body(response)["status"] is False
    assert "application/json" in body(response)["message"]
    assert management.owned(user["user"], slug).is_published is True


def test_given_an_artifact_whose_first_upload_never_landed_then_no_new_version_and_nothing_counted(runner, user):
    created = v1.create(runner, user["api_key"], {"version_name": "v1", "file_name": "later.txt", "file_size": "5"})
    slug = body(created)["slug"]
    response = v1.update(
        runner,
        user["api_key"],
        slug,
        form={"version_name": "v2"},
        files={"file": ("later.txt", b"early", "text/plain")},
    )
    assert response["statusCode"] == 400 and "first upload is pending" in body(response)["message"]
    owner = users.get_user(user["user"].user_id)
    assert (owner.storage_used, owner.uploads_today) == (0, 0) and items.get(slug).last_version == 1


def test_given_a_content_type_http_cannot_carry_then_400_not_500(runner, user):
    slug = v1.create_inline(runner, user["api_key"])
    request = event(
        f"{v1.ARTIFACTS}/{slug}",
        "PUT",
        {**bearer(user["api_key"]), "Content-Type": "multipart/form-data; boundary=€x"},
        "--€x--",
    )
    response = runner.call("V1UpdateArtifactFunction", {**request, "pathParameters": {"slug": slug}})
    assert response["statusCode"] == 400 and body(response)["status"] is False


def test_given_a_presigned_version_that_drops_the_password_then_it_drops_only_when_the_file_lands(runner, user):
    accounts.set_plan(user["email"], "pro")
    slug = v1.create_inline(runner, user["api_key"], password="old pass")
    response = v1.update(
        runner,
        user["api_key"],
        slug,
        {"version_name": "v2", "keep_password": "false", "is_published": "false", "file_name": "b.txt"},
    )
    assert response["statusCode"] == 200 and body(response)["version_number"] == 2
    before = items.get(slug)
    assert verify_password("old pass", before.password_hash) and before.is_published  # v1 still protected
    boto3.client("s3").put_object(Bucket=BUCKET, Key=uploads.object_key(slug, 2), Body=b"version two")
    runner.call("S3FinalizeFunction", s3_event(uploads.object_key(slug, 2)))
    after = items.get(slug)
    assert (after.version, after.password_hash, after.is_published) == (2, None, False)


def test_given_s3_refusing_a_new_version_then_its_metadata_changes_nothing_either(runner, user):
    from tests.unit.faults import failing

    accounts.set_plan(user["email"], "pro")
    slug = v1.create_inline(runner, user["api_key"], password="old pass")
    with failing("s3", "PutObject"):
        response = v1.update(
            runner,
            user["api_key"],
            slug,
            {"version_name": "v2", "keep_password": "false", "is_published": "false"},
            {"file": ("b.txt", b"v2")},
        )
    assert response["statusCode"] == 503
    item = items.get(slug)
    assert (item.version, item.is_published) == (1, True) and verify_password("old pass", item.password_hash)


def test_given_a_metadata_change_then_the_artifact_is_read_once(runner, user):
    from devtools.awscalls import counting

    key = user["api_key"]
    slug = v1.create_inline(runner, key, b"first", "report.pdf")
    with counting() as count:
        response = v1.update(runner, key, slug, {"is_published": "false"})
    assert response["statusCode"] == 200 and listed(runner, key, slug)["is_published"] is False
    # Authentication takes one batch and one read; then the artifact is read once (it used to be read
    # a second time, by the update) and written once.
    assert (
        count.calls["dynamodb.BatchGetItem"],
        count.calls["dynamodb.GetItem"],
        count.calls["dynamodb.UpdateItem"],
    ) == (1, 2, 1), count.summary()
