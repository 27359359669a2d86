"""GET /dashboard — the owner's items: grid or list, search, filters, orders, pages."""

from cloudshare.dialects import dashboard, pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import management

app = dashboard.resolver()


@app.get("/dashboard", responses=pages.HTML_ANSWERS)
def dashboard_items():
    request = dashboard.browse_request(app)
    return dashboard.items_page(app, request, management.browse(dashboard.session(app).user, request))


lambda_handler = entrypoint(app)
