"""Views of unlimited items: counter shards, the fold, and how long a change takes to stop access."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from cloudshare.models import KEEP
from cloudshare.services import counting
from cloudshare.services.passwords import hash_password
from cloudshare.store import items, public, view_counts
from cloudshare.store.aws import client
from tests.unit import v1client
from tests.unit.apigw import bearer, event
from tests.unit.faults import failing
from tests.unit.public_helpers import code, counted, header, page, request, shared_file, ticket_of


def _shard_records(slug: str) -> list[dict]:
    keys = [view_counts.shard_key(slug, number) for number in range(view_counts.MAX_SHARDS)]
    found = []
    for start in range(0, len(keys), 100):
        response = client("dynamodb").batch_get_item(
            RequestItems={"cloudshare-test": {"Keys": keys[start : start + 100], "ConsistentRead": True}}
        )
        found += response["Responses"]["cloudshare-test"]
    return found


def test_given_views_of_an_unlimited_item_then_the_item_is_not_written_until_the_fold(runner, user):
    item = shared_file(user["user"], "a.png")
    before = items.get(item.slug)
    for _ in range(3):
        assert page(runner, item)["statusCode"] == 200
    stored = items.get(item.slug)
    assert stored.view_counter == 0 and stored.revision == before.revision  # the listed item was not touched
    assert sum(int(record["unfolded_views"]["N"]) for record in _shard_records(item.slug)) == 3
    assert counted(item.slug).view_counter == 3
    assert all(int(record["unfolded_views"]["N"]) == 0 for record in _shard_records(item.slug))


def test_given_a_burst_of_parallel_views_then_after_the_fold_the_counters_equal_the_views_served(
    runner,
    user,
):
    item = shared_file(user["user"], "burst.png")
    ticket = ticket_of(json.loads(page(runner, item, accept="application/json")["body"])["remote_url"])
    with ThreadPoolExecutor(16) as pool:
        views = list(pool.map(lambda _: page(runner, item)["statusCode"], range(60)))
        downloads = list(
            pool.map(
                lambda _: runner.call("PublicFunction", request(f"/{code(item)}/download/burst.png", query=ticket))[
                    "statusCode"
                ],
                range(20),
            )
        )
    assert views.count(200) == 60 and downloads.count(302) == 20
    stored = counted(item.slug)
    assert (stored.view_counter, stored.download_counter) == (61, 20)  # the JSON page was a view too


def test_given_a_fold_that_dies_before_or_after_its_write_then_the_next_run_counts_each_view_once(runner, user):
    first, second = shared_file(user["user"], "one.png"), shared_file(user["user"], "two.png")
    for item, count in ((first, 5), (second, 7)):
        for _ in range(count):
            assert page(runner, item)["statusCode"] == 200
    # Given DynamoDB refuses every attempt of the fold's transaction: the run dies, nothing moved.
    with failing("dynamodb", "TransactWriteItems"), pytest.raises(ClientError):
        counting.fold_once()
    assert (items.get(first.slug).view_counter, items.get(second.slug).view_counter) == (0, 0)

    # Given the instance dies right after its first transaction committed (the answer never read).
    def die_after_commit(**_kwargs):
        raise SystemExit("the instance was frozen")

    events = client("dynamodb").meta.events
    events.register("after-call.dynamodb.TransactWriteItems", die_after_commit)
    try:
        with pytest.raises(SystemExit):
            counting.fold_once()
    finally:
        events.unregister("after-call.dynamodb.TransactWriteItems", die_after_commit)
    moved = items.get(first.slug).view_counter + items.get(second.slug).view_counter
    assert moved in (5, 7)  # one item's shards moved, atomically

    # When the next scheduled run comes, every view is counted exactly once.
    counting.fold_once()
    assert (items.get(first.slug).view_counter, items.get(second.slug).view_counter) == (5, 7)
    counting.fold_once()  # and a run with nothing new changes nothing
    assert (items.get(first.slug).view_counter, items.get(second.slug).view_counter) == (5, 7)


def test_given_two_folds_at_once_then_no_view_is_counted_twice(runner, user):
    item = shared_file(user["user"], "raced.png")
    for _ in range(30):
        page(runner, item)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: counting.fold_once(), range(4)))
    counting.fold_once()
    assert items.get(item.slug).view_counter == 30


def test_given_a_view_whose_count_cannot_be_stored_then_it_is_not_served(runner, user):
    item = shared_file(user["user"], "a.png")
    # The view is a 503 to retry (the DependencyUnavailable metric) rather than a page served uncounted.
    with failing("dynamodb", "UpdateItem"):
        refused = page(runner, item, accept="application/json")
    assert refused["statusCode"] == 503 and "a.png" not in refused["body"]
    assert header(refused, "Retry-After")
    assert counted(item.slug).view_counter == 0


def test_given_a_busy_item_then_the_fold_spreads_its_views_over_more_shards():
    assert view_counts.shards_for(0, view_counts.DEFAULT_SHARDS) == view_counts.DEFAULT_SHARDS
    assert view_counts.shards_for(20_000, view_counts.DEFAULT_SHARDS) * view_counts.SHARD_WRITES_PER_SECOND >= 20_000
    assert view_counts.shards_for(10, 64) == 64  # never fewer than views already use
    assert view_counts.shards_for(10**9, 8) == view_counts.MAX_SHARDS


def test_given_views_folded_then_v1_sorts_by_total_views_and_downloads(runner, user):
    quiet, popular = shared_file(user["user"], "quiet.png"), shared_file(user["user"], "popular.png")
    for _ in range(3):
        page(runner, popular)
    page(runner, quiet)
    counting.fold_once()
    listed = v1client.listing(runner, user["api_key"], sort_by="total_views", order="desc")
    body = json.loads(listed["body"])
    rows = [(artifact["slug"], artifact["total_views"]) for artifact in body["artifacts"]]
    assert rows == [(popular.slug, 3), (quiet.slug, 1)]


@pytest.fixture
def later(monkeypatch):
    """Moves this instance's clock for its item cache by ITEM_CACHE_SECONDS."""
    now = [1000.0]
    monkeypatch.setattr(public, "_monotonic", lambda: now[0])

    def advance(seconds: float = public.ITEM_CACHE_SECONDS) -> None:
        now[0] += seconds

    return advance


def _owner_call(runner, function: str, method: str, path: str, key: str, body: dict | None = None) -> dict:
    built = event(
        path,
        method,
        {**bearer(key), "Content-Type": "application/json"},
        json.dumps(body) if body is not None else None,
    )
    built["pathParameters"] = {"slug": path.rsplit("/", 1)[1]}
    return runner.call(function, built)


def test_given_a_deleted_item_then_no_page_and_no_bytes_past_the_cache_bound(runner, user, later):
    item = shared_file(user["user"], "gone.png")
    shown = json.loads(page(runner, item, accept="application/json")["body"])
    assert _owner_call(runner, "V3DeleteItemFunction", "DELETE", f"/v3/items/{item.slug}", user["api_key"])[
        "statusCode"
    ] in (200, 204)
    # The owner's own API sees the delete at once.
    assert (
        _owner_call(runner, "V3GetItemFunction", "GET", f"/v3/items/{item.slug}", user["api_key"])["statusCode"] == 404
    )
    later()
    assert page(runner, item)["statusCode"] == 410
    for route, function in (("content", "PublicFunction"), ("download", "PublicFunction")):
        response = runner.call(
            function, request(f"/{code(item)}/{route}/gone.png", query=ticket_of(shown["remote_url"]))
        )
        assert response["statusCode"] == 410 and "Location" not in (response.get("headers") or {})


def test_given_a_new_password_then_the_page_asks_for_it_past_the_cache_bound(runner, user, later):
    item = shared_file(user["user"], "secret.png")
    assert page(runner, item)["statusCode"] == 200
    items.update_fields(items.get(item.slug), {"password_hash": hash_password("new secret")}, [], due_at=KEEP)
    later()
    response = page(runner, item)
    assert response["statusCode"] == 403 and 'id="preview"' not in response["body"]


def test_given_an_unpublished_item_within_the_cache_bound_then_the_cache_is_what_delays_it(runner, user, later):
    item = shared_file(user["user"], "soon.png")
    assert page(runner, item)["statusCode"] == 200
    items.update_fields(items.get(item.slug), {"is_published": False}, [], due_at=KEEP)
    later(public.ITEM_CACHE_SECONDS / 2)
    assert page(runner, item)["statusCode"] == 200  # this instance read it less than the bound ago
    later(public.ITEM_CACHE_SECONDS / 2)
    assert page(runner, item)["statusCode"] == 404
    assert public.ITEM_CACHE_SECONDS <= 5


def test_given_views_of_an_item_purged_before_the_fold_then_the_fold_drops_them_and_recreates_nothing(runner, user):
    item = shared_file(user["user"], "purged.png")
    page(runner, item)
    client("dynamodb").delete_item(TableName="cloudshare-test", Key=items.key(item.slug))  # the sweep's purge
    report = counting.fold_once()
    assert report.finished and items.get(item.slug) is None
    assert all(int(record["unfolded_views"]["N"]) == 0 for record in _shard_records(item.slug))
    counting.fold_once()  # the emptied shards leave FoldIndex: nothing waits any more
    assert view_counts.waiting(view_counts.fold_partition(item.slug)) == {}
