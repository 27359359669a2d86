"""The public request path stays cheap: `make bench`'s numbers (devtools/bench_public.py), held as a test."""

from devtools import bench_public


def test_a_share_page_view_and_a_download_redirect_take_at_most_two_aws_calls_each(runner):
    calls = bench_public.calls_per_request(runner)
    assert calls["share page view"] <= bench_public.TARGETS["share page view"]
    assert calls["download redirect"] <= bench_public.TARGETS["download redirect"]
    assert calls["content redirect (page preview)"] <= 2
