"""Views and downloads of items without a view limit: counted in shards, folded into the item.

A view of an item without expires_after_views must not write the item: the item is in the owner's
listing indexes (one partition per owner) and one item takes at most 1,000 writes/s. Each view adds
one to a shard record of its own partition instead:

- COUNT#<slug>#<n> / COUNT   unfolded_views, unfolded_downloads, folds (the fold's version),
                             fold_key = FOLD#<k>: the sparse, KEYS_ONLY FoldIndex of shards to fold

n is drawn at random below the item's count_shards (DEFAULT_SHARDS until a fold sees more traffic),
so one link spreads over as many partitions as it needs. A shard write does not change the keys
FoldIndex holds, so it costs one write unit and no index write.

fold_item() moves every shard's count into view_counter/download_counter in ONE transaction per
at most 99 shards: the item's ADD and each shard's matching subtraction, each shard conditioned on
the `folds` version it was read at. Either all of it happens or none: a fold that dies or races
another fold loses nothing and counts nothing twice; the next run folds what is left. Views that
land while a fold runs add to the shard after the subtraction, and are folded by the next run.
"""

from __future__ import annotations

import hashlib
import secrets
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from cloudshare.config import settings
from cloudshare.store import items
from cloudshare.store.aws import client
from cloudshare.store.records import from_item, to_item, to_values
from cloudshare.store.writes import StateChanged, conditional

FOLD_INDEX = "FoldIndex"
FOLD_PARTITIONS = 4  # a fold queries each: a constant cost when nothing is waiting
# Enough for a link that goes from nothing to 16,000 views/s before the first fold sees it (each
# shard below a partition's 1,000 writes/s); a quiet item's views touch only a few of them.
DEFAULT_SHARDS = 32
MAX_SHARDS = 256
SHARD_WRITES_PER_SECOND = 250  # a quarter of a partition's 1,000 writes/s: headroom for bursts
FOLD_PERIOD_SECONDS = 30  # how often the fold runs (twice per scheduled minute)
_TRANSACTION_SHARDS = 99  # TransactWriteItems takes 100 actions: the item and 99 shards


@dataclass(frozen=True)
class Shard:
    pk: str
    views: int
    downloads: int
    folds: int


def shard_key(slug: str, number: int) -> dict[str, Any]:
    return to_item({"PK": f"COUNT#{slug}#{number}", "SK": "COUNT"})


def fold_partition(slug: str) -> str:
    return f"FOLD#{int(hashlib.sha256(slug.encode()).hexdigest(), 16) % FOLD_PARTITIONS}"


def count(slug: str, shards: int, *, view: bool, download: bool) -> None:
    """One view and/or download, durable when this returns."""
    client("dynamodb").update_item(
        TableName=settings().table_name,
        Key=shard_key(slug, secrets.randbelow(max(1, shards))),
        UpdateExpression="ADD unfolded_views :views, unfolded_downloads :downloads SET fold_key = :fold",
        ExpressionAttributeValues=to_values(
            {":views": int(view), ":downloads": int(download), ":fold": fold_partition(slug)}
        ),
    )


def waiting(partition: str) -> dict[str, list[str]]:
    """Slug -> keys of its shards waiting in one FoldIndex partition. Only waiting shards hold counts:
    a shard leaves the index only while it holds none, and its next view puts it back."""
    found: dict[str, list[str]] = {}
    request = {
        "TableName": settings().table_name,
        "IndexName": FOLD_INDEX,
        "KeyConditionExpression": "fold_key = :fold",
        "ExpressionAttributeValues": to_values({":fold": partition}),
    }
    while True:
        page = client("dynamodb").query(**request)
        for record in page.get("Items", []):
            pk = from_item(record)["PK"]
            found.setdefault(pk.split("#")[1], []).append(pk)
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def read_shards(keys: list[str]) -> list[Shard]:
    """The shards as they are now (strongly consistent: a fold moves exactly what is there)."""
    found: list[Shard] = []
    for start in range(0, len(keys), 100):
        batch = [to_item({"PK": pk, "SK": "COUNT"}) for pk in keys[start : start + 100]]
        request: dict[str, Any] | None = {settings().table_name: {"Keys": batch, "ConsistentRead": True}}
        while request:
            response = client("dynamodb").batch_get_item(RequestItems=request)
            for record in response["Responses"].get(settings().table_name, []):
                plain = from_item(record)
                found.append(
                    Shard(
                        plain["PK"],
                        plain.get("unfolded_views", 0),
                        plain.get("unfolded_downloads", 0),
                        plain.get("folds", 0),
                    )
                )
            request = response.get("UnprocessedKeys") or None
    return found


def item_shards(slug: str) -> int | None:
    """The item's count_shards (None: no such item)."""
    response = client("dynamodb").get_item(
        TableName=settings().table_name,
        Key=items.key(slug),
        ProjectionExpression="count_shards, PK",
        ConsistentRead=True,
    )
    if "Item" not in response:
        return None
    shards: int = from_item(response["Item"]).get("count_shards", DEFAULT_SHARDS)
    return shards


def fold_item(slug: str, shards: list[Shard], count_shards: int | None) -> tuple[int, int]:
    """Moves the shards' counts into the item (or drops them if the item is gone: purged items are
    not counted). Returns (views, downloads) moved; (0, 0) if another fold got there first."""
    moved_views = moved_downloads = 0
    busy = [shard for shard in shards if shard.views or shard.downloads]
    for start in range(0, len(busy), _TRANSACTION_SHARDS):
        chunk = busy[start : start + _TRANSACTION_SHARDS]
        views, downloads = sum(s.views for s in chunk), sum(s.downloads for s in chunk)
        actions = [_shard_subtraction(shard) for shard in chunk]
        if count_shards is not None:
            actions.insert(
                0,
                {
                    "Update": {
                        "TableName": settings().table_name,
                        "Key": items.key(slug),
                        "UpdateExpression": "ADD view_counter :views, download_counter :downloads SET count_shards = :shards",
                        "ConditionExpression": "attribute_exists(PK)",
                        "ExpressionAttributeValues": to_values(
                            {":views": views, ":downloads": downloads, ":shards": count_shards}
                        ),
                    }
                },
            )
        try:
            client("dynamodb").transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            continue  # another fold moved (some of) these first, or the item went: the next run sees
        moved_views += views
        moved_downloads += downloads
    for shard in shards:
        if not (shard.views or shard.downloads):
            _leave_index(shard)
    return moved_views, moved_downloads


def _shard_subtraction(shard: Shard) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": settings().table_name,
            "Key": to_item({"PK": shard.pk, "SK": "COUNT"}),
            "UpdateExpression": "ADD unfolded_views :minus_views, unfolded_downloads :minus_downloads SET folds = :next",
            "ConditionExpression": "attribute_not_exists(folds) OR folds = :seen"
            if shard.folds == 0
            else "folds = :seen",
            "ExpressionAttributeValues": to_values(
                {
                    ":minus_views": -shard.views,
                    ":minus_downloads": -shard.downloads,
                    ":seen": shard.folds,
                    ":next": shard.folds + 1,
                }
            ),
        }
    }


def _leave_index(shard: Shard) -> None:
    """An idle shard leaves FoldIndex (its next view puts it back), unless a view just landed."""
    request = {
        "TableName": settings().table_name,
        "Key": to_item({"PK": shard.pk, "SK": "COUNT"}),
        "UpdateExpression": "REMOVE fold_key",
        "ConditionExpression": "unfolded_views = :zero AND unfolded_downloads = :zero",
        "ExpressionAttributeValues": to_values({":zero": 0}),
    }
    with suppress(StateChanged):
        conditional("update_item", request)


def shards_for(rate_per_second: float, current: int) -> int:
    """Shards enough for `rate_per_second` at SHARD_WRITES_PER_SECOND each (never fewer than now)."""
    needed = DEFAULT_SHARDS
    while needed * SHARD_WRITES_PER_SECOND < rate_per_second and needed < MAX_SHARDS:
        needed *= 2
    return max(needed, current)
