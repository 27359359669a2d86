"""Short-lived signed tokens for public links, checked without a database read where possible.

- a *grant* (cookie) says "this browser gave the right password for this item";
- a *ticket* (?t= on content/download URLs) says "this page view was counted a moment ago", so the
  preview and the download button of a view do not count again, and still work when that view was
  the item's last one (expires_after_views);
- a *comment form* token says when its form was handed out (services/comments.py: a minimum time on
  the page before posting).

Both are `<expiry epoch>.<HMAC>` bound to the item's slug, their purpose and the item's *generation*:
a digest of its password hash and its link's current form. Setting, changing or removing the
password (every hash has a fresh salt, even for the same password) or switching/rotating the link
changes the generation, so every token issued before stops at once, without a revocation list.
The key is derived from the nonce/grant secret (so the Digest nonce key itself never signs anything
public); tokens signed with the previous key of a rotation stay valid until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cloudshare.models import Item
from cloudshare.services import clock
from cloudshare.store import signing_keys

GRANT_SECONDS = 15 * 60
TICKET_SECONDS = 10 * 60


def generation(password_hash: str | None, link_secret: str) -> str:
    """What a token is bound to beside its slug: the item's password (hash) and its link's secret
    ('' for the short form)."""
    return hashlib.sha256(f"{password_hash or ''}\0{link_secret}".encode()).hexdigest()


def generation_of(item: Item) -> str:
    return generation(item.password_hash, item.link_secret if item.long_link else "")


@cache
def _derived(secret: bytes) -> bytes:
    return hmac.new(secret, b"cloudshare public link tokens v1", hashlib.sha256).digest()


def _mac(key: bytes, purpose: str, slug: str, expires: int, item_generation: str) -> str:
    message = f"{purpose}:{slug}:{expires}:{item_generation}".encode()
    return base64.urlsafe_b64encode(hmac.new(_derived(key), message, hashlib.sha256).digest()[:24]).decode()


def _sign(purpose: str, item: Item, lifetime: int) -> str:
    expires = int(clock.now()) + lifetime
    return f"{expires}.{_mac(signing_keys.current(), purpose, item.slug, expires, generation_of(item))}"


def _valid(purpose: str, token: str | None, slug: str, item_generation: str, reread: bool) -> bool:
    expires, _, mac = (token or "").partition(".")
    if not expires.isdigit() or int(expires) < clock.now():
        return False

    def signed_by(keys: tuple[bytes, ...]) -> bool:
        return any(hmac.compare_digest(mac, _mac(key, purpose, slug, int(expires), item_generation)) for key in keys)

    return signed_by(signing_keys.accepted()) or (reread and signed_by(signing_keys.newer()))


def grant(item: Item) -> str:
    return _sign("grant", item, GRANT_SECONDS)


def valid_grant(token: str | None, slug: str, item_generation: str, *, reread: bool = True) -> bool:
    """reread=False: checked against a cached item, so a mismatch is no sign of a key rotation."""
    return _valid("grant", token, slug, item_generation, reread)


def ticket(item: Item) -> str:
    return _sign("ticket", item, TICKET_SECONDS)


def valid_ticket(token: str | None, slug: str, item_generation: str, *, reread: bool = True) -> bool:
    """reread=False: a guess at the generation, so a mismatch is no sign of a key rotation."""
    return _valid("ticket", token, slug, item_generation, reread)


COMMENT_FORM_SECONDS = 24 * 60 * 60


def comment_form(item: Item) -> str:
    """`<issued epoch>.<HMAC>`: when the comment form was handed out (it stays valid a day)."""
    issued = int(clock.now())
    return f"{issued}.{_mac(signing_keys.current(), 'comment-form', item.slug, issued, generation_of(item))}"


def comment_form_age(token: str | None, item: Item) -> float | None:
    """Seconds since a comment form token was handed out for this item; None if it is not one, or too old."""
    issued, _, mac = (token or "").partition(".")
    if not issued.isdigit():
        return None
    age = clock.now() - int(issued)
    if age > COMMENT_FORM_SECONDS:
        return None
    if not any(
        hmac.compare_digest(mac, _mac(key, "comment-form", item.slug, int(issued), generation_of(item)))
        for key in signing_keys.accepted()
    ):
        return None
    return age
