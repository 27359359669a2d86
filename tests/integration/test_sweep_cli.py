"""The operator's sweep command against the local stack: a stale upload is gone afterwards, over HTTP."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.integration.conftest import admin

pytestmark = pytest.mark.integration


def test_given_a_stale_upload_when_the_operator_sweeps_then_the_item_is_gone(stack):
    api, auth = stack["api_url"], {"Authorization": f"Bearer {stack['api_key']}", "Accept": "application/json"}
    created = requests.post(f"{api}/v3/items", json={"name": "never-sent.bin"}, headers=auth, timeout=10)
    assert created.status_code == 200, created.text
    slug = created.json()["slug"]

    assert admin(stack, "sweep")["finished"] is True  # now: its upload window is still open
    assert requests.get(f"{api}/v3/items/{slug}", headers=auth, timeout=10).status_code == 200

    an_hour_later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = admin(stack, "sweep", "--now", an_hour_later)
    assert report["finished"] is True and report["uploads_abandoned"] >= 1 and report["errors"] == 0
    assert requests.get(f"{api}/v3/items/{slug}", headers=auth, timeout=10).status_code == 404
