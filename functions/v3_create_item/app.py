"""POST /v3/items — a bookmark, or a presigned POST for uploading a file straight to S3."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import JsonBody, base_url, body, caller, entrypoint
from cloudshare.dialects.v3_bodies import NewItem
from cloudshare.services import accounts, uploads

app = v3.resolver(body=JsonBody(NewItem))


@app.post("/v3/items")
def create_item() -> dict:
    request: NewItem = body(app)
    user, base = caller(app).user, base_url(app)
    source = app.current_event.headers.get("User-Agent")
    if request.bookmark_url is not None:
        return v3.item(uploads.create_bookmark(user, request.bookmark_url, request.name, source), base)
    try:
        ticket = uploads.request_upload(
            user, request.name, request.file_size, lambda slug: f"{base}/v3/items/{slug}/s3", source
        )
    except uploads.UploadsExhausted:
        ticket = None  # the seed's answer: uploads_remaining 0 and no s3
    summary = accounts.summarize(user)
    return v3.upload_request(ticket, request.name, summary.uploads_remaining, uploads.upload_limit(user))


lambda_handler = entrypoint(app)
