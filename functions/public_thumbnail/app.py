"""GET /{code}/thumbnail — an image's thumbnail (a redirect to a presigned GET), a placeholder otherwise."""

from cloudshare.dialects import pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import sharing

app = pages.resolver()


@app.get("/<code>/thumbnail", responses=pages.THUMBNAIL_ANSWERS)
def thumbnail(code: str):
    return pages.thumbnail(sharing.thumbnail(pages.visit(app, code)))


lambda_handler = entrypoint(app)
