"""GET /scripts/{name} — the pages' scripts (uploaders, the item page, passkeys): the pages' CSP allows no inline script."""

from cloudshare.dialects import pages
from cloudshare.dialects.http import entrypoint

app = pages.resolver()


@app.get("/scripts/<name>", responses={200: {"description": "The script (JavaScript)"}, **pages.HTML_ANSWERS})
def scripts(name: str):
    return pages.script(name)


lambda_handler = entrypoint(app)
