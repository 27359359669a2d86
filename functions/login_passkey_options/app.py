"""POST /login/passkey/options — a sign-in challenge for navigator.credentials.get() (the same answer for
everyone: no account is named)."""

from cloudshare.dialects import dashboard
from cloudshare.dialects import passkeys as passkey_pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import passkeys

app = dashboard.resolver(signed_in=False)


@app.post("/login/passkey/options", responses=passkey_pages.JSON_ANSWERS)
def login_passkey_options():
    dashboard.login_fields(app)
    return passkey_pages.options(passkeys.sign_in_options(passkey_pages.site(app)))


lambda_handler = entrypoint(app)
