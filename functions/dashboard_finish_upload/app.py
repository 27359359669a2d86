"""GET /dashboard/uploads/{slug} — after the browser's POST to S3: the settled item, as the grid shows it."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.services import uploads

app = dashboard.resolver()


@app.get("/dashboard/uploads/<slug>", responses=dashboard.UPLOAD_ANSWERS)
def dashboard_finish_upload(slug: str):
    return dashboard.uploaded(app, uploads.finish_for_owner(dashboard.session(app).user, slug))


lambda_handler = entrypoint(app)
