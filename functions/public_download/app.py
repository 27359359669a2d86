"""GET /{code}/download/{name} — the file as an attachment: a redirect to a presigned GET; counts a download."""

from cloudshare.dialects import pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import sharing

app = pages.resolver()


# The name is decoration: the code names the item. The second rule takes names with any character
# (slashes, quotes, newlines), which the first cannot match.
@app.get("/<code>/download/<name>", responses=pages.FILE_ANSWERS)
@app.get(r"/<code>/download/[\s\S]+", include_in_schema=False)
def download(code: str, name: str = ""):
    return pages.redirect(sharing.open_file(pages.visit(app, code), attachment=True))


lambda_handler = entrypoint(app)
