"""The `cloudshare` CLI's multipart bookkeeping: which upload a file resumes, and the threshold option."""

import os

import click
import pytest

from cloudshare_cli import main, multipart
from tests.unit.cli_support import _bare_moto, aws  # noqa: F401  (no moto table per test: see there)


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOUDSHARE_CONFIG", str(tmp_path / "config" / "config.json"))
    return tmp_path / "config"


def _key(path):
    stat = path.stat()
    return multipart.state_file(path, stat.st_size, stat.st_mtime_ns)


def test_given_the_same_file_then_the_same_state_file_and_a_changed_file_another(tmp_path, config_dir):
    data = tmp_path / "video.mp4"
    data.write_bytes(b"a" * 100)
    first = _key(data)
    assert first.parent == config_dir / "uploads" and _key(data) == first  # same path, size, mtime

    os.utime(data, ns=(data.stat().st_atime_ns, data.stat().st_mtime_ns + 1))  # touched: another upload
    assert _key(data) != first
    data.write_bytes(b"a" * 101)  # another size
    assert _key(data) != first


def test_given_a_saved_state_then_only_the_same_server_resumes_it(tmp_path, config_dir):
    state = config_dir / "uploads" / "x.json"
    multipart._save_state(state, {"api_url": "https://share.example.com", "upload_id": "abc"})

    assert oct(state.stat().st_mode & 0o777) == "0o600"
    assert multipart._load_state(state, "https://share.example.com")["upload_id"] == "abc"
    assert multipart._load_state(state, "http://127.0.0.1:3000") is None
    state.write_text("{not json")
    assert multipart._load_state(state, "https://share.example.com") is None


@pytest.mark.parametrize(
    ("text", "size"), [("64MiB", 64 * 1024**2), ("512k", 512 * 1024), ("1G", 1024**3), ("1000", 1000), ("10b", 10)]
)
def test_given_a_threshold_with_a_unit_then_bytes(text, size):
    assert main._size(None, None, text) == size


def test_given_a_threshold_that_is_not_a_size_then_a_usage_error():
    with pytest.raises(click.BadParameter):
        main._size(None, None, "lots")


class _Signer:
    """The API's part-URL route, as the CLI's client sees it: each call recorded."""

    def __init__(self):
        self.calls: list[list[int]] = []
        self.round = 0

    def part_urls(self, upload_id: str, numbers: list[int]) -> dict[int, str]:
        self.calls.append(numbers)
        self.round += 1
        return {number: f"https://s3.example/{upload_id}/{number}?round={self.round}" for number in numbers}


def test_given_threads_ask_for_parts_out_of_order_then_one_call_covers_their_batch():
    # Given 250 parts to send, the thread that sends part 2 asks first (threads race to the first URLs)
    signer = _Signer()
    with multipart._PartUrls(signer, "up", list(range(1, 251))) as urls:
        # When the parts of the first batch ask, in any order
        got = [urls.get(number) for number in (2, 1, 3, 49)]

    # Then one call asked for the whole first batch, and every URL is its part's
    assert signer.calls == [list(range(1, 101))]
    assert got == [f"https://s3.example/up/{number}?round=1" for number in (2, 1, 3, 49)]


def test_given_a_batch_half_used_then_the_next_is_asked_for_before_any_of_its_parts():
    # Given parts 6..250 left to send (1..5 were in storage)
    signer = _Signer()
    with multipart._PartUrls(signer, "up", list(range(6, 251))) as urls:
        # When the part half way through the first batch asks for its URL
        urls.get(56)
    # (leaving the block waits for the call asked in the background)

    # Then the next batch was asked for too, ahead of need, and not the one after it
    assert signer.calls == [list(range(6, 106)), list(range(106, 206))]


def test_given_storage_refused_a_url_then_its_batch_is_asked_again_once():
    signer = _Signer()
    with multipart._PartUrls(signer, "up", list(range(1, 11))) as urls:
        expired = urls.get(3)

        # When two threads report the same refused URL (both parts' URLs came in the expired batch)
        renewed = urls.get(3, refused=expired)
        again = urls.get(4, refused=expired.replace("/3?", "/4?"))

    # Then the batch was asked for once more, and both got a URL of that new batch
    assert len(signer.calls) == 2
    assert renewed.endswith("/3?round=2") and again.endswith("/4?round=2")


def test_given_urls_near_their_expiry_then_the_batch_is_asked_again(monkeypatch):
    signer = _Signer()
    clock = [1000.0]
    monkeypatch.setattr(multipart.time, "monotonic", lambda: clock[0])
    with multipart._PartUrls(signer, "up", list(range(1, 11))) as urls:
        urls.get(1)
        clock[0] += multipart.URL_FRESH_SECONDS + 1  # a slow link: the batch's URLs are nearly expired

        # When the next part asks
        url = urls.get(2)

    # Then it got a URL from a new batch (not one storage would refuse)
    assert url.endswith("/2?round=2") and len(signer.calls) == 2


def test_given_a_part_then_it_is_read_whole_into_the_threads_buffer(tmp_path):
    data = tmp_path / "data.bin"
    data.write_bytes(bytes(range(256)) * 40)  # 10240 bytes: parts of 4096, the last one 2048

    last = bytes(multipart._read_part(data, 3, 4096, 10240))
    first = multipart._read_part(data, 1, 4096, 10240)

    assert last == data.read_bytes()[8192:] and bytes(first) == data.read_bytes()[:4096]
    assert first.obj is multipart._THREAD.buffer  # the same buffer again: no allocation per part
