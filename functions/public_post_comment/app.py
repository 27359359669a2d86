"""POST /{code}/comments — a visitor's comment: the page's form (303 back to the page) or JSON (201).

Limited per source and per item (429 + Retry-After); the form's honeypot and signed time stop naive bots;
the owner's API key makes it the owner's reply. The owner is e-mailed (at most one digest an hour per item)."""

from cloudshare.dialects import pages
from cloudshare.dialects.http import base_url, entrypoint
from cloudshare.services import comments

app = pages.resolver()


@app.post("/<code>/comments", responses=pages.COMMENT_POSTED_ANSWERS)
def post_comment(code: str):
    posted = comments.post(pages.visit(app, code), pages.comment_sent(app), base_url(app))
    return pages.comment_posted(app, code, posted)


lambda_handler = entrypoint(app)
