"""Two-factor sign-in: enrolment confirmed by a code, the code step after the password, codes that
work once (TOTP steps and recovery codes), the password backoff for wrong codes, turning it off, new
recovery codes; and no one else's session or pending sign-in can touch it."""

import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import boto3
import pyotp
import pytest

from cloudshare.services import accounts, clock, throttle
from cloudshare_admin import main as admin
from tests.unit.dashboard_client import Browser, code_step, enrol, location, password_step, recovery_codes, totp_code
from tests.unit.helpers import TABLE


@pytest.fixture
def frozen(monkeypatch):
    """A clock the test moves: 10 s into a 30-second step, so that ±1 step is unambiguous."""
    now = [float(int(clock.now()) // 30 * 30 + 10)]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    return now


@pytest.fixture
def signed_in(runner, user):
    browser = Browser(runner)
    browser.sign_in(user["email"], user["password"])
    return browser


def _profile(user) -> dict:
    key = {"PK": {"S": f"USER#{user['user'].user_id}"}, "SK": {"S": "PROFILE"}}
    return boto3.client("dynamodb").get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]


def _records(prefix: str) -> list[dict]:
    return boto3.client("dynamodb").scan(
        TableName=TABLE, FilterExpression="begins_with(PK, :p)", ExpressionAttributeValues={":p": {"S": prefix}}
    )["Items"]


def test_given_the_two_factor_page_then_a_qr_code_inline_and_the_secret_as_text(signed_in, user):
    page = signed_in.get("/dashboard/two-factor")
    assert page["statusCode"] == 200 and 'id="two-factor-state">Two-factor sign-in is <strong>off' in page["body"]
    secret = re.search(r'id="secret">([A-Z2-7]{32})<', page["body"]).group(1)
    # Inline SVG: no image request and no inline style for the CSP to refuse.
    qr = page["body"].split('id="qr"')[1].split("</div>")[0]
    assert "<svg" in qr and "<path" in qr and "style=" not in qr and "href" not in qr
    assert "img-src 'self' data: https:" in page["multiValueHeaders"]["Content-Security-Policy"][0]
    # Nothing is stored before a code confirms the secret, and each visit offers a new one.
    assert "totp_secret" not in _profile(user) and secret not in str(_records(""))
    assert secret not in signed_in.get("/dashboard/two-factor")["body"]
    assert "/dashboard/two-factor" in signed_in.get("/dashboard/account")["body"]


def test_given_a_wrong_confirmation_code_then_it_stays_off_and_the_same_secret_is_offered(signed_in, user, frozen):
    page = signed_in.get("/dashboard/two-factor")
    secret = re.search(r'id="secret">([A-Z2-7]{32})<', page["body"]).group(1)
    wrong = str((int(totp_code(secret, frozen[0])) + 1) % 1_000_000).zfill(6)
    refused = signed_in.post("/dashboard/two-factor", {"action": "enable", "secret": secret, "code": wrong})
    assert refused["statusCode"] == 403 and "Wrong code" in refused["body"]
    assert f'id="secret">{secret}<' in refused["body"] and "totp_secret" not in _profile(user)


def test_given_enrolment_then_ten_recovery_codes_shown_once_and_stored_as_hashes(signed_in, user, frozen):
    secret, codes = enrol(signed_in, frozen[0])
    assert len(codes) == len(set(codes)) == 10
    profile = _profile(user)
    assert profile["totp_secret"]["S"] == secret and len(profile["totp_recovery"]["SS"]) == 10
    assert not any(code in str(profile) or code.replace("-", "") in str(profile) for code in codes)
    again = signed_in.get("/dashboard/two-factor")
    assert "Two-factor sign-in is <strong>on" in again["body"] and 'id="recovery-left">10<' in again["body"]
    assert secret not in again["body"] and not any(code in again["body"] for code in codes)
    # Enrolling again over it is refused and changes nothing.
    other = pyotp.random_base32(32)
    refused = signed_in.post(
        "/dashboard/two-factor", {"action": "enable", "secret": other, "code": totp_code(other, frozen[0])}
    )
    assert refused["statusCode"] == 422 and _profile(user)["totp_secret"]["S"] == secret


def test_given_two_factor_on_then_the_password_alone_gives_no_session_and_a_code_does(runner, signed_in, user, frozen):
    secret, _ = enrol(signed_in, frozen[0])
    frozen[0] += 30
    browser = Browser(runner, source="198.51.100.20")
    asked = password_step(browser, user["email"], user["password"])
    assert asked["statusCode"] == 200 and 'id="code"' in asked["body"] and "cs_session" not in browser.cookies
    [pending] = _records("SIGNIN#")
    token = re.search(r'name="pending" value="([^"]+)"', asked["body"]).group(1)
    assert pending["PK"]["S"] == f"SIGNIN#{hashlib.sha256(token.encode()).hexdigest()}"
    assert browser.get("/dashboard")["statusCode"] == 303  # no session yet: back to /login
    signed = code_step(browser, asked, totp_code(secret, frozen[0]))
    assert signed["statusCode"] == 303 and location(signed).endswith("/dashboard") and "cs_session" in browser.cookies
    assert browser.get("/dashboard")["statusCode"] == 200
    # The pending sign-in ended with its session: it cannot make a second one.
    frozen[0] += 30
    reused = code_step(browser, asked, totp_code(secret, frozen[0]))
    assert reused["statusCode"] == 403 and "sign in again" in reused["body"] and not _records("SIGNIN#")


def test_given_a_code_used_once_then_it_is_refused_again_and_so_are_older_ones(runner, signed_in, user, frozen):
    secret, _ = enrol(signed_in, frozen[0])
    frozen[0] += 60
    used = totp_code(secret, frozen[0])
    browser = Browser(runner, source="198.51.100.21")
    assert code_step(browser, password_step(browser, user["email"], user["password"]), used)["statusCode"] == 303
    replay = Browser(runner, source="198.51.100.22")
    refused = code_step(replay, password_step(replay, user["email"], user["password"]), used)
    assert refused["statusCode"] == 403 and "Wrong code" in refused["body"] and "cs_session" not in replay.cookies
    # The previous step's code is within the window, but older than the one used: refused too.
    older = code_step(replay, password_step(replay, user["email"], user["password"]), totp_code(secret, frozen[0] - 30))
    assert older["statusCode"] == 403
    # The next step's code works.
    frozen[0] += 30
    assert (
        code_step(replay, password_step(replay, user["email"], user["password"]), totp_code(secret, frozen[0]))[
            "statusCode"
        ]
        == 303
    )


def test_given_codes_a_step_either_side_then_accepted_and_two_steps_off_refused(runner, signed_in, user, frozen):
    secret, _ = enrol(signed_in, frozen[0])
    frozen[0] += 300
    browser = Browser(runner, source="198.51.100.23")
    for offset, expected in ((-60, 403), (60, 403), (-30, 303), (30, 303)):
        answer = code_step(
            browser, password_step(browser, user["email"], user["password"]), totp_code(secret, frozen[0] + offset)
        )
        assert answer["statusCode"] == expected, offset


def test_given_a_recovery_code_then_it_signs_in_once(runner, signed_in, user, frozen):
    _, codes = enrol(signed_in, frozen[0])
    browser = Browser(runner, source="198.51.100.24")
    typed = codes[0].upper().replace("-", " ")  # as people type it
    assert code_step(browser, password_step(browser, user["email"], user["password"]), typed)["statusCode"] == 303
    again = Browser(runner, source="198.51.100.25")
    refused = code_step(again, password_step(again, user["email"], user["password"]), codes[0])
    assert refused["statusCode"] == 403 and "Wrong code" in refused["body"]
    assert code_step(again, password_step(again, user["email"], user["password"]), codes[1])["statusCode"] == 303
    assert 'id="recovery-left">8<' in signed_in.get("/dashboard/two-factor")["body"]


def test_given_many_wrong_codes_then_429_with_retry_after_even_for_the_right_code(runner, signed_in, user, frozen):
    secret, _ = enrol(signed_in, frozen[0])
    frozen[0] += 30
    browser = Browser(runner, source="198.51.100.26")
    asked = password_step(browser, user["email"], user["password"])
    right = totp_code(secret, frozen[0])
    wrong = [str(n).zfill(6) for n in range(12) if str(n).zfill(6) != right][:10]
    statuses = [code_step(browser, asked, guess)["statusCode"] for guess in wrong]
    free = throttle.free_failures() + 1
    assert statuses == [403] * free + [429] * (10 - free)
    held = code_step(browser, asked, right)
    assert held["statusCode"] == 429 and int(held["multiValueHeaders"]["Retry-After"][0]) >= 1
    assert "Too many failed attempts" in held["body"] and "cs_session" not in browser.cookies
    # Past the hold, the right code (the next step's: nothing was used yet) signs in.
    frozen[0] += throttle.TARGET_CAP_SECONDS + 1
    assert code_step(browser, asked, totp_code(secret, frozen[0]))["statusCode"] == 303


@pytest.mark.parametrize("proof", ["code", "password"])
def test_given_a_current_code_or_the_password_then_it_turns_off(runner, signed_in, user, frozen, proof):
    secret, _ = enrol(signed_in, frozen[0])
    frozen[0] += 30
    refused = signed_in.post("/dashboard/two-factor", {"action": "disable", "password": "not the password"})
    assert refused["statusCode"] == 403 and "Wrong code or password" in refused["body"]
    assert "totp_secret" in _profile(user)
    fields = {"code": totp_code(secret, frozen[0])} if proof == "code" else {"password": user["password"]}
    off = signed_in.post("/dashboard/two-factor", {"action": "disable", **fields})
    assert off["statusCode"] == 303 and location(off).endswith("/dashboard/two-factor?done=off")
    done = urlsplit(location(off))
    assert "Two-factor sign-in is off." in signed_in.get(f"{done.path}?{done.query}")["body"]
    assert not {"totp_secret", "totp_step", "totp_recovery"} & set(_profile(user))
    browser = Browser(runner, source="198.51.100.27")
    assert browser.sign_in(user["email"], user["password"])["statusCode"] == 303


def test_given_new_recovery_codes_then_the_old_ones_stop_and_the_new_ones_work(runner, signed_in, user, frozen):
    _, old = enrol(signed_in, frozen[0])
    made = signed_in.post("/dashboard/two-factor", {"action": "recovery-codes", "password": user["password"]})
    new = recovery_codes(made)
    assert made["statusCode"] == 200 and len(new) == 10 and not set(new) & set(old)
    browser = Browser(runner, source="198.51.100.28")
    assert code_step(browser, password_step(browser, user["email"], user["password"]), old[2])["statusCode"] == 403
    assert code_step(browser, password_step(browser, user["email"], user["password"]), new[2])["statusCode"] == 303


def test_given_another_users_session_then_it_cannot_see_or_change_this_two_factor(runner, signed_in, user, frozen):
    secret, codes = enrol(signed_in, frozen[0])
    accounts.create_user("mallory@example.com", "mallory password", "free")
    mallory = Browser(runner, source="198.51.100.29")
    mallory.sign_in("mallory@example.com", "mallory password")
    page = mallory.get("/dashboard/two-factor")
    assert "Two-factor sign-in is <strong>off" in page["body"] and secret not in page["body"]
    frozen[0] += 30
    for fields in (
        {"action": "disable", "password": "mallory password"},
        {"action": "disable", "code": totp_code(secret, frozen[0])},
        {"action": "recovery-codes", "code": codes[0]},
    ):
        assert mallory.post("/dashboard/two-factor", fields)["statusCode"] == 422  # hers is off
    profile = _profile(user)
    assert profile["totp_secret"]["S"] == secret and len(profile["totp_recovery"]["SS"]) == 10
    # Nor can her own pending sign-in be completed with this user's codes.
    enrol(mallory, frozen[0])
    asked = password_step(mallory, "mallory@example.com", "mallory password")
    for code in (codes[1], totp_code(secret, frozen[0])):
        assert code_step(mallory, asked, code)["statusCode"] == 403
    assert 'id="recovery-left">10<' in signed_in.get("/dashboard/two-factor")["body"]
    # Nor can a form posted without this session's CSRF token.
    forged = signed_in.post("/dashboard/two-factor", {"action": "disable", "password": user["password"]}, csrf=False)
    assert forged["statusCode"] == 403 and "totp_secret" in _profile(user)


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "enable", "secret": "not base32!", "code": "123456"},
        {"action": "enable", "secret": "A" * 32 + "<script>", "code": "123456"},
        {"action": "explode"},
        {"action": "disable"},
    ],
)
def test_given_a_malformed_two_factor_form_then_a_clear_4xx_page_and_nothing_changes(signed_in, user, fields):
    answer = signed_in.post("/dashboard/two-factor", fields)
    assert 400 <= answer["statusCode"] < 500 and "<script>" not in answer["body"], answer
    assert "totp_secret" not in _profile(user)


@pytest.mark.parametrize("pending", ["", "x" * 5000, "forged-pending-sign-in", "a.b.c"])
def test_given_a_forged_or_missing_pending_sign_in_then_back_to_the_password_and_no_session(runner, user, pending):
    browser = Browser(runner)
    browser.get("/login")
    answer = browser.post("/login/two-factor", {"pending": pending, "code": "123456"})
    assert answer["statusCode"] == 403 and 'id="password"' in answer["body"] and "sign in again" in answer["body"]
    assert not _records("SESSION#")


def test_given_a_code_step_without_the_sign_in_forms_token_then_refused(runner, signed_in, user, frozen):
    secret, _ = enrol(signed_in, frozen[0])
    frozen[0] += 30
    browser = Browser(runner, source="198.51.100.30")
    asked = password_step(browser, user["email"], user["password"])
    browser.cookies.pop("cs_login")  # another site's page posting a pending sign-in it made itself
    answer = code_step(browser, asked, totp_code(secret, frozen[0]))
    assert answer["statusCode"] == 403 and "cs_session" not in browser.cookies


@pytest.mark.parametrize("code", ["١٢٣٤٥٦", "１２３４５６", "1234567", "x" * 5000])
def test_given_a_code_that_is_not_six_ascii_digits_then_wrong_code_not_an_error(runner, signed_in, user, frozen, code):
    enrol(signed_in, frozen[0])
    browser = Browser(runner, source="198.51.100.31")
    answer = code_step(browser, password_step(browser, user["email"], user["password"]), code)
    assert answer["statusCode"] == 403 and "Wrong code" in answer["body"] and "cs_session" not in browser.cookies
    refused = signed_in.post("/dashboard/two-factor", {"action": "disable", "code": code})
    assert refused["statusCode"] in (403, 422) and "totp_secret" in _profile(user)


@pytest.mark.parametrize("kind", ["code", "recovery code"])
def test_given_one_code_sent_by_many_sign_ins_at_once_then_exactly_one_gets_a_session(
    runner, signed_in, user, frozen, kind
):
    secret, codes = enrol(signed_in, frozen[0])
    frozen[0] += 30
    code = totp_code(secret, frozen[0]) if kind == "code" else codes[0]
    browsers = [Browser(runner, source=f"198.51.100.{40 + n}") for n in range(6)]
    asked = [password_step(browser, user["email"], user["password"]) for browser in browsers]
    with ThreadPoolExecutor(len(browsers)) as pool:
        answers = list(pool.map(lambda pair: code_step(*pair, code), zip(browsers, asked, strict=True)))
    assert sorted(answer["statusCode"] for answer in answers) == [303] + [403] * (len(browsers) - 1)
    assert len(_records("SESSION#")) == 2  # the enrolling browser's, and the one winner's


def test_given_an_owner_who_lost_both_factors_then_the_operator_turns_two_factor_off(
    runner, signed_in, user, frozen, capsys
):
    enrol(signed_in, frozen[0])
    admin.main(["--table", TABLE, "turn-off-two-factor", user["email"]])
    assert json.loads(capsys.readouterr().out) == {"email": user["email"], "two_factor_was_on": True}
    assert not {"totp_secret", "totp_step", "totp_recovery"} & set(_profile(user))
    assert Browser(runner, source="198.51.100.50").sign_in(user["email"], user["password"])["statusCode"] == 303
    admin.main(["--table", TABLE, "turn-off-two-factor", user["email"]])
    assert json.loads(capsys.readouterr().out)["two_factor_was_on"] is False
