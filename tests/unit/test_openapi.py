"""The OpenAPI document: generated from the handlers, in step with template.yaml, served with a docs page."""

import copy
import json
import re

import pytest
from openapi_spec_validator import validate

from devtools import openapi
from devtools.openapi import DOCUMENT, build, template_routes
from tests.unit.apigw import event


def _spec_routes(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}


def _without_greedy_marks(routes: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """API Gateway's {name+} (the rest of the path) is {name} in OpenAPI."""
    return {(method, re.sub(r"\{(\w+)\+\}", r"{\1}", path)) for method, path in routes}


@pytest.fixture(scope="module")
def fresh():
    return build()


def test_every_template_route_is_in_the_spec_and_every_spec_route_in_the_template(fresh):
    assert _spec_routes(fresh) == _without_greedy_marks(template_routes())


def test_the_committed_document_is_the_one_the_code_generates(fresh):
    assert json.loads(DOCUMENT.read_text()) == fresh, "stale: run `make openapi`"


def test_given_the_document_then_it_validates_as_openapi_with_one_operation_per_id(fresh):
    validate(fresh)  # raises on any violation, such as an operationId shared by two routes
    ids = [operation["operationId"] for operations in fresh["paths"].values() for operation in operations.values()]
    assert len(ids) == len(set(ids)) == len(template_routes())


def test_given_a_document_where_two_routes_share_an_operation_id_then_make_openapi_check_fails(
    monkeypatch, tmp_path, capsys, fresh
):
    broken = copy.deepcopy(fresh)
    broken["paths"]["/docs"]["get"]["operationId"] = broken["paths"]["/openapi.json"]["get"]["operationId"]
    committed = tmp_path / "openapi.json"
    committed.write_text(json.dumps(broken, indent=1) + "\n")  # up to date, as written by `make openapi`
    monkeypatch.setattr(openapi, "DOCUMENT", committed)
    monkeypatch.setattr(openapi, "build", lambda: broken)
    assert openapi.main(["--check"]) == 1 and "not a valid OpenAPI document" in capsys.readouterr().err


def test_every_operation_documents_its_dialects_errors_and_authentication(fresh):
    for path, operations in fresh["paths"].items():
        for method, operation in operations.items():
            refs = {
                answer["content"]["application/json"]["schema"]["$ref"]
                for code, answer in operation["responses"].items()
                if code >= "400"
            }
            if path.startswith("/v3/"):
                assert refs == {"#/components/schemas/V3Error"} and "422" in operation["responses"], (method, path)
                assert operation["security"], (method, path)
            elif path.startswith("/api/v1/"):
                assert refs == {"#/components/schemas/V1Error"} and "400" in operation["responses"], (method, path)
                assert operation["security"], (method, path)
            else:
                assert operation["security"] == [], (method, path)


def test_given_the_docs_routes_then_the_json_document_and_a_readable_page(runner):
    spec = runner.call("ApiDocsFunction", event("/openapi.json"))
    assert spec["statusCode"] == 200 and json.loads(spec["body"])["openapi"] == "3.1.0"
    page = runner.call("ApiDocsFunction", event("/docs", headers={"Accept": "text/html"}))
    assert page["statusCode"] == 200 and "text/html" in page["multiValueHeaders"]["Content-Type"][0]
    assert "GET /v3/items/{slug}" in page["body"] and "POST /api/v1/artifacts" in page["body"]


@pytest.mark.parametrize(
    "path, dialect_field", [("/v3/itemz", "errors"), ("/api/v1/artifactz/x", "status"), ("/a/b/c/d", "errors")]
)
def test_given_a_path_no_route_knows_then_404_in_that_paths_dialect(runner, path, dialect_field):
    request = event(path, "GET", {"Accept": "application/json"})
    request["resource"], request["pathParameters"] = "/{proxy+}", {"proxy": path.lstrip("/")}
    response = runner.call("NotFoundFunction", request)
    assert response["statusCode"] == 404 and dialect_field in json.loads(response["body"])


@pytest.mark.parametrize(
    "path, dialect_field", [("/v3", "errors"), ("/v3/", "errors"), ("/api/v1", "status"), ("/api/v1/", "status")]
)
def test_given_a_dialects_root_then_404_in_that_dialect_and_none_for_head(runner, path, dialect_field):
    response = runner.call("NotFoundFunction", event(path, "POST", {"Accept": "application/json"}))
    assert response["statusCode"] == 404 and dialect_field in json.loads(response["body"])
    head = runner.call("NotFoundFunction", event(path, "HEAD", {"Accept": "application/json"}))
    assert (head["statusCode"], head["body"]) == (404, "")
