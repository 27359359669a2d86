"""Domain records shared by services, store and dialects."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from cloudshare.plans import UNLIMITED, Plan, get_plan


class Keep:
    """'Leave as it is', where None means 'remove' (an owner's expiry, an item's due entry)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep()


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
    """A file or a bookmark owned by a user; a v1 artifact is the same record seen through v1.

    A file has versions (Version records); the item carries its current one's object, size and
    type. Files are 'pending' until S3 holds the bytes of version 1. Lifecycle facts (deleted,
    expired, unpublished) are attributes, not states: see services/lifecycle.py for what they mean.
    """

    slug: str
    owner_id: str
    name: str
    kind: str  # "file" | "bookmark"
    state: str  # "pending" | "ready" | "failed"
    created_at: str
    updated_at: str
    # created_at's microsecond, kept for the listing order only (responses keep the seeds' seconds);
    # None on items made before it existed (see store/items.listing_sort_key)
    created_micros: int | None = None
    object_key: str | None = None  # the current version's object
    size: int = 0  # the current version's bytes
    content_type: str | None = None
    redirect_url: str | None = None
    source: str | None = None
    long_link: bool = True
    link_secret: str = ""  # the long share link is /<slug><link_secret>; the short one is /<slug>
    view_counter: int = 0
    download_counter: int = 0
    favorite: bool = False
    failure_reason: str | None = None
    max_size: int = 0  # the most version 1 may weigh, fixed when its upload was requested
    version: int = 0  # the current (ready) version; 0 until the first upload lands
    version_name: str | None = None
    last_version: int = 0  # the highest version number handed out (pending ones included)
    stored_bytes: int = 0  # every ready version's bytes: what this item costs the owner's quota
    is_published: bool = True
    allow_comments: bool = True
    allow_downloads: bool = True
    view_only: bool = False
    show_combined_comments: bool = False
    total_comments: int = 0  # moved with each comment in one transaction (store/comments.py)
    comment_emails: bool = True  # the owner is e-mailed about new comments (at most one digest an hour)
    password_hash: str | None = None
    expiration_time: str | None = None  # ISO 8601 UTC; named so it never meets the table's TTL attribute
    expires_after_views: int | None = None
    expired_at: str | None = None  # when the expiry sweep made it permanent
    deleted_at: str | None = None  # soft delete; purged after the retention period
    revision: int = 0  # owner changes: each one is conditional on the revision it read, and raises it

    def changed(self, sets: dict[str, Any], removes: list[str]) -> Item:
        """The item as it will be once these attributes are set and removed (others are the store's)."""
        known = {field.name for field in fields(Item)}
        values: dict[str, Any] = {name: value for name, value in sets.items() if name in known}
        values.update({name: None for name in removes if name in known})
        return replace(self, **values)


@dataclass(frozen=True)
class Version:
    """One upload of a file item. Its object is items/<slug>/<number>; pending until S3 has it."""

    slug: str
    number: int
    state: str  # "pending" | "ready" | "failed"
    created_at: str
    object_key: str
    max_size: int  # the policy's upper bound, fixed when the upload was requested
    name: str | None = None  # the v1 version_name
    size: int = 0
    content_type: str | None = None
    failure_reason: str | None = None
    # Which bytes were settled (S3's ETag and object version): an event for any other bytes under the
    # key is a replay of the presigned POST, and finalize removes them.
    etag: str | None = None
    object_version: str | None = None
    # Plan limits when the upload was requested: finalize settles against these without reading
    # the owner first (one read fewer), and a plan change mid-upload cannot surprise it.
    storage_quota: int = -1
    daily_uploads: int = -1
    artifact_limit: int = -1
    owner_id: str = ""
    owner_uploads_day: str = ""  # the owner's uploads_day when requested: which counter form to try first
    # Changes to the item that come with this version (v1 PUT with a file): {"sets": {…}, "removes": […]},
    # validated when requested, applied in the same write that makes the version current, so a version
    # that never lands (or is refused) changes nothing, and a password goes only when the new bytes come.
    item_changes: dict[str, Any] | None = None
    multipart_upload_id: str | None = None  # S3's id while the bytes come in parts (services/multipart.py)


@dataclass(frozen=True)
class Comment:
    """A comment on an item: a visitor's, or the owner's reply (by_owner)."""

    slug: str
    comment_id: str  # time-ordered (services/comments.py)
    version: int  # the item's version it was written on
    author: str
    body: str
    created_at: str
    by_owner: bool = False


@dataclass(frozen=True)
class MultipartUpload:
    """A file (or new version) sent to S3 in parts; upload_id is ours, s3_upload_id S3's."""

    upload_id: str
    owner_id: str
    slug: str
    number: int  # the version the parts make
    s3_upload_id: str
    object_key: str
    file_size: int  # declared at the start: the completed object may not be larger
    part_size: int
    part_count: int
    created_at: str
    deadline: str  # when the sweep looks at it (and aborts it, unless parts are still coming)


@dataclass(frozen=True)
class UploadTicket:
    """What a client needs to POST a file straight to S3."""

    item: Item
    version: Version
    url: str
    fields: dict[str, str]
