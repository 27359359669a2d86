"""Comments on an item, in the item's own partition, and the counter that keeps their number.

- ITEM#<slug> / COMMENT#<id>    one comment; <id> starts with its creation time in microseconds (hex,
                                fixed width), so the partition's sort order is the comments' order
                                and a page is one Query (newest first: ScanIndexForward=False)
- ITEM#<slug> / ITEM            total_comments: moved in the same transaction as each put or delete,
                                so it is exact under any concurrency (never a count query)
- ITEM#<slug> / ITEM            comments_mailed_at, comments_mailed_through: the owner's last e-mail about
                                comments (when, and the newest comment it told of)
- ITEM#<slug> / DIGEST          comments held back by the hourly e-mail limit: on the DueIndex (due_shard,
                                due_at) until the sweep sends the e-mail about them
- THROTTLE#<subject>#comments#<window> / THROTTLE
                                posts per source and per item in a window (TTL'd), raised in the same
                                transaction: a refused post leaves nothing, and a burst cannot pass the limit
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import asdict, dataclass, fields
from typing import Any

from cloudshare.config import settings
from cloudshare.models import Comment
from cloudshare.store.aws import client
from cloudshare.store.items import due_attributes, key
from cloudshare.store.records import from_item, to_item, to_values
from cloudshare.store.writes import StateChanged, conditional, transact, update_request

PREFIX = "COMMENT#"
DIGEST_SK = "DIGEST"
DIGEST_SUFFIX = "#digest"


_FIELDS = {field.name for field in fields(Comment)}


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` posts by `subject` (a hashed throttle subject id) in the window numbered `window`."""

    subject: str
    window: int
    limit: int
    expires_at: int


class RateExceeded(Exception):
    def __init__(self, limit: RateLimit):
        super().__init__(limit.subject)
        self.limit = limit


class CommentsClosed(Exception):
    """The item is gone, deleted or not the owner's, or (for visitors) no longer takes comments."""


def comment_key(slug: str, comment_id: str) -> dict[str, Any]:
    return to_item({"PK": f"ITEM#{slug}", "SK": PREFIX + comment_id})


def _rate_key(limit: RateLimit) -> dict[str, Any]:
    return to_item({"PK": f"THROTTLE#{limit.subject}#comments#{limit.window}", "SK": "THROTTLE"})


def comment_from(record: dict[str, Any]) -> Comment:
    return Comment(**{name: value for name, value in record.items() if name in _FIELDS})


def add(comment: Comment, *, owner_id: str | None, limits: tuple[RateLimit, ...] = ()) -> None:
    """Stores a comment and counts it on its item, in one transaction. owner_id: the owner's reply (the
    item must be theirs); None: a visitor's, which needs the item to take comments and every limit to
    have room."""
    table = settings().table_name
    condition = "attribute_exists(PK) AND attribute_not_exists(deleted_at)"
    values: dict[str, Any] = {":one": 1}
    if owner_id is None:
        condition += " AND allow_comments = :yes"
        values[":yes"] = True
    else:
        condition += " AND owner_id = :owner"
        values[":owner"] = owner_id
    actions = [
        {
            "Update": {
                "TableName": table,
                "Key": key(comment.slug),
                "UpdateExpression": "ADD total_comments :one",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": to_values(values),
            }
        },
        {
            "Put": {
                "TableName": table,
                "ConditionExpression": "attribute_not_exists(PK)",
                "Item": to_item({"PK": f"ITEM#{comment.slug}", "SK": PREFIX + comment.comment_id, **asdict(comment)}),
            }
        },
    ]
    for limit in limits:
        actions.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": _rate_key(limit),
                    "UpdateExpression": "ADD posts :one SET expires_at = :expires",
                    "ConditionExpression": "attribute_not_exists(posts) OR posts < :limit",
                    "ExpressionAttributeValues": to_values(
                        {":one": 1, ":limit": limit.limit, ":expires": limit.expires_at}
                    ),
                }
            }
        )
    rate_limits = [lambda _key, limit=limit: RateExceeded(limit) for limit in limits]
    # The same comment id twice (the Put's condition) never happens with 32 random bits: StateChanged.
    transact(actions, failures=[CommentsClosed, StateChanged, *rate_limits])


def delete(slug: str, comment_id: str, owner_id: str) -> bool:
    """Removes one comment of the owner's item and counts it off, together; False if there was none."""
    table = settings().table_name
    try:
        transact(
            [
                {
                    "Delete": {
                        "TableName": table,
                        "Key": comment_key(slug, comment_id),
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
                {
                    "Update": {
                        "TableName": table,
                        "Key": key(slug),
                        "UpdateExpression": "ADD total_comments :minus",
                        "ConditionExpression": "owner_id = :owner AND attribute_not_exists(deleted_at)",
                        "ExpressionAttributeValues": to_values({":minus": -1, ":owner": owner_id}),
                    }
                },
            ],
            failures=[StateChanged, CommentsClosed],
        )
    except StateChanged:
        return False  # no such comment
    return True


def page(
    slug: str, limit: int, *, before: str | None = None, versions: tuple[int, ...] | None = None
) -> tuple[list[Comment], bool]:
    """Up to `limit` comments, newest first, older than the comment id `before`; only those written on
    one of `versions` when given (a filter: the Query reads past the others). Also: whether more exist."""
    condition = "PK = :pk AND begins_with(SK, :prefix)"
    values: dict[str, Any] = {":pk": f"ITEM#{slug}", ":prefix": PREFIX}
    if before:
        condition = "PK = :pk AND SK BETWEEN :prefix AND :before"
        values[":before"] = PREFIX + before
    request: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": condition,
        "ScanIndexForward": False,
        "ConsistentRead": True,
        "Limit": limit + 1,
    }
    if versions is not None:
        request["FilterExpression"] = "#version IN (" + ", ".join(f":v{i}" for i in range(len(versions))) + ")"
        request["ExpressionAttributeNames"] = {"#version": "version"}
        values.update({f":v{i}": number for i, number in enumerate(versions)})
    request["ExpressionAttributeValues"] = to_values(values)
    found: list[Comment] = []
    while True:
        response = client("dynamodb").query(**request)
        records = (from_item(raw) for raw in response["Items"])
        found.extend(comment_from(record) for record in records if record["comment_id"] != before)
        if len(found) > limit or "LastEvaluatedKey" not in response:
            return found[:limit], len(found) > limit
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


@dataclass(frozen=True)
class DigestClaim:
    """The outcome of claiming the owner's e-mail about an item's comments. Claimed: `previous` is the newest
    comment the last e-mail told of. Not claimed: an e-mail went out at `mailed_at` (within the hour), telling
    of comments up to `previous`; or the item is gone (both None)."""

    claimed: bool
    previous: str | None
    mailed_at: str | None


def claim_digest(slug: str, through: str, now: str, since: str) -> DigestClaim:
    """Marks an owner's e-mail about the item's comments up to the comment id `through` as sent now, unless
    one was sent after `since` or one already told of `through`."""
    request = update_request(
        key(slug),
        sets={"comments_mailed_at": now, "comments_mailed_through": through},
        condition="attribute_exists(PK) AND (attribute_not_exists(comments_mailed_at) OR comments_mailed_at <= "
        ":since) AND (attribute_not_exists(comments_mailed_through) OR comments_mailed_through < :through)",
        values={":since": since, ":through": through},
    )
    try:
        response = conditional(
            "update_item", request, ReturnValues="UPDATED_OLD", ReturnValuesOnConditionCheckFailure="ALL_OLD"
        )
    except StateChanged as changed:
        found = changed.current or {}
        return DigestClaim(False, found.get("comments_mailed_through"), found.get("comments_mailed_at"))
    return DigestClaim(True, from_item(response.get("Attributes", {})).get("comments_mailed_through"), None)


def _digest_key(slug: str) -> dict[str, Any]:
    return to_item({"PK": f"ITEM#{slug}", "SK": DIGEST_SK})


def hold_digest(slug: str, due_at: str, link: str, now: str) -> None:
    """Schedules the owner's e-mail about comments held back by the hourly limit: the sweep sends it at
    `due_at` (ITEM#<slug> / DIGEST on the DueIndex) with the share link the request saw. A schedule that is
    not due yet and comes earlier covers these comments too; one already due may be in a sweep's hands, past
    the point where it reads the comments, so it is moved (and the sweep, whose removal is conditional on the
    schedule it saw, leaves it)."""
    due = due_attributes(slug, due_at, DIGEST_SUFFIX)
    request = update_request(
        _digest_key(slug),
        sets={**due, "slug": slug, "link": link},
        condition="attribute_not_exists(due_at) OR due_at > :due OR due_at <= :now",
        values={":due": due["due_at"], ":now": due_attributes(slug, now, DIGEST_SUFFIX)["due_at"]},
    )
    with suppress(StateChanged):
        conditional("update_item", request)


def drop_digest(slug: str, seen_due_at: str) -> bool:
    """Removes a held e-mail's schedule if it is still the one the sweep saw (False: it moved meanwhile)."""
    request = {
        "TableName": settings().table_name,
        "Key": _digest_key(slug),
        "ConditionExpression": "due_at = :seen",
        "ExpressionAttributeValues": to_values({":seen": seen_due_at}),
    }
    try:
        conditional("delete_item", request)
    except StateChanged:
        return False
    return True


def delete_all(slug: str) -> None:
    """Every comment of an item (its purge): one Query of their keys, then batches of deletes."""
    table = settings().table_name
    paginator = client("dynamodb").get_paginator("query")
    for result in paginator.paginate(
        TableName=table,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues=to_values({":pk": f"ITEM#{slug}", ":prefix": PREFIX}),
        ProjectionExpression="PK, SK",
        ConsistentRead=True,
    ):
        deletes = [{"DeleteRequest": {"Key": raw}} for raw in result["Items"]]
        for start in range(0, len(deletes), 25):
            request: dict[str, Any] | None = {table: deletes[start : start + 25]}
            while request:
                request = client("dynamodb").batch_write_item(RequestItems=request).get("UnprocessedItems") or None
