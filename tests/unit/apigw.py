"""API Gateway proxy events and function URL events for handler tests, shaped like the sample events in events/."""

from __future__ import annotations

import copy
import json
from urllib.parse import urlencode
from urllib.request import parse_http_list, parse_keqv_list

from requests.auth import HTTPDigestAuth

from tests.unit.helpers import load_event

_TEMPLATE_EVENT = load_event("v3_account")
_URL_EVENT = load_event("public")
# The API events' host too: links built by either side then agree, as PUBLIC_BASE_URL makes them on AWS.
URL_HOST = "api.example.com"


def event(path: str, method: str = "GET", headers: dict | None = None, body: str | None = None) -> dict:
    built = copy.deepcopy(_TEMPLATE_EVENT)
    built.update(path=path, resource=path, httpMethod=method, body=body)
    built["headers"] = {"Accept": "application/json", "Host": "api.example.com", **(headers or {})}
    built["multiValueHeaders"] = {name: [value] for name, value in built["headers"].items()}
    # API Gateway names the domain it was reached on; links are built from that, never from Host.
    built["requestContext"].update(
        path=f"/prod{path}", resourcePath=path, httpMethod=method, domainName="api.example.com"
    )
    return built


def url_event(
    path: str,
    method: str = "GET",
    headers: dict | None = None,
    body: str | None = None,
    query: dict | None = None,
    client_ip: str = "198.51.100.7",
) -> dict:
    """A function URL's event (payload format 2.0): lower-case headers, cookies in a list of their own,
    the client's address in requestContext.http, no path parameters (the function routes)."""
    built = copy.deepcopy(_URL_EVENT)
    sent = {name.lower(): value for name, value in {"Host": URL_HOST, **(headers or {})}.items()}
    cookies = [pair.strip() for pair in sent.pop("cookie", "").split(";") if pair.strip()]
    built.update(
        rawPath=path,
        rawQueryString=urlencode(query or {}),
        headers=sent,
        body=body,
        queryStringParameters=query or None,
        cookies=cookies or None,
    )
    if not cookies:
        del built["cookies"]  # a function URL leaves the field out
    built["requestContext"].update(domainName=URL_HOST, domainPrefix=URL_HOST.split(".")[0])
    built["requestContext"]["http"].update(method=method, path=path, sourceIp=client_ip)
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
