"""Items and their versions in the single table, and the atomic writes that settle an upload.

Layout (see README, "Data model"):
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

from botocore.exceptions import ClientError

from cloudshare.config import settings
from cloudshare.models import Item, Version
from cloudshare.store.aws import client
from cloudshare.store.counters import daily_count
from cloudshare.store.objects import StoredObject
from cloudshare.store.records import from_item, is_condition_failure, to_item, to_values

DUE_INDEX = "DueIndex"
DUE_SHARDS = 4  # sweeps query every shard: a constant cost when nothing is due
_ITEM_FIELDS = {field.name for field in fields(Item)}
_VERSION_FIELDS = {field.name for field in fields(Version)}


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = _Unchanged()  # update_fields: leave the due entry where it is


class StateChanged(Exception):
    """The record was no longer in the state the write expected (someone else settled it)."""


class NotCurrent(Exception):
    """A newer version of the item landed first; this one is kept but does not become current."""


class OwnerLimit(Exception):
    """The owner's usage would pass a plan limit."""


def key(slug: str) -> dict:
    return to_item({"PK": f"ITEM#{slug}", "SK": "ITEM"})


def version_key(slug: str, number: int) -> dict:
    return to_item({"PK": f"ITEM#{slug}", "SK": f"VERSION#{number:06d}"})


def owner_key(owner_id: str) -> dict:
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


def listing_attributes(item: Item) -> dict:
    """The owner-listing index keys of an item that is listed (ready or a bookmark)."""
    return {"GSI1PK": listing_partition(item.owner_id, item.deleted_at is not None),
            "GSI1SK": listing_sort_key(item)}


def due_attributes(slug: str, due_at: str, suffix: str = "") -> dict:
    """DueIndex keys: the shard spreads load; due_at sorts by time, the slug keeps keys unique."""
    shard = int(hashlib.sha256(slug.encode()).hexdigest(), 16) % DUE_SHARDS
    return {"due_shard": f"DUE#{shard}", "due_at": f"{due_at}#{slug}{suffix}"}


def item_from(record: dict) -> Item:
    return Item(**{name: value for name, value in record.items() if name in _ITEM_FIELDS})


def version_from(record: dict) -> Version:
    return Version(**{name: value for name, value in record.items() if name in _VERSION_FIELDS})


def item_record(item: Item, due_at: str | None) -> dict:
    record = {"PK": f"ITEM#{item.slug}", "SK": "ITEM", **asdict(item)}
    if item.state == "ready":
        record.update(listing_attributes(item))
    if due_at:
        record.update(due_attributes(item.slug, due_at))
    return record


def version_record(version: Version, due_at: str | None) -> dict:
    record = {"PK": f"ITEM#{version.slug}", "SK": f"VERSION#{version.number:06d}", **asdict(version)}
    if due_at:
        record.update(due_attributes(version.slug, due_at, f"#{version.number}"))
    return record


def _put_new(record: dict) -> dict:
    return {"TableName": settings().table_name, "Item": to_item(record),
            "ConditionExpression": "attribute_not_exists(PK)"}


def create_upload(item: Item, version: Version, pending_until: str, also: tuple[dict, ...] = ()) -> None:
    """A new file item and its first, pending version, together (nothing is counted yet), with the
    other writes in `also` (a multipart upload's record)."""
    # Only the item is due: abandoning a first upload removes the item and its version together.
    _transact([{"Put": _put_new(item_record(item, pending_until))},
               {"Put": _put_new(version_record(version, None))}, *also])


def add_version(item: Item, version: Version, pending_until: str, also: tuple[dict, ...] = ()) -> None:
    """Hands out the next version number of an existing item: concurrent requests get distinct ones
    (with the other writes in `also`, as create_upload)."""
    claim = {
        "TableName": settings().table_name,
        "Key": key(item.slug),
        "UpdateExpression": "SET last_version = :number",
        # only a ready item takes new versions: a pending one is still waiting for its first
        "ConditionExpression": "last_version = :previous AND owner_id = :owner AND #state = :ready "
                               "AND attribute_not_exists(deleted_at)",
        "ExpressionAttributeNames": {"#state": "state"},
        "ExpressionAttributeValues": to_values(
            {":number": version.number, ":previous": version.number - 1, ":owner": item.owner_id, ":ready": "ready"}
        ),
    }
    _transact([{"Update": claim}, {"Put": _put_new(version_record(version, pending_until))}, *also])


def create_bookmark(item: Item, due_at: str | None) -> None:
    """A bookmark is listed at once and counts as one of the owner's items."""
    _transact([
        {"Put": _put_new(item_record(item, due_at))},
        {"Update": {"TableName": settings().table_name, "Key": owner_key(item.owner_id),
                    "UpdateExpression": "SET item_count = item_count + :one",
                    "ConditionExpression": "attribute_exists(PK)",
                    "ExpressionAttributeValues": to_values({":one": 1})}},
    ])


def _transact(actions: list[dict]) -> None:
    try:
        client("dynamodb").transact_write_items(TransactItems=actions)
    except ClientError as error:
        if is_condition_failure(error):
            raise StateChanged(str(error)) from error
        raise


def discard_pending(version: Version) -> None:
    """Removes a still-pending upload's version record (and, for version 1, its item): nothing was
    counted for it, so nothing else changes."""
    table = settings().table_name
    pending = {"ConditionExpression": "#state = :pending", "ExpressionAttributeNames": {"#state": "state"},
               "ExpressionAttributeValues": to_values({":pending": "pending"})}
    actions = [{"Delete": {"TableName": table, "Key": version_key(version.slug, version.number), **pending}}]
    if version.number == 1:
        actions.append({"Delete": {"TableName": table, "Key": key(version.slug), **pending}})
    _transact(actions)


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
    request = {table: {"Keys": [key(slug), version_key(slug, number)], "ConsistentRead": True}}
    found: list[dict] = []
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
    versions = []
    for page in paginator.paginate(
        TableName=settings().table_name,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :versions)",
        ExpressionAttributeValues=to_values({":pk": f"ITEM#{slug}", ":versions": "VERSION#"}),
        ConsistentRead=True,
    ):
        versions.extend(version_from(from_item(raw)) for raw in page["Items"])
    return versions


def complete_upload(
    item: Item, version: Version, stored: StoredObject, content_type: str, now: str, today: str, *,
    new_day: bool, make_current: bool, item_due: str | None | _Unchanged,
    item_changes: tuple[dict, list[str]] = ({}, []),
) -> None:
    """pending -> ready for a version, its item and the owner's counters, in one transaction.

    The owner's conditions hold the plan limits recorded on the version: storage within quota,
    uploads within the day's allowance and (for a new item) artifacts within their limit, however
    many uploads finish at once. new_day picks the form of the daily counter update (a day's first
    upload resets it); the caller tries the other form if this one fails. make_current=False keeps
    the bytes (and their cost) without making this version the item's current one; item_changes
    (attributes to set, to remove) and the due entry (item_due, unless UNCHANGED) go with a version
    that becomes current. The version records which bytes (ETag, S3 version) it settled.
    """
    table = settings().table_name
    first = version.number == 1
    size = stored.size
    version_update = {
        "TableName": table,
        "Key": version_key(version.slug, version.number),
        "UpdateExpression": "SET #state = :ready, #size = :size, content_type = :type, etag = :etag, "
                            "object_version = :object_version REMOVE due_shard, due_at",
        "ConditionExpression": "#state = :pending",
        "ExpressionAttributeNames": {"#state": "state", "#size": "size"},
        "ExpressionAttributeValues": to_values({":ready": "ready", ":pending": "pending", ":size": size,
                                                ":type": content_type, ":etag": stored.etag,
                                                ":object_version": stored.version_id}),
    }
    item_values: dict = {":size": size, ":now": now}
    item_names: dict = {}
    item_sets = ["stored_bytes = stored_bytes + :size", "updated_at = :now"]
    if make_current:
        item_names.update({"#size": "size", "#version": "version"})
        item_sets += ["#version = :number", "object_key = :key", "#size = :size", "content_type = :type",
                      "version_name = :version_name"]
        item_values.update({":number": version.number, ":key": version.object_key, ":type": content_type,
                            ":version_name": version.name})
        condition = "attribute_exists(PK) AND #version < :number"
    else:
        condition = "attribute_exists(PK)"
    removes = []
    if first:
        item_names["#state"] = "state"
        item_sets.append("#state = :ready")
        item_values.update({":ready": "ready", ":pending": "pending"})
        listed = listing_attributes(item)
        item_sets += ["GSI1PK = :listing", "GSI1SK = :listed_at"]
        item_values.update({":listing": listed["GSI1PK"], ":listed_at": listed["GSI1SK"]})
        # a first upload landing on an item deleted meanwhile is not counted (the purge removes it)
        condition += " AND #state = :pending AND attribute_not_exists(deleted_at)"
    if make_current:
        change_sets, change_removes = item_changes
        if item_due is not UNCHANGED:
            due_sets, due_removes = _due_changes(item.slug, item_due)
            change_sets, change_removes = {**change_sets, **due_sets}, [*change_removes, *due_removes]
        for index, (name, value) in enumerate(change_sets.items()):
            item_names[f"#c{index}"] = name
            item_values[f":c{index}"] = value
            item_sets.append(f"#c{index} = :c{index}")
        for index, name in enumerate(change_removes):
            item_names[f"#r{index}"] = name
            removes.append(f"#r{index}")
    item_update = {
        "TableName": table,
        "Key": key(item.slug),
        "UpdateExpression": "SET " + ", ".join(item_sets) + (" REMOVE " + ", ".join(removes) if removes else ""),
        "ConditionExpression": condition,
        "ExpressionAttributeValues": to_values(item_values),
    }
    if item_names:
        item_update["ExpressionAttributeNames"] = item_names

    owner_sets = ["storage_used = storage_used + :size"]
    conditions = ["attribute_exists(PK)"]
    values: dict = {":size": size}
    if version.storage_quota >= 0:
        conditions.append("storage_used <= :room")
        values[":room"] = version.storage_quota - size
    if first:
        owner_sets += ["item_count = item_count + :one", "artifact_count = artifact_count + :one"]
        values[":one"] = 1
        if version.artifact_limit >= 0:
            conditions.append("artifact_count < :artifacts")
            values[":artifacts"] = version.artifact_limit
    counter, counter_condition, counter_values = daily_count("uploads", today, 1, version.daily_uploads,
                                                             new_day=new_day)
    owner_sets.append(counter)
    conditions.append(counter_condition)
    values.update(counter_values)
    owner_update = {
        "TableName": table,
        "Key": owner_key(item.owner_id),
        "UpdateExpression": "SET " + ", ".join(owner_sets),
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeValues": to_values(values),
    }
    try:
        client("dynamodb").transact_write_items(
            TransactItems=[{"Update": version_update}, {"Update": item_update}, {"Update": owner_update}]
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
        if reasons[:1] == ["ConditionalCheckFailed"]:
            raise StateChanged(version.slug) from error
        if reasons[1:2] == ["ConditionalCheckFailed"]:
            raise (StateChanged if first else NotCurrent)(version.slug) from error
        if reasons[2:3] == ["ConditionalCheckFailed"]:
            raise OwnerLimit(item.owner_id) from error
        raise


def mark_failed(version: Version, reason: str, now: str, purge_at: str) -> None:
    """A rejected upload: the version (and, for a first upload, its item) become failed, once; a failed
    item stays due, for its purge at purge_at."""
    table = settings().table_name
    due = due_attributes(version.slug, purge_at)
    failed = {":failed": "failed", ":pending": "pending", ":reason": reason, ":now": now,
              ":shard": due["due_shard"], ":due": due["due_at"]}
    actions = [{"Update": {
        "TableName": table,
        "Key": version_key(version.slug, version.number),
        "UpdateExpression": "SET #state = :failed, failure_reason = :reason REMOVE due_shard, due_at",
        "ConditionExpression": "#state = :pending",
        "ExpressionAttributeNames": {"#state": "state"},
        "ExpressionAttributeValues": to_values({k: failed[k] for k in (":failed", ":pending", ":reason")}),
    }}]
    if version.number == 1:
        actions.append({"Update": {
            "TableName": table,
            "Key": key(version.slug),
            "UpdateExpression": "SET #state = :failed, failure_reason = :reason, updated_at = :now, "
                                "due_shard = :shard, due_at = :due",
            "ConditionExpression": "#state = :pending",
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": to_values(failed),
        }})
    _transact(actions)


def _due_changes(slug: str, due_at: str | None) -> tuple[dict, list[str]]:
    """SET values or REMOVE names that put an item's due attributes in line with due_at."""
    return (due_attributes(slug, due_at), []) if due_at else ({}, ["due_shard", "due_at"])


def _update_expression(sets: dict, removes: list[str]) -> tuple[str, dict, dict]:
    """An UpdateExpression with every attribute name aliased (names like `size` are reserved)."""
    names, values, assignments = {}, {}, []
    for index, (name, value) in enumerate(sets.items()):
        names[f"#s{index}"] = name
        values[f":s{index}"] = value
        assignments.append(f"#s{index} = :s{index}")
    removals = []
    for index, name in enumerate(removes):
        names[f"#r{index}"] = name
        removals.append(f"#r{index}")
    expression = ("SET " + ", ".join(assignments) if assignments else "") + (
        " REMOVE " + ", ".join(removals) if removals else "")
    return expression.strip(), names, values


def update_fields(item: Item, sets: dict, removes: list[str], due_at: str | None | _Unchanged = None) -> Item:
    """Changes an owner's live (not deleted) item, as it was read (its revision unchanged since), and
    moves its due entry to due_at unless that is UNCHANGED. Returns the item as stored."""
    if due_at is not UNCHANGED:
        due_sets, due_removes = _due_changes(item.slug, due_at)
        sets = {**sets, **due_sets}
        removes = [name for name in [*removes, *due_removes] if name not in sets]
    expression, names, values = _update_expression({**sets, "revision": item.revision + 1}, removes)
    names.update({"#owner": "owner_id", "#deleted": "deleted_at", "#seen": "revision"})
    values.update({":owner": item.owner_id, ":seen": item.revision, ":none": 0})
    try:
        response = client("dynamodb").update_item(
            TableName=settings().table_name,
            Key=key(item.slug),
            UpdateExpression=expression,
            ConditionExpression="#owner = :owner AND attribute_not_exists(#deleted) "
                                "AND (#seen = :seen OR (attribute_not_exists(#seen) AND :seen = :none))",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_values(values),
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if is_condition_failure(error):
            raise StateChanged(item.slug) from error
        raise
    return item_from(from_item(response["Attributes"]))


def _owner_counts(owner_id: str, delta: int, *, files: bool, artifact_limit: int | None = None) -> dict:
    """The owner's item (and, for files, artifact) counts moved by delta; a rising artifact count
    stays within artifact_limit."""
    sets = "item_count = item_count + :delta" + (", artifact_count = artifact_count + :delta" if files else "")
    values = {":delta": delta}
    condition = "attribute_exists(PK)"
    if files and artifact_limit is not None and artifact_limit >= 0:
        condition += " AND artifact_count < :limit"
        values[":limit"] = artifact_limit
    return {"TableName": settings().table_name, "Key": owner_key(owner_id), "UpdateExpression": f"SET {sets}",
            "ConditionExpression": condition, "ExpressionAttributeValues": to_values(values)}


def soft_delete(item: Item, deleted_at: str, purge_at: str) -> None:
    """Marks the item deleted, takes it out of the owner's listing and counts, and schedules its purge.

    The item's state is a condition, so whether it was counted (ready) is decided by the database.
    """
    sets = {"deleted_at": deleted_at, "updated_at": deleted_at, **due_attributes(item.slug, purge_at)}
    if item.state == "ready":
        sets.update({"GSI1PK": listing_partition(item.owner_id, deleted=True)})
    expression, names, values = _update_expression(sets, [])
    names.update({"#state": "state", "#deleted": "deleted_at", "#owner": "owner_id"})
    values.update({":state": item.state, ":owner": item.owner_id})
    actions = [{"Update": {
        "TableName": settings().table_name, "Key": key(item.slug), "UpdateExpression": expression,
        "ConditionExpression": "#owner = :owner AND #state = :state AND attribute_not_exists(#deleted)",
        "ExpressionAttributeNames": names, "ExpressionAttributeValues": to_values(values),
    }}]
    if item.state == "ready":
        actions.append({"Update": _owner_counts(item.owner_id, -1, files=item.kind == "file")})
    _transact_or_owner_limit(actions)


def restore(item: Item, restored_at: str, due_at: str | None, artifact_limit: int) -> Item:
    """Undoes a soft delete (before the purge): listed and counted again, within the artifact limit."""
    due_sets, due_removes = _due_changes(item.slug, due_at)
    sets = {"updated_at": restored_at, **due_sets}
    if item.state == "ready":
        sets["GSI1PK"] = listing_partition(item.owner_id)
    expression, names, values = _update_expression(sets, ["deleted_at", *due_removes])
    names.update({"#state": "state", "#deleted_key": "deleted_at", "#owner": "owner_id"})
    values.update({":state": item.state, ":owner": item.owner_id, ":deleted": item.deleted_at})
    actions = [{"Update": {
        "TableName": settings().table_name, "Key": key(item.slug), "UpdateExpression": expression,
        "ConditionExpression": "#owner = :owner AND #state = :state AND #deleted_key = :deleted",
        "ExpressionAttributeNames": names, "ExpressionAttributeValues": to_values(values),
    }}]
    if item.state == "ready":
        actions.append({"Update": _owner_counts(item.owner_id, +1, files=item.kind == "file",
                                                artifact_limit=artifact_limit)})
    _transact_or_owner_limit(actions)
    return get(item.slug)


def _transact_or_owner_limit(actions: list[dict]) -> None:
    """StateChanged when the item's condition fails; OwnerLimit when the owner's does."""
    try:
        client("dynamodb").transact_write_items(TransactItems=actions)
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
        if reasons[1:2] == ["ConditionalCheckFailed"]:
            raise OwnerLimit(actions[1]["Update"]["Key"]) from error
        if "ConditionalCheckFailed" in reasons:
            raise StateChanged(str(actions[0]["Update"]["Key"])) from error
        raise


def rename_version(item: Item, number: int, name: str, now: str) -> None:
    """Names one of a live item's versions; the item carries its current version's name, so when that
    is the one renamed both change in one transaction."""
    table = settings().table_name
    actions = [{"Update": {
        "TableName": table, "Key": version_key(item.slug, number),
        "UpdateExpression": "SET #name = :name", "ConditionExpression": "attribute_exists(PK)",
        "ExpressionAttributeNames": {"#name": "name"}, "ExpressionAttributeValues": to_values({":name": name}),
    }}]
    if item.version == number:
        actions.append({"Update": {
            "TableName": table, "Key": key(item.slug),
            "UpdateExpression": "SET version_name = :name, updated_at = :now",
            "ConditionExpression": "#owner = :owner AND #version = :number AND attribute_not_exists(deleted_at)",
            "ExpressionAttributeNames": {"#owner": "owner_id", "#version": "version"},
            "ExpressionAttributeValues": to_values({":name": name, ":now": now, ":owner": item.owner_id,
                                                    ":number": number}),
        }})
    _transact(actions)
