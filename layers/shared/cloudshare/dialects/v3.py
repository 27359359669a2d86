"""The CloudApp v3 dialect: errors as {"errors": {"name", "message", "type"}}, 422 for bad data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from cloudshare.dialects.forms import client_input
from cloudshare.dialects.http import Dialect, JsonBody, build_resolver, user_uuid
from cloudshare.errors import InvalidInput
from cloudshare.models import Item, UploadTicket
from cloudshare.services import clock, lifecycle, management
from cloudshare.services.accounts import AccountSummary
from cloudshare.services.links import content_url, download_url, share_url

if TYPE_CHECKING:
    from typing import Any

    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

_ERROR_TYPES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    413: "too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}


def _error_body(status: int, message: str, field: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {"errors": {"name": field, "message": message, "type": _ERROR_TYPES.get(status, ""), **extra}}


DIALECT = Dialect(
    name="v3",
    error_body=_error_body,
    validation_status=422,
    limit_status=422,
    item_noun="Item",
    hides_other_owners=True,
)


def resolver(*, authenticated: bool = True, body: JsonBody | None = None) -> APIGatewayRestResolver:
    return build_resolver(DIALECT, authenticated=authenticated, body=body)


def account(summary: AccountSummary) -> dict[str, Any]:
    user, plan = summary.user, summary.plan
    return {
        "id": user_uuid(user.user_id),
        "email": user.email,
        "plan": plan.name,
        "created_at": user.created_at,
        "uploads_remaining": summary.uploads_remaining,
        "max_upload_size": plan.max_upload_size,
        "limits": plan.limits(),
        "features": plan.features,
        "usage": {
            "items": user.item_count,
            "artifacts": user.artifact_count,
            "storage_used": user.storage_used,
            "uploads_today": summary.uploads_today,
        },
    }


def item_type(item: Item) -> str:
    if item.kind == "bookmark":
        return "bookmark"
    major, _, minor = (item.content_type or "").partition("/")
    if major in ("image", "video", "audio", "text"):
        return major
    if minor in ("zip", "gzip", "x-tar", "x-7z-compressed", "x-rar-compressed", "x-bzip2"):
        return "archive"
    return "unknown"


def item(entry: Item, base: str) -> dict[str, Any]:
    share = share_url(entry, base)
    is_file = entry.kind == "file"
    body = {
        "slug": entry.slug,
        "name": entry.name,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "long_link": entry.long_link,
        "item_type": item_type(entry),
        "view_counter": entry.view_counter,
        "content_url": content_url(entry, base) if is_file else None,
        "redirect_url": entry.redirect_url,
        "remote_url": download_url(entry, base) if is_file else None,
        "source": entry.source,
        "thumbnail_url": f"{share}/thumbnail",
        "share_url": share,
        # Beyond the seed: what a client managing its items wants to see without more requests.
        "favorite": entry.favorite,
        "expires_at": entry.expiration_time,
        "expires_after_views": entry.expires_after_views,
        "status": lifecycle.public_state(entry, clock.iso()),
    }
    if is_file:
        body["file_size"] = entry.size
        body["upload_state"] = entry.state
        if entry.failure_reason:
            body["failure_reason"] = entry.failure_reason
    return body


def upload_request(
    ticket: UploadTicket | None, name: str, uploads_remaining: int, max_upload_size: int
) -> dict[str, Any]:
    """The seed's 'Request to Upload' answer; without a ticket (no uploads left) there is no s3."""
    body = {
        "name": ticket.item.name if ticket else name,
        "uploads_remaining": uploads_remaining,
        "max_upload_size": max_upload_size,
    }
    if ticket is not None:
        body = {"slug": ticket.item.slug, **body, "url": ticket.url, "s3": ticket.fields}
    return body


# ---------------------------------------------------------------- items management


def favorite(entry: Item) -> dict[str, Any]:
    return {"favorite": entry.favorite}


def expiration(entry: Item) -> dict[str, Any]:
    return {"expires_at": entry.expiration_time, "expires_after_views": entry.expires_after_views}


@dataclass(frozen=True)
class ListQuery:
    per_page: int
    before: str | None  # listing positions (see store/listing.py), decoded from the cursors
    after: str | None


# A cursor is `<created_at epoch seconds>.<microsecond>.<slug>`: URL-safe, and exact however many
# items share a second (`<seconds>.<slug>` names items made before microseconds were kept). A bare
# epoch (the seed's `before=1444089146`) is accepted too and means "strictly before / after that
# second".
_CURSOR = re.compile(r"^(\d{1,11})(?:(?:\.(\d{6}))?\.([A-Za-z0-9]{1,32}))?$")
_PER_PAGE = re.compile(r"^\d{1,9}$")


def cursor(position: str) -> str:
    second, micros, slug = management.cursor_parts(position)
    return ".".join(part for part in (str(second), micros is not None and f"{micros:06d}", slug) if part)


def _position(parameter: str, value: str) -> str:
    match = _CURSOR.match(value)
    if not match:
        raise InvalidInput(f"{parameter} must be a cursor from links, or epoch seconds", field=parameter)
    second, micros, slug = match.groups()
    return management.cursor_position(int(second), int(micros) if micros else None, slug, after=parameter == "after")


@client_input
def list_query(parameters: dict[str, str] | None) -> ListQuery:
    """GET /v3/items query parameters: per_page (default 20, capped) and one of before/after."""
    parameters = parameters or {}
    per_page = parameters.get("per_page")
    if per_page is not None and not _PER_PAGE.match(per_page):
        raise InvalidInput("per_page must be a whole number", field="per_page")
    before, after = parameters.get("before"), parameters.get("after")
    if before is not None and after is not None:
        raise InvalidInput("give before or after, not both", field="before")
    return ListQuery(
        per_page=management.page_size(int(per_page) if per_page is not None else None),
        before=_position("before", before) if before is not None else None,
        after=_position("after", after) if after is not None else None,
    )


def _page_link(base: str, parameter: str, position: str | None, per_page: int) -> dict[str, Any] | None:
    if position is None:
        return None  # no such page: the key stays, so clients see one shape
    query = urlencode({parameter: cursor(position), "per_page": per_page})
    return {"method": "GET", "href": f"{base}/v3/items?{query}"}


def items_page(page: management.CursorPage, per_page: int, base: str) -> dict[str, Any]:
    """The seed's list answer: data, links.next_url (older) / prev_url (newer), meta.count."""
    return {
        "data": [item(entry, base) for entry in page.items],
        "links": {
            "next_url": _page_link(base, "before", page.older, per_page),
            "prev_url": _page_link(base, "after", page.newer, per_page),
        },
        "meta": {"count": page.total},
    }


def email_share(recipients: list[str]) -> dict[str, Any]:
    return {"recipients": recipients}
