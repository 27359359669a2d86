"""A browser for the dashboard's handlers in unit tests: it keeps cookies and reads CSRF tokens from pages,
and calls each route's own function through the runner (IAM enforced), as API Gateway would; and the steps
of a two-factor sign-in."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pyotp

from devtools.template import functions
from tests.unit.apigw import event

_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def _routes() -> list[tuple[str, str, re.Pattern, str]]:
    found = []
    for logical_id, resource in functions().items():
        for spec in resource["Properties"].get("Events", {}).values():
            path = spec["Properties"].get("Path", "") if spec["Type"] == "Api" else ""
            if path.startswith(("/login", "/logout", "/dashboard", "/scripts")):
                pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")
                found.append((spec["Properties"]["Method"].upper(), logical_id, pattern, path))
    return found


class Browser:
    def __init__(self, runner, source: str = "203.0.113.7"):
        self.runner, self.source, self.cookies, self.csrf = runner, source, {}, ""
        self.routes = _routes()

    def request(
        self, method: str, path: str, fields: dict | None = None, headers: dict | None = None, raw: str | None = None
    ) -> dict:
        split = urlsplit(path)
        function, parameters = next(
            (logical_id, match.groupdict())
            for verb, logical_id, pattern, _path in self.routes
            if verb == method and (match := pattern.match(split.path))
        )
        sent = {"Accept": "text/html", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = raw
        if fields is not None:
            body = urlencode(fields)
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = event(split.path, method, sent, body)
        request["pathParameters"] = parameters or None
        query = dict(parse_qsl(split.query)) or None
        request["queryStringParameters"] = query
        request["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
        request["requestContext"]["identity"]["sourceIp"] = self.source
        response = self.runner.call(function, request)
        for cookie in (response.get("multiValueHeaders") or {}).get("Set-Cookie", []):
            name, _, rest = cookie.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in cookie:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if found := _TOKEN.search(response.get("body") or ""):
            self.csrf = found.group(1)
        return response

    def get(self, path: str, **headers) -> dict:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, fields: dict | None = None, *, csrf: bool = True, headers: dict | None = None) -> dict:
        return self.request("POST", path, {**({"csrf": self.csrf} if csrf else {}), **(fields or {})}, headers)

    def json(self, method: str, path: str, document: dict | None = None, *, csrf: str | None = None) -> dict:
        """What the upload script sends: JSON, answered as JSON, the session's CSRF token in X-CSRF-Token
        (`csrf` another one; "" none)."""
        token = self.csrf if csrf is None else csrf
        headers = {"Accept": "application/json", **({"X-CSRF-Token": token} if token else {})}
        if document is not None:
            headers["Content-Type"] = "application/json"
        return self.request(method, path, headers=headers, raw=None if document is None else json.dumps(document))

    def sign_in(self, email: str, password: str) -> dict:
        self.get("/login")
        response = self.post("/login", {"email": email, "password": password})
        if response["statusCode"] == 303:
            self.get("/dashboard")  # as a browser follows the redirect: the session's own form token
        return response


def location(response: dict) -> str:
    return response["multiValueHeaders"]["Location"][0]


def cookie_header(response: dict) -> str:
    return response["multiValueHeaders"]["Set-Cookie"][0]


# Two-factor sign-in, as a person goes through it.
def totp_code(secret: str, at: float) -> str:
    return pyotp.TOTP(secret).at(int(at))


def recovery_codes(page: dict) -> list[str]:
    listed = page["body"].split('id="recovery-codes"')[1].split("</ul>")[0]
    return re.findall(r"<code>([a-z2-7]{5}-[a-z2-7]{5})</code>", listed)


def enrol(browser: Browser, now: float) -> tuple[str, list[str]]:
    """Turns two-factor on from its page as a person would: the secret read from the page, then a code."""
    page = browser.get("/dashboard/two-factor")
    secret = re.search(r'id="secret">([A-Z2-7]{32})<', page["body"]).group(1)
    enabled = browser.post(
        "/dashboard/two-factor", {"action": "enable", "secret": secret, "code": totp_code(secret, now)}
    )
    assert enabled["statusCode"] == 200, enabled
    return secret, recovery_codes(enabled)


def password_step(browser: Browser, email: str, password: str) -> dict:
    browser.get("/login")
    return browser.post("/login", {"email": email, "password": password})


def code_step(browser: Browser, pending_page: dict, code: str) -> dict:
    pending = re.search(r'name="pending" value="([^"]+)"', pending_page["body"]).group(1)
    csrf = re.search(r'name="csrf" value="([^"]+)"', pending_page["body"]).group(1)
    return browser.post("/login/two-factor", {"csrf": csrf, "pending": pending, "code": code})
