"""DELETE /v3/items/{slug} — a soft delete: gone from listings and links, restorable until the purge."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import caller, entrypoint, no_content
from cloudshare.services import management

app = v3.resolver()


@app.delete("/v3/items/<slug>", responses={204: {"description": "Deleted; restorable until the retention period ends"}})
def delete_item(slug: str):
    management.soft_delete(caller(app).user, slug)
    return no_content()


lambda_handler = entrypoint(app)
