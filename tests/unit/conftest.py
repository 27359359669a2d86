"""Unit tests: the shared layer and the handlers against moto in-process, tables from template.yaml."""

import boto3
import pytest
from moto import mock_aws
from moto.core.base_backend import BackendDict

from cloudshare.config import settings
from cloudshare.services import accounts, clock, counting
from cloudshare.store import public
from cloudshare.store.aws import client
from devtools import iam
from devtools.moto_writes import dynamodb_guarantees
from devtools.runner import InProcessRunner
from devtools.template import create_resources
from tests.unit.helpers import NONCE_SECRET, SHARE_SENDER, TABLE


@pytest.fixture(scope="session")
def moto_session():
    """One mock_aws, and so one boto3 session, for the whole test session: a new session per test
    would load every service's model again for each client (~40 ms a client, thousands of clients).
    Each test still starts from an empty AWS (the `aws` fixture resets every moto backend)."""
    with mock_aws():
        # Every handler call is authorised by its function's IAM policy (devtools.iam, entered by the
        # runner); hooked now, on the session's boto3 session, before any client is made.
        iam.install()
        # DynamoDB's atomic, serializable writes for every test, not only those that race threads on
        # purpose: a test that forgot to ask for them passed or failed by the scheduler's luck.
        dynamodb_guarantees()
        yield


@pytest.fixture(autouse=True)
def aws(request, monkeypatch):
    """An empty AWS holding what the template declares (table, bucket, nonce secret, queues, a
    verified share sender); tests marked `pure` (no AWS at all) skip it."""
    if request.node.get_closest_marker("pure"):
        yield
        return
    request.getfixturevalue("moto_session")
    monkeypatch.setenv("AUTH_REALM", "cloudshare")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "cloudshare")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "cloudshare")
    monkeypatch.setenv("SHARE_SENDER", SHARE_SENDER)
    settings.cache_clear()
    client.cache_clear()  # the functions' clients, and what is cached per client (signing keys)
    public.forget_cached_items()  # items a previous test's AWS held
    monkeypatch.setattr(counting, "SECOND_PASS_AFTER_SECONDS", 0)  # a fold's second pass without the wait
    BackendDict.reset()  # every service empty, as a new mock_aws would start
    # The secret by name, not by ARN: devtools.iam resolves the template's policy to that name (moto's
    # ARNs end in a random suffix).
    for name, value in (create_resources(TABLE).environment() | {"NONCE_SECRET_ID": NONCE_SECRET}).items():
        monkeypatch.setenv(name, value)
    boto3.client("ses").verify_email_identity(EmailAddress=SHARE_SENDER)  # SES refuses unverified senders
    yield
    settings.cache_clear()
    client.cache_clear()


@pytest.fixture(scope="session")
def runner():
    return InProcessRunner()


@pytest.fixture
def user():
    """A free-plan account with a known password and one API key."""
    created = accounts.create_user("alice@example.com", "correct horse battery", "free")
    _, key = accounts.create_api_key(created.email, label="tests")
    return {"user": created, "email": created.email, "password": "correct horse battery", "api_key": key}


@pytest.fixture
def frozen(monkeypatch):
    """The service clock (services/clock.py), moved only by the test: `frozen[0] += seconds`. It starts in the
    middle of the current hour, so that moving it by less than half an hour crosses no hour or day: counters
    kept per hour (throttles) or per UTC day (uploads, shares) would otherwise start afresh half-way through a
    test that runs, or moves the clock, across a boundary."""
    now = [float(int(clock.now()) // 3600 * 3600 + 1800)]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    return now
