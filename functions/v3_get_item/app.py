"""GET /v3/items/{slug} — one of the caller's items."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import base_url, caller, entrypoint
from cloudshare.services import management

app = v3.resolver()


@app.get("/v3/items/<slug>")
def get_item(slug: str) -> dict:
    return v3.item(management.owned(caller(app).user, slug), base_url(app))


lambda_handler = entrypoint(app)
