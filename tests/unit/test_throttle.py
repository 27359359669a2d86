"""Password and key guessing: backoff per account and per source, counted in the table, answered
429 with Retry-After in the route's dialect — without a lockout an attacker could use on the owner."""

import copy
from concurrent.futures import ThreadPoolExecutor

import boto3

from cloudshare.services import throttle
from devtools.awscalls import counting
from tests.unit.apigw import bearer, body, challenges, digest_header, event
from tests.unit.helpers import TABLE

V3 = ("V3AccountFunction", "/v3/account")
V1 = ("V1AccountFunction", "/api/v1/account")
ATTACKER = "198.51.100.66"
OWNER = "203.0.113.10"


def call(runner, route, headers=None, source=ATTACKER):
    function, path = route
    request = event(path, headers=headers)
    request["requestContext"]["identity"]["sourceIp"] = source
    return runner.call(function, request)


def digest(runner, user, password, *, source=ATTACKER, route=V3):
    challenge = next(c for c in challenges(call(runner, route, source=source)) if "algorithm=SHA-256," in c)
    header = digest_header(challenge, user["email"], password, "GET", route[1])
    return call(runner, route, {"Authorization": header}, source)


def retry_after(response) -> int:
    return int(response["multiValueHeaders"]["Retry-After"][0])


def counters() -> list[dict]:
    return boto3.client("dynamodb").scan(
        TableName=TABLE, FilterExpression="begins_with(PK, :p)", ExpressionAttributeValues={":p": {"S": "THROTTLE#"}}
    )["Items"]


def test_given_30_wrong_digest_passwords_then_429s_and_the_right_one_works_once_the_backoff_passed(
    runner, user, frozen
):
    statuses = [digest(runner, user, f"guess {n}") for n in range(30)]
    free = throttle.free_failures() + 1  # checked and refused; the last of them starts the backoff
    assert [r["statusCode"] for r in statuses] == [403] * free + [429] * (30 - free)
    refused = statuses[-1]
    assert body(refused)["errors"]["message"] == "Too many failed attempts. Try again in 1 s."
    assert retry_after(refused) == 1
    held = digest(runner, user, user["password"])
    assert held["statusCode"] == 429  # not even checked: a right guess is not told apart while held
    frozen[0] += retry_after(held)
    assert digest(runner, user, user["password"])["statusCode"] == 200
    assert sorted(int(c["failures"]["N"]) for c in counters()) == [free, free]  # the account and the source
    assert user["email"] not in str(counters()) and ATTACKER not in str(counters())


def test_given_an_attacker_who_waits_out_each_backoff_then_it_doubles_up_to_the_source_cap(runner, user, frozen):
    waits = []
    for _ in range(throttle.free_failures()):
        assert digest(runner, user, "guess")["statusCode"] == 403
    for _ in range(12):
        assert digest(runner, user, "guess")["statusCode"] == 403
        held = digest(runner, user, "guess")
        assert held["statusCode"] == 429
        waits.append(retry_after(held))
        frozen[0] += waits[-1]
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, throttle.SOURCE_CAP_SECONDS, throttle.SOURCE_CAP_SECONDS]


def test_given_guesses_from_many_sources_then_the_owner_elsewhere_waits_seconds_at_most(runner, user, frozen):
    sources = iter(f"198.51.100.{n}" for n in range(1, 250))
    for _ in range(40):  # a botnet: one guess per address, each waiting for the account's turn
        response = digest(runner, user, "guess", source=next(sources))
        if response["statusCode"] == 429:
            assert retry_after(response) <= throttle.CLEAN_SOURCE_SECONDS
            frozen[0] += retry_after(response)
    failed_source = digest(runner, user, user["password"], source="198.51.100.1")
    assert failed_source["statusCode"] == 429 and retry_after(failed_source) == throttle.TARGET_CAP_SECONDS
    owner = digest(runner, user, user["password"], source=OWNER)
    if owner["statusCode"] == 429:  # only just after a failure, and never for long
        assert retry_after(owner) <= throttle.CLEAN_SOURCE_SECONDS
        frozen[0] += retry_after(owner)
        owner = digest(runner, user, user["password"], source=OWNER)
    assert owner["statusCode"] == 200


def test_given_wrong_api_keys_from_one_source_then_429_in_the_v1_format_while_other_sources_pass(runner, user, frozen):
    wrong = user["api_key"][:-4] + "AAAA"
    statuses = [call(runner, V1, {"x-api-key": wrong}) for _ in range(10)]
    free = throttle.free_failures() + 1
    assert [r["statusCode"] for r in statuses] == [403] * free + [429] * (10 - free)
    assert body(statuses[-1]) == {"status": False, "message": "Too many failed attempts. Try again in 1 s."}
    assert retry_after(statuses[-1]) == 1
    assert call(runner, V1, bearer(user["api_key"]))["statusCode"] == 429  # the guessing source is held
    assert call(runner, V1, bearer(user["api_key"]), source=OWNER)["statusCode"] == 200  # no per-key hold
    frozen[0] += 1
    assert call(runner, V1, bearer(user["api_key"]))["statusCode"] == 200


def test_given_a_burst_of_parallel_guesses_past_the_free_ones_then_dynamodb_lets_one_through(
    runner,
    user,
    frozen,
):
    wrong = {"x-api-key": user["api_key"][:-4] + "AAAA"}
    for _ in range(throttle.free_failures()):
        assert call(runner, V1, wrong)["statusCode"] == 403
    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(lambda _: call(runner, V1, copy.deepcopy(wrong))["statusCode"], range(8)))
    assert statuses == [403] + [429] * 7


def test_given_no_failures_then_a_successful_login_costs_the_calls_it_did_and_writes_no_counter(runner, user):
    digest(runner, user, user["password"], source=OWNER)  # the signing key is now cached
    with counting() as calls:
        assert call(runner, V1, bearer(user["api_key"]), source=OWNER)["statusCode"] == 200
        api_key_calls = dict(calls.calls)
        calls.reset()
        challenge = next(c for c in challenges(call(runner, V3, source=OWNER)) if "algorithm=SHA-256," in c)
        calls.reset()
        header = digest_header(challenge, user["email"], user["password"], "GET", V3[1])
        assert call(runner, V3, {"Authorization": header}, OWNER)["statusCode"] == 200
        digest_calls = dict(calls.calls)
    # One read of the key or login together with its counters, one of the profile; Digest also
    # records its nonce count. (The signing key is read from Secrets Manager once per warm function
    # and cache period; counting() starts new clients, so it shows once here.)
    assert {k: v for k, v in api_key_calls.items() if k.startswith("dynamodb")} == {
        "dynamodb.BatchGetItem": 1,
        "dynamodb.GetItem": 1,
    }
    assert {k: v for k, v in digest_calls.items() if k.startswith("dynamodb")} == {
        "dynamodb.BatchGetItem": 1,
        "dynamodb.GetItem": 1,
        "dynamodb.UpdateItem": 1,
    }
    assert counters() == []
