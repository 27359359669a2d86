"""`make dev` itself: it starts from nothing, serves, and stops cleanly on Ctrl-C."""

import pytest
import requests

from devtools.stack import start_stack, stop_stack

pytestmark = pytest.mark.integration


def test_given_a_fresh_state_dir_when_started_and_interrupted_then_it_serves_and_exits_cleanly(tmp_path):
    process, credentials = start_stack(tmp_path)
    response = requests.get(credentials["api_url"] + "/v3/account",
                            headers={"Authorization": f"Bearer {credentials['api_key']}"}, timeout=10)
    assert response.status_code == 200
    assert stop_stack(process) == 0
    assert "cloudshare stopped" in (tmp_path / "stack.log").read_text()
