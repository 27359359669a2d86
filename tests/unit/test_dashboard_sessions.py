"""Dashboard sign-in: session cookies stored hashed with a TTL, CSRF tokens per session, Digest's
backoff for wrong passwords, answers that do not tell which e-mails exist, and a cookie that never
opens the JSON APIs."""

import hashlib
import re

import boto3

from cloudshare.services import clock, sessions, throttle
from cloudshare.store import items
from tests.unit.apigw import challenges, digest_header, event
from tests.unit.dashboard_client import Browser, cookie_header, location
from tests.unit.helpers import TABLE, ready_file


def _records(prefix: str) -> list[dict]:
    return boto3.client("dynamodb").scan(
        TableName=TABLE, FilterExpression="begins_with(PK, :p)", ExpressionAttributeValues={":p": {"S": prefix}}
    )["Items"]


def _without_tokens(page: str) -> str:
    """A page with its per-response nonce and form token blanked out."""
    return re.sub(r'(nonce|value)="[^"]*"', "", page)


def test_given_the_right_password_then_a_hashed_session_and_a_locked_down_cookie(runner, user):
    browser = Browser(runner)
    response = browser.sign_in(user["email"], user["password"])
    assert response["statusCode"] == 303 and location(response) == "https://api.example.com/dashboard"
    cookie = cookie_header(response)
    assert cookie.startswith("cs_session=") and {"HttpOnly", "SameSite=Lax", "Secure", "Path=/"} <= set(
        part.strip() for part in cookie.split(";")
    )
    token = browser.cookies["cs_session"]
    [record] = _records("SESSION#")
    # Only the hash is stored, with the TTL attribute the table expires records by.
    assert record["PK"]["S"] == f"SESSION#{hashlib.sha256(token.encode()).hexdigest()}"
    assert token not in str(record) and int(record["expires_at"]["N"]) > clock.now()
    page = browser.get("/dashboard")
    assert page["statusCode"] == 200 and user["email"] in page["body"]


def test_given_a_wrong_password_or_an_unknown_email_then_the_same_refusal(runner, user):
    wrong = Browser(runner).sign_in(user["email"], "not the password")
    unknown = Browser(runner, source="203.0.113.8").sign_in("nobody@example.com", "not the password")
    junk = Browser(runner, source="203.0.113.9").sign_in("x" * 5000, "not the password")
    for refused in (wrong, unknown, junk):
        assert refused["statusCode"] == 403 and "Wrong e-mail or password" in refused["body"]
        assert "cs_session" not in str(refused["multiValueHeaders"].get("Set-Cookie", []))
    assert _without_tokens(wrong["body"]) == _without_tokens(unknown["body"]) == _without_tokens(junk["body"])
    assert not _records("SESSION#")


def test_given_a_sign_in_form_without_its_own_token_then_403_and_no_session(runner, user):
    """Another site's page cannot sign a browser in to an account of its choosing (login CSRF)."""
    browser = Browser(runner)
    refused = browser.post("/login", {"email": user["email"], "password": user["password"]}, csrf=False)
    assert refused["statusCode"] == 403 and not _records("SESSION#")


def test_given_many_wrong_passwords_then_429_and_the_account_is_held_for_digest_too(runner, user, frozen):
    """The form and HTTP Digest count wrong passwords against the same account (services/throttle.py)."""
    browser = Browser(runner)
    statuses = [browser.sign_in(user["email"], f"guess {n}")["statusCode"] for n in range(10)]
    free = throttle.free_failures() + 1
    assert statuses == [403] * free + [429] * (10 - free)
    held = browser.sign_in(user["email"], user["password"])
    assert held["statusCode"] == 429 and int(held["multiValueHeaders"]["Retry-After"][0]) >= 1
    assert "Too many failed attempts" in held["body"]
    request = event("/v3/account")
    request["requestContext"]["identity"]["sourceIp"] = browser.source
    challenge = next(c for c in challenges(runner.call("V3AccountFunction", request)) if "SHA-256," in c)
    request["headers"]["Authorization"] = digest_header(
        challenge, user["email"], user["password"], "GET", "/v3/account"
    )
    request["multiValueHeaders"]["Authorization"] = [request["headers"]["Authorization"]]
    assert runner.call("V3AccountFunction", request)["statusCode"] == 429
    frozen[0] += 60 * 60 * 2  # the windows have passed
    assert browser.sign_in(user["email"], user["password"])["statusCode"] == 303


def test_given_a_session_cookie_then_the_json_apis_do_not_accept_it(runner, user):
    browser = Browser(runner)
    browser.sign_in(user["email"], user["password"])
    for function, path in (("V3AccountFunction", "/v3/account"), ("V1AccountFunction", "/api/v1/account")):
        request = event(path, headers={"Cookie": f"cs_session={browser.cookies['cs_session']}"})
        assert runner.call(function, request)["statusCode"] == 401


def test_given_a_form_without_the_sessions_csrf_token_then_403_and_nothing_changes(runner, user):
    item = ready_file(user["user"])
    browser, other = Browser(runner), Browser(runner)
    browser.sign_in(user["email"], user["password"])
    other.sign_in(user["email"], user["password"])  # another session of the same user: another token
    browser.get(f"/dashboard/items/{item.slug}")
    change = {"action": "rename", "name": "hijacked.txt"}
    assert browser.post(f"/dashboard/items/{item.slug}", change, csrf=False)["statusCode"] == 403
    assert (
        browser.post(f"/dashboard/items/{item.slug}", {**change, "csrf": other.csrf}, csrf=False)["statusCode"] == 403
    )
    cross_site = browser.post(f"/dashboard/items/{item.slug}", change, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site["statusCode"] == 403
    assert items.get(item.slug).name == item.name
    done = browser.post(f"/dashboard/items/{item.slug}", change)
    assert done["statusCode"] == 303 and items.get(item.slug).name == "hijacked.txt"


def test_given_no_session_then_pages_send_to_login_and_forms_are_refused(runner, user):
    item = ready_file(user["user"])
    browser = Browser(runner)
    assert location(browser.get("/dashboard")) == "https://api.example.com/login"
    browser.cookies["cs_session"] = "forged"
    assert browser.get(f"/dashboard/items/{item.slug}")["statusCode"] == 303
    assert browser.post(f"/dashboard/items/{item.slug}/delete", {"csrf": "x"})["statusCode"] == 403
    assert items.get(item.slug).deleted_at is None


def test_given_a_session_past_its_lifetime_then_it_no_longer_signs_in(runner, user, frozen):
    """The table's TTL removes records late: the expiry is checked on every request."""
    browser = Browser(runner)
    browser.sign_in(user["email"], user["password"])
    frozen[0] += sessions.SESSION_SECONDS - 1
    assert browser.get("/dashboard")["statusCode"] == 200
    frozen[0] += 1
    assert location(browser.get("/dashboard")).endswith("/login")


def test_given_sign_out_then_that_cookie_is_dead_even_if_kept(runner, user):
    browser = Browser(runner)
    browser.sign_in(user["email"], user["password"])
    kept = browser.cookies["cs_session"]
    browser.get("/dashboard")
    response = browser.post("/logout")
    assert response["statusCode"] == 303 and "Max-Age=0" in cookie_header(response)
    browser.cookies["cs_session"] = kept
    assert location(browser.get("/dashboard")).endswith("/login")


def test_given_two_browsers_when_one_signs_out_everywhere_then_both_are_signed_out(runner, user):
    laptop, phone = Browser(runner), Browser(runner, source="198.51.100.4")
    laptop.sign_in(user["email"], user["password"])
    phone.sign_in(user["email"], user["password"])
    account = laptop.get("/dashboard/account")
    assert account["body"].count("<tr><td>") == 2 and "198.51.100.4" in account["body"]
    assert laptop.post("/dashboard/sessions/end")["statusCode"] == 303
    for browser in (laptop, phone):
        assert location(browser.get("/dashboard")).endswith("/login")
    assert not _records("SESSION#")
