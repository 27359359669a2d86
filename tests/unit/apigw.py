"""API Gateway proxy events for handler tests, shaped like the sample events in events/."""

from __future__ import annotations

import copy
import json
from urllib.request import parse_http_list, parse_keqv_list

from requests.auth import HTTPDigestAuth

from tests.unit.helpers import load_event

_TEMPLATE_EVENT = load_event("v3_account")


def event(path: str, method: str = "GET", headers: dict | None = None, body: str | None = None) -> dict:
    built = copy.deepcopy(_TEMPLATE_EVENT)
    built.update(path=path, resource=path, httpMethod=method, body=body)
    built["headers"] = {"Accept": "application/json", "Host": "api.example.com", **(headers or {})}
    built["multiValueHeaders"] = {name: [value] for name, value in built["headers"].items()}
    # API Gateway names the domain it was reached on; links are built from that, never from Host.
    built["requestContext"].update(path=f"/prod{path}", resourcePath=path, httpMethod=method,
                                   domainName="api.example.com")
    return built


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def challenges(response: dict) -> list[str]:
    return (response.get("multiValueHeaders") or {}).get("WWW-Authenticate", [])


def digest_header(challenge: str, email: str, password: str, method: str, uri: str) -> str:
    """Answers a challenge the way the requests library does (a client we did not write)."""
    auth = HTTPDigestAuth(email, password)
    auth.init_per_thread_state()
    auth._thread_local.chal = parse_keqv_list(parse_http_list(challenge.removeprefix("Digest ")))
    return auth.build_digest_header(method, f"https://api.example.com{uri}")


def body(response: dict) -> dict:
    return json.loads(response["body"])
