"""GET /login/passkeys.js — the passkey ceremonies' script of the sign-in and account pages (script-src 'self')."""

from cloudshare.dialects import dashboard
from cloudshare.dialects import passkeys as passkey_pages
from cloudshare.dialects.http import entrypoint

app = dashboard.resolver(signed_in=False)


@app.get("/login/passkeys.js", responses=passkey_pages.SCRIPT_ANSWERS)
def login_passkey_script():
    return passkey_pages.script()


lambda_handler = entrypoint(app)
