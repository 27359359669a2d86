"""POST /dashboard/items/{slug} — the item page's forms: rename, favorite, sharing, password, expiry."""

from cloudshare.dialects import dashboard
from cloudshare.dialects.http import entrypoint
from cloudshare.services import management

app = dashboard.resolver()


@app.post("/dashboard/items/<slug>", responses=dashboard.FORM_ANSWERS)
def dashboard_update_item(slug: str):
    fields = dashboard.form(app)
    management.update(dashboard.session(app).user, slug, dashboard.item_changes(fields))
    return dashboard.back_to(app, f"/dashboard/items/{slug}", done=fields["action"])


lambda_handler = entrypoint(app)
