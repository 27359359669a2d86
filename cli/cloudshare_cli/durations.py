"""Durations as people type them (`7d`, `12h`, `1d12h`, `90m`, `2w`) and the moments they lead to."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+)\s*([smhdw])")
MAX_SECONDS = 100 * 365 * 86400  # any date this far ahead is still a date
_WHOLE = re.compile(r"^\s*(?:\d+\s*[smhdw]\s*)+$")


def parse_duration(text: str) -> timedelta:
    """`7d` -> 7 days; parts add up (`1d12h`); units s, m, h, d, w. Raises ValueError otherwise."""
    normalized = text.strip().lower()
    if not _WHOLE.match(normalized):
        raise ValueError(f"{text!r} is not a duration: use a number and a unit (s, m, h, d, w), e.g. 7d, 12h, 1d12h")
    seconds = sum(int(amount) * _UNIT_SECONDS[unit] for amount, unit in _PART.findall(normalized))
    if seconds <= 0:
        raise ValueError(f"{text!r} is not a duration: it must be longer than zero")
    if seconds > MAX_SECONDS:
        raise ValueError(f"{text!r} is longer than a lifetime: at most {MAX_SECONDS // (365 * 86400)} years")
    return timedelta(seconds=seconds)


def iso(moment: datetime) -> str:
    """UTC, second precision, with Z: the form both API contracts show."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_moment(text: str) -> datetime:
    """An ISO 8601 time; one without an offset is taken as UTC (what the server does too)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time, e.g. 2030-01-31T18:00:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def expiry_after(duration: str, now: datetime | None = None) -> str:
    """The ISO time `duration` from now."""
    return iso((now or datetime.now(UTC)) + parse_duration(duration))


def human_size(size: int | float | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # unreachable; keeps type checkers calm
