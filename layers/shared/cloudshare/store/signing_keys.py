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
from functools import cache

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from cloudshare.config import settings
from cloudshare.store.aws import client

# A rotation reaches every warm function within this many seconds.
MAX_AGE_SECONDS = 300


@cache
def _provider(secrets_client) -> SecretsProvider:
    # Keyed by the client, so a new client (tests, a new endpoint) starts with an empty cache.
    return SecretsProvider(boto3_client=secrets_client)


def _keys() -> tuple[bytes, ...]:
    value = _provider(client("secretsmanager")).get(settings().require_nonce_secret_id(), max_age=MAX_AGE_SECONDS)
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


def rotate(secret_id: str, *, keep_previous: bool = True) -> None:
    """A new current key; the old current becomes the previous one (or, keep_previous=False, is
    dropped at once: everything it signed stops, e.g. after a leak)."""
    sm = client("secretsmanager")
    old, _ = parse(sm.get_secret_value(SecretId=secret_id)["SecretString"])
    document = {"current": secrets.token_urlsafe(48), "previous": old.decode() if keep_previous else ""}
    sm.put_secret_value(SecretId=secret_id, SecretString=json.dumps(document))
