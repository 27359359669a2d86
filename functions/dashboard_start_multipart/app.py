"""POST /dashboard/multipart — the upload script starts a multipart upload of a large file (as POST /api/v1/uploads)."""

from cloudshare.dialects import dashboard, multipart, multipart_bodies
from cloudshare.dialects.http import JsonBody, entrypoint
from cloudshare.services import multipart as uploads

app = dashboard.resolver()
BODY = JsonBody(multipart_bodies.UploadStart)


@app.post("/dashboard/multipart", responses=dashboard.UPLOAD_ANSWERS)
def dashboard_start_multipart():
    request: multipart_bodies.UploadStart = dashboard.json_request(app, BODY)
    upload = uploads.start(dashboard.session(app).user, request.request(), dashboard.agent(app))
    return dashboard.multipart_answer(multipart.started(upload))


lambda_handler = entrypoint(app)
