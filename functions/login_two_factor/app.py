"""POST /login/two-factor — the code step of a sign-in with two-factor on: a session cookie, then the
dashboard."""

from cloudshare.dialects import dashboard
from cloudshare.dialects import two_factor as two_factor_pages
from cloudshare.dialects.http import entrypoint
from cloudshare.errors import AccessDenied, TooManyAttempts
from cloudshare.services import two_factor

app = dashboard.resolver(signed_in=False)


@app.post("/login/two-factor", responses=dashboard.SIGN_IN_ANSWERS)
def login_two_factor():
    pending = ""
    try:
        pending, code = two_factor_pages.code_form(app)
        signed = two_factor.second_step(pending, code, dashboard.source(app), dashboard.agent(app))
    except (AccessDenied, TooManyAttempts) as refused:
        return two_factor_pages.code_refused(app, pending, refused)
    return dashboard.signed_in(app, signed)


lambda_handler = entrypoint(app)
