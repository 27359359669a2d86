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
