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
- Password-protected items need a grant: unlock() checks the password against its scrypt hash,
  at most PASSWORD_ATTEMPTS times per item, client and window, and hands out a signed cookie value.
- The owner is recognised by an API key sent with the public request (Authorization: Bearer or
  x-api-key; browsers send none): the owner passes the password and counts nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

from cloudshare.errors import AccessDenied, AuthenticationRequired, CloudshareError
from cloudshare.models import Item
from cloudshare.observability import logger
from cloudshare.services import clock, lifecycle, links, share_tokens
from cloudshare.services.auth import RequestCredentials, authenticate
from cloudshare.services.passwords import verify_password
from cloudshare.store import delivery, items, public, view_counts

PRESIGNED_SECONDS = 5 * 60
PASSWORD_ATTEMPTS = 10  # per item, client and window
PASSWORD_WINDOW_SECONDS = 15 * 60

_GONE_STATES = {"expired", "deleted"}
_MESSAGES = {
    "missing": "There is nothing at this link.",
    "pending": "This file is still being uploaded. Try again in a moment.",
    "failed": "This upload did not complete.",
    "unpublished": "This item is not published.",
    "deleted": "This item was deleted.",
    "expired": "This link has expired.",
}
_INLINE_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp"}
_TEXT_TYPES = {"application/json", "application/xml", "application/javascript", "application/x-yaml"}


class Unavailable(CloudshareError):
    """Not served: no such item or link, or not in a state to be seen (state says which)."""

    def __init__(self, state: str):
        super().__init__(_MESSAGES[state], field="state", extra={"state": state})
        self.state = state
        self.status = 410 if state in _GONE_STATES else 404


class PasswordRequired(AccessDenied):
    def __init__(self):
        super().__init__("This item is protected by a password.", field="password")


class WrongPassword(AccessDenied):
    def __init__(self):
        super().__init__("Wrong password.", field="password")


class TooManyAttempts(CloudshareError):
    status = 429

    def __init__(self, retry_after: int):
        super().__init__("Too many password attempts. Try again later.", field="password")
        self.retry_after = retry_after


class DownloadsDisabled(AccessDenied):
    def __init__(self):
        super().__init__("The owner does not allow downloads of this item.", field="download")


@dataclass(frozen=True)
class Visit:
    """A public request, as the sharing rules see it."""

    code: str  # the link's path segment: <slug><secret> or <slug>
    grant: str = ""  # the item's password grant (cookie), if the client has one
    ticket: str = ""  # ?t= of a link on a page just served
    client: str = ""  # the client's address: password attempts are limited per client
    credentials: RequestCredentials | None = None  # sent only by API clients; recognises the owner


@dataclass(frozen=True)
class SharedItem:
    item: Item
    ticket: str  # lets this view's preview and download links work without counting again
    downloads_allowed: bool
    counted: bool  # False when the owner looked


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


def preview_kind(content_type: str | None) -> str | None:
    """How a file shows on its page and inline: image, video, audio, pdf, text, or None (an icon)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    major = kind.partition("/")[0]
    if kind in _INLINE_IMAGES:
        return "image"
    if major in ("video", "audio"):
        return major
    if kind == "application/pdf":
        return "pdf"
    if major == "text" or kind in _TEXT_TYPES:
        return "text"
    return None


def inline_content_type(content_type: str | None) -> str:
    """What S3 may declare when showing a file inline. Anything a browser would run (HTML, SVG,
    scripts) is shown as plain text or downloaded, never executed, even on the bucket's origin."""
    kind = preview_kind(content_type)
    if kind == "text":
        return "text/plain; charset=utf-8"
    return content_type if kind else "application/octet-stream"


def downloads_allowed(item: Item) -> bool:
    return item.kind == "file" and item.allow_downloads and not item.view_only


def view(visit: Visit) -> SharedItem:
    """The item behind a link, for its page or JSON: counts a view unless the owner is looking."""
    slug, secret = _parse(visit.code)
    now = clock.iso()
    owned = _owned_item(visit, slug)
    if owned is not None:
        _check(owned, secret, password_granted=True, now=now, views_left_needed=True)
        return _shared(owned, counted=False)
    access = public.Access(slug, secret, share_tokens.valid_grant(visit.grant, slug), now)
    return _shared(_count(access, view=True, download=False), counted=True)


def open_file(visit: Visit, *, attachment: bool) -> str:
    """A presigned GET for the file behind a content (inline) or download (attachment) link."""
    slug, secret = _parse(visit.code)
    now = clock.iso()
    owned = _owned_item(visit, slug)
    ticketed = share_tokens.valid_ticket(visit.ticket, slug)
    if owned is not None:
        item = _check(owned, secret, password_granted=True, now=now, views_left_needed=False, download=attachment)
    elif ticketed and not attachment:
        # The page that issued the ticket counted the view: just check, in one read.
        item = _check(items.get(slug), secret, password_granted=True, now=now, views_left_needed=False)
    else:
        access = public.Access(slug, secret, ticketed or share_tokens.valid_grant(visit.grant, slug), now)
        item = _count(access, view=not ticketed, download=attachment)
    if item.kind != "file":
        raise Unavailable("missing")
    content_type = item.content_type or "application/octet-stream"
    return delivery.presigned_get(
        item.object_key, filename=item.name, attachment=attachment,
        content_type=content_type if attachment else inline_content_type(content_type), expires_in=PRESIGNED_SECONDS,
    )


def thumbnail(visit: Visit) -> Thumbnail:
    """The current version's thumbnail (no view is counted); a placeholder for anything else."""
    slug, secret = _parse(visit.code)
    now = clock.iso()
    item = items.get(slug)
    ticketed = share_tokens.valid_ticket(visit.ticket, slug)
    try:
        _check(item, secret, password_granted=ticketed or share_tokens.valid_grant(visit.grant, slug), now=now,
               views_left_needed=not ticketed)
    except PasswordRequired:
        return Thumbnail(url=None, item=None)
    if preview_kind(item.content_type) != "image" or item.kind != "file":
        return Thumbnail(url=None, item=item)
    key = delivery.thumbnail_key(slug, item.version)
    if not delivery.exists(key):
        return Thumbnail(url=None, item=item)
    url = delivery.presigned_get(key, filename=f"{item.name}.jpg", attachment=False, content_type="image/jpeg",
                                 expires_in=PRESIGNED_SECONDS)
    return Thumbnail(url=url, item=item)


def unlock(visit: Visit, password: str) -> Grant:
    """Checks an item's password (a limited number of tries per client); the grant opens it for a while."""
    slug, secret = _parse(visit.code)
    item = _check(items.get(slug), secret, password_granted=True, now=clock.iso(), views_left_needed=True)
    if not item.password_hash:
        return _grant(visit.code, slug)
    moment = int(clock.now())
    window_start = moment - moment % PASSWORD_WINDOW_SECONDS
    window_end = window_start + PASSWORD_WINDOW_SECONDS
    client_id = hashlib.sha256(visit.client.encode()).hexdigest()[:24]  # no addresses at rest
    if not public.record_password_attempt(slug, client_id, window_start, window_end, PASSWORD_ATTEMPTS):
        raise TooManyAttempts(retry_after=window_end - moment)
    if not verify_password(password, item.password_hash):
        logger.info("wrong share password", extra={"slug": slug})
        raise WrongPassword()
    return _grant(visit.code, slug)


def _grant(code: str, slug: str) -> Grant:
    return Grant(slug=slug, code=code, token=share_tokens.grant(slug), max_age=share_tokens.GRANT_SECONDS)


def _parse(code: str) -> tuple[str, str]:
    parts = links.split_code(code)
    if parts is None:
        raise Unavailable("missing")
    return parts


def _shared(item: Item, *, counted: bool) -> SharedItem:
    return SharedItem(item=item, ticket=share_tokens.ticket(item.slug), downloads_allowed=downloads_allowed(item),
                      counted=counted)


def _count(access: public.Access, *, view: bool, download: bool) -> Item:
    cached = public.cached_item(access.slug)
    # Refusals and unlimited items are decided on the cached item (at most ITEM_CACHE_SECONDS old):
    # counters only grow, so a limit the cache sees used up is used up.
    item = _check(cached.item, access.secret, password_granted=access.password_granted, now=access.now,
                  views_left_needed=view, download=download)
    if item.expires_after_views is None:
        view_counts.count(item.slug, cached.shards, view=view, download=download)
        # The counts as last folded, and this request: what the viewer sees counted.
        return dataclasses.replace(item, view_counter=item.view_counter + int(view),
                                   download_counter=item.download_counter + int(download))
    try:
        item = public.record_access(access, view=view, download=download)
    except public.Refused as refused:
        _check(refused.item, access.secret, password_granted=access.password_granted, now=access.now,
               views_left_needed=view, download=download)
        # The write saw a reason that the same rules in Python do not: refuse rather than serve.
        logger.warning("public access refused without a visible reason", extra={"slug": access.slug})
        raise Unavailable("expired") from None
    if view and lifecycle.views_exhausted(item):
        public.mark_views_exhausted(item.slug, lifecycle.next_due(item, access.now))
    return item


def _check(item: Item | None, secret: str, *, password_granted: bool, now: str, views_left_needed: bool,
           download: bool = False) -> Item:
    """The rules of store.public.record_access, in Python: explains a refusal, or checks a read."""
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
    except (AuthenticationRequired, AccessDenied):
        return None
    item = items.get(slug)
    return item if item is not None and item.owner_id == caller.user.user_id else None
