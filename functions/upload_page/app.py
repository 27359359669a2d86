"""GET /upload — a page that uploads a file from the browser straight to S3 with the user's API key."""

from cloudshare.dialects import pages
from cloudshare.dialects.http import entrypoint

app = pages.resolver()


@app.get("/upload", responses=pages.HTML_ANSWERS)
def upload_page():
    return pages.upload_page(app)


lambda_handler = entrypoint(app)
