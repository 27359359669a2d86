"""The `cloudshare` CLI's pure parts: durations (`--expires 7d`), times, sizes; bad values refused early."""

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from cloudshare_cli.durations import expiry_after, human_size, parse_duration, parse_moment
from cloudshare_cli.main import cli
from tests.unit.cli_support import _bare_moto, aws  # noqa: F401  (no moto table per test: see there)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("7d", timedelta(days=7)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(hours=36)),
        (" 1D 30M ", timedelta(days=1, minutes=30)),
    ],
)
def test_given_a_typed_duration_when_parsed_then_the_parts_add_up(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "7y", "-1d", "0d", "0h0m", "7d soon", "1.5h"])
def test_given_something_that_is_not_a_duration_when_parsed_then_it_is_refused_with_an_example(text):
    with pytest.raises(ValueError, match="e.g. 7d|longer than zero"):
        parse_duration(text)


def test_given_seven_days_when_the_expiry_is_computed_then_it_is_an_iso_utc_time_a_week_ahead():
    now = datetime(2030, 1, 31, 18, 0, 0, 123456, tzinfo=UTC)
    assert expiry_after("7d", now) == "2030-02-07T18:00:00Z"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2030-01-31T18:00:00Z", datetime(2030, 1, 31, 18, tzinfo=UTC)),
        ("2030-01-31T18:00:00", datetime(2030, 1, 31, 18, tzinfo=UTC)),
        ("2030-01-31T20:00:00+02:00", datetime(2030, 1, 31, 18, tzinfo=UTC)),
    ],
)
def test_given_an_iso_time_when_parsed_then_it_is_utc(text, expected):
    assert parse_moment(text) == expected


def test_given_a_time_that_is_not_iso_when_parsed_then_it_is_refused():
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_moment("next tuesday")


@pytest.mark.parametrize(
    "size, text", [(0, "0 B"), (1023, "1023 B"), (26214400, "25.0 MiB"), (None, "-"), (5 * 1024**4, "5.0 TiB")]
)
def test_given_a_byte_count_when_shown_then_it_uses_binary_units(size, text):
    assert human_size(size) == text


def test_given_a_bad_expiry_when_uploading_then_the_command_refuses_before_any_request(tmp_path):
    (tmp_path / "a.txt").write_text("a")
    result = CliRunner().invoke(
        cli,
        ["upload", str(tmp_path / "a.txt"), "--expires", "7y"],
        env={"CLOUDSHARE_API_URL": "http://127.0.0.1:9", "CLOUDSHARE_API_KEY": "csk_x"},
    )
    assert result.exit_code == 2
    assert "not a duration" in result.output


def test_given_a_duration_longer_than_any_date_then_a_clear_error_not_an_overflow():
    import pytest

    from cloudshare_cli.durations import expiry_after, parse_duration

    for text in ("3000000d", "9999999999d"):
        with pytest.raises(ValueError, match="longer than a lifetime"):
            parse_duration(text)
    assert expiry_after("36500d") > "2100"


def test_given_an_unreadable_file_then_refused_before_anything_is_sent(tmp_path):
    import os

    import pytest

    from cloudshare_cli.client import CliError
    from cloudshare_cli.transfer import file_source

    locked = tmp_path / "locked.bin"
    locked.write_bytes(b"x")
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root reads anything: make the file unreadable another way
        locked.unlink()
        locked.mkdir()
    with pytest.raises(CliError):
        file_source(locked)
