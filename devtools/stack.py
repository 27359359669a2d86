"""`make dev`: the whole template on this machine, no Docker, no AWS account.

- an embedded AWS (moto server) unless --aws-endpoint points elsewhere (LocalStack, real AWS);
- the table and bucket created from template.yaml's Properties;
- the template's S3 events (filters included) -> a queue per function -> a poller that invokes it,
  as Lambda invokes asynchronously (retries, then the on-failure queue of EventInvokeConfig);
- Schedule events run on their rate, invoked the same way;
- the template's SQS queues, and SQS-triggered functions fed from them;
- SAM CLI's own local API Gateway (routing, event construction) in front of the handlers, each
  function in its own worker processes (devtools.workers), as Lambda runs execution environments.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from devtools.template import (
    ROOT,
    create_resources,
    functions_with_event,
    http_routes,
    on_failure_queue,
    s3_subscriptions,
    template,
)

LOG = logging.getLogger("cloudshare.local")
DEMO_EMAIL = "demo@cloudshare.local"
DEMO_PLAN = "pro"
EMBEDDED = "embedded"
# A bound, not a wait: serving takes ~15 s of CPU (moto, SAM's routes, the fork server's imports, the
# first cold start), which took 93 s of wall time on a 2-CPU machine running eight test suites.
STARTUP_SECONDS = 240


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make dev", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--host", default=os.environ.get("CLOUDSHARE_HOST", "127.0.0.1"))
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("CLOUDSHARE_API_PORT", "3000")))
    parser.add_argument("--aws-port", type=int, default=int(os.environ.get("CLOUDSHARE_AWS_PORT", "4566")))
    parser.add_argument(
        "--aws-endpoint",
        default=os.environ.get("CLOUDSHARE_AWS_ENDPOINT", EMBEDDED),
        help="'embedded' (moto server, default), an endpoint URL (e.g. LocalStack), or 'aws' for real AWS",
    )
    parser.add_argument(
        "--name",
        default=os.environ.get("CLOUDSHARE_LOCAL_NAME", "cloudshare-local"),
        help="prefix of the table, bucket and queue names",
    )
    parser.add_argument(
        "--max-instances",
        type=int,
        default=int(os.environ.get("CLOUDSHARE_MAX_INSTANCES", "4")),
        help="concurrent execution environments (worker processes) per function",
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=float(os.environ.get("CLOUDSHARE_IDLE_SECONDS", "300")),
        help="an environment idle this long is stopped, as Lambda recycles idle ones",
    )
    # Every test client is 127.0.0.1: one address for all of them, where AWS would see one per client.
    parser.add_argument(
        "--failures-before-backoff",
        type=int,
        default=None,
        help="the FailuresBeforeBackoff parameter for the functions (default: the template's)",
    )
    parser.add_argument("--state-dir", type=Path, default=Path(os.environ.get("CLOUDSHARE_STATE_DIR", ROOT / ".local")))
    return parser.parse_args(argv)


class LocalStack:
    def __init__(self, options: argparse.Namespace):
        self.options = options
        self.table_name = options.name
        self.bucket_name = f"{options.name}-files"
        self.queues: dict[str, str] = {}  # the template's SQS queues: logical id -> URL
        self.environment: dict[str, str] = {}  # what the functions get, secrets left out
        self.event_queues: dict[str, str] = {}  # S3-event function -> the queue of its notifications
        self.stop_event = threading.Event()
        self._moto = None
        self._api_socket: socket.socket | None = None
        self.runner = None
        self.nonce_secret_arn = ""

    @property
    def api_url(self) -> str:
        return f"http://{self.options.host}:{self.options.api_port}"

    def bind_api(self) -> None:
        """Binds the API's port before anything is configured with its address: port 0 takes a free one, chosen
        by the kernel as it binds (a port picked earlier and bound later can be taken meanwhile, by another
        stack starting beside this one), and a port in use fails at once."""
        self._api_socket = socket.create_server((self.options.host, self.options.api_port))
        self.options.api_port = self._api_socket.getsockname()[1]

    # ------------------------------------------------------------------ AWS side
    def start_aws(self) -> str | None:
        options = self.options
        if options.aws_endpoint == EMBEDDED:
            from moto.server import ThreadedMotoServer

            from devtools.moto_writes import dynamodb_guarantees

            dynamodb_guarantees()  # atomic, serializable, idempotent writes at the cost of what they touch
            if options.aws_port:
                # moto binds in its thread and, when it cannot, waits for ever: a port in use fails here instead
                socket.create_server((options.host, options.aws_port)).close()
            self._moto = ThreadedMotoServer(ip_address=options.host, port=options.aws_port, verbose=False)
            self._moto.start()
            options.aws_port = self._moto.get_host_and_port()[1]  # the kernel's choice for port 0
            endpoint = f"http://{options.host}:{options.aws_port}"
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        elif options.aws_endpoint == "aws":
            endpoint = None
        else:
            endpoint = options.aws_endpoint
        if endpoint:
            os.environ["AWS_ENDPOINT_URL"] = endpoint
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        return endpoint

    def create_resources(self) -> None:
        import boto3

        resources = create_resources(self.options.name)
        self.nonce_secret_arn, self.queues = resources.nonce_secret_arn, resources.queues
        if s3_subscriptions():
            self._wire_bucket_notifications(boto3.client("s3"), boto3.client("sqs"))
        if os.environ.get("AWS_ENDPOINT_URL"):  # an emulated SES (never real AWS: that would mail the address)
            boto3.client("ses").verify_email_identity(EmailAddress=_share_sender())

    def _wire_bucket_notifications(self, s3, sqs) -> None:
        """One queue per S3-event function, subscribed with that function's own events and filters
        from template.yaml, so each function gets what AWS would deliver to it and nothing else."""
        configurations = []
        for function, subscriptions in s3_subscriptions().items():
            queue_url = sqs.create_queue(QueueName=f"{self.options.name}-{function}"[:80])["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
            configurations += [{"QueueArn": attributes["QueueArn"], **subscription} for subscription in subscriptions]
            self.event_queues[function] = queue_url
        s3.put_bucket_notification_configuration(
            Bucket=self.bucket_name, NotificationConfiguration={"QueueConfigurations": configurations}
        )

    # ------------------------------------------------------------------ functions
    def configure_functions(self) -> None:
        from devtools.workers import ProcessRunner

        self.runner = ProcessRunner(self.options.max_instances, self.options.idle_seconds)
        # Links are built from configuration or API Gateway's domainName, which SAM's local gateway
        # copies from the Host header: so the local stack configures its own address.
        physical = {
            "TABLE_NAME": self.table_name,
            "BUCKET_NAME": self.bucket_name,
            "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL") or self.api_url,
            # the public function URL's routes are served on the API's port (serve_api)
            "SHARE_BASE_URL": os.environ.get("SHARE_BASE_URL") or self.api_url,
            "NONCE_SECRET_ID": self.nonce_secret_arn,
        }
        if self.options.failures_before_backoff is not None:
            physical["FAILURES_BEFORE_BACKOFF"] = str(self.options.failures_before_backoff)
        for name, value in self.runner.environment().items():
            # a queue's !Ref arrives as its logical id; the functions get its local URL
            os.environ[name] = self.environment[name] = physical.get(name, self.queues.get(value, value))
        for name, value in (
            ("POWERTOOLS_TRACE_DISABLED", "true"),
            ("POWERTOOLS_METRICS_DISABLED", "true"),
            ("POWERTOOLS_DEV", "false"),
        ):
            self.environment[name] = os.environ.setdefault(name, value)

    def create_demo_account(self) -> dict:
        from cloudshare.errors import InvalidInput
        from cloudshare.services import accounts

        password = secrets.token_urlsafe(12)
        try:
            accounts.create_user(DEMO_EMAIL, password, DEMO_PLAN)
        except InvalidInput:  # a persistent endpoint (LocalStack, AWS) already has the demo user
            accounts.set_password(DEMO_EMAIL, password)
        _, api_key = accounts.create_api_key(DEMO_EMAIL, label="make dev")
        api_url = self.api_url
        credentials = {"email": DEMO_EMAIL, "password": password, "api_key": api_key, "api_url": api_url}
        state_dir = self.options.state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        _write_private(state_dir / "credentials.json", credentials)
        _write_private(
            state_dir / "stack.json",
            {
                "aws_endpoint": os.environ.get("AWS_ENDPOINT_URL"),
                "region": os.environ["AWS_DEFAULT_REGION"],
                "table_name": self.table_name,
                "bucket_name": self.bucket_name,
                "nonce_secret_id": self.nonce_secret_arn,
                "api_url": api_url,
                # cloudshare-admin replay-failed reads the failed-events queue and runs functions like this stack
                "queues": self.queues,
                "environment": self.environment,
            },
        )
        return credentials

    # ------------------------------------------------------------------ background work
    def start_background(self) -> None:
        import boto3

        from devtools.background import AsyncInvoker, QueuePoller, Scheduler, s3_notifications, sqs_trigger

        def invoker(name: str) -> AsyncInvoker:
            retries, failure_queue = on_failure_queue(name)
            return AsyncInvoker(self.runner, name, self.queues.get(failure_queue), retries)

        for name, queue_url in self.event_queues.items():
            QueuePoller(f"s3-events-{name}", queue_url, s3_notifications(invoker(name)), self.stop_event).start()
        for name, events in functions_with_event("Schedule").items():
            for event_name, event in events.items():
                Scheduler(invoker(name), event_name, event["Schedule"], self.stop_event).start()
        sqs = boto3.client("sqs")
        for name, events in functions_with_event("SQS").items():
            for event in events.values():
                url = self.queues[event["Queue"]["Fn::GetAtt"][0]]
                arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
                QueuePoller(f"sqs-{name}", url, sqs_trigger(self.runner, name, arn), self.stop_event).start()

    def serve_api(self) -> None:
        from samcli.lib.providers.api_provider import ApiProvider
        from samcli.local.apigw.local_apigw_service import LocalApigwService
        from samcli.local.apigw.route import Route

        api = ApiProvider(self.runner.stacks, cwd=str(ROOT)).api
        # A function URL's routes, on the same port: SAM builds their events in payload format 2.0, as
        # a function URL does (AWS serves them on the URL's own host; PUBLIC_BASE_URL names it there).
        urls = [(function, method, path) for function, method, path, front in http_routes() if front == "url"]
        api.routes += [
            Route(function, path, [method], event_type=Route.HTTP, payload_format_version="2.0")
            for function, method, path in urls
        ]
        runner = _FunctionUrls(self.runner, {function for function, _, _ in urls})
        service = LocalApigwService(api, runner, port=self.options.api_port, host=self.options.host)
        service.create()
        service._app.after_request(_no_content_type_on_204)
        routes = sorted(f"{method:6} {route.path}" for route in api.routes for method in route.methods)
        LOG.info("routes:\n  %s", "\n  ".join(routes))
        from werkzeug.serving import make_server

        # SAM's service.run() would bind the port again; this serves its app on the socket bound at start
        assert self._api_socket is not None, "bind_api() first"
        server = make_server(
            self.options.host, self.options.api_port, service._app, threaded=True, fd=self._api_socket.fileno()
        )
        server.serve_forever()

    def stop(self) -> None:
        self.stop_event.set()
        if self.runner:
            self.runner.close()
        if self._moto:
            self._moto.stop()


class _FunctionUrls:
    """The runner as SAM's gateway sees it, with a function URL's events made what AWS sends: SAM builds
    them as an HTTP API stage's (its stage name, a route key, path parameters); a function URL's stage
    and route key are "$default", and it names no path parameters (the function routes)."""

    def __init__(self, runner, functions: set[str]) -> None:
        self.runner, self.functions = runner, functions

    def invoke(self, function_identifier: str, event: str, **kwargs) -> None:
        if function_identifier in self.functions:
            request = json.loads(event)
            context = request["requestContext"]
            request["routeKey"] = context["routeKey"] = context["stage"] = "$default"
            request.pop("pathParameters", None)
            event = json.dumps(request)
        return self.runner.invoke(function_identifier, event, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.runner, name)


def _no_content_type_on_204(response):
    """SAM's gateway labels every answer without a Content-Type `application/json`, a 204 too; a 204
    has no content to label (the handlers send none)."""
    if response.status_code == 204:
        response.headers.pop("Content-Type", None)
    return response


def _share_sender() -> str:
    """The sender the functions will use (configure_functions sets the template's value)."""
    return template()["Parameters"]["ShareSenderEmail"]["Default"]


def _write_private(path: Path, data: dict) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(json.dumps(data, indent=2) + "\n")


def start_stack(state_dir: Path, *options: str) -> tuple[subprocess.Popen, dict]:
    """Starts `make dev` on free ports for another program (the tests, the soak), its output in
    state_dir/stack.log; returns once it answers, with its credentials (and state_dir). The stack binds
    port 0 itself and writes the ports it got into its credentials and stack.json."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    credentials_file = state_dir / "credentials.json"
    credentials_file.unlink(missing_ok=True)  # a previous run's would be taken for this one's
    with open(state_dir / "stack.log", "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devtools.stack",
                "--api-port",
                "0",
                "--aws-port",
                "0",
                "--state-dir",
                str(state_dir),
                *options,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        return process, _wait_until_serving(process, state_dir) | {"state_dir": state_dir}
    except BaseException:
        process.kill()
        raise


def _wait_until_serving(process: subprocess.Popen, state_dir: Path) -> dict:
    credentials_file = state_dir / "credentials.json"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"local stack exited early:\n{(state_dir / 'stack.log').read_text()}")
        if credentials_file.exists():
            try:
                credentials = json.loads(credentials_file.read_text())
                requests.get(f"{credentials['api_url']}/v3/account", timeout=5)
                return credentials
            except (requests.ConnectionError, requests.Timeout, ValueError):
                pass
        time.sleep(0.2)  # polls for the condition above
    raise RuntimeError(f"local stack did not answer in {STARTUP_SECONDS}s:\n{(state_dir / 'stack.log').read_text()}")


def stop_stack(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=60)  # dozens of workers and GBs of emulated AWS on a busy machine
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("werkzeug", "samcli", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("SAM_CLI_TELEMETRY", "0")
    options = parse_args(argv)
    stack = LocalStack(options)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Started from a background job (`nohup make dev &`, a CI step), Python inherits an ignored SIGINT;
    # the tests and the soak stop the stack with SIGINT, as Ctrl-C does.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        stack.bind_api()
        endpoint = stack.start_aws()
        stack.create_resources()
        stack.configure_functions()
        credentials = stack.create_demo_account()
        stack.start_background()
        LOG.info(
            "cloudshare is running\n  API:      %s\n  AWS:      %s\n  e-mail:   %s\n  password: %s\n"
            "  API key:  %s\n  (saved in %s)",
            credentials["api_url"],
            endpoint or "real AWS",
            credentials["email"],
            credentials["password"],
            credentials["api_key"],
            options.state_dir / "credentials.json",
        )
        stack.serve_api()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        LOG.info("cloudshare stopped")


if __name__ == "__main__":
    main()
