"""SQS: work handed to another function after a write has committed (thumbnails)."""

from __future__ import annotations

import json
from typing import Any

from cloudshare.store.aws import client


def send(queue_url: str, body: dict[str, Any]) -> None:
    if not queue_url:
        raise RuntimeError("this function has no queue to send to (THUMBNAIL_QUEUE_URL is not set)")
    client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(body))
