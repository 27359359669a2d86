"""The artifacts v1 dialect: {"status": bool, "message": …} bodies, 400 for bad data."""

from __future__ import annotations

from cloudshare.dialects.http import Dialect, build_resolver
from cloudshare.services.accounts import AccountSummary


def _error_body(status: int, message: str, field: str, extra: dict) -> dict:
    return {"status": False, "message": message, **extra}


DIALECT = Dialect(name="v1", error_body=_error_body, validation_status=400, limit_status=403,
                  item_noun="Artifact", hides_other_owners=False)


def resolver(*, authenticated: bool = True, validate: bool = False):
    return build_resolver(DIALECT, authenticated=authenticated, validate=validate)


def account(summary: AccountSummary) -> dict:
    user, plan = summary.user, summary.plan
    return {
        "status": True,
        "account": {
            "id": user.user_id,
            "email": user.email,
            "plan": plan.name,
            "created_at": user.created_at,
            "limits": plan.limits(),
            "features": plan.features,
            "usage": {
                "artifacts": user.artifact_count,
                "storage_used": user.storage_used,
                "uploads_today": summary.uploads_today,
            },
            "uploads_remaining": summary.uploads_remaining,
        },
    }
