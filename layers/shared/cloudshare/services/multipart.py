"""Multipart uploads: a large file goes to S3 in parts, straight from the client, resumable and parallel.

Start makes the item (or new version) pending, exactly as a presigned POST does, plus S3's multipart
upload and our upload record, in one transaction after S3 answered (if the write fails, S3's upload
is aborted: a refused start leaves nothing). The version's size limit is the declared size, so a
completed object bigger than declared is refused by the same settle as every upload; plan limits are
checked against the declared size here and against the real size when it settles. Completing (this
module or S3's CompleteMultipartUpload event, whichever comes first) settles through uploads.settle.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

from cloudshare import content_types
from cloudshare.errors import InvalidInput, NotFound
from cloudshare.models import Item, MultipartUpload, User, Version
from cloudshare.services import lifecycle, management, uploads
from cloudshare.store import items, writes
from cloudshare.store import multipart as parts_store

MIB = 1024 * 1024
MIN_PART_SIZE = 8 * MIB  # S3 takes 5 MiB at least (but the last part); 8 MiB keeps a client's memory small
MAX_PARTS = 10_000  # S3's limit per upload
MAX_FILE_SIZE = 5 * 1024**4  # S3's largest object: 5 TiB
MAX_URLS_PER_REQUEST = 1000  # ~600 bytes each: well inside a Lambda response
PART_URL_SECONDS = 15 * 60  # a client asks again for parts it has not sent by then
# A multipart upload past its deadline is left alone while parts keep arriving: the sweep looks again
# this long after the newest part S3 holds (services/sweeps.py).
IDLE_SECONDS = lifecycle.PENDING_GRACE_SECONDS
RECORD_DAYS = 7  # an upload record outlives its upload this long (a retried complete still finds it)
UPLOAD_ID_LENGTH = 20


@dataclass(frozen=True)
class NewUpload:
    name: str
    file_size: int
    content_type: str | None = None
    artifact: str | None = None  # the slug of an artifact the upload becomes a new version of
    version_name: str | None = None


@dataclass(frozen=True)
class Completed:
    item: Item
    version: Version


def part_size_for(file_size: int) -> int:
    """Whole MiBs, at least MIN_PART_SIZE, and large enough for the file to fit in MAX_PARTS parts."""
    needed = -(-file_size // MAX_PARTS)
    return max(MIN_PART_SIZE, -(-needed // MIB) * MIB)


def start(user: User, request: NewUpload, source: str | None) -> MultipartUpload:
    if request.file_size < 1 or request.file_size > MAX_FILE_SIZE:
        raise InvalidInput(f"file_size must be between 1 and {MAX_FILE_SIZE} bytes", field="file_size")
    item = None
    version_name = None if request.version_name is None else management.valid_version_name(request.version_name)
    if request.artifact is not None:
        item = management.owned(user, request.artifact, "update")
        version = uploads.new_pending_version(user, item, request.file_size, version_name)
        name = item.name
    else:
        new_item, version = uploads.new_pending_item(
            user, request.name, request.file_size, source, version_name=version_name
        )
        name = new_item.name
    s3_upload_id = parts_store.create(version.object_key, content_types.stored(request.content_type, name))
    version = dataclasses.replace(version, max_size=request.file_size, multipart_upload_id=s3_upload_id)
    part_size = part_size_for(request.file_size)
    upload = MultipartUpload(
        upload_id="".join(secrets.choice(uploads.SLUG_ALPHABET) for _ in range(UPLOAD_ID_LENGTH)),
        owner_id=user.user_id,
        slug=version.slug,
        number=version.number,
        s3_upload_id=s3_upload_id,
        object_key=version.object_key,
        file_size=request.file_size,
        part_size=part_size,
        part_count=-(-request.file_size // part_size),
        created_at=version.created_at,
        deadline=lifecycle.upload_deadline(version.created_at, request.file_size),
    )
    record = parts_store.upload_record(upload, _epoch(lifecycle.shift(upload.deadline, days=RECORD_DAYS)))
    try:
        if item is not None:
            uploads.add_version(item, version, (record,))
        else:
            items.create_upload(
                dataclasses.replace(new_item, max_size=request.file_size), version, upload.deadline, (record,)
            )
    except Exception:
        parts_store.abort(version.object_key, s3_upload_id)
        raise
    return upload


def part_urls(user: User, upload_id: str, numbers: list[int]) -> list[tuple[int, str]]:
    """Presigned UploadPart URLs for these part numbers (each valid PART_URL_SECONDS)."""
    upload = _owned(user, upload_id)
    if not numbers or len(numbers) > MAX_URLS_PER_REQUEST:
        raise InvalidInput(f"numbers must list 1 to {MAX_URLS_PER_REQUEST} part numbers", field="numbers")
    wrong = [number for number in numbers if not 1 <= number <= upload.part_count]
    if wrong:
        raise InvalidInput(f"part numbers go from 1 to {upload.part_count}; not {wrong[0]}", field="numbers")
    return [
        (number, parts_store.part_url(upload.object_key, upload.s3_upload_id, number, PART_URL_SECONDS))
        for number in dict.fromkeys(numbers)
    ]


def stored_parts(user: User, upload_id: str) -> tuple[MultipartUpload, list[parts_store.StoredPart]]:
    """The parts S3 holds (how a client resumes: it sends the others)."""
    upload = _owned(user, upload_id)
    try:
        return upload, parts_store.parts(upload.object_key, upload.s3_upload_id)
    except parts_store.UploadGone:
        raise _gone() from None


def complete(user: User, upload_id: str, etags: list[tuple[int, str]]) -> Completed:
    """Completes the upload in S3 and settles it (idempotent: a retry after success answers the same).
    Without etags, the parts S3 lists are used, when every one of them is there."""
    upload = _owned(user, upload_id)
    item, version = items.get(upload.slug), items.get_version(upload.slug, upload.number)
    if item is None or version is None:
        raise _gone()
    if version.state == "pending":
        try:
            etags = etags or _every_part(upload)
            parts_store.complete(upload.object_key, upload.s3_upload_id, sorted(etags))
        except parts_store.UploadGone:
            pass  # completed before (the answer was lost) or aborted: what S3 holds tells which
        except parts_store.PartsRefused as refused:
            raise InvalidInput(f"S3 refused the parts ({refused.code}): {refused}", field="parts") from None
        item = uploads.settle(item, version)
        version = items.get_version(upload.slug, upload.number)
    if version is None or version.state == "pending":
        raise _gone()
    if version.state == "failed":
        raise InvalidInput(
            version.failure_reason or "The upload was refused",
            field="file_size",
            extra={"slug": upload.slug, "upload_state": "failed"},
        )
    return Completed(item=item, version=version)


def abort(user: User, upload_id: str) -> None:
    """Aborts S3's upload and removes the pending records; a settled upload stays (delete its artifact)."""
    upload = _owned(user, upload_id)
    version = items.get_version(upload.slug, upload.number)
    if version is not None and version.state == "ready":
        raise InvalidInput("This upload is complete; delete its artifact instead", field="upload_id")
    parts_store.abort(upload.object_key, upload.s3_upload_id)
    if version is not None and version.state == "pending":
        try:
            items.discard_pending(version)
        except writes.StateChanged:
            raise InvalidInput(
                "This upload completed meanwhile; delete its artifact instead", field="upload_id"
            ) from None
    parts_store.forget(user.user_id, upload_id)


def idle_until(version: Version, now: str) -> str | None:
    """For a multipart upload past its deadline: when to look again if parts are still arriving (the
    newest part S3 holds is less than IDLE_SECONDS old), else None."""
    if version.multipart_upload_id is None:
        return None
    try:
        found = parts_store.parts(version.object_key, version.multipart_upload_id)
    except parts_store.UploadGone:
        return None
    if not found:
        return None
    again = lifecycle.shift(max(part.last_modified for part in found), seconds=IDLE_SECONDS)
    return again if lifecycle.parse_time(again) > lifecycle.parse_time(now) else None


def abort_abandoned(version: Version) -> None:
    """S3's upload of a version the sweep abandons goes with it (its parts cost storage until then)."""
    if version.multipart_upload_id is not None:
        parts_store.abort(version.object_key, version.multipart_upload_id)


def _every_part(upload: MultipartUpload) -> list[tuple[int, str]]:
    """The parts S3 holds, when they are all there (a client that kept no ETags completes so)."""
    found = parts_store.parts(upload.object_key, upload.s3_upload_id)
    missing = sorted(set(range(1, upload.part_count + 1)) - {part.number for part in found})
    if missing:
        raise InvalidInput(
            f"S3 holds {upload.part_count - len(missing)} of {upload.part_count} parts; "
            f"send the missing ones first (part {missing[0]} and on)",
            field="parts",
        )
    return [(part.number, part.etag) for part in found]


def _owned(user: User, upload_id: str) -> MultipartUpload:
    """The caller's upload; anyone else's is as missing as one that never was (404)."""
    valid = len(upload_id) == UPLOAD_ID_LENGTH and all(char in uploads.SLUG_ALPHABET for char in upload_id)
    upload = parts_store.get(user.user_id, upload_id) if valid else None
    if upload is None:
        raise NotFound("Upload not found", field="upload_id")
    return upload


def _gone() -> NotFound:
    return NotFound("Upload not found: it was aborted, or abandoned past its deadline", field="upload_id")


def _epoch(moment: str) -> int:
    return int(lifecycle.parse_time(moment).timestamp())
