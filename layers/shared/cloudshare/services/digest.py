"""HTTP Digest (RFC 7616, qop=auth) without state: nonces carry their issue time and an HMAC.

Replay protection (a nonce count used twice) needs state, so auth.py records it in the table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from urllib.request import parse_http_list, parse_keqv_list

ALGORITHMS = {"SHA-256": hashlib.sha256, "MD5": hashlib.md5}
# RFC 7616 §3.7 wants the preferred algorithm first; we send MD5 first on purpose. Clients that read
# only the first challenge (Python's urllib, curl) or know only MD5 (urllib, CloudApp-era clients)
# then log in; clients that merge all challenges so that the last algorithm wins (requests, httpx)
# and clients that pick the strongest one offered (browsers) still use SHA-256. SHA-256 first made
# urllib fail outright ("Unsupported digest authentication algorithm 'SHA-256'"). See docs/authentication.md.
CHALLENGE_ORDER = ("MD5", "SHA-256")
REQUIRED_FIELDS = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
_TIMESTAMP_BYTES, _RANDOM_BYTES, _MAC_BYTES = 8, 12, 16


class MalformedDigest(ValueError):
    pass


class BadNonce(ValueError):
    def __init__(self, message: str, *, stale: bool):
        super().__init__(message)
        self.stale = stale


@dataclass(frozen=True)
class DigestCredentials:
    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    qop: str
    nc: int
    nc_text: str
    cnonce: str
    algorithm: str
    opaque: str | None


def ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    return _hash(algorithm, f"{username}:{realm}:{password}")


def _hash(algorithm: str, text: str) -> str:
    return ALGORITHMS[algorithm](text.encode()).hexdigest()


def make_nonce(secret: bytes, issued_at: int) -> str:
    payload = issued_at.to_bytes(_TIMESTAMP_BYTES, "big") + os.urandom(_RANDOM_BYTES)
    return _b64(payload + _mac(secret, payload))


def check_nonce(keys: tuple[bytes, ...], nonce: str, now: int, ttl: int) -> int:
    """Returns the nonce's issue time; raises BadNonce if forged (signed by none of `keys`) or stale."""
    try:
        raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
    except ValueError as error:
        raise BadNonce("The Digest nonce was not issued by this server", stale=False) from error
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if len(payload) != _TIMESTAMP_BYTES + _RANDOM_BYTES or not any(
        hmac.compare_digest(mac, _mac(key, payload)) for key in keys
    ):
        raise BadNonce("The Digest nonce was not issued by this server", stale=False)
    issued_at = int.from_bytes(payload[:_TIMESTAMP_BYTES], "big")
    if not issued_at <= now < issued_at + ttl:
        raise BadNonce("The Digest nonce has expired", stale=True)
    return issued_at


def opaque(secret: bytes) -> str:
    return _b64(_mac(secret, b"opaque"))


def challenges(realm: str, nonce: str, opaque_value: str, stale: bool) -> list[str]:
    stale_part = ", stale=true" if stale else ""
    return [
        f'Digest realm="{realm}", qop="auth", algorithm={algorithm}, nonce="{nonce}", '
        f'opaque="{opaque_value}"{stale_part}'
        for algorithm in CHALLENGE_ORDER
    ]


def parse(header_value: str) -> DigestCredentials:
    """Parses the part of an Authorization header after 'Digest '."""
    try:
        fields = parse_keqv_list(parse_http_list(header_value))
    except ValueError as error:
        raise MalformedDigest("The Digest authorization header could not be parsed") from error
    missing = [name for name in REQUIRED_FIELDS if not fields.get(name)]
    if missing:
        raise MalformedDigest(f"The Digest authorization header lacks {', '.join(missing)}")
    if fields["qop"] != "auth":
        raise MalformedDigest('Only qop="auth" is supported')
    if fields.get("userhash", "false").lower() == "true":
        raise MalformedDigest("userhash is not supported")
    algorithm = fields.get("algorithm", "MD5").upper()
    if algorithm not in ALGORITHMS:
        raise MalformedDigest(f"Unsupported Digest algorithm {fields.get('algorithm')!r}; use SHA-256 or MD5")
    try:
        count = int(fields["nc"], 16)
    except ValueError as error:
        raise MalformedDigest("The Digest nonce count (nc) is not hexadecimal") from error
    return DigestCredentials(
        username=fields["username"],
        realm=fields["realm"],
        nonce=fields["nonce"],
        uri=fields["uri"],
        response=fields["response"].lower(),
        qop=fields["qop"],
        nc=count,
        nc_text=fields["nc"],
        cnonce=fields["cnonce"],
        algorithm=algorithm,
        opaque=fields.get("opaque"),
    )


def response_matches(credentials: DigestCredentials, stored_ha1: str, method: str) -> bool:
    algorithm = credentials.algorithm
    ha2 = _hash(algorithm, f"{method}:{credentials.uri}")
    expected = _hash(
        algorithm,
        f"{stored_ha1}:{credentials.nonce}:{credentials.nc_text}:{credentials.cnonce}:{credentials.qop}:{ha2}",
    )
    return hmac.compare_digest(expected, credentials.response)


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
