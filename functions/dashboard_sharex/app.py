"""POST /dashboard/sharex.sxcu — a new API key labelled ShareX, inside a ShareX custom uploader file."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.services import accounts

app = dashboard.resolver()


@app.post("/dashboard/sharex.sxcu", responses=dashboard.SHAREX_ANSWERS)
def dashboard_sharex():
    _record, plaintext = accounts.add_api_key(dashboard.session(app).user, dashboard.SHAREX_KEY_LABEL)
    return dashboard.sharex_uploader(app, plaintext)


lambda_handler = entrypoint(app)
