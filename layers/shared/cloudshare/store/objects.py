"""S3 objects: presigned POSTs for uploads, and what S3 says an object really is."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from cloudshare.config import settings
from cloudshare.store.aws import client


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str
    etag: str = ""
    version_id: str | None = None  # S3's id of these bytes (the bucket keeps versions; docs/uploads.md)


def presigned_post(
    key: str, max_size: int, content_type: str, redirect_url: str | None, expires_in: int
) -> tuple[str, dict[str, str]]:
    """A POST policy for exactly this key, at most max_size bytes, of exactly this Content-Type (a field
    of the form, so S3 refuses any other label), redirecting to redirect_url if given (else S3 answers 204)."""
    fields = {"Content-Type": content_type}
    conditions = [["content-length-range", 1, max_size], {"Content-Type": content_type}]
    if redirect_url:
        fields["success_action_redirect"] = redirect_url
        conditions.append({"success_action_redirect": redirect_url})
    post = client("s3").generate_presigned_post(
        Bucket=settings().bucket_name, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
    )
    return post["url"], post["fields"]


def put(key: str, data: bytes, content_type: str) -> None:
    client("s3").put_object(Bucket=settings().bucket_name, Key=key, Body=data, ContentType=content_type)


def head(key: str) -> StoredObject | None:
    try:
        response = client("s3").head_object(Bucket=settings().bucket_name, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return StoredObject(
        size=response["ContentLength"],
        content_type=response.get("ContentType") or "",
        etag=response.get("ETag", ""),
        version_id=_version_id(response.get("VersionId")),
    )


def _version_id(reported: str | None) -> str | None:
    return None if reported in (None, "", "null") else reported  # "null": written while versioning was off


def delete(key: str) -> None:
    client("s3").delete_object(Bucket=settings().bucket_name, Key=key)


def delete_version(key: str, version_id: str) -> None:
    """Removes these bytes for good; if they were the key's newest, the ones before become current
    again (how a replayed POST over settled bytes is undone without touching them)."""
    client("s3").delete_object(Bucket=settings().bucket_name, Key=key, VersionId=version_id)
