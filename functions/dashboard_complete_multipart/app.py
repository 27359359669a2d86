"""POST /dashboard/multipart/{upload_id}/complete — S3 joins the parts it holds; the settled item, for the grid."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.services import multipart as uploads

app = dashboard.resolver()


@app.post("/dashboard/multipart/<upload_id>/complete", responses=dashboard.UPLOAD_ANSWERS)
def dashboard_complete_multipart(upload_id: str):
    # No ETags from the browser (S3's CORS would have to expose them): the parts S3 lists, all of them.
    return dashboard.multipart_uploaded(app, uploads.complete(dashboard.session(app).user, upload_id, []))


lambda_handler = entrypoint(app)
