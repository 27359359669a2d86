"""Public links: the long form /<slug><secret> (the default, unguessable) or the short form /<slug>.

Only the item's current form resolves, so switching forms retires the old link.
"""

from __future__ import annotations

from urllib.parse import quote

from cloudshare.config import settings
from cloudshare.models import Item
from cloudshare.services.uploads import LINK_SECRET_LENGTH, SLUG_LENGTH


def share_code(item: Item) -> str:
    return f"{item.slug}{item.link_secret}" if item.long_link else item.slug


def split_code(code: str) -> tuple[str, str] | None:
    """(slug, secret) of a public link code; the secret is '' for the short form."""
    if len(code) == SLUG_LENGTH:
        return code, ""
    if len(code) == SLUG_LENGTH + LINK_SECRET_LENGTH:
        return code[:SLUG_LENGTH], code[SLUG_LENGTH:]
    return None


def matches(item: Item, secret: str) -> bool:
    """Whether a link with this secret is the item's current form."""
    import hmac

    return hmac.compare_digest(secret, item.link_secret) if item.long_link else secret == ""


def share_url(item: Item, base: str) -> str:
    """The item's public page: on the share links' host when it is configured (the public function
    URL: every function but that one), else under `base`, the request's own (or configured) address."""
    configured = settings().share_base_url
    return f"{configured.rstrip('/') if configured else base}/{share_code(item)}"


def content_url(item: Item, base: str) -> str:
    """The public URL of a file item's current content (both dialects show this one)."""
    return f"{share_url(item, base)}/content/{quote(item.name)}"


def download_url(item: Item, base: str) -> str:
    """The public URL that sends a file item's current content as an attachment."""
    return f"{share_url(item, base)}/download/{quote(item.name)}"
