"""GET /v3/items — the caller's items, newest first, one cursor page at a time."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import base_url, caller, entrypoint
from cloudshare.services import management

app = v3.resolver()


@app.get("/v3/items")
def list_items() -> dict:
    query = v3.list_query(app.current_event.query_string_parameters)
    page = management.list_page(caller(app).user, query.per_page, before=query.before, after=query.after)
    return v3.items_page(page, query.per_page, base_url(app))


lambda_handler = entrypoint(app)
