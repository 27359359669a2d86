"""No secret reaches a log line: passwords, API keys, Digest answers, grants, presigned URLs.

Real flows run through the handlers at DEBUG level while the process's stdout (where Powertools
writes its JSON lines) is captured; then the logs are searched for each secret.
"""

import io
import json
import logging
from urllib.parse import quote

from cloudshare.observability import logger
from cloudshare.services import accounts
from tests.unit import public_helpers as public
from tests.unit.apigw import bearer, body, challenges, digest_header, event

PASSWORD = "correct horse battery"
ITEM_PASSWORD = "item-password-7d1f"
SIGNATURE_MARKS = ("X-Amz-Signature", "x-amz-signature", "Signature=", "X-Amz-Credential")


def test_given_every_kind_of_secret_in_flight_then_none_is_logged(runner, user, capfd):
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logger.registered_formatter)  # the same JSON lines Lambda would ship
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        owner = accounts.set_plan(user["email"], "pro")
        key = user["api_key"]
        # Digest: a challenge, then an answer made from the password.
        probe = runner.call("V3AccountFunction", event("/v3/account"))
        answer = digest_header(challenges(probe)[0], user["email"], PASSWORD, "GET", "/v3/account")
        assert runner.call("V3AccountFunction", event("/v3/account", headers={"Authorization": answer}))[
            "statusCode"] == 200
        # An API key, a presigned POST, a wrong key.
        created = body(runner.call("V3CreateItemFunction", event(
            "/v3/items", "POST", {**bearer(key), "Content-Type": "application/json"},
            json.dumps({"name": "secret.png", "file_size": 10}))))
        runner.call("V3AccountFunction", event("/v3/account", headers=bearer(key[:-4] + "AAAA")))
        # A password-protected item: wrong and right passwords, a grant, a presigned GET.
        item = public.shared_file(owner, "notes.txt", b"hello", "text/plain")
        item = public.change(item, password_hash=__import__("cloudshare.services.passwords", fromlist=["x"])
                             .hash_password(ITEM_PASSWORD))
        code = public.code(item)
        for attempt in ("wrong-password", ITEM_PASSWORD):
            unlocked = runner.call("PublicUnlockFunction", public.request(
                f"/{code}/unlock", method="POST", accept="application/json",
                headers={"Content-Type": "application/json"}, body=json.dumps({"password": attempt})))
        grant = body(unlocked)["grant"]
        download = runner.call("PublicDownloadFunction", public.request(
            f"/{code}/download/{quote(item.name)}", headers={"Cookie": f"{body(unlocked)['cookie']}={grant}"}))
        location = download["multiValueHeaders"]["Location"][0]
    finally:
        logger.setLevel(logging.INFO)
        logger.removeHandler(handler)

    logs = captured.getvalue() + capfd.readouterr().out  # structured logs, and metrics on stdout
    assert '"message":"access denied"' in logs.replace(": ", ":")  # the logs were captured at all
    secrets = {"account password": PASSWORD, "api key": key, "api key secret": key.rsplit("_", 1)[1],
               "digest answer": answer.split('response="')[1].split('"')[0], "item password": ITEM_PASSWORD,
               "grant": grant, "presigned GET": location.split("?")[1],
               "presigned POST policy": created["s3"]["policy"]}
    leaked = [name for name, secret in secrets.items() if secret in logs]
    assert leaked == []
    assert not any(mark in logs for mark in SIGNATURE_MARKS)
