"""POST /api/v1/uploads/{upload_id}/parts — presigned UploadPart URLs for a batch of part numbers."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from cloudshare.dialects import multipart, v1
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import multipart as uploads

app = v1.resolver(validate=True)


@app.post("/api/v1/uploads/<upload_id>/parts",
          responses={200: multipart.answer("Presigned UploadPart URLs", multipart.PartUrls)})
def sign_upload_parts(upload_id: str, request: Annotated[multipart.PartNumbers, Body()]) -> dict:
    return multipart.part_urls(uploads.part_urls(caller(app).user, upload_id, request.numbers))


lambda_handler = entrypoint(app)
