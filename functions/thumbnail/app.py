"""Thumbnail queue -> the thumbnail of one settled image version (off the request path, bounded)."""

import json

from cloudshare.observability import instrumented
from cloudshare.services import thumbnails


def thumbnail(event: dict, context) -> None:
    # One message per invocation (BatchSize 1): an error fails only it, and SQS delivers it again.
    for record in event.get("Records", []):
        request = json.loads(record["body"])
        thumbnails.make(request["slug"], int(request["version"]))


lambda_handler = instrumented(thumbnail)
