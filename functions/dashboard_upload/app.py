"""POST /dashboard/uploads — a presigned POST for one file dropped or pasted on the dashboard."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.services import uploads

app = dashboard.resolver()


@app.post("/dashboard/uploads", responses=dashboard.UPLOAD_ANSWERS)
def dashboard_upload():
    name, size = dashboard.upload_request(dashboard.form(app))
    ticket = uploads.request_upload(dashboard.session(app).user, name, size, None, dashboard.agent(app))
    return dashboard.upload_ticket(ticket)


lambda_handler = entrypoint(app)
