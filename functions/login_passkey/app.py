"""POST /login/passkey — sign in with a passkey alone: the session cookie, and where to go next (JSON)."""

from cloudshare.dialects import dashboard
from cloudshare.dialects import passkeys as passkey_pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import passkeys

app = dashboard.resolver(signed_in=False)


@app.post("/login/passkey", responses=passkey_pages.JSON_ANSWERS)
def login_passkey():
    credential = passkey_pages.credential(dashboard.login_fields(app))
    signed = passkeys.sign_in(passkey_pages.site(app), credential, dashboard.source(app), dashboard.agent(app))
    return passkey_pages.signed_in(app, signed)


lambda_handler = entrypoint(app)
