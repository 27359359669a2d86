"""Domain errors. Services raise these; each dialect adapter decides how they look on the wire."""

from __future__ import annotations

from typing import Any


class CloudshareError(Exception):
    status = 400

    def __init__(self, message: str, *, field: str = "", extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}


class InvalidInput(CloudshareError):
    status = 422


class AuthenticationRequired(CloudshareError):
    """No usable credentials: the client should authenticate (401 + challenges)."""

    status = 401

    def __init__(self, message: str, *, stale: bool = False):
        super().__init__(message)
        self.stale = stale


class AccessDenied(CloudshareError):
    """Credentials were presented and are wrong, revoked or replayed."""

    status = 403


class NotFound(CloudshareError):
    status = 404


class LimitExceeded(CloudshareError):
    status = 403


class ServiceUnavailable(CloudshareError):
    status = 503


class InternalError(CloudshareError):
    """Our fault, not the request's: logged with its traceback, answered without it."""

    status = 500

    def __init__(self) -> None:
        super().__init__("Internal server error; it has been logged")


class PayloadTooLarge(CloudshareError):
    status = 413


class UnsupportedMediaType(CloudshareError):
    """A body in a form this route does not read (JSON routes read only JSON content types)."""

    status = 415


class ItemNotFound(NotFound):
    """No such item, or it is deleted (each dialect names it: 'Item not found', 'Artifact not found')."""

    def __init__(self, message: str = "Item not found"):
        super().__init__(message, field="slug")


class NotOwner(AccessDenied):
    """The item exists but belongs to someone else. v3 answers 404 (the seed); v1 answers 403."""

    def __init__(self, action: str):
        super().__init__(f"Unauthorized to {action} this artifact", field="slug")
        self.action = action


class FeatureNotAvailable(LimitExceeded):
    """A paid feature on a plan without it (the v1 seed's 403 with `feature`)."""

    def __init__(self, feature: str, title: str, field: str):
        super().__init__(
            f"{title} requires a paid plan. Upgrade to access this feature.", field=field, extra={"feature": feature}
        )


class TooManyAttempts(CloudshareError):
    """Too many wrong guesses (passwords, API keys) lately: 429, try again after `retry_after` seconds."""

    status = 429

    def __init__(self, retry_after: int, *, field: str = ""):
        super().__init__(f"Too many failed attempts. Try again in {retry_after} s.", field=field)
        self.retry_after = retry_after
