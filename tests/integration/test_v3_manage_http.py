"""v3 items management over real HTTP: curl --digest and requests' HTTPDigestAuth against the local stack."""

import json

import pytest
import requests
from requests.auth import HTTPDigestAuth

from tests.integration.conftest import curl, header

pytestmark = pytest.mark.integration
JSON = {"Accept": "application/json", "Content-Type": "application/json"}


@pytest.fixture
def session(stack):
    client = requests.Session()
    client.auth = HTTPDigestAuth(stack["email"], stack["password"])
    client.headers.update(JSON)
    return client


def curl_digest(stack, method: str, path: str, payload=None) -> tuple[int, str]:
    args = [
        "--digest",
        "-u",
        f"{stack['email']}:{stack['password']}",
        "-X",
        method,
        "-H",
        "Accept: application/json",
        "-H",
        "Content-Type: application/json",
    ]
    if payload is not None:
        args += ["-d", json.dumps(payload)]
    status, _, body = curl(*args, stack["api_url"] + path)
    return status, body


def test_list_rename_favorite_expire_delete_round_trip(stack, session):
    api = stack["api_url"]
    created = session.post(f"{api}/v3/items", json={"bookmark_url": "https://example.com/"}, timeout=10)
    assert created.status_code == 200, created.text
    slug = created.json()["slug"]

    listed = session.get(f"{api}/v3/items", params={"per_page": 1}, timeout=10).json()
    assert listed["data"][0]["slug"] == slug and listed["meta"]["count"] >= 1
    assert set(listed["links"]) == {"next_url", "prev_url"}

    status, body = curl_digest(stack, "PUT", f"/v3/items/{slug}", {"name": "new_name.png", "long_link": False})
    assert status == 200, body
    renamed = json.loads(body)
    assert renamed["name"] == "new_name.png" and renamed["share_url"].endswith(f"/{slug}")
    assert session.get(f"{api}/v3/items/{slug}", timeout=10).json()["name"] == "new_name.png"

    status, body = curl_digest(stack, "POST", f"/v3/items/{slug}/favorite", {"favorite": True})
    assert (status, json.loads(body)) == (200, {"favorite": True})
    assert session.get(f"{api}/v3/items/{slug}/favorite", timeout=10).json() == {"favorite": True}
    assert session.delete(f"{api}/v3/items/{slug}/favorite", timeout=10).status_code == 204
    status, body = curl_digest(stack, "GET", f"/v3/items/{slug}/favorite")
    assert (status, json.loads(body)) == (200, {"favorite": False})

    expiration = {"expires_at": "2099-03-30T18:00:00Z", "expires_after_views": 10}
    status, body = curl_digest(stack, "POST", f"/v3/items/{slug}/expiration", expiration)
    assert (status, json.loads(body)) == (200, expiration)
    bad = session.post(f"{api}/v3/items/{slug}/expiration", json={"expires_at": "2001-01-01T00:00:00Z"}, timeout=10)
    assert bad.status_code == 422 and bad.json()["errors"]["name"] == "expires_at"
    assert session.delete(f"{api}/v3/items/{slug}/expiration", timeout=10).status_code == 204
    assert session.get(f"{api}/v3/items/{slug}/expiration", timeout=10).json() == {
        "expires_at": None,
        "expires_after_views": None,
    }

    shared = session.post(f"{api}/v3/items/{slug}/share", json={"recipients": ["Friend@Example.com"]}, timeout=10)
    assert (shared.status_code, shared.json()) == (200, {"recipients": ["friend@example.com"]})

    status, body = curl_digest(stack, "DELETE", f"/v3/items/{slug}")
    assert status == 204 and body == ""
    gone = session.get(f"{api}/v3/items/{slug}", timeout=10)
    assert gone.status_code == 404 and gone.json()["errors"]["message"] == "Item not found"
    assert slug not in [entry["slug"] for entry in session.get(f"{api}/v3/items", timeout=10).json()["data"]]


def test_answers_without_a_body_log_no_warnings_and_204s_have_no_content_type(stack, session):
    api, log_file = stack["api_url"], stack["state_dir"] / "stack.log"
    logged_before = log_file.stat().st_size
    created = session.post(f"{api}/v3/items", json={"bookmark_url": "https://example.com/204"}, timeout=10).json()
    slug = created["slug"]
    status, headers, _ = curl(created["share_url"])  # a redirect: no body either
    assert (status, header(headers, "Location")) == (302, "https://example.com/204")
    for path in (f"/v3/items/{slug}/favorite", f"/v3/items/{slug}/expiration", f"/v3/items/{slug}"):
        status, headers, body = curl("-X", "DELETE", "-H", f"Authorization: Bearer {stack['api_key']}", api + path)
        assert (status, body, header(headers, "Content-Type")) == (204, "", None), path
    with log_file.open() as handle:  # what the stack logged while serving this test's requests
        handle.seek(logged_before)
        log = handle.read()
    assert "Lambda returned empty body!" not in log
    assert "has already been added" not in log  # Powertools: a dimension carried over from another request
