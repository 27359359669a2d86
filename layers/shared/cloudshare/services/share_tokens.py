"""Short-lived signed tokens for public links, checked without a database read.

- a *grant* (cookie) says "this browser gave the right password for this item";
- a *ticket* (?t= on content/download URLs) says "this page view was counted a moment ago", so the
  preview and the download button of a view do not count again, and still work when that view was
  the item's last one (expires_after_views).

Both are `<expiry epoch>.<HMAC>` bound to the item's slug and their purpose, with a key derived
from NONCE_SECRET (so the Digest nonce key itself never signs anything public).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cloudshare.config import settings
from cloudshare.services import clock

GRANT_SECONDS = 15 * 60
TICKET_SECONDS = 10 * 60


@cache
def _key(secret: bytes) -> bytes:
    return hmac.new(secret, b"cloudshare public link tokens v1", hashlib.sha256).digest()


def _mac(purpose: str, slug: str, expires: int) -> str:
    key = _key(settings().require_nonce_secret())
    digest = hmac.new(key, f"{purpose}:{slug}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def _sign(purpose: str, slug: str, lifetime: int) -> str:
    expires = int(clock.now()) + lifetime
    return f"{expires}.{_mac(purpose, slug, expires)}"


def _valid(purpose: str, token: str | None, slug: str) -> bool:
    expires, _, mac = (token or "").partition(".")
    if not expires.isdigit() or int(expires) < clock.now():
        return False
    return hmac.compare_digest(mac, _mac(purpose, slug, int(expires)))


def grant(slug: str) -> str:
    return _sign("grant", slug, GRANT_SECONDS)


def valid_grant(token: str | None, slug: str) -> bool:
    return _valid("grant", token, slug)


def ticket(slug: str) -> str:
    return _sign("ticket", slug, TICKET_SECONDS)


def valid_ticket(token: str | None, slug: str) -> bool:
    return _valid("ticket", token, slug)
