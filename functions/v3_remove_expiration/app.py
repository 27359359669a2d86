"""DELETE /v3/items/{slug}/expiration — no expiry at all; an expired item not yet purged comes back."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import caller, entrypoint, no_content
from cloudshare.services import management
from cloudshare.services.management import ItemChanges

app = v3.resolver()
NO_EXPIRATION = ItemChanges(expiration_time=None, expires_after_views=None)


@app.delete("/v3/items/<slug>/expiration", responses={204: {"description": "Expiration removed"}})
def remove_expiration(slug: str):
    management.update(caller(app).user, slug, NO_EXPIRATION)
    return no_content()


lambda_handler = entrypoint(app)
