"""Requests of the v1 artifacts routes, read from forms (multipart or URL-encoded), JSON or the query string.

Errors are InvalidInput (400 in v1). Text that means "none" for a removable setting: "" and "null".
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudshare.dialects.forms import Form, client_input
from cloudshare.errors import InvalidInput
from cloudshare.models import KEEP, Keep
from cloudshare.services.artifacts import ArtifactUpdate, InlineFile, NewArtifact
from cloudshare.services.management import ItemChanges, future_time

DEFAULT_PAGE_SIZE = 20
SORT_ORDERS = ("asc", "desc")
_NOTHING = ("", "null")


@dataclass(frozen=True)
class ArtifactListing:
    page: int
    limit: int
    sort_by: str
    descending: bool
    published: bool | None


@client_input
def new_artifact(form: Form, source: str | None) -> NewArtifact:
    expiration = form.text("expiration_date")
    return NewArtifact(
        version_name=form.text("version_name"),
        file=_inline_file(form),
        file_name=form.text("file_name"),
        file_size=form.integer("file_size"),
        settings=ItemChanges(
            password=_password(form) or None,  # creating without a password is the default anyway
            allow_comments=form.flag("allow_comments"),
            allow_downloads=form.flag("allow_downloads"),
            view_only=form.flag("view_only"),
            expiration_time=KEEP if expiration is None or expiration.strip() in _NOTHING else _expiry(expiration),
        ),
        source=source,
    )


@client_input
def artifact_update(form: Form) -> ArtifactUpdate:
    return ArtifactUpdate(
        changes=ItemChanges(
            is_published=form.flag("is_published"),
            allow_comments=form.flag("allow_comments"),
            allow_downloads=form.flag("allow_downloads"),
            view_only=form.flag("view_only"),
            show_combined_comments=form.flag("show_combined_comments"),
            comment_emails=form.flag("comment_emails"),
            password=_password(form),
            expiration_time=_expiration_change(form),
        ),
        version_name=form.text("version_name"),
        file=_inline_file(form),
        file_name=form.text("file_name"),
        file_size=form.integer("file_size"),
        keep_password=form.flag("keep_password"),
    )


@client_input
def artifact_listing(query: dict[str, str] | None) -> ArtifactListing:
    params = Form(fields=dict(query or {}))
    sort_by = params.text("sort_by") or "created_at"
    sort_order = (params.text("sort_order") or "desc").lower()
    if sort_order not in SORT_ORDERS:
        raise InvalidInput("sort_order must be asc or desc", field="sort_order")
    page = params.integer("page", minimum=1)
    limit = params.integer("limit", minimum=1)
    return ArtifactListing(
        page=1 if page is None else page,
        limit=DEFAULT_PAGE_SIZE if limit is None else limit,
        sort_by=sort_by,
        descending=sort_order == "desc",
        published=params.flag("is_published"),
    )


@dataclass(frozen=True)
class CommentListing:
    before: str | None
    limit: int | None
    version: int | None


@client_input
def comment_listing(query: dict[str, str] | None) -> CommentListing:
    params = Form(fields=dict(query or {}))
    return CommentListing(
        before=params.text("before"), limit=params.integer("limit", minimum=1), version=params.integer("version")
    )


@client_input
def owner_comment(form: Form) -> tuple[str | None, int | None]:
    """The owner's reply: its text, and the version it is about (None: the current one)."""
    return form.text("text"), form.integer("version_number", minimum=1)


def _inline_file(form: Form) -> InlineFile | None:
    if "file" in form.fields and form.fields["file"] not in (None, ""):
        raise InvalidInput(
            "file must be the file itself (curl -F file=@path), or use file_name for a presigned upload", field="file"
        )
    part = form.files.get("file")
    return InlineFile(part.filename, part.content, part.content_type) if part else None


def _password(form: Form) -> str | None:
    """None: leave as it is; "": remove (an empty value or JSON null); else the new password."""
    if "password" not in form.fields:
        return None
    return form.text("password") or ""


def _expiration_change(form: Form) -> str | None | Keep:
    if "expiration_date" not in form.fields:
        return KEEP
    text = form.text("expiration_date")
    return None if text is None or text.strip() in _NOTHING else _expiry(text)


def _expiry(text: str) -> str:
    return future_time(text, "expiration_date")
