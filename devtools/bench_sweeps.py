"""Sweep cost: DynamoDB reads per sweep ÷ items due, on a table of 20,000 items of which 1% are due.

`python -m devtools.bench_sweeps` (moto in-process; about a minute). Every read the sweep makes is
counted by a botocore after-call hook on the store's client, three ways:

- items read: everything returned, index entries (the DueIndex projects the records whole, so the
  sweep reads nothing twice) plus records fetched from the table (GetItem, BatchGetItem, Query);
- read units: what DynamoDB bills and ConsumedCapacity reports (moto reports a constant, so they are
  computed here by DynamoDB's rules): a strongly consistent item read costs one unit per 4 KB of the
  item; a Query (eventually consistent, as every index query is) costs half a unit per 4 KB of all
  the entries it returns together, at least half a unit.

Targets: items read ÷ items due ≤ 1.2 (and read units ÷ items due ≤ 1.2) with 1% due, and a small
constant when nothing is due (one query per DueIndex shard). Exits 1 if a target is missed.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, replace

from devtools.offline import use_in_process_aws

TOTAL_ITEMS = int(os.environ.get("BENCH_SWEEP_ITEMS", "20000"))
DUE_SHARE = 0.01
TARGET_UNITS_PER_DUE = 1.2
TARGET_UNITS_NOTHING_DUE = 4.0  # one minimal query per shard
NOW = "2026-06-01T12:00:00Z"
TABLE, BUCKET = "bench-sweeps", "bench-sweeps-files"


@dataclass
class Reads:
    records: int = 0
    index_keys: int = 0
    units: float = 0.0
    calls: int = 0
    scans: int = 0

    def on_call(self, parsed: dict, model, **_) -> None:
        name = model.name
        if name not in ("GetItem", "BatchGetItem", "Query", "Scan"):
            return
        self.calls += 1
        if name == "Scan":
            self.scans += 1
        elif name == "GetItem" and "Item" in parsed:
            self.records += 1
            self.units += _units(_size(parsed["Item"]))
        elif name == "BatchGetItem":
            for found in parsed.get("Responses", {}).values():
                self.records += len(found)
                self.units += sum(_units(_size(item)) for item in found)
        elif name == "Query":
            entries = parsed.get("Items", [])
            if entries and "due_shard" in entries[0]:
                self.index_keys += len(entries)
            else:
                self.records += len(entries)
            self.units += max(0.5, 0.5 * _units(sum(_size(item) for item in entries)))


def _units(size: int) -> int:
    return max(1, math.ceil(size / 4096))


def _size(item: dict) -> int:
    """An item's size by DynamoDB's rules (attribute names plus values), closely enough."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict) -> int:
    kind, inner = next(iter(value.items()))
    if kind in ("S", "B"):
        return len(inner.encode()) if kind == "S" else len(inner)
    if kind == "N":
        return (len(inner.strip("-").replace(".", "")) + 1) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in inner)
    return sum(len(str(v)) for v in inner)  # sets


def _populate(total: int, due_share: float) -> int:
    """Owners, ready files (10% with an expiry far ahead: in the index but not due) and, spread among
    them, the due: expired by date, by views, deleted past retention, stale uploads. Returns how many
    items are due."""
    import boto3

    from cloudshare.models import Item, Version
    from cloudshare.services import lifecycle
    from cloudshare.services.uploads import new_slug, object_key
    from cloudshare.store.items import item_record, version_record
    from cloudshare.store.records import to_item

    due_count = round(total * due_share)
    owners = [f"bench-owner-{n}" for n in range(20)]
    long_ago = lifecycle.shift(NOW, days=-90)
    records: list[dict] = [
        {
            "PK": f"USER#{o}",
            "SK": "PROFILE",
            "user_id": o,
            "email": f"{o}@example.com",
            "plan": "pro",
            "created_at": long_ago,
            "storage_used": 10**9,
            "item_count": 1000,
            "artifact_count": 1000,
            "uploads_day": "",
            "uploads_today": 0,
        }
        for o in owners
    ]
    for n in range(total):
        slug, owner = new_slug(), owners[n % len(owners)]
        item = Item(
            slug=slug,
            owner_id=owner,
            name=f"file-{n}.bin",
            kind="file",
            state="ready",
            created_at=long_ago,
            updated_at=long_ago,
            object_key=object_key(slug),
            size=1000,
            content_type="application/octet-stream",
            version=1,
            last_version=1,
            stored_bytes=1000,
            link_secret="x" * 16,
        )
        version = Version(
            slug=slug,
            number=1,
            state="ready",
            created_at=long_ago,
            object_key=object_key(slug),
            max_size=10**6,
            size=1000,
            owner_id=owner,
        )
        kind = n % 4 if n < due_count else None
        if kind is None and n % 10 == 0:
            item = replace(item, expiration_time=lifecycle.shift(NOW, days=365))
        elif kind == 0:
            item = replace(item, expiration_time=lifecycle.shift(NOW, hours=-1))
        elif kind == 1:
            item = replace(item, expires_after_views=3, view_counter=3)
        elif kind == 2:
            item = replace(item, deleted_at=lifecycle.shift(NOW, days=-40))
        elif kind == 3:
            item = replace(
                item, state="pending", version=0, size=0, stored_bytes=0, created_at=lifecycle.shift(NOW, hours=-2)
            )
            version = replace(version, state="pending", size=0, created_at=item.created_at)
        item_due = lifecycle.next_due(item, long_ago if kind is None else NOW)
        records.append(item_record(item, item_due))
        records.append(version_record(version, None))  # a first version is due through its item
    dynamodb = boto3.client("dynamodb")
    for start in range(0, len(records), 25):
        request = {TABLE: [{"PutRequest": {"Item": to_item(r)}} for r in records[start : start + 25]]}
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or None
    return due_count


def _skip_moto_transaction_backups() -> None:
    """moto deep-copies the whole table before each transaction, to roll back one that fails: O(table)
    per write, a moto artifact (DynamoDB has no such cost) that would make this bench take an hour.
    A single sweep with no one else writing has no transaction that fails (the bench checks that
    nothing was skipped), so the backup is not needed; item-level copies stay as they are."""
    import copy
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    def deepcopy(value, *args):
        return value if isinstance(value, Table) else copy.deepcopy(value, *args)

    models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)


def _measure(sweeps, client) -> tuple[Reads, object, float]:
    reads = Reads()
    events = client("dynamodb").meta.events
    events.register("after-call.dynamodb", reads.on_call, unique_id="bench-sweeps")
    started = time.perf_counter()
    try:
        report = sweeps.run(now=NOW)
    finally:
        events.unregister("after-call.dynamodb", unique_id="bench-sweeps")
    return reads, report, time.perf_counter() - started


def main() -> int:
    use_in_process_aws(TABLE_NAME=TABLE, BUCKET_NAME=BUCKET)
    import boto3
    from moto import mock_aws

    from devtools.template import create_bucket, create_table

    with mock_aws():
        from cloudshare.services import sweeps
        from cloudshare.store.aws import client

        _skip_moto_transaction_backups()
        create_table(boto3.client("dynamodb"), TABLE)
        create_bucket(boto3.client("s3"), BUCKET)
        started = time.perf_counter()
        due = _populate(TOTAL_ITEMS, DUE_SHARE)
        print(
            f"table: {TOTAL_ITEMS} items ({2 * TOTAL_ITEMS} records with their versions), {due} due; "
            f"loaded in {time.perf_counter() - started:.0f}s"
        )

        busy, report, seconds = _measure(sweeps, client)
        report_busy = report
        acted = report.expired + report.purged + report.uploads_abandoned
        print(
            f"sweep with {due} due: {report.due_records} index entries, acted on {acted} items "
            f"(expired {report.expired}, purged {report.purged}, abandoned {report.uploads_abandoned}), "
            f"{seconds:.1f}s in moto"
        )
        read = busy.index_keys + busy.records
        print(
            f"  items read ÷ items due:   {read / due:.2f}  (target ≤ {TARGET_UNITS_PER_DUE}; "
            f"{busy.index_keys} from the index, {busy.records} fetched again)"
        )
        print(f"  read units ÷ items due:   {busy.units / due:.2f}  (target ≤ {TARGET_UNITS_PER_DUE})")
        print(f"  read calls: {busy.calls}, scans: {busy.scans}")

        idle, report, seconds = _measure(sweeps, client)
        print(
            f"sweep with 0 due: read units {idle.units:.1f} (target ≤ {TARGET_UNITS_NOTHING_DUE}), "
            f"records {idle.records}, index keys {idle.index_keys}, read calls {idle.calls}, scans {idle.scans}"
        )

    missed = [
        acted != due and f"acted on {acted} of {due} due items",
        (report_busy.skipped or report_busy.errors) and "actions were skipped or failed",
        busy.units / due > TARGET_UNITS_PER_DUE and "read units per due item above target",
        (busy.index_keys + busy.records) / due > TARGET_UNITS_PER_DUE and "items read per due item above target",
        idle.units > TARGET_UNITS_NOTHING_DUE and "reads with nothing due above target",
        (busy.scans or idle.scans) and "the sweep scanned",
    ]
    missed = [reason for reason in missed if reason]
    print("bench_sweeps: " + ("OK" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
