"""What the lifecycle sweep reads and writes: the due records, and the conditional writes that act
on them exactly once.

Work is found through the sparse DueIndex only (KEYS_ONLY: each entry is a few dozen bytes), one
Query per shard for `due_at <= now`, so a sweep reads what is due and nothing else. Every write is
conditional on the due entry the sweep saw (`due_at`) and on the facts that made it due, so two
sweeps, a rerun, or an owner's change in between can never apply an action twice.

A purge is two steps, so that a crash in between leaves nothing unaccounted for:
1. one transaction: the item record is replaced by a PURGE tombstone (`ITEM#<slug>/PURGE`, due at
   once) and the owner's counters drop. From here the item is gone for every reader (restore 404s).
2. the tombstone's objects and version records are deleted, then the tombstone itself. A rerun
   that finds the tombstone (through the index) repeats this step; every delete is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from cloudshare.config import settings
from cloudshare.models import Item, Version
from cloudshare.store import comments
from cloudshare.store.aws import client
from cloudshare.store.items import (
    DUE_INDEX,
    DUE_SHARDS,
    due_attributes,
    due_changes,
    item_from,
    key,
    owner_key,
    version_from,
    version_key,
)
from cloudshare.store.records import from_item, to_item, to_values
from cloudshare.store.writes import StateChanged, conditional, transact, update_request

TOMBSTONE_SK = "PURGE"
TOMBSTONE_SUFFIX = "#purge"
_BATCH_WRITE_LIMIT = 25
_DELETE_OBJECTS_LIMIT = 1000
# Sorts after every slug and version suffix that share a timestamp ('~' is above [A-Za-z0-9#]).
_AFTER_EVERY_SLUG = "#~"


@dataclass(frozen=True)
class DueKey:
    """One DueIndex entry: which record (ITEM, VERSION#nnnnnn or PURGE) and the due_at it had."""

    slug: str
    sort_key: str
    due_at: str
    seen: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # the record as the index held it

    @property
    def version_number(self) -> int | None:
        return int(self.sort_key.removeprefix("VERSION#")) if self.sort_key.startswith("VERSION#") else None

    @property
    def due_suffix(self) -> str:
        """What follows the slug in this record's due_at (due entries of one item's records never collide)."""
        number = self.version_number
        if number is not None:
            return f"#{number}"
        return {TOMBSTONE_SK: TOMBSTONE_SUFFIX, comments.DIGEST_SK: comments.DIGEST_SUFFIX}.get(self.sort_key, "")


@dataclass(frozen=True)
class Tombstone:
    """What is left to delete of a purged item: its objects and version records (1..last_version)."""

    slug: str
    owner_id: str
    last_version: int
    purged_at: str


@dataclass(frozen=True)
class HeldDigest:
    """The owner's e-mail about comments held back by the hourly limit (store.comments.hold_digest)."""

    slug: str
    link: str


@dataclass(frozen=True)
class DueRecord:
    """A due record as it is now; due_at is the record's own (None: no longer due)."""

    key: DueKey
    record: Item | Version | Tombstone | HeldDigest | None
    due_at: str | None


@dataclass(frozen=True)
class Counts:
    """How much of the owner's usage an item accounts for (what its purge gives back)."""

    bytes: int = 0
    items: int = 0
    artifacts: int = 0

    def __bool__(self) -> bool:
        return bool(self.bytes or self.items or self.artifacts)


def due_keys(now: str, page_size: int = 100) -> Iterator[list[DueKey]]:
    """Pages of due entries, shard after shard, oldest first within a shard."""
    paginator = client("dynamodb").get_paginator("query")
    for shard in range(DUE_SHARDS):
        pages = paginator.paginate(
            TableName=settings().table_name,
            IndexName=DUE_INDEX,
            KeyConditionExpression="due_shard = :shard AND due_at <= :until",
            ExpressionAttributeValues=to_values({":shard": f"DUE#{shard}", ":until": now + _AFTER_EVERY_SLUG}),
            PaginationConfig={"PageSize": page_size},
        )
        for page in pages:
            records = [from_item(raw) for raw in page["Items"]]
            if records:
                yield [
                    DueKey(slug=r["PK"].removeprefix("ITEM#"), sort_key=r["SK"], due_at=r["due_at"], seen=r)
                    for r in records
                ]


def read(keys: list[DueKey]) -> list[DueRecord]:
    """The records behind due keys, as the index (which projects them whole) returned them: no
    second read. The index lags the table by a moment; every action is conditional on what it saw."""
    return [_due_record(k, k.seen or None) for k in keys]


def _due_record(due_key: DueKey, record: dict[str, Any] | None) -> DueRecord:
    if record is None:
        return DueRecord(due_key, None, None)
    typed: Item | Version | Tombstone | HeldDigest
    if due_key.sort_key == "ITEM":
        typed = item_from(record)
    elif due_key.sort_key == TOMBSTONE_SK:
        typed = Tombstone(
            slug=record["slug"],
            owner_id=record["owner_id"],
            last_version=record["last_version"],
            purged_at=record["purged_at"],
        )
    elif due_key.sort_key == comments.DIGEST_SK:
        typed = HeldDigest(slug=record["slug"], link=record["link"])
    else:
        typed = version_from(record)
    return DueRecord(due_key, typed, record.get("due_at"))


def reschedule(due_key: DueKey, due_at: str | None) -> None:
    """Moves (or removes) a record's due entry, if it is still the one the sweep saw."""
    sets, removes = due_changes(due_key.slug, due_at, due_key.due_suffix)
    table_key = to_item({"PK": f"ITEM#{due_key.slug}", "SK": due_key.sort_key})
    conditional(
        "update_item",
        update_request(
            table_key, sets=sets, removes=removes, condition="due_at = :seen", values={":seen": due_key.due_at}
        ),
    )


def expire(item: Item, seen: DueKey, expired_at: str, purge_due: str | None, by_views: bool) -> None:
    """Makes an item's expiry permanent and schedules its purge, once: only while it is ready, not
    deleted, not yet expired, and still expired for the reason the sweep saw."""
    values: dict[str, Any] = {":seen": seen.due_at, ":ready": "ready"}
    reason = "view_counter >= expires_after_views" if by_views else "expiration_time = :expiration"
    if not by_views:
        values[":expiration"] = item.expiration_time
    due_sets, due_removes = due_changes(item.slug, purge_due)
    conditional(
        "update_item",
        update_request(
            key(item.slug),
            sets={"expired_at": expired_at, **due_sets},
            removes=due_removes,
            condition="due_at = :seen AND #state = :ready AND attribute_not_exists(expired_at) "
            f"AND attribute_not_exists(deleted_at) AND {reason}",
            names={"#state": "state"},
            values=values,
        ),
    )


def begin_purge(item: Item, seen: DueKey, counts: Counts, now: str) -> Tombstone:
    """Step 1: the item becomes a tombstone and the owner gets back what it counted, in one
    transaction conditional on the item being exactly as the sweep decided on it."""
    table = settings().table_name
    tombstone = Tombstone(slug=item.slug, owner_id=item.owner_id, last_version=item.last_version, purged_at=now)
    facts = {":seen": seen.due_at, ":state": item.state, ":bytes": item.stored_bytes}
    condition = "due_at = :seen AND #state = :state AND stored_bytes = :bytes"
    if item.deleted_at is not None:
        condition += " AND deleted_at = :deleted_at"
        facts[":deleted_at"] = item.deleted_at
    else:
        condition += " AND attribute_not_exists(deleted_at)"
    if item.expired_at is not None:
        condition += " AND expired_at = :expired_at"
        facts[":expired_at"] = item.expired_at
    actions = [
        {
            "Delete": {
                "TableName": table,
                "Key": key(item.slug),
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": to_values(facts),
            }
        },
        {
            "Put": {
                "TableName": table,
                "ConditionExpression": "attribute_not_exists(PK)",
                "Item": to_item(
                    {
                        "PK": f"ITEM#{item.slug}",
                        "SK": TOMBSTONE_SK,
                        "slug": item.slug,
                        "owner_id": item.owner_id,
                        "last_version": item.last_version,
                        "purged_at": now,
                        **due_attributes(item.slug, now, TOMBSTONE_SUFFIX),
                    }
                ),
            }
        },
    ]
    if counts:
        actions.append(
            {
                "Update": update_request(
                    owner_key(item.owner_id),
                    condition="attribute_exists(PK)",
                    increments={
                        "storage_used": -counts.bytes,
                        "item_count": -counts.items,
                        "artifact_count": -counts.artifacts,
                    },
                )
            }
        )
    transact(actions)
    return tombstone


def object_keys(slug: str, last_version: int) -> list[str]:
    """Every object an item can have: each version's bytes and thumbnail."""
    numbers = range(1, last_version + 1)
    return [f"items/{slug}/{n}" for n in numbers] + [f"thumbnails/{slug}/{n}" for n in numbers]


def delete_objects(keys: list[str]) -> None:
    """Deletes objects (absent ones are fine: S3 deletes are idempotent)."""
    bucket = settings().bucket_name
    for start in range(0, len(keys), _DELETE_OBJECTS_LIMIT):
        chunk = keys[start : start + _DELETE_OBJECTS_LIMIT]
        response = client("s3").delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
        )
        if response.get("Errors"):
            failed = ", ".join(f"{e['Key']}: {e.get('Code')}" for e in response["Errors"])
            raise RuntimeError(f"S3 refused to delete {failed}")


def finish_purge(tombstone: Tombstone) -> None:
    """Step 2: objects, then version records and comments, then the tombstone (the proof that work remains) last."""
    delete_objects(object_keys(tombstone.slug, tombstone.last_version))
    comments.delete_all(tombstone.slug)
    table = settings().table_name
    deletes = [{"DeleteRequest": {"Key": version_key(tombstone.slug, n)}} for n in range(1, tombstone.last_version + 1)]
    for start in range(0, len(deletes), _BATCH_WRITE_LIMIT):
        request: dict[str, Any] | None = {table: deletes[start : start + _BATCH_WRITE_LIMIT]}
        while request:
            request = client("dynamodb").batch_write_item(RequestItems=request).get("UnprocessedItems") or None
    client("dynamodb").delete_item(TableName=table, Key=to_item({"PK": f"ITEM#{tombstone.slug}", "SK": TOMBSTONE_SK}))


def abandon_version(version: Version, seen: DueKey, reason: str, now: str) -> None:
    """Step 1 for an upload that never came: pending -> failed (finalize then deletes any bytes that
    still arrive), still due at once so that step 2 (remove_version) follows even after a crash."""
    conditional(
        "update_item",
        update_request(
            version_key(version.slug, version.number),
            sets={
                "state": "failed",
                "failure_reason": reason,
                **due_attributes(version.slug, now, f"#{version.number}"),
            },
            condition="due_at = :seen AND #state = :pending",
            names={"#state": "state"},
            values={":seen": seen.due_at, ":pending": "pending"},
        ),
    )


def remove_version(version: Version) -> None:
    """Step 2: the abandoned version's objects, then its record (only while it is still failed)."""
    delete_objects([f"items/{version.slug}/{version.number}", f"thumbnails/{version.slug}/{version.number}"])
    with suppress(StateChanged):  # settled or removed meanwhile
        conditional(
            "delete_item",
            {
                "TableName": settings().table_name,
                "Key": version_key(version.slug, version.number),
                "ConditionExpression": "#state = :failed",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": to_values({":failed": "failed"}),
            },
        )
