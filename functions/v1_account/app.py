"""GET /api/v1/account — the caller's account, plan limits and usage."""

from cloudshare.dialects import v1
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import accounts

app = v1.resolver()


@app.get("/api/v1/account")
def get_account() -> dict:
    return v1.account(accounts.summarize(caller(app).user))


lambda_handler = entrypoint(app)
