"""POST /dashboard/multipart/{upload_id}/parts — presigned UploadPart URLs for the upload script's next parts."""

from cloudshare.dialects import dashboard, multipart, multipart_bodies
from cloudshare.dialects.http import JsonBody, entrypoint
from cloudshare.services import multipart as uploads

app = dashboard.resolver()
BODY = JsonBody(multipart_bodies.PartNumbers)


@app.post("/dashboard/multipart/<upload_id>/parts", responses=dashboard.UPLOAD_ANSWERS)
def dashboard_sign_multipart_parts(upload_id: str):
    request: multipart_bodies.PartNumbers = dashboard.json_request(app, BODY)
    urls = uploads.part_urls(dashboard.session(app).user, upload_id, request.numbers)
    return dashboard.multipart_answer(multipart.part_urls(urls))


lambda_handler = entrypoint(app)
