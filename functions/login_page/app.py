"""GET /login — the dashboard's sign-in form."""

from cloudshare.dialects import dashboard, pages
from cloudshare.dialects.http import entrypoint

app = dashboard.resolver(signed_in=False)


@app.get("/login", responses=pages.HTML_ANSWERS)
def login_page():
    return dashboard.login_page(app)


lambda_handler = entrypoint(app)
