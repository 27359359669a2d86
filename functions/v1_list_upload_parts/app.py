"""GET /api/v1/uploads/{upload_id}/parts — the parts S3 already holds (how a client resumes)."""

from cloudshare.dialects import multipart, v1
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import multipart as uploads

app = v1.resolver()


@app.get("/api/v1/uploads/<upload_id>/parts", responses={200: multipart.answer("The parts S3 holds", "StoredParts")})
def list_upload_parts(upload_id: str) -> dict:
    return multipart.stored_parts(*uploads.stored_parts(caller(app).user, upload_id))


lambda_handler = entrypoint(app)
