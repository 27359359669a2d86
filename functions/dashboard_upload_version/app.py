"""POST /dashboard/items/{slug}/versions — a presigned POST for a new version of one of the owner's files."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.services import artifacts

app = dashboard.resolver()


@app.post("/dashboard/items/<slug>/versions", responses=dashboard.UPLOAD_ANSWERS)
def dashboard_upload_version(slug: str):
    request = dashboard.new_version(dashboard.form(app))
    return dashboard.version_ticket(artifacts.update_artifact(dashboard.session(app).user, slug, request))


lambda_handler = entrypoint(app)
