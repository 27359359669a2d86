"""GET /dashboard/two-factor — two-factor sign-in: on or off; if off, a QR code to turn it on."""

from cloudshare.dialects import dashboard, pages
from cloudshare.dialects import two_factor as two_factor_pages
from cloudshare.dialects.http import entrypoint

app = dashboard.resolver()


@app.get("/dashboard/two-factor", responses=pages.HTML_ANSWERS)
def dashboard_two_factor():
    return two_factor_pages.settings_page(app)


lambda_handler = entrypoint(app)
