"""Counts the AWS calls (and the DynamoDB items they return) that code makes, for the benchmarks.

Hooks go on boto3's default session, so every client created afterwards reports to the counter;
cloudshare's cached clients are dropped first so that they are created anew.
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import boto3

_ITEM_KEYS = ("Items", "Item", "Responses", "Attributes")


@dataclass
class CallCount:
    calls: Counter = field(default_factory=Counter)  # "dynamodb.GetItem" -> n
    items_read: int = 0  # DynamoDB items returned by reads
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.items_read = 0

    def summary(self) -> str:
        return ", ".join(f"{name} {count}" for name, count in sorted(self.calls.items())) or "none"

    def _after_call(self, model, parsed, **_kwargs) -> None:
        service = model.service_model.service_name
        with self._lock:
            self.calls[f"{service}.{model.name}"] += 1
            if service == "dynamodb" and model.name in ("GetItem", "Query", "Scan", "BatchGetItem"):
                self.items_read += _items_in(parsed)


def _items_in(parsed: dict) -> int:
    if "Items" in parsed:
        return len(parsed["Items"])
    if "Item" in parsed:
        return 1
    if "Responses" in parsed:
        return sum(len(found) for found in parsed["Responses"].values())
    return 0


@contextmanager
def session_hooks(hooks: dict):
    """Within the block, botocore events of new clients of the default session (cloudshare's are made
    afresh) reach `hooks` (event name -> handler)."""
    from cloudshare.store.aws import client

    session = boto3.DEFAULT_SESSION or boto3.setup_default_session() or boto3.DEFAULT_SESSION
    for event, handler in hooks.items():
        session.events.register(event, handler)
    client.cache_clear()
    try:
        yield
    finally:
        for event, handler in hooks.items():
            session.events.unregister(event, handler)
        client.cache_clear()


@contextmanager
def counting():
    """Within the block, every AWS call made through new clients (and cloudshare's) is counted."""
    counter = CallCount()
    with session_hooks({"after-call.*.*": counter._after_call}):
        yield counter
