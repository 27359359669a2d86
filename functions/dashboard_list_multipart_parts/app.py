"""GET /dashboard/multipart/{upload_id}/parts — the parts S3 holds: after a reload the script sends only the others."""

from cloudshare.dialects import dashboard, multipart
from cloudshare.dialects.http import entrypoint
from cloudshare.services import multipart as uploads

app = dashboard.resolver()


@app.get("/dashboard/multipart/<upload_id>/parts", responses=dashboard.UPLOAD_ANSWERS)
def dashboard_list_multipart_parts(upload_id: str):
    upload, parts = uploads.stored_parts(dashboard.session(app).user, upload_id)
    return dashboard.multipart_answer(multipart.stored_parts(upload, parts))


lambda_handler = entrypoint(app)
