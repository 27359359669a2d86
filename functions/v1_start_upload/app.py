"""POST /api/v1/uploads — start a multipart upload straight to S3 (a new artifact, or a new version of one)."""

from cloudshare.dialects import multipart, multipart_bodies, v1
from cloudshare.dialects.http import JsonBody, body, caller, entrypoint
from cloudshare.services import multipart as uploads

app = v1.resolver(body=JsonBody(multipart_bodies.UploadStart))


@app.post("/api/v1/uploads", responses={201: multipart.answer("Started: ask for part URLs next", "UploadStarted")})
def start_upload() -> tuple[dict, int]:
    request: multipart_bodies.UploadStart = body(app)
    upload = uploads.start(caller(app).user, request.request(), app.current_event.headers.get("user-agent"))
    return multipart.started(upload), 201


lambda_handler = entrypoint(app)
