"""What an item's lifecycle facts mean, and when something is next due for it.

An item is served publicly only when it is ready (or a bookmark), published, not deleted and not
expired. Expiry is decided here on every read, so an expired item is never served whether or not
the sweep has run; the sweep (driven by next_due) makes it permanent and later purges the data.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cloudshare.config import settings
from cloudshare.models import Item

if TYPE_CHECKING:
    from typing import Any

# How long a presigned POST may be started: clients POST right after asking (the upload page asks
# once the file is chosen), and a shorter policy narrows the time it can be replayed.
UPLOAD_WINDOW_SECONDS = 5 * 60
# S3 checks a policy's expiry when a POST starts, so the bytes may still be arriving long after it:
# the pending deadline adds the time the largest allowed file takes at a slow but real link, and
# a margin for the S3 event and finalize's retries. Past it the sweep still asks S3 before
# abandoning (services/sweeps.py), so a slower upload is settled, not lost.
MIN_UPLOAD_BYTES_PER_SECOND = 512 * 1024  # ~4 Mbit/s: 5 GiB in under 3 hours
PENDING_GRACE_SECONDS = 15 * 60


def parse_time(text: str) -> datetime:
    """ISO 8601 with an offset or Z; a time without one is taken as UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shift(text: str, **delta: float) -> str:
    return iso(parse_time(text) + timedelta(**delta))


def views_exhausted(item: Item) -> bool:
    return item.expires_after_views is not None and item.view_counter >= item.expires_after_views


def is_expired(item: Item, now: str) -> bool:
    if item.expired_at is not None or views_exhausted(item):
        return True
    return item.expiration_time is not None and parse_time(item.expiration_time) <= parse_time(now)


def public_state(item: Item, now: str) -> str:
    """'available', or why not: 'pending', 'failed', 'deleted', 'unpublished', 'expired'."""
    if item.deleted_at is not None:
        return "deleted"
    if item.state != "ready":
        return item.state
    if is_expired(item, now):
        return "expired"
    if not item.is_published:
        return "unpublished"
    return "available"


def upload_deadline(requested_at: str, max_size: int) -> str:
    """When the sweep looks at a pending upload of at most max_size bytes: it settles it if S3 has the
    bytes by then, else abandons it."""
    transfer = -(-max_size // MIN_UPLOAD_BYTES_PER_SECOND)
    return shift(requested_at, seconds=UPLOAD_WINDOW_SECONDS + transfer + PENDING_GRACE_SECONDS)


def purge_time(since: str) -> str:
    return shift(since, days=settings().retention_days)


def next_due(item: Item, now: str) -> str | None:
    """When the sweep must next look at this item (None: never, unless something changes)."""
    if item.deleted_at is not None:
        return purge_time(item.deleted_at)
    if item.state == "pending":
        return upload_deadline(item.created_at, item.max_size)
    if item.state == "failed":
        return purge_time(item.updated_at)
    if item.expired_at is not None:
        return purge_time(item.expired_at)
    if views_exhausted(item):
        return now
    return item.expiration_time and iso(parse_time(item.expiration_time))


def after_change(before: Item, after: Item, now: str) -> tuple[Item, list[str], str | None]:
    """An owner's change seen through the lifecycle: an expiry that no longer applies re-enables an
    expired (not yet purged) item. Returns the item as it will be, the attributes to remove for that,
    and when it is next due."""
    removes = []
    if before.expired_at is not None and not is_expired(replace(after, expired_at=None), now):
        removes.append("expired_at")
        after = replace(after, expired_at=None)
    return after, removes, next_due(after, now)


def touches_expiry(sets: dict[str, Any], removes: list[str]) -> bool:
    return bool(EXPIRY_FIELDS & {*sets, *removes})


EXPIRY_FIELDS = frozenset({"expiration_time", "expires_after_views"})
