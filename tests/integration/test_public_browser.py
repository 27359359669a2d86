"""Share pages and the upload page in real headless Chromium (Debian's chromium + chromium-driver)
against the local stack: previews load from S3, downloads are the exact bytes, passwords and expiry
hold, and the upload page sends a file straight to S3 with progress."""

from __future__ import annotations

import json
import os
import time

import boto3
import pytest
import requests

from cloudshare.services.passwords import hash_password
from tests.integration.conftest import admin
from tests.integration.helpers import element, png_bytes, upload, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def sharer(stack):
    """An account of its own, so that other tests' listings of the demo account never see these items."""
    admin(stack, "create-user", "sharer@example.com", "--plan", "pro", "--generate-password")
    key = admin(stack, "create-key", "sharer@example.com", "--label", "browser tests")
    return {**stack, "api_key": key["api_key"]}


@pytest.fixture(scope="module")
def table(stack):
    """The stack's table, reached directly: items' sharing settings are set as the owner would set them."""
    state = json.loads((stack["state_dir"] / "stack.json").read_text())
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=state["aws_endpoint"],
        region_name=state["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return lambda slug, **values: dynamodb.update_item(
        TableName=state["table_name"],
        Key={"PK": {"S": f"ITEM#{slug}"}, "SK": {"S": "ITEM"}},
        UpdateExpression="SET " + ", ".join(f"{name} = :{name}" for name in values),
        ExpressionAttributeValues={f":{name}": _typed(value) for name, value in values.items()},
    )


def _typed(value):
    return {"N": str(value)} if isinstance(value, int) else {"S": value}


def test_given_a_shared_image_then_chromium_shows_its_preview_and_downloads_the_exact_bytes(sharer, browser):
    data = png_bytes()
    item = upload(sharer, "sky & sea.png", data, "image/png")
    browser.get(item["share_url"])
    assert element(browser, "name").text == "sky & sea.png"
    loaded = wait_for(
        lambda: browser.execute_script(
            "const image = document.getElementById('preview'); return image.complete && image.naturalWidth;"
        ),
        "the preview image",
    )
    assert loaded == 640  # the image itself, from S3, through the presigned redirect
    element(browser, "download").click()
    target = browser.downloads / "sky & sea.png"
    wait_for(lambda: target.exists() and not list(browser.downloads.glob("*.crdownload")), "the download")
    assert target.read_bytes() == data
    assert "1 view" in element(browser, "views").text
    console = [entry["message"] for entry in browser.get_log("browser")]
    assert not [message for message in console if "Content Security Policy" in message]


def test_given_a_password_then_chromium_is_refused_with_a_wrong_one_and_let_in_with_the_right_one(
    sharer, browser, table
):
    item = upload(sharer, "private.png", png_bytes(200, 100), "image/png")
    table(item["slug"], password_hash=hash_password("hunter2 but longer"))
    browser.get(item["share_url"])
    element(browser, "password").send_keys("hunter3")
    element(browser, "unlock").click()
    assert element(browser, "wrong-password").text == "Wrong password."
    assert not browser.find_elements("id", "preview")
    element(browser, "password").send_keys("hunter2 but longer")
    element(browser, "unlock").click()
    wait_for(
        lambda: browser.execute_script(
            "const image = document.getElementById('preview'); return image && image.complete && image.naturalWidth;"
        ),
        "the preview after unlocking",
    )
    assert browser.current_url == item["share_url"]


def test_given_an_item_past_its_views_then_chromium_shows_the_expired_page(sharer, browser, table):
    item = upload(sharer, "once.png", png_bytes(50, 50), "image/png")
    table(item["slug"], expires_after_views=1)
    browser.get(item["share_url"])
    element(browser, "preview")
    browser.get(item["share_url"])
    assert element(browser, "title").text == "Gone"
    assert element(browser, "message").text == "This link has expired."
    assert requests.get(item["share_url"], timeout=10).status_code == 410


def test_given_the_upload_page_then_a_file_goes_to_s3_with_progress_and_its_share_url_works(sharer, browser, tmp_path):
    data = os.urandom(1536 * 1024)
    path = tmp_path / "field notes.bin"
    path.write_bytes(data)
    # A phone-like uplink (about 2 s for this file), so that the progress bar has something to show.
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 768 * 1024},
    )
    browser.get(f"{sharer['api_url']}/upload")
    element(browser, "api-key").send_keys(sharer["api_key"])
    element(browser, "file").send_keys(str(path))
    element(browser, "upload").click()
    share = wait_for(lambda: element(browser, "share-url").text, "the share URL")
    assert element(browser, "status").text == "Uploaded field notes.bin."
    browser.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    progress = element(browser, "progress")
    seen = [int(value) for value in progress.get_attribute("data-seen").split()]
    assert progress.get_attribute("value") == "100"
    assert any(0 < value < 100 for value in seen) and seen == sorted(seen)  # it moved, forwards
    assert browser.execute_script("return sessionStorage.getItem('cloudshare.apiKey')") == sharer["api_key"]
    shown = requests.get(share, headers={"Accept": "application/json"}, timeout=10)
    assert shown.status_code == 200 and shown.json()["name"] == "field notes.bin"
    downloaded = requests.get(shown.json()["remote_url"], timeout=10)  # follows the 302 to S3
    assert downloaded.content == data


SCRIPT_RAN = "script ran"
HOSTILE_HTML = f"<html><body><p id='ran'>ran</p><script>document.title = '{SCRIPT_RAN}'</script></body></html>"
HOSTILE_SVG = (
    "<svg xmlns='http://www.w3.org/2000/svg' onload=\"document.title = 'script ran'\">"
    "<script>document.title = 'script ran'</script></svg>"
)


@pytest.mark.parametrize(
    "name, label, data, opened_as",
    [
        ("clip.mp4", "video/mp4,text/html", HOSTILE_HTML, "inline"),  # Chromium reads the last type of a list
        ("page.html", "text/html; charset=utf-8", HOSTILE_HTML, "download"),
        ("logo.svg", "image/svg+xml", HOSTILE_SVG, "download"),
    ],
)
def test_given_a_hostile_content_type_then_chromium_opening_the_file_runs_no_script(
    sharer, browser, name, label, data, opened_as
):
    item = upload(sharer, name, data.encode(), label)  # moto takes the label; AWS would refuse it by policy
    shown = requests.get(item["share_url"], headers={"Accept": "application/json"}, timeout=10).json()
    browser.get(shown["content_url"])  # what the share page previews, opened as a page of its own
    if opened_as == "download":
        target = browser.downloads / name
        wait_for(lambda: target.exists() and not list(browser.downloads.glob("*.crdownload")), "the download")
        assert target.read_text() == data
    else:
        wait_for(lambda: browser.execute_script("return document.readyState") == "complete", "the media page")
    assert browser.title != SCRIPT_RAN
    assert not browser.find_elements("id", "ran")
    if opened_as == "inline":
        assert browser.execute_script("return document.contentType") == "video/mp4"  # a media page, not HTML


def _shown_comments(driver, url: str) -> list[str]:
    """The comment texts the page shows now (a fresh load: pages cache their item for 2 s per instance)."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    return [entry.text for entry in driver.find_elements(By.CSS_SELECTOR, "#comments .comment .text")]


def _post_comment(driver, url: str, name: str, text: str) -> None:
    """What a person does: open the page, read a moment (the form's minimum time), fill in and send the form."""
    driver.get(url)
    opened = time.monotonic()
    element(driver, "comment-name").send_keys(name)
    element(driver, "comment-text").send_keys(text)
    wait_for(lambda: time.monotonic() - opened > 3.5, "the form's minimum time on the page")
    element(driver, "comment-post").click()
    wait_for(lambda: driver.current_url.endswith("#comments"), "the page after posting")


def test_given_comments_then_chromium_posts_sees_versions_combined_deleted_and_turned_off(sharer, browser):
    key = {"Authorization": f"Bearer {sharer['api_key']}"}
    item = upload(sharer, "draft.txt", b"first draft", "text/plain")
    url, artifact = item["share_url"], f"{sharer['api_url']}/api/v1/artifacts/{item['slug']}"

    _post_comment(browser, url, "Ann", "Looks good <b>so far</b> https://example.com/x")
    assert _shown_comments(browser, url) == ["Looks good <b>so far</b> https://example.com/x"]  # text, not markup
    assert not browser.find_elements("css selector", "#comments .text a, #comments .text b")

    second = requests.put(
        artifact,
        headers=key,
        files={"file": ("draft.txt", b"second draft", "text/plain")},
        data={"version_name": "v2"},
        timeout=10,
    )
    assert second.status_code == 200, second.text
    wait_for(lambda: _shown_comments(browser, url) == [], "the new version's page, without version 1's comment")
    _post_comment(browser, url, "Bob", "Better now")
    assert _shown_comments(browser, url) == ["Better now"]

    assert requests.put(artifact, headers=key, data={"show_combined_comments": "true"}, timeout=10).ok
    wait_for(
        lambda: _shown_comments(browser, url) == ["Better now", "Looks good <b>so far</b> https://example.com/x"],
        "every version's comments",
    )
    labels = [entry.text for entry in browser.find_elements("css selector", "#comments .version")]
    assert labels == ["version 2", "version 1"]

    listed = requests.get(f"{artifact}/comments", headers=key, timeout=10).json()
    assert listed["pagination"]["total"] == 2
    first = next(entry for entry in listed["comments"] if entry["name"] == "Ann")
    assert requests.delete(f"{artifact}/comments/{first['id']}", headers=key, timeout=10).json()["status"] is True
    wait_for(lambda: _shown_comments(browser, url) == ["Better now"], "the page without the deleted comment")
    assert requests.get(artifact, headers=key, timeout=10).json()["artifact"]["total_comments"] == 1

    assert requests.put(artifact, headers=key, data={"allow_comments": "false"}, timeout=10).ok
    wait_for(
        lambda: _shown_comments(browser, url) == [] and not browser.find_elements("id", "comments"),
        "the page without comments",
    )
    console = [entry["message"] for entry in browser.get_log("browser")]
    assert not [message for message in console if "Content Security Policy" in message]
