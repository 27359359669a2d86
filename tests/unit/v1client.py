"""Calls the v1 artifact handlers with API Gateway events, bodies encoded the way API Gateway does.

Multipart bodies are built by the requests library (a client we did not write) and base64-encoded,
as API Gateway hands over the API's binary media types (multipart/form-data).
"""

from __future__ import annotations

import base64
import json

import boto3
import requests

from cloudshare.services import accounts
from tests.unit.apigw import bearer, body, event
from tests.unit.helpers import TABLE

ARTIFACTS = "/api/v1/artifacts"


def multipart(fields: dict | None = None, files: dict | None = None) -> tuple[str, str]:
    """(base64 body, Content-Type) of a multipart/form-data request; files: name -> (filename, bytes[, type])."""
    parts = {name: (None, str(value)) for name, value in (fields or {}).items()}
    parts.update(files or {})
    prepared = requests.Request("POST", "https://api.example.com/", files=parts).prepare()
    return base64.b64encode(prepared.body).decode(), prepared.headers["Content-Type"]


def call(
    runner,
    function: str,
    key: str,
    method: str,
    path: str,
    *,
    form: dict | None = None,
    files: dict | None = None,
    json_body: dict | None = None,
    query: dict | None = None,
    slug: str | None = None,
) -> dict:
    headers, payload, encoded = bearer(key), None, False
    if form is not None or files is not None:
        payload, headers["Content-Type"] = multipart(form, files)
        encoded = True
    elif json_body is not None:
        payload, headers["Content-Type"] = json.dumps(json_body), "application/json"
    request = event(path, method, headers, payload)
    request["isBase64Encoded"] = encoded
    request["queryStringParameters"] = query
    request["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()} if query else None
    request["pathParameters"] = {"slug": slug} if slug else None
    return runner.call(function, request)


def create(runner, key: str, form: dict | None = None, files: dict | None = None) -> dict:
    return call(runner, "V1CreateArtifactFunction", key, "POST", ARTIFACTS, form=form or {}, files=files)


def create_inline(runner, key: str, data: bytes = b"hello world", filename: str = "notes.txt", **form) -> str:
    response = create(runner, key, {"version_name": "v1", **form}, {"file": (filename, data)})
    assert response["statusCode"] == 201, response
    return body(response)["slug"]


def update(
    runner, key: str, slug: str, form: dict | None = None, files: dict | None = None, json_body: dict | None = None
) -> dict:
    return call(
        runner,
        "V1UpdateArtifactFunction",
        key,
        "PUT",
        f"{ARTIFACTS}/{slug}",
        form=form if form is not None or files else None,
        files=files,
        json_body=json_body,
        slug=slug,
    )


def listing(runner, key: str, **query) -> dict:
    return call(
        runner,
        "V1ListArtifactsFunction",
        key,
        "GET",
        ARTIFACTS,
        query={name: str(value) for name, value in query.items()} or None,
    )


def get(runner, key: str, slug: str) -> dict:
    return call(runner, "V1GetArtifactFunction", key, "GET", f"{ARTIFACTS}/{slug}", slug=slug)


def delete(runner, key: str, slug: str) -> dict:
    return call(runner, "V1DeleteArtifactFunction", key, "DELETE", f"{ARTIFACTS}/{slug}", slug=slug)


def restore(runner, key: str, slug: str) -> dict:
    return call(runner, "V1RestoreArtifactFunction", key, "POST", f"{ARTIFACTS}/{slug}/restore", slug=slug)


def set_usage(user_id: str, **counters) -> None:
    """Puts the owner's counters where a test needs them (as many earlier uploads would have)."""
    names = {f"#{name}": name for name in counters}
    values = {
        f":{name}": {"S": value} if isinstance(value, str) else {"N": str(value)} for name, value in counters.items()
    }
    boto3.client("dynamodb").update_item(
        TableName=TABLE,
        Key={"PK": {"S": f"USER#{user_id}"}, "SK": {"S": "PROFILE"}},
        UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in counters),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def stored_items() -> list[dict]:
    """Every item and version record in the table: what a refused request must not have added to."""
    return boto3.client("dynamodb").scan(
        TableName=TABLE, FilterExpression="begins_with(PK, :item)", ExpressionAttributeValues={":item": {"S": "ITEM#"}}
    )["Items"]


def second_user() -> tuple[object, str]:
    other = accounts.create_user("mallory@example.com", "mallory password", "pro")
    _, key = accounts.create_api_key(other.email)
    return other, key
