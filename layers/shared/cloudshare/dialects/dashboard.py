"""The owner's dashboard: sign-in, pages and forms under /dashboard, answered as HTML.

Pages are rendered like the public ones (pages.page: Jinja, strict CSP, no external resources).
Signed-in routes read the session cookie (services/sessions.py) in a middleware: a GET without a
session goes to /login, a POST without one is refused; every POST must carry the session's CSRF
token (a form's `csrf` field, or the X-CSRF-Token header of the upload script's JSON calls).
Someone else's item looks like no item at all (404), as in the v3 API.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from cloudshare import content_types
from cloudshare.dialects import forms, pages
from cloudshare.dialects.forms import client_input
from cloudshare.dialects.http import JsonBody, base_url, handles, json_body
from cloudshare.errors import AccessDenied, InvalidInput, ItemNotFound, NotOwner, PayloadTooLarge, TooManyAttempts
from cloudshare.models import Item, UploadTicket, Version
from cloudshare.observability import logger, metrics
from cloudshare.plans import UNLIMITED
from cloudshare.services import accounts, clock, lifecycle, links, management, passkeys, sessions
from cloudshare.services.artifacts import ArtifactUpdate, Outcome
from cloudshare.services.management import Browse, ItemChanges
from cloudshare.services.multipart import Completed

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
    from pydantic import BaseModel

SESSION_COOKIE = "cs_session"
LOGIN_COOKIE = "cs_login"  # the sign-in form's own CSRF token, before there is a session
LOGIN_COOKIE_SECONDS = 60 * 60
MAX_FORM_BYTES = 16 * 1024  # the dashboard's forms are a few short fields
_FORM_TYPE = "application/x-www-form-urlencoded"
_NOTICES = {
    "rename": "Renamed.",
    "favorite": "Favorite changed.",
    "sharing": "Sharing changed.",
    "password": "Password changed.",
    "expiry": "Expiry changed.",
    "delete": "Moved to the trash.",
    "restore": "Restored.",
    "revoke": "API key revoked.",
    "passkey": "Passkey added.",
    "passkey-removed": "Passkey removed.",
}

SHAREX_KEY_LABEL = "ShareX"
SHAREX_VERSION = "16.1.0"  # the custom uploader format's version (ShareX 13.7+ reads this one)

# What the routes may answer, for the OpenAPI document.
SIGN_IN_ANSWERS = {303: {"description": "Signed in: the session cookie, and on to /dashboard"}, **pages.HTML_ANSWERS}
FORM_ANSWERS = {303: {"description": "Done: back to the page the form came from"}}
JSON_CONTENT = {"application/json": {"schema": {"type": "object"}}}
UPLOAD_ANSWERS = {200: {"description": "JSON for the page's upload script", "content": JSON_CONTENT}}
SHAREX_ANSWERS = {
    200: {
        "description": "A ShareX custom uploader (.sxcu, an attachment) holding a new API key",
        "content": JSON_CONTENT,
    }
}


# ---------------------------------------------------------------- requests


def resolver(*, signed_in: bool = True) -> APIGatewayRestResolver:
    """A resolver for dashboard routes; `signed_in` ones need a session (and a CSRF token to POST)."""
    app = pages.resolver()

    @handles(app, NotOwner)
    def _hidden(_error: NotOwner) -> Response[str]:
        return pages.refusal(app, ItemNotFound())

    if signed_in:
        app.use(middlewares=[_require_session])
    return app


def _require_session(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    session = sessions.resume(pages.cookies(app.current_event.headers.get("cookie", "")).get(SESSION_COOKIE, ""))
    if session is None:
        if app.current_event.http_method == "GET":
            return pages.redirect(f"{base_url(app)}/login", status=303)
        raise AccessDenied("Your session has ended; sign in again")
    if app.current_event.http_method != "GET":
        _check_same_site(app)
        sessions.check_csrf(session, _csrf_token(app))
    logger.append_keys(user_id=session.user.user_id)
    app.append_context(session=session)
    return next_middleware(app)


def _check_same_site(app: APIGatewayRestResolver) -> None:
    """Defence in depth beside the token: browsers label a form posted from another site's page."""
    if app.current_event.headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site"):
        metrics.add_metric(name="CrossSiteRefused", unit=MetricUnit.Count, value=1)
        raise AccessDenied("Forms from another site's pages are not accepted")


def _csrf_token(app: APIGatewayRestResolver) -> str:
    """The X-CSRF-Token header (the upload script's JSON calls), else the form's `csrf` field."""
    headers = app.current_event.headers
    if "x-csrf-token" in headers:
        return headers["x-csrf-token"]
    return "" if forms.is_json(headers.get("content-type", "")) else form(app).get("csrf", "")


def session(app: APIGatewayRestResolver) -> sessions.Session:
    found: sessions.Session = app.context["session"]
    return found


def source(app: APIGatewayRestResolver) -> str:
    return app.current_event.request_context.identity.source_ip or ""


@client_input
def form(app: APIGatewayRestResolver) -> dict[str, str]:
    """A URL-encoded form's fields (the first value of each); any other body is refused."""
    event = app.current_event
    body = event.decoded_body or ""
    if len(body) > MAX_FORM_BYTES:
        raise PayloadTooLarge("This form is too large")
    content_type = event.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and content_type != _FORM_TYPE:
        raise InvalidInput(f"Send the form as {_FORM_TYPE}", field="Content-Type")
    fields: dict[str, str] = {}
    for name, value in parse_qsl(body, keep_blank_values=True):
        fields.setdefault(name, value)
    return fields


def login_form(app: APIGatewayRestResolver) -> tuple[str, str]:
    """(e-mail, password) from the sign-in form."""
    fields = login_fields(app)
    return fields.get("email", ""), fields.get("password", "")


def login_fields(app: APIGatewayRestResolver) -> dict[str, str]:
    """A sign-in form's fields; the form must carry the token its page set as a cookie (so that another
    site cannot sign a browser in to an account of its choosing)."""
    fields = form(app)
    expected = login_token(app)
    if not expected or not secrets.compare_digest(expected.encode(), fields.get("csrf", "").encode()):
        raise AccessDenied("This sign-in form has expired; reload the page and retry", field="csrf")
    return fields


def login_token(app: APIGatewayRestResolver) -> str:
    """The sign-in forms' token, from the cookie the sign-in page set."""
    return pages.cookies(app.current_event.headers.get("cookie", "")).get(LOGIN_COOKIE, "")


def notice(app: APIGatewayRestResolver) -> str:
    """What the page says was just done (a form's redirect names it), from a fixed list."""
    return _NOTICES.get((app.current_event.query_string_parameters or {}).get("done", ""), "")


def key_label(fields: dict[str, str]) -> str:
    return fields.get("label", "").strip()


def agent(app: APIGatewayRestResolver) -> str:
    return app.current_event.headers.get("user-agent", "")


@client_input
def browse_request(app: APIGatewayRestResolver) -> Browse:
    query = app.current_event.query_string_parameters or {}
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidInput("order must be asc or desc", field="order")
    return Browse(
        filter=query.get("filter", "all"),
        query=query.get("q", ""),
        sort_by=query.get("sort_by", "created_at"),
        descending=order == "desc",
        page=int(query.get("page", "1")),
    )


@client_input
def item_changes(fields: dict[str, str]) -> ItemChanges:
    """The item page's forms: each names what it changes in `action`."""
    action = fields.get("action", "")
    if action == "rename":
        return ItemChanges(name=fields.get("name", ""))
    if action == "favorite":
        return ItemChanges(favorite=fields.get("favorite") == "on")
    if action == "sharing":
        return ItemChanges(
            is_published=fields.get("is_published") == "on",
            allow_downloads=fields.get("allow_downloads") == "on",
            view_only=fields.get("view_only") == "on",
        )
    if action == "password":
        return ItemChanges(password="" if fields.get("remove") == "on" else _required(fields, "password"))
    if action == "expiry":
        date, views = fields.get("expires_at", "").strip(), fields.get("expires_after_views", "").strip()
        # A datetime-local field has no zone: the page says it is UTC.
        return ItemChanges(expiration_time=date if date else None, expires_after_views=int(views) if views else None)
    raise InvalidInput("Unknown action", field="action")


@client_input
def upload_request(fields: dict[str, str]) -> tuple[str, int]:
    """(name, declared size) of a file the upload script is about to send."""
    size = int(fields.get("file_size", ""))
    if size < 0:
        raise InvalidInput("file_size must be a size in bytes", field="file_size")
    return _required(fields, "name"), size


def json_request(app: APIGatewayRestResolver, declared: JsonBody) -> BaseModel:
    """The upload script's JSON body, read into the route's model (dialects/multipart.py), as the v1 routes read it."""
    return json_body(app.current_event, declared)


def new_version(fields: dict[str, str]) -> ArtifactUpdate:
    """The item page's "upload a new version": the file's name and size, as v1's presigned update."""
    name, size = upload_request(fields)
    return ArtifactUpdate(file_name=name, file_size=size)


@client_input
def version_number(text: str) -> int:
    number = int(text)
    if number < 1:
        raise InvalidInput("A version number is 1 or more", field="number")
    return number


def _required(fields: dict[str, str], name: str) -> str:
    value = fields.get(name, "")
    if not value:
        raise InvalidInput(f"Enter a {name}", field=name)
    return value


# ---------------------------------------------------------------- responses


def login_page(app: APIGatewayRestResolver, *, status: int = 200, error: str = "") -> Response[str]:
    token = secrets.token_urlsafe(24)
    cookie = _cookie(app, LOGIN_COOKIE, token, LOGIN_COOKIE_SECONDS, path="/login")
    return pages.page(
        app,
        status,
        "login.html",
        scripts=True,
        base=base_url(app),
        action=f"{base_url(app)}/login",
        csrf=token,
        error=error,
        headers={"Set-Cookie": cookie},
    )


def login_refused(app: APIGatewayRestResolver, error: AccessDenied | TooManyAttempts) -> Response[str]:
    """The form again, with why (the same words whether or not the e-mail has an account)."""
    page = login_page(app, status=error.status, error=error.message)
    if isinstance(error, TooManyAttempts):
        page.headers["Retry-After"] = str(error.retry_after)
    return page


def signed_in(app: APIGatewayRestResolver, signed: sessions.SignedIn) -> Response[str]:
    return Response(
        status_code=303,
        body="",
        headers={
            "Location": f"{base_url(app)}/dashboard",
            "Set-Cookie": session_cookie(app, signed),
            "Cache-Control": "no-store",
        },
    )


def session_cookie(app: APIGatewayRestResolver, signed: sessions.SignedIn) -> str:
    return _cookie(app, SESSION_COOKIE, signed.token, sessions.SESSION_SECONDS)


def signed_out(app: APIGatewayRestResolver) -> Response[str]:
    return Response(
        status_code=303,
        body="",
        headers={
            "Location": f"{base_url(app)}/login",
            "Set-Cookie": _cookie(app, SESSION_COOKIE, "", 0),
            "Cache-Control": "no-store",
        },
    )


def back_to(app: APIGatewayRestResolver, path: str, **query: str) -> Response[str]:
    """After a form: back to a dashboard page (303, so a reload does not post again)."""
    suffix = f"?{urlencode(query)}" if query else ""
    return pages.redirect(f"{base_url(app)}{path}{suffix}", status=303)


def items_page(app: APIGatewayRestResolver, request: Browse, found: management.BrowsePage) -> Response[str]:
    base, now = base_url(app), clock.iso()
    query = {
        "filter": request.filter,
        "q": request.query,
        "sort_by": request.sort_by,
        "order": "desc" if request.descending else "asc",
    }
    return _signed_in_page(
        app,
        "dashboard_items.html",
        scripts=True,
        request=request,
        has_more=found.has_more,
        items=[_card(item, base, now) for item in found.items],
        filters=management.FILTERS,
        orders=management.SORT_FIELDS,
        query=query,
        previous=urlencode({**query, "page": request.page - 1}),
        next=urlencode({**query, "page": request.page + 1}),
    )


def item_page(app: APIGatewayRestResolver, item: Item, versions: list[Version], done: str = "") -> Response[str]:
    base = base_url(app)
    share = links.share_url(item, base)
    return _signed_in_page(
        app,
        "dashboard_item.html",
        scripts=True,
        item=_card(item, base, clock.iso()),
        versions=_versions(item, versions),
        done=done,
        short_url=f"{base}/{item.slug}",
        long_url=share,
        qr_svg=pages.qr_svg(share) if item.deleted_at is None else "",
    )


def integrations_page(app: APIGatewayRestResolver) -> Response[str]:
    base = base_url(app)
    return _signed_in_page(app, "dashboard_integrations.html", api_url=base, create_url=f"{base}/api/v1/artifacts")


def sharex_uploader(app: APIGatewayRestResolver, api_key: str) -> Response[str]:
    """A ShareX custom uploader: a multipart POST of the file to v1's create, the API key in its
    header; ShareX shows the answer's share_url. ShareX opens DeletionURL in a browser (a GET, without
    the key): the item's dashboard page, whose owner deletes it there."""
    base = base_url(app)
    host = urlsplit(base).netloc
    uploader = {
        "Version": SHAREX_VERSION,
        "Name": f"cloudshare ({host})",
        "DestinationType": "ImageUploader, TextUploader, FileUploader",
        "RequestMethod": "POST",
        "RequestURL": f"{base}/api/v1/artifacts",
        "Headers": {"x-api-key": api_key},
        "Body": "MultipartFormData",
        "Arguments": {"version_name": "ShareX"},
        "FileFormName": "file",
        "URL": "{json:share_url}",
        "ThumbnailURL": "{json:share_url}/thumbnail",
        "DeletionURL": f"{base}/dashboard/items/{{json:slug}}",
        "ErrorMessage": "{json:message}",
    }
    return Response(
        status_code=200,
        content_type="application/json",
        body=json.dumps(uploader, indent=2),
        headers={
            "Content-Disposition": f'attachment; filename="cloudshare-{host.split(":")[0]}.sxcu"',
            "Cache-Control": "no-store",
        },
    )


def version_ticket(outcome: Outcome) -> Response[str]:
    """The new version's number and its presigned POST, for the item page's script."""
    upload = outcome.upload
    if upload is None:  # a new version from the dashboard is always presigned
        raise InvalidInput("No file to upload", field="file_size")
    return _json({"version": outcome.version_number, "url": upload.url, "fields": upload.fields})


def versions_of(app: APIGatewayRestResolver, item: Item, versions: list[Version]) -> Response[str]:
    """The item (as its page shows it) and its versions, after a new one settled."""
    return _json({"item": _card(item, base_url(app), clock.iso()), "versions": _versions(item, versions)})


def _versions(item: Item, versions: list[Version]) -> list[dict[str, Any]]:
    """Newest first, as the page lists them."""
    return [
        {
            "number": version.number,
            "name": version.name or "",
            "state": version.state,
            "size": pages.human_size(version.size),
            "created_at": version.created_at,
            "current": version.number == item.version and version.state == "ready",
        }
        for version in sorted(versions, key=lambda version: version.number, reverse=True)
    ]


def account_page(app: APIGatewayRestResolver, new_key: str = "") -> Response[str]:
    current = session(app)
    summary = accounts.summarize(current.user)
    user, plan = summary.user, summary.plan
    usage = [
        _usage("Storage", user.storage_used, plan.storage_quota, pages.human_size),
        _usage("Items", user.artifact_count, plan.artifact_limit, str),
        _usage("Uploads today", summary.uploads_today, plan.daily_uploads, str),
    ]
    keys = sorted(accounts.keys_of(user), key=lambda key: key.created_at, reverse=True)
    active = [
        {
            "current": stored.token_hash == current.token_hash,
            "created_at": stored.created_at,
            "source": stored.source,
            "agent": stored.agent,
        }
        for stored in sessions.active(user)
    ]
    return _signed_in_page(
        app,
        "dashboard_account.html",
        scripts=True,
        passkeys=passkeys.passkeys_of(user),
        max_passkeys=passkeys.MAX_PASSKEYS,
        plan=plan,
        usage=usage,
        keys=keys,
        sessions=active,
        new_key=new_key,
        uploads_remaining=summary.uploads_remaining,
        done=notice(app),
    )


def _usage(label: str, used: int, limit: int, show: Callable[[int], str]) -> dict[str, Any]:
    unlimited = limit == UNLIMITED
    return {
        "label": label,
        "used": show(used),
        "limit": "unlimited" if unlimited else show(limit),
        "value": used,
        "max": max(limit, used, 1) if not unlimited else max(used, 1),
        "unlimited": unlimited,
    }


def upload_ticket(ticket: UploadTicket) -> Response[str]:
    """Where and how the script posts the file: the presigned POST's URL and fields."""
    return _json({"slug": ticket.item.slug, "url": ticket.url, "fields": ticket.fields})


def uploaded(app: APIGatewayRestResolver, item: Item) -> Response[str]:
    return _json(_card(item, base_url(app), clock.iso()))


def multipart_answer(body: dict[str, Any]) -> Response[str]:
    """A multipart route's answer: the same JSON as its v1 twin (dialects/multipart.py)."""
    return _json(body)


def multipart_uploaded(app: APIGatewayRestResolver, done: Completed) -> Response[str]:
    """A completed multipart upload: the settled item, as the grid shows it."""
    return uploaded(app, done.item)


def _json(body: dict[str, Any]) -> Response[str]:
    return Response(
        status_code=200, content_type="application/json", body=json.dumps(body), headers={"Cache-Control": "no-store"}
    )


def _signed_in_page(app: APIGatewayRestResolver, template: str, **context: Any) -> Response[str]:
    current = session(app)
    return pages.page(app, 200, template, base=base_url(app), user=current.user, csrf=current.csrf, **context)


def _card(item: Item, base: str, now: str) -> dict[str, Any]:
    share = links.share_url(item, base)
    return {
        "slug": item.slug,
        "name": item.name,
        "kind": item.kind,
        "size": pages.human_size(item.size),
        "state": lifecycle.public_state(item, now),
        "favorite": item.favorite,
        "views": item.view_counter,
        "downloads": item.download_counter,
        "created_at": item.created_at,
        "share_url": share,
        "thumbnail_url": f"{share}/thumbnail",
        "preview": content_types.preview(item.content_type),
        "is_published": item.is_published,
        "allow_downloads": item.allow_downloads,
        "view_only": item.view_only,
        "has_password": item.password_hash is not None,
        "expiration_time": item.expiration_time,
        "expires_after_views": item.expires_after_views,
        "deleted_at": item.deleted_at,
        "url": f"{base}/dashboard/items/{item.slug}",
        "version": item.version,
    }


def _cookie(app: APIGatewayRestResolver, name: str, value: str, max_age: int, path: str = "/") -> str:
    base = base_url(app)
    parts = [f"{name}={value}", f"Path={urlsplit(base).path}{path}", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if base.startswith("https://"):
        parts.append("Secure")
    return "; ".join(parts)
