"""Link previews over real HTTP, as an unfurler does them: the share page's tags parsed from the local
stack's answer, the og:image fetched without a browser, the oEmbed document found by discovery."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
import requests

from cloudshare.services.passwords import hash_password
from tests.integration.conftest import admin
from tests.integration.helpers import upload, wait_for
from tests.unit.public_helpers import meta_tags, png

pytestmark = [pytest.mark.integration, pytest.mark.slow]
# Each request may wait for a function's cold start in a worker process on a busy machine.
TIMEOUT = 60
SLACKBOT = {"User-Agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"}


@pytest.fixture(scope="module")
def sharer(stack):
    """An account of its own (pro: passwords), so that no other test's listing sees these items."""
    email = f"unfurl-{uuid.uuid4().hex[:8]}@example.com"
    admin(stack, "create-user", email, "--plan", "pro", "--generate-password")
    return {**stack, "api_key": admin(stack, "create-key", email, "--label", "unfurl tests")["api_key"]}


def test_given_a_shared_image_when_slack_unfurls_it_then_tags_image_and_oembed_work_over_http(sharer):
    item = upload(sharer, "Harbour at dusk.png", png(1200, 800), "image/png")
    page = requests.get(item["share_url"], headers=SLACKBOT, timeout=TIMEOUT)
    assert page.status_code == 200
    tags = meta_tags(page.text)
    assert tags["og:title"] == "Harbour at dusk.png" and tags["og:url"] == item["share_url"]
    assert tags["twitter:card"] == "summary_large_image"

    def thumbnail():  # made off the request path by ThumbnailFunction: wait until it is there
        answer = requests.get(tags["og:image"], headers=SLACKBOT, timeout=TIMEOUT)  # follows the presigned redirect
        return answer if answer.headers.get("Content-Type") == "image/jpeg" else None

    image = wait_for(thumbnail, "the og:image thumbnail")
    assert image.status_code == 200 and image.content[:3] == b"\xff\xd8\xff"  # a JPEG, not the PNG original
    embedded = requests.get(tags["oembed"], headers=SLACKBOT, timeout=TIMEOUT)
    assert embedded.status_code == 200 and embedded.headers["Content-Type"] == "application/json"
    assert embedded.json()["title"] == "Harbour at dusk.png" and embedded.json()["type"] == "link"


def test_given_a_password_when_slack_unfurls_it_then_nothing_of_the_item_is_told(sharer):
    item = upload(sharer, "Salaries 2026.png", png(), "image/png")
    # Set in the stack's table, as the owner's password change stores it.
    state = json.loads((sharer["state_dir"] / "stack.json").read_text())
    boto3.client(
        "dynamodb",
        endpoint_url=state["aws_endpoint"],
        region_name=state["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    ).update_item(
        TableName=state["table_name"],
        Key={"PK": {"S": f"ITEM#{item['slug']}"}, "SK": {"S": "ITEM"}},
        UpdateExpression="SET password_hash = :hash",
        ExpressionAttributeValues={":hash": {"S": hash_password("h2!")}},
    )

    def refused():  # a 403 answer is falsy (Response.ok): return its page
        answer = requests.get(item["share_url"], headers=SLACKBOT, timeout=TIMEOUT)
        return answer.text if answer.status_code == 403 else None

    page = wait_for(refused, "the password to reach the public side")
    assert "Salaries" not in page and not [name for name in meta_tags(page) if ":" in name]
    embedded = requests.get(f"{sharer['api_url']}/oembed", params={"url": item["share_url"]}, timeout=TIMEOUT)
    assert embedded.status_code == 404 and "Salaries" not in embedded.text
