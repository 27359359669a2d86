"""Dashboard sign-in sessions in the single table.

- SESSION#<sha256 of the token> / SESSION   one session: who, since when, until when (expires_at is
                                            the table's TTL attribute), from where
- GSI1PK = USER#<user>#SESSIONS             a user's sessions (the list, "sign out everywhere"),
                                            as API keys are listed under USER#<user>#KEYS
The token itself is never stored: a leaked table cannot be replayed as cookies.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from cloudshare.config import settings
from cloudshare.store.aws import client
from cloudshare.store.records import from_item, to_item, to_values
from cloudshare.store.writes import StateChanged, conditional

INDEX = "GSI1"


@dataclass(frozen=True)
class StoredSession:
    token_hash: str
    user_id: str
    created_at: str
    expires_at: int  # epoch seconds
    source: str = ""
    agent: str = ""


def _key(token_hash: str) -> dict[str, Any]:
    return to_item({"PK": f"SESSION#{token_hash}", "SK": "SESSION"})


def _partition(user_id: str) -> str:
    return f"USER#{user_id}#SESSIONS"


def put(session: StoredSession) -> None:
    record = {
        "PK": f"SESSION#{session.token_hash}",
        "SK": "SESSION",
        "GSI1PK": _partition(session.user_id),
        "GSI1SK": f"{session.created_at}#{session.token_hash}",
        "user_id": session.user_id,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "source": session.source,
        "agent": session.agent,
    }
    client("dynamodb").put_item(
        TableName=settings().table_name, Item=to_item(record), ConditionExpression="attribute_not_exists(PK)"
    )


def get(token_hash: str) -> StoredSession | None:
    response = client("dynamodb").get_item(TableName=settings().table_name, Key=_key(token_hash), ConsistentRead=True)
    return _from(from_item(response["Item"])) if "Item" in response else None


def delete(token_hash: str, user_id: str) -> None:
    """Ends a session of this user (a hash naming someone else's session deletes nothing)."""
    request = {
        "TableName": settings().table_name,
        "Key": _key(token_hash),
        "ConditionExpression": "user_id = :user",
        "ExpressionAttributeValues": to_values({":user": user_id}),
    }
    with suppress(StateChanged):
        conditional("delete_item", request)


def of_user(user_id: str) -> list[StoredSession]:
    """The user's sessions, newest first (expired ones the TTL has not removed yet included)."""
    query = {
        "TableName": settings().table_name,
        "IndexName": INDEX,
        "KeyConditionExpression": "GSI1PK = :user",
        "ExpressionAttributeValues": to_values({":user": _partition(user_id)}),
        "ScanIndexForward": False,
    }
    found = []
    while True:
        response = client("dynamodb").query(**query)
        found += [_from(from_item(raw)) for raw in response["Items"]]
        if "LastEvaluatedKey" not in response:
            return found
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _from(record: dict[str, Any]) -> StoredSession:
    return StoredSession(
        token_hash=record["PK"].removeprefix("SESSION#"),
        user_id=record["user_id"],
        created_at=record["created_at"],
        expires_at=record["expires_at"],
        source=record.get("source", ""),
        agent=record.get("agent", ""),
    )
