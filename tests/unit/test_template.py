"""template.yaml: the security and shape rules every function and resource must keep."""

import pytest

from devtools.template import ROOT, functions, properties, template

pytestmark = pytest.mark.pure  # no AWS: the per-test moto resources are skipped

MANAGED_POLICY_TYPES = {"AWS::IAM::ManagedPolicy"}


def _statements_of(function: dict) -> list[dict]:
    statements = []
    for policy in function["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Ref" in policy:
            resource = template()["Resources"][policy["Ref"]]
            assert resource["Type"] in MANAGED_POLICY_TYPES
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
        elif isinstance(policy, dict) and "Statement" in policy:
            statements += policy["Statement"]
        else:
            pytest.fail(f"policy {policy!r} is neither our managed policy nor an inline statement")
    return statements


@pytest.mark.parametrize("logical_id", sorted(functions()))
def test_no_function_has_a_wildcard_action_or_resource(logical_id):
    for statement in _statements_of(functions()[logical_id]):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions), statement
        assert statement["Resource"] != "*", statement


@pytest.mark.parametrize("logical_id", sorted(functions()))
def test_every_function_has_its_own_folder_with_a_thin_handler(logical_id):
    props = functions()[logical_id]["Properties"]
    handler_file = ROOT / props["CodeUri"] / "app.py"
    source = handler_file.read_text()
    assert props["Handler"] == "app.lambda_handler"
    assert "boto3" not in source and "botocore" not in source, "handlers reach AWS only through the store"


def test_functions_do_not_share_code_folders():
    folders = [props["Properties"]["CodeUri"] for props in functions().values()]
    assert len(folders) == len(set(folders))


def test_bucket_is_private_encrypted_tls_only_and_acl_free():
    bucket = properties("Bucket")
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    statement = properties("BucketPolicy")["PolicyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_table_is_on_demand_with_point_in_time_recovery():
    table = properties("Table")
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_api_accepts_multipart_as_binary_and_is_limited_per_client_not_globally():
    api = properties("Api")
    assert "multipart~1form-data" in api["BinaryMediaTypes"]
    assert "MethodSettings" not in api
    assert properties("ApiFirewall")["Scope"] == "REGIONAL"


def test_listing_indexes_and_counter_shards_are_what_the_capacity_model_assumes():
    indexes = {index["IndexName"]: index for index in properties("Table")["GlobalSecondaryIndexes"]}
    assert indexes["FoldIndex"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert [key["AttributeName"] for key in indexes["FoldIndex"]["KeySchema"]] == ["fold_key"]
    fold = properties("FoldCountsFunction")
    assert fold["Events"]["EveryMinute"]["Properties"]["Schedule"] == "rate(1 minute)"


def test_the_public_routes_are_one_function_url_whose_listed_routes_are_its_resolvers():
    """The share links' host is PublicFunction's function URL (no API Gateway request per view); the
    routes its Metadata lists (which the local stack and the API document read) are exactly those its
    resolver answers, and share links are built from that URL unless a domain is configured."""
    from devtools.openapi import _resolver_of

    public = template()["Resources"]["PublicFunction"]
    assert public["Properties"]["FunctionUrlConfig"] == {"AuthType": "NONE"} and "Events" not in public["Properties"]
    listed = {
        (route["Method"].upper(), route["Path"].replace("+", "")) for route in public["Metadata"]["FunctionUrlRoutes"]
    }
    document = _resolver_of("functions/public").get_openapi_schema(title="t", version="1")
    served = {
        (method.upper(), path)
        for path, item in document.paths.items()
        for method in ("get", "post")
        if getattr(item, method)
    }
    assert listed == served
    base = template()["Globals"]["Function"]["Environment"]["Variables"]["SHARE_BASE_URL"]
    assert base == {
        "Fn::If": ["HasShareBaseUrl", {"Ref": "ShareBaseUrl"}, {"Fn::GetAtt": ["PublicFunctionUrl", "FunctionUrl"]}]
    }
    assert not any(
        event["Properties"].get("Path", "").endswith("/unlock")  # no route left on API Gateway
        for function in functions().values()
        for event in function["Properties"].get("Events", {}).values()
    )


def test_given_the_template_then_the_local_stack_subscribes_each_s3_function_with_its_own_filters():
    from devtools.template import s3_subscriptions

    # finalize owns items/ only: a thumbnail written under thumbnails/ must never reach it
    assert s3_subscriptions()["S3FinalizeFunction"] == [
        {"Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "items/"}]}}}
    ]
