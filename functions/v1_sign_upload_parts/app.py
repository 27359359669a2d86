"""POST /api/v1/uploads/{upload_id}/parts — presigned UploadPart URLs for a batch of part numbers."""

from cloudshare.dialects import multipart, multipart_bodies, v1
from cloudshare.dialects.http import JsonBody, body, caller, entrypoint
from cloudshare.services import multipart as uploads

app = v1.resolver(body=JsonBody(multipart_bodies.PartNumbers))


@app.post(
    "/api/v1/uploads/<upload_id>/parts",
    responses={200: multipart.answer("Presigned UploadPart URLs", "PartUrls")},
)
def sign_upload_parts(upload_id: str) -> dict:
    request: multipart_bodies.PartNumbers = body(app)
    return multipart.part_urls(uploads.part_urls(caller(app).user, upload_id, request.numbers))


lambda_handler = entrypoint(app)
