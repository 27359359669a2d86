"""POST /dashboard/keys — a new API key, shown once on the account page."""

from cloudshare.dialects import dashboard, pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import accounts

app = dashboard.resolver()


@app.post("/dashboard/keys", responses=pages.HTML_ANSWERS)
def dashboard_create_key():
    user = dashboard.session(app).user
    _record, plaintext = accounts.add_api_key(user, dashboard.key_label(dashboard.form(app)))
    return dashboard.account_page(app, new_key=plaintext)


lambda_handler = entrypoint(app)
