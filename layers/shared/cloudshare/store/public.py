"""What the public side writes: counted views and downloads.

A view (or download) is counted by ONE conditional UpdateItem whose condition is everything that
makes the item servable — ready, published, not deleted, not expired by date, the link in its
current form, no password or a valid grant, views left — so the count and the check cannot be
separated by a race: with expires_after_views=N exactly N views succeed however many arrive at
once. The write returns the item (ALL_NEW) when it succeeds and as it was (ALL_OLD) when it is
refused, so a public request costs one call either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from cloudshare.config import settings
from cloudshare.models import Item
from cloudshare.store import items
from cloudshare.store.aws import client
from cloudshare.store.records import from_item, to_values


class Refused(Exception):
    """The item may not be served as asked; `item` is the record as it was (None: there is none)."""

    def __init__(self, item: Item | None):
        super().__init__(item.slug if item else "no such item")
        self.item = item


@dataclass(frozen=True)
class Access:
    """Who asks for which item through which link."""

    slug: str
    secret: str  # the long link's secret; '' for the short link
    # The password hash a grant or ticket was checked against (None: no grant, so no password may
    # be set). The write requires it unchanged: a password changed meanwhile refuses the request.
    granted_password: str | None
    now: str  # ISO 8601 UTC, as expiration_time is stored


def record_access(access: Access, *, view: bool, download: bool, inline_types: frozenset[str] = frozenset()) -> Item:
    """Counts a view and/or a download if, and only if, the item may be served that way.

    view=True also requires views left (expires_after_views); download=True requires a file whose
    downloads are allowed and not view-only; inline_types requires the same unless the file's
    content_type is one of them. Raises Refused with the item as it was otherwise.
    """
    conditions = [
        "attribute_exists(PK)", "#state = :ready", "is_published = :true", "attribute_not_exists(deleted_at)",
        "attribute_not_exists(expired_at)", "(attribute_not_exists(expiration_time) OR expiration_time > :now)",
    ]
    values: dict = {":ready": "ready", ":true": True, ":now": access.now, ":one": 1, ":zero": 0}
    if access.secret:
        conditions.append("long_link = :true AND link_secret = :secret")
        values[":secret"] = access.secret
    else:
        conditions.append("long_link = :false")
        values[":false"] = False
    if access.granted_password:
        conditions.append("password_hash = :password")
        values[":password"] = access.granted_password
    else:
        conditions.append("attribute_not_exists(password_hash)")
    if not (view or download):
        raise ValueError("record_access counts a view, a download or both")
    sets = []
    if view:
        conditions.append("(attribute_not_exists(expires_after_views) OR view_counter < expires_after_views)")
        sets.append("view_counter = if_not_exists(view_counter, :zero) + :one")
    downloadable = "(kind = :file AND allow_downloads = :true AND view_only = :false)"
    if download or inline_types:
        values.update({":file": "file", ":false": False})
    if download:
        conditions.append(downloadable)
        sets.append("download_counter = if_not_exists(download_counter, :zero) + :one")
    if inline_types:
        names = [f":inline{index}" for index in range(len(inline_types))]
        values.update(zip(names, sorted(inline_types), strict=True))
        conditions.append(f"({downloadable} OR content_type IN ({', '.join(names)}))")
    try:
        response = client("dynamodb").update_item(
            TableName=settings().table_name,
            Key=items.key(access.slug),
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression=" AND ".join(conditions),
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_values(values),
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        old = error.response.get("Item")
        raise Refused(items.item_from(from_item(old)) if old else None) from None
    return items.item_from(from_item(response["Attributes"]))


def mark_views_exhausted(slug: str, due_at: str) -> None:
    """The view that used up expires_after_views puts the item on the sweep's DueIndex (once)."""
    due = items.due_attributes(slug, due_at)
    try:
        client("dynamodb").update_item(
            TableName=settings().table_name,
            Key=items.key(slug),
            UpdateExpression="SET due_shard = :shard, due_at = :due",
            ConditionExpression="attribute_exists(PK) AND attribute_not_exists(deleted_at) "
                                "AND attribute_not_exists(expired_at) AND view_counter >= expires_after_views",
            ExpressionAttributeValues=to_values({":shard": due["due_shard"], ":due": due["due_at"]}),
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
