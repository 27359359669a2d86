"""The `cloudshare` command, run as a user would (a subprocess), against the local stack over real HTTP."""

from __future__ import annotations

import json
import secrets
import stat
import sys
import uuid
from pathlib import Path

import pytest

from tests.integration.conftest import admin
from tests.integration.helpers import Cli

pytestmark = pytest.mark.integration
MIB = 1024 * 1024
FREE_MAX_UPLOAD = 25 * MIB


@pytest.fixture
def cli(stack, tmp_path) -> Cli:
    return Cli(tmp_path, {"CLOUDSHARE_API_URL": stack["api_url"], "CLOUDSHARE_API_KEY": stack["api_key"]})


@pytest.fixture
def free_user(stack, tmp_path) -> Cli:
    """A new free-plan account, logged in with e-mail and password (HTTP Digest) through `cloudshare login`."""
    email = f"free-{uuid.uuid4().hex[:8]}@example.com"
    password = admin(stack, "create-user", email, "--plan", "free", "--generate-password")["password"]
    user = Cli(tmp_path, {})
    user.out("login", "--api-url", stack["api_url"], "--email", email, "--password", password)
    return user


def slug_of(share_url: str) -> str:
    """The item behind a printed share URL: links are /<slug><secret>, and slugs have 12 characters."""
    return share_url.rstrip("/").rsplit("/", 1)[-1][:12]


def test_given_a_30_mb_file_when_uploaded_then_its_share_url_downloads_the_same_bytes(cli, tmp_path):
    original = tmp_path / "big.bin"
    original.write_bytes(secrets.token_bytes(30 * MIB))

    result = cli.run("upload", str(original), "--json")

    item = json.loads(result.stdout)
    assert item["share_url"].startswith(cli.env["CLOUDSHARE_API_URL"] + "/")
    assert (item["file_size"], item["upload_state"]) == (30 * MIB, "ready")
    assert "30.0/30.0 MiB" in result.stderr.decode()  # the progress bar reached the end
    downloaded = tmp_path / "copy.bin"
    cli.out("download", item["slug"], "--public", "-o", str(downloaded))  # as a recipient of the link would
    assert downloaded.read_bytes() == original.read_bytes()


def test_given_standard_input_when_uploaded_with_a_name_then_the_item_holds_those_bytes(cli):
    data = b"line one\nline two\n" * 1000

    item = cli.json("upload", "-", "--name", "notes.txt", input=data)

    assert (item["name"], item["file_size"], item["upload_state"], item["item_type"]) == (
        "notes.txt",
        len(data),
        "ready",
        "text",
    )


def test_given_several_files_when_uploaded_then_one_share_url_per_file_in_order(cli, tmp_path):
    files = [tmp_path / f"part{number}.txt" for number in range(3)]
    for number, path in enumerate(files):
        path.write_text(f"part {number}\n" * (number + 1))

    urls = cli.out("upload", "-j", "3", *map(str, files)).splitlines()  # in parallel, printed in order
    items = cli.json("upload", "-j", "3", *map(str, files))

    assert len(urls) == 3 and all(url.startswith(cli.env["CLOUDSHARE_API_URL"] + "/") for url in urls)
    assert [(item["name"], item["file_size"]) for item in items] == [
        ("part0.txt", 7),
        ("part1.txt", 14),
        ("part2.txt", 21),
    ]


def test_given_a_free_plan_when_uploading_over_its_max_size_then_it_fails_with_the_servers_message(free_user, tmp_path):
    too_big = tmp_path / "too-big.bin"
    with open(too_big, "wb") as handle:
        handle.truncate(FREE_MAX_UPLOAD + 1)  # sparse: the CLI must refuse by size, not by sending

    result = free_user.run("upload", str(too_big), check=False)

    assert result.returncode != 0
    error = result.stderr.decode()
    assert "File size is too large" in error and "26214400" in error
    assert result.stdout == b""
    assert free_user.json("account")["usage"]["storage_used"] == 0


def test_given_a_free_plan_when_an_artifact_is_over_its_max_size_then_nothing_is_created(free_user, tmp_path):
    too_big = tmp_path / "too-big.zip"
    with open(too_big, "wb") as handle:
        handle.truncate(FREE_MAX_UPLOAD + 1)

    result = free_user.run("upload", str(too_big), "--artifact", "--version-name", "v1", check=False)

    assert result.returncode == 1
    assert "the most you can upload is 25.0 MiB" in result.stderr.decode()
    assert free_user.json("list") == []


def test_given_a_login_with_email_and_password_then_the_config_is_private_and_digest_works(free_user, tmp_path):
    saved = Path(free_user.env["CLOUDSHARE_CONFIG"])
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert "password" in json.loads(saved.read_text())
    assert free_user.json("account")["plan"] == "free"


def test_given_a_wrong_key_when_a_command_runs_then_it_exits_non_zero_with_the_servers_refusal(stack, tmp_path):
    intruder = Cli(tmp_path, {"CLOUDSHARE_API_URL": stack["api_url"], "CLOUDSHARE_API_KEY": "csk_nope_" + "x" * 40})
    result = intruder.run("account", check=False)
    assert result.returncode == 1 and result.stderr.decode().startswith("Error:")


def test_given_a_link_when_bookmarked_then_its_share_url_is_printed(cli):
    share_url = cli.out("bookmark", "https://example.com/some/page")
    item = cli.json("info", slug_of(share_url))
    assert (item["item_type"], item["redirect_url"]) == ("bookmark", "https://example.com/some/page")


def test_given_an_upload_when_listed_renamed_and_deleted_then_each_step_shows(cli, tmp_path):
    path = tmp_path / "round-trip.txt"
    path.write_text("round trip\n")
    slug = slug_of(cli.out("upload", str(path)))

    assert slug in [item["slug"] for item in cli.json("list", "--all")]
    assert "Renamed" in cli.out("rename", slug, "renamed-trip.txt")
    assert cli.json("info", slug)["name"] == "renamed-trip.txt"
    table = cli.out("list", "--per-page", "100")
    assert slug in table and "renamed-trip.txt" in table

    cli.out("delete", slug)

    assert slug not in [item["slug"] for item in cli.json("list", "--all")]
    gone = cli.run("info", slug, check=False)
    assert gone.returncode == 1 and "Error:" in gone.stderr.decode()


def test_given_a_deleted_item_when_restored_then_it_is_listed_again(cli, tmp_path):
    path = tmp_path / "comeback.txt"
    path.write_text("back\n")
    slug = slug_of(cli.out("upload", str(path)))
    cli.out("delete", slug)

    cli.out("restore", slug)

    assert slug in [item["slug"] for item in cli.json("list", "--all")]


def test_given_an_upload_with_expiry_options_then_the_item_expires_as_asked(cli, tmp_path):
    path = tmp_path / "short-lived.txt"
    path.write_text("soon gone\n")

    item = cli.json("upload", str(path), "--expires", "7d", "--views", "10")

    assert item["expiration"]["expires_after_views"] == 10
    assert item["expiration"]["expires_at"] > item["created_at"]
    assert "after 10 views" in cli.out("expire", item["slug"])
    cli.out("expire", item["slug"], "--clear")
    assert "does not expire" in cli.out("expire", item["slug"])


def test_given_an_item_when_favorited_and_unfavorited_then_the_server_agrees(cli, tmp_path):
    slug = slug_of(cli.out("bookmark", "https://example.com/fav"))
    assert "is a favorite" in cli.out("favorite", slug)
    assert "is not a favorite" in cli.out("favorite", slug, "--off")


def test_given_an_artifact_upload_with_a_version_name_then_it_is_ready_and_shared(cli, tmp_path):
    path = tmp_path / "release.zip"
    path.write_bytes(secrets.token_bytes(300_000))

    item = cli.json("upload", str(path), "--artifact", "--version-name", "v1.0")

    assert (item["name"], item["file_size"], item["upload_state"]) == ("release.zip", 300_000, "ready")
    downloaded = tmp_path / "release-copy.zip"
    cli.out("download", item["slug"], "--public", "-o", str(downloaded))
    assert downloaded.read_bytes() == path.read_bytes()


def test_given_a_password_when_uploading_then_only_the_owner_or_the_password_opens_the_download(cli, tmp_path):
    path = tmp_path / "secret.txt"
    path.write_bytes(b"for your eyes only\n")
    slug = cli.json("upload", str(path), "--password", "s3cret")["slug"]

    cli.out("download", slug, "-o", str(tmp_path / "as-owner.txt"))
    refused = cli.run("download", slug, "--public", "-o", str(tmp_path / "refused.txt"), check=False)
    cli.out("download", slug, "--public", "--password", "s3cret", "-o", str(tmp_path / "unlocked.txt"))

    assert (tmp_path / "as-owner.txt").read_bytes() == path.read_bytes()
    assert refused.returncode == 1 and not (tmp_path / "refused.txt").exists()
    assert (tmp_path / "unlocked.txt").read_bytes() == path.read_bytes()
    wrong = cli.run("download", slug, "--public", "--password", "guess", "-o", str(tmp_path / "x"), check=False)
    assert wrong.returncode == 1 and "Error:" in wrong.stderr.decode()


def test_given_an_item_when_shared_by_email_then_the_recipients_are_confirmed(cli):
    slug = slug_of(cli.out("bookmark", "https://example.com/shared"))
    assert (
        cli.out("share", slug, "--to", "friend@example.com", "--to", "boss@example.com", "--message", "look")
        == f"Sent {slug} to friend@example.com, boss@example.com"
    )


def test_given_an_item_when_opened_then_the_browser_gets_its_share_url(cli, tmp_path):
    share_url = cli.out("bookmark", "https://example.com/open-me")
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(f"import sys\nopen({str(opened)!r}, 'w').write(sys.argv[1])\n")
    cli.env["BROWSER"] = f"{sys.executable} {browser} %s"

    cli.out("open", slug_of(share_url))

    assert opened.read_text() == share_url


def test_given_three_items_when_listed_two_a_page_then_the_pages_split_them_without_overlap(stack, tmp_path):
    email = f"pager-{uuid.uuid4().hex[:8]}@example.com"
    admin(stack, "create-user", email, "--plan", "pro", "--generate-password")
    key = admin(stack, "create-key", email)["api_key"]
    pager = Cli(tmp_path, {"CLOUDSHARE_API_URL": stack["api_url"], "CLOUDSHARE_API_KEY": key})
    slugs = {slug_of(pager.out("bookmark", f"https://example.com/{number}")) for number in range(3)}

    first, second = pager.json("list", "--per-page", "2"), pager.json("list", "--per-page", "2", "--page", "2")
    hint = pager.run("list", "--per-page", "2").stderr.decode()

    assert (len(first), len(second)) == (2, 1)
    assert {item["slug"] for item in first + second} == slugs
    assert {item["slug"] for item in pager.json("list", "--all", "--per-page", "2")} == slugs
    assert "cloudshare list --page 2 --per-page 2" in hint
    assert pager.json("list", "--page", "3", "--per-page", "2") == []


def test_given_a_checkout_running_make_dev_when_run_inside_it_then_no_configuration_is_needed(stack, tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / ".local").mkdir(parents=True)
    (checkout / ".local" / "credentials.json").write_text((stack["state_dir"] / "credentials.json").read_text())
    (checkout / "docs").mkdir()
    bare = Cli(checkout / "docs", {})  # no CLOUDSHARE_* variables, no config file

    shown = bare.out("account")

    assert stack["email"] in shown
    assert f"{stack['api_url']} (from {checkout / '.local' / 'credentials.json'})" in shown
