"""POST /v3/items/{slug}/share — e-mails the item's share link (and an optional message) to recipients."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from cloudshare.dialects import v3
from cloudshare.dialects.http import base_url, caller, entrypoint
from cloudshare.dialects.v3_bodies import EmailShare
from cloudshare.services import email_shares

app = v3.resolver(validate=True)


@app.post("/v3/items/<slug>/share")
def share_item(slug: str, request: Annotated[EmailShare, Body()]) -> dict:
    sent = email_shares.share_by_email(caller(app).user, slug, request.recipients, request.message, base_url(app))
    return v3.email_share(sent)


lambda_handler = entrypoint(app)
