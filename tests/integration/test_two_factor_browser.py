"""Two-factor sign-in in real headless Chromium against the local stack: enrol from the account page
(the secret read from the page, the code computed as an authenticator app would), sign out, then sign
in with the password and a code, and with the password and a recovery code (which then works no more)."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.integration.conftest import admin
from tests.integration.helpers import element, submit_password, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def owner(stack):
    created = admin(stack, "create-user", "two-factor@example.com", "--generate-password")
    return {**stack, "email": created["email"], "password": created["password"]}


def code_step(driver, code: str) -> None:
    element(driver, "code").send_keys(code)
    element(driver, "verify").click()


def sign_out(driver, owner) -> None:
    element(driver, "sign-out").click()
    wait_for(lambda: driver.current_url.endswith("/login"), "the sign-in page after signing out")


def test_given_two_factor_turned_on_in_chromium_then_sign_in_takes_a_code_or_a_recovery_code(owner, browser):
    from selenium.webdriver.common.by import By

    submit_password(browser, owner)
    wait_for(lambda: browser.current_url.endswith("/dashboard"), "the dashboard: two-factor is off yet")
    browser.get(f"{owner['api_url']}/dashboard/account")
    element(browser, "two-factor").click()
    assert "off" in element(browser, "two-factor-state").text
    assert browser.find_element(By.CSS_SELECTOR, "#qr svg").size["width"] > 100  # drawn, not blocked
    secret = element(browser, "secret").text
    enrolled_at = time.time()
    element(browser, "enable-code").send_keys(pyotp.TOTP(secret).at(enrolled_at))
    element(browser, "turn-on").click()
    recovery = [
        code.text
        for code in wait_for(
            lambda: browser.find_elements(By.CSS_SELECTOR, "#recovery-codes code"), "the recovery codes"
        )
    ]
    assert len(recovery) == 10 and "on" in element(browser, "two-factor-state").text
    console = [entry["message"] for entry in browser.get_log("browser")]
    assert not [message for message in console if "Content Security Policy" in message]
    sign_out(browser, owner)

    # The password alone asks for a code. The enrolment used its step's code: this one is the next
    # step's (accepted a step early) or, if time went past it, the current one.
    submit_password(browser, owner)
    element(browser, "code")
    assert not browser.current_url.endswith("/dashboard") and browser.get_cookie("cs_session") is None
    code_step(browser, pyotp.TOTP(secret).at(max(time.time(), enrolled_at + 30)))
    wait_for(lambda: browser.current_url.endswith("/dashboard"), "the dashboard after the code")
    assert element(browser, "who").text == owner["email"]
    sign_out(browser, owner)

    submit_password(browser, owner)
    code_step(browser, recovery[0])
    wait_for(lambda: browser.current_url.endswith("/dashboard"), "the dashboard after a recovery code")
    sign_out(browser, owner)

    submit_password(browser, owner)
    code_step(browser, recovery[0])
    assert element(browser, "error").text == "Wrong code" and browser.get_cookie("cs_session") is None
