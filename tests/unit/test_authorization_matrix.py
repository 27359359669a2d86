"""Every authenticated route × {no credentials, bad credentials, revoked key, another user, owner}.

Generated from template.yaml and the sample events (each function's events/*.json is a real,
working request by the owner), so a new route joins the matrix by existing. For every case but the
owner's, the table and the bucket are compared before and after: nothing may change.
"""

import re

import boto3
import pytest

from cloudshare.services import accounts, sessions
from cloudshare.store import users
from devtools.samples import sample_event, seed
from devtools.template import functions, http_routes
from tests.unit.helpers import BUCKET, TABLE


def _authenticated_routes() -> list[str]:
    found = []
    for logical_id, resource in sorted(functions().items()):
        for event in resource["Properties"].get("Events", {}).values():
            path = event["Properties"].get("Path", "") if event["Type"] == "Api" else ""
            if path.startswith(("/v3/", "/api/v1/")):
                found.append(logical_id)
    return found


ROUTES = _authenticated_routes()


def _owner_scoped(logical_id: str) -> bool:
    resource = sample_event(logical_id)["resource"]
    return "{slug}" in resource or "{upload_id}" in resource


def _snapshot() -> tuple:
    records = boto3.client("dynamodb").scan(TableName=TABLE, ConsistentRead=True)["Items"]
    # Nonce counts and failed-attempt counters are what a refusal is allowed (and meant) to write.
    table = sorted(
        str(sorted(record.items())) for record in records if not record["PK"]["S"].startswith(("NONCE#", "THROTTLE#"))
    )
    listing = boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return table, sorted((entry["Key"], entry["ETag"]) for entry in listing)


def _with_credentials(event: dict, authorization: str | None) -> dict:
    headers = {
        name: value for name, value in event["headers"].items() if name.lower() not in ("authorization", "x-api-key")
    }
    if authorization:
        headers["Authorization"] = authorization
    return {**event, "headers": headers, "multiValueHeaders": {name: [value] for name, value in headers.items()}}


def _key_id(authorization: str) -> str:
    return authorization.removeprefix("Bearer ").split("_")[1]


def _another_users_key() -> str:
    accounts.create_user("mallory@example.com", "mallory password", "pro_max")
    return accounts.create_api_key("mallory@example.com")[1]


def _expected(logical_id: str, case: str) -> int | None:
    if case == "no credentials":
        return 401
    if case in ("bad credentials", "revoked key"):
        return 403
    if case == "another user":
        if not _owner_scoped(logical_id):
            return None  # acts on the caller's own data: no other owner to protect
        # v3 hides others' items, v1 says so; an upload is found only in its owner's records
        return 404 if logical_id.startswith("V3") or "{upload_id}" in sample_event(logical_id)["resource"] else 403
    return None


def _request_as(case: str, event: dict) -> dict:
    owner_authorization = event["headers"]["Authorization"]
    if case == "no credentials":
        return _with_credentials(event, None)
    if case == "bad credentials":
        return _with_credentials(event, f"Bearer csk_{_key_id(owner_authorization)}_{'W' * 43}")
    if case == "revoked key":
        users.revoke_api_key(_key_id(owner_authorization), "2026-01-01T00:00:00Z")
        return event
    if case == "another user":
        return _with_credentials(event, f"Bearer {_another_users_key()}")
    return event


# The owner goes after the refusals (so they start from the seeded state) and the revoked key
# last (revoking is itself a change).
ORDER = ["no credentials", "bad credentials", "another user", "owner", "revoked key"]


@pytest.mark.parametrize("logical_id", ROUTES)
def test_authorization_matrix(runner, logical_id):
    """One route, all five cases in turn: a refused request changes nothing; the owner's works."""
    seed()
    event = sample_event(logical_id)
    for case in ORDER:
        request = _request_as(case, event)
        if case == "owner":
            response = runner.call(logical_id, request)
            assert 200 <= response["statusCode"] < 300, (case, response)
            continue
        expected = _expected(logical_id, case)
        if expected is None:
            continue  # the route acts only on the caller's own data: no other owner to protect
        before = _snapshot()
        response = runner.call(logical_id, request)
        assert response["statusCode"] == expected, (case, response)
        if expected == 401:
            assert response["multiValueHeaders"]["WWW-Authenticate"], case
        assert _snapshot() == before, f"{case} changed stored data"


def test_the_matrix_covers_every_authenticated_route():
    api_routes = {function for function, _, _, _ in http_routes()}
    public = {logical_id for logical_id in api_routes if logical_id not in ROUTES}
    assert len(ROUTES) >= 20 and all(not name.startswith(("V1", "V3")) for name in public)


# ---------------------------------------------------------------- the dashboard's JSON routes
# The upload script's routes act on an owner's uploads with the session cookie and the X-CSRF-Token header;
# their sample events are the owner's working requests. Every refused case changes nothing.
DASHBOARD_ROUTES = sorted(
    logical_id
    for logical_id, resource in functions().items()
    for event in resource["Properties"].get("Events", {}).values()
    if event["Type"] == "Api" and event["Properties"]["Path"].startswith("/dashboard/multipart")
)
DASHBOARD_CASES = ["no session", "another session's token", "another user", "owner"]


def _with_headers(event: dict, **changes: str | None) -> dict:
    headers = {name: value for name, value in event["headers"].items() if name.lower() not in changes}
    headers.update({name: value for name, value in changes.items() if value is not None})
    return {**event, "headers": headers, "multiValueHeaders": {name: [value] for name, value in headers.items()}}


def _dashboard_request_as(case: str, event: dict) -> dict:
    if case == "no session":
        return _with_headers(event, cookie=None)
    if case == "another session's token":
        return _with_headers(event, **{"x-csrf-token": sessions.csrf_token("another session")})
    if case == "another user":
        mallory = accounts.create_user("mallory@example.com", "mallory password", "pro_max")
        signed = sessions.start(mallory, "198.51.100.9")
        return _with_headers(event, cookie=f"cs_session={signed.token}", **{"x-csrf-token": signed.session.csrf})
    return event


def _dashboard_expected(logical_id: str, case: str, method: str) -> int | None:
    if case == "no session":
        return 303 if method == "GET" else 403  # a GET goes to /login
    if case == "another session's token":
        return None if method == "GET" else 403
    if case == "another user":
        return 404 if "{upload_id}" in sample_event(logical_id)["resource"] else None
    return None


@pytest.mark.parametrize("logical_id", DASHBOARD_ROUTES)
def test_dashboard_authorization_matrix(runner, logical_id):
    """One dashboard route, each case in turn: a refused request changes nothing; the owner's works."""
    seed()
    event = sample_event(logical_id)
    for case in DASHBOARD_CASES:
        request = _dashboard_request_as(case, event)
        if case == "owner":
            response = runner.call(logical_id, request)
            assert response["statusCode"] == 200, (case, response)
            continue
        expected = _dashboard_expected(logical_id, case, event["httpMethod"])
        if expected is None:
            continue
        before = _snapshot()
        response = runner.call(logical_id, request)
        assert response["statusCode"] == expected, (case, response)
        assert _snapshot() == before, f"{case} changed stored data"


def test_the_dashboard_matrix_covers_the_upload_scripts_routes():
    assert len(DASHBOARD_ROUTES) == 4


# ---------------------------------------------------------------- the dashboard's passkey routes
# Signed in by the session cookie and its CSRF token, not by Digest or keys: the same matrix with a
# session's cases. "another user" is a whole other session (its own cookie and token).
PASSKEY_ROUTES = sorted(
    logical_id
    for logical_id, _, path, _ in http_routes()
    if path.startswith("/dashboard/passkeys") and logical_id in functions()
)
# Whose data each route touches when another user calls it: None, only the caller's own (a challenge
# for them); else the status that refuses it (a challenge bound to someone else; someone else's passkey).
PASSKEY_ANOTHER_USER = {
    "DashboardPasskeyOptionsFunction": None,
    "DashboardAddPasskeyFunction": 403,
    "DashboardRemovePasskeyFunction": 404,
}
PASSKEY_CASES = ["no session", "unknown session", "no CSRF token", "another user", "owner"]


def _with_session(event: dict, cookie: str | None, csrf: str | None) -> dict:
    from urllib.parse import parse_qsl, urlencode

    headers = {name: value for name, value in event["headers"].items() if name.lower() != "cookie"}
    if cookie is not None:
        headers["Cookie"] = f"cs_session={cookie}"
    fields = {name: value for name, value in parse_qsl(event["body"]) if name != "csrf"}
    if csrf is not None:
        fields["csrf"] = csrf
    multi = {name: [value] for name, value in headers.items()}
    return {**event, "headers": headers, "multiValueHeaders": multi, "body": urlencode(fields)}


def _passkey_request_as(case: str, event: dict) -> dict:
    from urllib.parse import parse_qsl

    from cloudshare.services import sessions

    csrf = dict(parse_qsl(event["body"]))["csrf"]
    if case == "no session":
        return _with_session(event, None, csrf)
    if case == "unknown session":
        return _with_session(event, "W" * 43, csrf)
    if case == "no CSRF token":
        return {**event, "body": "&".join(part for part in event["body"].split("&") if not part.startswith("csrf="))}
    if case == "another user":
        signed = sessions.start(accounts.create_user("mallory@example.com", "mallory password", "pro"), "192.0.2.66")
        return _with_session(event, signed.token, signed.session.csrf)
    return event


def _records(prefix: str) -> list[dict]:
    records = boto3.client("dynamodb").scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return [record for record in records if record["PK"]["S"].startswith(prefix)]


def _passkeys() -> list[str]:
    return sorted(str(sorted(record.items())) for record in _records("PASSKEY#"))


def _give_back_challenges(challenges: list[dict]) -> None:
    """The sample's challenges again, for the owner's request that follows."""
    for record in challenges:
        boto3.client("dynamodb").put_item(TableName=TABLE, Item=record)


@pytest.mark.parametrize("logical_id", PASSKEY_ROUTES)
def test_passkey_routes_authorization_matrix(runner, logical_id):
    """No session, an unknown one, no CSRF token: 403 and nothing changes; another user reaches only their
    own passkeys; the owner's request works."""
    seed()
    event = sample_event(logical_id)
    for case in PASSKEY_CASES:
        request = _passkey_request_as(case, event)
        if case == "owner":
            response = runner.call(logical_id, request)
            assert 200 <= response["statusCode"] < 400, (case, response)
            continue
        expected = PASSKEY_ANOTHER_USER[logical_id] if case == "another user" else 403
        if expected is None:
            continue
        before, passkeys_before, challenges_before = _snapshot(), _passkeys(), _records("PASSKEYCHALLENGE#")
        response = runner.call(logical_id, request)
        assert response["statusCode"] == expected, (case, response)
        assert _snapshot() == before or case == "another user", f"{case} changed stored data"
        if case == "another user":  # no passkey changes hands; a challenge is used up by trying it
            assert _passkeys() == passkeys_before
            _give_back_challenges(challenges_before)


def test_the_passkey_matrix_covers_every_passkey_route():
    assert PASSKEY_ROUTES == sorted(PASSKEY_ANOTHER_USER)


# ---------------------------------------------------------------- the dashboard's session routes


def _session_routes() -> list[str]:
    """Every function whose sample event is signed in with a dashboard session cookie."""
    return [
        logical_id
        for logical_id in sorted(functions())
        if "cs_session=" in str(sample_event(logical_id).get("headers", {}))
    ]


SESSION_ROUTES = _session_routes()


def _in_session(event: dict, token: str | None) -> dict:
    """The event with another session (or none); a form carries that session's own CSRF token."""
    headers = {name: value for name, value in event["headers"].items() if name.lower() != "cookie"}
    if token is not None:
        headers["Cookie"] = f"cs_session={token}"
    body = event["body"]
    if body and "csrf=" in body:
        body = re.sub(r"csrf=[^&]*", f"csrf={sessions.csrf_token(token or '')}", body)
    return {**event, "body": body, "headers": headers, "multiValueHeaders": {n: [v] for n, v in headers.items()}}


@pytest.mark.parametrize("logical_id", SESSION_ROUTES)
def test_dashboard_session_matrix(runner, logical_id):
    """No session, a forged one, another user's (for routes naming an item or a key): refused, nothing
    changes; a page without a session sends to the sign-in, a form is 403. The owner's works."""
    seed()
    event = sample_event(logical_id)
    mallory = accounts.create_user("mallory@example.com", "mallory password", "pro_max")
    theirs = sessions.start(mallory, "203.0.113.9").token
    names_one = "{slug}" in event["resource"] or "{key_id}" in event["resource"]
    cases = [("no session", None), ("forged session", "forged-" + "F" * 36)]
    cases += [("another user", theirs)] if names_one else []
    for case, token in cases:
        before = _snapshot()
        response = runner.call(logical_id, _in_session(event, token))
        if case == "another user":
            assert response["statusCode"] == 404, (case, response)
        elif event["httpMethod"] == "GET":
            assert response["statusCode"] == 303, (case, response)
            assert response["multiValueHeaders"]["Location"][0].endswith("/login"), case
        else:
            assert response["statusCode"] == 403, (case, response)
        assert _snapshot() == before, f"{case} changed stored data"
    assert runner.call(logical_id, event)["statusCode"] in (200, 303)


def test_the_dashboard_matrix_covers_every_dashboard_route():
    dashboard = {function for function, _, path, _ in http_routes() if path.startswith("/dashboard")}
    assert dashboard - set(SESSION_ROUTES) == set()
