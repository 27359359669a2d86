"""Authentication through the real account handlers: every way in, and every way to be refused."""

import uuid
import warnings
from urllib.request import parse_http_list, parse_keqv_list

import pytest
from requests.auth import HTTPDigestAuth

from cloudshare.services import accounts, clock
from tests.unit.apigw import bearer, body, challenges, digest_header, event

V3 = ("V3AccountFunction", "/v3/account")
V1 = ("V1AccountFunction", "/api/v1/account")


def call(runner, route, headers=None):
    function, path = route
    return runner.call(function, event(path, headers=headers))


def fresh_challenge(runner, route=V3, algorithm="SHA-256"):
    offered = challenges(call(runner, route))
    return next(c for c in offered if f"algorithm={algorithm}," in c)


def digest_call(runner, user, route=V3, algorithm="SHA-256", password=None, email=None, uri=None):
    challenge = fresh_challenge(runner, route, algorithm)
    header = digest_header(challenge, email or user["email"], password or user["password"], "GET", uri or route[1])
    return call(runner, route, {"Authorization": header}), header


@pytest.mark.parametrize("route", [V3, V1])
def test_given_no_credentials_then_401_with_digest_and_bearer_challenges(runner, route):
    response = call(runner, route)
    assert response["statusCode"] == 401
    offered = challenges(response)
    assert [c.split()[0] for c in offered] == ["Digest", "Digest", "Bearer"]
    assert 'qop="auth"' in offered[0] and "algorithm=MD5" in offered[0] and "algorithm=SHA-256" in offered[1]


def test_given_no_credentials_then_each_dialect_speaks_its_own_error_format(runner):
    assert body(call(runner, V3))["errors"]["type"] == "unauthorized"
    v1 = body(call(runner, V1))
    assert v1["status"] is False and "Authentication required" in v1["message"]


@pytest.mark.parametrize("route", [V3, V1])
@pytest.mark.parametrize("style", ["bearer", "x-api-key"])
def test_given_a_valid_api_key_then_the_account_is_returned(runner, user, route, style):
    headers = bearer(user["api_key"]) if style == "bearer" else {"x-api-key": user["api_key"]}
    response = call(runner, route, headers)
    assert response["statusCode"] == 200
    payload = body(response)
    account = payload.get("account", payload)
    assert account["email"] == "alice@example.com" and account["plan"] == "free"
    assert account["id"] == str(uuid.UUID(hex=user["user"].user_id))  # one UUID in both dialects (v1's user_id)


def test_given_header_names_in_any_case_then_the_key_is_found(runner, user):
    assert call(runner, V1, {"X-API-KEY": user["api_key"]})["statusCode"] == 200
    assert call(runner, V1, {"authorization": f"bearer {user['api_key']}"})["statusCode"] == 200


@pytest.mark.parametrize(
    "presented",
    [
        "nonsense",
        "",
        "csk_",
        "csk_aaaaaaaaaaaa_" + "A" * 43,  # well-formed, never issued
        "' OR 1=1 --",
        "csk_" + "x" * 5000,
    ],
)
def test_given_a_bad_api_key_then_403_and_no_hint(runner, user, presented):
    response = call(runner, V1, {"x-api-key": presented})
    assert response["statusCode"] == 403
    assert body(response) == {"status": False, "message": "Invalid API key"}


def test_given_a_key_with_a_wrong_secret_but_a_real_id_then_403(runner, user):
    key_id = user["api_key"].split("_")[1]
    forged = f"csk_{key_id}_" + "B" * 43
    assert call(runner, V1, bearer(forged))["statusCode"] == 403


def test_given_a_revoked_key_then_403_saying_so(runner, user):
    key_id = user["api_key"].split("_")[1]
    accounts.revoke_api_key(key_id)
    response = call(runner, V3, bearer(user["api_key"]))
    assert response["statusCode"] == 403
    assert "revoked" in body(response)["errors"]["message"]


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
@pytest.mark.parametrize("route", [V3, V1])
def test_given_digest_with_the_right_password_then_200(runner, user, route, algorithm):
    response, _ = digest_call(runner, user, route, algorithm)
    assert response["statusCode"] == 200


def test_given_digest_with_the_email_in_another_case_then_403_because_digest_signs_the_exact_name(runner, user):
    # Digest hashes the username the client typed; we store it for the lower-case address only.
    response, _ = digest_call(runner, user, email="Alice@Example.COM")
    assert response["statusCode"] == 403


@pytest.mark.parametrize("email, password", [("alice@example.com", "wrong password"), ("nobody@example.com", "x")])
def test_given_digest_with_wrong_credentials_then_403_with_the_same_message(runner, user, email, password):
    response, _ = digest_call(runner, user, email=email, password=password)
    assert response["statusCode"] == 403
    assert body(response)["errors"]["message"] == "Invalid credentials"


def test_given_a_digest_header_replayed_then_the_second_is_refused(runner, user):
    first, header = digest_call(runner, user)
    assert first["statusCode"] == 200
    replay = call(runner, V3, {"Authorization": header})
    assert replay["statusCode"] == 403
    assert "replay" in body(replay)["errors"]["message"]


def test_given_a_nonce_reused_with_a_higher_count_then_it_is_accepted(runner, user):
    challenge = fresh_challenge(runner)
    client = HTTPDigestAuth(user["email"], user["password"])
    client.init_per_thread_state()
    client._thread_local.chal = parse_keqv_list(parse_http_list(challenge.removeprefix("Digest ")))
    first = client.build_digest_header("GET", "https://api.example.com/v3/account")
    second = client.build_digest_header("GET", "https://api.example.com/v3/account")
    assert "nc=00000002" in second
    assert call(runner, V3, {"Authorization": first})["statusCode"] == 200
    assert call(runner, V3, {"Authorization": second})["statusCode"] == 200


def test_given_a_stale_nonce_then_401_with_stale_true(runner, user, monkeypatch):
    challenge = fresh_challenge(runner)
    header = digest_header(challenge, user["email"], user["password"], "GET", "/v3/account")
    later = clock.now() + 3600
    monkeypatch.setattr(clock, "now", lambda: later)
    response = call(runner, V3, {"Authorization": header})
    assert response["statusCode"] == 401
    assert all("stale=true" in c for c in challenges(response) if c.startswith("Digest"))


def answer_tampered_challenge(runner, user, original: str, replacement: str) -> dict:
    """Answers a real challenge after changing part of it, as a confused or hostile client would."""
    challenge = fresh_challenge(runner).replace(original, replacement)
    header = digest_header(challenge, user["email"], user["password"], "GET", "/v3/account")
    return call(runner, V3, {"Authorization": header})


def test_given_a_forged_nonce_then_401_with_a_fresh_challenge(runner, user):
    response = answer_tampered_challenge(runner, user, 'nonce="', 'nonce="AAAA')
    assert response["statusCode"] == 401
    assert "not issued by this server" in body(response)["errors"]["message"]
    assert not any("stale" in c for c in challenges(response))


def test_given_another_realm_then_401(runner, user):
    response = answer_tampered_challenge(runner, user, 'realm="cloudshare"', 'realm="elsewhere"')
    assert response["statusCode"] == 401
    assert "realm" in body(response)["errors"]["message"]


def test_given_a_digest_signed_for_another_path_then_403(runner, user):
    response, _ = digest_call(runner, user, uri="/v3/items")
    assert response["statusCode"] == 403


def test_given_the_stage_prefixed_path_in_the_digest_uri_then_200(runner, user):
    response, _ = digest_call(runner, user, uri="/prod/v3/account")
    assert response["statusCode"] == 200


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic YWxpY2U6cGFzcw==",
        "Digest",
        "Digest ",
        "Digest garbage",
        'Digest username="alice@example.com"',
        "Digest " + "a=b, " * 2000,
        "\u2603 snowman",
        "Negotiate abc",
    ],
)
def test_given_garbage_authorization_then_401_never_500(runner, user, authorization):
    response = call(runner, V3, {"Authorization": authorization})
    assert response["statusCode"] == 401
    assert body(response)["errors"]["message"]


def test_given_many_parallel_replays_of_one_header_then_exactly_one_succeeds(runner, user):
    from concurrent.futures import ThreadPoolExecutor

    challenge = fresh_challenge(runner)
    header = digest_header(challenge, user["email"], user["password"], "GET", "/v3/account")
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: call(runner, V3, {"Authorization": header})["statusCode"], range(8)))
    assert sorted(statuses) == [200] + [403] * 7


def test_given_metrics_disabled_as_locally_when_two_requests_authenticate_then_no_dimension_warning(
    runner, user, monkeypatch
):
    # Given metrics off (the local stack): Powertools then never clears what a request added
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # When two requests authenticate in different ways, one after the other in one process
        assert call(runner, V3, bearer(user["api_key"]))["statusCode"] == 200
        assert digest_call(runner, user)[0]["statusCode"] == 200
    # Then the second one does not find the first one's `method` dimension
    assert not [w for w in caught if "already been added" in str(w.message)]


BODY_ROUTES = [
    ("V3CreateItemFunction", "POST", "/v3/items"),
    ("V3UpdateItemFunction", "PUT", "/v3/items/abc"),
    ("V3AddFavoriteFunction", "POST", "/v3/items/abc/favorite"),
    ("V3SetExpirationFunction", "POST", "/v3/items/abc/expiration"),
    ("V3ShareItemFunction", "POST", "/v3/items/abc/share"),
]


@pytest.mark.parametrize("function, method, path", BODY_ROUTES)
@pytest.mark.parametrize(
    "content_type, sent",
    [
        ("application/json", '{"name": 5, "favorite": "x"}'),
        ("application/json", "{not json"),
        ("application/x-www-form-urlencoded", "name=a"),
        (None, ""),
    ],
)
def test_given_no_credentials_and_any_body_then_401_before_the_body_is_judged(
    runner, function, method, path, content_type, sent
):
    """curl --digest probes with whatever body it has: the challenge must come first, whatever the body."""
    headers = {"Content-Type": content_type} if content_type else {}
    response = runner.call(function, event(path, method, headers, sent or None))
    assert response["statusCode"] == 401 and challenges(response)
    assert body(response)["errors"]["type"] == "unauthorized"
