"""POST /api/v1/uploads/{upload_id}/complete — S3 joins the parts; the upload is settled like any other."""

from cloudshare.dialects import multipart, multipart_bodies, v1
from cloudshare.dialects.http import JsonBody, body, caller, entrypoint
from cloudshare.services import multipart as uploads

app = v1.resolver(body=JsonBody(multipart_bodies.Completion, required=False))


@app.post(
    "/api/v1/uploads/<upload_id>/complete",
    responses={200: multipart.answer("Completed and settled", "UploadCompleted")},
)
def complete_upload(upload_id: str) -> dict:
    request: multipart_bodies.Completion | None = body(app)
    etags = request.etags() if request else []
    return multipart.completed(uploads.complete(caller(app).user, upload_id, etags))


lambda_handler = entrypoint(app)
