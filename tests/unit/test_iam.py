"""devtools.iam evaluates a call against a function's policy the way AWS documents it.

Hand-made statements show each rule; the template's own policies show that the local stack denies
what AWS would deny (the bookmark transaction that once needed a permission V3CreateItemFunction lacked).
"""

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from cloudshare.store.aws import client
from devtools import iam
from devtools.iam import Policy, Request, Statement, requests_for
from tests.unit.apigw import bearer, body, event
from tests.unit.helpers import BUCKET, NONCE_SECRET, SHARE_SENDER, TABLE

TABLE_ARN = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"
ITEMS_ONLY = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ("ITEM#*",)}}


def allow(actions, resources, conditions=None, sid="Test") -> Statement:
    return Statement(
        sid=sid, effect="Allow", actions=tuple(actions), resources=tuple(resources), conditions=conditions or {}
    )


def decide(statements, service, operation, params) -> bool:
    policy = Policy("Test", tuple(statements))
    return all(policy.decide(request).allowed for request in requests_for(service, operation, params))


def key(pk: str) -> dict:
    return {"PK": {"S": pk}, "SK": {"S": "X"}}


def test_given_leading_keys_limited_to_items_then_only_item_partitions_may_be_touched():
    statements = [allow(["dynamodb:UpdateItem"], [TABLE_ARN], ITEMS_ONLY)]
    assert decide(statements, "dynamodb", "UpdateItem", {"TableName": TABLE, "Key": key("ITEM#abc")})
    assert not decide(statements, "dynamodb", "UpdateItem", {"TableName": TABLE, "Key": key("USER#abc")})
    assert not decide(statements, "dynamodb", "GetItem", {"TableName": TABLE, "Key": key("ITEM#abc")})


def test_given_a_transaction_then_each_element_needs_its_own_action_on_its_own_key():
    """The bookmark case: a Put on ITEM# and an Update on USER#, with PutItem on ITEM# only: denied."""
    put_items = allow(["dynamodb:PutItem"], [TABLE_ARN], ITEMS_ONLY)
    transaction = {
        "TransactItems": [
            {"Put": {"TableName": TABLE, "Item": key("ITEM#b")}},
            {"Update": {"TableName": TABLE, "Key": key("USER#u")}},
        ]
    }
    assert not decide([put_items], "dynamodb", "TransactWriteItems", transaction)
    count_owners = allow(
        ["dynamodb:UpdateItem"], [TABLE_ARN], {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ("USER#*",)}}
    )
    assert decide([put_items, count_owners], "dynamodb", "TransactWriteItems", transaction)
    assert [r.action for r in requests_for("dynamodb", "TransactWriteItems", transaction)] == [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]


def test_given_a_batch_then_one_statement_must_allow_all_its_keys_of_a_table():
    """A batch is one request per table whose LeadingKeys hold every key: two statements that each
    allow half of them allow none of it (ForAllValues is evaluated statement by statement)."""
    batch = {"RequestItems": {TABLE: {"Keys": [key("ITEM#a"), key("USER#u")]}}}
    items = allow(["dynamodb:BatchGetItem"], [TABLE_ARN], ITEMS_ONLY)
    users = allow(
        ["dynamodb:BatchGetItem"], [TABLE_ARN], {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ("USER#*",)}}
    )
    assert not decide([items, users], "dynamodb", "BatchGetItem", batch)
    both = allow(
        ["dynamodb:BatchGetItem"],
        [TABLE_ARN],
        {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ("ITEM#*", "USER#*")}},
    )
    assert decide([both], "dynamodb", "BatchGetItem", batch)


def test_given_a_query_on_an_index_then_the_index_arn_and_its_partition_key_are_checked():
    query = {
        "TableName": TABLE,
        "IndexName": "GSI1",
        "KeyConditionExpression": "#pk = :owner",
        "ExpressionAttributeNames": {"#pk": "GSI1PK"},
        "ExpressionAttributeValues": {":owner": {"S": "OWNER#u"}},
    }
    owners = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ("OWNER#*",)}}
    assert not decide([allow(["dynamodb:Query"], [TABLE_ARN], owners)], "dynamodb", "Query", query)
    assert decide([allow(["dynamodb:Query"], [f"{TABLE_ARN}/index/*"], owners)], "dynamodb", "Query", query)
    assert not decide([allow(["dynamodb:Query"], [f"{TABLE_ARN}/index/*"], ITEMS_ONLY)], "dynamodb", "Query", query)


def test_given_for_all_values_and_no_leading_keys_in_the_request_then_it_holds_as_on_aws():
    """A Scan names no partition: ForAllValues over nothing is true (AWS's documented pitfall)."""
    assert decide([allow(["dynamodb:Scan"], [TABLE_ARN], ITEMS_ONLY)], "dynamodb", "Scan", {"TableName": TABLE})
    any_value = {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ("ITEM#*",)}}
    assert not decide([allow(["dynamodb:Scan"], [TABLE_ARN], any_value)], "dynamodb", "Scan", {"TableName": TABLE})


def test_given_wildcards_then_actions_match_case_insensitively_and_resources_exactly():
    get = {"TableName": TABLE, "Key": key("ITEM#a")}
    assert decide([allow(["DynamoDB:Get*"], [TABLE_ARN])], "dynamodb", "GetItem", get)
    assert not decide([allow(["dynamodb:GetItem"], [TABLE_ARN.upper()])], "dynamodb", "GetItem", get)
    assert not decide([allow(["dynamodb:GetItem"], [f"{TABLE_ARN}-other"])], "dynamodb", "GetItem", get)


def test_given_an_explicit_deny_then_it_wins_over_any_allow():
    deny = Statement(sid="No", effect="Deny", actions=("s3:*",), resources=("arn:aws:s3:::b/secret/*",), conditions={})
    statements = [allow(["s3:GetObject"], ["arn:aws:s3:::b/*"]), deny]
    assert decide(statements, "s3", "GetObject", {"Bucket": "b", "Key": "public/x"})
    assert not decide(statements, "s3", "HeadObject", {"Bucket": "b", "Key": "secret/x"})


def test_given_a_from_address_condition_then_only_that_sender_may_send():
    statements = [
        allow(
            ["ses:SendEmail"],
            ["arn:aws:ses:us-east-1:123456789012:identity/*"],
            {"StringEquals": {"ses:FromAddress": ("share@example.com",)}},
        )
    ]
    assert decide(statements, "ses", "SendEmail", {"Source": "Share <share@example.com>"})
    assert not decide(statements, "ses", "SendEmail", {"Source": "someone@example.com"})


def test_given_a_condition_operator_it_does_not_know_then_it_refuses_to_guess():
    statements = [allow(["dynamodb:GetItem"], [TABLE_ARN], {"NumericLessThan": {"dynamodb:LeadingKeys": ("1",)}})]
    with pytest.raises(NotImplementedError):
        decide(statements, "dynamodb", "GetItem", {"TableName": TABLE, "Key": key("ITEM#a")})


def test_given_the_template_then_arns_resolve_to_the_local_table_and_bucket():
    resources = {r for s in iam.policy("V3CreateItemFunction").statements for r in s.resources}
    assert resources == {TABLE_ARN, f"arn:aws:s3:::{BUCKET}/items/*", NONCE_SECRET}  # the secret as functions name it
    thumbnails = {r for s in iam.policy("ThumbnailFunction").statements for r in s.resources}
    assert f"arn:aws:s3:::{BUCKET}/thumbnails/*" in thumbnails  # spelled as the bucket's name expression
    sender = next(s for s in iam.policy("V3ShareItemFunction").statements if s.sid.endswith("SendAsTheShareSender"))
    assert sender.conditions["StringEquals"]["ses:FromAddress"] == (SHARE_SENDER,)  # the parameter it was given


def test_given_enforcement_then_a_presigned_post_is_signed_only_for_keys_the_role_may_put():
    with iam.enforce("V3CreateItemFunction"):
        assert client("s3").generate_presigned_post(BUCKET, "items/abc/1")["fields"]["key"] == "items/abc/1"
        with pytest.raises(ClientError) as denied:
            client("s3").generate_presigned_post(BUCKET, "thumbnails/abc")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert "s3:PutObject" in denied.value.response["Error"]["Message"]


def test_given_enforcement_then_a_denied_call_never_reaches_the_service_and_outside_it_nothing_is_checked():
    s3 = boto3.client("s3")
    with iam.enforce("V3GetItemFunction"), pytest.raises(ClientError) as denied:
        client("s3").put_object(Bucket=BUCKET, Key="items/x", Body=b"x")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    client("s3").put_object(Bucket=BUCKET, Key="items/x", Body=b"x")  # tests' own set-up is not a function


def test_given_a_bookmark_when_created_through_the_handler_under_enforcement_then_it_is_stored_and_counted(
    runner, user
):
    """Regression: the transaction also counts the item on USER#; V3CreateItemFunction could only
    PutItem ITEM#, so on AWS every bookmark was a 500 (moto, without IAM, let it pass)."""
    request = event(
        "/v3/items",
        "POST",
        {**bearer(user["api_key"]), "Content-Type": "application/json"},
        json.dumps({"bookmark_url": "https://example.com/kept"}),
    )
    with iam.recording() as decisions:
        response = runner.call("V3CreateItemFunction", request)
    assert response["statusCode"] == 200, response
    assert body(response)["redirect_url"] == "https://example.com/kept"
    assert any(
        request.action == "dynamodb:UpdateItem"
        and request.context["dynamodb:LeadingKeys"][0].startswith("USER#")
        and decision.allowed
        for _, request, decision in decisions
    )
    profile = boto3.client("dynamodb").get_item(
        TableName=TABLE, Key={"PK": {"S": f"USER#{user['user'].user_id}"}, "SK": {"S": "PROFILE"}}
    )["Item"]
    assert profile["item_count"] == {"N": "1"}


def test_request_shapes_follow_the_iam_actions_aws_documents():
    assert requests_for("s3", "HeadObject", {"Bucket": "b", "Key": "k"}) == [
        Request("s3:GetObject", "arn:aws:s3:::b/k")
    ]
    assert requests_for("s3", "ListObjectsV2", {"Bucket": "b"}) == [Request("s3:ListBucket", "arn:aws:s3:::b")]
    deletes = requests_for("s3", "DeleteObjects", {"Bucket": "b", "Delete": {"Objects": [{"Key": "1"}, {"Key": "2"}]}})
    assert [r.resource for r in deletes] == ["arn:aws:s3:::b/1", "arn:aws:s3:::b/2"]
