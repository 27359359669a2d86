"""Domain errors. Services raise these; each dialect adapter decides how they look on the wire."""

from __future__ import annotations


class CloudshareError(Exception):
    status = 400

    def __init__(self, message: str, *, field: str = "", extra: dict | None = None):
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
