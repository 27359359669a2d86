"""GET /v3/items/{slug}/s3 — where S3's 303 lands after an upload: the finished item."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import base_url, caller, entrypoint
from cloudshare.services import uploads

app = v3.resolver()


@app.get("/v3/items/<slug>/s3")
def finished_upload(slug: str) -> dict:
    return v3.item(uploads.finish_for_owner(caller(app).user, slug), base_url(app))


lambda_handler = entrypoint(app)
