"""Request bodies of the v3 dialect (pydantic: loaded only by the functions that take a body).

Each model also describes its route's body in the OpenAPI document. Their validators are built when
first used (defer_build): a function reads one of these models, not all of them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

from cloudshare.models import KEEP
from cloudshare.services.management import ItemChanges


class _Body(BaseModel):
    model_config = ConfigDict(defer_build=True)


class NewItem(_Body):
    """POST /v3/items: a file to upload ({name, file_size}) or a bookmark ({bookmark_url}); what a name
    and a URL may hold is the uploads service's rule (services/inputs.py), the same for every route."""

    name: str | None = Field(default=None, min_length=1, max_length=255)
    file_size: int | None = Field(default=None, ge=0)
    bookmark_url: str | None = Field(default=None, max_length=2048)

    @model_validator(mode="after")
    def _file_or_bookmark(self) -> NewItem:
        if self.bookmark_url is None and self.name is None:
            raise ValueError("give a name (to upload a file) or a bookmark_url")
        return self


class ItemUpdate(_Body):
    """PUT /v3/items/{slug}: a new name and/or link form (the name's rules live in the management service)."""

    name: StrictStr | None = None
    long_link: StrictBool | None = None


class FavoriteChange(_Body):
    """POST /v3/items/{slug}/favorite: the seed sends {"favorite": true}; no body means true."""

    favorite: StrictBool = True


class ExpirationChange(_Body):
    """POST /v3/items/{slug}/expiration: fields present are set (null removes one); absent ones stay."""

    expires_at: StrictStr | None = None
    expires_after_views: StrictInt | None = None


class EmailShare(_Body):
    """POST /v3/items/{slug}/share: counts, lengths and address rules live in the sharing service."""

    recipients: list[StrictStr]
    message: StrictStr | None = None


def expiration_changes(request: ExpirationChange) -> ItemChanges:
    """Only the fields the client sent change; an explicit null removes that limit."""
    sent = request.model_fields_set
    return ItemChanges(
        expiration_time=request.expires_at if "expires_at" in sent else KEEP,
        expires_after_views=request.expires_after_views if "expires_after_views" in sent else KEEP,
    )
