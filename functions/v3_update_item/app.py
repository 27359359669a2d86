"""PUT /v3/items/{slug} — rename, or switch between the long and the short share link."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from cloudshare.dialects import v3
from cloudshare.dialects.http import base_url, caller, entrypoint
from cloudshare.dialects.v3_bodies import ItemUpdate
from cloudshare.services import management
from cloudshare.services.management import ItemChanges

app = v3.resolver(validate=True)


@app.put("/v3/items/<slug>")
def update_item(slug: str, request: Annotated[ItemUpdate, Body()]) -> dict:
    changes = ItemChanges(name=request.name, long_link=request.long_link)
    return v3.item(management.update(caller(app).user, slug, changes), base_url(app))


lambda_handler = entrypoint(app)
