"""DynamoDB's write guarantee for an in-process moto (the local stack and the unit tests).

DynamoDB applies each write atomically and transactions serializably. moto does not: a failed
transaction restores a snapshot of the whole table, undoing other threads' writes made meanwhile.
One lock around moto's writes gives DynamoDB's guarantee; reads, conditions and retries of the
code under test still interleave freely across threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

WRITES = ("transact_write_items", "update_item", "put_item", "delete_item", "batch_write_item")


def serialize_dynamodb_writes(patch: Callable[[type, str, Callable], None] | None = None) -> None:
    """Wraps moto's DynamoDB write methods in one lock. `patch(cls, name, function)` installs each
    wrapper (pytest's monkeypatch.setattr, to undo after a test); default: setattr for good."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    install = patch or setattr

    def serialized(original):
        def write(self, *args, **kwargs):
            with lock:
                return original(self, *args, **kwargs)

        return write

    for name in WRITES:
        if hasattr(DynamoDBBackend, name):
            install(DynamoDBBackend, name, serialized(getattr(DynamoDBBackend, name)))
