"""GET /dashboard/account — plan and usage, API keys, sessions, integrations."""

from cloudshare.dialects import dashboard, pages
from cloudshare.dialects.http import entrypoint

app = dashboard.resolver()


@app.get("/dashboard/account", responses=pages.HTML_ANSWERS)
def dashboard_account():
    return dashboard.account_page(app)


lambda_handler = entrypoint(app)
