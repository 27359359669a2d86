"""GET /dashboard/items/{slug}/versions/{number} — after the browser's POST to S3: the item and its versions."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.services import uploads

app = dashboard.resolver()


@app.get("/dashboard/items/<slug>/versions/<number>", responses=dashboard.UPLOAD_ANSWERS)
def dashboard_finish_version(slug: str, number: str):
    user = dashboard.session(app).user
    item, versions = uploads.finish_version_for_owner(user, slug, dashboard.version_number(number))
    return dashboard.versions_of(app, item, versions)


lambda_handler = entrypoint(app)
