"""The artifacts v1 dialect: {"status": bool, "message": …} bodies, 400 for bad data."""

from __future__ import annotations

import math
import mimetypes
import uuid
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from cloudshare.dialects.http import Dialect, JsonBody, build_resolver, user_uuid
from cloudshare.models import Comment, Item, UploadTicket, Version
from cloudshare.services.accounts import AccountSummary
from cloudshare.services.links import content_url, share_url

if TYPE_CHECKING:  # the account route need not load the artifacts service
    from typing import Any

    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    from cloudshare.services.artifacts import Outcome
    from cloudshare.services.comments import Thread


def _error_body(status: int, message: str, field: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {"status": False, "message": message, **extra}


DIALECT = Dialect(
    name="v1",
    error_body=_error_body,
    validation_status=400,
    limit_status=403,
    item_noun="Artifact",
    hides_other_owners=False,
)


def resolver(*, authenticated: bool = True, body: JsonBody | None = None) -> APIGatewayRestResolver:
    return build_resolver(DIALECT, authenticated=authenticated, body=body)


def account(summary: AccountSummary) -> dict[str, Any]:
    user, plan = summary.user, summary.plan
    return {
        "status": True,
        "account": {
            "id": user_uuid(user.user_id),
            "email": user.email,
            "plan": plan.name,
            "created_at": user.created_at,
            "limits": plan.limits(),
            "features": plan.features,
            "usage": {
                "artifacts": user.artifact_count,
                "storage_used": user.storage_used,
                "uploads_today": summary.uploads_today,
            },
            "uploads_remaining": summary.uploads_remaining,
        },
    }


# ---------------------------------------------------------------- artifacts
# An artifact is an item seen through v1. Bookmarks are listed items too, so they appear (with
# version 0 and no file type) rather than making the list disagree with the owner's counts.

# The seed shows `id` and `user_id` as UUIDs: the account's id in its canonical form, and for an
# artifact a name-based UUID of its slug (stable and unique without storing another identifier).
_ARTIFACT_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "https://cloudshare.invalid/artifacts")


def artifact(entry: Item, base: str) -> dict[str, Any]:
    """Every field the seed types as a String is a string: "" where a bookmark (or a file made
    through v3) has no version name, file type or extension."""
    is_file = entry.kind == "file"
    return {
        "id": str(uuid.uuid5(_ARTIFACT_IDS, entry.slug)),
        "slug": entry.slug,
        "user_id": user_uuid(entry.owner_id),
        "is_published": entry.is_published,
        "allow_comments": entry.allow_comments,
        "allow_downloads": entry.allow_downloads,
        "view_only": entry.view_only,
        "show_combined_comments": entry.show_combined_comments,
        "comment_emails": entry.comment_emails,
        "total_views": entry.view_counter,
        "total_downloads": entry.download_counter,
        "total_comments": entry.total_comments,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "current_version_number": entry.version,
        "current_version_name": entry.version_name or "",
        "current_file_url": content_url(entry, base) if is_file else share_url(entry, base),
        "current_file_type": (entry.content_type or "") if is_file else "",
        "current_file_extension": file_extension(entry) if is_file else "",
    }


def file_extension(entry: Item) -> str:
    """The extension of the current file: its name's, unless its type says otherwise (a new version
    of another kind of file keeps the artifact's name); "" when neither has one."""
    suffix = PurePosixPath(entry.name).suffix.lstrip(".").lower()
    media_type = (entry.content_type or "").split(";")[0].strip().lower()
    if media_type and media_type != "application/octet-stream" and mimetypes.guess_type(entry.name)[0] != media_type:
        guessed = mimetypes.guess_extension(media_type)
        if guessed:
            return guessed.lstrip(".")
    return suffix


def artifact_page(found: list[Item], total: int, page: int, limit: int, base: str) -> dict[str, Any]:
    return {
        "status": True,
        "artifacts": [artifact(entry, base) for entry in found],
        "pagination": {"total": total, "page": page, "limit": limit, "totalPages": math.ceil(total / limit)},
    }


def artifact_detail(entry: Item, versions: list[Version], base: str) -> dict[str, Any]:
    """One artifact: the list's fields, its upload state and every version (newest last)."""
    body = artifact(entry, base)
    body["upload_state"] = entry.state
    if entry.failure_reason:
        body["failure_reason"] = entry.failure_reason
    body["versions"] = [
        {
            "version_number": version.number,
            "version_name": version.name,
            "state": version.state,
            "file_size": version.size,
            "file_type": version.content_type,
            "created_at": version.created_at,
            **({"failure_reason": version.failure_reason} if version.failure_reason else {}),
        }
        for version in versions
    ]
    return {"status": True, "artifact": body}


def _upload(ticket: UploadTicket | None) -> dict[str, Any]:
    """The presigned POST still to be made: every field, then the file (S3 answers 204)."""
    return {"upload": {"url": ticket.url, "fields": ticket.fields}} if ticket else {}


def artifact_created(outcome: Outcome, base: str) -> dict[str, Any]:
    """The seed's answer, plus `share_url` (the item's public link: live once its file has landed)."""
    return {
        "status": True,
        "message": "Artifact created successfully",
        "slug": outcome.item.slug,
        "share_url": share_url(outcome.item, base),
        **_upload(outcome.upload),
    }


def artifact_updated(outcome: Outcome) -> dict[str, Any]:
    return {
        "status": True,
        "message": "Artifact updated successfully",
        "version_number": outcome.version_number,
        "password_inherited": outcome.password_inherited,
        **_upload(outcome.upload),
    }


def done(message: str) -> dict[str, Any]:
    return {"status": True, "message": message}


# ---------------------------------------------------------------- comments


def comment(entry: Comment) -> dict[str, Any]:
    return {
        "id": entry.comment_id,
        "version_number": entry.version,
        "name": entry.author,
        "text": entry.body,
        "by_owner": entry.by_owner,
        "created_at": entry.created_at,
    }


def comment_page(thread: Thread, limit: int) -> dict[str, Any]:
    """A page of comments, newest first; `next_before` continues with older ones (null: none left)."""
    return {
        "status": True,
        "comments": [comment(entry) for entry in thread.comments],
        "pagination": {"total": thread.item.total_comments, "limit": limit, "next_before": thread.next_before},
    }


def comment_added(entry: Comment) -> dict[str, Any]:
    return {"status": True, "message": "Comment added successfully", "comment": comment(entry)}
