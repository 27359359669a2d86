"""Items in the single table, and the atomic writes that settle an upload against the owner's plan."""

from __future__ import annotations

from dataclasses import asdict, fields

from botocore.exceptions import ClientError

from cloudshare.config import settings
from cloudshare.models import Item
from cloudshare.store.aws import client
from cloudshare.store.records import from_item, is_condition_failure, to_item, to_values

PENDING_SHARD = "PENDING"
_ITEM_FIELDS = {field.name for field in fields(Item)}


class StateChanged(Exception):
    """The item was no longer in the state the write expected (someone else settled it)."""


class OwnerLimit(Exception):
    """The owner's usage would pass a plan limit."""


def _key(slug: str) -> dict:
    return to_item({"PK": f"ITEM#{slug}", "SK": "ITEM"})


def _item_from(record: dict) -> Item:
    return Item(**{name: value for name, value in record.items() if name in _ITEM_FIELDS})


def put_new(item: Item, pending_until: str | None = None) -> None:
    record = {"PK": f"ITEM#{item.slug}", "SK": "ITEM", **asdict(item)}
    record.update({"GSI1PK": f"OWNER#{item.owner_id}", "GSI1SK": f"{item.created_at}#{item.slug}"})
    if pending_until:  # the sparse due index: abandoned uploads are found without a scan
        record.update({"due_shard": PENDING_SHARD, "due_at": f"{pending_until}#{item.slug}"})
    try:
        client("dynamodb").put_item(
            TableName=settings().table_name, Item=to_item(record), ConditionExpression="attribute_not_exists(PK)"
        )
    except ClientError as error:
        if is_condition_failure(error):
            raise StateChanged(item.slug) from error
        raise


def get(slug: str) -> Item | None:
    response = client("dynamodb").get_item(TableName=settings().table_name, Key=_key(slug))
    return _item_from(from_item(response["Item"])) if "Item" in response else None


def complete_upload(
    item: Item, size: int, content_type: str, now: str, today: str, quota: int, daily_uploads: int, new_day: bool
) -> None:
    """pending -> ready and the owner's counters, in one transaction.

    The owner's conditions hold the plan: storage stays within quota and uploads within the day's
    allowance, however many uploads finish at once. new_day picks the form of the daily counter
    update (a day's first upload resets it); the caller tries the other form if this one fails.
    """
    table = settings().table_name
    item_update = {
        "TableName": table,
        "Key": _key(item.slug),
        "UpdateExpression": "SET #state = :ready, #size = :size, content_type = :type, updated_at = :now "
        "REMOVE due_shard, due_at",
        "ConditionExpression": "#state = :pending",
        "ExpressionAttributeNames": {"#state": "state", "#size": "size"},
        "ExpressionAttributeValues": to_values(
            {":ready": "ready", ":pending": "pending", ":size": size, ":type": content_type, ":now": now}
        ),
    }
    conditions = ["attribute_exists(PK)"]
    values = {":size": size, ":one": 1, ":today": today}
    if quota >= 0:
        conditions.append("storage_used <= :room")
        values[":room"] = quota - size
    if new_day:
        counter = "uploads_day = :today, uploads_today = :one"
        conditions.append("uploads_day <> :today")
    else:
        counter = "uploads_today = uploads_today + :one"
        conditions.append("uploads_day = :today")
        if daily_uploads >= 0:
            conditions.append("uploads_today < :daily")
            values[":daily"] = daily_uploads
    owner_update = {
        "TableName": table,
        "Key": to_item({"PK": f"USER#{item.owner_id}", "SK": "PROFILE"}),
        "UpdateExpression": f"SET storage_used = storage_used + :size, item_count = item_count + :one, {counter}",
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeValues": to_values(values),
    }
    try:
        client("dynamodb").transact_write_items(TransactItems=[{"Update": item_update}, {"Update": owner_update}])
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            raise StateChanged(item.slug) from error
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise OwnerLimit(item.owner_id) from error
        raise


def mark_failed(slug: str, reason: str, now: str) -> None:
    try:
        client("dynamodb").update_item(
            TableName=settings().table_name,
            Key=_key(slug),
            UpdateExpression="SET #state = :failed, failure_reason = :reason, updated_at = :now REMOVE due_shard, due_at",
            ConditionExpression="#state = :pending",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_values({":failed": "failed", ":pending": "pending", ":reason": reason,
                                                 ":now": now}),
        )
    except ClientError as error:
        if is_condition_failure(error):
            raise StateChanged(slug) from error
        raise
