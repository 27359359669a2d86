"""Passkeys (WebAuthn credentials) and their ceremonies' challenges in the single table.

- PASSKEY#<credential id, base64url> / PASSKEY    one passkey: whose, its name, its COSE public key,
                      the authenticator's last sign count, created_at, last_used_at
- GSI1PK = USER#<user>#PASSKEYS                    a user's passkeys (the account page), as API keys
                                                   are listed under USER#<user>#KEYS
- passkey_count on the profile (USER#<id> / PROFILE): how many the user has, moved in the same
                      transaction as the passkey's record, under the limit's condition
- PASSKEYCHALLENGE#<sha256 of the challenge> / CHALLENGE   a ceremony's challenge: which ceremony,
                      whose (registration), until when (expires_at, the table's TTL attribute); taken
                      once by a conditional delete
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudshare.config import settings
from cloudshare.store import writes
from cloudshare.store.aws import client
from cloudshare.store.records import from_item, to_item, to_values

INDEX = "GSI1"


class TooManyPasskeys(Exception):
    """The user has the most passkeys allowed."""


class PasskeyExists(Exception):
    """This credential is stored already."""


@dataclass(frozen=True)
class Passkey:
    credential_id: str  # base64url, as the browser names it
    user_id: str
    name: str
    public_key: bytes  # COSE
    sign_count: int
    created_at: str
    last_used_at: str = ""


@dataclass(frozen=True)
class Challenge:
    ceremony: str  # "register" or "sign-in"
    user_id: str  # whose registration ("" for a sign-in)
    expires_at: int


def key(credential_id: str) -> dict[str, Any]:
    return to_item({"PK": f"PASSKEY#{credential_id}", "SK": "PASSKEY"})


def _profile_key(user_id: str) -> dict[str, Any]:
    return to_item({"PK": f"USER#{user_id}", "SK": "PROFILE"})


def _partition(user_id: str) -> str:
    return f"USER#{user_id}#PASSKEYS"


def from_record(record: dict[str, Any]) -> Passkey:
    return Passkey(
        credential_id=record["PK"].removeprefix("PASSKEY#"),
        user_id=record["user_id"],
        name=record["name"],
        public_key=bytes(record["public_key"]),
        sign_count=record["sign_count"],
        created_at=record["created_at"],
        last_used_at=record.get("last_used_at", ""),
    )


def add(passkey: Passkey, limit: int) -> None:
    """Stores a new passkey and counts it on the profile, in one transaction; TooManyPasskeys at the limit."""
    record = {
        "PK": f"PASSKEY#{passkey.credential_id}",
        "SK": "PASSKEY",
        "GSI1PK": _partition(passkey.user_id),
        "GSI1SK": f"{passkey.created_at}#{passkey.credential_id}",
        "user_id": passkey.user_id,
        "name": passkey.name,
        "public_key": passkey.public_key,
        "sign_count": passkey.sign_count,
        "created_at": passkey.created_at,
    }
    count = {
        "TableName": settings().table_name,
        "Key": _profile_key(passkey.user_id),
        "UpdateExpression": "SET passkey_count = if_not_exists(passkey_count, :zero) + :one",
        "ConditionExpression": "attribute_exists(PK) AND (attribute_not_exists(passkey_count) OR passkey_count < :limit)",
        "ExpressionAttributeValues": to_values({":zero": 0, ":one": 1, ":limit": limit}),
    }
    put = {
        "TableName": settings().table_name,
        "Item": to_item(record),
        "ConditionExpression": "attribute_not_exists(PK)",
    }
    writes.transact([{"Update": count}, {"Put": put}], failures=[TooManyPasskeys, PasskeyExists])


def remove(credential_id: str, user_id: str) -> bool:
    """Removes one of the user's passkeys and uncounts it; False if it is not (or no longer) theirs."""
    delete = {
        "TableName": settings().table_name,
        "Key": key(credential_id),
        "ConditionExpression": "user_id = :user",
        "ExpressionAttributeValues": to_values({":user": user_id}),
    }
    count = {
        "TableName": settings().table_name,
        "Key": _profile_key(user_id),
        "UpdateExpression": "SET passkey_count = passkey_count - :one",
        "ConditionExpression": "passkey_count > :zero",
        "ExpressionAttributeValues": to_values({":zero": 0, ":one": 1}),
    }
    try:
        writes.transact([{"Delete": delete}, {"Update": count}])
    except writes.StateChanged:
        return False
    return True


def of_user(user_id: str) -> list[Passkey]:
    """The user's passkeys, oldest first."""
    query: dict[str, Any] = {
        "TableName": settings().table_name,
        "IndexName": INDEX,
        "KeyConditionExpression": "GSI1PK = :user",
        "ExpressionAttributeValues": to_values({":user": _partition(user_id)}),
    }
    found = []
    while True:
        response = client("dynamodb").query(**query)
        found += [from_record(from_item(raw)) for raw in response["Items"]]
        if "LastEvaluatedKey" not in response:
            return found
        query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def used(passkey: Passkey, sign_count: int, used_at: str) -> bool:
    """Records a sign-in with the authenticator's new sign count; False if the stored count is not
    below it (a cloned authenticator, or a concurrent sign-in with the same assertion). Authenticators
    that count nothing always send 0, and stay at 0."""
    condition = "user_id = :user AND " + ("sign_count = :count" if sign_count == 0 else "sign_count < :count")
    request = {
        "TableName": settings().table_name,
        "Key": key(passkey.credential_id),
        "UpdateExpression": "SET sign_count = :count, last_used_at = :used",
        "ConditionExpression": condition,
        "ExpressionAttributeValues": to_values({":user": passkey.user_id, ":count": sign_count, ":used": used_at}),
    }
    try:
        writes.conditional("update_item", request)
    except writes.StateChanged:
        return False
    return True


def put_challenge(challenge_hash: str, challenge: Challenge) -> None:
    record = {
        "PK": f"PASSKEYCHALLENGE#{challenge_hash}",
        "SK": "CHALLENGE",
        "ceremony": challenge.ceremony,
        "user_id": challenge.user_id,
        "expires_at": challenge.expires_at,
    }
    client("dynamodb").put_item(
        TableName=settings().table_name, Item=to_item(record), ConditionExpression="attribute_not_exists(PK)"
    )


def take_challenge(challenge_hash: str) -> Challenge | None:
    """Deletes a challenge and returns it; None if there is none (never issued, or taken already)."""
    request = {
        "TableName": settings().table_name,
        "Key": to_item({"PK": f"PASSKEYCHALLENGE#{challenge_hash}", "SK": "CHALLENGE"}),
        "ConditionExpression": "attribute_exists(PK)",
    }
    try:
        response = writes.conditional("delete_item", request, ReturnValues="ALL_OLD")
    except writes.StateChanged:
        return None
    record = from_item(response["Attributes"])
    return Challenge(record["ceremony"], record["user_id"], record["expires_at"])
