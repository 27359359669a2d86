"""POST /dashboard/passkeys/options — a registration challenge for navigator.credentials.create()."""

from cloudshare.dialects import dashboard
from cloudshare.dialects import passkeys as passkey_pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import passkeys

app = dashboard.resolver()


@app.post("/dashboard/passkeys/options", responses=passkey_pages.JSON_ANSWERS)
def dashboard_passkey_options():
    return passkey_pages.options(passkeys.registration_options(dashboard.session(app).user, passkey_pages.site(app)))


lambda_handler = entrypoint(app)
