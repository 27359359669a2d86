"""The nonce/grant key: one Secrets Manager secret, read at run time and cached in the warm process.

It is never in a function's environment (anyone allowed lambda:GetFunctionConfiguration could read
it there and forge nonces and unlock grants); only functions that sign or verify may read it.
The secret is JSON {"current": …, "previous": …}: signing uses current, verifying accepts both, so
a rotation (current -> previous, a new current) ends nothing that is still valid. A plain string
(a secret made before rotation existed) is a current key with no previous one.
"""

from __future__ import annotations

import json
import secrets
import time
from functools import cache
from typing import Any

from cloudshare.config import settings
from cloudshare.store.aws import client

# A rotation reaches every warm function within this many seconds, or at once when the function
# meets something signed with a key it does not know yet (at most once per REREAD_SECONDS, so that
# forged tokens cannot make it call Secrets Manager at will).
MAX_AGE_SECONDS = 300
REREAD_SECONDS = 60


@cache
def _provider(secrets_client: Any) -> Any:
    # Imported (and the client made) on first use: requests with an API key never need the key, so
    # they do not pay for it at cold start. Keyed by the client, so a new client (tests, another
    # endpoint) starts with an empty cache.
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=secrets_client)


def _keys(*, force: bool = False) -> tuple[bytes, ...]:
    value = _provider(client("secretsmanager")).get(
        settings().require_nonce_secret_id(), max_age=MAX_AGE_SECONDS, force_fetch=force
    )
    current, previous = parse(value)
    return (current, previous) if previous else (current,)


def parse(value: str) -> tuple[bytes, bytes | None]:
    try:
        document = json.loads(value)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return value.encode(), None
    previous = document.get("previous")
    return document["current"].encode(), previous.encode() if previous else None


def current() -> bytes:
    """The key that signs."""
    return _keys()[0]


def accepted() -> tuple[bytes, ...]:
    """The keys that verify: the current one and, during a rotation, the previous one."""
    return _keys()


def newer() -> tuple[bytes, ...]:
    """After something failed to verify with accepted(): the keys read again now, if they changed
    since the cached copy (a rotation this function has not seen yet); () otherwise, and () when
    the last reread was less than REREAD_SECONDS ago."""
    provider = _provider(client("secretsmanager"))
    moment = time.monotonic()
    if moment - getattr(provider, "last_reread", -REREAD_SECONDS) < REREAD_SECONDS:
        return ()
    provider.last_reread = moment
    cached = _keys()
    fresh = _keys(force=True)
    return fresh if fresh != cached else ()


def rotate(secret_id: str, *, keep_previous: bool = True) -> None:
    """A new current key; the old current becomes the previous one (or, keep_previous=False, is
    dropped at once: everything it signed stops, e.g. after a leak)."""
    sm = client("secretsmanager")
    old, _ = parse(sm.get_secret_value(SecretId=secret_id)["SecretString"])
    document = {"current": secrets.token_urlsafe(48), "previous": old.decode() if keep_previous else ""}
    sm.put_secret_value(SecretId=secret_id, SecretString=json.dumps(document))
