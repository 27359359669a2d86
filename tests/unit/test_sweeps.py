"""Lifecycle sweeps: expiry made permanent, stale uploads removed, purge after retention, exactly once."""

import contextvars
import dataclasses
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from cloudshare.errors import ItemNotFound
from cloudshare.observability import logger
from cloudshare.services import accounts, clock, lifecycle, management, sweeps, uploads
from cloudshare.services.management import ItemChanges
from cloudshare.store import items, users
from cloudshare.store import sweeps as sweep_store
from cloudshare.store.aws import client
from cloudshare.store.records import to_values
from cloudshare_admin import main as admin
from cloudshare_admin.consistency import check
from devtools import iam
from tests.unit.helpers import BUCKET, TABLE, load_event

START = "2026-03-01T12:00:00Z"
RETENTION_DAYS = 30


def at(**delta) -> str:
    return lifecycle.shift(START, **delta)


@pytest.fixture(autouse=True)
def as_the_sweep_function(monkeypatch):
    """Given sweeps.run() called here, then it runs as SweepFunction would on AWS: under its IAM policy."""
    run = sweeps.run

    def enforced(*args, **kwargs):
        if budget := kwargs.get("time_left_ms"):  # a test's clock that reads the table: not the function's call
            kwargs["time_left_ms"] = lambda: contextvars.Context().run(budget)
        with iam.enforce("SweepFunction"):
            return run(*args, **kwargs)

    monkeypatch.setattr(sweeps, "run", enforced)


@pytest.fixture
def clock_at(monkeypatch):
    """Moves the service's clock: clock_at(iso) makes it that time."""

    def move(when: str) -> None:
        moment = lifecycle.parse_time(when).timestamp()
        monkeypatch.setattr(clock, "now", lambda: moment)

    move(START)
    return move


@pytest.fixture
def owner(user, clock_at):
    return accounts.set_plan(user["email"], "pro")  # expiration is a paid feature


def s3():
    return boto3.client("s3")


def ready_file(owner, data: bytes = b"hello", name: str = "a.txt", **changes):
    ticket = uploads.request_upload(owner, name, len(data), None, None)
    s3().put_object(Bucket=BUCKET, Key=ticket.version.object_key, Body=data)
    item = uploads.settle(ticket.item, ticket.version)
    if changes:
        item = management.update(owner, item.slug, ItemChanges(**changes))
    return item


def add_version(owner, slug: str, data: bytes):
    ticket = uploads.request_new_version(owner, items.get(slug), len(data), None, None)
    s3().put_object(Bucket=BUCKET, Key=ticket.version.object_key, Body=data)
    return uploads.settle(items.get(slug), ticket.version)


def add_thumbnails(slug: str, versions: int) -> None:
    for number in range(1, versions + 1):
        s3().put_object(Bucket=BUCKET, Key=f"thumbnails/{slug}/{number}", Body=b"\xff\xd8jpeg")


def record_views(item, views: int) -> None:
    """What viewing does: count the view and, when the count reaches the limit, make it due now."""
    viewed = dataclasses.replace(items.get(item.slug), view_counter=views)
    due = items.due_attributes(item.slug, lifecycle.next_due(viewed, clock.iso()))
    boto3.client("dynamodb").update_item(
        TableName=TABLE,
        Key=items.key(item.slug),
        UpdateExpression="SET view_counter = :views, due_shard = :shard, due_at = :due",
        ExpressionAttributeValues=to_values({":views": views, ":shard": due["due_shard"], ":due": due["due_at"]}),
    )


def usage(owner) -> tuple[int, int, int]:
    current = users.get_user(owner.user_id)
    return current.storage_used, current.item_count, current.artifact_count


def objects() -> set[str]:
    return {entry["Key"] for entry in s3().list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def records(slug: str) -> list[str]:
    found = boto3.client("dynamodb").query(
        TableName=TABLE, KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": f"ITEM#{slug}"}}
    )["Items"]
    return sorted(record["SK"]["S"] for record in found)


def due_entries() -> dict[str, str]:
    """Every DueIndex entry, as record -> due time (a test may look at the whole index)."""
    found = boto3.client("dynamodb").scan(TableName=TABLE, IndexName="DueIndex")["Items"]
    return {f"{e['PK']['S']}/{e['SK']['S']}": e["due_at"]["S"].split("#")[0] for e in found}


# ---------------------------------------------------------------- expiry


def test_given_an_item_past_its_expiration_time_when_swept_then_it_is_expired_for_good_and_its_purge_scheduled(
    owner, clock_at
):
    item = ready_file(owner, expiration_time=at(hours=1))
    assert sweeps.run().expired == 0  # not due yet: its entry says when
    assert due_entries() == {f"ITEM#{item.slug}/ITEM": at(hours=1)}

    clock_at(at(hours=1, seconds=5))
    report = sweeps.run()

    stored = items.get(item.slug)
    assert report.expired == 1 and report.finished
    assert stored.expired_at == at(hours=1, seconds=5)
    assert lifecycle.public_state(stored, clock.iso()) == "expired"
    assert due_entries() == {f"ITEM#{item.slug}/ITEM": at(days=RETENTION_DAYS, hours=1, seconds=5)}
    assert usage(owner) == (5, 1, 1)  # still counted until its data is purged
    assert objects() == {f"items/{item.slug}/1"}
    assert sweeps.run().expired == 0 and items.get(item.slug).expired_at == stored.expired_at


def test_given_an_item_that_reached_its_view_limit_when_swept_then_it_is_expired(owner, clock_at):
    item = ready_file(owner, expires_after_views=2)
    record_views(item, 1)
    assert sweeps.run().expired == 0 and items.get(item.slug).expired_at is None

    record_views(item, 2)
    clock_at(at(seconds=1))
    report = sweeps.run()

    assert report.expired == 1
    assert items.get(item.slug).expired_at == at(seconds=1)
    assert due_entries() == {f"ITEM#{item.slug}/ITEM": at(days=RETENTION_DAYS, seconds=1)}


# ---------------------------------------------------------------- stale uploads


def test_given_an_upload_whose_window_closed_without_a_file_then_the_item_is_removed_and_nothing_counted(
    owner, clock_at
):
    ticket = uploads.request_upload(owner, "never.bin", 10, None, None)
    deadline = lifecycle.upload_deadline(START, ticket.version.max_size)
    clock_at(lifecycle.shift(deadline, seconds=-1))
    assert sweeps.run().uploads_abandoned == 0 and items.get(ticket.item.slug).state == "pending"

    clock_at(lifecycle.shift(deadline, seconds=1))
    report = sweeps.run()

    assert report.uploads_abandoned == 1 and report.purged == 0 and report.bytes_freed == 0
    assert items.get(ticket.item.slug) is None and records(ticket.item.slug) == []
    assert objects() == set() and due_entries() == {}
    assert usage(owner) == (0, 0, 0)
    s3().put_object(Bucket=BUCKET, Key=ticket.version.object_key, Body=b"too late")
    assert uploads.finalize_object(ticket.version.object_key) is None  # bytes arriving even later are deleted
    assert objects() == set()


def test_given_an_upload_whose_bytes_came_but_whose_event_was_lost_then_the_sweep_settles_it(owner, clock_at):
    # Given bytes in S3 whose finalize never ran (event lost, or failed every retry)
    ticket = uploads.request_upload(owner, "slow.bin", 8, None, None)
    s3().put_object(Bucket=BUCKET, Key=ticket.version.object_key, Body=b"finally!")

    # When the sweep reaches the upload's deadline
    clock_at(lifecycle.shift(lifecycle.upload_deadline(START, ticket.version.max_size), seconds=1))
    report = sweeps.run()

    # Then it is settled and counted like any upload, not thrown away
    assert (report.uploads_settled, report.uploads_abandoned) == (1, 0)
    assert items.get(ticket.item.slug).state == "ready" and items.get(ticket.item.slug).size == 8
    assert objects() == {ticket.version.object_key} and due_entries() == {}
    assert usage(owner) == (8, 1, 1)
    assert check(TABLE, BUCKET).consistent
    assert sweeps.run().uploads_settled == 0  # settled once


def test_given_a_later_version_whose_window_closed_without_a_file_then_only_that_version_goes(owner, clock_at):
    item = ready_file(owner, b"first")
    ticket = uploads.request_new_version(owner, item, 6, None, None)

    clock_at(lifecycle.shift(lifecycle.upload_deadline(START, ticket.version.max_size), seconds=1))
    report = sweeps.run()

    assert report.uploads_abandoned == 1
    assert items.get_version(item.slug, 2) is None and items.get_version(item.slug, 1).state == "ready"
    current = items.get(item.slug)
    assert (current.state, current.version, current.stored_bytes) == ("ready", 1, 5)
    assert objects() == {f"items/{item.slug}/1"} and due_entries() == {}
    assert usage(owner) == (5, 1, 1)


def test_given_a_later_version_that_arrived_unsettled_then_the_sweep_makes_it_current(owner, clock_at):
    item = ready_file(owner, b"first")
    ticket = uploads.request_new_version(owner, item, 6, None, None)
    s3().put_object(Bucket=BUCKET, Key=ticket.version.object_key, Body=b"second")  # arrived, never settled

    clock_at(lifecycle.shift(lifecycle.upload_deadline(START, ticket.version.max_size), seconds=1))
    report = sweeps.run()

    assert (report.uploads_settled, report.uploads_abandoned) == (1, 0)
    current = items.get(item.slug)
    assert (current.version, current.size, current.stored_bytes) == (2, 6, 11)
    assert usage(owner) == (11, 1, 1) and due_entries() == {}
    assert check(TABLE, BUCKET).consistent


def test_given_a_large_allowed_size_then_the_pending_deadline_leaves_time_to_send_it(user, clock_at):
    # Given a 5 GiB upload allowance (pro_max), requested at START
    owner = accounts.set_plan(user["email"], "pro_max")
    ticket = uploads.request_upload(owner, "video.mov", None, None, None)

    # When the sweep runs 31 minutes later (the old fixed deadline was 30)
    clock_at(at(minutes=31))
    report = sweeps.run()

    # Then the upload is still pending, due when 5 GiB at 512 KiB/s (2 h 50 min 40 s) has had time to
    # arrive after the 5 minutes to start the POST, plus 15 minutes for its event
    assert report.uploads_abandoned == 0 and items.get(ticket.item.slug).state == "pending"
    assert due_entries() == {f"ITEM#{ticket.item.slug}/ITEM": at(hours=3, minutes=10, seconds=40)}


def test_given_an_upload_refused_for_its_size_then_its_failed_item_is_purged_after_retention(user, clock_at):
    # Given a first upload whose object was over its policy's limit (refused: bytes deleted, item failed)
    ticket = uploads.request_upload(user["user"], "big.bin", None, None, None)
    s3().put_object(Bucket=BUCKET, Key=ticket.version.object_key, Body=b"x" * (ticket.version.max_size + 1))
    assert uploads.settle(ticket.item, ticket.version).state == "failed"
    assert due_entries() == {f"ITEM#{ticket.item.slug}/ITEM": at(days=RETENTION_DAYS)}

    # When the retention period has passed
    clock_at(at(days=RETENTION_DAYS, seconds=1))
    report = sweeps.run()

    # Then its records are gone too, not left forever
    assert report.purged == 1 and records(ticket.item.slug) == [] and due_entries() == {}
    assert objects() == set() and users.get_user(user["user"].user_id).storage_used == 0


# ---------------------------------------------------------------- purge


def test_given_deleted_and_expired_items_past_retention_then_their_data_is_gone_and_counters_exact(owner, clock_at):
    kept = ready_file(owner, b"keep", "keep.txt")
    deleted = ready_file(owner, b"v-one", "deleted.txt")
    add_version(owner, deleted.slug, b"v-two!!")
    add_thumbnails(deleted.slug, 2)
    bookmark = uploads.create_bookmark(owner, "https://example.com/", None, None)
    expiring = ready_file(owner, b"expire", "expiring.txt", expiration_time=at(hours=1))
    assert usage(owner) == (4 + 12 + 6, 4, 3)

    management.soft_delete(owner, deleted.slug)
    management.soft_delete(owner, bookmark.slug)
    clock_at(at(hours=2))
    assert sweeps.run().expired == 1
    assert usage(owner) == (4 + 12 + 6, 2, 2)  # deletes gave back their places; bytes stay until purged

    clock_at(at(days=RETENTION_DAYS - 1))
    assert sweeps.run().purged == 0 and len(objects()) == 6

    clock_at(at(days=RETENTION_DAYS, hours=2))
    report = sweeps.run()

    assert (report.purged, report.bytes_freed, report.errors) == (3, 12 + 6, 0)
    assert usage(owner) == (4, 1, 1)  # exactly what the kept item counts
    assert objects() == {f"items/{kept.slug}/1"}
    for gone in (deleted, bookmark, expiring):
        assert records(gone.slug) == [] and items.get(gone.slug) is None
    assert due_entries() == {}
    again = sweeps.run()
    assert (again.purged, again.due_records) == (0, 0) and usage(owner) == (4, 1, 1)


def test_given_a_deleted_item_then_restore_works_before_its_purge_and_404s_after(owner, clock_at):
    item = ready_file(owner, b"precious")
    management.soft_delete(owner, item.slug)

    clock_at(at(days=RETENTION_DAYS - 1))
    sweeps.run()
    restored = management.restore(owner, item.slug)
    assert restored.deleted_at is None and usage(owner) == (8, 1, 1)
    assert due_entries() == {}  # nothing due for a live item without expiry

    management.soft_delete(owner, item.slug)
    clock_at(at(days=2 * RETENTION_DAYS))
    assert sweeps.run().purged == 1
    with pytest.raises(ItemNotFound) as raised:
        management.restore(owner, item.slug)
    assert raised.value.status == 404
    assert usage(owner) == (0, 0, 0) and objects() == set()


# ---------------------------------------------------------------- failures, time, concurrency


def deleted_files(owner, count: int) -> list:
    files = [ready_file(owner, b"x" * (n + 1), f"{n}.txt") for n in range(count)]
    for item in files:
        management.soft_delete(owner, item.slug)
    return files


class Crash(BaseException):
    """The process dies here (not an error the sweep could catch and carry on from)."""


def test_given_a_crash_mid_sweep_then_state_stays_consistent_and_a_rerun_finishes_exactly_once(
    owner, clock_at, monkeypatch
):
    files = deleted_files(owner, 6)
    kept = ready_file(owner, b"keep")
    clock_at(at(days=RETENTION_DAYS, minutes=1))
    real_delete, calls = sweep_store.delete_objects, []

    def crash_on_third(keys):
        calls.append(keys)
        if len(calls) == 3:
            raise Crash()
        real_delete(keys)

    monkeypatch.setattr(sweep_store, "delete_objects", crash_on_third)
    with pytest.raises(Crash):
        sweeps.run()

    # Consistent: what the owner is charged is exactly the items whose record is still there.
    alive = [item for item in files if items.get(item.slug) is not None]
    assert len(alive) == 3
    assert usage(owner) == (4 + sum(item.stored_bytes for item in alive), 1, 1)
    assert sum("PURGE" in records(item.slug) for item in files) == 1  # the purge that was cut short

    monkeypatch.setattr(sweep_store, "delete_objects", real_delete)
    report = sweeps.run()

    assert report.purged == 3 and report.finished  # the cut-short one is finished, not counted again
    assert usage(owner) == (4, 1, 1)
    assert objects() == {f"items/{kept.slug}/1"}
    assert all(records(item.slug) == [] for item in files) and due_entries() == {}


def test_given_an_action_that_fails_then_the_rest_is_swept_and_the_next_run_retries_it(owner, clock_at, monkeypatch):
    files = deleted_files(owner, 3)
    clock_at(at(days=RETENTION_DAYS, minutes=1))
    real_begin = sweep_store.begin_purge

    def refuse_first(item, *args):
        if item.slug == files[0].slug:
            raise RuntimeError("throttled")
        return real_begin(item, *args)

    monkeypatch.setattr(sweep_store, "begin_purge", refuse_first)
    first = sweeps.run()
    assert (first.purged, first.errors) == (2, 1)
    assert items.get(files[0].slug) is not None and usage(owner)[0] == files[0].stored_bytes

    monkeypatch.setattr(sweep_store, "begin_purge", real_begin)
    second = sweeps.run()
    assert (second.purged, second.errors) == (1, 0) and usage(owner) == (0, 0, 0) and objects() == set()


def test_given_too_little_time_left_then_the_sweep_stops_cleanly_and_the_next_run_continues(owner, clock_at):
    files = deleted_files(owner, 5)
    clock_at(at(days=RETENTION_DAYS, minutes=1))

    def time_left_ms() -> int:  # the budget is spent once two items are purged
        return 60_000 if sum(records(item.slug) == [] for item in files) < 2 else 1_000

    first = sweeps.run(time_left_ms=time_left_ms)
    assert not first.finished and first.purged == 2
    second = sweeps.run(time_left_ms=lambda: 60_000)
    assert second.finished and second.purged == 3
    assert usage(owner) == (0, 0, 0) and objects() == set()
    assert all(records(item.slug) == [] for item in files)


def test_given_two_sweeps_at_once_then_each_action_happens_once(owner, clock_at):
    files = deleted_files(owner, 6)
    expiring = [ready_file(owner, b"e" * 10, f"e{n}.txt", expiration_time=at(hours=1)) for n in range(3)]
    stale = [uploads.request_upload(owner, f"s{n}.bin", 5, None, None) for n in range(3)]
    kept = ready_file(owner, b"keep")
    assert usage(owner)[1:] == (4, 4)  # 3 expiring + kept are counted; deleted ones gave their places back

    clock_at(at(days=RETENTION_DAYS, minutes=1))
    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(lambda _: sweeps.run(), range(4)))

    assert sum(r.purged for r in reports) == 6 and sum(r.uploads_abandoned for r in reports) == 3
    assert sum(r.expired for r in reports) == 3 and sum(r.errors for r in reports) == 0
    assert sum(r.bytes_freed for r in reports) == sum(item.stored_bytes for item in files)
    assert usage(owner) == (4 + 30, 4, 4)
    assert all(items.get(item.slug).expired_at == at(days=RETENTION_DAYS, minutes=1) for item in expiring)
    assert all(records(t.item.slug) == [] for t in stale) and all(records(f.slug) == [] for f in files)
    assert objects() == {f"items/{kept.slug}/1"} | {f"items/{item.slug}/1" for item in expiring}


# ---------------------------------------------------------------- cost, handler, operator command


def count_reads():
    """Items returned to us by each DynamoDB read, per operation (botocore after-call hooks)."""
    counted = {"Query": 0, "GetItem": 0, "BatchGetItem": 0, "Scan": 0, "queries": 0}

    def after_call(http_response, parsed, model, **_):
        name = model.name
        if name == "Query":
            counted["queries"] += 1
            counted["Query"] += parsed.get("Count", 0)
        elif name == "GetItem":
            counted["GetItem"] += int("Item" in parsed)
        elif name == "BatchGetItem":
            counted["BatchGetItem"] += sum(len(found) for found in parsed.get("Responses", {}).values())
        elif name == "Scan":
            counted["Scan"] += 1

    client("dynamodb").meta.events.register("after-call.dynamodb", after_call)
    return counted


def test_given_many_items_and_few_due_then_the_sweep_reads_only_what_is_due(owner, clock_at):
    for n in range(40):
        ready_file(owner, b"n", f"{n}.txt", **({"expiration_time": at(days=400)} if n % 2 else {}))
    nothing = count_reads()
    assert sweeps.run().due_records == 0
    assert nothing == {"Query": 0, "GetItem": 0, "BatchGetItem": 0, "Scan": 0, "queries": 4}  # one per shard

    due = [ready_file(owner, b"d", f"d{n}.txt", expiration_time=at(hours=1)) for n in range(3)]
    clock_at(at(hours=2))
    reads = count_reads()
    assert sweeps.run().expired == len(due)
    # one item read per due item: the index holds the records whole, so nothing is fetched twice
    assert (reads["Query"], reads["BatchGetItem"], reads["GetItem"], reads["Scan"]) == (3, 0, 0, 0)


def test_given_the_schedule_event_then_the_function_sweeps_within_its_time(runner, owner, clock_at):
    ticket = uploads.request_upload(owner, "never.bin", 10, None, None)
    clock_at(at(hours=1))
    summary = runner.call("SweepFunction", load_event("sweep"))
    assert summary["finished"] and summary["uploads_abandoned"] == 1
    assert items.get(ticket.item.slug) is None


def test_given_the_operator_command_then_a_sweep_runs_as_of_the_given_time(owner, capsys, monkeypatch):
    monkeypatch.setattr(logger.registered_handler, "stream", logger.registered_handler.stream)  # the CLI moves it
    item = ready_file(owner, b"bye")
    management.soft_delete(owner, item.slug)
    admin.main(["--table", TABLE, "--bucket", BUCKET, "sweep", "--now", at(days=RETENTION_DAYS + 1)])
    assert '"purged": 1' in capsys.readouterr().out
    assert objects() == set() and usage(owner) == (0, 0, 0)
