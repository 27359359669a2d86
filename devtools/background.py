"""What AWS does in the background, done locally: S3 notifications, EventBridge schedules, SQS triggers,
and the asynchronous invocations' retries and on-failure destinations."""

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


class AsyncInvoker:
    """Lambda's asynchronous invocation (S3 notifications, schedules): on failure the event is retried
    (immediately here, after 1 and 2 minutes in AWS), then its destination record goes to the function's
    on-failure queue, as the template's EventInvokeConfig says. Without a destination it is dropped."""

    def __init__(self, runner: Runner, function_name: str, failure_queue_url: str | None, retries: int):
        self.runner, self.function_name = runner, function_name
        self.failure_queue_url, self.retries = failure_queue_url, retries

    def __call__(self, event: dict) -> None:
        for _attempt in range(1 + self.retries):
            try:
                self.runner.call(self.function_name, event)
                return
            except FunctionFailed as error:
                failure = error
        LOG.error("%s failed %d times: %s", self.function_name, 1 + self.retries, failure)
        if self.failure_queue_url:
            boto3.client("sqs").send_message(
                QueueUrl=self.failure_queue_url,
                MessageBody=json.dumps(destination_record(self.function_name, event, failure, 1 + self.retries)),
            )


def destination_record(function_name: str, event: dict, failure: FunctionFailed, attempts: int) -> dict:
    """What Lambda sends to an on-failure destination: the original event is requestPayload."""
    cause = failure.__cause__
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"arn:aws:lambda:us-east-1:000000000000:function:{function_name}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": str(cause or failure), "errorType": type(cause or failure).__name__},
    }


class QueuePoller(threading.Thread):
    """Receives messages from an SQS queue and hands each to `deliver`; a message is deleted once
    delivered, else SQS makes it visible again after its visibility timeout (and, past the queue's
    maxReceiveCount, moves it to its dead-letter queue)."""

    def __init__(self, name: str, queue_url: str, deliver, stop: threading.Event):
        super().__init__(name=name, daemon=True)
        self.queue_url, self.deliver, self.stop = queue_url, deliver, stop
        self.sqs = boto3.client("sqs")

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
                ).get("Messages", [])
            except Exception:  # the embedded AWS is stopping, or briefly unreachable
                if self.stop.wait(1):
                    return
                continue
            for message in messages:
                try:
                    self.deliver(message)
                except FunctionFailed:
                    LOG.exception("delivery from %s failed; SQS delivers it again", self.name)
                    continue
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def s3_notifications(invoke: AsyncInvoker):
    """S3 -> SQS messages delivered as S3 -> Lambda would: the body is the S3 event, invoked asynchronously."""

    def deliver(message: dict) -> None:
        event = json.loads(message["Body"])
        if "Records" in event:  # S3 sends an s3:TestEvent (no Records) when notifications are set up
            invoke(event)

    return deliver


def sqs_trigger(runner: Runner, function_name: str, queue_arn: str):
    """An SQS event source mapping with BatchSize 1: one record per invocation."""

    def deliver(message: dict) -> None:
        runner.call(
            function_name,
            {
                "Records": [
                    {
                        "messageId": message["MessageId"],
                        "receiptHandle": message["ReceiptHandle"],
                        "body": message["Body"],
                        "attributes": message.get("Attributes", {}),
                        "messageAttributes": {},
                        "md5OfBody": message["MD5OfBody"],
                        "eventSource": "aws:sqs",
                        "eventSourceARN": queue_arn,
                        "awsRegion": "us-east-1",
                    }
                ]
            },
        )

    return deliver


def rate_seconds(expression: str) -> int:
    match = _RATE.match(expression.strip())
    if not match:
        raise ValueError(f"the local scheduler understands rate(N unit) expressions, not {expression!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


class Scheduler(threading.Thread):
    """Invokes a function with an EventBridge 'Scheduled Event' on its rate."""

    def __init__(self, invoke: AsyncInvoker, rule: str, expression: str, stop: threading.Event):
        super().__init__(name=f"schedule-{invoke.function_name}", daemon=True)
        self.invoke, self.rule, self.stop = invoke, rule, stop
        self.period = rate_seconds(expression)

    def run(self) -> None:
        while not self.stop.wait(self.period):
            self.invoke(scheduled_event(self.rule))


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
