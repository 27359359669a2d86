"""Conditional writes to the table, built and decoded one way.

Every UpdateExpression is built by `update_request` (attribute names aliased, since names like `size`
and `state` are reserved words), and every failed condition becomes a domain exception here, so a
caller never reads a botocore error: `conditional` for one request, `transact` for several.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from cloudshare.config import settings
from cloudshare.store.aws import client
from cloudshare.store.records import from_item, to_values

_ALIAS = re.compile(r"[#:][sri]\d+")


class StateChanged(Exception):
    """The record was no longer in the state the write expected (someone else settled it). `current` is the
    record as the failed write found it, when the request asked for it (ReturnValuesOnConditionCheckFailure)."""

    def __init__(self, message: str = "", current: dict[str, Any] | None = None):
        super().__init__(message)
        self.current = from_item(current) if current else None


class OwnerLimit(Exception):
    """The owner's usage would pass a plan limit."""


def update_request(
    key: dict[str, Any],
    *,
    condition: str,
    sets: Mapping[str, Any] | None = None,
    removes: Iterable[str] = (),
    increments: Mapping[str, int] | None = None,
    clauses: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An UpdateItem request, for `conditional` or as a transaction's Update.

    sets, removes and increments (`a = a + n`) name attributes, aliased here; a name both set and
    removed is set. clauses are further SET clauses that, like the condition, use the caller's own
    `names` and `values`, whose placeholders must differ from the aliases made here (#s0, :s0, #i0, ...).
    """
    sets = dict(sets or {})
    all_names, all_values = dict(names or {}), dict(values or {})
    if any(_ALIAS.fullmatch(placeholder) for placeholder in [*all_names, *all_values]):
        raise ValueError(f"placeholders that update_request makes itself: {sorted([*all_names, *all_values])}")
    assignments = list(clauses)
    for index, (name, value) in enumerate(sets.items()):
        all_names[f"#s{index}"], all_values[f":s{index}"] = name, value
        assignments.append(f"#s{index} = :s{index}")
    for index, (name, amount) in enumerate((increments or {}).items()):
        all_names[f"#i{index}"], all_values[f":i{index}"] = name, amount
        assignments.append(f"#i{index} = #i{index} + :i{index}")
    removals = []
    for index, name in enumerate(name for name in dict.fromkeys(removes) if name not in sets):
        all_names[f"#r{index}"] = name
        removals.append(f"#r{index}")
    expression = " ".join(
        part
        for part in (
            "SET " + ", ".join(assignments) if assignments else "",
            "REMOVE " + ", ".join(removals) if removals else "",
        )
        if part
    )
    request: dict[str, Any] = {
        "TableName": settings().table_name,
        "Key": key,
        "UpdateExpression": expression,
        "ConditionExpression": condition,
    }
    if all_names:
        request["ExpressionAttributeNames"] = all_names
    if all_values:
        request["ExpressionAttributeValues"] = to_values(all_values)
    return request


def conditional(operation: str, request: Mapping[str, Any], **options: Any) -> dict[str, Any]:
    """One conditional write (`update_item`, `delete_item`, `put_item`); StateChanged when its
    condition fails. Returns DynamoDB's response."""
    try:
        response: dict[str, Any] = getattr(client("dynamodb"), operation)(**request, **options)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise StateChanged(str(request["Key"]), error.response.get("Item")) from error  # type: ignore[arg-type]
        raise
    return response


def transact(actions: list[dict[str, Any]], failures: Sequence[Callable[[str], Exception]] = ()) -> None:
    """All of the actions or none. When a condition fails, raises failures[i] (an exception type, or a
    function of the action's key making one) for the first action i (in the order given) whose condition
    failed; StateChanged for actions past the end of failures.
    Other cancellations (a conflicting transaction, throttling) stay botocore errors."""
    try:
        client("dynamodb").transact_write_items(TransactItems=actions)
    except ClientError as error:
        failed = _first_failed_condition(error)
        if failed is None:
            raise
        exception = failures[failed] if failed < len(failures) else StateChanged
        action = next(iter(actions[failed].values()))
        raise exception(str(action.get("Key") or action.get("Item", {}).get("PK"))) from error


def _first_failed_condition(error: ClientError) -> int | None:
    if error.response["Error"]["Code"] != "TransactionCanceledException":
        return None
    reasons = error.response.get("CancellationReasons", [])
    return next((index for index, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"), None)
