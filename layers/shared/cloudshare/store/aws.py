"""Lazily created AWS clients, shared by the process (a warm Lambda reuses them).

AWS_ENDPOINT_URL (honoured by botocore itself) points every client at the local stack.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode backs off on throttling and transient errors, so callers never loop.
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)
# Presigned POSTs and GETs are signed with SigV4: S3 refuses SigV2 on buckets made since 2020, and
# botocore would still pick SigV2 in us-east-1.
# SES answers in milliseconds or not at all: short waits, so that a share of several e-mails fails
# cleanly (and gives back what it counted) well inside its function's timeout.
_SERVICE_CONFIG = {
    "s3": _CLIENT_CONFIG.merge(Config(signature_version="s3v4")),
    "ses": _CLIENT_CONFIG.merge(
        Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=3)
    ),
}


@cache
def client(service: str) -> Any:
    # Any: boto3's stubs type a client only by a literal service name, and this one is a value.
    return boto3.client(service, config=_SERVICE_CONFIG.get(service, _CLIENT_CONFIG))  # type: ignore[call-overload]
