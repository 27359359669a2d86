"""GET /{code} — the share page for browsers, the item as JSON for API clients; bookmarks redirect.

Counts one view unless the owner (an API key on the request) is looking."""

from cloudshare.dialects import pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import sharing

app = pages.resolver()


@app.get("/<code>", responses=pages.PAGE_ANSWERS)
def share_page(code: str):
    return pages.shared_item(app, sharing.view(pages.visit(app, code)))


lambda_handler = entrypoint(app)
