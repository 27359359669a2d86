"""GET /dashboard/upload.js — the items page's uploader script (served: the page's CSP allows no inline script)."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint

app = dashboard.resolver(signed_in=False)


@app.get("/dashboard/upload.js", responses={200: {"description": "The uploader script (JavaScript)"}})
def dashboard_upload_script():
    return dashboard.upload_script()


lambda_handler = entrypoint(app)
