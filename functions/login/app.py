"""POST /login — e-mail and password: a session cookie, then the dashboard (or, with two-factor on,
the page that asks for a code)."""

from cloudshare.dialects import dashboard
from cloudshare.dialects import two_factor as two_factor_pages
from cloudshare.dialects.http import entrypoint
from cloudshare.errors import AccessDenied, TooManyAttempts
from cloudshare.services import two_factor

app = dashboard.resolver(signed_in=False)


@app.post("/login", responses=dashboard.SIGN_IN_ANSWERS)
def login():
    try:
        email, password = dashboard.login_form(app)
        result = two_factor.sign_in(email, password, dashboard.source(app), dashboard.agent(app))
    except (AccessDenied, TooManyAttempts) as refused:
        return dashboard.login_refused(app, refused)
    return two_factor_pages.after_password(app, result)


lambda_handler = entrypoint(app)
