"""Sharing an item by e-mail: one message per recipient with its share link, within the plan's daily allowance.

Sends are counted before anything is sent (a conditional write on the owner's profile, so parallel
requests cannot pass the allowance together) and the unsent part is given back if SES fails.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from cloudshare.config import settings
from cloudshare.errors import InvalidInput, LimitExceeded, ServiceUnavailable
from cloudshare.models import Item, User
from cloudshare.observability import logger
from cloudshare.services import clock, lifecycle, links, management
from cloudshare.store import mail, users

if TYPE_CHECKING:
    from jinja2 import Template

MAX_RECIPIENTS = 10
MAX_MESSAGE_LENGTH = 1000
MAX_ADDRESS_LENGTH = 254
# What SES takes as a plain address: ASCII, no display name, no quoted local part, a dotted domain.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def share_by_email(user: User, slug: str, recipients: list[str], message: str | None, base: str) -> list[str]:
    """Sends the item's share link to each recipient; returns the addresses it went to."""
    item = management.owned(user, slug, "share")
    addresses = recipient_addresses(recipients)
    note = _message(message)
    state = lifecycle.public_state(item, clock.iso())
    if state != "available":
        raise InvalidInput(f"Only an available item can be shared; this one is {state}", field="slug")
    sender = settings().share_sender
    if not sender:
        raise ServiceUnavailable("Sharing by e-mail is not configured", field="recipients")
    day, plan = clock.today(), user.plan
    try:
        users.count_shares(user.user_id, day, len(addresses), plan.daily_shares)
    except users.DailyLimit:
        raise LimitExceeded(
            f"Daily share limit reached: the {plan.title} plan sends {plan.daily_shares} e-mails a day",
            field="recipients",
            extra={"limit": plan.daily_shares},
        ) from None
    url = links.share_url(item, base)
    for sent, address in enumerate(addresses):
        try:
            mail.send(compose(user, item, url, note, sender, address))
        except mail.NotSent as failure:
            users.uncount_shares(user.user_id, day, len(addresses) - sent)
            logger.warning("share e-mail not sent", extra={"slug": slug, "sent": sent, "reason": str(failure)})
            raise ServiceUnavailable(
                "The e-mail could not be sent; try again later", field="recipients", extra={"sent": addresses[:sent]}
            ) from None
    return addresses


def recipient_addresses(recipients: list[str]) -> list[str]:
    """Trimmed, lower-cased, de-duplicated (first occurrence kept) and checked addresses."""
    if not recipients:
        raise InvalidInput("recipients must name at least one e-mail address", field="recipients")
    if len(recipients) > MAX_RECIPIENTS:
        raise InvalidInput(f"recipients may name at most {MAX_RECIPIENTS} addresses", field="recipients")
    addresses: list[str] = []
    for raw in recipients:
        address = raw.strip().lower()
        if len(address) > MAX_ADDRESS_LENGTH or not _ADDRESS.match(address):
            raise InvalidInput(f"{raw!r} is not a valid e-mail address", field="recipients")
        if address not in addresses:
            addresses.append(address)
    return addresses


def _message(message: str | None) -> str:
    note = (message or "").strip()
    if len(note) > MAX_MESSAGE_LENGTH:
        raise InvalidInput(f"message is at most {MAX_MESSAGE_LENGTH} characters", field="message")
    return note


def _printable(text: str) -> str:
    """Header-safe: no line breaks or other control characters in a subject."""
    return "".join(character for character in text if character.isprintable())


# Autoescaped: the owner's e-mail, the item's name and the message are user text.
_HTML = """<!doctype html>
<html><body style="font-family: sans-serif">
<p>{{ sharer }} shared <strong>{{ name }}</strong> with you.</p>
{% if note %}<blockquote style="white-space: pre-wrap">{{ note }}</blockquote>
{% endif %}<p><a href="{{ url }}">{{ url }}</a></p>
</body></html>
"""


@cache
def _html_template() -> Template:
    """Compiled on the first e-mail, not at import: a share that is refused never pays for Jinja."""
    from jinja2 import Environment

    return Environment(autoescape=True).from_string(_HTML)


def compose(user: User, item: Item, url: str, note: str, sender: str, recipient: str) -> mail.Mail:
    """The message: plain text and HTML (escaped); one per recipient."""
    text = f'{user.email} shared "{item.name}" with you:\n\n{url}\n' + (f"\n{note}\n" if note else "")
    html = _html_template().render(sharer=user.email, name=item.name, url=url, note=note)
    return mail.Mail(
        sender=sender,
        recipient=recipient,
        subject=_printable(f'{user.email} shared "{item.name}" with you'),
        text=text,
        html=html,
        reply_to=user.email,
    )
