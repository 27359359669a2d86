"""Every function has a sample event in events/, and every sample event still works with its function."""

import hashlib
import re
from pathlib import Path

import pytest

from cloudshare.models import ApiKey
from cloudshare.services import accounts
from cloudshare.store import users
from devtools.template import functions
from tests.unit.conftest import EVENTS, load_event

SAMPLE_KEY_PATTERN = re.compile(r"csk_sampleevent0_S{43}")


def _event_name(logical_id: str) -> str:
    return Path(functions()[logical_id]["Properties"]["CodeUri"]).name


def _register_sample_key() -> None:
    """The sample events carry a fixed API key; give it to a real account so they authenticate."""
    user = accounts.create_user("sample@example.com", "sample-password", "free")
    key = "csk_sampleevent0_" + "S" * 43
    users.put_api_key(
        ApiKey(key_id="sampleevent0", user_id=user.user_id, secret_hash=hashlib.sha256(key.encode()).hexdigest(),
               created_at="2026-01-01T00:00:00Z")
    )


def test_every_function_has_a_sample_event_and_every_event_a_function():
    expected = {_event_name(logical_id) for logical_id in functions()}
    present = {path.stem for path in EVENTS.glob("*.json")}
    assert present == expected


@pytest.mark.parametrize("logical_id", sorted(functions()))
def test_given_the_sample_event_when_invoked_then_the_function_answers_2xx(runner, logical_id):
    _register_sample_key()
    response = runner.call(logical_id, load_event(_event_name(logical_id)))
    assert 200 <= response["statusCode"] < 300, response
