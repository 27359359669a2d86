"""A typed client generated from the OpenAPI document (openapi-python-client, offline) speaks to the API.

The client's HTTP goes through SAM's API Gateway imitation (the one `make dev` serves) into the handlers
in this process, so routes, authentication and bodies are the document's and the gateway's, not a mock's.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import httpx
import pytest
from samcli.lib.providers.api_provider import ApiProvider
from samcli.local.apigw.local_apigw_service import LocalApigwService

from devtools.openapi import DOCUMENT
from devtools.template import ROOT

PACKAGE = "cloudshare_generated_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The client package, generated into a temporary directory and imported from there."""
    where = tmp_path_factory.mktemp("client")
    config = where / "config.yaml"
    config.write_text("post_hooks: []\n")  # the generator's formatting hooks are not what is tested
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(DOCUMENT),
            "--meta",
            "none",
            "--output-path",
            str(where / PACKAGE),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(where))
    try:
        yield lambda module: importlib.import_module(f"{PACKAGE}.{module}")
    finally:
        sys.path.remove(str(where))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.fixture
def gateway(runner):
    """The local stack's API Gateway (SAM CLI's), as a WSGI app in front of the in-process handlers."""
    service = LocalApigwService(ApiProvider(runner.stacks, cwd=str(ROOT)).api, runner, port=0, host="127.0.0.1")
    service.create()
    return httpx.WSGITransport(app=service._app)


def test_given_a_client_generated_from_the_document_then_account_list_get_and_update_work(generated, gateway, user):
    client_module = generated("client")
    v3 = {
        name: generated(f"api.v3_items.{name}")
        for name in ("v3_account", "v3_create_item", "v3_list_items", "v3_get_item", "v3_update_item")
    }
    models = generated("models")
    client = client_module.AuthenticatedClient(
        base_url="http://api.example.com",
        token=user["api_key"],
        raise_on_unexpected_status=True,
        httpx_args={"transport": gateway},
    )

    account = v3["v3_account"].sync(client=client)
    assert account["email"] == user["email"]

    created = v3["v3_create_item"].sync(client=client, body=models.NewItem(bookmark_url="https://example.com/a"))
    slug = created["slug"]
    listed = v3["v3_list_items"].sync(client=client, per_page=5)
    assert [item["slug"] for item in listed["data"]] == [slug]
    assert v3["v3_get_item"].sync(slug, client=client)["redirect_url"] == "https://example.com/a"

    updated = v3["v3_update_item"].sync(slug, client=client, body=models.ItemUpdate(name="renamed"))
    assert updated["name"] == "renamed"
    assert v3["v3_get_item"].sync(slug, client=client)["name"] == "renamed"

    someone_elses = v3["v3_get_item"].sync("not-mine", client=client)
    assert isinstance(someone_elses, models.V3Error)  # the document's error shape, parsed as such
