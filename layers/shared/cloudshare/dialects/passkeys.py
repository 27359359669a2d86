"""Passkeys as the dashboard speaks them: the ceremonies' JSON for the served script (passkeys.js), which
posts URL-encoded forms (with the sign-in form's or the session's CSRF token) and reads JSON back.
The rules are services/passkeys.py's."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from cloudshare.config import settings
from cloudshare.dialects import dashboard
from cloudshare.dialects.http import base_url
from cloudshare.services import sessions
from cloudshare.services.passkeys import Site

JSON_ANSWERS = {200: {"description": "JSON for the page's passkey script", "content": dashboard.JSON_CONTENT}}


# ---------------------------------------------------------------- requests


def site(app: APIGatewayRestResolver) -> Site:
    """The relying party: PASSKEY_RP_ID (the template's PasskeyRpId) or the host the request came to, and
    the origin the browser must report: the service's scheme with that host, as API Gateway saw it."""
    context = app.current_event.request_context
    base = urlsplit(base_url(app))
    host = context.domain_name or base.netloc
    rp_id = settings().passkey_rp_id or urlsplit(f"//{host}").hostname or ""
    return Site(rp_id=rp_id, origin=f"{base.scheme}://{host}")


def credential(fields: dict[str, str]) -> str:
    """The browser's credential (JSON) from the script's form."""
    return fields.get("credential", "")


def passkey_name(fields: dict[str, str]) -> str:
    """The name the owner gives a new passkey (its registration form only)."""
    return fields.get("name", "")


# ---------------------------------------------------------------- responses


def options(options_json: str) -> Response[str]:
    return Response(
        status_code=200, content_type="application/json", body=options_json, headers={"Cache-Control": "no-store"}
    )


def go_to(app: APIGatewayRestResolver, path: str, headers: dict[str, str] | None = None) -> Response[str]:
    """Done: where the script takes the browser next."""
    return Response(
        status_code=200,
        content_type="application/json",
        body=json.dumps({"location": f"{base_url(app)}{path}"}),
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def signed_in(app: APIGatewayRestResolver, signed: sessions.SignedIn) -> Response[str]:
    """The session cookie, and on to the dashboard (the script follows the location)."""
    return go_to(app, "/dashboard", {"Set-Cookie": dashboard.session_cookie(app, signed)})
