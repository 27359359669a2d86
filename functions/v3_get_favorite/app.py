"""GET /v3/items/{slug}/favorite — whether the item is one of the caller's favorites."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import management

app = v3.resolver()


@app.get("/v3/items/<slug>/favorite")
def get_favorite(slug: str) -> dict:
    return v3.favorite(management.owned(caller(app).user, slug))


lambda_handler = entrypoint(app)
