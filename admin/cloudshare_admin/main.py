"""cloudshare-admin: manage users, plans and API keys, on the local stack or a deployed one.

Where the table is: --table NAME, or --stack NAME (reads the CloudFormation output TableName),
or else the running local stack (.local/stack.json written by `make dev`). The bucket (for
`sweep`, `check-consistency`) likewise: --bucket NAME, the stack output BucketName, or the local stack's;
the nonce/grant key secret (`rotate-secret`): --secret-id, the stack output NonceSecretArn, or the local stack's;
and the failed-events queue (for `replay-failed`): --queue-url, the stack output FailedEventsQueueUrl,
or the local stack's.
AWS credentials and region come from boto3's usual chain.

Installed alone (`pipx install ./admin`), it needs only boto3 and the service's layer at run time;
the local stack's runner (devtools) is imported only to replay failed events on the local stack.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

LOCAL_STACK_FILE = Path(".local") / "stack.json"  # written by `make dev` in its checkout


def _local_stack_file() -> Path:
    """`make dev`'s state file, in the current directory or the nearest parent (inside a checkout)."""
    for directory in (Path.cwd(), *Path.cwd().parents):
        if (directory / LOCAL_STACK_FILE).exists():
            return directory / LOCAL_STACK_FILE
    return LOCAL_STACK_FILE


def _connect(options: argparse.Namespace) -> None:
    if options.region:
        os.environ["AWS_DEFAULT_REGION"] = options.region
    if options.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = options.endpoint_url
    table = options.table
    if not table and options.stack:
        table = _stack_output(options.stack, "TableName")
    if not table:
        local = Path(options.local_state) if options.local_state else _local_stack_file()
        if not local.exists():
            sys.exit("cloudshare-admin: say --table or --stack, or start the local stack with `make dev`")
        stack = json.loads(local.read_text())
        options.local_stack = stack
        table = stack["table_name"]
        os.environ.setdefault("BUCKET_NAME", stack.get("bucket_name", ""))
        os.environ.setdefault("NONCE_SECRET_ID", stack.get("nonce_secret_id", ""))
        os.environ.setdefault("AWS_DEFAULT_REGION", stack["region"])
        if stack.get("aws_endpoint"):
            os.environ.setdefault("AWS_ENDPOINT_URL", stack["aws_endpoint"])
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ["TABLE_NAME"] = table
    if getattr(options, "needs_bucket", False):
        _locate(options, "BUCKET_NAME", options.bucket, "BucketName", "--bucket")
    if getattr(options, "needs_secret", False):
        _locate(options, "NONCE_SECRET_ID", options.secret_id, "NonceSecretArn", "--secret-id")


def _locate(options: argparse.Namespace, variable: str, given: str | None, output: str, flag: str) -> None:
    """A resource the command needs: its flag, else the stack's output, else the local stack's (already set)."""
    value = given or (options.stack and _stack_output(options.stack, output))
    if value:
        os.environ[variable] = value
    if not os.environ.get(variable):
        sys.exit(f"cloudshare-admin: say {flag} or --stack, or start the local stack with `make dev`")


def _stack_output(stack_name: str, key: str) -> str:
    import boto3

    stack = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    for output in stack.get("Outputs", []):
        if output["OutputKey"] == key:
            return output["OutputValue"]
    sys.exit(f"cloudshare-admin: stack {stack_name} has no output {key}")


def _password(options: argparse.Namespace) -> tuple[str, bool]:
    """The password to set, and whether it was generated (and so must be shown)."""
    if options.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if options.generate_password:
        return secrets.token_urlsafe(12), True
    return getpass.getpass("Password: "), False


def _print(data) -> None:
    print(json.dumps(data, indent=2))


def create_user(options) -> None:
    from cloudshare.services import accounts

    password, generated = _password(options)
    user = accounts.create_user(options.email, password, options.plan)
    _print(
        {"user_id": user.user_id, "email": user.email, "plan": user.plan_name}
        | ({"password": password} if generated else {})
    )


def set_plan(options) -> None:
    from cloudshare.services import accounts

    user = accounts.set_plan(options.email, options.plan)
    _print({"email": user.email, "plan": user.plan_name})


def set_password(options) -> None:
    from cloudshare.services import accounts

    password, generated = _password(options)
    accounts.set_password(options.email, password)
    _print({"email": options.email} | ({"password": password} if generated else {}))


def turn_off_two_factor(options) -> None:
    from cloudshare.services import two_factor

    _print({"email": options.email, "two_factor_was_on": two_factor.operator_turn_off(options.email)})


def list_users(options) -> None:
    from cloudshare.services import accounts

    _print(
        [
            {
                "email": user.email,
                "plan": user.plan_name,
                "created_at": user.created_at,
                "storage_used": user.storage_used,
            }
            for user in accounts.list_users()
        ]
    )


def create_key(options) -> None:
    from cloudshare.services import accounts

    record, plaintext = accounts.create_api_key(options.email, options.label)
    _print({"key_id": record.key_id, "api_key": plaintext, "note": "shown once; only a hash is stored"})


def rotate_secret(options) -> None:
    from cloudshare.config import settings
    from cloudshare.store import signing_keys

    signing_keys.rotate(settings().require_nonce_secret_id(), keep_previous=not options.drop_previous)
    previous = "dropped" if options.drop_previous else "still verifies until the next rotation"
    _print({"rotated": True, "previous_key": previous})


def list_keys(options) -> None:
    from cloudshare.services import accounts

    _print(
        [
            {"key_id": key.key_id, "label": key.label, "created_at": key.created_at, "revoked_at": key.revoked_at}
            for key in accounts.list_api_keys(options.email)
        ]
    )


def revoke_key(options) -> None:
    from cloudshare.services import accounts

    accounts.revoke_api_key(options.key_id)
    _print({"key_id": options.key_id, "revoked": True})


def list_plans(options) -> None:
    from cloudshare.plans import all_plans

    _print({name: plan.limits() | {"features": plan.features} for name, plan in all_plans().items()})


def sweep(options) -> None:
    from cloudshare.observability import logger
    from cloudshare.services import sweeps
    from cloudshare.services.lifecycle import iso, parse_time

    _logs_to_stderr(logger)
    _print(sweeps.run(now=iso(parse_time(options.now)) if options.now else None).summary())


def _logs_to_stderr(logger) -> None:
    """The service's log lines go to stderr; the command's report alone to stdout."""
    handler = logger.registered_handler
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(sys.stderr)


def check_consistency(options) -> None:
    from cloudshare_admin.consistency import check

    report = check(os.environ["TABLE_NAME"], os.environ["BUCKET_NAME"])
    _print(report.summary())
    if not report.consistent:
        sys.exit(1)


def replay_failed(options) -> None:
    """Each destination record in the failed-events queue: its original event (requestPayload) invoked
    again on its function, synchronously; the message is deleted only if that succeeded."""
    local = getattr(options, "local_stack", None)
    queue_url = (
        options.queue_url
        or (options.stack and _stack_output(options.stack, "FailedEventsQueueUrl"))
        or (local and local.get("queues", {}).get("FailedEventsQueue"))
    )
    if not queue_url:
        sys.exit("cloudshare-admin: say --queue-url or --stack, or start the local stack with `make dev`")
    report = replay(queue_url, _local_invoke(local) if local else _lambda_invoke)
    _print(report)
    if report["failed"]:
        sys.exit(1)


Invoke = Callable[[str, dict], str | None]  # (function name, event) -> None, or why it failed


def replay(queue_url: str, invoke: Invoke, visibility_seconds: int = 300) -> dict:
    """Replays every failed event in the queue once. A failed replay stays in the queue, hidden for
    visibility_seconds, for a later replay; this run stops when it meets one it has already tried."""
    import boto3

    sqs = boto3.client("sqs")
    report, tried = {"replayed": 0, "failed": 0, "events": []}, set()
    while messages := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=visibility_seconds
    ).get("Messages", []):
        if tried & {message["MessageId"] for message in messages}:
            break
        for message in messages:
            tried.add(message["MessageId"])
            record = json.loads(message["Body"])
            context = record.get("requestContext", {})
            function = context.get("functionArn", "").split(":")[6] if "functionArn" in context else None
            error = invoke(function, record["requestPayload"]) if function else "not a Lambda destination record"
            report["events"].append(
                {"function": function, "failed_at": record.get("timestamp"), "replayed": error is None}
                | ({"error": error} if error else {})
            )
            if error is None:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                report["replayed"] += 1
            else:
                report["failed"] += 1
    return report


def _lambda_invoke(function: str, event: dict) -> str | None:
    """A deployed function, invoked and waited for (a sweep may take its whole timeout)."""
    import boto3
    from botocore.config import Config

    response = boto3.client("lambda", config=Config(read_timeout=900, retries={"max_attempts": 0})).invoke(
        FunctionName=function, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
    )
    if "FunctionError" in response:
        return json.loads(response["Payload"].read() or b"{}").get("errorMessage", response["FunctionError"])
    return None


def _local_invoke(stack: dict) -> Invoke:
    """The local stack's way: its handlers, in this process, with the environment it gives them (the
    checkout's devtools: only the local stack runs functions this way)."""
    from cloudshare.observability import logger
    from devtools.runner import InProcessRunner

    _logs_to_stderr(logger)

    runner = InProcessRunner()
    for name, value in stack.get("environment", {}).items():
        os.environ.setdefault(name, value)
    return runner_invoke(runner)


def runner_invoke(runner) -> Invoke:
    """Invokes through an InProcessRunner, as the local stack runs its functions."""
    from devtools.runner import FunctionFailed

    def invoke(function: str, event: dict) -> str | None:
        try:
            with contextlib.redirect_stdout(sys.stderr):  # the handlers' logs and metrics; the report alone on stdout
                runner.call(function, event)
        except FunctionFailed as failure:
            return str(failure)
        return None

    return invoke


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cloudshare-admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--table", help="DynamoDB table name")
    parser.add_argument("--stack", help="CloudFormation stack name (reads its TableName output)")
    parser.add_argument("--bucket", help="S3 bucket name (for sweep; else the stack's BucketName output)")
    parser.add_argument("--endpoint-url", help="AWS endpoint (LocalStack, moto); default: AWS itself")
    parser.add_argument("--region")
    parser.add_argument("--local-state", help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name, function, help_text):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(run=function)
        return sub

    def password_options(sub):
        group = sub.add_mutually_exclusive_group()
        group.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        group.add_argument("--generate-password", action="store_true", help="generate one and print it")

    sub = command("create-user", create_user, "create an account (asks for a password)")
    sub.add_argument("email")
    sub.add_argument("--plan", default="free")
    password_options(sub)
    sub = command("set-plan", set_plan, "move an account to another plan")
    sub.add_argument("email")
    sub.add_argument("plan")
    sub = command("set-password", set_password, "set an account's password")
    sub.add_argument("email")
    password_options(sub)
    sub = command(
        "turn-off-two-factor",
        turn_off_two_factor,
        "turn off an account's two-factor sign-in, for an owner who lost both the app and the recovery codes",
    )
    sub.add_argument("email")
    command("list-users", list_users, "list accounts")
    sub = command("create-key", create_key, "create an API key (shown once)")
    sub.add_argument("email")
    sub.add_argument("--label", default="")
    sub = command("list-keys", list_keys, "list an account's API keys (ids, never secrets)")
    sub.add_argument("email")
    sub = command("revoke-key", revoke_key, "revoke an API key by its id")
    sub.add_argument("key_id")
    command("plans", list_plans, "show the plans and their limits")
    sub = command("sweep", sweep, "run a lifecycle sweep now: expire, abandon stale uploads, purge after retention")
    sub.add_argument(
        "--now",
        help="decide as if it were this ISO 8601 time (default: now); a later time purges what would be due then",
    )
    sub.set_defaults(needs_bucket=True)
    sub = command(
        "replay-failed",
        replay_failed,
        "invoke again the S3 finalize and sweep events that failed every retry (the failed-events "
        "queue); each one that succeeds leaves the queue",
    )
    sub.add_argument(
        "--queue-url", help="the queue (default: the stack output FailedEventsQueueUrl, or the local stack's)"
    )
    sub = command(
        "check-consistency",
        check_consistency,
        "audit counters against items and items against S3 objects (reads everything; exit 1 if anything disagrees)",
    )
    sub.set_defaults(needs_bucket=True)
    sub = command(
        "rotate-secret",
        rotate_secret,
        "new nonce/grant key; the old one still verifies (until the next rotation) unless --drop-previous",
    )
    sub.add_argument("--secret-id", help="the secret's ARN or name (else the stack output NonceSecretArn)")
    sub.add_argument(
        "--drop-previous",
        action="store_true",
        help="after a leak: the old key verifies nothing more; outstanding nonces, grants and tickets end",
    )
    sub.set_defaults(needs_secret=True)
    return parser


def main(argv: list[str] | None = None) -> None:
    from cloudshare.errors import CloudshareError

    options = build_parser().parse_args(argv)
    if options.command != "plans":
        _connect(options)
    try:
        options.run(options)
    except CloudshareError as error:
        sys.exit(f"cloudshare-admin: {error.message}")


if __name__ == "__main__":
    main()
