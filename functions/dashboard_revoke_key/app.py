"""POST /dashboard/keys/{key_id}/revoke — revokes one of the owner's API keys."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.services import accounts

app = dashboard.resolver()


@app.post("/dashboard/keys/<key_id>/revoke", responses=dashboard.FORM_ANSWERS)
def dashboard_revoke_key(key_id: str):
    accounts.revoke_own_api_key(dashboard.session(app).user, key_id)
    return dashboard.back_to(app, "/dashboard/account", done="revoke")


lambda_handler = entrypoint(app)
