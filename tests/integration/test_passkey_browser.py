"""Passkeys in real headless Chromium with its virtual authenticator (CDP's WebAuthn domain: CTAP2, internal
transport, resident keys, user verification) against the local stack: add a passkey from the account page,
sign out, sign in with the passkey alone, and remove it.

WebAuthn needs a secure context and a host name for the relying party: http://localhost is one, 127.0.0.1
is not a valid RP id. So this module runs its own stack on `localhost`, whose pages, links and the origin
the browser reports all name that host."""

from __future__ import annotations

import pytest

from devtools.stack import start_stack, stop_stack
from tests.integration.conftest import FAILURES_BEFORE_BACKOFF, admin
from tests.integration.helpers import element, sign_in, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def localhost_stack(tmp_path_factory):
    process, credentials = start_stack(
        tmp_path_factory.mktemp("passkey-stack"),
        "--host",
        "localhost",
        "--failures-before-backoff",
        FAILURES_BEFORE_BACKOFF,
    )
    yield credentials
    stop_stack(process)


@pytest.fixture(scope="module")
def owner(localhost_stack):
    assert localhost_stack["api_url"].startswith("http://localhost:")
    created = admin(localhost_stack, "create-user", "passkey@example.com", "--generate-password")
    return {**localhost_stack, "email": created["email"], "password": created["password"]}


@pytest.fixture
def authenticator(browser):
    """A platform authenticator that holds discoverable passkeys and verifies its user at once."""
    browser.execute_cdp_cmd("WebAuthn.enable", {"enableUI": False})
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    found = browser.execute_cdp_cmd("WebAuthn.addVirtualAuthenticator", {"options": options})
    yield found["authenticatorId"]
    browser.execute_cdp_cmd("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": found["authenticatorId"]})
    browser.execute_cdp_cmd("WebAuthn.disable", {})


def _after_ceremony(driver, url_part: str, what: str) -> None:
    """Waits for the page the script goes to next; a refusal the script shows fails at once, with its words."""

    def shown_error() -> str:
        from selenium.webdriver.common.by import By

        found = driver.find_elements(By.ID, "passkey-error")
        return found[0].text if found and found[0].is_displayed() else ""

    wait_for(lambda: url_part in driver.current_url or shown_error(), what)
    assert url_part in driver.current_url, (shown_error(), driver.get_log("browser"))


def _passkey_rows(driver) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "#passkeys tbody tr")


def test_given_a_passkey_added_in_chromium_then_it_signs_in_alone_and_can_be_removed(owner, browser, authenticator):
    from selenium.webdriver.common.by import By

    sign_in(browser, owner)
    browser.get(f"{owner['api_url']}/dashboard/account")
    assert not _passkey_rows(browser)
    element(browser, "passkey-name").send_keys("Chromium's authenticator")
    element(browser, "add-passkey").click()
    _after_ceremony(browser, "done=passkey", "the account page after adding the passkey")
    assert element(browser, "notice").text == "Passkey added."
    rows = wait_for(lambda: _passkey_rows(browser), "the passkey in the list")
    assert "Chromium's authenticator" in rows[0].text and "never" in rows[0].text
    stored = browser.execute_cdp_cmd("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(stored) == 1 and stored[0]["isResidentCredential"] and stored[0]["rpId"] == "localhost"

    element(browser, "sign-out").click()
    wait_for(lambda: browser.current_url.endswith("/login"), "the sign-in page after signing out")
    assert browser.get_cookie("cs_session") is None

    # Neither the e-mail nor the password: the passkey alone.
    element(browser, "passkey-sign-in").click()
    _after_ceremony(browser, "/dashboard", "the dashboard after the passkey")
    assert element(browser, "who").text == owner["email"]
    assert (
        browser.execute_cdp_cmd("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"][0][
            "signCount"
        ]
        >= 1
    )

    browser.get(f"{owner['api_url']}/dashboard/account")
    row = wait_for(lambda: _passkey_rows(browser), "the passkey in the list")[0]
    assert "never" not in row.text  # last used: just now
    row.find_element(By.CSS_SELECTOR, "button.remove-passkey").click()
    wait_for(lambda: "done=passkey-removed" in browser.current_url, "the account page after the removal")
    assert element(browser, "notice").text == "Passkey removed." and not _passkey_rows(browser)

    # The authenticator still holds it, but the service no longer knows it.
    element(browser, "sign-out").click()
    wait_for(lambda: browser.current_url.endswith("/login"), "the sign-in page")
    element(browser, "passkey-sign-in").click()
    refusal = wait_for(lambda: element(browser, "passkey-error").text, "the refusal")
    assert "not accepted" in refusal and browser.get_cookie("cs_session") is None
    console = [entry["message"] for entry in browser.get_log("browser")]
    assert not [message for message in console if "Content Security Policy" in message]
