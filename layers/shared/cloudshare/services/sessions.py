"""Dashboard sign-in: e-mail and password (the scrypt hash), sessions, and their CSRF tokens.

- A session is a random 256-bit token in a cookie; the table keeps only its SHA-256 (store/sessions.py),
  with a TTL. The cookie authorises /dashboard pages and their forms, never the JSON APIs.
- Each state-changing form carries a CSRF token derived from the session token (HMAC), so it needs no
  storage, changes with every session, and cannot be computed from what the table holds.
- Wrong passwords are counted per account and per source by the same backoff as HTTP Digest
  (services/throttle.py: one counter per account, whichever way the password is guessed).
- Every refusal reads the same whether or not the e-mail has an account, and takes the same work:
  an unknown e-mail is checked against a dummy hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import cache

from cloudshare.errors import AccessDenied, InvalidInput
from cloudshare.models import User
from cloudshare.services import accounts, clock, throttle
from cloudshare.services.passwords import hash_password, verify_password
from cloudshare.store import sessions, users

SESSION_SECONDS = 7 * 24 * 60 * 60
MAX_AGENT_LENGTH = 200
MAX_PASSWORD_LENGTH = 1024
WRONG_CREDENTIALS = "Wrong e-mail or password"


@dataclass(frozen=True)
class Session:
    user: User
    token_hash: str
    csrf: str  # what this session's forms must send back
    expires_at: int


@dataclass(frozen=True)
class SignedIn:
    session: Session
    token: str  # the cookie's value: given to the browser once, never stored


def check_password(email: str, password: str, source: str) -> User:
    """The account whose password this is, else AccessDenied (or TooManyAttempts). It is not signed in
    yet: services/two_factor.py asks for a second factor first when the account has one."""
    address = email.strip().lower()
    try:
        address = accounts.normalize_email(address)
        login_key = users.login_key(address)
    except InvalidInput:  # not an address: no account to read, and the same answer as a wrong password
        login_key = None
    found, attempt = throttle.begin(throttle.Subject("account", address), throttle.Subject("source", source), login_key)
    attempt.admit()
    login = users.login_from(found) if found else None
    stored = users.get_password_hash(login.user_id) if login else None
    # The dummy hash costs what a real check costs, so timing does not tell which e-mails exist.
    matches = verify_password(password[:MAX_PASSWORD_LENGTH], stored or _dummy_hash())
    user = users.get_user(login.user_id) if login and stored and matches else None
    if user is None:
        attempt.failed()
        raise AccessDenied(WRONG_CREDENTIALS, field="password")
    attempt.succeeded()
    return user


def start(user: User, source: str, agent: str = "") -> SignedIn:
    """A new session for a user who proved who they are."""
    token = secrets.token_urlsafe(32)
    expires_at = int(clock.now()) + SESSION_SECONDS
    sessions.put(
        sessions.StoredSession(
            token_hash=_hash(token),
            user_id=user.user_id,
            created_at=clock.iso(),
            expires_at=expires_at,
            source=source,
            agent=agent[:MAX_AGENT_LENGTH],
        )
    )
    return SignedIn(Session(user=user, token_hash=_hash(token), csrf=csrf_token(token), expires_at=expires_at), token)


def resume(token: str) -> Session | None:
    """The session a cookie names, while it lasts and its user exists; None otherwise."""
    if not token or len(token) > 128 or not token.isascii():
        return None
    stored = sessions.get(_hash(token))
    if stored is None or stored.expires_at <= clock.now():  # the TTL removes records late
        return None
    user = users.get_user(stored.user_id)
    if user is None:
        return None
    return Session(user=user, token_hash=stored.token_hash, csrf=csrf_token(token), expires_at=stored.expires_at)


def csrf_token(token: str) -> str:
    return hmac.new(token.encode(), b"cloudshare dashboard csrf", hashlib.sha256).hexdigest()


def check_csrf(session: Session, presented: str) -> None:
    if not hmac.compare_digest(session.csrf.encode(), presented.encode()):
        raise AccessDenied(
            "This form has expired or did not come from the dashboard; reload the page and retry", field="csrf"
        )


def sign_out(session: Session) -> None:
    sessions.delete(session.token_hash, session.user.user_id)


def sign_out_everywhere(user: User) -> int:
    """Ends every session of the user (this one included); how many there were."""
    ended = sessions.of_user(user.user_id)
    for stored in ended:
        sessions.delete(stored.token_hash, user.user_id)
    return len(ended)


def active(user: User) -> list[sessions.StoredSession]:
    now = clock.now()
    return [stored for stored in sessions.of_user(user.user_id) if stored.expires_at > now]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
