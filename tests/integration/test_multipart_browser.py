"""Large files from the browser in real headless Chromium against the local stack: a 50 MiB file chosen on the
dashboard goes to S3 as a multipart upload (File.slice parts, in parallel, straight to presigned part URLs), one
interrupted by a reload resumes when the same file is chosen again, sending only the parts S3 does not hold, and
the /upload page sends a large file in parts with the API key typed in it."""

from __future__ import annotations

import hashlib
import os

import pytest
import requests

from tests.integration.conftest import admin
from tests.integration.helpers import element, sign_in, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]
MIB = 1024 * 1024
SIZE = 50 * MIB  # 7 parts of 8 MiB
PARTS = 7
HELD = (5, 6, 7)  # the parts the browser is kept from sending before the reload
UPLOAD_SECONDS = 300  # 50 MiB through a local S3 that spools every part, on a loaded machine


@pytest.fixture(scope="module")
def owner(stack):
    """An account of its own on a plan that takes 50 MiB files, with a key to check the result through the API."""
    created = admin(stack, "create-user", "large-files@example.com", "--plan", "pro", "--generate-password")
    key = admin(stack, "create-key", "large-files@example.com", "--label", "multipart browser tests")
    return {**stack, "email": created["email"], "password": created["password"], "api_key": key["api_key"]}


def api(owner, path: str) -> requests.Response:
    return requests.get(
        f"{owner['api_url']}{path}",
        timeout=120,
        headers={"Authorization": f"Bearer {owner['api_key']}", "Accept": "application/json"},
    )


def large_file(tmp_path, name: str):
    path = tmp_path / name
    path.write_bytes(os.urandom(SIZE))
    return path


def choose(browser, path) -> None:
    """The file picker, as a user chooses a file in it."""
    element(browser, "pick-files").send_keys(str(path))


def finished_row(browser, name: str) -> dict:
    """Waits until the file's row says done (or failed); its state, status and progress."""
    script = """
        const row = [...document.querySelectorAll("#upload-list li")].find((li) => li.textContent.startsWith(arguments[0]));
        if (!row || row.dataset.state === "uploading") return null;
        return {state: row.dataset.state, status: row.lastChild.textContent, progress: row.querySelector("progress").value,
                overall: document.getElementById("overall").value};
    """
    return wait_for(lambda: browser.execute_script(script, name), f"{name} to finish", UPLOAD_SECONDS)


def parts_sent_by_this_page(browser) -> list[int]:
    """The part numbers this page PUT to S3 (its resource timing entries: one per request it made)."""
    return browser.execute_script(
        "return performance.getEntriesByType('resource').map((entry) => new URL(entry.name))"
        ".filter((url) => url.searchParams.has('partNumber')).map((url) => Number(url.searchParams.get('partNumber')))"
        ".sort((a, b) => a - b);"
    )


def remembered(browser) -> dict:
    return browser.execute_script("return JSON.parse(localStorage.getItem('cloudshare.multipart') || '{}');")


def downloaded_sha256(owner, slug: str) -> str:
    artifact = api(owner, f"/api/v1/artifacts/{slug}").json()["artifact"]
    response = requests.get(artifact["current_file_url"], timeout=120)
    assert response.status_code == 200, response.status_code
    return hashlib.sha256(response.content).hexdigest()


def slug_in_grid(browser, name: str) -> str:
    return wait_for(
        lambda: browser.execute_script(
            "const li = [...document.querySelectorAll('#grid li')].find((li) => li.textContent.includes(arguments[0]));"
            "return li && li.dataset.slug;",
            name,
        ),
        f"{name} in the grid",
    )


def test_given_a_50_mib_file_chosen_on_the_dashboard_then_it_goes_in_parts_and_downloads_identical(
    owner, browser, tmp_path
):
    path = large_file(tmp_path, "talk.bin")
    sign_in(browser, owner)

    choose(browser, path)

    row = finished_row(browser, "talk.bin")
    assert row == {"state": "done", "status": "done", "progress": 100, "overall": 100}, row
    assert parts_sent_by_this_page(browser) == list(range(1, PARTS + 1))
    assert remembered(browser) == {}  # a completed upload is forgotten
    slug = slug_in_grid(browser, "talk.bin")
    assert downloaded_sha256(owner, slug) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_given_an_upload_interrupted_by_a_reload_when_the_same_file_is_chosen_then_only_missing_parts_go(
    owner, browser, tmp_path
):
    # Given a page whose part PUTs from part 5 on are held in the browser (DevTools' request interception:
    # the requests wait, never reaching S3), and a 50 MiB file chosen on it
    path = large_file(tmp_path, "resumed.bin")
    sign_in(browser, owner)
    patterns = [{"urlPattern": f"*partNumber={number}*", "requestStage": "Request"} for number in HELD]
    browser.execute_cdp_cmd("Fetch.enable", {"patterns": patterns})
    try:
        choose(browser, path)
        upload_id = wait_for(lambda: remembered(browser).get("resumed.bin", {}).get("upload_id"), "the saved upload")
        wait_for(
            lambda: [part["number"] for part in api(owner, f"/api/v1/uploads/{upload_id}/parts").json()["parts"]]
            == [1, 2, 3, 4],
            "S3 to hold parts 1 to 4",
            UPLOAD_SECONDS,
        )
        # When the page is reloaded mid-upload (the held requests die with it)
        browser.refresh()
        element(browser, "pick-files")
    finally:
        browser.execute_cdp_cmd("Fetch.disable", {})
    assert remembered(browser)["resumed.bin"]["size"] == SIZE

    # And the same file is chosen again
    choose(browser, path)

    # Then the reloaded page sent only the parts S3 did not hold, completed, and the bytes are the file's
    row = finished_row(browser, "resumed.bin")
    assert row["state"] == "done", row
    assert parts_sent_by_this_page(browser) == list(HELD)
    assert remembered(browser) == {}
    slug = slug_in_grid(browser, "resumed.bin")
    assert downloaded_sha256(owner, slug) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_given_the_upload_page_and_a_20_mib_file_then_it_goes_in_parts_with_the_typed_key(owner, browser, tmp_path):
    path = tmp_path / "notes.bin"
    path.write_bytes(os.urandom(20 * MIB))  # 3 parts
    browser.get(f"{owner['api_url']}/upload")
    element(browser, "api-key").send_keys(owner["api_key"])
    element(browser, "file").send_keys(str(path))

    element(browser, "upload").click()

    share = wait_for(lambda: element(browser, "share-url").text, "the share URL", UPLOAD_SECONDS)
    assert element(browser, "status").text == "Uploaded notes.bin."
    assert parts_sent_by_this_page(browser) == [1, 2, 3] and remembered(browser) == {}
    shown = requests.get(share, headers={"Accept": "application/json"}, timeout=60).json()
    downloaded = requests.get(shown["remote_url"], timeout=120).content  # follows the 302 to S3
    assert hashlib.sha256(downloaded).digest() == hashlib.sha256(path.read_bytes()).digest()
