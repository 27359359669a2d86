"""Users, their logins (by e-mail), API keys and Digest nonces in the single table."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import asdict
from typing import Any

from cloudshare.config import settings
from cloudshare.models import ApiKey, Login, User
from cloudshare.store.aws import client
from cloudshare.store.counters import daily_count
from cloudshare.store.records import from_item, to_item, to_values
from cloudshare.store.writes import StateChanged, conditional, transact

USERS_INDEX = "GSI1"


class AlreadyExists(Exception):
    pass


class Missing(Exception):
    pass


def _profile_key(user_id: str) -> dict[str, Any]:
    return to_item({"PK": f"USER#{user_id}", "SK": "PROFILE"})


def login_key(email: str) -> dict[str, Any]:
    return to_item({"PK": f"EMAIL#{email}", "SK": "LOGIN"})


def api_key_key(key_id: str) -> dict[str, Any]:
    return to_item({"PK": f"APIKEY#{key_id}", "SK": "APIKEY"})


def _user_from(record: dict[str, Any]) -> User:
    return User(
        user_id=record["user_id"],
        email=record["email"],
        plan_name=record["plan"],
        created_at=record["created_at"],
        storage_used=record.get("storage_used", 0),
        artifact_count=record.get("artifact_count", 0),
        item_count=record.get("item_count", 0),
        uploads_day=record.get("uploads_day", ""),
        uploads_today=record.get("uploads_today", 0),
    )


def create_user(user: User, login: Login, password_hash: str) -> None:
    """Profile and login are written together; the e-mail is unique by a conditional put."""
    profile = {"PK": f"USER#{user.user_id}", "SK": "PROFILE", "plan": user.plan_name, "password_hash": password_hash}
    profile.update({k: v for k, v in asdict(user).items() if k != "plan_name"})
    login_record = {
        "PK": f"EMAIL#{login.email}",
        "SK": "LOGIN",
        "user_id": login.user_id,
        "email": login.email,
        "ha1": login.ha1,
        "GSI1PK": "USERS",
        "GSI1SK": login.email,
    }
    try:
        transact([{"Put": _conditional_new(login_record)}, {"Put": _conditional_new(profile)}])
    except StateChanged as changed:
        raise AlreadyExists(login.email) from changed


def _conditional_new(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "TableName": settings().table_name,
        "Item": to_item(record),
        "ConditionExpression": "attribute_not_exists(PK)",
    }


def get_login(email: str) -> Login | None:
    response = client("dynamodb").get_item(TableName=settings().table_name, Key=login_key(email))
    return login_from(from_item(response["Item"])) if "Item" in response else None


def login_from(record: dict[str, Any]) -> Login:
    return Login(user_id=record["user_id"], email=record["email"], ha1=record.get("ha1", {}))


def get_user(user_id: str) -> User | None:
    response = client("dynamodb").get_item(TableName=settings().table_name, Key=_profile_key(user_id))
    return _user_from(from_item(response["Item"])) if "Item" in response else None


def list_logins() -> list[Login]:
    paginator = client("dynamodb").get_paginator("query")
    logins = []
    for page in paginator.paginate(
        TableName=settings().table_name,
        IndexName=USERS_INDEX,
        KeyConditionExpression="GSI1PK = :users",
        ExpressionAttributeValues=to_values({":users": "USERS"}),
    ):
        for item in page["Items"]:
            record = from_item(item)
            logins.append(Login(user_id=record["user_id"], email=record["email"]))
    return logins


def set_plan(user_id: str, plan_name: str) -> None:
    _update_existing(_profile_key(user_id), "SET #plan = :plan", {"#plan": "plan"}, {":plan": plan_name})


def set_password(login: Login, password_hash: str) -> None:
    table = settings().table_name
    try:
        transact(
            [
                {
                    "Update": {
                        "TableName": table,
                        "Key": login_key(login.email),
                        "UpdateExpression": "SET ha1 = :ha1",
                        "ConditionExpression": "attribute_exists(PK)",
                        "ExpressionAttributeValues": to_values({":ha1": login.ha1}),
                    }
                },
                {
                    "Update": {
                        "TableName": table,
                        "Key": _profile_key(login.user_id),
                        "UpdateExpression": "SET password_hash = :hash",
                        "ConditionExpression": "attribute_exists(PK)",
                        "ExpressionAttributeValues": to_values({":hash": password_hash}),
                    }
                },
            ]
        )
    except StateChanged as changed:
        raise Missing(login.email) from changed


def get_password_hash(user_id: str) -> str | None:
    response = client("dynamodb").get_item(
        TableName=settings().table_name, Key=_profile_key(user_id), ProjectionExpression="password_hash"
    )
    return from_item(response["Item"]).get("password_hash") if "Item" in response else None


def put_api_key(key: ApiKey) -> None:
    record = {"PK": f"APIKEY#{key.key_id}", "SK": "APIKEY", **asdict(key)}
    record.update({"GSI1PK": f"USER#{key.user_id}#KEYS", "GSI1SK": f"{key.created_at}#{key.key_id}"})
    try:
        conditional("put_item", _conditional_new(record))
    except StateChanged as changed:
        raise AlreadyExists(key.key_id) from changed


def get_api_key(key_id: str) -> ApiKey | None:
    response = client("dynamodb").get_item(TableName=settings().table_name, Key=api_key_key(key_id))
    return api_key_from(from_item(response["Item"])) if "Item" in response else None


def api_key_from(record: dict[str, Any]) -> ApiKey:
    values: dict[str, Any] = {name: record.get(name) for name in ApiKey.__dataclass_fields__ if name in record}
    return ApiKey(**values)


def list_api_keys(user_id: str) -> list[ApiKey]:
    response = client("dynamodb").query(
        TableName=settings().table_name,
        IndexName=USERS_INDEX,
        KeyConditionExpression="GSI1PK = :owner",
        ExpressionAttributeValues=to_values({":owner": f"USER#{user_id}#KEYS"}),
    )
    return [api_key_from(from_item(item)) for item in response["Items"]]


def revoke_api_key(key_id: str, revoked_at: str) -> None:
    """Revoking twice keeps the first revocation time."""
    try:
        _update_existing(
            api_key_key(key_id),
            "SET revoked_at = if_not_exists(revoked_at, :now)",
            None,
            {":now": revoked_at},
        )
    except Missing:
        raise Missing(key_id) from None


def _update_existing(
    key: dict[str, Any], expression: str, names: dict[str, Any] | None, values: dict[str, Any]
) -> None:
    request = {
        "TableName": settings().table_name,
        "Key": key,
        "UpdateExpression": expression,
        "ConditionExpression": "attribute_exists(PK)",
        "ExpressionAttributeValues": to_values(values),
        **({"ExpressionAttributeNames": names} if names else {}),
    }
    try:
        conditional("update_item", request)
    except StateChanged as changed:
        raise Missing(str(key)) from changed


def record_nonce_use(nonce: str, count: int, expires_at: int) -> bool:
    """True when this nonce count is higher than any seen before (so the request is not a replay).

    One conditional write settles concurrent requests: only one of two equal counts succeeds.
    """
    request = {
        "TableName": settings().table_name,
        "Key": to_item({"PK": f"NONCE#{nonce}", "SK": "NONCE"}),
        "UpdateExpression": "SET nc = :nc, expires_at = :exp",
        "ConditionExpression": "attribute_not_exists(PK) OR nc < :nc",
        "ExpressionAttributeValues": to_values({":nc": count, ":exp": expires_at}),
    }
    try:
        conditional("update_item", request)
    except StateChanged:
        return False
    return True


class DailyLimit(Exception):
    """The day's allowance cannot take this many more."""


def count_shares(user_id: str, day: str, count: int, daily_limit: int) -> None:
    """Adds `count` e-mail shares to the owner's day (shares_day / shares_today on the profile),
    within `daily_limit` (-1: unlimited), by a conditional write: concurrent requests never pass it.

    A day's first share resets the counter. Which form applies is not known without a read, so the
    same-day form is tried, then the new-day form, then the same-day form again (in case another
    request started the day in between); failing all three means the allowance is used up.
    """
    if 0 <= daily_limit < count:
        raise DailyLimit(user_id)
    for new_day in (False, True, False):
        expression, condition, values = daily_count("shares", day, count, daily_limit, new_day=new_day)
        request = {
            "TableName": settings().table_name,
            "Key": _profile_key(user_id),
            "UpdateExpression": f"SET {expression}",
            "ConditionExpression": f"attribute_exists(PK) AND {condition}",
            "ExpressionAttributeValues": to_values(values),
        }
        with suppress(StateChanged):
            conditional("update_item", request)
            return
    raise DailyLimit(user_id)


def uncount_shares(user_id: str, day: str, count: int) -> None:
    """Gives back shares counted today that were not sent (nothing to give back once the day changed)."""
    request = {
        "TableName": settings().table_name,
        "Key": _profile_key(user_id),
        "UpdateExpression": "SET shares_today = shares_today - :count",
        "ConditionExpression": "shares_day = :today AND shares_today >= :count",
        "ExpressionAttributeValues": to_values({":today": day, ":count": count}),
    }
    with suppress(StateChanged):
        conditional("update_item", request)
