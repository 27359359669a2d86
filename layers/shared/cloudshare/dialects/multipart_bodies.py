"""Multipart uploads' request bodies (/api/v1/uploads and the dashboard's /dashboard/multipart): one pydantic
model each, which parses the body and describes it in the OpenAPI document. Only the functions that read
one of these bodies import this module (and so pydantic)."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictInt, StrictStr

from cloudshare.services.multipart import MAX_PARTS, MAX_URLS_PER_REQUEST, NewUpload


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
