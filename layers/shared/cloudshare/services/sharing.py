"""What the recipient of a link may see and fetch — decided on every request, not only by the sweep.

- Only ready (or bookmark), published, undeleted, unexpired items are served, and only through
  their link's current form (long /<slug><secret> or short /<slug>); anything else is Unavailable
  (404, or 410 once it was there: expired or deleted), never the file.
- A page load (HTML or JSON) by anyone but the owner counts one view. With expires_after_views, in
  the same conditional write that checks all of the above (store/public.py): exactly N views are ever
  served. Without it, on a counter shard after checking the item as this instance read it at most
  public.ITEM_CACHE_SECONDS ago; the fold brings shards into the item's counters (store/view_counts.py).
  The page's own preview and download links carry a ticket (services/share_tokens.py), so they neither
  count again nor break when that view was the last one. content_url or remote_url fetched without a
  ticket is a view of its own.
- Downloads (attachment URLs) need allow_downloads and not view_only, and count download_counter.
- Content URLs show inline only what the page previews (content_types.py: images, video, audio, PDF,
  text as text/plain); any other type they send as an attachment, so only where downloads are allowed.
- Password-protected items need a grant: unlock() checks the password against its scrypt hash,
  with backoff per item and per client after a few failures (services/throttle.py), and hands out a
  signed cookie value.
  Grants and tickets are bound to the item's password and link (share_tokens.generation): a new
  password or link ends them at once.
- The owner is recognised by an API key sent with the public request (Authorization: Bearer or
  x-api-key; browsers send none): the owner passes the password and counts nothing.
- An unfurl (a chat app's link preview, or an oEmbed fetch) counts nothing either, so it gets only
  what a preview shows of an available item: no password is passed and no ticket handed out, so
  nothing it gets fetches the file without counting. Anyone can claim to be an unfurler; that buys
  no more than the thumbnail route gives everyone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from cloudshare import content_types
from cloudshare.errors import AccessDenied, AuthenticationRequired, CloudshareError, TooManyAttempts
from cloudshare.models import Item
from cloudshare.observability import logger
from cloudshare.services import clock, lifecycle, links, share_tokens, throttle
from cloudshare.services.auth import RequestCredentials, authenticate
from cloudshare.services.passwords import verify_password
from cloudshare.store import delivery, items, public, view_counts

PRESIGNED_SECONDS = 5 * 60

_GONE_STATES = {"expired", "deleted"}
_MESSAGES = {
    "missing": "There is nothing at this link.",
    "pending": "This file is still being uploaded. Try again in a moment.",
    "failed": "This upload did not complete.",
    "unpublished": "This item is not published.",
    "deleted": "This item was deleted.",
    "expired": "This link has expired.",
}


class Unavailable(CloudshareError):
    """Not served: no such item or link, or not in a state to be seen (state says which)."""

    def __init__(self, state: str):
        super().__init__(_MESSAGES[state], field="state", extra={"state": state})
        self.state = state
        self.status = 410 if state in _GONE_STATES else 404


class PasswordRequired(AccessDenied):
    def __init__(self) -> None:
        super().__init__("This item is protected by a password.", field="password")


class WrongPassword(AccessDenied):
    def __init__(self) -> None:
        super().__init__("Wrong password.", field="password")


class DownloadsDisabled(AccessDenied):
    def __init__(self) -> None:
        super().__init__("The owner does not allow downloads of this item.", field="download")


@dataclass(frozen=True)
class Visit:
    """A public request, as the sharing rules see it."""

    code: str  # the link's path segment: <slug><secret> or <slug>
    grant: str = ""  # the item's password grant (cookie), if the client has one
    ticket: str = ""  # ?t= of a link on a page just served
    client: str = ""  # the client's address: wrong passwords are counted per client
    credentials: RequestCredentials | None = None  # sent only by API clients; recognises the owner
    unfurl: bool = False  # a link preview: shown nothing a view would count


@dataclass(frozen=True)
class SharedItem:
    item: Item
    ticket: str  # lets this view's preview and download links work without counting again
    downloads_allowed: bool
    counted: bool  # False when the owner looked, or for an unfurl
    unfurl: bool = False  # no ticket: its links would count a view of their own


@dataclass(frozen=True)
class Grant:
    slug: str
    code: str
    token: str
    max_age: int


@dataclass(frozen=True)
class Thumbnail:
    url: str | None  # a presigned GET of the stored thumbnail; None: show a placeholder
    item: Item | None  # None when the item's password hides what it is


def downloads_allowed(item: Item) -> bool:
    return item.kind == "file" and item.allow_downloads and not item.view_only


def content_allowed(item: Item) -> bool:
    """Whether its content link serves the file: shown inline (a type the page previews) or, where
    downloads are allowed, sent as an attachment."""
    return item.kind == "file" and (downloads_allowed(item) or content_types.preview(item.content_type) is not None)


def view(visit: Visit) -> SharedItem:
    """The item behind a link, for its page or JSON: counts a view unless the owner is looking or it is an
    unfurl (then it is refused as protected when it has a password, whatever the request carries)."""
    slug, secret = _parse(visit.code)
    now = clock.iso()
    if visit.unfurl:
        # As a visitor without a grant would find it, at most public.ITEM_CACHE_SECONDS old.
        item = _check(public.cached_item(slug).item, secret, password_granted=False, now=now, views_left_needed=True)
        return SharedItem(item=item, ticket="", downloads_allowed=False, counted=False, unfurl=True)
    owned = _owned_item(visit, slug)
    if owned is not None:
        _check(owned, secret, password_granted=True, now=now, views_left_needed=True)
        return _shared(owned, counted=False)
    tokens = _tokens(visit, slug, secret, use_ticket=False)
    access = public.Access(slug, secret, tokens.granted_password, now)
    return _shared(_count(access, view=True, download=False, fresh=tokens.item), counted=True)


def readable(visit: Visit) -> tuple[Item, bool]:
    """The item behind a link, checked as its page is (a grant for a password) but counting nothing,
    and whether its owner is asking (an API key on the request passes the password): what comments need."""
    slug, secret = _parse(visit.code)
    owned = _owned_item(visit, slug)
    if owned is not None:
        return _check(owned, secret, password_granted=True, now=clock.iso(), views_left_needed=True), True
    item = items.get(slug)
    granted = item is not None and share_tokens.valid_grant(visit.grant, slug, share_tokens.generation_of(item))
    return _check(item, secret, password_granted=granted, now=clock.iso(), views_left_needed=True), False


def open_file(visit: Visit, *, attachment: bool) -> str:
    """A presigned GET for the file behind a content or download (attachment) link. Content is shown
    inline when the page previews its type, and is otherwise an attachment like a download."""
    slug, secret = _parse(visit.code)
    now = clock.iso()
    owned = _owned_item(visit, slug)
    content = not attachment
    if owned is not None:
        item = _check(
            owned, secret, password_granted=True, now=now, views_left_needed=False, download=attachment, content=content
        )
    elif (tokens := _tokens(visit, slug, secret, use_ticket=True)).ticketed and content:
        # The page that issued the ticket counted the view: just check, in one read.
        item = _check(
            tokens.item or items.get(slug),
            secret,
            password_granted=tokens.granted_password is not None,
            now=now,
            views_left_needed=False,
            content=True,
        )
    else:
        access = public.Access(slug, secret, tokens.granted_password, now)
        item = _count(access, view=not tokens.ticketed, download=attachment, content=content, fresh=tokens.item)
    if item.kind != "file" or item.object_key is None:
        raise Unavailable("missing")
    shown_as = content_types.inline(item.content_type) if content else None
    return delivery.presigned_get(
        item.object_key,
        filename=item.name,
        attachment=shown_as is None,
        content_type=shown_as or content_types.served(item.content_type),
        expires_in=PRESIGNED_SECONDS,
    )


def thumbnail(visit: Visit) -> Thumbnail:
    """The current version's thumbnail (no view is counted); a placeholder for anything else."""
    slug, secret = _parse(visit.code)
    now = clock.iso()
    item = items.get(slug)
    current = share_tokens.generation_of(item) if item else ""
    ticketed = share_tokens.valid_ticket(visit.ticket, slug, current)
    try:
        item = _check(
            item,
            secret,
            password_granted=ticketed or share_tokens.valid_grant(visit.grant, slug, current),
            now=now,
            views_left_needed=not ticketed,
        )
    except PasswordRequired:
        return Thumbnail(url=None, item=None)
    if content_types.preview(item.content_type) != "image" or item.kind != "file":
        return Thumbnail(url=None, item=item)
    key = delivery.thumbnail_key(slug, item.version)
    if not delivery.exists(key):
        return Thumbnail(url=None, item=item)
    url = delivery.presigned_get(
        key, filename=f"{item.name}.jpg", attachment=False, content_type="image/jpeg", expires_in=PRESIGNED_SECONDS
    )
    return Thumbnail(url=url, item=item)


def unlock(visit: Visit, password: str) -> Grant:
    """Checks an item's password (a limited number of tries per client); the grant opens it for a while."""
    slug, secret = _parse(visit.code)
    item = _check(items.get(slug), secret, password_granted=True, now=clock.iso(), views_left_needed=True)
    if not item.password_hash:
        return _grant(visit.code, item)
    _, attempt = throttle.begin(throttle.Subject("item", slug), throttle.Subject("source", visit.client))
    attempt.admit()
    if not verify_password(password, item.password_hash):
        attempt.failed()
        logger.info("wrong share password", extra={"slug": slug})
        raise WrongPassword()
    attempt.succeeded()
    return _grant(visit.code, item)


def _grant(code: str, item: Item) -> Grant:
    return Grant(slug=item.slug, code=code, token=share_tokens.grant(item), max_age=share_tokens.GRANT_SECONDS)


@dataclass(frozen=True)
class _Tokens:
    """What a visit's ticket and grant prove about the item as it is now."""

    ticketed: bool
    granted_password: str | None  # the password hash they were checked against; None: no password passed
    item: Item | None  # the item, when checking them needed a read


def _tokens(visit: Visit, slug: str, secret: str, *, use_ticket: bool) -> _Tokens:
    """Checks the visit's ticket and grant against the item's current generation (share_tokens).

    A ticket for an item without a password is checked against the link alone, with no read: the
    write that follows requires that no password was set since. Anything else needs the item's
    password hash: the instance's cached item (at most ITEM_CACHE_SECONDS old, the bound on a new
    password stopping old grants) accepts a token without a read, so a protected link's views scale
    as an open link's do. A token the cached item does not accept may be newer than it (a grant for a
    password set a moment ago): the item as it is now decides, at one read more."""
    open_link = share_tokens.generation(None, secret)
    if use_ticket and share_tokens.valid_ticket(visit.ticket, slug, open_link, reread=False):
        return _Tokens(ticketed=True, granted_password=None, item=None)
    if not (visit.grant or (use_ticket and visit.ticket)):
        return _Tokens(ticketed=False, granted_password=None, item=None)
    cached = public.cached_item(slug).item
    if cached is not None:
        found = _tokens_of(cached, visit, slug, use_ticket=use_ticket, reread=False)
        if found.ticketed or found.granted_password:
            return found
    item = items.get(slug)
    if item is None:
        return _Tokens(ticketed=False, granted_password=None, item=None)
    return _tokens_of(item, visit, slug, use_ticket=use_ticket, reread=True)


def _tokens_of(item: Item, visit: Visit, slug: str, *, use_ticket: bool, reread: bool) -> _Tokens:
    current = share_tokens.generation_of(item)
    ticketed = use_ticket and share_tokens.valid_ticket(visit.ticket, slug, current, reread=reread)
    granted = bool(item.password_hash) and (
        ticketed or share_tokens.valid_grant(visit.grant, slug, current, reread=reread)
    )
    return _Tokens(ticketed=ticketed, granted_password=item.password_hash if granted else None, item=item)


def _parse(code: str) -> tuple[str, str]:
    parts = links.split_code(code)
    if parts is None:
        raise Unavailable("missing")
    return parts


def _shared(item: Item, *, counted: bool) -> SharedItem:
    return SharedItem(
        item=item, ticket=share_tokens.ticket(item), downloads_allowed=downloads_allowed(item), counted=counted
    )


def _count(
    access: public.Access, *, view: bool, download: bool, content: bool = False, fresh: Item | None = None
) -> Item:
    cached = public.cached_item(access.slug)
    # Refusals and unlimited items are decided on the cached item (at most ITEM_CACHE_SECONDS old), or on
    # the one checking a grant or ticket just read (fresh): a grant for a new password works at once.
    # Counters only grow, so a limit the cache sees used up is used up.
    current = fresh or cached.item
    item = _check(
        current,
        access.secret,
        password_granted=_granted(current, access),
        now=access.now,
        views_left_needed=view,
        download=download,
        content=content,
    )
    if item.expires_after_views is None:
        view_counts.count(item.slug, cached.shards, view=view, download=download)
        # The counts as last folded, and this request: what the viewer sees counted.
        return dataclasses.replace(
            item, view_counter=item.view_counter + int(view), download_counter=item.download_counter + int(download)
        )
    try:
        item = public.record_access(
            access, view=view, download=download, inline_types=content_types.PREVIEWABLE if content else frozenset()
        )
    except public.Refused as refused:
        _check(
            refused.item,
            access.secret,
            password_granted=_granted(refused.item, access),
            now=access.now,
            views_left_needed=view,
            download=download,
            content=content,
        )
        # The write saw a reason that the same rules in Python do not: refuse rather than serve.
        logger.warning("public access refused without a visible reason", extra={"slug": access.slug})
        raise Unavailable("expired") from None
    if view and lifecycle.views_exhausted(item):
        public.mark_views_exhausted(item.slug, lifecycle.next_due(item, access.now) or access.now)
    return item


def _granted(item: Item | None, access: public.Access) -> bool:
    """Whether the grant or ticket was checked against the password the item has now."""
    return item is not None and bool(access.granted_password) and item.password_hash == access.granted_password


def _check(
    item: Item | None,
    secret: str,
    *,
    password_granted: bool,
    now: str,
    views_left_needed: bool,
    download: bool = False,
    content: bool = False,
) -> Item:
    """The rules of store.public.record_access, in Python: explains a refusal, or checks a read.
    download: the file as an attachment; content: the file inline if previewable, else as an attachment."""
    if item is None or not links.matches(item, secret):
        raise Unavailable("missing")
    state = lifecycle.public_state(item, now)
    if state == "expired" and not views_left_needed and not lifecycle.is_expired(_without_view_limit(item), now):
        state = "available"  # only views are used up, and this request belongs to a view already counted
    if state != "available":
        raise Unavailable(state)
    if item.password_hash and not password_granted:
        raise PasswordRequired()
    if download and not downloads_allowed(item):
        raise DownloadsDisabled()
    if content and item.kind != "file":
        raise Unavailable("missing")  # a bookmark has no content
    if content and not content_allowed(item):
        raise DownloadsDisabled()  # it would not be shown but downloaded
    return item


def _without_view_limit(item: Item) -> Item:
    return dataclasses.replace(item, expires_after_views=None)


def _owned_item(visit: Visit, slug: str) -> Item | None:
    """The item if the request carries its owner's API key; None for everyone else (not an error:
    a public page ignores credentials it cannot use)."""
    if visit.credentials is None:
        return None
    try:
        caller = authenticate(visit.credentials)
    except (AuthenticationRequired, AccessDenied, TooManyAttempts):
        return None
    item = items.get(slug)
    return item if item is not None and item.owner_id == caller.user.user_id else None
