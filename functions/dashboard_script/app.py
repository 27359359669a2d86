"""GET /dashboard/scripts/{name} — a dashboard page's script, for script-src 'self' (no session needed)."""

from cloudshare.dialects import dashboard, pages
from cloudshare.dialects.http import entrypoint

app = dashboard.resolver(signed_in=False)


@app.get("/dashboard/scripts/<name>", responses=dashboard.SCRIPT_ANSWERS)
def dashboard_script(name: str):
    return pages.script(dashboard.script_file(name))


lambda_handler = entrypoint(app)
