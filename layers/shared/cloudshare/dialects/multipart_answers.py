"""What the multipart routes answer, as models for the OpenAPI document only (devtools/openapi.py puts
them among its components). The handlers build plain dicts (cloudshare.dialects.multipart) and no
function imports this module: describing an answer costs no pydantic at cold start."""

from __future__ import annotations

from pydantic import BaseModel, Field


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


MODELS: tuple[type[BaseModel], ...] = (UploadStarted, PartUrls, StoredParts, UploadCompleted)
