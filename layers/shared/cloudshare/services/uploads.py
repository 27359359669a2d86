"""Uploads: a file goes from the client straight to S3 and becomes an item when S3 holds it.

request_upload reserves nothing: counters move only in finalize, when the bytes are really there,
in one transaction with the owner's limits as its conditions.
"""

from __future__ import annotations

import secrets
from urllib.parse import unquote_plus

from cloudshare.errors import InvalidInput, NotFound
from cloudshare.models import Item, UploadTicket, User
from cloudshare.observability import logger
from cloudshare.plans import UNLIMITED
from cloudshare.services import clock
from cloudshare.store import items, objects, users

UPLOAD_WINDOW_SECONDS = 15 * 60
# An upload may finish arriving a little after its policy expires (S3 checks expiry at the start).
PENDING_GRACE_SECONDS = 15 * 60
SLUG_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
KEY_PREFIX = "items/"


def new_slug() -> str:
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(12))


def object_key(slug: str) -> str:
    return f"{KEY_PREFIX}{slug}"


def storage_room(user: User) -> int:
    quota = user.plan.storage_quota
    return UNLIMITED if quota == UNLIMITED else max(0, quota - user.storage_used)


def upload_limit(user: User) -> int:
    """The largest file this user may send now: the plan's max size, capped by the room left."""
    room = storage_room(user)
    return user.plan.max_upload_size if room == UNLIMITED else min(user.plan.max_upload_size, room)


def request_upload(user: User, name: str, declared_size: int | None, redirect_for, source: str | None):
    """Returns an UploadTicket, or None when no uploads are left today (the seed's answer: no s3)."""
    plan = user.plan
    if declared_size is not None and declared_size > plan.max_upload_size:
        raise InvalidInput("File size is too large", field="file_size")
    limit = upload_limit(user)
    if declared_size is not None and declared_size > limit:
        raise InvalidInput("Storage quota exceeded", field="file_size")
    if limit <= 0:
        raise InvalidInput("Storage quota exceeded", field="file_size")
    if user.uploads_remaining_on(clock.today()) == 0:
        return None
    now = clock.now()
    slug = new_slug()
    item = Item(
        slug=slug, owner_id=user.user_id, name=name, kind="file", state="pending",
        created_at=clock.iso(now), updated_at=clock.iso(now), object_key=object_key(slug), source=source,
        max_size=limit,
    )
    items.put_new(item, pending_until=clock.iso(now + UPLOAD_WINDOW_SECONDS + PENDING_GRACE_SECONDS))
    url, fields = objects.presigned_post(item.object_key, limit, redirect_for(slug), UPLOAD_WINDOW_SECONDS)
    return UploadTicket(item=item, url=url, fields=fields)


def create_bookmark(user: User, url: str, name: str | None, source: str | None) -> Item:
    now = clock.iso()
    item = Item(
        slug=new_slug(), owner_id=user.user_id, name=name or url, kind="bookmark", state="ready",
        created_at=now, updated_at=now, redirect_url=url, source=source,
    )
    items.put_new(item)
    return item


def finish_for_owner(user: User, slug: str) -> Item:
    """Where S3's redirect lands: the item, finalized first if the S3 event has not come yet."""
    item = items.get(slug)
    if item is None or item.owner_id != user.user_id:
        raise NotFound("Item not found", field="slug")
    return finalize(item) if item.state == "pending" else item


def finalize_object(key: str) -> Item | None:
    """Handles one S3 ObjectCreated record (keys arrive URL-encoded, '+' for spaces)."""
    key = unquote_plus(key)
    slug = key.removeprefix(KEY_PREFIX) if key.startswith(KEY_PREFIX) else None
    item = items.get(slug) if slug else None
    if item is None or item.object_key != key:
        logger.warning("object without an item; deleting it", extra={"key": key})
        objects.delete(key)
        return None
    return finalize(item) if item.state == "pending" else item


def finalize(item: Item) -> Item:
    """Idempotent: whoever comes second (event or redirect) finds the item settled and changes nothing."""
    stored = objects.head(item.object_key)
    if stored is None:
        return item  # the bytes have not arrived (or were removed); stay pending until they do or expire
    if stored.size > item.max_size:
        return _reject(item, f"File is {stored.size} bytes; the most this upload could take was {item.max_size}")
    owner = users.get_user(item.owner_id)
    plan = owner.plan
    today, now = clock.today(), clock.iso()
    content_type = stored.content_type or "application/octet-stream"
    for new_day in (owner.uploads_day != today, owner.uploads_day == today):
        try:
            items.complete_upload(item, stored.size, content_type, now, today, plan.storage_quota,
                                  plan.daily_uploads, new_day)
            return items.get(item.slug)
        except items.StateChanged:
            return items.get(item.slug)
        except items.OwnerLimit:
            continue  # the day may have turned between our read and the write: try the other form
    owner = users.get_user(item.owner_id)
    if plan.storage_quota != UNLIMITED and owner.storage_used + stored.size > plan.storage_quota:
        return _reject(item, "Storage quota exceeded")
    return _reject(item, "Daily upload limit reached")


def _reject(item: Item, reason: str) -> Item:
    objects.delete(item.object_key)
    try:
        items.mark_failed(item.slug, reason, clock.iso())
    except items.StateChanged:
        pass
    logger.info("upload rejected", extra={"slug": item.slug, "reason": reason})
    return items.get(item.slug)
