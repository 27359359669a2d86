"""POST /dashboard/passkeys — stores the passkey the browser made from the registration challenge."""

from cloudshare.dialects import dashboard
from cloudshare.dialects import passkeys as passkey_pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import passkeys

app = dashboard.resolver()


@app.post("/dashboard/passkeys", responses=passkey_pages.JSON_ANSWERS)
def dashboard_add_passkey():
    fields = dashboard.form(app)
    credential, name = passkey_pages.credential(fields), passkey_pages.passkey_name(fields)
    passkeys.register(dashboard.session(app).user, passkey_pages.site(app), credential, name)
    return passkey_pages.go_to(app, "/dashboard/account?done=passkey")


lambda_handler = entrypoint(app)
