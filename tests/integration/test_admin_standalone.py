"""`pip install ./admin` on an operator's laptop: `cloudshare-admin` alone (boto3 and the service's layer,
no SAM CLI, moto or devtools), outside the checkout, managing a stack found through its CloudFormation
outputs (`--stack`), as it would a deployed one; the local stack's moto stands in for AWS."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import boto3
import pytest
import requests

from tests.integration.conftest import install_alone, installed_packages, laptop_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    return install_alone("admin", tmp_path_factory.mktemp("operator")) / "cloudshare-admin"


@pytest.fixture(scope="module")
def deployed(stack) -> dict:
    """A CloudFormation stack whose outputs name the local stack's table and bucket, as `sam deploy`'s do."""
    state = json.loads((stack["state_dir"] / "stack.json").read_text())
    access = {
        "endpoint_url": state["aws_endpoint"],
        "region_name": state["region"],
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
    }
    name = f"cloudshare-{uuid.uuid4().hex[:8]}"
    template = {
        "Resources": {"Marker": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"TableName": {"Value": state["table_name"]}, "BucketName": {"Value": state["bucket_name"]}},
    }
    boto3.client("cloudformation", **access).create_stack(StackName=name, TemplateBody=json.dumps(template))
    return {"name": name, **access, "api_url": stack["api_url"]}


def operator(command: Path, home: Path, deployed: dict, *args: str) -> subprocess.CompletedProcess:
    env = laptop_env(home) | {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": deployed["region_name"],
    }
    return subprocess.run(
        [str(command), "--stack", deployed["name"], "--endpoint-url", deployed["endpoint_url"], *args],
        capture_output=True,
        text=True,
        cwd=home,
        env=env,
        timeout=120,
    )


def test_given_a_fresh_venv_when_the_admin_cli_is_pip_installed_then_it_holds_no_dev_tooling(installed, tmp_path):
    names = installed_packages(installed.parent)
    assert {"cloudshare-admin", "boto3"} <= names and not names & {"moto", "aws-sam-cli", "cloudshare"}
    result = subprocess.run(
        [str(installed), "--help"], capture_output=True, text=True, cwd=tmp_path, env=laptop_env(tmp_path), timeout=60
    )
    assert result.returncode == 0 and "create-user" in result.stdout and "--stack" in result.stdout


def test_given_a_stack_by_name_when_the_operator_makes_an_account_and_key_then_the_api_takes_the_key(
    installed, deployed, tmp_path
):
    email = f"operator-{uuid.uuid4().hex[:8]}@example.com"
    created = operator(installed, tmp_path, deployed, "create-user", email, "--plan", "pro", "--generate-password")
    assert created.returncode == 0, created.stderr
    key = operator(installed, tmp_path, deployed, "create-key", email, "--label", "laptop")
    assert key.returncode == 0, key.stderr
    account = requests.get(
        f"{deployed['api_url']}/v3/account",
        timeout=10,
        headers={"Authorization": f"Bearer {json.loads(key.stdout)['api_key']}", "Accept": "application/json"},
    )
    assert account.status_code == 200 and account.json()["email"] == email
    listed = operator(installed, tmp_path, deployed, "list-users")
    assert listed.returncode == 0 and email in {user["email"] for user in json.loads(listed.stdout)}
