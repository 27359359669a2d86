"""POST /dashboard/passkeys/{credential_id}/remove — removes one of the owner's passkeys."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.services import passkeys

app = dashboard.resolver()


@app.post("/dashboard/passkeys/<credential_id>/remove", responses=dashboard.FORM_ANSWERS)
def dashboard_remove_passkey(credential_id: str):
    passkeys.remove(dashboard.session(app).user, credential_id)
    return dashboard.back_to(app, "/dashboard/account", done="passkey-removed")


lambda_handler = entrypoint(app)
