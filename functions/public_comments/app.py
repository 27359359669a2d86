"""GET /{code}/comments — a shared item's comments: JSON for API clients, a page with the form for browsers.

The same rules as the share page (published, not expired or deleted; a password needs its grant); none
while the owner has comments off. Counts no view."""

from cloudshare.dialects import pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import comments

app = pages.resolver()


@app.get("/<code>/comments", responses=pages.COMMENTS_ANSWERS)
def list_comments(code: str):
    before, limit = pages.comment_query(app)
    return pages.comment_thread(app, comments.visible(pages.visit(app, code), before, limit))


lambda_handler = entrypoint(app)
