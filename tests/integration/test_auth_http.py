"""Real clients (curl, requests) against the local stack: every way in, and the refusals."""

import hashlib
import json
import re
import secrets
import urllib.request

import pytest
import requests
from requests.auth import HTTPDigestAuth

from tests.integration.conftest import admin, curl, header

pytestmark = pytest.mark.integration
ROUTES = ["/v3/account", "/api/v1/account"]


@pytest.mark.parametrize("path", ROUTES)
def test_curl_with_bearer_key_gets_the_account(stack, path):
    status, _, body = curl("-H", f"Authorization: Bearer {stack['api_key']}", stack["api_url"] + path)
    assert status == 200 and stack["email"] in body


@pytest.mark.parametrize("path", ROUTES)
def test_curl_with_x_api_key_gets_the_account(stack, path):
    status, _, body = curl("-H", f"x-api-key: {stack['api_key']}", stack["api_url"] + path)
    assert status == 200 and stack["email"] in body


@pytest.mark.parametrize("path", ROUTES)
def test_curl_digest_with_email_and_password_gets_the_account(stack, path):
    status, _, body = curl("--digest", "-u", f"{stack['email']}:{stack['password']}", stack["api_url"] + path)
    assert status == 200 and stack["email"] in body


@pytest.mark.parametrize("path", ROUTES)
def test_no_credentials_get_401_with_md5_then_sha256_digest_challenges(stack, path):
    status, headers, _ = curl(stack["api_url"] + path)
    assert status == 401
    offered = [line for line in headers.splitlines() if line.startswith("WWW-Authenticate:")]
    assert offered[0].startswith('WWW-Authenticate: Digest realm="cloudshare", qop="auth", algorithm=MD5,')
    assert "algorithm=SHA-256," in offered[1] and offered[2].startswith("WWW-Authenticate: Bearer")


@pytest.mark.parametrize("path", ROUTES)
def test_pythons_urllib_logs_in_with_digest_unchanged(stack, path):
    # Given urllib's own handler, which reads only the first challenge and knows MD5 and SHA-1
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, stack["api_url"], stack["email"], stack["password"])
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))
    # When it asks for the account, Then it gets it
    with opener.open(stack["api_url"] + path, timeout=10) as response:
        assert response.status == 200 and stack["email"] in response.read().decode()


def test_requests_digest_auth_chooses_sha256_and_is_let_in(stack):
    # requests merges the challenges and the last algorithm= wins: SHA-256, which it supports
    response = requests.get(
        stack["api_url"] + "/v3/account", auth=HTTPDigestAuth(stack["email"], stack["password"]), timeout=10
    )
    assert response.status_code == 200 and response.json()["email"] == stack["email"]
    assert 'algorithm="SHA-256"' in response.request.headers["Authorization"]


def cloudapp_era_digest(challenge_headers: list[str], email: str, password: str, method: str, uri: str) -> str:
    """The Authorization header of a CloudApp-era client (the cloudapp_api Ruby gem logs in through
    HTTParty's digest_auth): it joins every WWW-Authenticate value, takes each key="value" (the last
    one wins), always hashes with MD5, sends nc=00000001 and no algorithm."""
    offered = dict(re.findall(r'(\w+)="(.*?)"', ", ".join(challenge_headers)))
    cnonce = secrets.token_hex(16)

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    answer = md5(
        ":".join(
            [
                md5(f"{email}:{offered['realm']}:{password}"),
                offered["nonce"],
                "00000001",
                cnonce,
                offered["qop"],
                md5(f"{method}:{uri}"),
            ]
        )
    )
    return (
        f'Digest username="{email}", realm="{offered["realm"]}", nonce="{offered["nonce"]}", uri="{uri}", '
        f'response="{answer}", cnonce="{cnonce}", qop="{offered["qop"]}", nc=00000001, '
        f'opaque="{offered["opaque"]}"'
    )


@pytest.mark.parametrize("path", ROUTES)
def test_a_cloudapp_era_md5_only_client_logs_in(stack, path):
    url = stack["api_url"] + path
    challenged = requests.get(url, timeout=10)
    assert challenged.status_code == 401
    header = cloudapp_era_digest(
        challenged.raw.headers.getlist("WWW-Authenticate"), stack["email"], stack["password"], "GET", path
    )
    response = requests.get(url, headers={"Authorization": header}, timeout=10)
    assert response.status_code == 200 and stack["email"] in response.text


def test_curl_digest_with_a_wrong_password_gets_403(stack):
    status, _, body = curl("--digest", "-u", f"{stack['email']}:not-the-password", stack["api_url"] + "/v3/account")
    assert status == 403 and "Invalid credentials" in body


def test_requests_digest_session_reuses_its_nonce_across_requests(stack):
    session = requests.Session()
    session.auth = HTTPDigestAuth(stack["email"], stack["password"])
    for path in ROUTES * 3:
        assert session.get(stack["api_url"] + path, timeout=10).status_code == 200


def test_a_key_created_and_revoked_by_the_admin_cli(stack):
    admin(stack, "create-user", "carol@example.com", "--plan", "free", "--generate-password")
    key = admin(stack, "create-key", "carol@example.com", "--label", "ci")
    headers = {"x-api-key": key["api_key"]}
    account = requests.get(stack["api_url"] + "/api/v1/account", headers=headers, timeout=10).json()
    assert account["account"]["email"] == "carol@example.com"
    assert account["account"]["uploads_remaining"] == 10

    admin(stack, "revoke-key", key["key_id"])
    refused = requests.get(stack["api_url"] + "/api/v1/account", headers=headers, timeout=10)
    assert refused.status_code == 403
    assert refused.json() == {"status": False, "message": "This API key has been revoked"}


def test_admin_cli_plan_change_shows_in_both_dialects(stack):
    created = admin(stack, "create-user", "dave@example.com", "--generate-password")
    auth = HTTPDigestAuth("dave@example.com", created["password"])
    assert requests.get(stack["api_url"] + "/v3/account", auth=auth, timeout=10).json()["plan"] == "free"
    admin(stack, "set-plan", "dave@example.com", "pro")
    assert requests.get(stack["api_url"] + "/v3/account", auth=auth, timeout=10).json()["plan"] == "pro"
    v1 = requests.get(stack["api_url"] + "/api/v1/account", auth=auth, timeout=10).json()
    assert v1["account"]["plan"] == "pro" and v1["account"]["uploads_remaining"] == -1


def test_credentials_file_is_private(stack):
    assert (stack["state_dir"] / "credentials.json").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("path, dialect_field", [("/v3/itemz", "errors"), ("/api/v1/nope/deeper", "status")])
def test_a_path_no_route_knows_gets_404_in_its_dialect_not_api_gateways_403(stack, path, dialect_field):
    status, _, body = curl("-H", f"Authorization: Bearer {stack['api_key']}", stack["api_url"] + path)
    assert status == 404 and dialect_field in json.loads(body)


def test_the_root_is_a_landing_page_not_api_gateways_403(stack):
    status, headers, body = curl(stack["api_url"] + "/")
    assert status == 200 and header(headers, "Content-Type").startswith("text/html")
    assert f'href="{stack["api_url"]}/upload"' in body and f'href="{stack["api_url"]}/docs"' in body


def test_head_on_the_root_answers_as_get_without_a_body_and_other_methods_get_the_public_404(stack):
    status, headers, body = curl("-I", stack["api_url"] + "/")
    assert (status, body) == (200, "") and header(headers, "Content-Type").startswith("text/html")
    status, headers, body = curl("-X", "POST", "-H", "Accept: application/json", "-d", "x=1", stack["api_url"] + "/")
    assert status == 404 and json.loads(body)["errors"]["name"] == "state"


@pytest.mark.parametrize("root, dialect_field", [("/v3", "errors"), ("/v3/", "errors"), ("/api/v1", "status")])
def test_a_dialects_root_is_a_404_in_that_dialect_for_every_method(stack, root, dialect_field):
    for method in ("GET", "POST", "DELETE"):
        status, _, body = curl("-X", method, "-H", f"Authorization: Bearer {stack['api_key']}", stack["api_url"] + root)
        assert status == 404 and dialect_field in json.loads(body), method
    status, headers, body = curl("-I", stack["api_url"] + root)
    assert (status, body, header(headers, "Content-Type")) == (404, "", "application/json")
