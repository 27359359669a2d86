"""Accounts: creating users, plans, passwords, API keys, and what an account looks like to its owner."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from cloudshare.config import settings
from cloudshare.errors import InvalidInput, NotFound
from cloudshare.models import ApiKey, Login, User
from cloudshare.plans import DEFAULT_PLAN, Plan, get_plan
from cloudshare.services import api_keys, clock, digest
from cloudshare.services.passwords import hash_password
from cloudshare.store import users

_EMAIL = re.compile(r"^[^@\s:\"]+@[^@\s:\"]+\.[^@\s:\"]+$")
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class AccountSummary:
    user: User
    plan: Plan
    uploads_today: int
    uploads_remaining: int


def normalize_email(email: str) -> str:
    normalized = email.strip().lower()
    if not _EMAIL.match(normalized) or len(normalized) > 254:
        raise InvalidInput(f"{email!r} is not a valid e-mail address", field="email")
    return normalized


def _login_for(user_id: str, email: str, password: str) -> Login:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters", field="password")
    realm = settings().realm
    return Login(
        user_id=user_id,
        email=email,
        ha1={algorithm: digest.ha1(algorithm, email, realm, password) for algorithm in digest.ALGORITHMS},
    )


def create_user(email: str, password: str, plan_name: str = DEFAULT_PLAN) -> User:
    email = normalize_email(email)
    _require_plan(plan_name)
    user = User(user_id=uuid.uuid4().hex, email=email, plan_name=plan_name, created_at=clock.iso())
    try:
        users.create_user(user, _login_for(user.user_id, email, password), hash_password(password))
    except users.AlreadyExists:
        raise InvalidInput(f"An account for {email} already exists", field="email") from None
    return user


def find_user(email: str) -> User:
    login = users.get_login(normalize_email(email))
    user = users.get_user(login.user_id) if login else None
    if user is None:
        raise NotFound(f"No account for {email}")
    return user


def set_plan(email: str, plan_name: str) -> User:
    _require_plan(plan_name)
    user = find_user(email)
    users.set_plan(user.user_id, plan_name)
    return find_user(email)


def set_password(email: str, password: str) -> None:
    user = find_user(email)
    users.set_password(_login_for(user.user_id, user.email, password), hash_password(password))


def list_users() -> list[User]:
    return [user for login in users.list_logins() if (user := users.get_user(login.user_id))]


def create_api_key(email: str, label: str = "") -> tuple[ApiKey, str]:
    """Returns the stored record and the plaintext key, which is never stored or shown again."""
    return add_api_key(find_user(email), label)


MAX_KEY_LABEL_LENGTH = 100


def add_api_key(user: User, label: str = "") -> tuple[ApiKey, str]:
    if len(label) > MAX_KEY_LABEL_LENGTH:
        raise InvalidInput(f"Key labels are at most {MAX_KEY_LABEL_LENGTH} characters", field="label")
    key_id, plaintext, secret_hash = api_keys.new_key()
    record = ApiKey(key_id=key_id, user_id=user.user_id, secret_hash=secret_hash, created_at=clock.iso(), label=label)
    users.put_api_key(record)
    return record, plaintext


def list_api_keys(email: str) -> list[ApiKey]:
    return users.list_api_keys(find_user(email).user_id)


def keys_of(user: User) -> list[ApiKey]:
    return users.list_api_keys(user.user_id)


def revoke_own_api_key(user: User, key_id: str) -> None:
    """Revokes a key of this user; someone else's key is as unknown as a missing one."""
    key = users.get_api_key(key_id) if api_keys.KEY_ID.fullmatch(key_id) else None
    if key is None or key.user_id != user.user_id:
        raise NotFound(f"No API key with id {key_id}")
    revoke_api_key(key_id)


def revoke_api_key(key_id: str) -> None:
    try:
        users.revoke_api_key(key_id, clock.iso())
    except users.Missing:
        raise NotFound(f"No API key with id {key_id}") from None


def summarize(user: User) -> AccountSummary:
    today = clock.today()
    return AccountSummary(
        user=user,
        plan=user.plan,
        uploads_today=user.uploads_used_on(today),
        uploads_remaining=user.uploads_remaining_on(today),
    )


def _require_plan(plan_name: str) -> None:
    try:
        get_plan(plan_name)
    except KeyError as error:
        raise InvalidInput(str(error.args[0]), field="plan") from None
