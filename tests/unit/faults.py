"""Fault injection for unit tests: AWS answers throttling or server errors to chosen operations.

Faults go in front of moto on the very clients the service uses (botocore's before-send), so
botocore's own retry logic (standard mode, backoff) runs exactly as in Lambda; only its sleeps
are skipped to keep tests fast.
"""

from __future__ import annotations

from contextlib import contextmanager

from botocore.awsrequest import AWSResponse
from botocore.retries import standard
from moto.core.botocore_stubber import MockRawResponse

from cloudshare.store.aws import client

# How each service says "slow down" or "try again".
_ERRORS = {
    "dynamodb": (
        400,
        {"Content-Type": "application/x-amz-json-1.0"},
        '{"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", '
        '"message": "injected: rate of requests exceeds the allowed throughput"}',
    ),
    "s3": (
        503,
        {"Content-Type": "application/xml"},
        "<Error><Code>SlowDown</Code><Message>injected: please reduce your request rate</Message></Error>",
    ),
}
ALWAYS = 10**6


class Fault:
    def __init__(self, service: str, operation: str, times: int):
        self.service, self.operation, self.remaining, self.injected = service, operation, times, 0

    def __call__(self, request, event_name: str = "", **_kwargs):
        if event_name != f"before-send.{self.service}.{self.operation}" or self.remaining <= 0:
            return None
        self.remaining -= 1
        self.injected += 1
        # botocore emits before-send to every handler and takes the first answer, so moto would
        # still apply the request; pointing it elsewhere makes moto pass, as the failed call must.
        url, request.url = request.url, "http://fault-injected.invalid/"
        status, headers, body = _ERRORS[self.service]
        return AWSResponse(url, status, headers, MockRawResponse(body))


@contextmanager
def failing(service: str, operation: str, times: int = ALWAYS):
    """The next `times` calls of service.operation fail with a retryable error (ALWAYS: every call)."""
    fault = Fault(service, operation, times)
    events = client(service).meta.events
    # On the generic event, ahead of moto's own before-send handler (a handler on the specific
    # event name would run after it, once moto has already applied the request).
    event_name = "before-send"
    events.register_first(event_name, fault)
    original_delay = standard.ExponentialBackoff.delay_amount
    standard.ExponentialBackoff.delay_amount = lambda self, context: 0
    try:
        yield fault
    finally:
        events.unregister(event_name, fault)
        standard.ExponentialBackoff.delay_amount = original_delay
