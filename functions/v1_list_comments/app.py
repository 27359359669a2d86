"""GET /api/v1/artifacts/{slug}/comments — the owner's view of an artifact's comments, newest first.

`limit` (default 20, at most 100), `before` (a comment id: the next page), `version` (one version's only)."""

from cloudshare.dialects import v1, v1_bodies
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import comments

app = v1.resolver()


@app.get("/api/v1/artifacts/<slug>/comments")
def list_comments(slug: str) -> dict:
    query = v1_bodies.comment_listing(app.current_event.query_string_parameters)
    thread = comments.owner_thread(caller(app).user, slug, query.before, query.limit, query.version)
    return v1.comment_page(thread, query.limit or comments.DEFAULT_PAGE)


lambda_handler = entrypoint(app)
