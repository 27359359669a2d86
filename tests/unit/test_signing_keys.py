"""The nonce/grant key: read at run time from Secrets Manager (never from the environment), rotated
with a previous key that still verifies until it is dropped."""

import json

import boto3

from cloudshare.services import clock, digest
from cloudshare.services.passwords import hash_password
from cloudshare.store import signing_keys
from cloudshare.store.aws import client
from cloudshare_admin import main as admin
from devtools.template import functions, template
from tests.unit.apigw import challenges, digest_header, event
from tests.unit.helpers import NONCE_SECRET, TABLE
from tests.unit.public_helpers import header, page, request, shared_file

PASSWORD = "open sesame"


def _unlock_cookie(runner, item) -> str:
    response = runner.call(
        "PublicFunction",
        request(
            f"/{item.slug}{item.link_secret}/unlock",
            method="POST",
            body=f"password={PASSWORD.replace(' ', '+')}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
    )
    assert response["statusCode"] == 303, response
    return header(response, "Set-Cookie").split(";")[0]


def _rotate(*extra: str) -> None:
    admin.main(["--table", TABLE, "rotate-secret", "--secret-id", NONCE_SECRET, *extra])
    client.cache_clear()  # what a warm function sees once its cached copy is older than MAX_AGE_SECONDS


def test_given_a_grant_when_the_key_rotates_then_it_still_opens_until_the_previous_key_is_dropped(runner, user):
    item = shared_file(user["user"], "secret.png", password_hash=hash_password(PASSWORD))
    cookie = _unlock_cookie(runner, item)
    nonce = digest.make_nonce(signing_keys.current(), int(clock.now()))
    _rotate()
    stored = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=NONCE_SECRET)["SecretString"])
    assert stored["current"] and stored["previous"] and stored["current"] != stored["previous"]
    assert page(runner, item, headers={"Cookie": cookie})["statusCode"] == 200
    assert digest.check_nonce(signing_keys.accepted(), nonce, int(clock.now()), 300)
    fresh = _unlock_cookie(runner, item)
    assert fresh != cookie  # signed with the new current key
    _rotate("--drop-previous")
    assert page(runner, item, headers={"Cookie": cookie})["statusCode"] == 403
    assert page(runner, item, headers={"Cookie": fresh})["statusCode"] == 403  # its key was current, then dropped


def test_given_a_secret_made_before_rotation_existed_then_its_plain_value_is_the_current_key(runner, user):
    boto3.client("secretsmanager").put_secret_value(SecretId=NONCE_SECRET, SecretString="plain-old-key")
    client.cache_clear()
    assert signing_keys.accepted() == (b"plain-old-key",)
    item = shared_file(user["user"], "secret.png", password_hash=hash_password(PASSWORD))
    assert page(runner, item, headers={"Cookie": _unlock_cookie(runner, item)})["statusCode"] == 200


def test_no_function_environment_holds_the_key_and_only_signing_functions_may_read_it():
    resources = template()["Resources"]
    environments = [template()["Globals"]["Function"]["Environment"]["Variables"]] + [
        function["Properties"].get("Environment", {}).get("Variables", {}) for function in functions().values()
    ]
    for variables in environments:
        assert "resolve:secretsmanager" not in json.dumps(variables)
        assert "NONCE_SECRET" not in variables
    assert template()["Globals"]["Function"]["Environment"]["Variables"]["NONCE_SECRET_ID"] == {"Ref": "NonceSecret"}
    readers = set()
    for logical_id, function in functions().items():
        for policy in function["Properties"].get("Policies", []):
            statements = (
                resources[policy["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
                if "Ref" in policy
                else policy["Statement"]
            )
            for statement in statements:
                if "secretsmanager:GetSecretValue" in json.dumps(statement["Action"]):
                    assert statement["Action"] == "secretsmanager:GetSecretValue"
                    assert statement["Resource"] == {"Ref": "NonceSecret"}  # that one secret, nothing else
                    readers.add(logical_id)
    assert {
        "SweepFunction",
        "S3FinalizeFunction",
        "UploadPageFunction",
        "ApiDocsFunction",
        "NotFoundFunction",
    }.isdisjoint(readers)
    assert {"V3AccountFunction", "PublicFunction"} <= readers


def test_given_a_rotation_this_function_has_not_read_yet_then_what_the_new_key_signed_verifies_at_once(
    runner, user, monkeypatch
):
    item = shared_file(user["user"], "secret.png", password_hash=hash_password(PASSWORD))
    signing_keys.current()  # the function has the key cached
    signing_keys.rotate(NONCE_SECRET)  # another function (or the operator) rotates; this one's copy is stale
    fresh = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=NONCE_SECRET)["SecretString"])
    stale_current = signing_keys.current()
    assert stale_current != fresh["current"].encode()
    with monkeypatch.context() as patch:  # undoes only this, not the fixtures' environment
        patch.setattr(signing_keys, "current", lambda: fresh["current"].encode())  # as a refreshed function signs
        cookie = _unlock_cookie(runner, item)
    assert page(runner, item, headers={"Cookie": cookie})["statusCode"] == 200
    assert signing_keys.current() == fresh["current"].encode()  # and it signs with the new key from now on


def test_given_forged_grants_then_secrets_manager_is_read_again_at_most_once_a_minute(runner, user):
    item = shared_file(user["user"], "secret.png", password_hash=hash_password(PASSWORD))
    signing_keys.current()  # the function has the key cached
    reads = []
    client("secretsmanager").meta.events.register(
        "before-call.secrets-manager.GetSecretValue", lambda **_: reads.append(1)
    )
    for n in range(5):
        forged = f"grant_{item.slug}={int(clock.now()) + 60}.forged{n}"
        assert page(runner, item, headers={"Cookie": forged})["statusCode"] == 403
    assert len(reads) == 1


def test_given_a_digest_challenge_from_a_function_that_saw_the_rotation_first_then_the_answer_is_accepted(
    runner, user, monkeypatch
):
    signing_keys.current()  # this function's copy: the key before the rotation
    signing_keys.rotate(NONCE_SECRET)
    fresh = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=NONCE_SECRET)["SecretString"])
    with monkeypatch.context() as patch:  # undoes only this, not the fixtures' environment
        patch.setattr(signing_keys, "current", lambda: fresh["current"].encode())
        challenge = next(
            c for c in challenges(runner.call("V3AccountFunction", event("/v3/account"))) if "algorithm=SHA-256," in c
        )
    answer = digest_header(challenge, user["email"], user["password"], "GET", "/v3/account")
    response = runner.call("V3AccountFunction", event("/v3/account", headers={"Authorization": answer}))
    assert response["statusCode"] == 200
