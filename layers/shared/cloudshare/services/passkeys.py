"""Passkeys (WebAuthn): a second way to sign in to the dashboard, with a passkey alone.

- Registration (signed in): options with a new challenge, then the browser's attestation ("none"
  is enough: we trust the passkey because the signed-in owner made it, not its maker). Discoverable
  credentials (resident keys) with user verification, so that sign-in needs no e-mail.
- Sign-in (no session): options with a new challenge and no list of credentials, so the answer is
  the same for everyone and says nothing of any account; then the assertion, checked against the
  stored public key. A passkey with user verification is both factors: no TOTP code follows.
- A challenge is 256 random bits, stored only hashed for CHALLENGE_SECONDS, bound to its ceremony
  (and, for a registration, to the user), and taken by a conditional delete: it works once.
- The authenticator's sign count must grow (a conditional write): a clone that replays a lower
  count is refused.
- At most MAX_PASSKEYS per user, counted on the profile in the same transaction as the passkey.
- Failed sign-ins count against the source address by the password backoff (services/throttle.py).

py_webauthn is imported only inside the ceremonies: other dashboard routes do not load it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from cloudshare.errors import AccessDenied, InvalidInput, LimitExceeded, NotFound
from cloudshare.models import User
from cloudshare.services import clock, sessions, throttle
from cloudshare.store import passkeys as stored
from cloudshare.store import users

MAX_PASSKEYS = 10
CHALLENGE_SECONDS = 5 * 60
MAX_NAME_LENGTH = 100
MAX_CREDENTIAL_ID_BYTES = 1023  # WebAuthn's own limit
RP_NAME = "cloudshare"
REGISTER, SIGN_IN = "register", "sign-in"
NOT_ACCEPTED = "This passkey was not accepted; try again, or sign in with your password"
REGISTRATION_REFUSED = "The passkey could not be added; try again"


@dataclass(frozen=True)
class Site:
    """Whom passkeys are for: the relying party's id (a host name) and the page origin the browser reports."""

    rp_id: str
    origin: str


def passkeys_of(user: User) -> list[stored.Passkey]:
    return stored.of_user(user.user_id)


def registration_options(user: User, site: Site) -> str:
    """The options for navigator.credentials.create(), as JSON."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    existing = stored.of_user(user.user_id)
    if len(existing) >= MAX_PASSKEYS:
        raise LimitExceeded(f"At most {MAX_PASSKEYS} passkeys; remove one first")
    options = generate_registration_options(
        rp_id=site.rp_id,
        rp_name=RP_NAME,
        user_name=user.email,
        user_id=user.user_id.encode(),
        challenge=_new_challenge(REGISTER, user.user_id),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=_decoded(key.credential_id)) for key in existing],
    )
    return options_to_json(options)


def register(user: User, site: Site, credential: str, name: str) -> stored.Passkey:
    """Stores the passkey the browser made from our registration options."""
    from webauthn import verify_registration_response
    from webauthn.helpers.exceptions import WebAuthnException

    name = name.strip() or "Passkey"
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"The name may have at most {MAX_NAME_LENGTH} characters", field="name")
    parsed = _parsed(credential)
    challenge = _take_challenge(parsed)
    if challenge is None or challenge.ceremony != REGISTER or challenge.user_id != user.user_id:
        raise AccessDenied(REGISTRATION_REFUSED, field="credential")
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge.raw,
            expected_rp_id=site.rp_id,
            expected_origin=site.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError, RecursionError) as error:
        raise AccessDenied(REGISTRATION_REFUSED, field="credential") from error
    credential_id = _encoded(verified.credential_id)
    if len(verified.credential_id) > MAX_CREDENTIAL_ID_BYTES:
        raise AccessDenied(REGISTRATION_REFUSED, field="credential")
    passkey = stored.Passkey(
        credential_id=credential_id,
        user_id=user.user_id,
        name=name,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        created_at=clock.iso(),
    )
    try:
        stored.add(passkey, MAX_PASSKEYS)
    except stored.TooManyPasskeys as error:
        raise LimitExceeded(f"At most {MAX_PASSKEYS} passkeys; remove one first") from error
    except stored.PasskeyExists as error:
        raise InvalidInput("This passkey is added already", field="credential") from error
    return passkey


def remove(user: User, credential_id: str) -> None:
    """Removes one of the user's passkeys; someone else's (or none) is NotFound."""
    if (
        not credential_id
        or len(credential_id) > 2 * MAX_CREDENTIAL_ID_BYTES
        or not stored.remove(credential_id, user.user_id)
    ):
        raise NotFound("No such passkey")


def sign_in_options(site: Site) -> str:
    """The options for navigator.credentials.get(): the same for everyone (no credentials listed)."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import UserVerificationRequirement

    options = generate_authentication_options(
        rp_id=site.rp_id,
        challenge=_new_challenge(SIGN_IN, ""),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def sign_in(site: Site, credential: str, source: str, agent: str) -> sessions.SignedIn:
    """A session for the owner of the passkey that signed our challenge; every refusal reads the same."""
    parsed = _parsed(credential)
    raw_id = parsed.get("rawId")
    credential_id = raw_id if isinstance(raw_id, str) else ""
    valid_id = 0 < len(credential_id) <= 2 * MAX_CREDENTIAL_ID_BYTES and credential_id.isascii()
    record, attempt = throttle.begin(
        None, throttle.Subject("source", source), stored.key(credential_id) if valid_id else None
    )
    attempt.admit()
    challenge = _take_challenge(parsed)
    user = None
    if challenge is not None and challenge.ceremony == SIGN_IN and record is not None:
        user = _assertion_owner(site, parsed, challenge.raw, stored.from_record(record))
    if user is None:
        attempt.failed()
        raise AccessDenied(NOT_ACCEPTED, field="credential")
    attempt.succeeded()
    return sessions.start(user, source, agent)


def _assertion_owner(site: Site, parsed: dict[str, Any], challenge: bytes, passkey: stored.Passkey) -> User | None:
    """The passkey's owner, once its assertion of `challenge` holds and its sign count has moved forward."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=site.rp_id,
            expected_origin=site.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError, RecursionError):
        return None
    if _user_handle(parsed) != passkey.user_id or not stored.used(passkey, verified.new_sign_count, clock.iso()):
        return None
    return users.get_user(passkey.user_id)


@dataclass(frozen=True)
class _Taken:
    ceremony: str
    user_id: str
    raw: bytes


def _new_challenge(ceremony: str, user_id: str) -> bytes:
    raw = secrets.token_bytes(32)
    stored.put_challenge(_hash(raw), stored.Challenge(ceremony, user_id, int(clock.now()) + CHALLENGE_SECONDS))
    return raw


def _take_challenge(parsed: dict[str, Any]) -> _Taken | None:
    """The challenge the browser signed (from its clientDataJSON), taken once; None if it was never
    ours, was taken before, or has expired."""
    try:
        client_data = json.loads(_decoded(parsed["response"]["clientDataJSON"]))
        raw = _decoded(client_data["challenge"])
    except (KeyError, TypeError, ValueError, RecursionError):
        return None
    if not 0 < len(raw) <= 64:
        return None
    found = stored.take_challenge(_hash(raw))
    if found is None or found.expires_at <= clock.now():  # the TTL removes records late
        return None
    return _Taken(found.ceremony, found.user_id, raw)


def _user_handle(parsed: dict[str, Any]) -> str:
    try:
        return _decoded(parsed["response"]["userHandle"]).decode()
    except (KeyError, TypeError, ValueError):
        return ""


def _parsed(credential: str) -> dict[str, Any]:
    try:
        parsed = json.loads(credential)
    except (ValueError, RecursionError):
        parsed = None
    if not isinstance(parsed, dict):
        raise InvalidInput("credential must be the browser's PublicKeyCredential as JSON", field="credential")
    return parsed


def _hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _encoded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decoded(text: Any) -> bytes:
    """base64url (padding optional); ValueError for anything else."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:
        raise ValueError("not base64url") from error
