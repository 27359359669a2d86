"""The operator's sweep command against the local stack: a stale upload is gone afterwards, over HTTP."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
from requests.auth import HTTPDigestAuth

from tests.integration.conftest import admin

pytestmark = pytest.mark.integration


def test_given_a_stale_upload_when_the_operator_sweeps_then_the_item_is_gone(stack):
    # An owner of its own on the free plan: the upload window grows with the plan's size limit, and other
    # tests may move the demo account to a bigger plan.
    owner = admin(stack, "create-user", "stale-upload@example.com", "--plan", "free", "--generate-password")
    api, auth = stack["api_url"], {"Accept": "application/json"}
    digest = HTTPDigestAuth("stale-upload@example.com", owner["password"])
    created = requests.post(f"{api}/v3/items", json={"name": "never-sent.bin"}, headers=auth, auth=digest, timeout=10)
    assert created.status_code == 200, created.text
    slug = created.json()["slug"]

    assert admin(stack, "sweep")["finished"] is True  # now: its upload window is still open
    assert requests.get(f"{api}/v3/items/{slug}", headers=auth, auth=digest, timeout=10).status_code == 200

    an_hour_later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = admin(stack, "sweep", "--now", an_hour_later)
    assert report["finished"] is True and report["uploads_abandoned"] >= 1 and report["errors"] == 0
    assert requests.get(f"{api}/v3/items/{slug}", headers=auth, auth=digest, timeout=10).status_code == 404
