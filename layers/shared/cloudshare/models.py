"""Domain records shared by services, store and dialects."""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudshare.plans import UNLIMITED, Plan, get_plan


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    plan_name: str
    created_at: str
    storage_used: int = 0
    artifact_count: int = 0
    item_count: int = 0
    uploads_day: str = ""
    uploads_today: int = 0

    @property
    def plan(self) -> Plan:
        return get_plan(self.plan_name)

    def uploads_used_on(self, day: str) -> int:
        return self.uploads_today if self.uploads_day == day else 0

    def uploads_remaining_on(self, day: str) -> int:
        if self.plan.daily_uploads == UNLIMITED:
            return UNLIMITED
        return max(0, self.plan.daily_uploads - self.uploads_used_on(day))


@dataclass(frozen=True)
class Login:
    """What HTTP Digest needs to check a response: H(email:realm:password) per algorithm."""

    user_id: str
    email: str
    ha1: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    user_id: str
    secret_hash: str
    created_at: str
    label: str = ""
    revoked_at: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class Caller:
    """Who is making an authenticated request, and how they proved it."""

    user: User
    method: str  # "api_key" or "digest"


@dataclass(frozen=True)
class Item:
    """A file or a bookmark owned by a user. Files are 'pending' until S3 holds their bytes."""

    slug: str
    owner_id: str
    name: str
    kind: str  # "file" | "bookmark"
    state: str  # "pending" | "ready" | "failed"
    created_at: str
    updated_at: str
    object_key: str | None = None
    size: int = 0
    content_type: str | None = None
    redirect_url: str | None = None
    source: str | None = None
    long_link: bool = True
    view_counter: int = 0
    failure_reason: str | None = None
    max_size: int = 0  # the most this upload may weigh, fixed when it was requested


@dataclass(frozen=True)
class UploadTicket:
    """What a client needs to POST a file straight to S3."""

    item: Item
    url: str
    fields: dict[str, str]
