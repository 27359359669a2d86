"""Outgoing e-mail through Amazon SES (the classic API: its client model loads at half the size of sesv2's)."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from cloudshare.store.aws import client


class NotSent(Exception):
    """SES refused or could not take the message."""


@dataclass(frozen=True)
class Mail:
    sender: str
    recipient: str
    subject: str
    text: str
    html: str
    reply_to: str | None = None


def send(mail: Mail) -> str:
    """Sends one message to one recipient (nobody sees the other recipients); returns SES's message id."""
    extra = {"ReplyToAddresses": [mail.reply_to]} if mail.reply_to else {}
    try:
        response = client("ses").send_email(
            Source=mail.sender,
            Destination={"ToAddresses": [mail.recipient]},
            Message={
                "Subject": {"Data": mail.subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": mail.text, "Charset": "UTF-8"},
                    "Html": {"Data": mail.html, "Charset": "UTF-8"},
                },
            },
            **extra,
        )
    except ClientError as error:  # its message may name addresses: only the code travels on
        raise NotSent(error.response["Error"]["Code"]) from error
    except BotoCoreError as error:
        raise NotSent(type(error).__name__) from error
    message_id: str = response["MessageId"]
    return message_id
