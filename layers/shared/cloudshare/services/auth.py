"""Who is calling: API keys (Bearer or x-api-key) and HTTP Digest with e-mail and password.

No credentials, or credentials that answer a challenge we did not issue (forged or stale nonce,
another realm, a header we cannot parse) -> AuthenticationRequired (401 + fresh challenges).
Credentials that are simply wrong, revoked or replayed -> AccessDenied (403).
Too many wrong ones lately, per account and per source -> TooManyAttempts (429, services/throttle.py).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from cloudshare.config import settings
from cloudshare.errors import AccessDenied, AuthenticationRequired
from cloudshare.models import Caller
from cloudshare.services import clock, digest, throttle
from cloudshare.services.api_keys import parse_key_id
from cloudshare.store import signing_keys, users

INVALID_CREDENTIALS = "Invalid credentials"


@dataclass(frozen=True)
class RequestCredentials:
    """The parts of an HTTP request that authentication looks at (header names lower-case)."""

    headers: Mapping[str, str]
    method: str
    paths: tuple[str, ...]  # the request path as the client may have signed it (with/without stage)
    source: str = ""  # the client's address: wrong guesses are counted per source (services/throttle.py)


def authenticate(request: RequestCredentials) -> Caller:
    api_key = request.headers.get("x-api-key")
    authorization = request.headers.get("authorization", "").strip()
    scheme, _, value = authorization.partition(" ")
    if api_key is not None:
        return _by_api_key(api_key.strip(), request.source)
    if scheme.lower() == "bearer":
        return _by_api_key(value.strip(), request.source)
    if scheme.lower() == "digest":
        return _by_digest(value, request)
    if authorization:
        raise AuthenticationRequired(f"Unsupported authorization scheme {scheme[:20]!r}; use Digest or Bearer")
    raise AuthenticationRequired("Authentication required: use HTTP Digest, a Bearer API key or x-api-key")


def challenge_headers(stale: bool = False) -> list[str]:
    config = settings()
    secret = signing_keys.current()
    nonce = digest.make_nonce(secret, int(clock.now()))
    challenges = digest.challenges(config.realm, nonce, digest.opaque(secret), stale)
    return [*challenges, f'Bearer realm="{config.realm}"']


def _by_api_key(presented: str, source: str) -> Caller:
    # Per source only: a key's 256 random bits cannot be guessed, so a per-key count would only
    # let someone who learnt a key id hold its owner back.
    key_id = parse_key_id(presented)
    found, attempt = throttle.begin(
        None, throttle.Subject("source", source), users.api_key_key(key_id) if key_id else None
    )
    attempt.admit()
    record = users.api_key_from(found) if found else None
    presented_hash = hashlib.sha256(presented.encode()).hexdigest()
    if record is None or not hmac.compare_digest(record.secret_hash, presented_hash):
        attempt.failed()
        raise AccessDenied("Invalid API key")
    attempt.succeeded()
    if record.revoked:
        raise AccessDenied("This API key has been revoked")
    return _caller(record.user_id, "api_key")


def _by_digest(header_value: str, request: RequestCredentials) -> Caller:
    config = settings()
    try:
        credentials = digest.parse(header_value)
        _check_nonce(credentials.nonce, config.nonce_ttl_seconds)
    except digest.MalformedDigest as error:
        raise AuthenticationRequired(str(error)) from error
    except digest.BadNonce as error:
        raise AuthenticationRequired(str(error), stale=error.stale) from error
    if credentials.realm != config.realm:
        raise AuthenticationRequired(f'Wrong realm; this server\'s realm is "{config.realm}"')
    if urlsplit(credentials.uri).path not in request.paths:
        raise AccessDenied("The Digest uri does not match the requested path")
    email = credentials.username.strip().lower()
    found, attempt = throttle.begin(
        throttle.Subject("account", email), throttle.Subject("source", request.source), users.login_key(email)
    )
    attempt.admit()
    login = users.login_from(found) if found else None
    stored_ha1 = login.ha1.get(credentials.algorithm) if login else None
    if login is None or not stored_ha1 or not digest.response_matches(credentials, stored_ha1, request.method):
        attempt.failed()
        raise AccessDenied(INVALID_CREDENTIALS)
    attempt.succeeded()
    expires_at = int(clock.now()) + config.nonce_ttl_seconds
    if not users.record_nonce_use(credentials.nonce, credentials.nc, expires_at):
        raise AccessDenied("This Digest nonce count was already used; replays are refused")
    return _caller(login.user_id, "digest")


def _check_nonce(nonce: str, ttl: int) -> None:
    try:
        digest.check_nonce(signing_keys.accepted(), nonce, int(clock.now()), ttl)
    except digest.BadNonce as error:
        newer = () if error.stale else signing_keys.newer()  # issued by a function that saw a rotation first
        if not newer:
            raise
        digest.check_nonce(newer, nonce, int(clock.now()), ttl)


def _caller(user_id: str, method: str) -> Caller:
    user = users.get_user(user_id)
    if user is None:
        raise AccessDenied(INVALID_CREDENTIALS)
    return Caller(user=user, method=method)
