"""DELETE /v3/items/{slug}/favorite — no longer a favorite."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import caller, entrypoint, no_content
from cloudshare.services import management

app = v3.resolver()


@app.delete("/v3/items/<slug>/favorite", responses={204: {"description": "No longer a favorite"}})
def remove_favorite(slug: str):
    management.set_favorite(caller(app).user, slug, False)
    return no_content()


lambda_handler = entrypoint(app)
