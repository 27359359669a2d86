"""PUT /v3/items/{slug} — rename, or switch between the long and the short share link."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import JsonBody, base_url, body, caller, entrypoint
from cloudshare.dialects.v3_bodies import ItemUpdate
from cloudshare.services import management
from cloudshare.services.management import ItemChanges

app = v3.resolver(body=JsonBody(ItemUpdate))


@app.put("/v3/items/<slug>")
def update_item(slug: str) -> dict:
    request: ItemUpdate = body(app)
    changes = ItemChanges(name=request.name, long_link=request.long_link)
    return v3.item(management.update(caller(app).user, slug, changes), base_url(app))


lambda_handler = entrypoint(app)
