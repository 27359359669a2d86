"""No secret reaches a log line or a trace: passwords, API keys, Digest answers, grants, presigned URLs.

Real flows run through the handlers at DEBUG level while the process's stdout (where Powertools
writes its JSON lines) is captured, or while the real X-Ray SDK traces into memory every segment it
would send to the daemon (metadata and annotations included); then both are searched for each secret.
"""

import io
import json
import logging
from urllib.parse import quote

import pytest

from cloudshare.observability import logger
from cloudshare.services import accounts, clock
from cloudshare.services.passwords import hash_password
from devtools.runner import InProcessRunner
from tests.unit import dashboard_client as two_factor
from tests.unit import public_helpers as public
from tests.unit.apigw import bearer, body, challenges, digest_header, event
from tests.unit.dashboard_client import Browser

PASSWORD = "correct horse battery"
ITEM_PASSWORD = "item-password-7d1f"
SIGNATURE_MARKS = ("X-Amz-Signature", "x-amz-signature", "Signature=", "X-Amz-Credential")


def exercise_every_kind_of_secret(runner, user) -> dict[str, str]:
    """Flows that carry each kind of secret through the handlers; returns the secrets, by name."""
    owner = accounts.set_plan(user["email"], "pro")
    key = user["api_key"]
    # Digest: a challenge, then an answer made from the password.
    probe = runner.call("V3AccountFunction", event("/v3/account"))
    answer = digest_header(challenges(probe)[0], user["email"], PASSWORD, "GET", "/v3/account")
    assert (
        runner.call("V3AccountFunction", event("/v3/account", headers={"Authorization": answer}))["statusCode"] == 200
    )
    # An API key, a presigned POST, a wrong key.
    created = body(
        runner.call(
            "V3CreateItemFunction",
            event(
                "/v3/items",
                "POST",
                {**bearer(key), "Content-Type": "application/json"},
                json.dumps({"name": "secret.png", "file_size": 10}),
            ),
        )
    )
    runner.call("V3AccountFunction", event("/v3/account", headers=bearer(key[:-4] + "AAAA")))
    # A password-protected item behind its long link: wrong and right passwords, a grant, a presigned GET.
    item = public.shared_file(owner, "notes.txt", b"hello", "text/plain")
    item = public.change(item, password_hash=hash_password(ITEM_PASSWORD))
    code = public.code(item)
    for attempt in ("wrong-password", ITEM_PASSWORD):
        unlocked = runner.call(
            "PublicFunction",
            public.request(
                f"/{code}/unlock",
                method="POST",
                accept="application/json",
                headers={"Content-Type": "application/json"},
                body=json.dumps({"password": attempt}),
            ),
        )
    grant = body(unlocked)["grant"]
    download = runner.call(
        "PublicFunction",
        public.request(
            f"/{code}/download/{quote(item.name)}", headers={"Cookie": f"{body(unlocked)['cookie']}={grant}"}
        ),
    )
    location = public.header(download, "Location")
    # The dashboard: a wrong then the right password through the form, the session cookie, its CSRF
    # token, a new API key shown once.
    browser = Browser(runner)
    browser.sign_in(user["email"], "wrong-dashboard-password")
    browser.sign_in(user["email"], PASSWORD)
    shown = browser.post("/dashboard/keys", {"label": "hygiene"})["body"]
    dashboard_key = shown.split('id="new-key">')[1].split("<")[0]
    # Two-factor: the secret shown at enrolment, the recovery codes, a pending sign-in, a wrong code.
    totp_secret, recovery = two_factor.enrol(browser, clock.now())
    second = Browser(runner, source="198.51.100.99")
    asked = two_factor.password_step(second, user["email"], PASSWORD)
    pending = asked["body"].split('name="pending" value="')[1].split('"')[0]
    two_factor.code_step(second, asked, "wrong-code-guess")
    assert two_factor.code_step(second, asked, recovery[0])["statusCode"] == 303
    return {
        "totp secret": totp_secret,
        "recovery code": recovery[0],
        "unused recovery code": recovery[1],
        "pending sign-in": pending,
        "wrong code": "wrong-code-guess",
        "dashboard password guess": "wrong-dashboard-password",
        "session cookie": browser.cookies["cs_session"],
        "csrf token": browser.csrf,
        "dashboard api key": dashboard_key,
        "account password": PASSWORD,
        "api key": key,
        "api key secret": key.rsplit("_", 1)[1],
        "digest answer": answer.split('response="')[1].split('"')[0],
        "item password": ITEM_PASSWORD,
        "grant": grant,
        "presigned GET": location.split("?")[1],
        "presigned POST policy": created["s3"]["policy"],
        "long link secret": item.link_secret,
    }


def test_given_every_kind_of_secret_in_flight_then_none_is_logged(runner, user, capfd):
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logger.registered_formatter)  # the same JSON lines Lambda would ship
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        secrets = exercise_every_kind_of_secret(runner, user)
    finally:
        logger.setLevel(logging.INFO)
        logger.removeHandler(handler)

    logs = captured.getvalue() + capfd.readouterr().out  # structured logs, and metrics on stdout
    assert '"message":"access denied"' in logs.replace(": ", ":")  # the logs were captured at all
    leaked = [name for name, secret in secrets.items() if secret in logs]
    assert leaked == []
    assert not any(mark in logs for mark in SIGNATURE_MARKS)


@pytest.fixture
def traced(monkeypatch):
    """Handlers loaded afresh under the template's POWERTOOLS_TRACER_* settings (read when they load),
    traced by the real X-Ray SDK into memory: (runner, finish), finish() giving every entity the
    recorder would have sent to the daemon, as the JSON it would have sent."""
    from aws_xray_sdk import global_sdk_config
    from aws_xray_sdk.core import xray_recorder

    sent: list[dict] = []

    class MemoryEmitter:  # what the recorder asks of its UDP emitter
        def send_entity(self, entity):
            sent.append(json.loads(entity.serialize()))

        def set_daemon_address(self, address):
            pass

    runner = InProcessRunner()
    for name, value in runner.environment().items():
        if name.startswith("POWERTOOLS_TRACER_"):
            monkeypatch.setenv(name, value)
    was_enabled = global_sdk_config.sdk_enabled()
    monkeypatch.setattr(xray_recorder, "_emitter", MemoryEmitter())
    global_sdk_config.set_sdk_enabled(True)
    xray_recorder.begin_segment("log-hygiene", sampling=1)  # what Lambda's facade segment is to a handler

    def finish() -> list[dict]:
        if xray_recorder.current_segment() is not None:
            xray_recorder.end_segment()  # sends the segment with what was not streamed yet
        return sent

    try:
        yield runner, finish
    finally:
        finish()
        xray_recorder.clear_trace_entities()
        global_sdk_config.set_sdk_enabled(was_enabled)


def test_given_every_kind_of_secret_in_flight_then_none_is_in_a_trace(traced, user):
    runner, finish = traced
    secrets = exercise_every_kind_of_secret(runner, user)
    trace = json.dumps(finish())
    assert '"## resolve"' in trace and '"ColdStart"' in trace  # the handlers were traced, with annotations
    leaked = [name for name, secret in secrets.items() if secret in trace]
    assert leaked == []
    assert not any(mark in trace for mark in SIGNATURE_MARKS)
