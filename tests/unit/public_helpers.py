"""Shared items and public requests for the public-sharing tests."""

from __future__ import annotations

import dataclasses
import io
import json
from urllib.parse import parse_qs, urlsplit

import boto3

from cloudshare.config import settings
from cloudshare.models import Item, User
from cloudshare.services import counting, links, uploads
from cloudshare.services.passwords import hash_password
from cloudshare.store import items, public
from cloudshare.store.aws import client
from cloudshare.store.records import to_item
from tests.unit.apigw import url_event
from tests.unit.helpers import BUCKET

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BASE = "https://api.example.com"


def png(width: int = 900, height: int = 600) -> bytes:
    from PIL import Image

    output = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 40, 40, 128)).save(output, "PNG")
    return output.getvalue()


def shared_file(
    owner: User, name: str = "photo.png", data: bytes | None = None, content_type: str = "image/png", **fields
) -> Item:
    """A ready file, uploaded and settled the way the service does it; fields then set as given."""
    data = png() if data is None else data
    ticket = uploads.request_upload(owner, name, len(data), None, None)
    boto3.client("s3").put_object(Bucket=BUCKET, Key=ticket.version.object_key, Body=data, ContentType=content_type)
    item = uploads.settle(ticket.item, ticket.version)
    return change(item, **fields) if fields else item


def deliver_thumbnail_requests(runner) -> int:
    """What Lambda's SQS trigger does: each message on the thumbnail queue to ThumbnailFunction, one
    per invocation (BatchSize 1), deleted once handled. Returns how many were delivered."""
    sqs, url = boto3.client("sqs"), settings().thumbnail_queue_url
    delivered = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            runner.call(
                "ThumbnailFunction",
                {
                    "Records": [
                        {
                            "messageId": message["MessageId"],
                            "receiptHandle": message["ReceiptHandle"],
                            "body": message["Body"],
                            "eventSource": "aws:sqs",
                        }
                    ]
                },
            )
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            delivered += 1
    return delivered


def change(item: Item, **fields) -> Item:
    """Sets item fields directly (what the management API does, without its plan checks)."""
    changed = dataclasses.replace(items.get(item.slug), **fields)
    client("dynamodb").put_item(TableName=settings().table_name, Item=to_item(items.item_record(changed, None)))
    public.forget_cached_items()  # as if public.ITEM_CACHE_SECONDS had passed: every instance sees the change
    return changed


def counted(slug: str) -> Item:
    """The item once the counter fold has run (views of unlimited items reach it within a fold period)."""
    counting.fold_once()
    return items.get(slug)


def code(item: Item) -> str:
    return links.share_code(item)


def request(
    path: str,
    *,
    method: str = "GET",
    accept: str = BROWSER,
    headers: dict | None = None,
    body: str | None = None,
    query: dict | None = None,
    client_ip: str = "198.51.100.7",
) -> dict:
    return url_event(path, method, {"Accept": accept, **(headers or {})}, body, query, client_ip)


def page(runner, item_or_code, **kwargs) -> dict:
    path_code = item_or_code if isinstance(item_or_code, str) else code(item_or_code)
    return runner.call("PublicFunction", request(f"/{path_code}", **kwargs))


def header(response: dict, name: str) -> str | None:
    """A response header (a function URL's cookies count as Set-Cookie headers)."""
    if name.lower() == "set-cookie" and response.get("cookies"):
        return response["cookies"][0]
    values = (response.get("multiValueHeaders") or {}).get(name) or []
    return values[0] if values else (response.get("headers") or {}).get(name)


def ticket_of(url: str) -> dict:
    """The query of a content/remote URL on a page, as a request's query."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def meta_tags(html: str) -> dict[str, str]:
    """A page's <meta property|name=… content=…> tags and oEmbed discovery link, as a browser parses them."""
    from html.parser import HTMLParser

    found: dict[str, str] = {}

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            named = dict(attrs)
            if tag == "meta" and (named.get("property") or named.get("name")) and "content" in named:
                found[named.get("property") or named["name"]] = named["content"]
            if tag == "link" and named.get("type") == "application/json+oembed":
                found["oembed"] = named["href"]

    Tags().feed(html)
    return found


# Password-protected items.
PASSWORD = "open sesame"


def protected(user):
    return shared_file(user["user"], "secret.png", password_hash=hash_password(PASSWORD))


def unlock(runner, item, password, *, as_json=False, client_ip="198.51.100.7"):
    if as_json:
        body, headers = json.dumps({"password": password}), {"Content-Type": "application/json"}
    else:
        body, headers = f"password={password.replace(' ', '+')}", {"Content-Type": "application/x-www-form-urlencoded"}
    return runner.call(
        "PublicFunction",
        request(
            f"/{code(item)}/unlock",
            method="POST",
            body=body,
            headers=headers,
            client_ip=client_ip,
            accept="application/json" if as_json else "text/html",
        ),
    )


def cookie_of(response) -> str:
    return header(response, "Set-Cookie").split(";")[0]
