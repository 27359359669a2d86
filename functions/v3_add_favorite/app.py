"""POST /v3/items/{slug}/favorite — {"favorite": true} (or no body) marks it, {"favorite": false} unmarks."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import JsonBody, body, caller, entrypoint
from cloudshare.dialects.v3_bodies import FavoriteChange
from cloudshare.services import management

app = v3.resolver(body=JsonBody(FavoriteChange, required=False))


@app.post("/v3/items/<slug>/favorite")
def add_favorite(slug: str) -> dict:
    request: FavoriteChange = body(app)
    return v3.favorite(management.set_favorite(caller(app).user, slug, request.favorite))


lambda_handler = entrypoint(app)
