"""DynamoDB's guarantees for an in-process moto (the local stack and the unit tests).

moto falls short of DynamoDB in three ways that concurrent clients notice:

- Atomicity: a failed transaction restores a snapshot of the whole table, undoing other threads'
  writes made meanwhile; and moto's reads are not read-only (looking up a missing key inserts an
  empty entry), so a write iterating the table fails with "dictionary changed size during iteration".
  One lock around every item operation gives DynamoDB's atomic, serializable writes.
- Cost: that snapshot is a deep copy of the whole table per transaction (111 ms at 600 items,
  285 ms at 1,500). Here a transaction snapshots only the items it touches, and rolls those back.
- Idempotency: moto ignores ClientRequestToken, so a transaction retried after a client timeout is
  applied twice. Here, as in DynamoDB, a token is remembered for 10 minutes after its transaction
  succeeded: the same request again answers the same without applying anything; a different request
  with that token is refused with IdempotentParameterMismatchException.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

ITEM_OPERATIONS = (
    "update_item",
    "put_item",
    "delete_item",
    "batch_write_item",
    "get_item",
    "query",
    "scan",
    "describe_table",
)
TOKEN_SECONDS = 600  # DynamoDB's idempotency window for ClientRequestToken


def dynamodb_guarantees(patch: Callable[[type, str, Callable], None] | None = None) -> None:
    """Installs the three guarantees on moto's DynamoDB. `patch(owner, name, value)` installs each
    (pytest's monkeypatch.setattr, undone after a test); default: setattr for good."""
    import moto.dynamodb.models as backend_module
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    install = patch or setattr
    lock = threading.RLock()

    def serialized(original):
        def operation(self, *args, **kwargs):
            with lock:
                return original(self, *args, **kwargs)

        return operation

    for name in ITEM_OPERATIONS:
        if hasattr(DynamoDBBackend, name):
            install(DynamoDBBackend, name, serialized(getattr(DynamoDBBackend, name)))
    install(backend_module, "copy", _TablesAreNotCopied())
    install(
        DynamoDBBackend,
        "transact_write_items",
        serialized(_touched_items_rolled_back(DynamoDBBackend.transact_write_items)),
    )
    install(DynamoHandler, "transact_write_items", _idempotent(DynamoHandler.transact_write_items, lock))


class _TablesAreNotCopied:
    """moto's transact_write_items backs up each table it writes to with copy.deepcopy; handed this
    module instead of `copy`, that backup is the table itself (restoring it changes nothing), and
    _touched_items_rolled_back does the rollback. Every other deep copy is a real one."""

    def __getattr__(self, name: str):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _touched_items_rolled_back(original):
    from moto.dynamodb.models.dynamo_type import DynamoType

    def transact_write_items(self, transact_items: list[dict]) -> None:
        before = []  # (table, hash key, range key, a copy of the item or None), for each item touched
        for operation in transact_items:
            for body in operation.values():
                table = self.tables.get(body.get("TableName"))
                if table is None:
                    continue  # moto reports it; nothing of it to restore
                key = body.get("Key") or body.get("Item") or {}
                hash_key = key.get(table.hash_key_attr)
                range_key = key.get(table.range_key_attr) if table.range_key_attr else None
                if hash_key is None or (table.range_key_attr and range_key is None):
                    continue  # moto refuses the operation before writing anything
                hash_key = DynamoType(hash_key)
                range_key = DynamoType(range_key) if range_key is not None else None
                before.append((table, hash_key, range_key, copy.deepcopy(_peek(table, hash_key, range_key))))
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(before):
                _restore(table, hash_key, range_key, item)
            raise

    return transact_write_items


def _peek(table, hash_key, range_key):
    """The item at a key, without moto's habit of inserting an empty entry for a missing hash key."""
    entry = table.items.get(hash_key)
    if entry is None or range_key is None:
        return entry
    return entry.get(range_key)


def _restore(table, hash_key, range_key, item) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    entries = table.items.get(hash_key, {})
    if item is None:
        entries.pop(range_key, None)
    else:
        entries[range_key] = item
    if entries:
        table.items[hash_key] = entries
    else:
        table.items.pop(hash_key, None)


def _idempotent(original, lock: threading.RLock):
    from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException

    class IdempotentParameterMismatch(DynamodbException):
        def __init__(self) -> None:
            super().__init__(
                ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException",
                "Request with the same client token but different parameters was received",
            )

    succeeded: OrderedDict[str, tuple[float, str, object]] = OrderedDict()  # token -> (when, request, answer)

    def transact_write_items(handler):
        token = handler.body.get("ClientRequestToken")
        if not token:
            return original(handler)
        # Binary attribute values (B) arrive decoded, as bytes: repr keeps them apart.
        request = hashlib.sha256(
            json.dumps(
                {name: value for name, value in handler.body.items() if name != "ClientRequestToken"},
                sort_keys=True,
                default=repr,
            ).encode()
        ).hexdigest()
        with lock:  # a retry waits for the attempt it repeats, then finds it recorded
            now = time.monotonic()
            while succeeded and next(iter(succeeded.values()))[0] < now - TOKEN_SECONDS:
                succeeded.popitem(last=False)
            if token in succeeded:
                _, seen, answer = succeeded[token]
                if seen != request:
                    raise IdempotentParameterMismatch()
                return answer
            answer = original(handler)
            succeeded[token] = (time.monotonic(), request, answer)
            return answer

    return transact_write_items
