"""Every authenticated route × {no credentials, bad credentials, revoked key, another user, owner}.

Generated from template.yaml and the sample events (each function's events/*.json is a real,
working request by the owner), so a new route joins the matrix by existing. For every case but the
owner's, the table and the bucket are compared before and after: nothing may change.
"""

from urllib.parse import parse_qsl, urlencode

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


# ---------------------------------------------------------------- the dashboard
# Signed in by the session cookie and its CSRF token (a form's csrf field, or the upload script's
# X-CSRF-Token header), never by Digest or keys. Every function whose sample event is signed in joins.


def _session_routes() -> list[str]:
    """Every function whose sample event is signed in with a dashboard session cookie."""
    return [
        logical_id
        for logical_id in sorted(functions())
        if "cs_session=" in str(sample_event(logical_id).get("headers", {}))
    ]


SESSION_ROUTES = _session_routes()
SESSION_CASES = ["no session", "forged session", "another session's CSRF token", "no CSRF token", "another user"]
# Another user's valid session reaches only their own data: a route naming someone else's item, key, upload
# or passkey answers 404, and adding a passkey with a challenge issued to someone else 403. Routes that act
# on the caller's own account only (their uploads, challenges, keys) are the owner's case for them.
NAMES_ONE = ("{slug}", "{key_id}", "{upload_id}", "{credential_id}")
ANOTHER_USER = {"DashboardAddPasskeyFunction": 403}
_KEEP = object()


def _in_session(event: dict, token: str | None | object = _KEEP, csrf: str | None | object = _KEEP) -> dict:
    """The event with another session cookie (None: no cookie) and another CSRF token (None: none), put
    wherever the sample carries its token: the form's csrf field or the X-CSRF-Token header."""
    headers = dict(event["headers"])
    if token is not _KEEP:
        headers.pop("Cookie", None)
        if token is not None:
            headers["Cookie"] = f"cs_session={token}"
    body = event["body"]
    if csrf is not _KEEP:
        if "X-CSRF-Token" in headers:
            headers.pop("X-CSRF-Token")
            if csrf is not None:
                headers["X-CSRF-Token"] = csrf
        if body and "csrf=" in body:
            fields = [(name, value) for name, value in parse_qsl(body, keep_blank_values=True) if name != "csrf"]
            body = urlencode(([("csrf", csrf)] if csrf is not None else []) + fields)
    return {**event, "body": body, "headers": headers, "multiValueHeaders": {n: [v] for n, v in headers.items()}}


def _session_request_as(case: str, event: dict) -> tuple[dict, int | None]:
    """(the request, the status that refuses it); None: the case does not apply to this route."""
    get, resource = event["httpMethod"] == "GET", event["resource"]
    if case == "no session":
        return _in_session(event, token=None), 303 if get else 403  # a page sends to /login
    if case == "forged session":
        forged = "forged-" + "F" * 36
        return _in_session(event, token=forged, csrf=sessions.csrf_token(forged)), 303 if get else 403
    if case == "another session's CSRF token":
        return _in_session(event, csrf=sessions.csrf_token("another session")), None if get else 403
    if case == "no CSRF token":
        return _in_session(event, csrf=None), None if get else 403
    mallory = accounts.create_user("mallory@example.com", "mallory password", "pro_max")
    theirs = sessions.start(mallory, "203.0.113.9")
    logical_id = next(name for name in SESSION_ROUTES if sample_event(name)["resource"] == resource)
    refused = ANOTHER_USER.get(logical_id, 404 if any(name in resource for name in NAMES_ONE) else None)
    return _in_session(event, token=theirs.token, csrf=theirs.session.csrf), refused


def _records(prefix: str) -> list[dict]:
    records = boto3.client("dynamodb").scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return [record for record in records if record["PK"]["S"].startswith(prefix)]


@pytest.mark.parametrize("logical_id", SESSION_ROUTES)
def test_dashboard_session_matrix(runner, logical_id):
    """No session or a forged one: a page sends to the sign-in, anything else is 403. Another session's
    CSRF token or none: 403. Another user: only their own data. Nothing refused changes anything; then
    the owner's request works."""
    seed()
    event = sample_event(logical_id)
    for case in SESSION_CASES:
        request, refused = _session_request_as(case, event)
        if refused is None:
            continue
        before, challenges = _snapshot(), _records("PASSKEYCHALLENGE#")
        response = runner.call(logical_id, request)
        assert response["statusCode"] == refused, (case, response)
        if refused == 303:
            assert response["multiValueHeaders"]["Location"][0].endswith("/login"), case
        if logical_id in ANOTHER_USER and case == "another user":
            # Trying someone else's challenge uses it up, and nothing else: the owner's request needs it back.
            for record in challenges:
                boto3.client("dynamodb").put_item(TableName=TABLE, Item=record)
        assert _snapshot() == before, f"{case} changed stored data"
    assert runner.call(logical_id, event)["statusCode"] in (200, 303)


def test_the_dashboard_matrix_covers_every_dashboard_route_and_each_refusal():
    dashboard = {function for function, _, path, _ in http_routes() if path.startswith("/dashboard")}
    assert dashboard - set(SESSION_ROUTES) == set()
    header_csrf = [name for name in SESSION_ROUTES if "X-CSRF-Token" in sample_event(name)["headers"]]
    assert {"DashboardStartMultipartFunction", "DashboardCompleteMultipartFunction"} <= set(header_csrf)
    assert set(ANOTHER_USER) <= set(SESSION_ROUTES)
