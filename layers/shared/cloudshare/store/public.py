"""What the public side writes: counted views and downloads.

A view (or download) is counted by ONE conditional UpdateItem whose condition is everything that
makes the item servable — ready, published, not deleted, not expired by date, the link in its
current form, no password or a valid grant, views left — so the count and the check cannot be
separated by a race: with expires_after_views=N exactly N views succeed however many arrive at
once. The write returns the item (ALL_NEW) when it succeeds and as it was (ALL_OLD) when it is
refused, so a public request costs one call either way.

Items without expires_after_views are not written per view (store/view_counts.py): the service
checks the item as cached_item() read it, at most ITEM_CACHE_SECONDS ago in this instance, and adds
the view to a counter shard. So one link at any rate costs the item at most one strongly consistent
read per instance every ITEM_CACHE_SECONDS, and a delete, a new password, unpublishing or an expiry
reaches every instance within ITEM_CACHE_SECONDS (the owner's own API calls read the table itself).
"""

from __future__ import annotations

import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from cloudshare.config import settings
from cloudshare.models import Item
from cloudshare.store import items, view_counts
from cloudshare.store.aws import client
from cloudshare.store.records import from_item, to_values
from cloudshare.store.writes import StateChanged, conditional

ITEM_CACHE_SECONDS = 2.0  # the bound on how long a change takes to stop public access (docs/scale-and-cost.md)
_CACHE_ENTRIES = 4096  # items one instance remembers; past that it starts afresh


@dataclass(frozen=True)
class Cached:
    """An item as one instance last read it (None: there is none), and its counter shard count."""

    item: Item | None
    shards: int


_cache: dict[str, tuple[float, Cached]] = {}


def _monotonic() -> float:
    return time.monotonic()


def cached_item(slug: str) -> Cached:
    """The item as read at most ITEM_CACHE_SECONDS ago by this instance (a strongly consistent read)."""
    now = _monotonic()
    hit = _cache.get(slug)
    if hit is not None and now - hit[0] < ITEM_CACHE_SECONDS:
        return hit[1]
    response = client("dynamodb").get_item(TableName=settings().table_name, Key=items.key(slug), ConsistentRead=True)
    record = from_item(response["Item"]) if "Item" in response else None
    entry = Cached(
        items.item_from(record) if record else None,
        int(record.get("count_shards", view_counts.DEFAULT_SHARDS)) if record else 0,
    )
    if len(_cache) >= _CACHE_ENTRIES:
        _cache.clear()
    _cache[slug] = (now, entry)
    return entry


def forget_cached_items() -> None:
    _cache.clear()


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
        "attribute_exists(PK)",
        "#state = :ready",
        "is_published = :true",
        "attribute_not_exists(deleted_at)",
        "attribute_not_exists(expired_at)",
        "(attribute_not_exists(expiration_time) OR expiration_time > :now)",
    ]
    values: dict[str, Any] = {":ready": "ready", ":true": True, ":now": access.now, ":one": 1, ":zero": 0}
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
    request = {
        "TableName": settings().table_name,
        "Key": items.key(access.slug),
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeNames": {"#state": "state"},
        "ExpressionAttributeValues": to_values(values),
    }
    try:
        response = conditional(
            "update_item", request, ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD"
        )
    except StateChanged as changed:
        raise Refused(items.item_from(changed.current) if changed.current else None) from None
    return items.item_from(from_item(response["Attributes"]))


def mark_views_exhausted(slug: str, due_at: str) -> None:
    """The view that used up expires_after_views puts the item on the sweep's DueIndex (once)."""
    due = items.due_attributes(slug, due_at)
    request = {
        "TableName": settings().table_name,
        "Key": items.key(slug),
        "UpdateExpression": "SET due_shard = :shard, due_at = :due",
        "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(deleted_at) "
        "AND attribute_not_exists(expired_at) AND view_counter >= expires_after_views",
        "ExpressionAttributeValues": to_values({":shard": due["due_shard"], ":due": due["due_at"]}),
    }
    with suppress(StateChanged):
        conditional("update_item", request)
