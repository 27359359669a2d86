"""Items and their versions in the single table, and the atomic writes that settle an upload.

Layout (see docs/data-model.md):
- ITEM#<slug> / ITEM            the item (file or bookmark; a v1 artifact is the same record)
- ITEM#<slug> / VERSION#<n>     one upload of a file (n zero-padded so versions sort)
- GSI1PK = OWNER#<owner>        on listed items only (ready files, bookmarks),
                                GSI1SK = created_at.micros#slug (listing_sort_key);
  OWNER#<owner>#DELETED         on soft-deleted items, so listings never read them
- due_shard / due_at            the sparse DueIndex: set only while something is due (an upload
                                deadline, an expiry, a purge), so sweeps never scan
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, fields
from typing import Any

from cloudshare.config import settings
from cloudshare.models import Item, Keep, Version
from cloudshare.store.aws import client
from cloudshare.store.counters import daily_count
from cloudshare.store.objects import StoredObject
from cloudshare.store.records import from_item, to_item, to_values
from cloudshare.store.writes import OwnerLimit, StateChanged, conditional, transact, update_request

DUE_INDEX = "DueIndex"
DUE_SHARDS = 4  # sweeps query every shard: a constant cost when nothing is due
_ITEM_FIELDS = {field.name for field in fields(Item)}
_VERSION_FIELDS = {field.name for field in fields(Version)}


class NotCurrent(Exception):
    """A newer version of the item landed first; this one is kept but does not become current."""


def key(slug: str) -> dict[str, Any]:
    return to_item({"PK": f"ITEM#{slug}", "SK": "ITEM"})


def version_key(slug: str, number: int) -> dict[str, Any]:
    return to_item({"PK": f"ITEM#{slug}", "SK": f"VERSION#{number:06d}"})


def owner_key(owner_id: str) -> dict[str, Any]:
    return to_item({"PK": f"USER#{owner_id}", "SK": "PROFILE"})


def listing_partition(owner_id: str, deleted: bool = False) -> str:
    return f"OWNER#{owner_id}#DELETED" if deleted else f"OWNER#{owner_id}"


def listing_sort_key(item: Item) -> str:
    """An item's place in its owner's newest-first listing: creation order to the microsecond.

    Items made before created_micros existed keep `created_at#slug`, which needs no migration:
    between seconds created_at decides for both forms, and within one second the old form sorts
    first ('#' < '.'), as those items were made before any new-form item.
    """
    return sort_key(item.created_at, item.created_micros, item.slug)


def sort_key(created_at: str, micros: int | None, slug: str) -> str:
    return f"{created_at}#{slug}" if micros is None else f"{created_at}.{micros:06d}#{slug}"


def listing_attributes(item: Item) -> dict[str, Any]:
    """The owner-listing index keys of an item that is listed (ready or a bookmark)."""
    return {"GSI1PK": listing_partition(item.owner_id, item.deleted_at is not None), "GSI1SK": listing_sort_key(item)}


def due_attributes(slug: str, due_at: str, suffix: str = "") -> dict[str, Any]:
    """DueIndex keys: the shard spreads load; due_at sorts by time, the slug keeps keys unique."""
    shard = int(hashlib.sha256(slug.encode()).hexdigest(), 16) % DUE_SHARDS
    return {"due_shard": f"DUE#{shard}", "due_at": f"{due_at}#{slug}{suffix}"}


def item_from(record: dict[str, Any]) -> Item:
    return Item(**{name: value for name, value in record.items() if name in _ITEM_FIELDS})


def version_from(record: dict[str, Any]) -> Version:
    return Version(**{name: value for name, value in record.items() if name in _VERSION_FIELDS})


def item_record(item: Item, due_at: str | None) -> dict[str, Any]:
    record = {"PK": f"ITEM#{item.slug}", "SK": "ITEM", **asdict(item)}
    if item.state == "ready":
        record.update(listing_attributes(item))
    if due_at:
        record.update(due_attributes(item.slug, due_at))
    return record


def version_record(version: Version, due_at: str | None) -> dict[str, Any]:
    record = {"PK": f"ITEM#{version.slug}", "SK": f"VERSION#{version.number:06d}", **asdict(version)}
    if due_at:
        record.update(due_attributes(version.slug, due_at, f"#{version.number}"))
    return record


def _put_new(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "TableName": settings().table_name,
        "Item": to_item(record),
        "ConditionExpression": "attribute_not_exists(PK)",
    }


def create_upload(item: Item, version: Version, pending_until: str, also: tuple[dict[str, Any], ...] = ()) -> None:
    """A new file item and its first, pending version, together (nothing is counted yet), with the
    other writes in `also` (a multipart upload's record)."""
    # Only the item is due: abandoning a first upload removes the item and its version together.
    transact(
        [{"Put": _put_new(item_record(item, pending_until))}, {"Put": _put_new(version_record(version, None))}, *also]
    )


def add_version(item: Item, version: Version, pending_until: str, also: tuple[dict[str, Any], ...] = ()) -> None:
    """Hands out the next version number of an existing item: concurrent requests get distinct ones
    (with the other writes in `also`, as create_upload)."""
    claim = update_request(
        key(item.slug),
        sets={"last_version": version.number},
        # only a ready item takes new versions: a pending one is still waiting for its first
        condition="last_version = :previous AND owner_id = :owner AND #state = :ready "
        "AND attribute_not_exists(deleted_at)",
        names={"#state": "state"},
        values={":previous": version.number - 1, ":owner": item.owner_id, ":ready": "ready"},
    )
    transact([{"Update": claim}, {"Put": _put_new(version_record(version, pending_until))}, *also])


def create_bookmark(item: Item, due_at: str | None) -> None:
    """A bookmark is listed at once and counts as one of the owner's items."""
    transact(
        [
            {"Put": _put_new(item_record(item, due_at))},
            {
                "Update": update_request(
                    owner_key(item.owner_id), increments={"item_count": 1}, condition="attribute_exists(PK)"
                )
            },
        ]
    )


def discard_pending(version: Version) -> None:
    """Removes a still-pending upload's version record (and, for version 1, its item): nothing was
    counted for it, so nothing else changes."""
    table = settings().table_name
    pending = {
        "ConditionExpression": "#state = :pending",
        "ExpressionAttributeNames": {"#state": "state"},
        "ExpressionAttributeValues": to_values({":pending": "pending"}),
    }
    actions = [{"Delete": {"TableName": table, "Key": version_key(version.slug, version.number), **pending}}]
    if version.number == 1:
        actions.append({"Delete": {"TableName": table, "Key": key(version.slug), **pending}})
    transact(actions)


def get(slug: str) -> Item | None:
    response = client("dynamodb").get_item(TableName=settings().table_name, Key=key(slug), ConsistentRead=True)
    return item_from(from_item(response["Item"])) if "Item" in response else None


def get_version(slug: str, number: int) -> Version | None:
    response = client("dynamodb").get_item(
        TableName=settings().table_name, Key=version_key(slug, number), ConsistentRead=True
    )
    return version_from(from_item(response["Item"])) if "Item" in response else None


def get_with_version(slug: str, number: int) -> tuple[Item | None, Version | None]:
    """The item and one of its versions in one request."""
    table = settings().table_name
    request: dict[str, Any] | None = {table: {"Keys": [key(slug), version_key(slug, number)], "ConsistentRead": True}}
    found: list[dict[str, Any]] = []
    while request:
        response = client("dynamodb").batch_get_item(RequestItems=request)
        found.extend(response["Responses"].get(table, []))
        request = response.get("UnprocessedKeys") or None
    records = [from_item(raw) for raw in found]
    item = next((item_from(r) for r in records if r["SK"] == "ITEM"), None)
    version = next((version_from(r) for r in records if r["SK"].startswith("VERSION#")), None)
    return item, version


def list_versions(slug: str) -> list[Version]:
    paginator = client("dynamodb").get_paginator("query")
    versions: list[Version] = []
    for page in paginator.paginate(
        TableName=settings().table_name,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :versions)",
        ExpressionAttributeValues=to_values({":pk": f"ITEM#{slug}", ":versions": "VERSION#"}),
        ConsistentRead=True,
    ):
        versions.extend(version_from(from_item(raw)) for raw in page["Items"])
    return versions


def complete_upload(
    item: Item,
    version: Version,
    stored: StoredObject,
    content_type: str,
    now: str,
    today: str,
    *,
    new_day: bool,
    make_current: bool,
    item_due: str | None | Keep,
    item_changes: tuple[dict[str, Any], list[str]] = ({}, []),
) -> None:
    """pending -> ready for a version, its item and the owner's counters, in one transaction.

    The owner's conditions hold the plan limits recorded on the version: storage within quota,
    uploads within the day's allowance and (for a new item) artifacts within their limit, however
    many uploads finish at once. new_day picks the form of the daily counter update (a day's first
    upload resets it); the caller tries the other form if this one fails. make_current=False keeps
    the bytes (and their cost) without making this version the item's current one; item_changes
    (attributes to set, to remove) and the due entry (item_due, unless KEEP) go with a version
    that becomes current. The version records which bytes (ETag, S3 version) it settled.
    """
    first = version.number == 1
    transact(
        [
            {"Update": _version_settled(version, stored, content_type)},
            {
                "Update": _item_settled(
                    item,
                    version,
                    stored.size,
                    content_type,
                    now,
                    make_current=make_current,
                    item_due=item_due,
                    item_changes=item_changes,
                )
            },
            {"Update": _owner_charged(item.owner_id, version, stored.size, today, new_day=new_day)},
        ],
        # a first upload whose item changed is settled by someone else; a later one lost to a newer version
        failures=(StateChanged, StateChanged if first else NotCurrent, OwnerLimit),
    )


def _version_settled(version: Version, stored: StoredObject, content_type: str) -> dict[str, Any]:
    """The pending version becomes ready, recording which bytes (ETag, S3 version) it settled."""
    return update_request(
        version_key(version.slug, version.number),
        sets={
            "state": "ready",
            "size": stored.size,
            "content_type": content_type,
            "etag": stored.etag,
            "object_version": stored.version_id,
        },
        removes=["due_shard", "due_at"],
        condition="#state = :pending",
        names={"#state": "state"},
        values={":pending": "pending"},
    )


def _item_settled(
    item: Item,
    version: Version,
    size: int,
    content_type: str,
    now: str,
    *,
    make_current: bool,
    item_due: str | None | Keep,
    item_changes: tuple[dict[str, Any], list[str]],
) -> dict[str, Any]:
    """The item pays for the version's bytes; a first upload makes it ready and listed; a version that
    becomes current (a newer one did not land first) brings its object and the changes asked with it."""
    sets: dict[str, Any] = {"updated_at": now}
    removes: list[str] = []
    names: dict[str, Any] = {}
    values: dict[str, Any] = {}
    condition = "attribute_exists(PK)"
    if make_current:
        sets.update(
            {
                "version": version.number,
                "object_key": version.object_key,
                "size": size,
                "content_type": content_type,
                "version_name": version.name,
            }
        )
        change_sets, change_removes = item_changes
        if not isinstance(item_due, Keep):
            due_sets, due_removes = due_changes(item.slug, item_due)
            change_sets, change_removes = {**change_sets, **due_sets}, [*change_removes, *due_removes]
        sets.update(change_sets)
        removes += change_removes
        names["#version"] = "version"
        values[":number"] = version.number
        condition += " AND #version < :number"
    if version.number == 1:
        listed = listing_attributes(item)
        sets.update({"state": "ready", "GSI1PK": listed["GSI1PK"], "GSI1SK": listed["GSI1SK"]})
        names["#state"] = "state"
        values[":pending"] = "pending"
        # a first upload landing on an item deleted meanwhile is not counted (the purge removes it)
        condition += " AND #state = :pending AND attribute_not_exists(deleted_at)"
    return update_request(
        key(item.slug),
        sets=sets,
        removes=removes,
        increments={"stored_bytes": size},
        condition=condition,
        names=names,
        values=values,
    )


def _owner_charged(owner_id: str, version: Version, size: int, today: str, *, new_day: bool) -> dict[str, Any]:
    """The owner's storage, daily uploads and (for a new item) item and artifact counts, within the
    plan limits recorded on the version."""
    increments = {"storage_used": size}
    conditions = ["attribute_exists(PK)"]
    values: dict[str, Any] = {}
    if version.storage_quota >= 0:
        conditions.append("storage_used <= :room")
        values[":room"] = version.storage_quota - size
    if version.number == 1:
        increments.update({"item_count": 1, "artifact_count": 1})
        if version.artifact_limit >= 0:
            conditions.append("artifact_count < :artifacts")
            values[":artifacts"] = version.artifact_limit
    counter, counter_condition, counter_values = daily_count(
        "uploads", today, 1, version.daily_uploads, new_day=new_day
    )
    conditions.append(counter_condition)
    values.update(counter_values)
    return update_request(
        owner_key(owner_id), increments=increments, clauses=[counter], condition=" AND ".join(conditions), values=values
    )


def mark_failed(version: Version, reason: str, now: str, purge_at: str) -> None:
    """A rejected upload: the version (and, for a first upload, its item) become failed, once; a failed
    item stays due, for its purge at purge_at."""
    pending: dict[str, Any] = {
        "condition": "#state = :pending",
        "names": {"#state": "state"},
        "values": {":pending": "pending"},
    }
    failed = {"state": "failed", "failure_reason": reason}
    actions = [
        {
            "Update": update_request(
                version_key(version.slug, version.number), sets=failed, removes=["due_shard", "due_at"], **pending
            )
        }
    ]
    if version.number == 1:
        actions.append(
            {
                "Update": update_request(
                    key(version.slug),
                    sets={**failed, "updated_at": now, **due_attributes(version.slug, purge_at)},
                    **pending,
                )
            }
        )
    transact(actions)


def due_changes(slug: str, due_at: str | None, suffix: str = "") -> tuple[dict[str, Any], list[str]]:
    """SET values or REMOVE names that move a record's due entry to due_at (None: remove it)."""
    return (due_attributes(slug, due_at, suffix), []) if due_at else ({}, ["due_shard", "due_at"])


def update_fields(item: Item, sets: dict[str, Any], removes: list[str], due_at: str | None | Keep = None) -> Item:
    """Changes an owner's live (not deleted) item, as it was read (its revision unchanged since), and
    moves its due entry to due_at unless that is KEEP. Returns the item as stored."""
    if not isinstance(due_at, Keep):
        due_sets, due_removes = due_changes(item.slug, due_at)
        sets, removes = {**sets, **due_sets}, [*removes, *due_removes]
    request = update_request(
        key(item.slug),
        sets={**sets, "revision": item.revision + 1},
        removes=removes,
        condition="#owner = :owner AND attribute_not_exists(#deleted) "
        "AND (#seen = :seen OR (attribute_not_exists(#seen) AND :seen = :none))",
        names={"#owner": "owner_id", "#deleted": "deleted_at", "#seen": "revision"},
        values={":owner": item.owner_id, ":seen": item.revision, ":none": 0},
    )
    return item_from(from_item(conditional("update_item", request, ReturnValues="ALL_NEW")["Attributes"]))


def _owner_counts(owner_id: str, delta: int, *, files: bool, artifact_limit: int | None = None) -> dict[str, Any]:
    """The owner's item (and, for files, artifact) counts moved by delta; a rising artifact count
    stays within artifact_limit."""
    increments = {"item_count": delta, **({"artifact_count": delta} if files else {})}
    condition, values = "attribute_exists(PK)", {}
    if files and artifact_limit is not None and artifact_limit >= 0:
        condition += " AND artifact_count < :limit"
        values[":limit"] = artifact_limit
    return update_request(owner_key(owner_id), increments=increments, condition=condition, values=values)


def soft_delete(item: Item, deleted_at: str, purge_at: str) -> None:
    """Marks the item deleted, takes it out of the owner's listing and counts, and schedules its purge.

    The item's state is a condition, so whether it was counted (ready) is decided by the database.
    """
    sets = {"deleted_at": deleted_at, "updated_at": deleted_at, **due_attributes(item.slug, purge_at)}
    if item.state == "ready":
        sets.update({"GSI1PK": listing_partition(item.owner_id, deleted=True)})
    actions = [
        {
            "Update": update_request(
                key(item.slug),
                sets=sets,
                condition="#owner = :owner AND #state = :state AND attribute_not_exists(#deleted)",
                names={"#state": "state", "#deleted": "deleted_at", "#owner": "owner_id"},
                values={":state": item.state, ":owner": item.owner_id},
            )
        }
    ]
    if item.state == "ready":
        actions.append({"Update": _owner_counts(item.owner_id, -1, files=item.kind == "file")})
    transact(actions, failures=(StateChanged, OwnerLimit))


def restore(item: Item, restored_at: str, due_at: str | None, artifact_limit: int) -> Item:
    """Undoes a soft delete (before the purge): listed and counted again, within the artifact limit."""
    due_sets, due_removes = due_changes(item.slug, due_at)
    sets = {"updated_at": restored_at, **due_sets}
    if item.state == "ready":
        sets["GSI1PK"] = listing_partition(item.owner_id)
    actions = [
        {
            "Update": update_request(
                key(item.slug),
                sets=sets,
                removes=["deleted_at", *due_removes],
                condition="#owner = :owner AND #state = :state AND #deleted_key = :deleted",
                names={"#state": "state", "#deleted_key": "deleted_at", "#owner": "owner_id"},
                values={":state": item.state, ":owner": item.owner_id, ":deleted": item.deleted_at},
            )
        }
    ]
    if item.state == "ready":
        # first: a full plan is what the owner is told, even when the item also changed meanwhile
        actions.insert(
            0, {"Update": _owner_counts(item.owner_id, +1, files=item.kind == "file", artifact_limit=artifact_limit)}
        )
    transact(actions, failures=(OwnerLimit, StateChanged) if item.state == "ready" else ())
    restored = get(item.slug)
    if restored is None:  # purged the moment after
        raise StateChanged(item.slug)
    return restored


def rename_version(item: Item, number: int, name: str, now: str) -> None:
    """Names one of a live item's versions; the item carries its current version's name, so when that
    is the one renamed both change in one transaction."""
    actions = [
        {
            "Update": update_request(
                version_key(item.slug, number), sets={"name": name}, condition="attribute_exists(PK)"
            )
        }
    ]
    if item.version == number:
        actions.append(
            {
                "Update": update_request(
                    key(item.slug),
                    sets={"version_name": name, "updated_at": now},
                    condition="#owner = :owner AND #version = :number AND attribute_not_exists(deleted_at)",
                    names={"#owner": "owner_id", "#version": "version"},
                    values={":owner": item.owner_id, ":number": number},
                )
            }
        )
    transact(actions)
