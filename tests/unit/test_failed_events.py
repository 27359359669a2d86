"""Asynchronous invocations that fail every retry keep their event (on-failure destination queue), and
`cloudshare-admin replay-failed` runs them again; the local stack emulates the destination."""

import json
from collections.abc import Iterator

import boto3

from cloudshare.observability import logger
from cloudshare.services import uploads
from cloudshare.store import items, users
from cloudshare_admin import main as admin
from cloudshare_admin.consistency import check
from devtools.background import AsyncInvoker
from devtools.template import ROOT, on_failure_queue, template
from tests.unit.faults import failing
from tests.unit.helpers import BUCKET, TABLE


def failed_events_queue() -> str:
    return boto3.client("sqs").get_queue_url(QueueName=f"{TABLE}-FailedEventsQueue")["QueueUrl"]


def waiting_records() -> list[dict]:
    """The destination records in the queue, left visible for whoever reads next."""
    messages = (
        boto3.client("sqs")
        .receive_message(QueueUrl=failed_events_queue(), MaxNumberOfMessages=10, VisibilityTimeout=0)
        .get("Messages", [])
    )
    return [json.loads(message["Body"]) for message in messages]


def object_created(key: str) -> dict:
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": key}},
            }
        ]
    }


def test_the_template_sends_failed_finalize_and_sweep_events_to_the_queue():
    assert on_failure_queue("S3FinalizeFunction") == (2, "FailedEventsQueue")
    assert on_failure_queue("SweepFunction") == (1, "FailedEventsQueue")


def test_given_a_finalize_that_fails_every_retry_then_replay_settles_its_upload(
    runner, user, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(logger.registered_handler, "stream", logger.registered_handler.stream)  # the CLI moves it
    # Given bytes in S3 whose finalize fails on every try (DynamoDB refuses its transaction)
    ticket = uploads.request_upload(user["user"], "a.txt", 5, None, None)
    boto3.client("s3").put_object(Bucket=BUCKET, Key=ticket.version.object_key, Body=b"hello")
    retries, _ = on_failure_queue("S3FinalizeFunction")
    invoke = AsyncInvoker(runner, "S3FinalizeFunction", failed_events_queue(), retries)
    event = object_created(ticket.version.object_key)
    with failing("dynamodb", "TransactWriteItems"):
        invoke(event)

    # Then its event waits in the failed-events queue, as Lambda's destination record
    assert items.get(ticket.item.slug).state == "pending"
    [record] = waiting_records()
    assert record["requestPayload"] == event
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1 + retries
    assert record["requestContext"]["functionArn"].split(":")[6] == "S3FinalizeFunction"

    # When a replay fails too, the event stays for the next one
    with failing("dynamodb", "TransactWriteItems"):
        report = admin.replay(failed_events_queue(), admin.runner_invoke(runner), visibility_seconds=0)
    assert (report["replayed"], report["failed"]) == (0, 1) and len(waiting_records()) == 1

    # When the operator replays it on the local stack, with DynamoDB back
    state = tmp_path / "stack.json"  # what `make dev` writes
    state.write_text(
        json.dumps(
            {
                "table_name": TABLE,
                "bucket_name": BUCKET,
                "region": "us-east-1",
                "queues": {"FailedEventsQueue": failed_events_queue()},
            }
        )
    )
    admin.main(["--local-state", str(state), "replay-failed"])

    # Then the upload is settled, counted once, and the queue is empty
    report = json.loads(capsys.readouterr().out)
    assert (report["replayed"], report["failed"]) == (1, 0)
    assert report["events"][0]["function"] == "S3FinalizeFunction"
    assert items.get(ticket.item.slug).state == "ready"
    assert users.get_user(user["user"].user_id).storage_used == 5
    assert waiting_records() == []
    assert check(TABLE, BUCKET).consistent


def alarms() -> list[dict]:
    return [
        resource["Properties"]
        for resource in template()["Resources"].values()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    ]


def watched(alarm: dict) -> Iterator[tuple[str, str, str | None]]:
    """(namespace, metric, what its dimension names) of each metric an alarm reads, direct or in math."""
    stats = [query["MetricStat"]["Metric"] for query in alarm.get("Metrics", []) if "MetricStat" in query]
    for metric in stats or [alarm]:
        value = (metric.get("Dimensions") or [{}])[0].get("Value")
        if isinstance(value, dict):  # !Ref Function or !GetAtt Queue.QueueName: the logical id
            value = value.get("Ref") or value["Fn::GetAtt"][0]
        yield metric["Namespace"], metric["MetricName"], value


def test_alarms_watch_failed_events_throttles_errors_and_the_metrics_the_code_emits():
    every = {entry for alarm in alarms() for entry in watched(alarm)}
    for function in ("S3FinalizeFunction", "SweepFunction", "ThumbnailFunction"):
        assert {("AWS/Lambda", "Errors", function), ("AWS/Lambda", "Throttles", function)} <= every
    assert {("AWS/Lambda", "Errors", None), ("AWS/Lambda", "Throttles", None)} <= every  # all functions
    for queue in ("FailedEventsQueue", "ThumbnailDeadLetterQueue"):
        assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue) in every
    source = "\n".join(path.read_text() for path in (ROOT / "layers" / "shared").rglob("*.py"))
    custom = {metric for namespace, metric, _ in every if namespace == "cloudshare"}
    assert custom == {"UnexpectedError", "SweepErrors"}
    assert all(f'"{metric}"' in source for metric in custom)  # the names the code emits
    assert all(alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}] for alarm in alarms())
