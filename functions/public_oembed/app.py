"""GET /oembed?url=<share url> — the oEmbed document of a shared item, for chat apps' link previews.

Counts no view; anything but an item a visitor could open without a password is 404."""

from cloudshare.dialects import pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import sharing

app = pages.resolver(pages.oembed_refusal)


@app.get("/oembed", responses=pages.OEMBED_ANSWERS)
def oembed():
    return pages.oembed(app, sharing.view(pages.oembed_visit(app)))


lambda_handler = entrypoint(app)
