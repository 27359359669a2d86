"""POST /v3/items/{slug}/expiration — set (or, with null, remove) the expiry date and/or view limit."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import JsonBody, body, caller, entrypoint
from cloudshare.dialects.v3_bodies import ExpirationChange, expiration_changes
from cloudshare.services import management

app = v3.resolver(body=JsonBody(ExpirationChange))


@app.post("/v3/items/<slug>/expiration")
def set_expiration(slug: str) -> dict:
    request: ExpirationChange = body(app)
    return v3.expiration(management.update(caller(app).user, slug, expiration_changes(request)))


lambda_handler = entrypoint(app)
