"""A user's second factor (TOTP) on their profile record, USER#<id> / PROFILE:

- totp_secret     the base32 shared secret (docs/two-factor.md says why it is kept as is)
- totp_step       the last 30-second step whose code was accepted; a code is taken only for a later
                  step, by a conditional write, so no code is accepted twice, even by concurrent requests
- totp_recovery   the unused recovery codes' SHA-256 hashes (a string set); a code is used by deleting
                  its hash under the condition that it is still there, so it works once
- SIGNIN#<sha256 of the token> / SIGNIN    a pending sign-in (the password was right, a code must
                  follow): whose, until when (expires_at, the table's TTL attribute); used once
Every change is conditional on the secret it was decided with: a request that read the secret before
two-factor was turned off (or on again) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudshare.config import settings
from cloudshare.store.aws import client
from cloudshare.store.records import from_item, to_item, to_values
from cloudshare.store.writes import StateChanged, conditional

_ATTRIBUTES = "totp_secret, totp_step, totp_recovery"


@dataclass(frozen=True)
class TwoFactor:
    secret: str
    last_step: int
    recovery: frozenset[str]  # hashes of the unused recovery codes


def key(user_id: str) -> dict[str, Any]:
    return to_item({"PK": f"USER#{user_id}", "SK": "PROFILE"})


def from_profile(record: dict[str, Any]) -> TwoFactor | None:
    """The second factor of a profile record (read whole or with its two-factor attributes), if on."""
    if "totp_secret" not in record:
        return None
    return TwoFactor(record["totp_secret"], record.get("totp_step", 0), frozenset(record.get("totp_recovery", ())))


def get(user_id: str) -> TwoFactor | None:
    response = client("dynamodb").get_item(
        TableName=settings().table_name, Key=key(user_id), ProjectionExpression=_ATTRIBUTES, ConsistentRead=True
    )
    return from_profile(from_item(response["Item"])) if "Item" in response else None


def enable(user_id: str, secret: str, step: int, recovery: set[str]) -> bool:
    """Turns two-factor on, with the step of the code that confirmed it; False if it is on already."""
    return _update(
        user_id,
        "SET totp_secret = :secret, totp_step = :step, totp_recovery = :recovery",
        "attribute_exists(PK) AND attribute_not_exists(totp_secret)",
        {":secret": secret, ":step": step, ":recovery": recovery},
    )


def use_step(user_id: str, secret: str, step: int) -> bool:
    """Takes the code of this step; False if this or a later step's code was taken before."""
    return _update(
        user_id,
        "SET totp_step = :step",
        "totp_secret = :secret AND totp_step < :step",
        {":secret": secret, ":step": step},
    )


def use_recovery(user_id: str, secret: str, code_hash: str) -> bool:
    """Uses up a recovery code; False if it is not (or no longer) one of the user's."""
    return _update(
        user_id,
        "DELETE totp_recovery :used",
        "totp_secret = :secret AND contains(totp_recovery, :code)",
        {":secret": secret, ":used": {code_hash}, ":code": code_hash},
    )


def replace_recovery(user_id: str, secret: str, recovery: set[str]) -> bool:
    return _update(
        user_id, "SET totp_recovery = :recovery", "totp_secret = :secret", {":secret": secret, ":recovery": recovery}
    )


def disable(user_id: str, secret: str) -> bool:
    return _update(
        user_id, "REMOVE totp_secret, totp_step, totp_recovery", "totp_secret = :secret", {":secret": secret}
    )


def put_pending(token_hash: str, user_id: str, expires_at: int) -> None:
    record = {"PK": f"SIGNIN#{token_hash}", "SK": "SIGNIN", "user_id": user_id, "expires_at": expires_at}
    client("dynamodb").put_item(
        TableName=settings().table_name, Item=to_item(record), ConditionExpression="attribute_not_exists(PK)"
    )


def get_pending(token_hash: str) -> tuple[str, int] | None:
    """(user, expires_at) of a pending sign-in (expired ones the TTL has not removed yet included)."""
    response = client("dynamodb").get_item(
        TableName=settings().table_name, Key=_pending_key(token_hash), ConsistentRead=True
    )
    if "Item" not in response:
        return None
    record = from_item(response["Item"])
    return record["user_id"], record["expires_at"]


def end_pending(token_hash: str) -> bool:
    """Ends a pending sign-in; False if it had ended already (another request used it)."""
    request = {
        "TableName": settings().table_name,
        "Key": _pending_key(token_hash),
        "ConditionExpression": "attribute_exists(PK)",
    }
    try:
        conditional("delete_item", request)
    except StateChanged:
        return False
    return True


def _pending_key(token_hash: str) -> dict[str, Any]:
    return to_item({"PK": f"SIGNIN#{token_hash}", "SK": "SIGNIN"})


def _update(user_id: str, expression: str, condition: str, values: dict[str, Any]) -> bool:
    request = {
        "TableName": settings().table_name,
        "Key": key(user_id),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeValues": to_values(values),
    }
    try:
        conditional("update_item", request)
    except StateChanged:
        return False
    return True
