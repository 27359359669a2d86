"""The local stack's S3 events beyond the happy path, over real HTTP: a presigned POST replayed over a
settled upload is undone, and an image gets its thumbnail from ThumbnailFunction (via its queue)."""

import io
import json
import subprocess
import time

import pytest
from PIL import Image

from tests.integration.conftest import admin, curl, header

pytestmark = pytest.mark.integration
WAIT_SECONDS = 20


def eventually(condition, what: str):
    """Polls a condition the background (S3 events, queues) makes true; fails after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"not within {WAIT_SECONDS}s: {what}")


def png_bytes(width: int, height: int) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), (20, 160, 90)).save(output, "PNG")
    return output.getvalue()


def test_given_a_settled_image_when_its_presigned_post_is_replayed_then_the_stack_stays_consistent(stack, tmp_path):
    key = ["-H", f"Authorization: Bearer {stack['api_key']}", "-H", "Accept: application/json"]
    image = png_bytes(1200, 800)
    (tmp_path / "photo.png").write_bytes(image)
    (tmp_path / "big.bin").write_bytes(b"\0" * 3_000_000)
    request = json.dumps({"name": "photo.png", "file_size": len(image)})
    status, _, body = curl(*key, "-H", "Content-Type: application/json", "-d", request, f"{stack['api_url']}/v3/items")
    assert status == 200, body
    ticket = json.loads(body)
    fields = [arg for name, value in ticket["s3"].items() for arg in ("-F", f"{name}={value}")]
    status, headers, _ = curl(*fields, "-F", f"file=@{tmp_path / 'photo.png'};type=image/png", ticket["url"])
    assert status == 303
    status, _, body = curl(*key, header(headers, "Location"))
    item = json.loads(body)
    assert status == 200 and item["upload_state"] == "ready"
    used = json.loads(curl(*key, f"{stack['api_url']}/v3/account")[2])["usage"]["storage_used"]

    # The thumbnail is made off the request path, by ThumbnailFunction fed from its queue
    thumbnail = f"{item['share_url']}/thumbnail"
    location = eventually(lambda: header(curl("-H", "Accept: image/*", thumbnail)[1], "Location"), "a thumbnail")
    subprocess.run(["curl", "-sSf", "-o", str(tmp_path / "thumbnail.jpg"), location], check=True, timeout=60)
    with Image.open(tmp_path / "thumbnail.jpg") as made:
        assert (made.format, made.size) == ("JPEG", (480, 320))

    # When the same POST fields are sent again with other, larger bytes
    status, _, _ = curl(*fields, "-F", f"file=@{tmp_path / 'big.bin'};type=image/png", ticket["url"])
    assert status == 303

    # Then finalize undoes the replay: the settled bytes are served again, usage unchanged, consistent
    eventually(lambda: admin(stack, "check-consistency")["consistent"], "the replay undone")
    assert json.loads(curl(*key, f"{stack['api_url']}/v3/account")[2])["usage"]["storage_used"] == used
    subprocess.run(["curl", "-sSfL", "-o", str(tmp_path / "back.png"), item["remote_url"]], check=True, timeout=60)
    assert (tmp_path / "back.png").read_bytes() == image
