"""GET /dashboard/integrations — ShareX, Flameshot and the CLI, ready for this deployment."""

from cloudshare.dialects import dashboard, pages
from cloudshare.dialects.http import entrypoint

app = dashboard.resolver()


@app.get("/dashboard/integrations", responses=pages.HTML_ANSWERS)
def dashboard_integrations():
    return dashboard.integrations_page(app)


lambda_handler = entrypoint(app)
