"""The dashboard in real headless Chromium against the local stack: sign in, see and change items,
trash and restore, API keys that work with curl until revoked, sign out everywhere, and a form
posted from another site's page that changes nothing."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests

from tests.integration import helpers
from tests.integration.conftest import admin, curl
from tests.integration.helpers import (
    element,
    png_bytes,
    sign_in,
    sign_in_with_requests,
    upload,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
# Three uploads in parallel, each waking functions' workers, then the thumbnail worker: on a loaded
# machine this takes far longer than one page's wait.
UPLOAD_SECONDS = 120


@pytest.fixture(scope="module")
def owner(stack):
    """An account of its own, with a password to sign in with and a key to upload through the API."""
    created = admin(stack, "create-user", "dashboard@example.com", "--plan", "pro", "--generate-password")
    key = admin(stack, "create-key", "dashboard@example.com", "--label", "dashboard tests")
    return {**stack, "email": created["email"], "password": created["password"], "api_key": key["api_key"]}


def api(owner, path: str, key: str | None = None) -> requests.Response:
    return requests.get(
        f"{owner['api_url']}{path}",
        timeout=helpers.HTTP_SECONDS,
        headers={"Authorization": f"Bearer {key or owner['api_key']}", "Accept": "application/json"},
    )


def shows(browser, element_id: str, text: str) -> None:
    """Waits until the page shows `text` in the element (right after a form is posted, the element found may
    still be the previous page's: wait_for looks again when it goes stale)."""
    from selenium.webdriver.common.by import By

    def current() -> str | None:
        return next((found.text for found in browser.find_elements(By.ID, element_id)), None)

    wait_for(lambda: current() == text, f"#{element_id} to read {text!r}")


def test_given_a_wrong_then_the_right_password_then_chromium_signs_in_and_sees_its_items(owner, browser):
    item = upload(owner, "grid.png", png_bytes(320, 200), "image/png")
    browser.delete_all_cookies()
    browser.get(f"{owner['api_url']}/dashboard")
    wait_for(lambda: browser.current_url.endswith("/login"), "the sign-in page")
    element(browser, "email").send_keys(owner["email"])
    element(browser, "password").send_keys("not the password")
    element(browser, "sign-in").click()
    assert element(browser, "error").text == "Wrong e-mail or password"
    sign_in(browser, owner)
    assert element(browser, "who").text == owner["email"]
    # The thumbnail worker makes it shortly after the upload (until then the route answers a placeholder).
    wait_for(
        lambda: requests.get(
            f"{item['share_url']}/thumbnail", allow_redirects=False, timeout=helpers.HTTP_SECONDS
        ).status_code
        == 302,
        "the thumbnail",
        UPLOAD_SECONDS,
    )
    browser.refresh()
    wait_for(lambda: _thumbnail_width(browser, item["slug"]) == 320, "the thumbnail in the grid, not the placeholder")
    from selenium.webdriver.common.by import By

    assert browser.find_element(By.CSS_SELECTOR, f'li[data-slug="{item["slug"]}"] .name').text == "grid.png"
    console = [entry["message"] for entry in browser.get_log("browser")]
    assert not [message for message in console if "Content Security Policy" in message]


def _thumbnail_width(driver, slug: str) -> int:
    return driver.execute_script(
        "const image = document.querySelector(`li[data-slug='${arguments[0]}'] img`);"
        "return image && image.complete ? image.naturalWidth : 0;",
        slug,
    )


def test_given_three_files_dropped_on_the_dashboard_then_each_uploads_with_progress_and_joins_the_grid(owner, browser):
    sign_in(browser, owner)
    images = [base64.b64encode(png_bytes(320, 200 + n)).decode() for n in range(3)]
    browser.execute_script(
        """
        const transfer = new DataTransfer();
        arguments[0].forEach((data, n) => {
          const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
          transfer.items.add(new File([bytes], `dropped-${n}.png`, {type: "image/png"}));
        });
        document.body.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
    """,
        images,
    )
    rows = "#upload-list li"
    from selenium.webdriver.common.by import By

    wait_for(
        lambda: [row.get_attribute("data-state") for row in browser.find_elements(By.CSS_SELECTOR, rows)]
        == ["done"] * 3,
        "three finished uploads",
        UPLOAD_SECONDS,
    )
    assert [bar.get_attribute("value") for bar in browser.find_elements(By.CSS_SELECTOR, f"{rows} progress")] == [
        "100"
    ] * 3
    assert element(browser, "overall").get_attribute("value") == "100"
    names = [name.text for name in browser.find_elements(By.CSS_SELECTOR, "#grid .name")]
    assert sorted(names[:3]) == ["dropped-0.png", "dropped-1.png", "dropped-2.png"]  # no reload
    listed = {entry["name"]: entry["slug"] for entry in api(owner, "/v3/items?per_page=20").json()["data"]}
    for n in range(3):  # the placeholder (480 px wide) first, then the thumbnail once the worker has made it
        slug = listed[f"dropped-{n}.png"]
        wait_for(lambda slug=slug: _thumbnail_width(browser, slug) == 320, "its thumbnail, 320 px wide", UPLOAD_SECONDS)


def test_given_an_item_then_chromium_renames_expires_protects_trashes_and_restores_it(owner, browser):
    item = upload(owner, "draft.png", png_bytes(40, 40), "image/png")
    sign_in(browser, owner)
    browser.get(f"{owner['api_url']}/dashboard/items/{item['slug']}")
    name = element(browser, "rename-name")
    name.clear()
    name.send_keys("final.png")
    element(browser, "rename").click()
    shows(browser, "notice", "Renamed.")
    assert element(browser, "name").text == "final.png"
    element(browser, "expires-after-views").send_keys("7")
    element(browser, "set-expiry").click()
    shows(browser, "notice", "Expiry changed.")
    element(browser, "item-password").send_keys("a long secret")
    element(browser, "set-password").click()
    shows(browser, "password-state", "Protected by a password.")
    seen = api(owner, f"/v3/items/{item['slug']}").json()
    assert (seen["name"], seen["expires_after_views"]) == ("final.png", 7)
    protected = requests.get(item["share_url"], timeout=helpers.HTTP_SECONDS)
    assert protected.status_code == 403 and 'name="password"' in protected.text  # the share page asks for it
    element(browser, "delete").click()
    shows(browser, "notice", "Moved to the trash.")
    assert api(owner, f"/v3/items/{item['slug']}").status_code == 404
    browser.get(f"{owner['api_url']}/dashboard?filter=trash")
    from selenium.webdriver.common.by import By

    browser.find_element(By.CSS_SELECTOR, f'li[data-slug="{item["slug"]}"] a').click()
    element(browser, "restore").click()
    shows(browser, "notice", "Restored.")
    assert api(owner, f"/v3/items/{item['slug']}").json()["name"] == "final.png"


def test_given_an_item_page_then_chromium_copies_its_link_and_uploads_a_new_version_without_a_reload(
    owner, browser, tmp_path
):
    item = upload(owner, "notes.txt", b"first version", "text/plain")
    sign_in(browser, owner)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(owner["api_url"]))
    browser.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]}
    )
    browser.get(f"{owner['api_url']}/dashboard/items/{item['slug']}")
    link = element(browser, "long-link").get_attribute("value")
    assert link == item["share_url"] and element(browser, "qr").find_element("css selector", "svg")
    element(browser, "copy-long").click()
    shows(browser, "copy-long", "Copied")
    pasted = browser.execute_async_script("navigator.clipboard.readText().then(arguments[0], () => arguments[0](''))")
    assert pasted == link
    browser.execute_script("window.stillThisPage = true")  # gone if the page reloads
    second = tmp_path / "notes-v2.txt"
    second.write_bytes(b"the second version, longer")
    element(browser, "new-version").send_keys(str(second))
    shows(browser, "version-status", "version 2 is now current.")
    from selenium.webdriver.common.by import By

    rows = browser.find_elements(By.CSS_SELECTOR, "#version-list tr")
    cells = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]
    assert [(row[0], row[1], row[3]) for row in cells] == [
        ("version 2", "26 bytes", "current"),
        ("version 1", "13 bytes", "ready"),
    ]
    assert browser.execute_script("return window.stillThisPage === true")
    assert api(owner, f"/api/v1/artifacts/{item['slug']}").json()["artifact"]["current_version_number"] == 2
    assert requests.get(item["share_url"] + "/content/notes.txt", timeout=helpers.HTTP_SECONDS).content == (
        b"the second version, longer"
    )
    console = [entry["message"] for entry in browser.get_log("browser")]
    assert not [message for message in console if "Content Security Policy" in message]


def test_given_a_new_api_key_then_curl_works_with_it_until_it_is_revoked(owner, browser):
    sign_in(browser, owner)
    browser.get(f"{owner['api_url']}/dashboard/account")
    element(browser, "key-label").send_keys("curl")
    element(browser, "create-key").click()
    key = element(browser, "new-key").text
    status, _, body = curl("-H", f"Authorization: Bearer {key}", f"{owner['api_url']}/api/v1/account")
    assert status == 200 and owner["email"] in body
    key_id = key.split("_")[1]
    from selenium.webdriver.common.by import By

    browser.find_element(By.CSS_SELECTOR, f'tr[data-key="{key_id}"] .revoke').click()
    shows(browser, "notice", "API key revoked.")
    status, _, body = curl("-H", f"Authorization: Bearer {key}", f"{owner['api_url']}/api/v1/account")
    assert status == 403 and "revoked" in body


def test_given_two_devices_when_one_signs_out_everywhere_then_neither_is_signed_in(owner, browser):
    phone = sign_in_with_requests(owner)
    sign_in(browser, owner)
    browser.get(f"{owner['api_url']}/dashboard/account")
    element(browser, "sign-out-everywhere").click()
    wait_for(lambda: browser.current_url.endswith("/login"), "the sign-in page")
    browser.get(f"{owner['api_url']}/dashboard")
    wait_for(lambda: browser.current_url.endswith("/login"), "the sign-in page again")
    assert phone.get(f"{owner['api_url']}/dashboard", timeout=helpers.HTTP_SECONDS).url.endswith("/login")


class _Attacker(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *_args):
        pass


def test_given_another_sites_page_when_it_posts_a_dashboard_form_then_nothing_changes(owner, browser):
    item = upload(owner, "target.png", png_bytes(20, 20), "image/png")
    sign_in(browser, owner)
    target = f"{owner['api_url']}/dashboard/items/{item['slug']}"
    _Attacker.page = (
        f'<form id="evil" method="post" action="{target}">'
        '<input name="action" value="rename"><input name="name" value="pwned.png"></form>'
        '<script>document.getElementById("evil").submit()</script>'
    ).encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Attacker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        # "localhost" is another site than the stack's 127.0.0.1: the browser labels the request so
        # (and, SameSite=Lax, sends no session cookie with it); the form has no CSRF token either way.
        host = "localhost" if urlsplit(owner["api_url"]).hostname != "localhost" else "127.0.0.1"
        browser.get(f"http://{host}:{server.server_address[1]}/")
        wait_for(lambda: urlsplit(browser.current_url).path.endswith(item["slug"]), "the forged form's answer")
        assert element(browser, "title").text in ("Not allowed", "Not found")
    finally:
        server.shutdown()
    assert api(owner, f"/v3/items/{item['slug']}").json()["name"] == "target.png"
    browser.get(target)  # still signed in: the forged request ended nothing
    assert element(browser, "name").text == "target.png"
