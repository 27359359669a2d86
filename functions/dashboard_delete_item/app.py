"""POST /dashboard/items/{slug}/delete — moves an item to the trash (restorable until the purge)."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.services import management

app = dashboard.resolver()


@app.post("/dashboard/items/<slug>/delete", responses=dashboard.FORM_ANSWERS)
def dashboard_delete_item(slug: str):
    management.soft_delete(dashboard.session(app).user, slug)
    return dashboard.back_to(app, f"/dashboard/items/{slug}", done="delete")


lambda_handler = entrypoint(app)
