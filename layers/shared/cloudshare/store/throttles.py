"""Failed-guess counters per subject (an account, a shared item, a source address) and one-hour window.

PK=THROTTLE#<subject>#<window>, SK=THROTTLE, where <subject> is `<kind>#<hash>` (no e-mail address
or client address at rest) and <window> numbers a one-hour window: the window is part of the
partition key, so no record stays hot beyond its window, and the table's TTL (expires_at) removes it.

- failures: ADDed by every failure, so concurrent failures all count and DynamoDB says the total;
- held_until: no attempt of this subject before then (its backoff);
- clean_held_until: for targets, no attempt from a source without failures of its own before then.
Both times only grow (conditional writes), except that an attempt that claimed one gives it back.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from cloudshare.config import settings
from cloudshare.store.aws import client
from cloudshare.store.records import from_item, to_item, to_values
from cloudshare.store.writes import StateChanged, conditional

UNTIL, CLEAN_UNTIL = "held_until", "clean_held_until"


@dataclass(frozen=True)
class Counter:
    failures: int = 0
    until: int = 0
    clean_until: int = 0


def key(subject: str, window: int) -> dict[str, Any]:
    return to_item({"PK": f"THROTTLE#{subject}#{window}", "SK": "THROTTLE"})


def read(
    subjects: list[str], windows: tuple[int, ...], with_key: dict[str, Any] | None = None
) -> tuple[dict[str, Any] | None, dict[tuple[str, int], Counter]]:
    """The counters of these subjects in these windows, and, in the same request, the record at
    `with_key` (the credential being checked): an attempt costs no extra call to read them."""
    table = settings().table_name
    keys = [key(subject, window) for subject in subjects for window in windows]
    request: dict[str, Any] | None = {table: {"Keys": keys + ([with_key] if with_key else [])}}
    found: list[dict[str, Any]] = []
    while request:
        response = client("dynamodb").batch_get_item(RequestItems=request)
        found.extend(response["Responses"].get(table, []))
        request = response.get("UnprocessedKeys") or None
    extra, counters = None, {}
    for raw in found:
        record = from_item(raw)
        if not record["PK"].startswith("THROTTLE#"):
            extra = record
            continue
        subject, _, window = record["PK"].removeprefix("THROTTLE#").rpartition("#")
        counters[(subject, int(window))] = Counter(
            record.get("failures", 0), record.get(UNTIL, 0), record.get(CLEAN_UNTIL, 0)
        )
    return extra, counters


def add_failure(subject: str, window: int, expires_at: int) -> int:
    """Counts one failure; returns the window's total, as DynamoDB counted it."""
    response = client("dynamodb").update_item(
        TableName=settings().table_name,
        Key=key(subject, window),
        UpdateExpression="ADD failures :one SET expires_at = :expires",
        ExpressionAttributeValues=to_values({":one": 1, ":expires": expires_at}),
        ReturnValues="UPDATED_NEW",
    )
    return int(response["Attributes"]["failures"]["N"])


def hold(subject: str, window: int, field: str, until: int, expires_at: int) -> None:
    """Moves `field` (a held-until time) forward to `until`; never back (a concurrent failure may
    already have held the subject longer)."""
    with suppress(StateChanged):
        _move(subject, window, field, until, f"attribute_not_exists({field}) OR {field} < :to", {}, expires_at)


def claim(subject: str, window: int, field: str, until: int, now: int, expires_at: int) -> int | None:
    """Takes the subject's turn: sets `field` to `until` if it has passed. None when taken; else the
    time the subject is held until (another attempt took the turn first)."""
    condition = f"attribute_not_exists({field}) OR {field} <= :now"
    try:
        _move(subject, window, field, until, condition, {":now": now}, expires_at)
    except StateChanged as changed:
        return int((changed.current or {}).get(field, until))
    return None


def give_back(subject: str, window: int, field: str, until: int, now: int) -> None:
    """Returns a turn that a successful attempt claimed, unless a failure has moved it since."""
    with suppress(StateChanged):
        _move(subject, window, field, now, f"{field} = :until", {":until": until})


def _move(
    subject: str,
    window: int,
    field: str,
    to: int,
    condition: str,
    values: dict[str, int],
    expires_at: int | None = None,
) -> None:
    """Sets the time `field` to `to` (and the record's expiry, when given) if `condition` holds; else
    StateChanged, with the record as it is."""
    update = f"SET {field} = :to" + (", expires_at = :expires" if expires_at is not None else "")
    if expires_at is not None:
        values = {**values, ":expires": expires_at}
    request = {
        "TableName": settings().table_name,
        "Key": key(subject, window),
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeValues": to_values({":to": to, **values}),
    }
    conditional("update_item", request, ReturnValuesOnConditionCheckFailure="ALL_OLD")
