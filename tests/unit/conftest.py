"""Unit tests: the shared layer and the handlers against moto in-process, tables from template.yaml."""

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from cloudshare.config import settings
from cloudshare.services import accounts, counting
from cloudshare.store import public
from cloudshare.store.aws import client
from devtools import iam
from devtools.moto_writes import dynamodb_guarantees
from devtools.runner import InProcessRunner
from devtools.template import create_bucket, create_nonce_secret, create_queues, create_table

TABLE = "cloudshare-test"
BUCKET = "cloudshare-test-files"
NONCE_SECRET = "cloudshare-test-nonce"
EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.fixture(autouse=True)
def aws(monkeypatch):
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("BUCKET_NAME", BUCKET)
    monkeypatch.setenv("NONCE_SECRET_ID", NONCE_SECRET)
    monkeypatch.setenv("AUTH_REALM", "cloudshare")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "cloudshare")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "cloudshare")
    settings.cache_clear()
    client.cache_clear()
    public.forget_cached_items()  # items a previous test's AWS held
    monkeypatch.setattr(counting, "SECOND_PASS_AFTER_SECONDS", 0)  # a fold's second pass without the wait
    with mock_aws():
        # Every handler call is authorised by its function's IAM policy (devtools.iam, entered by the
        # runner); hooked now, on mock_aws's new session, so that no client made in a test predates it.
        iam.install()
        create_table(boto3.client("dynamodb"), TABLE)
        create_bucket(boto3.client("s3"), BUCKET)
        create_nonce_secret(boto3.client("secretsmanager"), NONCE_SECRET)
        queues = create_queues(boto3.client("sqs"), TABLE)
        monkeypatch.setenv("THUMBNAIL_QUEUE_URL", queues["ThumbnailQueue"])
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


def load_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


SHARE_SENDER = "share@cloudshare.test"


@pytest.fixture(autouse=True)
def share_sender(aws, monkeypatch):
    """The configured share e-mail sender, verified in moto's SES (SES refuses unverified senders)."""
    monkeypatch.setenv("SHARE_SENDER", SHARE_SENDER)
    settings.cache_clear()
    boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress=SHARE_SENDER)
    return SHARE_SENDER


@pytest.fixture
def serializable_transactions(monkeypatch):
    """DynamoDB's atomic, serializable writes for tests that race threads (see devtools.moto_writes)."""
    dynamodb_guarantees(monkeypatch.setattr)
