"""Per-day counters on a user's profile (`<name>_day`, `<name>_today`): uploads, e-mail shares.

A day's first use resets the counter, but which form applies is not known without a read; the
caller tries the likelier form and, when its condition fails, the other. Both forms are here, once.
"""

from __future__ import annotations

from typing import Any


def daily_count(name: str, today: str, amount: int, limit: int, *, new_day: bool) -> tuple[str, str, dict[str, Any]]:
    """(SET clause, condition, expression values) adding `amount` to today's `name` counter within
    `limit` (-1: unlimited). Placeholders carry the counter's name, so the parts join other updates."""
    day, total = f"{name}_day", f"{name}_today"
    values = {f":{name}_day": today, f":{name}_amount": amount}
    if new_day:
        return (
            f"{day} = :{name}_day, {total} = :{name}_amount",
            f"(attribute_not_exists({day}) OR {day} <> :{name}_day)",
            values,
        )
    condition = f"{day} = :{name}_day"
    if limit >= 0:
        condition += f" AND {total} <= :{name}_room"
        values[f":{name}_room"] = limit - amount
    return f"{total} = {total} + :{name}_amount", condition, values
