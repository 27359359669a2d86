"""Managing one's own items: read, change, delete, restore, favorite, expire, list.

Both dialects call these; they differ only in how answers and errors look.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cloudshare.errors import (
    FeatureNotAvailable,
    InvalidInput,
    ItemNotFound,
    LimitExceeded,
    NotOwner,
    ServiceUnavailable,
)
from cloudshare.models import KEEP, Item, Keep, User
from cloudshare.services import clock, inputs, lifecycle
from cloudshare.services.passwords import hash_password
from cloudshare.services.uploads import new_link_secret
from cloudshare.store import items, listing, writes

if TYPE_CHECKING:
    from typing import Any

MAX_PASSWORD_LENGTH = 1024
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class ItemChanges:
    """What an owner asks to change. None (or KEEP where None means removal) leaves a field alone."""

    name: str | None = None
    long_link: bool | None = None
    favorite: bool | None = None
    is_published: bool | None = None
    allow_comments: bool | None = None
    allow_downloads: bool | None = None
    view_only: bool | None = None
    show_combined_comments: bool | None = None
    comment_emails: bool | None = None
    password: str | None = None  # "" removes the password
    expiration_time: str | None | Keep = KEEP  # ISO 8601; None removes
    expires_after_views: int | None | Keep = KEEP  # None removes


_FLAGS = (
    "favorite",
    "is_published",
    "allow_comments",
    "allow_downloads",
    "view_only",
    "show_combined_comments",
    "comment_emails",
)


def owned(user: User, slug: str, action: str = "access", *, include_deleted: bool = False) -> Item:
    """The caller's item, or ItemNotFound (none, deleted) / NotOwner (someone else's)."""
    item = items.get(slug) if slug else None
    if item is None or (item.deleted_at is not None and not include_deleted):
        raise ItemNotFound()
    if item.owner_id != user.user_id:
        raise NotOwner(action)
    return item


_UPDATE_ATTEMPTS = 3


def update(user: User, slug: str, changes: ItemChanges, action: str = "update", read: Item | None = None) -> Item:
    """Applies the changes to the item as it is: the write is conditional on the item read, and a
    change made meanwhile by someone else means reading it again and deciding again. `read` is the
    item as the caller has just read it through owned(): the first round decides on it."""
    for attempt in range(_UPDATE_ATTEMPTS):
        item = read if attempt == 0 and read is not None else owned(user, slug, action)
        sets, removes = _changes(user, item, changes)
        if not sets and not removes:
            return item
        now = clock.iso()
        sets["updated_at"] = now
        due: str | None | Keep = KEEP
        if lifecycle.touches_expiry(sets, removes):  # only then may expiry, and what is due, move
            _, re_enabled, due = lifecycle.after_change(item, item.changed(sets, removes), now)
            removes += re_enabled
        try:
            return items.update_fields(item, sets, removes, due)
        except writes.StateChanged:
            continue  # changed, deleted or purged meanwhile: owned() on the next round tells which
    raise ServiceUnavailable("The item kept changing while it was being updated; try again")


def planned(user: User, item: Item, changes: ItemChanges) -> tuple[dict[str, Any], list[str]]:
    """The attributes to set and remove for these changes, every rule checked, nothing written."""
    return _changes(user, item, changes)


def _changes(user: User, item: Item, changes: ItemChanges) -> tuple[dict[str, Any], list[str]]:
    sets: dict[str, Any] = {}
    removes: list[str] = []
    if changes.name is not None:
        sets["name"] = inputs.item_name(changes.name)
    for flag in _FLAGS:
        value = getattr(changes, flag)
        if value is not None and value != getattr(item, flag):
            sets[flag] = value
    if changes.long_link is not None and changes.long_link != item.long_link:
        sets["long_link"] = changes.long_link
        if changes.long_link:  # back to a long link: a fresh secret, so no earlier long link revives
            sets["link_secret"] = new_link_secret()
    if changes.password is not None:
        if changes.password == "":
            removes.append("password_hash")
        else:
            _require_feature(user, "passwordProtection", "Password protection", "password")
            if len(changes.password) > MAX_PASSWORD_LENGTH:
                raise InvalidInput(f"Passwords are at most {MAX_PASSWORD_LENGTH} characters", field="password")
            sets["password_hash"] = hash_password(changes.password)
    if not isinstance(changes.expiration_time, Keep):
        if changes.expiration_time is None:
            removes.append("expiration_time")
        else:
            _require_feature(user, "expiration", "Expiration", "expires_at")
            sets["expiration_time"] = future_time(changes.expiration_time)
    if not isinstance(changes.expires_after_views, Keep):
        if changes.expires_after_views is None:
            removes.append("expires_after_views")
        else:
            _require_feature(user, "expiration", "Expiration", "expires_after_views")
            if changes.expires_after_views < 1:
                raise InvalidInput("expires_after_views must be a positive number", field="expires_after_views")
            sets["expires_after_views"] = changes.expires_after_views
    return sets, removes


# OverflowError: ISO 8601 writes times that Python's datetime cannot hold in UTC
# (9999-12-31T23:59:59-01:00 is in the year 10000 there).
_UNREADABLE_TIME = (ValueError, AttributeError, OverflowError)


def future_time(text: str, field: str = "expires_at") -> str:
    """An ISO 8601 time that has not passed yet, normalised to UTC 'Z' form."""
    try:
        moment = lifecycle.parse_time(text)
    except _UNREADABLE_TIME:
        raise InvalidInput(
            f"{field} must be an ISO 8601 date and time, such as 2030-03-30T18:00:00Z", field=field
        ) from None
    normalised = lifecycle.iso(moment)
    if normalised <= clock.iso():
        raise InvalidInput(f"{field} must be in the future", field=field)
    return normalised


def _require_feature(user: User, feature: str, title: str, field: str) -> None:
    if not user.plan.allows(feature):
        raise FeatureNotAvailable(feature, title, field)


def set_favorite(user: User, slug: str, favorite: bool) -> Item:
    return update(user, slug, ItemChanges(favorite=favorite))


def soft_delete(user: User, slug: str) -> Item:
    item = owned(user, slug, "delete")
    now = clock.iso()
    try:
        items.soft_delete(item, now, lifecycle.purge_time(now))
    except (writes.StateChanged, writes.OwnerLimit):
        raise ItemNotFound() from None  # deleted by a concurrent request, or its state changed
    return dataclasses.replace(item, deleted_at=now, updated_at=now)


def restore(user: User, slug: str) -> Item:
    """Brings back a soft-deleted item before its purge; it counts against the plan again."""
    item = owned(user, slug, "restore", include_deleted=True)
    if item.deleted_at is None:
        raise InvalidInput("This item is not deleted", field="slug")
    now = clock.iso()
    restored = dataclasses.replace(item, deleted_at=None, updated_at=now)
    limit = user.plan.artifact_limit
    try:
        return items.restore(item, now, lifecycle.next_due(restored, now), limit)
    except writes.OwnerLimit:
        raise LimitExceeded(
            "Artifact limit reached", field="artifact_limit", extra={"current": user.artifact_count, "limit": limit}
        ) from None
    except writes.StateChanged:
        raise ItemNotFound() from None


@dataclass(frozen=True)
class CursorPage:
    items: list[Item]
    newer: str | None  # position to pass as `after` for the previous (newer) page
    older: str | None  # position to pass as `before` for the next (older) page
    total: int


def cursor_position(second: int, micros: int | None, slug: str | None, *, after: bool) -> str:
    """The listing position a cursor names: an item's, or a bare second's (strictly before/after it)."""
    created_at = clock.iso(second)
    if slug:
        return listing.item_position(created_at, micros, slug)
    return listing.second_position(created_at, after=after)


def cursor_parts(position: str) -> tuple[int, int | None, str | None]:
    """(epoch second, microsecond, slug) of a listing position, for a dialect to write as a cursor."""
    created_at, micros, slug = listing.position_parts(position)
    return int(lifecycle.parse_time(created_at).timestamp()), micros, slug


def page_size(requested: int | None, default: int = 20) -> int:
    if requested is None:
        return default
    if requested < 1:
        raise InvalidInput("per_page must be at least 1", field="per_page")
    return min(requested, MAX_PAGE_SIZE)


def list_page(user: User, per_page: int, *, before: str | None = None, after: str | None = None) -> CursorPage:
    """Newest first; `before`/`after` are positions from an earlier page, so pages stay stable while
    items are added or removed. One more item than the page is read to know whether older ones exist.
    Going up, a cursor that names an item (as links do) has that item below it; a bare time may have
    nothing, so one item is read to decide: an older link is given only to a page with items.

    The newer link is always there while the page has items (or was asked for with `after`): it is
    where a client polls for what is added later, an empty page until something is. An owner with
    no items at all gets one from the second before now, so nothing made after this answer is missed."""
    owner = user.user_id
    found = listing.by_created(owner, per_page + 1, below=before, above=after)
    if after is not None:
        page = found[-per_page:]
        more_older = bool(page) and (
            listing.names_an_item(after) or bool(listing.by_created(owner, 1, below=listing.created_position(page[-1])))
        )
    else:
        more_older, page = len(found) > per_page, found[:per_page]
    if page:
        newer: str | None = listing.created_position(page[0])
    elif before is None and after is None:
        newer = listing.second_position(clock.iso(clock.now() - 1), after=True)
    else:
        newer = after  # polling goes on where it was; an empty page past the oldest item has none
    return CursorPage(
        items=page,
        newer=newer,
        older=listing.created_position(page[-1]) if page and more_older else None,
        total=user.item_count,
    )


SORT_FIELDS = tuple(listing.ORDERS)


def list_offset(
    user: User,
    page: int,
    limit: int,
    sort_by: str = "created_at",
    descending: bool = True,
    published: bool | None = None,
) -> tuple[list[Item], int]:
    """A page of the v1 listing and the total it pages through."""
    if sort_by not in listing.ORDERS:
        raise InvalidInput(f"sort_by must be one of {', '.join(SORT_FIELDS)}", field="sort_by")
    if page < 1:
        raise InvalidInput("page must be at least 1", field="page")
    limit = page_size(limit)
    total = user.item_count if published is None else listing.count_published(user.user_id, published)
    offset = (page - 1) * limit
    if offset >= total:
        return [], total  # past the end: nothing to read (and no page number makes a request read more)
    return listing.by_offset(user.user_id, sort_by, descending, offset, limit, published), total


FILTERS = ("all", "favorites", "published", "expired", "trash")
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class Browse:
    """What the dashboard's item list asks for: a filter, a search in names, an order, a page."""

    filter: str = "all"
    query: str = ""  # matched case-insensitively anywhere in the name
    sort_by: str = "created_at"
    descending: bool = True
    page: int = 1
    per_page: int = 24


@dataclass(frozen=True)
class BrowsePage:
    items: list[Item]
    has_more: bool


def browse(user: User, request: Browse) -> BrowsePage:
    """A page of the owner's items, from their listing partitions (the trash: the deleted one)."""
    if request.filter not in FILTERS:
        raise InvalidInput(f"filter must be one of {', '.join(FILTERS)}", field="filter")
    if request.sort_by not in listing.ORDERS:
        raise InvalidInput(f"sort_by must be one of {', '.join(SORT_FIELDS)}", field="sort_by")
    if request.page < 1:
        raise InvalidInput("page must be at least 1", field="page")
    if len(request.query) > MAX_QUERY_LENGTH:
        raise InvalidInput(f"Searches are at most {MAX_QUERY_LENGTH} characters", field="q")
    limit, needle, now = page_size(request.per_page), request.query.strip().casefold(), clock.iso()

    def keep(item: Item) -> bool:
        if needle and needle not in item.name.casefold():
            return False
        if request.filter == "favorites":
            return item.favorite
        if request.filter == "published":
            return item.is_published
        if request.filter == "expired":
            return lifecycle.is_expired(item, now)
        return True

    found = listing.matching(
        user.user_id,
        request.sort_by,
        request.descending,
        keep,
        (request.page - 1) * limit,
        limit + 1,
        deleted=request.filter == "trash",
    )
    return BrowsePage(items=found[:limit], has_more=len(found) > limit)


def valid_version_name(name: str) -> str:
    """A version's name (v1 `version_name`) follows the rules of item names."""
    return inputs.item_name(name, "version_name")


def new_item_fields(user: User, changes: ItemChanges) -> dict[str, Any]:
    """A new item's settings checked by the same rules as a change (paid features, passwords hashed,
    expiry in the future), before anything is written: the fields that differ from the defaults."""
    draft = Item(slug="", owner_id=user.user_id, name="", kind="file", state="pending", created_at="", updated_at="")
    sets, _removes = _changes(user, draft, changes)
    return sets
