"""The CloudApp v3 dialect: errors as {"errors": {"name", "message", "type"}}, 422 for bad data."""

from __future__ import annotations

from urllib.parse import quote

from cloudshare.dialects.http import Dialect, build_resolver
from cloudshare.models import Item, UploadTicket
from cloudshare.services.accounts import AccountSummary
from cloudshare.services.links import share_code

_ERROR_TYPES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 413: "too_large", 503: "unavailable"}


def _error_body(status: int, message: str, field: str, extra: dict) -> dict:
    return {"errors": {"name": field, "message": message, "type": _ERROR_TYPES.get(status, ""), **extra}}


DIALECT = Dialect(name="v3", error_body=_error_body, validation_status=422, limit_status=422,
                  item_noun="Item", hides_other_owners=True)


def resolver(*, authenticated: bool = True, validate: bool = False):
    return build_resolver(DIALECT, authenticated=authenticated, validate=validate)


def account(summary: AccountSummary) -> dict:
    user, plan = summary.user, summary.plan
    return {
        "id": user.user_id,
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


def item(entry: Item, base: str) -> dict:
    share = f"{base}/{share_code(entry)}"
    is_file = entry.kind == "file"
    body = {
        "slug": entry.slug,
        "name": entry.name,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "long_link": entry.long_link,
        "item_type": item_type(entry),
        "view_counter": entry.view_counter,
        "content_url": f"{share}/content/{quote(entry.name)}" if is_file else None,
        "redirect_url": entry.redirect_url,
        "remote_url": f"{share}/download/{quote(entry.name)}" if is_file else None,
        "source": entry.source,
        "thumbnail_url": f"{share}/thumbnail",
        "share_url": share,
    }
    if is_file:
        body["file_size"] = entry.size
        body["upload_state"] = entry.state
        if entry.failure_reason:
            body["failure_reason"] = entry.failure_reason
    return body


def upload_request(ticket: UploadTicket | None, name: str, uploads_remaining: int, max_upload_size: int) -> dict:
    """The seed's 'Request to Upload' answer; without a ticket (no uploads left) there is no s3."""
    body = {"name": name, "uploads_remaining": uploads_remaining, "max_upload_size": max_upload_size}
    if ticket is not None:
        body = {"slug": ticket.item.slug, **body, "url": ticket.url, "s3": ticket.fields}
    return body
