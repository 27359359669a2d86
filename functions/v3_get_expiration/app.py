"""GET /v3/items/{slug}/expiration — the item's expiry date and view limit (either may be null)."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import management

app = v3.resolver()


@app.get("/v3/items/<slug>/expiration")
def get_expiration(slug: str) -> dict:
    return v3.expiration(management.owned(caller(app).user, slug))


lambda_handler = entrypoint(app)
