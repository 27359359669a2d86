"""Optional two-factor sign-in: TOTP codes (RFC 6238, 6 digits, 30 s) and one-time recovery codes.

- Enrolment shows a new secret (as a QR code and as text); it is stored only once the user sends a
  code it makes, with 10 recovery codes, which are shown once and stored as hashes (store/two_factor.py).
- With two-factor on, the right password gives no session: it gives a pending sign-in, a random token
  (the form's hidden field) stored hashed for PENDING_SECONDS, and the session comes only with a code.
  A pending sign-in ends with its session: it cannot be used twice.
- A code is accepted for the current step and one either side (clocks drift), and only for a step
  later than the last accepted one: a code seen over a shoulder cannot be used again.
- Wrong codes count against the account and the source by the password backoff (services/throttle.py),
  in a counter of their own: someone who knows the password gets ~60 tries an hour, not a million.
- Turning it off, and new recovery codes, need a current code (or a recovery code) or the password;
  an operator may turn it off with cloudshare-admin.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import pyotp

from cloudshare.errors import AccessDenied, InvalidInput
from cloudshare.models import User
from cloudshare.services import accounts, clock, sessions, throttle
from cloudshare.services.passwords import verify_password
from cloudshare.store import two_factor as stored
from cloudshare.store import users

ISSUER = "cloudshare"
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
PENDING_SECONDS = 5 * 60
WRONG_CODE = "Wrong code"
EXPIRED = "This sign-in has expired; sign in again"
_SECRET = re.compile(r"[A-Z2-7]{32}")
_DIGITS = re.compile(r"[0-9]{6}")  # ASCII only: isdigit() takes other scripts' digits too


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str  # otpauth://, what the QR code says


@dataclass(frozen=True)
class SecondStep:
    """The password was right; a code must follow with this token."""

    pending: str


def status(user: User) -> stored.TwoFactor | None:
    return stored.get(user.user_id)


def new_enrolment(user: User) -> Enrolment:
    """A new secret to show; nothing is stored until a code confirms it (enable)."""
    return enrolment(user, pyotp.random_base32(32))


def enrolment(user: User, secret: str) -> Enrolment:
    """The enrolment of a secret the form sent back (to show it again after a wrong code)."""
    secret = _valid_secret(secret)
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER))


def enable(user: User, secret: str, code: str, source: str) -> list[str]:
    """Turns two-factor on once `code` is a current code of `secret`; the recovery codes, to show once."""
    secret = _valid_secret(secret)
    _, attempt = throttle.begin(_subject(user.user_id), throttle.Subject("source", source))
    attempt.admit()
    step = _matching_step(secret, _normalized(code), after=-1)
    if step is None:
        attempt.failed()
        raise AccessDenied(WRONG_CODE, field="code")
    attempt.succeeded()
    codes = _recovery_codes()
    if not stored.enable(user.user_id, secret, step, {recovery_hash(user.user_id, code) for code in codes}):
        raise InvalidInput("Two-factor sign-in is on already", field="secret")
    return codes


def disable(user: User, code: str, password: str, source: str) -> None:
    state = _proved(user, code, password, source)
    if not stored.disable(user.user_id, state.secret):
        raise InvalidInput("Two-factor sign-in changed meanwhile; reload the page", field="code")


def new_recovery_codes(user: User, code: str, password: str, source: str) -> list[str]:
    """Replaces the recovery codes (all the old ones stop working); the new ones, to show once."""
    state = _proved(user, code, password, source)
    codes = _recovery_codes()
    if not stored.replace_recovery(user.user_id, state.secret, {recovery_hash(user.user_id, code) for code in codes}):
        raise InvalidInput("Two-factor sign-in changed meanwhile; reload the page", field="code")
    return codes


def operator_turn_off(email: str) -> bool:
    """The operator's way out (cloudshare-admin) for an owner who lost both the app and the recovery
    codes: two-factor off without a code. False if it was off."""
    user = accounts.find_user(email)
    state = stored.get(user.user_id)
    return state is not None and stored.disable(user.user_id, state.secret)


def sign_in(email: str, password: str, source: str, agent: str) -> sessions.SignedIn | SecondStep:
    """The password step: a session, or, with two-factor on, a pending sign-in that wants a code."""
    user = sessions.check_password(email, password, source)
    if stored.get(user.user_id) is None:
        return sessions.start(user, source, agent)
    token = secrets.token_urlsafe(32)
    stored.put_pending(_token_hash(token), user.user_id, int(clock.now()) + PENDING_SECONDS)
    return SecondStep(token)


def second_step(pending: str, code: str, source: str, agent: str) -> sessions.SignedIn:
    """The code step: a session if `code` is a current code or an unused recovery code."""
    token_hash = _token_hash(pending)
    found = stored.get_pending(token_hash) if pending and len(pending) <= 128 else None
    if found is None or found[1] <= clock.now():  # the TTL removes records late
        raise AccessDenied(EXPIRED, field="pending")
    user_id = found[0]
    profile, attempt = throttle.begin(_subject(user_id), throttle.Subject("source", source), stored.key(user_id))
    state = stored.from_profile(profile) if profile else None
    if state is None:  # turned off (or the account gone) since the password step
        raise AccessDenied(EXPIRED, field="pending")
    attempt.admit()
    if not _use(user_id, state, _normalized(code)):
        attempt.failed()
        raise AccessDenied(WRONG_CODE, field="code")
    attempt.succeeded()
    user = users.get_user(user_id)
    if user is None or not stored.end_pending(token_hash):
        raise AccessDenied(EXPIRED, field="pending")
    return sessions.start(user, source, agent)


def _proved(user: User, code: str, password: str, source: str) -> stored.TwoFactor:
    """The user's two-factor state, once they gave a current code, a recovery code or their password."""
    found, attempt = throttle.begin(
        _subject(user.user_id), throttle.Subject("source", source), stored.key(user.user_id)
    )
    state = stored.from_profile(found) if found else None
    if state is None:
        raise InvalidInput("Two-factor sign-in is off", field="code")
    attempt.admit()
    if code.strip():
        proved = _use(user.user_id, state, _normalized(code))
    else:
        hashed = users.get_password_hash(user.user_id)
        proved = (
            bool(password) and hashed is not None and verify_password(password[: sessions.MAX_PASSWORD_LENGTH], hashed)
        )
    if not proved:
        attempt.failed()
        raise AccessDenied("Wrong code or password", field="code")
    attempt.succeeded()
    return state


def _use(user_id: str, state: stored.TwoFactor, code: str) -> bool:
    """Takes a TOTP code (once per step) or a recovery code (once); False for anything else."""
    if _DIGITS.fullmatch(code):
        step = _matching_step(state.secret, code, after=state.last_step)
        return step is not None and stored.use_step(user_id, state.secret, step)
    hashed = recovery_hash(user_id, code)
    return hashed in state.recovery and stored.use_recovery(user_id, state.secret, hashed)


def _matching_step(secret: str, code: str, after: int) -> int | None:
    """The step within the drift window, later than `after`, whose code this is."""
    if not _DIGITS.fullmatch(code):
        return None
    now = int(clock.now()) // STEP_SECONDS
    totp = pyotp.TOTP(secret)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normalized(code: str) -> str:
    """What people type: spaces and dashes anywhere, any case (recovery codes are shown as xxxxx-xxxxx)."""
    return re.sub(r"[\s-]", "", code[:64]).lower()


def _recovery_codes() -> list[str]:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    codes = ["".join(secrets.choice(alphabet) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_hash(user_id: str, code: str) -> str:
    # 50 random bits each, and wrong ones are throttled: a fast hash is enough (as for API keys).
    return hashlib.sha256(f"{user_id}:{_normalized(code)}".encode()).hexdigest()


def _valid_secret(secret: str) -> str:
    if not _SECRET.fullmatch(secret):
        raise InvalidInput("The two-factor secret is malformed; start again", field="secret")
    return secret


def _subject(user_id: str) -> throttle.Subject:
    return throttle.Subject("two-factor", user_id)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
