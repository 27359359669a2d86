"""The share links' host: one Lambda function URL (payload format 2.0) for every public route, so
that views cost no API Gateway request and a link's page, files and password form share one origin
(the grant cookie and the page's links stay on it). docs/scale-and-cost.md.

GET /{code} — the share page for browsers, the item as JSON for API clients; bookmarks redirect.
POST /{code}/unlock — a password-protected item's form (or JSON {"password"}): a short-lived grant cookie.
GET /{code}/content/{name} — the file inline: a redirect to a presigned GET (bytes never pass here).
GET /{code}/download/{name} — the file as an attachment, the same way.
GET /{code}/thumbnail — an image's thumbnail (a redirect to a presigned GET), a placeholder otherwise.
GET /{code}/comments — the comments (JSON, or a page with the form); none while the owner has them off.
POST /{code}/comments — a visitor's comment (form: 303 back to the page; JSON: 201), limited per source and
    per item; the owner's API key makes it the owner's reply. The owner is e-mailed (one digest an hour).
GET /oembed?url=<share url> — a link preview's oEmbed document; anything not openable without a password is 404.

Views and downloads are counted unless the owner (an API key on the request) is looking."""

from cloudshare.dialects import pages
from cloudshare.dialects.http import base_url, entrypoint
from cloudshare.errors import CloudshareError
from cloudshare.services import comments, sharing

app = pages.share_resolver()


@app.get("/<code>", responses=pages.PAGE_ANSWERS)
def page(code: str):
    return pages.shared_item(app, sharing.view(pages.visit(app, code)))


@app.post("/<code>/unlock", responses=pages.UNLOCK_ANSWERS)
def unlock(code: str):
    return pages.unlocked(app, sharing.unlock(pages.visit(app, code), pages.password(app)))


# The name is decoration: the code names the item. The second rule of each takes names with any
# character (slashes, quotes, newlines), which the first cannot match.
@app.get("/<code>/content/<name>", responses=pages.FILE_ANSWERS)
@app.get(r"/<code>/content/[\s\S]+", include_in_schema=False)
def content(code: str, name: str = ""):
    return pages.redirect(sharing.open_file(pages.visit(app, code), attachment=False))


@app.get("/<code>/download/<name>", responses=pages.FILE_ANSWERS)
@app.get(r"/<code>/download/[\s\S]+", include_in_schema=False)
def download(code: str, name: str = ""):
    return pages.redirect(sharing.open_file(pages.visit(app, code), attachment=True))


@app.get("/<code>/thumbnail", responses=pages.THUMBNAIL_ANSWERS)
def thumbnail(code: str):
    return pages.thumbnail(sharing.thumbnail(pages.visit(app, code)))


@app.get("/<code>/comments", responses=pages.COMMENTS_ANSWERS)
def list_comments(code: str):
    before, limit = pages.comment_query(app)
    return pages.comment_thread(app, comments.visible(pages.visit(app, code), before, limit))


@app.post("/<code>/comments", responses=pages.COMMENT_POSTED_ANSWERS)
def post_comment(code: str):
    posted = comments.post(pages.visit(app, code), pages.comment_sent(app), base_url(app))
    return pages.comment_posted(app, code, posted)


# A static route: Powertools matches it before /<code>.
@app.get("/oembed", responses=pages.OEMBED_ANSWERS)
def oembed():
    try:
        return pages.oembed(app, sharing.view(pages.oembed_visit(app)))
    except CloudshareError as error:  # oEmbed's own refusals, never the share pages'
        return pages.oembed_refusal(app, error)


lambda_handler = entrypoint(app)
