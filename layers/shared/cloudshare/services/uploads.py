"""Uploads: a file goes from the client straight to S3 and becomes (a version of) an item when S3
holds it.

Requesting an upload reserves nothing: counters move only in finalize, when the bytes are really
there, in one transaction whose conditions are the owner's plan limits.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from cloudshare import content_types
from cloudshare.errors import InvalidInput, ItemNotFound, LimitExceeded, NotOwner
from cloudshare.models import KEEP, Item, Keep, UploadTicket, User, Version
from cloudshare.observability import logger
from cloudshare.plans import UNLIMITED
from cloudshare.services import clock, inputs, lifecycle, thumbnails
from cloudshare.store import items, objects, users, writes

if TYPE_CHECKING:
    from typing import Any

SLUG_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SLUG_LENGTH = 12
LINK_SECRET_LENGTH = 16
KEY_PREFIX = "items/"
_OBJECT_KEY = re.compile(rf"^{KEY_PREFIX}([{SLUG_ALPHABET}]{{{SLUG_LENGTH}}})/([1-9][0-9]{{0,5}})$")

RedirectFor = Callable[[str], str]


class UploadsExhausted(LimitExceeded):
    """No uploads left today (v3 answers this with the seed's 'no s3' body, v1 with a 403)."""


class UploadRefused(InvalidInput):
    """The bytes arrived and were refused (over the upload's size limit, or a plan limit when they
    landed): the item stays, failed, for its owner to read; the request that asked for it is a 422."""

    def __init__(self, item: Item):
        super().__init__(
            item.failure_reason or "The upload was refused",
            field="file",
            extra={"slug": item.slug, "upload_state": item.state},
        )


def _random(length: int) -> str:
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(length))


def new_slug() -> str:
    return _random(SLUG_LENGTH)


def new_link_secret() -> str:
    return _random(LINK_SECRET_LENGTH)


def object_key(slug: str, number: int = 1) -> str:
    return f"{KEY_PREFIX}{slug}/{number}"


def parse_object_key(key: str) -> tuple[str, int] | None:
    match = _OBJECT_KEY.match(key)
    return (match.group(1), int(match.group(2))) if match else None


def storage_room(user: User) -> int:
    quota = user.plan.storage_quota
    return UNLIMITED if quota == UNLIMITED else max(0, quota - user.storage_used)


def upload_limit(user: User) -> int:
    """The largest file this user may send now: the plan's max size, capped by the room left."""
    room = storage_room(user)
    return user.plan.max_upload_size if room == UNLIMITED else min(user.plan.max_upload_size, room)


def check_upload_allowed(user: User, declared_size: int | None, *, new_item: bool) -> int:
    """Refuses what the plan cannot take before any bytes move; returns the size limit to sign."""
    plan = user.plan
    if declared_size is not None and declared_size > plan.max_upload_size:
        raise InvalidInput("File size is too large", field="file_size", extra={"max_upload_size": plan.max_upload_size})
    room = storage_room(user)
    if room != UNLIMITED and (room == 0 or (declared_size or 0) > room):
        raise LimitExceeded(
            "Storage quota exceeded",
            field="file_size",
            extra={"current": user.storage_used, "limit": plan.storage_quota, "remaining": room},
        )
    if new_item and plan.artifact_limit != UNLIMITED and user.artifact_count >= plan.artifact_limit:
        raise LimitExceeded(
            "Artifact limit reached",
            field="artifact_limit",
            extra={"current": user.artifact_count, "limit": plan.artifact_limit},
        )
    if user.uploads_remaining_on(clock.today()) == 0:
        raise UploadsExhausted(
            "Daily upload limit reached",
            field="uploads_remaining",
            extra={"current": user.uploads_used_on(clock.today()), "limit": plan.daily_uploads},
        )
    return upload_limit(user)


def _new_version(user: User, slug: str, number: int, limit: int, now: str, version_name: str | None) -> Version:
    plan = user.plan
    return Version(
        slug=slug,
        number=number,
        state="pending",
        created_at=now,
        object_key=object_key(slug, number),
        max_size=limit,
        name=version_name,
        storage_quota=plan.storage_quota,
        daily_uploads=plan.daily_uploads,
        artifact_limit=plan.artifact_limit,
        owner_id=user.user_id,
        owner_uploads_day=user.uploads_day,
    )


def request_upload(
    user: User,
    name: str,
    declared_size: int | None,
    redirect_for: RedirectFor | None,
    source: str | None,
    *,
    version_name: str | None = None,
    item_fields: dict[str, Any] | None = None,
) -> UploadTicket:
    """A new file item (pending) and a presigned POST for its first version."""
    item, version = new_pending_item(
        user, name, declared_size, source, version_name=version_name, item_fields=item_fields
    )
    items.create_upload(item, version, lifecycle.upload_deadline(item.created_at, version.max_size))
    return _ticket(item, version, redirect_for, item.name)


def new_pending_item(
    user: User,
    name: str,
    declared_size: int | None,
    source: str | None,
    *,
    version_name: str | None = None,
    item_fields: dict[str, Any] | None = None,
) -> tuple[Item, Version]:
    """A new file item and its first version as they are to be written, once the plan allows them."""
    name = inputs.item_name(name)
    limit = check_upload_allowed(user, declared_size, new_item=True)
    second, micros = clock.creation_stamp()
    now = clock.iso(second)
    slug = new_slug()
    item = Item(
        slug=slug,
        owner_id=user.user_id,
        name=name,
        kind="file",
        state="pending",
        created_at=now,
        updated_at=now,
        created_micros=micros,
        object_key=object_key(slug),
        source=source,
        max_size=limit,
        last_version=1,
        link_secret=new_link_secret(),
        **(item_fields or {}),
    )
    return item, _new_version(user, slug, 1, limit, now, version_name)


def request_new_version(
    user: User,
    item: Item,
    declared_size: int | None,
    redirect_for: RedirectFor | None,
    version_name: str | None,
    item_changes: dict[str, Any] | None = None,
    file_name: str | None = None,
) -> UploadTicket:
    """A presigned POST for the next version of an item the caller owns; item_changes (see Version)
    take effect when it lands. file_name (else the item's name) decides the type the upload may have."""
    version = new_pending_version(user, item, declared_size, version_name, item_changes)
    add_version(item, version)
    return _ticket(item, version, redirect_for, file_name or item.name)


def new_pending_version(
    user: User,
    item: Item,
    declared_size: int | None,
    version_name: str | None,
    item_changes: dict[str, Any] | None = None,
) -> Version:
    """The next version of an item the caller owns, as it is to be written, once the plan allows it."""
    if item.kind != "file":
        raise InvalidInput("Bookmarks have no file versions", field="file")
    if item.state != "ready":
        raise InvalidInput(
            f"This artifact's first upload is {item.state}; a new version needs it to be ready", field="file"
        )
    limit = check_upload_allowed(user, declared_size, new_item=False)
    return dataclasses.replace(
        _new_version(user, item.slug, item.last_version + 1, limit, clock.iso(), version_name),
        item_changes=item_changes or None,
    )


def add_version(item: Item, version: Version, also: tuple[dict[str, Any], ...] = ()) -> None:
    """Writes a new pending version (and the other records in `also`, in the same transaction)."""
    try:
        items.add_version(item, version, lifecycle.upload_deadline(version.created_at, version.max_size), also)
    except writes.StateChanged:
        raise InvalidInput("The artifact changed while the version was being added; try again", field="file") from None


def _ticket(item: Item, version: Version, redirect_for: RedirectFor | None, file_name: str) -> UploadTicket:
    redirect = redirect_for(item.slug) if redirect_for else None
    url, fields = objects.presigned_post(
        version.object_key,
        version.max_size,
        content_types.for_name(file_name),
        redirect,
        lifecycle.UPLOAD_WINDOW_SECONDS,
    )
    return UploadTicket(item=item, version=version, url=url, fields=fields)


def store_inline(ticket: UploadTicket, data: bytes, content_type: str) -> Item:
    """Small files sent in the request body (v1 `curl -F file=@…`): stored, then settled at once.

    If S3 refuses the bytes, the pending records made for them go too: the request failed whole."""
    try:
        objects.put(ticket.version.object_key, data, content_type)
    except Exception:
        try:
            items.discard_pending(ticket.version)
        except Exception:  # the sweep removes it when its upload window closes
            logger.warning(
                "pending records of a failed inline upload left for the sweep",
                extra={"slug": ticket.item.slug, "version": ticket.version.number},
            )
        raise
    return settle(ticket.item, ticket.version)


def create_bookmark(user: User, url: str, name: str | None, source: str | None) -> Item:
    url = inputs.web_address(url)
    name = url if name is None else inputs.item_name(name)
    second, micros = clock.creation_stamp()
    now = clock.iso(second)
    item = Item(
        slug=new_slug(),
        owner_id=user.user_id,
        name=name,
        kind="bookmark",
        state="ready",
        created_at=now,
        updated_at=now,
        created_micros=micros,
        redirect_url=url,
        source=source,
        link_secret=new_link_secret(),
    )
    items.create_bookmark(item, None)
    return item


def finish_for_owner(user: User, slug: str) -> Item:
    """Where S3's redirect lands: the item, finalized first if the S3 event has not come yet; an
    upload that was refused raises UploadRefused."""
    item = _live_item_of(user, slug)
    if item.state == "pending":
        version = items.get_version(slug, 1)
        item = settle(item, version) if version else item
    if item.state == "failed":
        raise UploadRefused(item)  # a 200 here would have clients hand out a share link that is a 404
    return item


def finish_version_for_owner(user: User, slug: str, number: int) -> tuple[Item, list[Version]]:
    """After a new version's presigned POST: the item and all its versions, that one settled first if
    the S3 event has not come yet; a version that was refused raises InvalidInput with its reason."""
    item = _live_item_of(user, slug)
    version = items.get_version(slug, number) if item.kind == "file" else None
    if version is None:
        raise ItemNotFound()
    if version.state == "pending":
        item = settle(item, version)
    versions = items.list_versions(slug)
    refused = next((found for found in versions if found.number == number and found.state == "failed"), None)
    if refused is not None:
        raise InvalidInput(refused.failure_reason or "The upload was refused", field="file")
    return item, versions


def _live_item_of(user: User, slug: str) -> Item:
    item = items.get(slug)
    if item is None or item.deleted_at is not None:
        raise ItemNotFound()
    if item.owner_id != user.user_id:
        raise NotOwner("access")
    return item


def finalize_object(key: str, object_version: str | None = None) -> Item | None:
    """Handles one S3 ObjectCreated record (keys arrive URL-encoded, '+' for spaces; object_version is
    the record's versionId)."""
    key = unquote_plus(key)
    if not key.startswith(KEY_PREFIX):  # thumbnails and the like are not uploads, whatever a trigger's filter says
        logger.warning("object outside the uploads prefix; left alone", extra={"key": key})
        return None
    parsed = parse_object_key(key)
    item, version = items.get_with_version(*parsed) if parsed else (None, None)
    if item is None or version is None or version.object_key != key:
        logger.warning("object without an item; deleting it", extra={"key": key})
        _delete(key, object_version)
        return None
    if version.state == "failed":  # posted again after being rejected: the bytes have no place
        _delete(key, object_version)
        return item
    if version.state == "pending":
        stored = objects.head(key)
        if stored is None:
            return item  # removed meanwhile; the sweep decides at the upload's deadline
        item, settled_here = _settle_stored(item, version, stored)
        if settled_here and object_version is None:
            return item  # the bytes just settled are the key's current ones: nothing to refuse
        if settled_here:
            version = dataclasses.replace(version, state="ready", object_version=stored.version_id)
        else:  # whoever settled (or refused) it first decided which bytes it kept
            version = items.get_version(item.slug, version.number)
    if version is not None and version.state == "ready":
        _refuse_replacement(version, object_version)
    return item


def _delete(key: str, object_version: str | None) -> None:
    """Bytes that have no place: by version id, gone for good (else they stay a day as noncurrent)."""
    if object_version:
        objects.delete_version(key, object_version)
    else:
        objects.delete(key)


def _refuse_replacement(version: Version, object_version: str | None) -> None:
    """A presigned POST may be replayed until its policy expires, over bytes already settled and
    counted. The bucket keeps versions, so the replay is its own object version: deleting exactly it
    brings the settled bytes back, and what is stored stays what was counted."""
    if version.object_version is None:  # settled before the bucket kept versions: nothing to compare
        return
    if object_version is None:  # an event without versionId: judge the bytes the key holds now
        current = objects.head(version.object_key)
        object_version = current.version_id if current else None
    if object_version is None or object_version == version.object_version:
        return
    objects.delete_version(version.object_key, object_version)
    logger.warning(
        "bytes posted over a settled version; removed",
        extra={
            "slug": version.slug,
            "version": version.number,
            "kept": version.object_version,
            "removed": object_version,
        },
    )


def settle(item: Item, version: Version) -> Item:
    """Idempotent: whoever comes second (event or redirect) finds the version settled and changes nothing.

    Returns the item as it now is (built from what was written, without reading it back).
    """
    stored = objects.head(version.object_key)
    if stored is None:
        # Not arrived, removed, or refused meanwhile by the S3 event: a refusal marks the item failed
        # before it deletes the bytes, so a read now tells the last case from the others.
        return items.get(item.slug) or item
    return _settle_stored(item, version, stored)[0]


def settle_late(slug: str, number: int, *, item: Item | None = None, version: Version | None = None) -> bool:
    """The sweep's last look at an upload past its deadline: True if S3 has its bytes (then settled,
    or refused like any other upload), False if it may be abandoned. The records the caller does not
    hold are read only when the bytes are there."""
    stored = objects.head(object_key(slug, number))
    if stored is None:
        return False
    item = item or items.get(slug)
    version = version or items.get_version(slug, number)
    if item is None or version is None:
        return False  # removed meanwhile
    _settle_stored(item, version, stored)
    return True


def _settle_stored(item: Item, version: Version, stored: objects.StoredObject) -> tuple[Item, bool]:
    """The item as it now is, and whether this call's write settled these bytes (False: refused, or
    someone else settled the version first)."""
    if stored.size > version.max_size:
        return _reject(
            item,
            version,
            stored,
            f"File is {stored.size} bytes; the most this upload could take was {version.max_size}",
        ), False
    now, today = clock.iso(), clock.today()
    content_type = content_types.stored(stored.content_type, item.name)
    first = version.number == 1
    settled = dataclasses.replace(
        item,
        updated_at=now,
        stored_bytes=item.stored_bytes + stored.size,
        state="ready" if first else item.state,
    )
    current = dataclasses.replace(
        settled,
        version=version.number,
        object_key=version.object_key,
        size=stored.size,
        content_type=content_type,
        version_name=version.name,
    )
    change_sets = dict((version.item_changes or {}).get("sets", {}))
    change_removes = list((version.item_changes or {}).get("removes", []))
    item_due: str | None | Keep = KEEP
    if first or lifecycle.touches_expiry(change_sets, change_removes):
        current, re_enabled, item_due = lifecycle.after_change(item, current.changed(change_sets, change_removes), now)
        change_removes += re_enabled
    else:
        current = current.changed(change_sets, change_removes)
    make_current, tried_other_day = True, False
    # The owner's counter day as seen at request time picks the likelier form of the daily counter
    # update; if the day turned since, the other form is tried (one more write, no read).
    new_day = version.owner_uploads_day != today
    for _attempt in range(4):
        try:
            items.complete_upload(
                item,
                version,
                stored,
                content_type,
                now,
                today,
                new_day=new_day,
                make_current=make_current,
                item_due=item_due,
                item_changes=(change_sets, change_removes),
            )
        except writes.StateChanged:
            return _as_stored(item), False
        except items.NotCurrent:
            make_current = False
            continue
        except writes.OwnerLimit:
            if tried_other_day:
                break
            new_day, tried_other_day = not new_day, True
            continue
        thumbnails.request(version, content_type, stored)
        return (current if make_current else settled), True
    return _reject(item, version, stored, _limit_reason(version, stored.size)), False


def _limit_reason(version: Version, size: int) -> str:
    owner = users.get_user(version.owner_id)
    if owner is None:  # the owner's conditions failed because the account is gone
        return "The account no longer exists"
    if version.storage_quota != UNLIMITED and owner.storage_used + size > version.storage_quota:
        return "Storage quota exceeded"
    if version.number == 1 and version.artifact_limit != UNLIMITED and owner.artifact_count >= version.artifact_limit:
        return "Artifact limit reached"
    return "Daily upload limit reached"


def _reject(item: Item, version: Version, stored: objects.StoredObject, reason: str) -> Item:
    """Marks the version failed, then deletes its bytes: in this order, a concurrent settle that no
    longer finds the bytes finds the refusal (a crash in between leaves bytes the purge removes)."""
    now = clock.iso()
    try:
        items.mark_failed(version, reason, now, lifecycle.purge_time(now))
    except writes.StateChanged:
        pass
    _delete(version.object_key, stored.version_id)
    logger.info("upload rejected", extra={"slug": item.slug, "version": version.number, "reason": reason})
    return _as_stored(item)


def _as_stored(item: Item) -> Item:
    """The item as another writer left it (the last state seen, if it was purged meanwhile)."""
    return items.get(item.slug) or item
