"""POST /dashboard/items/{slug}/restore — brings an item back from the trash."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.services import management

app = dashboard.resolver()


@app.post("/dashboard/items/<slug>/restore", responses=dashboard.FORM_ANSWERS)
def dashboard_restore_item(slug: str):
    management.restore(dashboard.session(app).user, slug)
    return dashboard.back_to(app, f"/dashboard/items/{slug}", done="restore")


lambda_handler = entrypoint(app)
