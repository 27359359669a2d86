"""The data the sample events in events/ refer to: a fixed API key, items in known states.

Tests (every sample event must work with its function) and benchmarks (cold start with a real first
request) seed it into whatever table and bucket the settings name.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import boto3
import pyotp
from cryptography.hazmat.primitives.asymmetric import ec

from cloudshare.config import settings
from cloudshare.models import ApiKey, Comment, Item, Login, MultipartUpload, User, Version
from cloudshare.services import accounts, clock, passkeys, two_factor, uploads
from cloudshare.services.passwords import hash_password
from cloudshare.store import comments, items, multipart, sessions, users, view_counts
from cloudshare.store import passkeys as stored_passkeys
from cloudshare.store import two_factor as stored_two_factor
from devtools.authenticator import Credential, b64url
from devtools.template import ROOT, functions

EVENTS = ROOT / "events"
SAMPLE_SLUG = "demoitem2345"
DELETED_SLUG = "restoreme234"
READY_SLUG = "demoready234"
SHARED_SLUG = "demoshare234"
IMAGE_SLUG = "demoimage234"
VERSIONED_SLUG = "demoversn234"  # its version 2 is pending, S3 has the bytes (events/dashboard_finish_version.json)
# The dashboard events' session cookie (cs_session) and the CSRF token its forms carry.
SAMPLE_SESSION = "sample-dashboard-session-" + "D" * 19
# An account with two-factor on: its session (events/dashboard_change_two_factor.json), a pending sign-in
# and a recovery code that completes it (events/login_two_factor.json).
SAMPLE_TWO_FACTOR_SESSION = "sample-two-factor-session-" + "T" * 18
SAMPLE_PENDING_SIGN_IN = "sample-pending-sign-in-" + "P" * 21
SAMPLE_RECOVERY_CODE = "abcde-23456"
COMMENT_ID = "0000000000000100000001"  # on SHARED_SLUG; events/v1_delete_comment.json deletes it
# Passkeys: the sample events' challenges (raw bytes, as the browser signs them), the passkey that
# events/login_passkey.json signs in with (its key, its id, its account's fixed id: the user handle), and
# the sample account's passkey that events/dashboard_remove_passkey.json removes.
SAMPLE_RP_ID = "1234567890.execute-api.us-east-1.amazonaws.com"
SAMPLE_SIGN_IN_CHALLENGE = b"sample passkey sign-in challenge"
SAMPLE_REGISTER_CHALLENGE = b"sample passkey register challenge"
SAMPLE_PASSKEY_USER_ID = "5a3b1e0f0000400080000000000000a1"
SAMPLE_PASSKEY = Credential(
    credential_id=b"sample passkey 1",
    key=ec.derive_private_key(0x5A3B1E0F2C4D6E8F, ec.SECP256R1()),
    rp_id=SAMPLE_RP_ID,
    user_handle=SAMPLE_PASSKEY_USER_ID.encode(),
)
SAMPLE_REMOVED_PASSKEY_ID = b64url(b"sample passkey 2")
MULTIPART_SLUG = "demoparts234"
MULTIPART_UPLOAD_ID = "demoparts23456789abc"  # events/v1_*_upload*.json
SAMPLE_PART = b"sample part bytes"


def event_name(logical_id: str) -> str:
    """events/<name>.json belongs to the function whose CodeUri folder is <name>."""
    return Path(functions()[logical_id]["Properties"]["CodeUri"]).name


def sample_event(logical_id: str) -> dict:
    return json.loads((EVENTS / f"{event_name(logical_id)}.json").read_text())


def seed() -> None:
    """The sample events name a fixed API key and item; make them real so the events work."""
    user = _account_with_fixed_key("sample@example.com", "free", "sampleevent0", "S")
    items.create_upload(
        Item(
            slug=SAMPLE_SLUG,
            owner_id=user.user_id,
            name="sample.txt",
            kind="file",
            state="pending",
            created_at="2026-01-01T00:00:00Z",
            updated_at="2026-01-01T00:00:00Z",
            object_key=uploads.object_key(SAMPLE_SLUG),
            max_size=1024,
            last_version=1,
        ),
        Version(
            slug=SAMPLE_SLUG,
            number=1,
            state="pending",
            created_at="2026-01-01T00:00:00Z",
            object_key=uploads.object_key(SAMPLE_SLUG),
            max_size=1024,
            owner_id=user.user_id,
        ),
        "2026-01-01T00:30:00Z",
    )
    boto3.client("s3").put_object(
        Bucket=settings().bucket_name,
        Key=uploads.object_key(SAMPLE_SLUG),
        Body=b"sample bytes",
        ContentType="text/plain",
    )
    _seed_deleted_item(user.user_id)
    _seed_pro_account_with_a_ready_item()
    _seed_shared_file(user.user_id)
    _seed_image(user.user_id)
    _seed_new_version(user)
    _seed_session(user.user_id)
    _seed_multipart_upload(user.user_id)
    _seed_two_factor_account()
    _seed_passkeys(user.user_id)


def _account_with_fixed_key(email: str, plan: str, key_id: str, fill: str):
    """An account whose API key is the one written in the sample events: csk_<key_id>_<fill × 43>."""
    user = accounts.create_user(email, "sample-password", plan)
    key = f"csk_{key_id}_{fill * 43}"
    users.put_api_key(
        ApiKey(
            key_id=key_id,
            user_id=user.user_id,
            secret_hash=hashlib.sha256(key.encode()).hexdigest(),
            created_at="2026-01-01T00:00:00Z",
        )
    )
    return user


def _seed_session(user_id: str, token: str = SAMPLE_SESSION) -> None:
    """events/dashboard_*.json and events/logout.json are signed in with SAMPLE_SESSION (and
    events/dashboard_change_two_factor.json with SAMPLE_TWO_FACTOR_SESSION)."""
    sessions.put(
        sessions.StoredSession(
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            user_id=user_id,
            created_at="2026-01-01T00:00:00Z",
            expires_at=int(clock.now()) + 24 * 60 * 60,
        )
    )


def _seed_two_factor_account() -> None:
    """An account with two-factor on, its session, a pending sign-in and a known recovery code."""
    user = accounts.create_user("sample-2fa@example.com", "sample-password", "free")
    secret = pyotp.random_base32(32)
    two_factor.enable(user, secret, pyotp.TOTP(secret).now(), "sample seed")
    recovery = {two_factor.recovery_hash(user.user_id, SAMPLE_RECOVERY_CODE)}
    stored_two_factor.replace_recovery(user.user_id, secret, recovery)
    _seed_session(user.user_id, SAMPLE_TWO_FACTOR_SESSION)
    token_hash = hashlib.sha256(SAMPLE_PENDING_SIGN_IN.encode()).hexdigest()
    stored_two_factor.put_pending(token_hash, user.user_id, int(clock.now()) + 24 * 60 * 60)


def _seed_passkeys(sample_user_id: str) -> None:
    """A passkey-only account with SAMPLE_PASSKEY, a passkey of the sample account, and a challenge for each
    ceremony (the registration's bound to the sample account)."""
    account = User(SAMPLE_PASSKEY_USER_ID, "sample-passkey@example.com", "free", "2026-01-01T00:00:00Z")
    users.create_user(account, Login(account.user_id, account.email), hash_password("sample-password"))
    for credential_id, user_id in (
        (b64url(SAMPLE_PASSKEY.credential_id), account.user_id),
        (SAMPLE_REMOVED_PASSKEY_ID, sample_user_id),
    ):
        stored_passkey = stored_passkeys.Passkey(
            credential_id=credential_id,
            user_id=user_id,
            name="Sample passkey",
            public_key=SAMPLE_PASSKEY.cose_public_key(),
            sign_count=0,
            created_at="2026-01-01T00:00:00Z",
        )
        stored_passkeys.add(stored_passkey, passkeys.MAX_PASSKEYS)
    expires_at = int(clock.now()) + 24 * 60 * 60
    for raw, ceremony, user_id in (
        (SAMPLE_SIGN_IN_CHALLENGE, passkeys.SIGN_IN, ""),
        (SAMPLE_REGISTER_CHALLENGE, passkeys.REGISTER, sample_user_id),
    ):
        stored_passkeys.put_challenge(
            hashlib.sha256(raw).hexdigest(), stored_passkeys.Challenge(ceremony, user_id, expires_at)
        )


def _seed_deleted_item(owner_id: str) -> None:
    """events/v1_restore_artifact.json restores this soft-deleted (never uploaded) item."""
    item = Item(
        slug=DELETED_SLUG,
        owner_id=owner_id,
        name="old.txt",
        kind="file",
        state="pending",
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
        object_key=uploads.object_key(DELETED_SLUG),
        max_size=1024,
        last_version=1,
    )
    items.create_upload(
        item,
        Version(
            slug=DELETED_SLUG,
            number=1,
            state="pending",
            created_at=item.created_at,
            object_key=item.object_key,
            max_size=1024,
            owner_id=owner_id,
        ),
        "2026-01-01T00:30:00Z",
    )
    items.soft_delete(item, "2026-01-02T00:00:00Z", "2026-02-01T00:00:00Z")


def _seed_pro_account_with_a_ready_item() -> None:
    """The v3 management events (events/v3_*item*, *favorite*, *expiration*, *share*) act on a ready
    bookmark of a pro account: expiration is a paid feature, and only an available item can be shared."""
    pro = _account_with_fixed_key("sample-pro@example.com", "pro", "samplepro000", "P")
    items.create_bookmark(
        Item(
            slug=READY_SLUG,
            owner_id=pro.user_id,
            name="https://example.com/",
            kind="bookmark",
            state="ready",
            created_at="2026-01-01T00:00:00Z",
            updated_at="2026-01-01T00:00:00Z",
            redirect_url="https://example.com/",
            link_secret="S" * uploads.LINK_SECRET_LENGTH,
        ),
        None,
    )


def _seed_shared_file(owner_id: str) -> None:
    """The public events (events/public_*.json) open this ready text file through its short link."""
    _settled_file(owner_id, SHARED_SLUG, "shared.txt", b"shared bytes", "text/plain", long_link=False)
    comments.add(
        Comment(
            slug=SHARED_SLUG,
            comment_id=COMMENT_ID,
            version=1,
            author="Sam",
            body="Nice file!",
            created_at="2026-01-01T01:00:00Z",
        ),
        owner_id=None,
    )
    # One counted view waiting in its counter shard: the fold's sample event (events/fold_counts.json) moves it.
    view_counts.count(SHARED_SLUG, 1, view=True, download=False)


def _seed_new_version(user) -> None:
    """A settled file and its second version, requested and uploaded but not yet settled."""
    _settled_file(user.user_id, VERSIONED_SLUG, "versioned.txt", b"first bytes", "text/plain")
    item = items.get(VERSIONED_SLUG)
    assert item is not None
    version = uploads.new_pending_version(user, item, 12, None)
    uploads.add_version(item, version)
    boto3.client("s3").put_object(
        Bucket=settings().bucket_name, Key=version.object_key, Body=b"second bytes", ContentType="text/plain"
    )


def _seed_image(owner_id: str) -> None:
    """events/thumbnail.json asks for the thumbnail of this settled PNG."""
    _settled_file(owner_id, IMAGE_SLUG, "dot.png", _ONE_PIXEL_PNG, "image/png")


def _settled_file(
    owner_id: str, slug: str, name: str, data: bytes, content_type: str, *, long_link: bool = True
) -> None:
    """A file item whose one version was uploaded and settled, as the S3 event would settle it."""
    item = Item(
        slug=slug,
        owner_id=owner_id,
        name=name,
        kind="file",
        state="pending",
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
        long_link=long_link,
        object_key=uploads.object_key(slug),
        max_size=1024,
        last_version=1,
    )
    version = Version(
        slug=slug,
        number=1,
        state="pending",
        created_at=item.created_at,
        object_key=item.object_key,
        max_size=1024,
        owner_id=owner_id,
    )
    items.create_upload(item, version, "2026-01-01T00:30:00Z")
    boto3.client("s3").put_object(
        Bucket=settings().bucket_name, Key=item.object_key, Body=data, ContentType=content_type
    )
    uploads.settle(item, version)


def _seed_multipart_upload(owner_id: str) -> None:
    """The multipart events (events/v1_*_upload*.json) act on this upload: its one part is in S3 already
    (events/v1_complete_upload.json names that part's ETag, the MD5 of SAMPLE_PART)."""
    key = uploads.object_key(MULTIPART_SLUG)
    s3, bucket = boto3.client("s3"), settings().bucket_name
    s3_upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="text/plain")["UploadId"]
    s3.upload_part(Bucket=bucket, Key=key, UploadId=s3_upload_id, PartNumber=1, Body=SAMPLE_PART)
    size, created = len(SAMPLE_PART), "2026-01-01T00:00:00Z"
    item = Item(
        slug=MULTIPART_SLUG,
        owner_id=owner_id,
        name="parts.txt",
        kind="file",
        state="pending",
        created_at=created,
        updated_at=created,
        object_key=key,
        max_size=size,
        last_version=1,
    )
    version = Version(
        slug=MULTIPART_SLUG,
        number=1,
        state="pending",
        created_at=created,
        object_key=key,
        max_size=size,
        owner_id=owner_id,
        multipart_upload_id=s3_upload_id,
    )
    upload = MultipartUpload(
        upload_id=MULTIPART_UPLOAD_ID,
        owner_id=owner_id,
        slug=MULTIPART_SLUG,
        number=1,
        s3_upload_id=s3_upload_id,
        object_key=key,
        file_size=size,
        part_size=8 * 1024 * 1024,
        part_count=1,
        created_at=created,
        deadline="2026-01-01T00:30:00Z",
    )
    items.create_upload(item, version, upload.deadline, (multipart.upload_record(upload, 1_900_000_000),))


# A 1x1 PNG, so that seeding needs no image library.
_ONE_PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2b1d1a30000000049454e44ae426082"
)
