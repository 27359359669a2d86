"""GET /dashboard/items/{slug} — one of the owner's items (trashed ones too), with its forms."""

from cloudshare.dialects import dashboard, pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import management

app = dashboard.resolver()


@app.get("/dashboard/items/<slug>", responses=pages.HTML_ANSWERS)
def dashboard_item(slug: str):
    item = management.owned(dashboard.session(app).user, slug, include_deleted=True)
    return dashboard.item_page(app, item, dashboard.notice(app))


lambda_handler = entrypoint(app)
