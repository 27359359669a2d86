"""GET /api/v1/artifacts — the caller's artifacts, a page at a time, in one of four orders."""

from cloudshare.dialects import v1, v1_bodies
from cloudshare.dialects.http import base_url, caller, entrypoint
from cloudshare.services import management

app = v1.resolver()


@app.get("/api/v1/artifacts")
def list_artifacts() -> dict:
    query = v1_bodies.artifact_listing(app.current_event.query_string_parameters)
    found, total = management.list_offset(
        caller(app).user, query.page, query.limit, query.sort_by, query.descending, query.published
    )
    return v1.artifact_page(found, total, query.page, management.page_size(query.limit), base_url(app))


lambda_handler = entrypoint(app)
