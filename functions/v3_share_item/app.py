"""POST /v3/items/{slug}/share — e-mails the item's share link (and an optional message) to recipients."""

from cloudshare.dialects import v3
from cloudshare.dialects.http import JsonBody, base_url, body, caller, entrypoint
from cloudshare.dialects.v3_bodies import EmailShare
from cloudshare.services import email_shares

app = v3.resolver(body=JsonBody(EmailShare))


@app.post("/v3/items/<slug>/share")
def share_item(slug: str) -> dict:
    request: EmailShare = body(app)
    sent = email_shares.share_by_email(caller(app).user, slug, request.recipients, request.message, base_url(app))
    return v3.email_share(sent)


lambda_handler = entrypoint(app)
