"""Least privilege, read from template.yaml and proved by what each handler really does.

Every handler runs under devtools.iam, which authorises each AWS call (and each presigned request it
signs) against its function's own policy, as AWS would: a missing permission fails the test that
takes that path, anywhere in the suite. Here each function runs its sample event (and each
authenticated one again by API key and by HTTP Digest) while the authorisations are recorded; every
grant (statement, action, resource, LeadingKeys pattern) must be used by them or by a path named below.
"""

import copy
import re

import pytest

from cloudshare.services import auth
from cloudshare.store.aws import client
from devtools import iam
from devtools.samples import sample_event, seed
from devtools.template import functions, template
from tests.unit.apigw import digest_header
from tests.unit.helpers import BUCKET, TABLE

# Grants a function holds for paths its sample events do not take: "<statement> <action> <resource>
# [<LeadingKeys pattern>]" -> why (in a word or two).
_REJECT = "FinalizeUploadPolicy.InspectAndRejectUploadedObjects s3:DeleteObject bucket/items/*"
_THUMBNAIL = "FinalizeUploadPolicy.RequestThumbnails sqs:SendMessage ThumbnailQueue"
_REJECT_VERSION = "FinalizeUploadPolicy.InspectAndRejectUploadedObjects s3:DeleteObjectVersion bucket/items/*"
_READ_BACK = "FinalizeUploadPolicy.ReadAndSettleItemsAndOwners dynamodb:GetItem table ITEM#*"
OTHER_PATHS = {
    # Its sample event is a share page view; the other public routes take the rest.
    "PublicFunction": {
        "Inline2.SignFileAndThumbnailGets s3:GetObject bucket/thumbnails/*": "an image's thumbnail",
        "Inline2.SignFileAndThumbnailGets s3:GetObject bucket/items/*": "a file's content or download",
        "Inline2.TellMissingThumbnails s3:ListBucket bucket": "no thumbnail made: 404, not 403",
        "Inline2.CountFailedPasswordAttempts dynamodb:BatchGetItem table THROTTLE#*": "a wrong password",
        "Inline2.CountFailedPasswordAttempts dynamodb:UpdateItem table THROTTLE#*": "a wrong password",
        "CountPublicAccessPolicy.ReadAndCountItems dynamodb:UpdateItem table ITEM#*": "an item with expires_after_views (test_public_views_race.py)",
        "Inline2.SendAsTheShareSender ses:SendEmail arn:aws:ses:us-east-1:123456789012:identity/*": "a visitor's comment: the owner's digest (test_comments.py)",
        "Inline2.AddAndReadComments dynamodb:PutItem table ITEM#*": "a visitor's comment",
    },
    "S3FinalizeFunction": {
        _REJECT: "an orphan or oversized object",
        _THUMBNAIL: "an image",
        _REJECT_VERSION: "a replayed presigned POST (test_upload_events.py)",
        _READ_BACK: "the item after a race or a rejection",
        "FinalizeUploadPolicy.ReadAndSettleItemsAndOwners dynamodb:GetItem table USER#*": "which owner limit rejected it",
    },
    "SweepFunction": {
        _REJECT_VERSION: "a late upload over its limits",
        _THUMBNAIL: "a late image",
        "Inline1.LookAtAndAbortIdleMultipartUploads s3:AbortMultipartUpload bucket/items/*": "an idle multipart upload (test_multipart.py)",
        "FinalizeUploadPolicy.ReadAndSettleItemsAndOwners dynamodb:GetItem table USER#*": "which owner limit refused a late upload",
        "Inline1.SendHeldCommentEmailsAsTheShareSender ses:SendEmail arn:aws:ses:us-east-1:123456789012:identity/*": "comments held back an hour (test_comments.py)",
    },
    **{
        finish: {_REJECT: "an oversized upload", _THUMBNAIL: "an image", _REJECT_VERSION: "a refused upload"}
        for finish in ("V3ItemS3Function", "DashboardFinishUploadFunction", "DashboardFinishVersionFunction")
    },
    "V3RemoveFavoriteFunction": {
        "ChangeItemRecordsPolicy.ChangeItems dynamodb:UpdateItem table ITEM#*": "an item that is a favorite"
    },
    "V1CreateArtifactFunction": {
        _REJECT: "an inline file over the limits",
        _THUMBNAIL: "an inline image",
        _REJECT_VERSION: "a refused inline file",
        _READ_BACK: "the item after a race or a rejection",
        "Inline2.CreateItemsAndVersions dynamodb:DeleteItem table ITEM#*": "an inline file S3 refused",
    },
    "V1UpdateArtifactFunction": {
        _REJECT: "an inline version over the limits",
        _THUMBNAIL: "an inline image",
        _REJECT_VERSION: "a refused inline version",
        "FinalizeUploadPolicy.InspectAndRejectUploadedObjects s3:GetObject bucket/items/*": "an inline version",
        "FinalizeUploadPolicy.ReadAndSettleItemsAndOwners dynamodb:UpdateItem table USER#*": "an inline version",
        "Inline2.AddVersions dynamodb:PutItem table ITEM#*": "a new version",
        "Inline2.AddVersions dynamodb:DeleteItem table ITEM#*": "an inline file S3 refused",
        "Inline2.StoreAndSignUploadsUnderItems s3:PutObject bucket/items/*": "a new version",
    },
    "V1DeleteArtifactFunction": {
        "Inline1.DeleteItemsAndCountOwners dynamodb:UpdateItem table USER#*": "a ready artifact's counts"
    },
    "V1RestoreArtifactFunction": {
        "Inline1.RestoreItemsAndCountOwners dynamodb:UpdateItem table USER#*": "a ready artifact's counts"
    },
    "LoginFunction": {
        "Inline0.CountFailedAttempts dynamodb:UpdateItem table THROTTLE#*": "a wrong password",
        "Inline0.StartSessionsOrPendingSignIns dynamodb:PutItem table SIGNIN#*": "two-factor on (test_two_factor.py)",
    },
    "LoginTwoFactorFunction": {
        "Inline0.UseCodesAndCountFailedAttempts dynamodb:UpdateItem table THROTTLE#*": "a wrong code"
    },
    "LoginPasskeyFunction": {
        "Inline0.CountSignInsAndFailedAttempts dynamodb:UpdateItem table THROTTLE#*": "a refused passkey (test_passkeys.py)"
    },
    "DashboardChangeTwoFactorFunction": {
        "Inline1.ChangeTwoFactorAndCountFailedAttempts dynamodb:UpdateItem table THROTTLE#*": "a wrong code"
    },
    "DashboardRestoreItemFunction": {
        "Inline2.RestoreItemsAndCountOwners dynamodb:UpdateItem table USER#*": "a ready item's counts"
    },
    **{
        start: {
            "StartMultipartUploadPolicy.CreatePendingItemsAndVersions dynamodb:GetItem table ITEM#*": "a new version (test_multipart.py)",
            "StartMultipartUploadPolicy.CreatePendingItemsAndVersions dynamodb:UpdateItem table ITEM#*": "a new version",
            "StartMultipartUploadPolicy.UndoFailedStarts s3:AbortMultipartUpload bucket/items/*": "records that could not be written",
        }
        for start in ("V1StartUploadFunction", "DashboardStartMultipartFunction")
    },
    "V1CompleteUploadFunction": {
        _REJECT: "an object bigger than declared (test_multipart.py)",
        _THUMBNAIL: "an image",
        _REJECT_VERSION: "an object bigger than declared",
        "CompleteMultipartUploadPolicy.CompletePartsUnderItems s3:ListMultipartUploadParts bucket/items/*": "a complete without ETags",
    },
    "DashboardCompleteMultipartFunction": {
        _REJECT: "an object bigger than declared",
        _THUMBNAIL: "an image",
        _REJECT_VERSION: "an object bigger than declared",
    },
    "ThumbnailFunction": {
        "Inline0.ReadSettledImages s3:GetObject bucket/items/*": "a version settled before the bucket kept versions"
    },
}
# Every function that authenticates counts wrong passwords and keys (tests/unit/test_throttle.py).
AUTHENTICATED_OTHER_PATHS = {
    "AuthenticatePolicy.RecordDigestNonceCountsAndFailedAttempts dynamodb:UpdateItem table THROTTLE#*": "a wrong password or key"
}

# The sample event again with another body, for a path it does not take.
OTHER_BODIES = {"V3CreateItemFunction": '{"bookmark_url": "https://example.com/"}'}

# The sample events' API keys and whose they are (devtools/samples.py); public events name none, and
# are signed in as the owner of the item they open.
SAMPLE_LOGINS = {"csk_sampleevent0_": "sample@example.com", "csk_samplepro000_": "sample-pro@example.com"}
OWNER_KEY = f"Bearer csk_sampleevent0_{'S' * 43}"
SAMPLE_PASSWORD = "sample-password"


def label(use: iam.Use) -> str:
    """A grant in words, with the local table and bucket ARNs shortened to `table` and `bucket`."""
    resource = re.sub(rf"^arn:aws:dynamodb:[^:]+:\d+:table/{TABLE}", "table", use.resource)
    resource = resource.replace(f"arn:aws:s3:::{BUCKET}", "bucket")
    resource = re.sub(rf"^arn:aws:sqs:[^:]+:\d+:{TABLE}-", "", resource)  # a queue by its logical id
    return " ".join(part for part in (use.statement, use.action, resource, use.leading_key) if part)


def _signed_in(event: dict, authorization: str) -> dict:
    signed = copy.deepcopy(event)
    if event.get("version") == "2.0":  # a function URL's event: lower-case headers, no multiValueHeaders
        signed["headers"]["authorization"] = authorization
        return signed
    signed["headers"]["Authorization"] = authorization
    signed.setdefault("multiValueHeaders", {})["Authorization"] = [authorization]
    return signed


def _method_and_path(event: dict) -> tuple[str, str]:
    if event.get("version") == "2.0":
        return event["requestContext"]["http"]["method"], event["rawPath"]
    return event["httpMethod"], event["path"]


def paths(logical_id: str) -> list[dict]:
    """The sample event (and OTHER_BODIES); for a function that authenticates, also by API key and by
    HTTP Digest."""
    event = sample_event(logical_id)
    others = [{**event, "body": OTHER_BODIES[logical_id]}] if logical_id in OTHER_BODIES else []
    if "AuthenticatePolicy" not in str(functions()[logical_id]["Properties"].get("Policies", [])):
        return [event, *others]
    presented = {name.lower(): value for name, value in event["headers"].items()}.get("authorization")
    by_key = event if presented else _signed_in(event, OWNER_KEY)
    email = next(login for prefix, login in SAMPLE_LOGINS.items() if prefix in (presented or OWNER_KEY))
    answer = digest_header(auth.challenge_headers()[0], email, SAMPLE_PASSWORD, *_method_and_path(event))
    return [event, *others, by_key, _signed_in(event, answer)]


@pytest.mark.parametrize("logical_id", sorted(functions()))
def test_each_function_may_do_what_it_does_and_nothing_more(runner, logical_id):
    """Given the sample data, when the function serves its paths under its policy, then no call is
    denied and every grant is used (or named in OTHER_PATHS)."""
    seed()
    events = paths(logical_id)
    client.cache_clear()  # new clients, so the handler reads the nonce/grant key itself, as on a cold start
    with iam.recording() as recorded:
        for event in events:
            runner.call(logical_id, event)
    decisions = [(request, decision) for function, request, decision in recorded if function == logical_id]
    denied = [request for request, decision in decisions if not decision.allowed]
    assert not denied, f"{logical_id} calls AWS without permission: {denied}"
    used = {label(use) for _, decision in decisions for use in decision.uses}
    granted = {label(use) for use in iam.policy(logical_id).grants()}
    explained = set(OTHER_PATHS.get(logical_id, {}))
    if "AuthenticatePolicy" in str(functions()[logical_id]["Properties"].get("Policies", [])):
        explained |= set(AUTHENTICATED_OTHER_PATHS)
    assert explained <= granted - used, f"stale explanations for {logical_id}: {sorted(explained - (granted - used))}"
    unused = granted - used - explained
    assert not unused, f"{logical_id} holds permissions no path uses: {sorted(unused)}"


def test_no_policy_grants_wildcard_actions_or_resources():
    """Given every function's resolved policy, then actions are named and S3 grants name a key prefix."""
    bucket = f"arn:aws:s3:::{BUCKET}"
    for logical_id in functions():
        for statement in iam.policy(logical_id).statements:
            assert not statement.not_action and not statement.not_resource, (logical_id, statement.sid)
            for action in statement.actions:
                assert "*" not in action, (logical_id, action)
            for target in statement.resources:
                assert target != "*", (logical_id, statement.sid)
                if target.startswith("arn:aws:s3:::"):
                    assert target == bucket or (target.startswith(f"{bucket}/") and target != f"{bucket}/*"), (
                        logical_id,
                        target,
                    )


def test_the_bucket_is_private_encrypted_tls_only_and_acl_free():
    resources = template()["Resources"]
    bucket = resources["Bucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    statements = resources["BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )


def test_the_api_has_no_global_throttle_but_limits_per_client_and_declares_binary_bodies():
    resources = template()["Resources"]
    api = resources["Api"]["Properties"]
    assert "MethodSettings" not in api  # a stage-wide limit is one shared by every client in the world
    rules = {
        rule["Name"]: rule["Statement"]["RateBasedStatement"]
        for rule in resources["ApiFirewall"]["Properties"]["Rules"]
    }
    assert all(rule["AggregateKeyType"] == "IP" for rule in rules.values())
    everything = rules["RequestsPerIp"]["Limit"]
    # Password guesses go to the public function URL, which no WAF can front: its per-item and per-client
    # counters in the table limit them (services/throttle.py), and no rule is left for a route the API lacks.
    assert "PasswordGuessesPerIp" not in rules and "/{code}/unlock" not in str(resources["Api"])
    assert "CountFailedPasswordAttempts" in str(resources["PublicFunction"]["Properties"]["Policies"])
    assert rules["EmailSharesPerIp"]["Limit"] < everything  # outgoing mail
    assert resources["ApiFirewallAssociation"]["Properties"]["WebACLArn"] == {"Fn::GetAtt": ["ApiFirewall", "Arn"]}
    assert "multipart~1form-data" in api["BinaryMediaTypes"]
