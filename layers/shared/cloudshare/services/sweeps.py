"""The lifecycle sweep: what happens to an item when something is due for it.

- An item past its expiration_time, or at its expires_after_views, becomes expired for good
  (expired_at); reads already hide it (lifecycle.public_state), the sweep makes it permanent and
  schedules its purge after the retention period.
- A pending upload past its deadline (lifecycle.upload_deadline: longer for larger allowed sizes) is
  first looked up in S3: if its bytes are there (a slow upload, or a finalize whose event was lost
  or failed every retry) it is settled through the same idempotent settle as finalize. Otherwise it
  is removed: a first upload with its item, a later version on its own. Nothing was counted for it
  (counters move only at settle); bytes that arrive even later are deleted by finalize.
  A multipart upload (services/multipart.py) is abandoned only when idle: while S3's newest part
  is recent, it is looked at again later; once idle, its S3 upload is aborted with it.
- Comments held back by the owner's hourly e-mail limit are told of once the hour is over
  (services/comments.py send_held).
- Deleted, expired and failed items past the retention period are purged: every version's object
  and thumbnail, the records, and what the item still counted against its owner (storage always;
  item and artifact counts only if it was still counted, i.e. ready and not deleted: a soft delete
  already gave those back).

lifecycle.next_due decides when; after acting, the record's due entry is set from next_due again
(or removed with the record). Each action is one conditional write (or transaction), so a rerun,
a concurrent sweep or a change by the owner in between never applies it twice; an action that
loses such a race is skipped and its record, if still due, is looked at again by the next run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from aws_lambda_powertools.metrics import MetricUnit

from cloudshare.models import Item, Version
from cloudshare.observability import logger, metrics
from cloudshare.services import clock, comments, lifecycle, multipart, uploads
from cloudshare.store import comments as comment_store
from cloudshare.store import items, sweeps
from cloudshare.store.writes import StateChanged

ABANDONED_REASON = "The upload window closed before the file arrived"
# Stop taking new work when less than this is left of the invocation: enough for one page's worth
# of actions in flight to finish, so the function ends on its own, never killed mid-write.
DEFAULT_RESERVE_MS = 15_000
PAGE_SIZE = 100

TimeLeft = Callable[[], int]  # milliseconds left, like LambdaContext.get_remaining_time_in_millis


@dataclass
class SweepReport:
    now: str
    due_records: int = 0  # due index entries looked at
    expired: int = 0
    purged: int = 0
    uploads_abandoned: int = 0
    uploads_settled: int = 0  # past their deadline, but S3 had the bytes
    bytes_freed: int = 0
    rescheduled: int = 0  # due entries moved to where next_due says (not due yet, or nothing due)
    skipped: int = 0  # changed or settled by someone else since the index saw them
    errors: int = 0
    finished: bool = False  # False: out of time (or crashed); the next run continues
    _gone: set[tuple[str, str]] = field(default_factory=set, repr=False)  # records removed in this run
    _items_seen: set[str] = field(default_factory=set, repr=False)

    def summary(self) -> dict[str, str | int | bool]:
        return {name: value for name, value in dataclasses.asdict(self).items() if not name.startswith("_")}


def run(
    now: str | None = None, time_left_ms: TimeLeft | None = None, reserve_ms: int = DEFAULT_RESERVE_MS
) -> SweepReport:
    """One sweep over everything due at `now` (default: the clock), until done or out of time."""
    report = SweepReport(now=now or clock.iso())

    def out_of_time() -> bool:
        return time_left_ms is not None and time_left_ms() < reserve_ms

    try:
        for page in sweeps.due_keys(report.now, PAGE_SIZE):
            if out_of_time():
                return report
            for due in sweeps.read(_to_read(page, report)):
                if out_of_time():
                    return report
                _sweep_one(due, report)
        report.finished = True
        return report
    finally:
        _publish(report)


def _to_read(page: list[sweeps.DueKey], report: SweepReport) -> list[sweeps.DueKey]:
    """The page's keys minus what this run already settled: records it removed, and first versions
    of items it has looked at (a first upload is abandoned with its item, never on its own)."""
    report.due_records += len(page)
    keep = []
    for due in page:
        settled = (due.slug, "*") in report._gone or (due.slug, due.sort_key) in report._gone
        if settled or (due.version_number == 1 and due.slug in report._items_seen):
            continue
        keep.append(due)
        if due.sort_key == "ITEM":
            report._items_seen.add(due.slug)
    return keep


def _sweep_one(due: sweeps.DueRecord, report: SweepReport) -> None:
    record, seen = due.record, due.key
    try:
        if record is None or due.due_at != seen.due_at:
            report.skipped += 1  # removed, or moved, since the index (eventually consistent) saw it
        elif isinstance(record, sweeps.Tombstone):
            _finish_purge(record, report)
        elif isinstance(record, sweeps.HeldDigest):
            _send_held_comments(record, seen, report)
        elif isinstance(record, Version):
            _sweep_version(record, seen, report)
        else:
            _sweep_item(record, seen, report)
    except StateChanged:
        report.skipped += 1
        logger.info(
            "sweep: record changed meanwhile; left for the next run", extra={"slug": seen.slug, "record": seen.sort_key}
        )
    except Exception:
        report.errors += 1
        logger.exception(
            "sweep: action failed; the record stays due", extra={"slug": seen.slug, "record": seen.sort_key}
        )


def _sweep_item(item: Item, seen: sweeps.DueKey, report: SweepReport) -> None:
    now = report.now
    due = lifecycle.next_due(item, now)
    if due is None or _after(due, now):
        sweeps.reschedule(seen, due)
        report.rescheduled += 1
        _log(item.slug, "rescheduled", due_at=due)
    elif item.state == "pending" and item.deleted_at is None and _settled_late(item.slug, 1, report, item=item):
        return
    elif (
        item.state == "pending"
        and item.deleted_at is None
        and _receiving_parts(items.get_version(item.slug, 1), seen, report)
    ):
        return
    elif item.deleted_at is not None or item.state != "ready" or item.expired_at is not None:
        _purge(item, seen, report)
    elif lifecycle.is_expired(item, now):
        expired = dataclasses.replace(item, expired_at=now)
        sweeps.expire(item, seen, now, lifecycle.next_due(expired, now), by_views=lifecycle.views_exhausted(item))
        report.expired += 1
        _log(item.slug, "expired", owner_id=item.owner_id, purge_at=lifecycle.next_due(expired, now))
    else:  # next_due says due, yet no rule applies: drop the entry rather than revisit it every run
        sweeps.reschedule(seen, None)
        report.rescheduled += 1
        logger.warning("sweep: due entry with nothing to do; removed", extra={"slug": item.slug})


def still_counted(item: Item) -> sweeps.Counts:
    """What an item holds of its owner's usage: its bytes always (until purged); a place in the
    item (and, for files, artifact) counts only while ready and not deleted."""
    counted = item.state == "ready" and item.deleted_at is None
    return sweeps.Counts(bytes=item.stored_bytes, items=int(counted), artifacts=int(counted and item.kind == "file"))


def _purge(item: Item, seen: sweeps.DueKey, report: SweepReport) -> None:
    counts = still_counted(item)
    tombstone = sweeps.begin_purge(item, seen, counts, report.now)
    abandoned = item.state == "pending" and item.deleted_at is None
    if abandoned:
        report.uploads_abandoned += 1
    else:
        report.purged += 1
    report.bytes_freed += counts.bytes
    _log(
        item.slug,
        "upload abandoned" if abandoned else "purged",
        owner_id=item.owner_id,
        bytes_freed=counts.bytes,
        versions=item.last_version,
    )
    report._gone.add((item.slug, "*"))
    sweeps.finish_purge(tombstone)


def _finish_purge(tombstone: sweeps.Tombstone, report: SweepReport) -> None:
    """A purge whose second step an earlier run did not finish (counted then, not again now)."""
    sweeps.finish_purge(tombstone)
    report._gone.add((tombstone.slug, "*"))
    _log(tombstone.slug, "purge finished", purged_at=tombstone.purged_at)


def _send_held_comments(held: sweeps.HeldDigest, seen: sweeps.DueKey, report: SweepReport) -> None:
    again = comments.send_held(held.slug, held.link)
    if again is not None:
        sweeps.reschedule(seen, again)
        report.rescheduled += 1
    elif comment_store.drop_digest(held.slug, seen.due_at):
        report._gone.add((held.slug, seen.sort_key))
    _log(held.slug, "held comment e-mail looked at", due_at=again)


def _sweep_version(version: Version, seen: sweeps.DueKey, report: SweepReport) -> None:
    now = report.now
    deadline = lifecycle.upload_deadline(version.created_at, version.max_size)
    if version.state == "failed":  # abandoned by an earlier run that stopped before removing it
        sweeps.remove_version(version)
        report._gone.add((version.slug, seen.sort_key))
        _log(version.slug, "abandoned version removed", version=version.number)
    elif (
        version.state == "pending"
        and not _after(deadline, now)
        and _settled_late(version.slug, version.number, report, version=version)
    ):
        return
    elif version.state == "pending" and not _after(deadline, now) and _receiving_parts(version, seen, report):
        return
    elif version.state == "pending" and not _after(deadline, now):
        sweeps.abandon_version(version, seen, ABANDONED_REASON, now)
        if version.number > 1:  # a first upload is counted with its item
            report.uploads_abandoned += 1
        _log(version.slug, "upload abandoned", version=version.number)
        sweeps.remove_version(version)
        report._gone.add((version.slug, seen.sort_key))
    else:
        due = deadline if version.state == "pending" else None
        sweeps.reschedule(seen, due)
        report.rescheduled += 1


def _settled_late(
    slug: str, number: int, report: SweepReport, *, item: Item | None = None, version: Version | None = None
) -> bool:
    """Whether S3 has the bytes of an upload past its deadline; if so they are settled now (its due
    entries move with that write, as with any settle)."""
    if not uploads.settle_late(slug, number, item=item, version=version):
        return False
    report.uploads_settled += 1
    _log(slug, "late upload settled", version=number)
    return True


def _receiving_parts(version: Version | None, seen: sweeps.DueKey, report: SweepReport) -> bool:
    """A multipart upload past its deadline whose parts are still arriving is looked at again later
    (True); an idle one has its S3 upload aborted here, and the caller abandons its records."""
    if version is None or version.multipart_upload_id is None:
        return False
    again = multipart.idle_until(version, report.now)
    if again is None:
        multipart.abort_abandoned(version)
        return False
    sweeps.reschedule(seen, again)
    report.rescheduled += 1
    _log(version.slug, "multipart upload still receiving parts", version=version.number, due_at=again)
    return True


def _after(moment: str, now: str) -> bool:
    return lifecycle.parse_time(moment) > lifecycle.parse_time(now)


def _log(slug: str, action: str, **facts: object) -> None:
    logger.info(f"sweep: {action}", extra={"slug": slug, "action": action, **facts})


def _publish(report: SweepReport) -> None:
    for name, value in (
        ("ItemsExpired", report.expired),
        ("ItemsPurged", report.purged),
        ("BytesFreed", report.bytes_freed),
        ("UploadsAbandoned", report.uploads_abandoned),
        ("SweepErrors", report.errors),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Bytes if name == "BytesFreed" else MetricUnit.Count, value=value)
    logger.info("sweep: done" if report.finished else "sweep: stopped; the next run continues", extra=report.summary())
