"""Reads template.yaml — the one source of truth — and builds the same table and bucket elsewhere.

CloudFormation property names differ from the API's in places; the conversions are here, once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from samcli.yamlhelper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


@cache
def template() -> dict:
    return yaml_parse(TEMPLATE.read_text())


def properties(logical_id: str) -> dict:
    return template()["Resources"][logical_id]["Properties"]


def functions() -> dict[str, dict]:
    return {
        name: resource
        for name, resource in template()["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def functions_with_event(event_type: str) -> dict[str, dict]:
    """Logical id -> {event name: event properties} for functions with events of that type."""
    found = {}
    for name, resource in functions().items():
        events = {
            event_name: event.get("Properties", {})
            for event_name, event in resource["Properties"].get("Events", {}).items()
            if event["Type"] == event_type
        }
        if events:
            found[name] = events
    return found


def s3_subscriptions(bucket: str = "Bucket") -> dict[str, list[dict]]:
    """Function logical id -> its S3 event subscriptions on that bucket, in the form of the S3 API's
    notification configurations (events and key filters), without a destination."""
    found = {}
    for name, events in functions_with_event("S3").items():
        subscriptions = [_s3_subscription(event) for event in events.values() if event["Bucket"] == {"Ref": bucket}]
        if subscriptions:
            found[name] = subscriptions
    return found


def _s3_subscription(event: dict) -> dict:
    kinds = event["Events"]
    subscription = {"Events": [kinds] if isinstance(kinds, str) else list(kinds)}
    if rules := event.get("Filter", {}).get("S3Key", {}).get("Rules"):
        subscription["Filter"] = {"Key": {"FilterRules": rules}}
    return subscription


def create_table(dynamodb, table_name: str) -> None:
    props = properties("Table")
    dynamodb.create_table(
        TableName=table_name,
        BillingMode=props["BillingMode"],
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=[
            {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
            for index in props.get("GlobalSecondaryIndexes", [])
        ],
    )
    dynamodb.get_waiter("table_exists").wait(TableName=table_name)
    if ttl := props.get("TimeToLiveSpecification"):
        dynamodb.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)


def create_bucket(s3, bucket_name: str) -> None:
    props = properties("Bucket")
    s3.create_bucket(Bucket=bucket_name)
    s3.put_public_access_block(
        Bucket=bucket_name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
    )
    s3.put_bucket_encryption(
        Bucket=bucket_name,
        ServerSideEncryptionConfiguration={
            "Rules": [_encryption_rule(rule) for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]]
        },
    )
    s3.put_bucket_cors(
        Bucket=bucket_name,
        CORSConfiguration={"CORSRules": [_cors_rule(rule) for rule in props["CorsConfiguration"]["CorsRules"]]},
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket_name,
        LifecycleConfiguration={"Rules": [_lifecycle_rule(rule) for rule in props["LifecycleConfiguration"]["Rules"]]},
    )


def _cors_rule(rule: dict) -> dict:
    renamed = {"Id": "ID", "MaxAge": "MaxAgeSeconds", "ExposedHeaders": "ExposeHeaders"}
    return {renamed.get(key, key): value for key, value in rule.items()}


def _encryption_rule(rule: dict) -> dict:
    renamed = {"ServerSideEncryptionByDefault": "ApplyServerSideEncryptionByDefault"}
    return {renamed.get(key, key): value for key, value in rule.items()}


def _lifecycle_rule(rule: dict) -> dict:
    converted = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
    if abort := rule.get("AbortIncompleteMultipartUpload"):
        converted["AbortIncompleteMultipartUpload"] = abort
    if days := rule.get("ExpirationInDays"):
        converted["Expiration"] = {"Days": days}
    return converted
