"""Multipart uploads in the v1 dialect (/api/v1/uploads): the answers, as plain dicts. The request bodies
are in multipart_bodies (pydantic), the answers' schemas in multipart_answers (for the OpenAPI document)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudshare.models import MultipartUpload
from cloudshare.services import clock, lifecycle
from cloudshare.services.multipart import PART_URL_SECONDS, Completed

if TYPE_CHECKING:
    from cloudshare.store.multipart import StoredPart


def answer(description: str, model: str) -> dict[str, Any]:
    """A route's answer by the name of its model in multipart_answers (a reference the OpenAPI document resolves)."""
    schema = {"$ref": f"#/components/schemas/{model}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def started(upload: MultipartUpload) -> dict[str, Any]:
    return {
        "status": True,
        "upload_id": upload.upload_id,
        "slug": upload.slug,
        "version_number": upload.number,
        "part_size": upload.part_size,
        "part_count": upload.part_count,
        "expires_at": upload.deadline,
    }


def part_urls(urls: list[tuple[int, str]]) -> dict[str, Any]:
    return {
        "status": True,
        "expires_at": lifecycle.shift(clock.iso(), seconds=PART_URL_SECONDS),
        "parts": [{"number": number, "url": url} for number, url in urls],
    }


def stored_parts(upload: MultipartUpload, parts: list[StoredPart]) -> dict[str, Any]:
    return {
        "status": True,
        "upload_id": upload.upload_id,
        "part_size": upload.part_size,
        "part_count": upload.part_count,
        "expires_at": upload.deadline,
        "parts": [
            {"number": part.number, "etag": part.etag, "size": part.size, "last_modified": part.last_modified}
            for part in parts
        ],
    }


def completed(done: Completed) -> dict[str, Any]:
    return {
        "status": True,
        "message": "Upload completed",
        "slug": done.item.slug,
        "version_number": done.version.number,
        "file_size": done.version.size,
    }
