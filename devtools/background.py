"""What AWS does in the background, done locally: S3 notifications and EventBridge schedules."""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from datetime import UTC, datetime

import boto3

from devtools.runner import FunctionFailed, Runner

LOG = logging.getLogger("cloudshare.local")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class S3EventPoller(threading.Thread):
    """Delivers S3 ObjectCreated events (via SQS) to a function, as S3 -> Lambda would.

    Like Lambda's S3 trigger this is at-least-once: a failed invocation leaves the message to be
    delivered again after the queue's visibility timeout.
    """

    def __init__(self, runner: Runner, function_name: str, queue_url: str, stop: threading.Event):
        super().__init__(name=f"s3-events-{function_name}", daemon=True)
        self.runner, self.function_name, self.queue_url, self.stop = runner, function_name, queue_url, stop
        self.sqs = boto3.client("sqs")

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=30
                ).get("Messages", [])
            except Exception:  # the embedded AWS is stopping, or briefly unreachable
                if self.stop.wait(1):
                    return
                continue
            for message in messages:
                self._deliver(message)

    def _deliver(self, message: dict) -> None:
        event = json.loads(message["Body"])
        if "Records" in event:  # S3 sends an s3:TestEvent (no Records) when notifications are set up
            try:
                self.runner.call(self.function_name, event)
            except FunctionFailed:
                LOG.exception("S3 event delivery to %s failed; it will be retried", self.function_name)
                return
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def rate_seconds(expression: str) -> int:
    match = _RATE.match(expression.strip())
    if not match:
        raise ValueError(f"the local scheduler understands rate(N unit) expressions, not {expression!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


class Scheduler(threading.Thread):
    """Invokes a function with an EventBridge 'Scheduled Event' on its rate."""

    def __init__(self, runner: Runner, function_name: str, rule: str, expression: str, stop: threading.Event):
        super().__init__(name=f"schedule-{function_name}", daemon=True)
        self.runner, self.function_name, self.rule, self.stop = runner, function_name, rule, stop
        self.period = rate_seconds(expression)

    def run(self) -> None:
        while not self.stop.wait(self.period):
            try:
                self.runner.call(self.function_name, scheduled_event(self.rule))
            except FunctionFailed:
                LOG.exception("scheduled run of %s failed", self.function_name)


def scheduled_event(rule: str) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:000000000000:rule/{rule}"],
        "detail": {},
    }
