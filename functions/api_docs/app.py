"""GET /openapi.json and GET /docs — the OpenAPI 3.1 document of both dialects, and a page to read it;
GET / (and HEAD /) — a landing page that links to them and to /upload; other methods on / get a 404."""

from cloudshare.dialects import pages
from cloudshare.dialects.http import entrypoint

app = pages.resolver()


@app.get("/openapi.json", responses=pages.JSON_ANSWERS)
def openapi() -> dict:
    return pages.openapi_document()


@app.get("/docs", responses=pages.HTML_ANSWERS)
def docs():
    return pages.api_docs(app)


@app.route("/", method="HEAD", include_in_schema=False)  # the answer to GET, without the body (entrypoint)
@app.get("/", responses=pages.HTML_ANSWERS)
def landing():
    return pages.landing_page(app)


lambda_handler = entrypoint(app)
