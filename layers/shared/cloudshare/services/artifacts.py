"""v1 artifacts: a new artifact or version from an inline file or a presigned POST, metadata changes.

The rules live in uploads (plan limits, settling) and management (ownership, paid features,
passwords, expiry). This module orders them so that a refused request writes nothing: every check
runs before the first write.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import PureWindowsPath

from cloudshare import content_types
from cloudshare.errors import InvalidInput, ItemNotFound, LimitExceeded, PayloadTooLarge
from cloudshare.models import Item, UploadTicket, User, Version
from cloudshare.services import clock, inputs, management, uploads
from cloudshare.services.management import ItemChanges
from cloudshare.store import items, users, writes

# API Gateway takes 10 MB per request and Lambda 6 MB per event; a multipart body reaches Lambda
# base64-encoded (4/3 larger), so 4 MiB of file (5.6 MB encoded) leaves room for the rest of the event.
INLINE_UPLOAD_CAP = 4 * 1024 * 1024


@dataclass(frozen=True)
class InlineFile:
    filename: str
    content: bytes
    content_type: str  # as the client labelled it; "" if it did not


@dataclass(frozen=True)
class NewArtifact:
    """POST /api/v1/artifacts: an inline `file`, or `file_name` (+ `file_size`) for a presigned POST."""

    version_name: str | None
    file: InlineFile | None = None
    file_name: str | None = None
    file_size: int | None = None
    settings: ItemChanges = ItemChanges()
    source: str | None = None


@dataclass(frozen=True)
class ArtifactUpdate:
    """PUT /api/v1/artifacts/{slug}: metadata, and optionally a new version (inline or presigned)."""

    changes: ItemChanges = ItemChanges()
    version_name: str | None = None
    file: InlineFile | None = None
    file_name: str | None = None
    file_size: int | None = None
    keep_password: bool | None = None


@dataclass(frozen=True)
class Outcome:
    item: Item
    version_number: int
    upload: UploadTicket | None = None  # the presigned POST, when the file is still to come
    password_inherited: bool = False


def create_artifact(user: User, request: NewArtifact) -> Outcome:
    if request.version_name is None:
        raise InvalidInput("version_name is required", field="version_name")
    version_name = management.valid_version_name(request.version_name)
    name, size = _file_to_come(request.file, request.file_name, request.file_size, required=True)
    fields = management.new_item_fields(user, dataclasses.replace(request.settings, name=name))
    name = fields.pop("name")
    ticket = uploads.request_upload(
        user, name, size, None, request.source, version_name=version_name, item_fields=fields
    )
    if request.file is None:
        return Outcome(ticket.item, 1, upload=ticket)
    item = uploads.store_inline(ticket, request.file.content, _content_type(request.file))
    if item.state == "failed":
        _explain_rejection(user, item.failure_reason, len(request.file.content), new_item=True)
    return Outcome(item, 1)


def update_artifact(user: User, slug: str, request: ArtifactUpdate) -> Outcome:
    """Metadata alone is changed at once. With a file, the metadata (password included) goes with the
    new version: applied in the write that makes it current, so a refused or never-arriving file
    changes nothing, and a protected version never stands unprotected before its successor lands."""
    item = management.owned(user, slug, "update")
    version_name = None if request.version_name is None else management.valid_version_name(request.version_name)
    name, size = _file_to_come(request.file, request.file_name, request.file_size, required=False)
    uploading = name is not None
    if item.kind != "file" and (uploading or version_name is not None):
        raise InvalidInput("Bookmarks have no file versions", field="file" if uploading else "version_name")
    if not uploading:
        item = management.update(user, slug, request.changes, read=item)
        if version_name is not None:
            item = _rename_current_version(item, version_name)
        return Outcome(item, item.version)
    changes, inherited = _password_for_new_version(item, request.changes, request.keep_password)
    sets, removes = management.planned(user, item, changes)
    ticket = uploads.request_new_version(
        user,
        item,
        size,
        None,
        version_name,
        item_changes={"sets": sets, "removes": removes} if sets or removes else None,
        file_name=name,
    )
    number = ticket.version.number
    if request.file is None:
        return Outcome(item, number, upload=ticket, password_inherited=inherited)
    settled = uploads.store_inline(ticket, request.file.content, _content_type(request.file))
    if settled.version != number:
        stored = items.get_version(slug, number)
        if stored is not None and stored.state == "failed":
            _explain_rejection(user, stored.failure_reason, len(request.file.content), new_item=False)
    return Outcome(settled, number, password_inherited=inherited)


def get_artifact(user: User, slug: str, *, include_deleted: bool = False) -> tuple[Item, list[Version]]:
    """One of the caller's artifacts with all its versions (pending and failed ones too, so a client
    of the presigned flow can poll for its upload); a deleted one (include_deleted) has none shown."""
    item = management.owned(user, slug, include_deleted=include_deleted)
    return item, items.list_versions(slug) if item.kind == "file" and item.deleted_at is None else []


def _file_to_come(
    file: InlineFile | None, file_name: str | None, file_size: int | None, *, required: bool
) -> tuple[str | None, int | None]:
    """The new version's file name and size, or (None, None) when no file is coming."""
    if file is not None and file_name is not None:
        raise InvalidInput("Send either file (inline) or file_name (presigned upload), not both", field="file")
    if file is not None:
        if len(file.content) > INLINE_UPLOAD_CAP:
            raise PayloadTooLarge(
                f"file is {len(file.content)} bytes; inline uploads take at most {INLINE_UPLOAD_CAP} bytes. "
                "For larger files use the presigned upload: send file_name and file_size instead of file, "
                "then POST the file to upload.url with every upload.fields entry (file last).",
                field="file",
            )
        if not file.content:
            raise InvalidInput("file is empty", field="file")
        return _base_name(file.filename, "file"), len(file.content)
    if file_name is not None:
        return _base_name(file_name, "file_name"), file_size
    if required:
        raise InvalidInput("File is required", field="file")
    return None, None


def _base_name(filename: str, field: str) -> str:
    """The file's own name: some clients send the path they read it from (C:\\Users\\…\\a.pdf)."""
    return inputs.item_name(PureWindowsPath(filename).name, field)  # splits on both / and \


def _content_type(file: InlineFile) -> str:
    """The part's own type if it is an allowed one, else the type its name implies (content_types)."""
    return content_types.stored(file.content_type, file.filename)


def _password_for_new_version(item: Item, changes: ItemChanges, keep: bool | None) -> tuple[ItemChanges, bool]:
    """A protected artifact stays protected: a new version keeps its password unless the request sets
    another one, removes it (password=""), or says keep_password=false. Returns (changes, inherited)."""
    if keep and changes.password is not None:
        raise InvalidInput("keep_password=true cannot be combined with a new password", field="keep_password")
    if changes.password is not None or item.password_hash is None:
        return changes, False
    if keep is False:
        return dataclasses.replace(changes, password=""), False
    return changes, True


def _rename_current_version(item: Item, version_name: str) -> Item:
    number = item.version or 1  # before the first upload lands, version 1 is the one to name
    try:
        items.rename_version(item, number, version_name, clock.iso())
    except writes.StateChanged:
        raise ItemNotFound() from None  # deleted, or a newer version became current meanwhile
    renamed = items.get(item.slug)
    if renamed is None:
        raise ItemNotFound()
    return renamed


def _explain_rejection(user: User, reason: str | None, size: int, *, new_item: bool) -> None:
    """An inline file refused while settling (only when concurrent uploads used up the room between
    our checks and the write): the seed's error with today's numbers if one applies, else the reason."""
    uploads.check_upload_allowed(users.get_user(user.user_id) or user, size, new_item=new_item)
    raise LimitExceeded(reason or "The upload was refused", field="file")
