"""POST /api/v1/uploads — start a multipart upload straight to S3 (a new artifact, or a new version of one)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from cloudshare.dialects import multipart, v1
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import multipart as uploads

app = v1.resolver(validate=True)


@app.post("/api/v1/uploads",
          responses={201: multipart.answer("Started: ask for part URLs next", multipart.UploadStarted)})
def start_upload(request: Annotated[multipart.UploadStart, Body()]) -> tuple[dict, int]:
    upload = uploads.start(caller(app).user, request.request(), app.current_event.headers.get("user-agent"))
    return multipart.started(upload), 201


lambda_handler = entrypoint(app)
