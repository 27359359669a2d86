"""POST /logout — ends this browser's session."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.services import sessions

app = dashboard.resolver()


@app.post("/logout", responses=dashboard.FORM_ANSWERS)
def logout():
    sessions.sign_out(dashboard.session(app))
    return dashboard.signed_out(app)


lambda_handler = entrypoint(app)
