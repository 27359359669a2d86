"""Multipart uploads in the v1 dialect (/api/v1/uploads): request bodies (pydantic) and answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, StrictInt, StrictStr

from cloudshare.models import MultipartUpload
from cloudshare.services import clock, lifecycle
from cloudshare.services.multipart import MAX_PARTS, MAX_URLS_PER_REQUEST, PART_URL_SECONDS, Completed, NewUpload

if TYPE_CHECKING:
    from typing import Any

    from cloudshare.store.multipart import StoredPart


class UploadStart(BaseModel):
    """POST /api/v1/uploads: the file to come; `artifact` (a slug of yours) makes it that artifact's next version."""

    name: StrictStr = Field(min_length=1, max_length=255)
    file_size: StrictInt = Field(ge=1, description="bytes; the completed object may not be larger")
    content_type: StrictStr | None = Field(default=None, max_length=255)
    artifact: StrictStr | None = Field(default=None, max_length=64)
    version_name: StrictStr | None = Field(default=None, max_length=255)

    def request(self) -> NewUpload:
        return NewUpload(
            name=self.name,
            file_size=self.file_size,
            content_type=self.content_type,
            artifact=self.artifact,
            version_name=self.version_name,
        )


class PartNumbers(BaseModel):
    """POST /api/v1/uploads/{upload_id}/parts: the parts to get upload URLs for."""

    numbers: list[StrictInt] = Field(min_length=1, max_length=MAX_URLS_PER_REQUEST)


class CompletedPart(BaseModel):
    number: StrictInt = Field(ge=1, le=MAX_PARTS)
    etag: StrictStr = Field(min_length=1, max_length=128)


class Completion(BaseModel):
    """POST /api/v1/uploads/{upload_id}/complete: every part with the ETag S3 answered for it; without
    `parts`, the upload completes with the parts S3 lists (all of them must be there)."""

    parts: list[CompletedPart] | None = Field(default=None, min_length=1, max_length=MAX_URLS_PER_REQUEST)

    def etags(self) -> list[tuple[int, str]]:
        return [(part.number, part.etag) for part in self.parts or []]


# What the routes answer, for the OpenAPI document (the handlers build plain dicts: no validation on the way out).
class UploadStarted(BaseModel):
    status: bool
    upload_id: str
    slug: str
    version_number: int
    part_size: int
    part_count: int
    expires_at: str = Field(description="The upload's deadline: past it, an idle upload is aborted by the sweep")


class PartUrl(BaseModel):
    number: int
    url: str = Field(description="PUT the part's bytes here; S3 answers its ETag")


class PartUrls(BaseModel):
    status: bool
    expires_at: str = Field(description="When these URLs stop working: ask again for parts not sent by then")
    parts: list[PartUrl]


class StoredPartView(BaseModel):
    number: int
    etag: str
    size: int
    last_modified: str


class StoredParts(BaseModel):
    status: bool
    upload_id: str
    part_size: int
    part_count: int
    expires_at: str
    parts: list[StoredPartView]


class UploadCompleted(BaseModel):
    status: bool
    message: str
    slug: str
    version_number: int
    file_size: int


def answer(description: str, model: type[BaseModel]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"model": model}}}


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
