"""POST /login — e-mail and password: a session cookie, then the dashboard."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.errors import AccessDenied, TooManyAttempts
from cloudshare.services import sessions

app = dashboard.resolver(signed_in=False)


@app.post("/login", responses=dashboard.SIGN_IN_ANSWERS)
def login():
    try:
        email, password = dashboard.login_form(app)
        signed = sessions.sign_in(email, password, dashboard.source(app), dashboard.agent(app))
    except (AccessDenied, TooManyAttempts) as refused:
        return dashboard.login_refused(app, refused)
    return dashboard.signed_in(app, signed)


lambda_handler = entrypoint(app)
