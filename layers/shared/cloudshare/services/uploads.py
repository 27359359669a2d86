"""Uploads: a file goes from the client straight to S3 and becomes (a version of) an item when S3
holds it.

Requesting an upload reserves nothing: counters move only in finalize, when the bytes are really
there, in one transaction whose conditions are the owner's plan limits.
"""

from __future__ import annotations

import dataclasses
import mimetypes
import re
import secrets
from collections.abc import Callable
from urllib.parse import unquote_plus

from cloudshare.errors import InvalidInput, ItemNotFound, LimitExceeded, NotOwner
from cloudshare.models import Item, UploadTicket, User, Version
from cloudshare.observability import logger
from cloudshare.plans import UNLIMITED
from cloudshare.services import clock, lifecycle, thumbnails
from cloudshare.store import items, objects, users

SLUG_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SLUG_LENGTH = 12
LINK_SECRET_LENGTH = 16
KEY_PREFIX = "items/"
_OBJECT_KEY = re.compile(rf"^{KEY_PREFIX}([{SLUG_ALPHABET}]{{{SLUG_LENGTH}}})/([1-9][0-9]{{0,5}})$")

RedirectFor = Callable[[str], str]


class UploadsExhausted(LimitExceeded):
    """No uploads left today (v3 answers this with the seed's 'no s3' body, v1 with a 403)."""


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
        raise InvalidInput("File size is too large", field="file_size",
                           extra={"max_upload_size": plan.max_upload_size})
    room = storage_room(user)
    if room != UNLIMITED and (room == 0 or (declared_size or 0) > room):
        raise LimitExceeded("Storage quota exceeded", field="file_size",
                            extra={"current": user.storage_used, "limit": plan.storage_quota, "remaining": room})
    if new_item and plan.artifact_limit != UNLIMITED and user.artifact_count >= plan.artifact_limit:
        raise LimitExceeded("Artifact limit reached", field="artifact_limit",
                            extra={"current": user.artifact_count, "limit": plan.artifact_limit})
    if user.uploads_remaining_on(clock.today()) == 0:
        raise UploadsExhausted("Daily upload limit reached", field="uploads_remaining",
                               extra={"current": user.uploads_used_on(clock.today()), "limit": plan.daily_uploads})
    return upload_limit(user)


def _new_version(user: User, slug: str, number: int, limit: int, now: str, version_name: str | None) -> Version:
    plan = user.plan
    return Version(
        slug=slug, number=number, state="pending", created_at=now, object_key=object_key(slug, number),
        max_size=limit, name=version_name, storage_quota=plan.storage_quota, daily_uploads=plan.daily_uploads,
        artifact_limit=plan.artifact_limit, owner_id=user.user_id, owner_uploads_day=user.uploads_day,
    )


def request_upload(
    user: User, name: str, declared_size: int | None, redirect_for: RedirectFor | None, source: str | None,
    *, version_name: str | None = None, item_fields: dict | None = None,
) -> UploadTicket:
    """A new file item (pending) and a presigned POST for its first version."""
    limit = check_upload_allowed(user, declared_size, new_item=True)
    now = clock.iso()
    slug = new_slug()
    item = Item(
        slug=slug, owner_id=user.user_id, name=name, kind="file", state="pending", created_at=now, updated_at=now,
        object_key=object_key(slug), source=source, max_size=limit, last_version=1, link_secret=new_link_secret(),
        **(item_fields or {}),
    )
    version = _new_version(user, slug, 1, limit, now, version_name)
    items.create_upload(item, version, lifecycle.upload_deadline(now))
    return _ticket(item, version, redirect_for)


def request_new_version(
    user: User, item: Item, declared_size: int | None, redirect_for: RedirectFor | None, version_name: str | None,
    item_changes: dict | None = None,
) -> UploadTicket:
    """A presigned POST for the next version of an item the caller owns; item_changes (see Version)
    take effect when it lands."""
    if item.kind != "file":
        raise InvalidInput("Bookmarks have no file versions", field="file")
    if item.state != "ready":
        raise InvalidInput(f"This artifact's first upload is {item.state}; a new version needs it to be ready",
                           field="file")
    limit = check_upload_allowed(user, declared_size, new_item=False)
    now = clock.iso()
    version = dataclasses.replace(_new_version(user, item.slug, item.last_version + 1, limit, now, version_name),
                                  item_changes=item_changes or None)
    try:
        items.add_version(item, version, lifecycle.upload_deadline(now))
    except items.StateChanged:
        raise InvalidInput("The artifact changed while the version was being added; try again",
                           field="file") from None
    return _ticket(item, version, redirect_for)


def _ticket(item: Item, version: Version, redirect_for: RedirectFor | None) -> UploadTicket:
    redirect = redirect_for(item.slug) if redirect_for else None
    url, fields = objects.presigned_post(version.object_key, version.max_size, redirect,
                                         lifecycle.UPLOAD_WINDOW_SECONDS)
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
            logger.warning("pending records of a failed inline upload left for the sweep",
                           extra={"slug": ticket.item.slug, "version": ticket.version.number})
        raise
    return settle(ticket.item, ticket.version)


def create_bookmark(user: User, url: str, name: str | None, source: str | None) -> Item:
    now = clock.iso()
    item = Item(
        slug=new_slug(), owner_id=user.user_id, name=name or url, kind="bookmark", state="ready",
        created_at=now, updated_at=now, redirect_url=url, source=source, link_secret=new_link_secret(),
    )
    items.create_bookmark(item, None)
    return item


def finish_for_owner(user: User, slug: str) -> Item:
    """Where S3's redirect lands: the item, finalized first if the S3 event has not come yet."""
    item = items.get(slug)
    if item is None or item.deleted_at is not None:
        raise ItemNotFound()
    if item.owner_id != user.user_id:
        raise NotOwner("access")
    if item.state != "pending":
        return item
    version = items.get_version(slug, 1)
    return settle(item, version) if version else item


def finalize_object(key: str) -> Item | None:
    """Handles one S3 ObjectCreated record (keys arrive URL-encoded, '+' for spaces)."""
    key = unquote_plus(key)
    if not key.startswith(KEY_PREFIX):  # thumbnails and the like are not uploads, whatever a trigger's filter says
        logger.warning("object outside the uploads prefix; left alone", extra={"key": key})
        return None
    parsed = parse_object_key(key)
    item, version = items.get_with_version(*parsed) if parsed else (None, None)
    if item is None or version is None or version.object_key != key:
        logger.warning("object without an item; deleting it", extra={"key": key})
        objects.delete(key)
        return None
    if version.state == "failed":  # posted again after being rejected: the bytes have no place
        objects.delete(key)
        return item
    return settle(item, version) if version.state == "pending" else item


def settle(item: Item, version: Version) -> Item:
    """Idempotent: whoever comes second (event or redirect) finds the version settled and changes nothing.

    Returns the item as it now is (built from what was written, without reading it back).
    """
    stored = objects.head(version.object_key)
    if stored is None:
        return item  # the bytes have not arrived (or were removed); stay pending until they do or expire
    if stored.size > version.max_size:
        return _reject(item, version, f"File is {stored.size} bytes; the most this upload could take was "
                                      f"{version.max_size}")
    now, today = clock.iso(), clock.today()
    content_type = effective_type(stored.content_type, item.name)
    first = version.number == 1
    settled = dataclasses.replace(
        item, updated_at=now, stored_bytes=item.stored_bytes + stored.size,
        **({"state": "ready"} if first else {}),
    )
    current = dataclasses.replace(settled, version=version.number, object_key=version.object_key,
                                  size=stored.size, content_type=content_type, version_name=version.name)
    change_sets = dict((version.item_changes or {}).get("sets", {}))
    change_removes = list((version.item_changes or {}).get("removes", []))
    item_due = items.UNCHANGED
    if first or lifecycle.touches_expiry(change_sets, change_removes):
        current, re_enabled, item_due = lifecycle.after_change(item, current.changed(change_sets, change_removes),
                                                               now)
        change_removes += re_enabled
    else:
        current = current.changed(change_sets, change_removes)
    make_current, tried_other_day = True, False
    # The owner's counter day as seen at request time picks the likelier form of the daily counter
    # update; if the day turned since, the other form is tried (one more write, no read).
    new_day = version.owner_uploads_day != today
    for _attempt in range(4):
        try:
            items.complete_upload(item, version, stored.size, content_type, now, today, new_day=new_day,
                                  make_current=make_current, item_due=item_due,
                                  item_changes=(change_sets, change_removes))
            thumbnails.make(version, content_type, stored.size)
            return current if make_current else settled
        except items.StateChanged:
            return items.get(item.slug)
        except items.NotCurrent:
            make_current = False
        except items.OwnerLimit:
            if tried_other_day:
                break
            new_day, tried_other_day = not new_day, True
    return _reject(item, version, _limit_reason(version, stored.size))


GENERIC_TYPES = {"", "binary/octet-stream", "application/octet-stream"}


def effective_type(reported: str, name: str) -> str:
    """S3's type for the object, or, when the client sent none (S3 then reports a generic one, as for
    the seed's POST without a Content-Type field), the type its name implies."""
    if reported.split(";")[0].strip().lower() not in GENERIC_TYPES:
        return reported
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _limit_reason(version: Version, size: int) -> str:
    owner = users.get_user(version.owner_id)
    if version.storage_quota != UNLIMITED and owner.storage_used + size > version.storage_quota:
        return "Storage quota exceeded"
    if version.number == 1 and version.artifact_limit != UNLIMITED and owner.artifact_count >= version.artifact_limit:
        return "Artifact limit reached"
    return "Daily upload limit reached"


def _reject(item: Item, version: Version, reason: str) -> Item:
    objects.delete(version.object_key)
    try:
        items.mark_failed(version, reason, clock.iso())
    except items.StateChanged:
        pass
    logger.info("upload rejected", extra={"slug": item.slug, "version": version.number, "reason": reason})
    return items.get(item.slug)
