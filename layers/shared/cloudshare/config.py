"""Settings from the environment, read when first needed so tests can set env freely."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Settings:
    table_name: str
    bucket_name: str
    realm: str
    nonce_secret_id: str  # the Secrets Manager secret (ARN or name) holding the nonce/grant keys
    nonce_ttl_seconds: int
    public_base_url: str | None
    retention_days: int
    # Where share links live when not on the API's host: the public function URL (or a domain before it).
    share_base_url: str | None = None
    share_sender: str | None = None  # the SES identity that share e-mails come from
    thumbnail_queue_url: str = ""  # where settled images ask ThumbnailFunction for their thumbnail
    failures_before_backoff: int = 5  # wrong passwords or keys a subject may send before it is held back
    passkey_rp_id: str = ""  # whom passkeys are for (a host name); "" = the host each request came to

    def require_nonce_secret_id(self) -> str:
        """Only functions that sign or verify nonces, grants and tickets know the secret."""
        if not self.nonce_secret_id:
            raise RuntimeError("environment variable NONCE_SECRET_ID is not set")
        return self.nonce_secret_id


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set")
    return value


@cache
def settings() -> Settings:
    return Settings(
        table_name=_required("TABLE_NAME"),
        bucket_name=os.environ.get("BUCKET_NAME", ""),
        realm=os.environ.get("AUTH_REALM", "cloudshare"),
        nonce_secret_id=os.environ.get("NONCE_SECRET_ID", ""),
        nonce_ttl_seconds=int(os.environ.get("NONCE_TTL_SECONDS", "300")),
        public_base_url=os.environ.get("PUBLIC_BASE_URL") or None,
        retention_days=int(os.environ.get("RETENTION_DAYS", "30")),
        share_base_url=os.environ.get("SHARE_BASE_URL") or None,
        share_sender=os.environ.get("SHARE_SENDER") or None,
        thumbnail_queue_url=os.environ.get("THUMBNAIL_QUEUE_URL", ""),
        failures_before_backoff=int(os.environ.get("FAILURES_BEFORE_BACKOFF", "5")),
        passkey_rp_id=os.environ.get("PASSKEY_RP_ID", ""),
    )
