"""Reads template.yaml — the one source of truth — and builds the same table and bucket elsewhere.

CloudFormation property names differ from the API's in places; the conversions are here, once.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
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


def http_routes() -> list[tuple[str, str, str, str]]:
    """(function, METHOD, path, front) of every HTTP route: API Gateway's Api events ("rest") and the
    routes a function behind a function URL answers ("url", listed in its Metadata.FunctionUrlRoutes:
    the URL hands the function every path, and its resolver routes them)."""
    found = []
    for name, resource in functions().items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "Api":
                found.append((name, event["Properties"]["Method"].upper(), event["Properties"]["Path"], "rest"))
        if "FunctionUrlConfig" in resource["Properties"]:
            found += [
                (name, route["Method"].upper(), route["Path"], "url")
                for route in resource.get("Metadata", {}).get("FunctionUrlRoutes", [])
            ]
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


@dataclass(frozen=True)
class Resources:
    """What create_resources made: the names functions are told through their environment."""

    table: str
    bucket: str
    nonce_secret_arn: str
    queues: dict[str, str]  # logical id -> URL

    def environment(self) -> dict[str, str]:
        return {
            "TABLE_NAME": self.table,
            "BUCKET_NAME": self.bucket,
            "NONCE_SECRET_ID": self.nonce_secret_arn,
            "THUMBNAIL_QUEUE_URL": self.queues["ThumbnailQueue"],
        }


def create_resources(prefix: str) -> Resources:
    """The template's data resources, named from prefix: table <prefix> (its indexes and TTL),
    bucket <prefix>-files, nonce secret <prefix>-nonce, queues <prefix>-<logical id>. A table or
    bucket that exists already (a persistent endpoint) is kept as it is."""
    import boto3

    dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    table, bucket = prefix, f"{prefix}-files"
    if table not in dynamodb.list_tables()["TableNames"]:
        create_table(dynamodb, table)
    if bucket not in {found["Name"] for found in s3.list_buckets()["Buckets"]}:
        create_bucket(s3, bucket)
    return Resources(
        table,
        bucket,
        create_nonce_secret(boto3.client("secretsmanager"), f"{prefix}-nonce"),
        create_queues(boto3.client("sqs"), prefix),
    )


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
    if versioning := props.get("VersioningConfiguration"):
        s3.put_bucket_versioning(Bucket=bucket_name, VersioningConfiguration=versioning)
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket_name,
        LifecycleConfiguration={"Rules": [_lifecycle_rule(rule) for rule in props["LifecycleConfiguration"]["Rules"]]},
    )


def create_nonce_secret(secretsmanager, name: str) -> str:
    """The nonce/grant key secret, shaped as the template generates it; returns its ARN (the only
    thing functions are told: they read the value at run time)."""
    generate = properties("NonceSecret")["GenerateSecretString"]
    document = json.loads(generate["SecretStringTemplate"])
    document[generate["GenerateStringKey"]] = secrets.token_urlsafe(generate["PasswordLength"])
    try:
        return secretsmanager.create_secret(Name=name, SecretString=json.dumps(document))["ARN"]
    except secretsmanager.exceptions.ResourceExistsException:  # a persistent endpoint keeps its key
        return secretsmanager.describe_secret(SecretId=name)["ARN"]


def queue_names() -> list[str]:
    """Logical ids of the template's SQS queues, dead-letter queues before the queues that use them."""
    queues = [name for name, resource in template()["Resources"].items() if resource["Type"] == "AWS::SQS::Queue"]
    return sorted(queues, key=lambda name: "RedrivePolicy" in properties(name))


def create_queues(sqs, prefix: str) -> dict[str, str]:
    """The template's queues, named <prefix>-<logical id>, with their redrive policies; logical id -> URL."""
    urls, arns = {}, {}
    for name in queue_names():
        props = properties(name)
        attributes = {"VisibilityTimeout": str(props.get("VisibilityTimeout", 30))}
        if redrive := props.get("RedrivePolicy"):
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": arns[target], "maxReceiveCount": redrive["maxReceiveCount"]}
            )
        urls[name] = sqs.create_queue(QueueName=f"{prefix}-{name}", Attributes=attributes)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=urls[name], AttributeNames=["QueueArn"])["Attributes"]
        arns[name] = attributes["QueueArn"]
    return urls


def on_failure_queue(logical_id: str) -> tuple[int, str | None]:
    """A function's asynchronous invocation config: how many retries Lambda makes (2 by default), and
    the logical id of the SQS queue its failed events go to (None: they are dropped)."""
    config = functions()[logical_id]["Properties"].get("EventInvokeConfig", {})
    retries = config.get("MaximumRetryAttempts", 2)
    destination = config.get("DestinationConfig", {}).get("OnFailure", {})
    if destination.get("Type") != "SQS":
        return retries, None
    return retries, destination["Destination"]["Fn::GetAtt"][0]


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
    if rule.get("ExpiredObjectDeleteMarker"):
        converted["Expiration"] = {"ExpiredObjectDeleteMarker": True}
    if noncurrent := rule.get("NoncurrentVersionExpiration"):
        converted["NoncurrentVersionExpiration"] = noncurrent
    return converted
