"""The rules for text that names or points at an item, whichever route it came through: item and
version names (v3 create and rename, v1 create and update, inline and presigned file names) and
bookmark URLs. What is stored is what later goes into headers, links and pages, so anything that
could break those is refused here rather than escaped everywhere later.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, urlsplit

from cloudshare.errors import InvalidInput

MAX_NAME_LENGTH = 255
MAX_URL_LENGTH = 2048
# Line and paragraph separators break lines as CR/LF do; bidirectional overrides make a name read
# as something else (`report‮fdp.exe`); surrogates cannot be encoded at all.
_REFUSED_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
_BIDI_CONTROLS = {chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
# Every printable ASCII character stays as it is; anything else is percent-encoded as UTF-8.
_URL_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))


def item_name(name: str, field: str = "name") -> str:
    """A name as stored: surrounding whitespace trimmed; never empty, over-long, or holding characters
    that break a line, a header or the reading direction."""
    cleaned = name.strip()
    if not cleaned:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidInput(f"{field} is at most {MAX_NAME_LENGTH} characters", field=field)
    if any(_refused(character) for character in cleaned):
        raise InvalidInput(f"{field} must not contain control characters or line breaks", field=field)
    return cleaned


def web_address(url: str, field: str = "bookmark_url") -> str:
    """An http(s) URL as stored: no whitespace or control characters inside it (they would end a
    Location header early, or smuggle another one in), non-ASCII path and query characters
    percent-encoded, and an ASCII host (internationalised hosts in their xn-- form)."""
    cleaned = url.strip()
    if any(character.isspace() or _refused(character) for character in cleaned):
        raise InvalidInput(
            f"{field} must not contain spaces, line breaks or control characters (percent-encode them, e.g. %20)",
            field=field,
        )
    try:
        parts = urlsplit(cleaned)
        host, _port = parts.hostname, parts.port
    except ValueError:  # an unclosed IPv6 bracket, a port that is not a number
        raise InvalidInput(f"{field} is not a valid URL", field=field) from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise InvalidInput(f"{field} must be an http or https URL", field=field)
    if not parts.netloc.isascii():
        raise InvalidInput(
            f"{field} must have an ASCII host name (use the xn-- form of international names)", field=field
        )
    encoded = quote(cleaned, safe=_URL_SAFE)
    if len(encoded) > MAX_URL_LENGTH:
        raise InvalidInput(f"{field} is at most {MAX_URL_LENGTH} characters", field=field)
    return encoded


def _refused(character: str) -> bool:
    return unicodedata.category(character) in _REFUSED_CATEGORIES or character in _BIDI_CONTROLS
