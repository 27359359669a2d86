"""POST /dashboard/sessions/end — signs the owner out everywhere (every browser, this one too)."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.services import sessions

app = dashboard.resolver()


@app.post("/dashboard/sessions/end", responses=dashboard.FORM_ANSWERS)
def dashboard_end_sessions():
    sessions.sign_out_everywhere(dashboard.session(app).user)
    return dashboard.signed_out(app)


lambda_handler = entrypoint(app)
