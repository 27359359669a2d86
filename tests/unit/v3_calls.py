"""Calling the v3 items-management functions the way API Gateway would, and reading what they stored."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import boto3

from cloudshare.services import uploads
from tests.unit.apigw import bearer, event
from tests.unit.helpers import TABLE

BASE = "https://api.example.com"  # what base_url() makes of the events' Host header


def call(
    runner,
    function: str,
    path: str,
    key: str,
    method: str = "GET",
    payload=None,
    *,
    raw: str | None = None,
    query: dict | None = None,
) -> dict:
    headers = bearer(key)
    text = raw if raw is not None else (json.dumps(payload) if payload is not None else None)
    if text is not None:
        headers["Content-Type"] = "application/json"
    request = event(path, method, headers, text)
    if query:
        request["queryStringParameters"] = {name: str(value) for name, value in query.items()}
        request["multiValueQueryStringParameters"] = {name: [str(value)] for name, value in query.items()}
    return runner.call(function, request)


def query_of(href: str) -> dict:
    """The query parameters of a links.next_url / prev_url href."""
    return dict(parse_qsl(urlsplit(href).query))


def record(slug: str) -> dict | None:
    """The item's stored record, raw: what "nothing changed" is checked against."""
    return (
        boto3.client("dynamodb")
        .get_item(TableName=TABLE, Key={"PK": {"S": f"ITEM#{slug}"}, "SK": {"S": "ITEM"}}, ConsistentRead=True)
        .get("Item")
    )


def set_attributes(slug: str, **values) -> None:
    """Moves an item's counters or lifecycle facts as other parts of the system would (views, sweeps)."""
    names = {f"#{name}": name for name in values}
    typed = {
        f":{name}": ({"N": str(value)} if isinstance(value, int) else {"S": value}) for name, value in values.items()
    }
    boto3.client("dynamodb").update_item(
        TableName=TABLE,
        Key={"PK": {"S": f"ITEM#{slug}"}, "SK": {"S": "ITEM"}},
        UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in values),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=typed,
    )


def bookmark(owner, n: int = 0):
    """A ready (listed, counted) item, the quickest kind to make."""
    return uploads.create_bookmark(owner, f"https://example.com/{n}", f"bookmark {n}", "tests")
