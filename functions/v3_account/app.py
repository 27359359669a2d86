"""GET /v3/account — the caller's account, plan limits and usage."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import accounts

app = v3.resolver()


@app.get("/v3/account")
def get_account() -> dict:
    return v3.account(accounts.summarize(caller(app).user))


lambda_handler = entrypoint(app)
