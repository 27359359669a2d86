"""API key format: 'csk_<key id>_<secret>'. The id finds the record; only a hash of the whole is stored.

The secret carries 256 bits of entropy, so a fast hash (SHA-256) is as safe as a slow one here.
"""

from __future__ import annotations

import hashlib
import re
import secrets

PREFIX = "csk"
_KEY_PATTERN = re.compile(rf"^{PREFIX}_([a-z0-9]{{12}})_[A-Za-z0-9_-]{{43}}$")
KEY_ID = re.compile(r"[a-z0-9]{12}")


def new_key() -> tuple[str, str, str]:
    """Returns (key_id, plaintext key shown once, hash to store)."""
    key_id = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
    plaintext = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    return key_id, plaintext, hashlib.sha256(plaintext.encode()).hexdigest()


def parse_key_id(presented: str) -> str | None:
    match = _KEY_PATTERN.match(presented)
    return match.group(1) if match else None
