"""`make dev` itself: it starts from nothing, serves, stops cleanly on Ctrl-C, and behaves like AWS."""

import io
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from PIL import Image

from devtools.soak import soak
from devtools.stack import start_stack, stop_stack
from tests.integration.conftest import aws

pytestmark = pytest.mark.integration
WAIT_SECONDS = 60


def test_given_a_fresh_state_dir_when_started_and_interrupted_then_it_serves_and_exits_cleanly(tmp_path):
    process, credentials = start_stack(tmp_path)
    response = requests.get(
        credentials["api_url"] + "/v3/account",
        headers={"Authorization": f"Bearer {credentials['api_key']}"},
        timeout=10,
    )
    assert response.status_code == 200
    assert stop_stack(process) == 0
    assert "cloudshare stopped" in (tmp_path / "stack.log").read_text()


def upload(stack: dict, name: str, data: bytes, content_type: str) -> dict:
    """The seed's three steps: ask, POST to S3, follow the redirect back."""
    auth = {"Authorization": f"Bearer {stack['api_key']}", "Accept": "application/json"}
    ticket = requests.post(f"{stack['api_url']}/v3/items", json={"name": name}, headers=auth, timeout=60)
    assert ticket.status_code == 200, ticket.text
    posted = requests.post(
        ticket.json()["url"],
        data=ticket.json()["s3"],
        files={"file": (name, data, content_type)},
        allow_redirects=False,
        timeout=60,
    )
    assert posted.status_code == 303, posted.text
    settled = requests.get(posted.headers["Location"], headers=auth, timeout=60)
    assert settled.status_code == 200, settled.text
    return settled.json()


def wait_for_s3_events_delivered(stack: dict) -> None:
    """Waits until every queued S3 notification has been handled (each function's queue is empty)."""
    sqs = aws(stack, "sqs")
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        waiting = 0
        for queue_url in sqs.list_queues().get("QueueUrls", []):
            attributes = sqs.get_queue_attributes(
                QueueUrl=queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            waiting += sum(int(count) for count in attributes.values())
        if not waiting:
            return
        time.sleep(0.2)  # polls the condition above
    raise AssertionError(f"S3 notifications still queued after {WAIT_SECONDS}s")


def test_given_an_image_upload_when_its_s3_events_are_delivered_then_its_thumbnail_survives(stack):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(buffer, "PNG")
    item = upload(stack, "red.png", buffer.getvalue(), "image/png")
    # When every S3 event (the upload's and the thumbnail's) has reached the functions subscribed to it
    wait_for_s3_events_delivered(stack)
    # Then the share's thumbnail is the image's JPEG, not the placeholder
    thumbnail = requests.get(item["share_url"] + "/thumbnail", timeout=60)
    assert thumbnail.status_code == 200 and thumbnail.content.startswith(b"\xff\xd8"), thumbnail.headers
    assert f"/thumbnails/{item['slug']}/1" in thumbnail.url


def test_given_parallel_uploads_and_views_then_the_stack_logs_no_concurrency_error(stack):
    def upload_and_view(n: int) -> bool:
        data = os.urandom(1000 + n)
        item = upload(stack, f"parallel-{n}.bin", data, "application/octet-stream")
        viewed = requests.get(item["share_url"], headers={"Accept": "application/json"}, timeout=60)
        return viewed.status_code == 200 and requests.get(item["remote_url"], timeout=60).content == data

    with ThreadPoolExecutor(6) as pool:
        assert all(pool.map(upload_and_view, range(18)))
    wait_for_s3_events_delivered(stack)
    log = (stack["state_dir"] / "stack.log").read_text()
    assert "dictionary changed size during iteration" not in log
    assert "Connection pool is full" not in log


def test_given_a_short_soak_then_no_5xx_true_answers_consistent_flat_memory_and_honest_logs(tmp_path):
    # Two instances per function for three clients: the pools fill up in warm-up, as in a long session
    report = soak(clients=3, seconds=15, warmup=5, state_dir=tmp_path, stack_options=["--max-instances", "2"])
    assert report["server_error_count"] == 0, report["server_errors"]
    assert report["wrong_answer_count"] == 0, report["wrong_answers"]
    assert report["consistency"]["consistent"], report["consistency"]
    assert report["memory_mb"]["growth"] <= 0.2, report["memory_mb"]
    assert report["log_lines_checked"] > 0 and report["log_lines_misattributed"] == []
    assert not any(report["log_forbidden"].values()), report["log_forbidden"]
