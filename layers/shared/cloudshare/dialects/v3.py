"""The CloudApp v3 dialect: errors as {"errors": {"name", "message", "type"}}, 422 for bad data."""

from __future__ import annotations

from cloudshare.dialects.http import Dialect, build_resolver
from cloudshare.services.accounts import AccountSummary

_ERROR_TYPES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 413: "too_large", 503: "unavailable"}


def _error_body(status: int, message: str, field: str, extra: dict) -> dict:
    return {"errors": {"name": field, "message": message, "type": _ERROR_TYPES.get(status, ""), **extra}}


DIALECT = Dialect(name="v3", error_body=_error_body, validation_status=422)


def resolver(*, authenticated: bool = True, validate: bool = False):
    return build_resolver(DIALECT, authenticated=authenticated, validate=validate)


def account(summary: AccountSummary) -> dict:
    user, plan = summary.user, summary.plan
    return {
        "id": user.user_id,
        "email": user.email,
        "plan": plan.name,
        "created_at": user.created_at,
        "uploads_remaining": summary.uploads_remaining,
        "max_upload_size": plan.max_upload_size,
        "limits": plan.limits(),
        "features": plan.features,
        "usage": {
            "items": user.item_count,
            "artifacts": user.artifact_count,
            "storage_used": user.storage_used,
            "uploads_today": summary.uploads_today,
        },
    }
