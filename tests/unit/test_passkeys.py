"""Passkeys: added from the account page and signing in alone, through each route's own function (IAM
enforced), with real attestation and assertion objects from a software authenticator (devtools/authenticator.py).
Challenges work once, only for their ceremony, site and user; a lower sign count (a clone) is refused; another
user's passkey cannot be removed; the per-user limit holds in the table."""

import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from cloudshare.services import accounts, passkeys
from devtools.authenticator import Authenticator
from tests.unit.dashboard_client import Browser
from tests.unit.helpers import TABLE

ORIGIN = "https://api.example.com"  # the unit tests' API Gateway domainName (tests/unit/apigw.py)
NOT_ACCEPTED = passkeys.NOT_ACCEPTED


@pytest.fixture
def owner(runner, user):
    browser = Browser(runner)
    browser.sign_in(user["email"], user["password"])
    return browser


def _json(response: dict) -> dict:
    return json.loads(response["body"])


def _json_post(browser: Browser, path: str, fields: dict | None = None) -> dict:
    return browser.post(path, fields, headers={"Accept": "application/json"})


def add_passkey(browser: Browser, authenticator: Authenticator, name: str = "Laptop", **forged) -> dict:
    options = _json_post(browser, "/dashboard/passkeys/options")
    assert options["statusCode"] == 200, options
    origin = forged.pop("origin", ORIGIN)
    credential = authenticator.create(options["body"], origin, **forged)
    return _json_post(browser, "/dashboard/passkeys", {"name": name, "credential": credential})


def passkey_sign_in(runner, authenticator: Authenticator, source: str = "198.51.100.9", **forged) -> tuple:
    browser = Browser(runner, source=source)
    browser.get("/login")
    options = _json_post(browser, "/login/passkey/options")
    assert options["statusCode"] == 200, options
    origin = forged.pop("origin", ORIGIN)
    credential = authenticator.get(options["body"], origin, **forged)
    return browser, _json_post(browser, "/login/passkey", {"credential": credential})


def _records(prefix: str) -> list[dict]:
    return boto3.client("dynamodb").scan(
        TableName=TABLE, FilterExpression="begins_with(PK, :p)", ExpressionAttributeValues={":p": {"S": prefix}}
    )["Items"]


def _passkey_count(user) -> int:
    key = {"PK": {"S": f"USER#{user['user'].user_id}"}, "SK": {"S": "PROFILE"}}
    profile = boto3.client("dynamodb").get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
    return int(profile.get("passkey_count", {"N": "0"})["N"])


def test_given_a_passkey_added_when_signing_in_with_it_alone_then_the_dashboard_opens(runner, owner, user):
    authenticator = Authenticator()
    added = add_passkey(owner, authenticator, "My laptop")
    assert added["statusCode"] == 200 and _json(added)["location"].endswith("/dashboard/account?done=passkey")
    account = owner.get("/dashboard/account?done=passkey")
    assert "Passkey added." in account["body"] and "My laptop" in account["body"]
    assert "never" in account["body"]  # not used yet

    browser, signed = passkey_sign_in(runner, authenticator)
    assert signed["statusCode"] == 200, signed
    assert _json(signed)["location"].endswith("/dashboard") and "cs_session" in browser.cookies
    page = browser.get("/dashboard")
    assert page["statusCode"] == 200 and user["email"] in page["body"]  # no code asked, even with two-factor
    assert "never" not in browser.get("/dashboard/account")["body"]  # last used: now


def test_given_sign_in_options_then_they_name_no_account_and_require_user_verification(runner):
    browser = Browser(runner)
    browser.get("/login")
    options = _json(_json_post(browser, "/login/passkey/options"))
    assert options["rpId"] == "api.example.com" and options["userVerification"] == "required"
    assert not options.get("allowCredentials")


def test_given_registration_options_then_a_discoverable_verified_passkey_is_asked(owner, user):
    options = _json(_json_post(owner, "/dashboard/passkeys/options"))
    selection = options["authenticatorSelection"]
    assert selection["residentKey"] == "required" and selection["userVerification"] == "required"
    assert options["user"]["name"] == user["email"] and options["attestation"] == "none"


def test_given_a_used_challenge_when_replayed_then_refused(runner, owner):
    authenticator = Authenticator()
    add_passkey(owner, authenticator)
    browser = Browser(runner)
    browser.get("/login")
    options = _json_post(browser, "/login/passkey/options")["body"]
    first = _json_post(browser, "/login/passkey", {"credential": authenticator.get(options, ORIGIN)})
    assert first["statusCode"] == 200
    again = _json_post(browser, "/login/passkey", {"credential": authenticator.get(options, ORIGIN)})
    assert again["statusCode"] == 403 and _json(again)["errors"]["message"] == NOT_ACCEPTED


def test_given_a_registration_challenge_when_used_to_sign_in_then_refused(runner, owner):
    authenticator = Authenticator()
    add_passkey(owner, authenticator)
    registration = _json_post(owner, "/dashboard/passkeys/options")["body"]
    forged = json.dumps({**json.loads(registration), "rpId": "api.example.com"})
    browser = Browser(runner)
    browser.get("/login")
    refused = _json_post(browser, "/login/passkey", {"credential": authenticator.get(forged, ORIGIN)})
    assert refused["statusCode"] == 403


@pytest.mark.parametrize(
    "forged",
    [{"origin": "https://evil.example"}, {"rp_id": "evil.example"}, {"verified": False}],
    ids=["another origin", "another RP id", "no user verification"],
)
def test_given_a_sign_in_for_another_site_or_unverified_then_refused_and_counted(runner, owner, forged):
    authenticator = Authenticator()
    add_passkey(owner, authenticator)
    browser, refused = passkey_sign_in(runner, authenticator, **forged)
    assert refused["statusCode"] == 403 and _json(refused)["errors"]["message"] == NOT_ACCEPTED
    assert "cs_session" not in browser.cookies
    assert _records("THROTTLE#source#")  # the failure was counted against the source


@pytest.mark.parametrize(
    "forged",
    [{"origin": "https://evil.example"}, {"rp_id": "evil.example"}, {"verified": False}],
    ids=["another origin", "another RP id", "no user verification"],
)
def test_given_a_registration_for_another_site_or_unverified_then_nothing_is_stored(owner, user, forged):
    refused = add_passkey(owner, Authenticator(), **forged)
    assert refused["statusCode"] == 403, refused
    assert not _records("PASSKEY#") and _passkey_count(user) == 0


def test_given_a_clone_with_a_lower_sign_count_when_signing_in_then_refused(runner, owner):
    authenticator = Authenticator()
    add_passkey(owner, authenticator)
    assert passkey_sign_in(runner, authenticator, sign_count=5)[1]["statusCode"] == 200
    _, clone = passkey_sign_in(runner, authenticator, sign_count=3)
    assert clone["statusCode"] == 403
    assert passkey_sign_in(runner, authenticator, sign_count=6)[1]["statusCode"] == 200


def test_given_a_clone_signing_in_at_the_same_time_with_the_same_count_then_only_one_passes(runner, owner):
    authenticator = Authenticator()
    add_passkey(owner, authenticator)
    # Two copies of one key answer two challenges with the same count: the conditional write takes one.
    browsers = [Browser(runner, source=f"198.51.100.{n}") for n in (31, 32)]
    assertions = []
    for browser in browsers:
        browser.get("/login")
        options = _json_post(browser, "/login/passkey/options")["body"]
        assertions.append(authenticator.get(options, ORIGIN, sign_count=5))
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(
                lambda pair: _json_post(pair[0], "/login/passkey", {"credential": pair[1]}),
                zip(browsers, assertions, strict=True),
            )
        )
    assert sorted(answer["statusCode"] for answer in answers) == [200, 403]


def test_given_another_users_passkey_answer_when_its_user_handle_is_changed_then_refused(runner, owner):
    authenticator = Authenticator()
    add_passkey(owner, authenticator)
    authenticator.credentials[0].user_handle = b"someone-else"
    assert passkey_sign_in(runner, authenticator)[1]["statusCode"] == 403


def test_given_an_unknown_passkey_then_the_same_refusal_as_a_wrong_one(runner, owner):
    stranger = Authenticator()
    options = json.dumps({"rp": {"id": "api.example.com"}, "user": {"id": "dW5rbm93bg"}, "challenge": "AAAA"})
    stranger.create(options, ORIGIN)
    _, refused = passkey_sign_in(runner, stranger)
    assert refused["statusCode"] == 403 and _json(refused)["errors"]["message"] == NOT_ACCEPTED


def test_given_another_users_registration_challenge_when_used_then_refused(runner, owner, user):
    options = _json_post(owner, "/dashboard/passkeys/options")["body"]
    other = Browser(runner, source="192.0.2.44")
    accounts.create_user("bob@example.com", "bob's long password", "free")
    other.sign_in("bob@example.com", "bob's long password")
    credential = Authenticator().create(options, ORIGIN)
    refused = _json_post(other, "/dashboard/passkeys", {"name": "stolen", "credential": credential})
    assert refused["statusCode"] == 403 and not _records("PASSKEY#")


def test_given_another_users_credential_id_when_registered_again_then_refused_and_theirs_kept(runner, owner, user):
    alice = Authenticator()
    add_passkey(owner, alice)
    accounts.create_user("bob@example.com", "bob's long password", "free")
    bob = Browser(runner, source="192.0.2.44")
    bob.sign_in("bob@example.com", "bob's long password")
    refused = add_passkey(bob, Authenticator(), credential_id=alice.credentials[0].credential_id)
    assert refused["statusCode"] == 422 and _json(refused)["errors"]["message"] == "This passkey is added already"
    assert [record["user_id"]["S"] for record in _records("PASSKEY#")] == [user["user"].user_id]
    assert passkey_sign_in(runner, alice)[1]["statusCode"] == 200  # still Alice's, with her key


def test_given_failed_passkey_sign_ins_then_the_source_is_held_back(runner, owner, frozen):
    authenticator = Authenticator()
    add_passkey(owner, authenticator)
    answers = [passkey_sign_in(runner, authenticator, origin="https://evil.example")[1] for _ in range(7)]
    assert [answer["statusCode"] for answer in answers][:5] == [403] * 5
    assert 429 in [answer["statusCode"] for answer in answers[5:]]
    held = passkey_sign_in(runner, authenticator)[1]  # even the right passkey waits its turn from there
    assert held["statusCode"] == 429 and held["multiValueHeaders"]["Retry-After"]


def test_given_a_passkey_when_removed_then_it_signs_in_no_more(runner, owner, user):
    authenticator = Authenticator()
    add_passkey(owner, authenticator)
    credential_id = _records("PASSKEY#")[0]["PK"]["S"].removeprefix("PASSKEY#")
    removed = owner.post(f"/dashboard/passkeys/{credential_id}/remove")
    assert removed["statusCode"] == 303 and removed["multiValueHeaders"]["Location"][0].endswith(
        "/dashboard/account?done=passkey-removed"
    )
    assert not _records("PASSKEY#") and _passkey_count(user) == 0
    assert passkey_sign_in(runner, authenticator)[1]["statusCode"] == 403


def test_given_another_users_passkey_when_removing_it_then_not_found_and_kept(runner, owner, user):
    add_passkey(owner, Authenticator())
    credential_id = _records("PASSKEY#")[0]["PK"]["S"].removeprefix("PASSKEY#")
    accounts.create_user("bob@example.com", "bob's long password", "free")
    bob = Browser(runner, source="192.0.2.44")
    bob.sign_in("bob@example.com", "bob's long password")
    refused = bob.post(f"/dashboard/passkeys/{credential_id}/remove")
    assert refused["statusCode"] == 404
    assert len(_records("PASSKEY#")) == 1 and _passkey_count(user) == 1


def test_given_the_limit_when_one_more_is_added_then_refused_even_concurrently(runner, owner, user, monkeypatch):
    monkeypatch.setattr(passkeys, "MAX_PASSKEYS", 2)
    authenticator = Authenticator()
    # Three registrations whose options were all fetched below the limit: the table lets two through.
    options = [_json_post(owner, "/dashboard/passkeys/options")["body"] for _ in range(3)]
    credentials = [authenticator.create(each, ORIGIN) for each in options]
    with ThreadPoolExecutor(3) as pool:
        answers = list(
            pool.map(lambda c: _json_post(owner, "/dashboard/passkeys", {"name": "k", "credential": c}), credentials)
        )
    assert sorted(answer["statusCode"] for answer in answers) == [200, 200, 403]
    assert len(_records("PASSKEY#")) == 2 and _passkey_count(user) == 2
    assert _json_post(owner, "/dashboard/passkeys/options")["statusCode"] == 403


@pytest.mark.parametrize(
    "credential",
    ["", "not json", "[]", '{"rawId": 5}', '{"response": {"clientDataJSON": "%%%"}}', "{" + '"a":' * 10 + "1}"],
)
def test_given_junk_credentials_then_a_clear_refusal_and_nothing_stored(runner, owner, credential):
    added = _json_post(owner, "/dashboard/passkeys", {"credential": credential})
    assert added["statusCode"] in (403, 422) and _json(added)["errors"]["message"]
    browser = Browser(runner)
    browser.get("/login")
    signed = _json_post(browser, "/login/passkey", {"credential": credential})
    assert signed["statusCode"] in (403, 422) and _json(signed)["errors"]["message"]
    assert not _records("PASSKEY#") and "cs_session" not in browser.cookies


def test_given_no_sign_in_form_token_then_passkey_sign_in_is_refused(runner, owner):
    authenticator = Authenticator()
    add_passkey(owner, authenticator)
    browser = Browser(runner)
    browser.get("/login")
    options = _json_post(browser, "/login/passkey/options")["body"]
    browser.cookies.pop("cs_login")
    refused = _json_post(browser, "/login/passkey", {"credential": authenticator.get(options, ORIGIN)})
    assert refused["statusCode"] == 403 and "cs_session" not in browser.cookies


def test_given_the_pages_then_the_passkey_script_is_served_and_allowed_by_the_policy(runner, owner):
    login = Browser(runner).get("/login")
    policy = login["multiValueHeaders"]["Content-Security-Policy"][0]
    assert "script-src 'self'" in policy and "/scripts/passkeys.js" in login["body"]
    assert "<script>" not in login["body"] and "nonce-" not in policy.split("script-src")[1]
    script = Browser(runner).get("/scripts/passkeys.js")
    assert script["statusCode"] == 200 and "navigator.credentials.create" in script["body"]
    assert script["multiValueHeaders"]["Content-Type"][0].startswith("text/javascript")
