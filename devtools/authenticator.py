"""A small software passkey authenticator (WebAuthn, EC P-256, "none" attestation) for tests and the
sample events: it answers the service's options as a browser's navigator.credentials would, as JSON.

Each passkey is discoverable (its user handle is kept), and its sign count grows with every use.
Parameters let a test forge what a real authenticator never sends: another origin or RP id, a lower
sign count, no user verification.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

_UP, _UV, _AT = 0x01, 0x04, 0x40


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})


@dataclass
class Authenticator:
    credentials: list[Credential] = field(default_factory=list)

    def create(
        self,
        options: str,
        origin: str,
        *,
        rp_id: str | None = None,
        verified: bool = True,
        key: ec.EllipticCurvePrivateKey | None = None,
        credential_id: bytes | None = None,
    ) -> str:
        """navigator.credentials.create(): a new passkey for the options' RP and user, as JSON."""
        request = json.loads(options)
        credential = Credential(
            credential_id=credential_id or secrets.token_bytes(16),
            key=key or ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id or request["rp"]["id"],
            user_handle=from_b64url(request["user"]["id"]),
        )
        self.credentials.append(credential)
        flags = _UP | _AT | (_UV if verified else 0)
        id_length = len(credential.credential_id).to_bytes(2, "big")
        authenticator_data = (
            _rp_hash(credential.rp_id)
            + bytes([flags])
            + credential.sign_count.to_bytes(4, "big")
            + bytes(16)  # AAGUID: none
            + id_length
            + credential.credential_id
            + credential.cose_public_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": authenticator_data})
        client_data = _client_data("webauthn.create", request["challenge"], origin)
        return json.dumps(
            {
                "id": b64url(credential.credential_id),
                "rawId": b64url(credential.credential_id),
                "type": "public-key",
                "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation)},
                "clientExtensionResults": {},
                "authenticatorAttachment": "platform",
            }
        )

    def get(
        self,
        options: str,
        origin: str,
        *,
        credential: Credential | None = None,
        rp_id: str | None = None,
        sign_count: int | None = None,
        verified: bool = True,
    ) -> str:
        """navigator.credentials.get(): an assertion by a discoverable passkey for the options' RP, as JSON."""
        request = json.loads(options)
        chosen = credential or next(found for found in self.credentials if found.rp_id == request["rpId"])
        chosen.sign_count = chosen.sign_count + 1 if sign_count is None else sign_count
        authenticator_data = (
            _rp_hash(rp_id or chosen.rp_id)
            + bytes([_UP | (_UV if verified else 0)])
            + chosen.sign_count.to_bytes(4, "big")
        )
        client_data = _client_data("webauthn.get", request["challenge"], origin)
        signature = chosen.key.sign(
            authenticator_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": b64url(chosen.credential_id),
                "rawId": b64url(chosen.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(authenticator_data),
                    "signature": b64url(signature),
                    "userHandle": b64url(chosen.user_handle),
                },
                "clientExtensionResults": {},
                "authenticatorAttachment": "platform",
            }
        )


def _rp_hash(rp_id: str) -> bytes:
    return hashlib.sha256(rp_id.encode()).digest()


def _client_data(kind: str, challenge: str, origin: str) -> bytes:
    return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()
