"""The service's notion of now, in one place so that tests can move it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

_MICROS = 1_000_000
_last_stamp = (0, -1)  # (second, microsecond) of the last creation stamp this process handed out


def now() -> float:
    return time.time()


def creation_stamp() -> tuple[int, int]:
    """Now as (epoch second, microsecond), strictly after the previous stamp of this process within
    the same second: things created one after another keep their order even when the clock does
    not move between them (a coarse clock, a test's fixed one). Another second starts afresh, so a
    clock set back is followed, never overridden. A Lambda process serves one request at a time."""
    global _last_stamp
    second, micros = divmod(int(now() * _MICROS), _MICROS)
    last_second, last_micros = _last_stamp
    if second == last_second and micros <= last_micros:
        micros = min(last_micros + 1, _MICROS - 1)  # a million in one second: ties, then by slug
    _last_stamp = (second, micros)
    return second, micros


def iso(timestamp: float | None = None) -> str:
    moment = datetime.fromtimestamp(now() if timestamp is None else timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> str:
    return datetime.fromtimestamp(now(), UTC).strftime("%Y-%m-%d")
