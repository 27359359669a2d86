"""GET /{code}/content/{name} — the file inline: a redirect to a presigned GET (bytes never pass here)."""

from cloudshare.dialects import pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import sharing

app = pages.resolver()


# The name is decoration: the code names the item. The second rule takes names with any character
# (slashes, quotes, newlines), which the first cannot match.
@app.get("/<code>/content/<name>", responses=pages.FILE_ANSWERS)
@app.get(r"/<code>/content/[\s\S]+", include_in_schema=False)
def content(code: str, name: str = ""):
    return pages.redirect(sharing.open_file(pages.visit(app, code), attachment=False))


lambda_handler = entrypoint(app)
