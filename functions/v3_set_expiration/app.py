"""POST /v3/items/{slug}/expiration — set (or, with null, remove) the expiry date and/or view limit."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from cloudshare.dialects import v3
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.dialects.v3_bodies import ExpirationChange, expiration_changes
from cloudshare.services import management

app = v3.resolver(validate=True)


@app.post("/v3/items/<slug>/expiration")
def set_expiration(slug: str, request: Annotated[ExpirationChange, Body()]) -> dict:
    return v3.expiration(management.update(caller(app).user, slug, expiration_changes(request)))


lambda_handler = entrypoint(app)
