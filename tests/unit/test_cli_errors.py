"""The `cloudshare` CLI shows the server's own words for a failure, in either API dialect (or S3's)."""

import json

import pytest
import requests

from cloudshare_cli.client import ApiError, raise_for
from tests.unit.cli_support import _bare_moto, aws  # noqa: F401  (no moto table per test: see there)


def response(status: int, body: str | dict, content_type: str = "application/json") -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = (json.dumps(body) if isinstance(body, dict) else body).encode()
    answer.headers["Content-Type"] = content_type
    return answer


@pytest.mark.parametrize(
    "answer, message",
    [
        (
            response(
                422,
                {
                    "errors": {
                        "name": "file_size",
                        "message": "File size is too large",
                        "type": "",
                        "max_upload_size": 26214400,
                    }
                },
            ),
            "File size is too large (max_upload_size 26214400 = 25.0 MiB)",
        ),
        (
            response(
                403,
                {
                    "status": False,
                    "message": "Storage quota exceeded",
                    "current": 1024000,
                    "limit": 1048576,
                    "remaining": 24576,
                },
            ),
            "Storage quota exceeded (current 1024000, limit 1048576, remaining 24576)",
        ),
        (response(404, {"errors": {"name": "", "message": "Item not found", "type": "not_found"}}), "Item not found"),
        (
            response(
                400,
                "<?xml version='1.0'?><Error><Code>EntityTooLarge</Code>"
                "<Message>Your proposed upload exceeds the maximum allowed size</Message></Error>",
                "application/xml",
            ),
            "Your proposed upload exceeds the maximum allowed size",
        ),
        (response(502, "<html>Bad Gateway</html>", "text/html"), "HTTP 502"),
    ],
)
def test_given_an_error_answer_when_checked_then_the_servers_message_is_raised(answer, message):
    with pytest.raises(ApiError) as raised:
        raise_for(answer)
    assert str(raised.value) == message
    assert raised.value.status == answer.status_code


def test_given_a_success_when_checked_then_nothing_is_raised():
    raise_for(response(201, {"status": True}))


def test_given_a_paging_link_on_another_host_then_the_key_goes_only_to_the_api(monkeypatch):
    from cloudshare_cli.client import ApiClient

    sent = []
    client = ApiClient.__new__(ApiClient)  # no profile or session needed: requests are intercepted
    client.base = "https://api.example.com"
    monkeypatch.setattr(ApiClient, "json", lambda self, method, url, **options: sent.append(url) or {})
    client.items_page(20, "https://share.example.com/v3/items?before=1.abc&per_page=20")
    client.items_page(20, "https://api.example.com/v3/items?before=2.abc&per_page=20")
    assert sent == ["/v3/items?before=1.abc&per_page=20", "https://api.example.com/v3/items?before=2.abc&per_page=20"]
