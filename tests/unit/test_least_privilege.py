"""Least privilege, read from template.yaml and checked against what each handler really does.

Every function runs its sample event while every AWS call (and every presigned request it signs)
is recorded. Each recorded call must be allowed by the function's policy (moto enforces no IAM, so
this is what catches a missing permission before AWS does), and each allowed action must be
recorded or named below as used on a path the sample event does not take.
"""

import boto3
import pytest

from cloudshare.store.aws import client
from devtools.samples import sample_event, seed
from devtools.template import functions, template

# Actions a function holds for paths its sample event does not take (why, in a word or two).
OTHER_PATHS = {
    "S3FinalizeFunction": {"s3:DeleteObject": "reject/orphan", "s3:DeleteObjectVersion": "replayed POST",
                           "dynamodb:GetItem": "limit reason", "sqs:SendMessage": "thumbnail of an image"},
    "V3ItemS3Function": {"s3:DeleteObject": "reject", "s3:DeleteObjectVersion": "reject",
                         "s3:GetObject": "head", "dynamodb:UpdateItem": "settle", "sqs:SendMessage": "thumbnail"},
    "V1CreateArtifactFunction": {"s3:DeleteObject": "reject", "s3:DeleteObjectVersion": "reject",
                                 "s3:GetObject": "head", "dynamodb:DeleteItem": "discard a refused inline file",
                                 "sqs:SendMessage": "thumbnail"},
    "V1UpdateArtifactFunction": {"s3:DeleteObject": "reject", "s3:DeleteObjectVersion": "reject",
                                 "s3:GetObject": "head", "s3:PutObject": "inline",
                                 "dynamodb:PutItem": "new version", "dynamodb:DeleteItem": "discard a refused file",
                                 "sqs:SendMessage": "thumbnail"},
    "PublicThumbnailFunction": {"s3:GetObject": "an image's thumbnail", "s3:ListBucket": "404 not 403",
                                "secretsmanager:GetSecretValue": "ticket or grant"},
    "PublicUnlockFunction": {"dynamodb:UpdateItem": "attempt counters", "dynamodb:BatchGetItem": "attempt counters"},
    "PublicPageFunction": {"dynamodb:GetItem": "owner / ticketed view"},
    "PublicContentFunction": {"dynamodb:GetItem": "ticketed preview"},
    "PublicDownloadFunction": {"dynamodb:GetItem": "ticketed download"},
    "SweepFunction": {"dynamodb:PutItem": "tombstone", "dynamodb:DeleteItem": "purge", "s3:DeleteObject": "purge",
                      "dynamodb:BatchWriteItem": "purge versions", "dynamodb:UpdateItem": "expire",
                      "s3:DeleteObjectVersion": "refuse a late upload", "sqs:SendMessage": "thumbnail"},
    "ThumbnailFunction": {"s3:GetObject": "versions settled before the bucket kept versions"},
    "V1RestoreArtifactFunction": {},
}
# Digest nonces: every authenticated function may record one (the sample events use API keys).
AUTHENTICATED_EXTRA = {"dynamodb:UpdateItem": "Digest nonce counts, failed attempts",
                       "dynamodb:BatchGetItem": "credentials and their attempt counters",
                       "secretsmanager:GetSecretValue": "Digest nonces"}

# generate_presigned_post builds its URL from the CreateBucket operation: signing, not a call.
_SIGNING_ONLY = {"CreateBucket"}
_S3 = {"HeadObject": "s3:GetObject", "GetObject": "s3:GetObject", "PutObject": "s3:PutObject",
       "DeleteObject": "s3:DeleteObject", "DeleteObjects": "s3:DeleteObject", "ListObjectsV2": "s3:ListBucket",
       "CopyObject": "s3:PutObject"}
_TRANSACT = {"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
             "ConditionCheck": "dynamodb:ConditionCheckItem"}


def _iam_actions(service: str, operation: str, params: dict) -> set[str]:
    if service == "s3" and "VersionId" in params:  # one version of an object, by id
        return {"s3:DeleteObjectVersion" if operation == "DeleteObject" else "s3:GetObjectVersion"}
    if service == "s3":
        return set() if operation in _SIGNING_ONLY else {_S3.get(operation, f"s3:{operation}")}
    if service == "dynamodb" and operation == "TransactWriteItems":
        return {_TRANSACT[kind] for entry in params.get("TransactItems", []) for kind in entry}
    if service == "dynamodb" and operation == "TransactGetItems":
        return {"dynamodb:GetItem"}
    return {f"{service}:{operation}"}


def _statements(policies: list) -> list[dict]:
    resources = template()["Resources"]
    found = []
    for policy in policies:
        if isinstance(policy, dict) and "Ref" in policy:
            found += resources[policy["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
        elif isinstance(policy, dict) and "Statement" in policy:
            found += policy["Statement"]
        else:
            raise AssertionError(f"policy {policy!r}: only template-defined statements are reviewed here")
    return found


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def allowed_actions(logical_id: str) -> set[str]:
    policies = functions()[logical_id]["Properties"].get("Policies", [])
    return {action for statement in _statements(policies) if statement["Effect"] == "Allow"
            for action in _listed(statement["Action"])}


@pytest.fixture
def recorded(monkeypatch):
    """(IAM action) for every AWS call made, or presigned request signed, through cloudshare's clients."""
    actions: set[str] = set()

    def record(params, model, **_kwargs):
        actions.update(_iam_actions(model.service_model.service_name, model.name, params))

    session = boto3.DEFAULT_SESSION or boto3.setup_default_session() or boto3.DEFAULT_SESSION
    session.events.register("before-parameter-build", record)
    client.cache_clear()
    signing = client("s3").generate_presigned_post

    def presigned_post(*args, **kwargs):
        actions.add("s3:PutObject")
        return signing(*args, **kwargs)

    monkeypatch.setattr(client("s3"), "generate_presigned_post", presigned_post)
    yield actions
    session.events.unregister("before-parameter-build", record)
    client.cache_clear()


@pytest.mark.parametrize("logical_id", sorted(functions()))
def test_each_function_may_do_what_it_does_and_nothing_more(runner, recorded, logical_id):
    seed()
    recorded.clear()
    runner.call(logical_id, sample_event(logical_id))
    allowed = allowed_actions(logical_id)
    assert recorded <= allowed, f"{logical_id} calls AWS without permission: {sorted(recorded - allowed)}"
    explained = set(OTHER_PATHS.get(logical_id, {}))
    authenticated = "AuthenticatePolicy" in str(functions()[logical_id]["Properties"].get("Policies", []))
    if authenticated:
        explained |= set(AUTHENTICATED_EXTRA)
    assert explained <= allowed | recorded, f"stale explanations for {logical_id}: {sorted(explained - allowed)}"
    unused = allowed - recorded - explained
    assert not unused, f"{logical_id} holds permissions it never uses: {sorted(unused)}"


def test_no_policy_grants_wildcard_actions_or_resources():
    for logical_id, resource in functions().items():
        for statement in _statements(resource["Properties"].get("Policies", [])):
            for action in _listed(statement["Action"]):
                assert "*" not in action, (logical_id, action)
            for target in _listed(statement["Resource"]):
                assert target != "*", (logical_id, statement)
                if "s3:::" in str(target) or "Bucket.Arn" in str(target):
                    assert str(target).rstrip("\"'}").endswith(("/*", "-${AWS::Region}")) or "/" in str(target), \
                        (logical_id, target)


def test_the_bucket_is_private_encrypted_tls_only_and_acl_free():
    resources = template()["Resources"]
    bucket = resources["Bucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    statements = resources["BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)


def test_the_api_has_no_global_throttle_but_limits_per_client_and_declares_binary_bodies():
    resources = template()["Resources"]
    api = resources["Api"]["Properties"]
    assert "MethodSettings" not in api  # a stage-wide limit is one shared by every client in the world
    rules = {rule["Name"]: rule["Statement"]["RateBasedStatement"] for rule in
             resources["ApiFirewall"]["Properties"]["Rules"]}
    assert all(rule["AggregateKeyType"] == "IP" for rule in rules.values())
    everything = rules["RequestsPerIp"]["Limit"]
    assert rules["PasswordGuessesPerIp"]["Limit"] < everything  # password guessing
    assert rules["EmailSharesPerIp"]["Limit"] < everything  # outgoing mail
    assert resources["ApiFirewallAssociation"]["Properties"]["WebACLArn"] == {"Fn::GetAtt": ["ApiFirewall", "Arn"]}
    assert "multipart~1form-data" in api["BinaryMediaTypes"]
