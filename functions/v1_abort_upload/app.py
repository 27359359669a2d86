"""DELETE /api/v1/uploads/{upload_id} — abort: S3 drops the parts, the pending artifact (or version) goes."""

from cloudshare.dialects import v1
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import multipart

app = v1.resolver()


@app.delete("/api/v1/uploads/<upload_id>")
def abort_upload(upload_id: str) -> dict:
    multipart.abort(caller(app).user, upload_id)
    return v1.done("Upload aborted")


lambda_handler = entrypoint(app)
