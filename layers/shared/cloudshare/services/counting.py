"""Folds counter shards into items' view_counter and download_counter (store/view_counts.py).

A scheduled run (every minute) folds at once and, if that found anything, once more
view_counts.FOLD_PERIOD_SECONDS later: views of unlimited items reach their item's counters (and
the v1 total_views/total_downloads orders) within that period plus a fold's own time, and a quiet
minute costs one short invocation. Each shard is moved exactly once whatever fails or overlaps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from aws_lambda_powertools.metrics import MetricUnit

from cloudshare.observability import metrics
from cloudshare.store import view_counts

RESERVE_MS = 5_000  # stop starting items this long before the function's timeout
SECOND_PASS_AFTER_SECONDS = view_counts.FOLD_PERIOD_SECONDS


@dataclass
class FoldReport:
    items: int = 0
    views: int = 0
    downloads: int = 0
    finished: bool = False


def fold_once(time_left_ms: Callable[[], int] | None = None) -> FoldReport:
    """One pass over every shard waiting in FoldIndex."""
    report = FoldReport()
    for number in range(view_counts.FOLD_PARTITIONS):
        for slug, keys in view_counts.waiting(f"FOLD#{number}").items():
            if time_left_ms is not None and time_left_ms() < RESERVE_MS:
                return report
            shards = view_counts.read_shards(keys)
            views = sum(shard.views for shard in shards)
            current = view_counts.item_shards(slug)
            wanted = (
                None if current is None else view_counts.shards_for(views / view_counts.FOLD_PERIOD_SECONDS, current)
            )
            moved_views, moved_downloads = view_counts.fold_item(slug, shards, wanted)
            report.items += 1
            report.views += moved_views
            report.downloads += moved_downloads
    report.finished = True
    return report


def run(
    time_left_ms: Callable[[], int] | None = None, sleep: Callable[[float], None] = time.sleep
) -> dict[str, int | bool]:
    """A scheduled run: a pass now and, when it folded anything, one more a period later."""
    first = fold_once(time_left_ms)
    reports = [first]
    if first.items:
        sleep(SECOND_PASS_AFTER_SECONDS)
        reports.append(fold_once(time_left_ms))
    metrics.add_metric(name="FoldedViews", unit=MetricUnit.Count, value=sum(r.views for r in reports))
    metrics.add_metric(name="FoldedDownloads", unit=MetricUnit.Count, value=sum(r.downloads for r in reports))
    return {
        "passes": len(reports),
        "items": sum(r.items for r in reports),
        "views": sum(r.views for r in reports),
        "downloads": sum(r.downloads for r in reports),
        "finished": reports[-1].finished,
    }
