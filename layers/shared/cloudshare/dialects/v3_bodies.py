"""Request bodies of the v3 dialect (pydantic: loaded only by the functions that take a body)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator, model_validator


class NewItem(BaseModel):
    """POST /v3/items: a file to upload ({name, file_size}) or a bookmark ({bookmark_url})."""

    name: str | None = Field(default=None, min_length=1, max_length=255)
    file_size: int | None = Field(default=None, ge=0)
    bookmark_url: str | None = Field(default=None, max_length=2048)

    @field_validator("bookmark_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http or https URL")
        return value.strip()

    @model_validator(mode="after")
    def _file_or_bookmark(self) -> NewItem:
        if self.bookmark_url is None and self.name is None:
            raise ValueError("give a name (to upload a file) or a bookmark_url")
        return self
