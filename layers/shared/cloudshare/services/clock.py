"""The service's notion of now, in one place so that tests can move it."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> float:
    return time.time()


def iso(timestamp: float | None = None) -> str:
    moment = datetime.fromtimestamp(now() if timestamp is None else timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> str:
    return datetime.fromtimestamp(now(), UTC).strftime("%Y-%m-%d")
