"""POST /v3/items/{slug}/favorite — {"favorite": true} (or no body) marks it, {"favorite": false} unmarks."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from cloudshare.dialects import v3
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.dialects.v3_bodies import FavoriteChange
from cloudshare.services import management

app = v3.resolver(validate=True)


@app.post("/v3/items/<slug>/favorite")
def add_favorite(slug: str, request: Annotated[FavoriteChange | None, Body()] = None) -> dict:
    wanted = request.favorite if request is not None else True
    return v3.favorite(management.set_favorite(caller(app).user, slug, wanted))


lambda_handler = entrypoint(app)
