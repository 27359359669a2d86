"""Multipart uploads: S3's multipart calls on an upload's object key, and the upload records.

Layout: UPLOADS#<owner> / UPLOAD#<upload_id>, in a partition of the owner's own, so every route
finds an upload by the caller's id and the upload id (one GetItem, no scan), and another user's
upload is simply not there. The table's TTL (expires_at) removes a record after its upload ended.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from botocore.exceptions import ClientError

from cloudshare.config import settings
from cloudshare.models import MultipartUpload
from cloudshare.store.aws import client
from cloudshare.store.records import from_item, to_item

_UPLOAD_FIELDS = {field.name for field in fields(MultipartUpload)}
_GONE = ("NoSuchUpload", "404", "NotFound")


class UploadGone(Exception):
    """S3 no longer has the multipart upload: completed, or aborted (by the owner, the sweep or the
    bucket's lifecycle rule)."""


class PartsRefused(Exception):
    """S3 refused the parts listed for completion (a wrong ETag, a missing or too small part)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class StoredPart:
    number: int
    etag: str
    size: int
    last_modified: str  # ISO 8601, UTC


def record_key(owner_id: str, upload_id: str) -> dict[str, Any]:
    return to_item({"PK": f"UPLOADS#{owner_id}", "SK": f"UPLOAD#{upload_id}"})


def upload_record(upload: MultipartUpload, forget_at: int) -> dict[str, Any]:
    """The record as a Put of the transaction that creates the upload's item or version."""
    record = {
        "PK": f"UPLOADS#{upload.owner_id}",
        "SK": f"UPLOAD#{upload.upload_id}",
        **asdict(upload),
        "expires_at": forget_at,
    }
    return {
        "Put": {
            "TableName": settings().table_name,
            "Item": to_item(record),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def get(owner_id: str, upload_id: str) -> MultipartUpload | None:
    response = client("dynamodb").get_item(
        TableName=settings().table_name, Key=record_key(owner_id, upload_id), ConsistentRead=True
    )
    if "Item" not in response:
        return None
    return MultipartUpload(
        **{name: value for name, value in from_item(response["Item"]).items() if name in _UPLOAD_FIELDS}
    )


def forget(owner_id: str, upload_id: str) -> None:
    client("dynamodb").delete_item(TableName=settings().table_name, Key=record_key(owner_id, upload_id))


def create(key: str, content_type: str) -> str:
    """S3's id of a new multipart upload to key."""
    response = client("s3").create_multipart_upload(Bucket=settings().bucket_name, Key=key, ContentType=content_type)
    upload_id: str = response["UploadId"]
    return upload_id


def part_url(key: str, s3_upload_id: str, number: int, expires_in: int) -> str:
    url: str = client("s3").generate_presigned_url(
        "upload_part",
        Params={"Bucket": settings().bucket_name, "Key": key, "UploadId": s3_upload_id, "PartNumber": number},
        ExpiresIn=expires_in,
    )
    return url


def parts(key: str, s3_upload_id: str) -> list[StoredPart]:
    """Every part S3 holds for the upload, in part order (UploadGone if the upload is no more)."""
    found: list[StoredPart] = []
    marker = 0
    while True:
        try:
            response = client("s3").list_parts(
                Bucket=settings().bucket_name, Key=key, UploadId=s3_upload_id, PartNumberMarker=marker
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in _GONE:
                raise UploadGone(s3_upload_id) from error
            raise
        found.extend(
            StoredPart(
                number=part["PartNumber"],
                etag=part["ETag"],
                size=part["Size"],
                last_modified=part["LastModified"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
            for part in response.get("Parts", [])
        )
        if not response.get("IsTruncated"):
            return found
        marker = response["NextPartNumberMarker"]


def complete(key: str, s3_upload_id: str, etags: list[tuple[int, str]]) -> None:
    try:
        client("s3").complete_multipart_upload(
            Bucket=settings().bucket_name,
            Key=key,
            UploadId=s3_upload_id,
            MultipartUpload={"Parts": [{"PartNumber": number, "ETag": etag} for number, etag in etags]},
        )
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code in _GONE:
            raise UploadGone(s3_upload_id) from error
        if code in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML"):
            raise PartsRefused(code, error.response["Error"].get("Message", code)) from error
        raise


def abort(key: str, s3_upload_id: str) -> None:
    """Idempotent: an upload S3 no longer has is as aborted as can be."""
    try:
        client("s3").abort_multipart_upload(Bucket=settings().bucket_name, Key=key, UploadId=s3_upload_id)
    except ClientError as error:
        if error.response["Error"]["Code"] not in _GONE:
            raise
