"""GET /dashboard/items/{slug} — one of the owner's items (trashed ones too), with its versions and forms."""

from cloudshare.dialects import dashboard, pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import artifacts

app = dashboard.resolver()


@app.get("/dashboard/items/<slug>", responses=pages.HTML_ANSWERS)
def dashboard_item(slug: str):
    item, versions = artifacts.get_artifact(dashboard.session(app).user, slug, include_deleted=True)
    return dashboard.item_page(app, item, versions, dashboard.notice(app))


lambda_handler = entrypoint(app)
