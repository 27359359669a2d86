"""An owner's listed items, read through an index per order: never the whole collection.

Cursor pages read exactly one page; offset pages read offset + limit at worst (DynamoDB cannot
skip without reading). Soft-deleted and pending items are not in these partitions at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudshare.config import settings
from cloudshare.models import Item
from cloudshare.store.aws import client
from cloudshare.store.items import item_from, listing_partition, listing_sort_key, sort_key
from cloudshare.store.records import from_item, to_values

_MAX_QUERY_LIMIT = 1000  # per request; an offset page reads on in further requests
_MATCHING_PAGE = 200  # items read per request when most may not match
# sort field -> (index, its sort key attribute)
ORDERS = {
    "created_at": ("GSI1", "GSI1SK"),
    "updated_at": ("ByUpdated", "updated_at"),
    "total_views": ("ByViews", "view_counter"),
    "total_downloads": ("ByDownloads", "download_counter"),
}


_AFTER_THE_SECOND = "~"  # sorts after '#' and '.', so `<second>~` follows every key of that second


def created_position(item: Item) -> str:
    """An item's place in the newest-first order (what cursors point at)."""
    return listing_sort_key(item)


def item_position(created_at: str, micros: int | None, slug: str) -> str:
    """The place of the item a cursor names (micros None: a key of the form before microseconds)."""
    return sort_key(created_at, micros, slug)


def second_position(created_at: str, *, after: bool) -> str:
    """A bare second: every key of that second sorts above it, or, with `after`, below it."""
    return created_at + _AFTER_THE_SECOND if after else created_at


def position_parts(position: str) -> tuple[str, int | None, str | None]:
    """(created_at, micros, slug) of a position; a bare second has neither micros nor slug."""
    moment, _, slug = position.partition("#")
    created_at, _, micros = moment.removesuffix(_AFTER_THE_SECOND).partition(".")
    return created_at, int(micros) if micros else None, slug or None


def names_an_item(position: str) -> bool:
    """Whether a position is an item's own (as links carry) rather than a bare second."""
    return position_parts(position)[2] is not None


def by_created(owner_id: str, limit: int, *, below: str | None = None, above: str | None = None) -> list[Item]:
    """Up to `limit` items, newest first, strictly below (older than) or above (newer than) a position.

    `above` reads upwards from the position, so the page nearest to it is returned, still newest first.
    """
    condition, values = "GSI1PK = :owner", {":owner": listing_partition(owner_id)}
    if below is not None:
        condition += " AND GSI1SK < :position"
        values[":position"] = below
    elif above is not None:
        condition += " AND GSI1SK > :position"
        values[":position"] = above
    response = client("dynamodb").query(
        TableName=settings().table_name,
        IndexName="GSI1",
        KeyConditionExpression=condition,
        ExpressionAttributeValues=to_values(values),
        ScanIndexForward=above is not None,
        Limit=limit,
    )
    found = [item_from(from_item(raw)) for raw in response["Items"]]
    return list(reversed(found)) if above is not None else found


def by_offset(
    owner_id: str, order: str, descending: bool, offset: int, limit: int, published: bool | None = None
) -> list[Item]:
    """The items at [offset, offset + limit) in one of ORDERS, optionally only (un)published ones."""
    index, _ = ORDERS[order]
    query: dict[str, Any] = {
        "TableName": settings().table_name,
        "IndexName": index,
        "KeyConditionExpression": "GSI1PK = :owner",
        "ExpressionAttributeValues": {":owner": listing_partition(owner_id)},
        "ScanIndexForward": not descending,
    }
    if published is not None:
        query["FilterExpression"] = "is_published = :published"
        query["ExpressionAttributeValues"][":published"] = published
    query["ExpressionAttributeValues"] = to_values(query["ExpressionAttributeValues"])
    wanted, found = offset + limit, list[dict[str, Any]]()
    while len(found) < wanted:
        response = client("dynamodb").query(**query, Limit=min(wanted - len(found), _MAX_QUERY_LIMIT))
        found.extend(response["Items"])
        if "LastEvaluatedKey" not in response:
            break
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return [item_from(from_item(raw)) for raw in found[offset:wanted]]


def count_published(owner_id: str, published: bool) -> int:
    """How many listed items are (un)published: a COUNT query (only with the is_published filter;
    unfiltered totals come from the owner's counter)."""
    query: dict[str, Any] = {
        "TableName": settings().table_name,
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :owner",
        "FilterExpression": "is_published = :published",
        "Select": "COUNT",
        "ExpressionAttributeValues": to_values({":owner": listing_partition(owner_id), ":published": published}),
    }
    total: int = 0
    while True:
        response = client("dynamodb").query(**query)
        total += response["Count"]
        if "LastEvaluatedKey" not in response:
            return total
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def matching(
    owner_id: str,
    order: str,
    descending: bool,
    keep: Callable[[Item], bool],
    skip: int,
    limit: int,
    *,
    deleted: bool = False,
) -> list[Item]:
    """The items at [skip, skip + limit) of those `keep` accepts, in one of ORDERS, from the owner's
    listed (or, with `deleted`, soft-deleted) partition. Reads the partition a page at a time and stops
    as soon as enough items matched: the same reads as a FilterExpression, with the rule in Python."""
    index, _ = ORDERS[order]
    query = {
        "TableName": settings().table_name,
        "IndexName": index,
        "KeyConditionExpression": "GSI1PK = :owner",
        "ExpressionAttributeValues": to_values({":owner": listing_partition(owner_id, deleted)}),
        "ScanIndexForward": not descending,
        "Limit": _MATCHING_PAGE,
    }
    found: list[Item] = []
    while len(found) < skip + limit:
        response = client("dynamodb").query(**query)
        found += [item for item in (item_from(from_item(raw)) for raw in response["Items"]) if keep(item)]
        if "LastEvaluatedKey" not in response:
            break
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return found[skip : skip + limit]
