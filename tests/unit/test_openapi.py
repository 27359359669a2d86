"""The OpenAPI document: generated from the handlers, in step with template.yaml, served with a docs page."""

import copy
import json
import re

import pytest
from openapi_spec_validator import validate

from devtools import openapi
from devtools.openapi import DOCUMENT, build, template_routes
from devtools.template import functions
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


class _Asked(dict):
    """A parsed form that notes every field name its reader asks about."""

    def __init__(self, fields, asked: set) -> None:
        super().__init__(fields)
        self.asked = asked

    def get(self, name, default=None):
        self.asked.add(name)
        return super().get(name, default)

    def __contains__(self, name) -> bool:
        self.asked.add(name)
        return super().__contains__(name)

    def __getitem__(self, name):
        self.asked.add(name)
        return super().__getitem__(name)


def _form_fields(document: dict) -> dict[str, set[str]]:
    """operationId -> the fields its form body is documented with (forms read by hand, not by a model)."""
    found = {}
    for operations in document["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            forms_ = [content[kind]["schema"] for kind in content if "form" in kind]
            if forms_:
                found[operation["operationId"]] = set().union(*(schema["properties"] for schema in forms_))
    return found


# Operations that are a function of their own, whose sample event is that operation (the public function's
# other routes, unlock and comments, are sent their fields by the fuzz tests).
_FORM_OPERATIONS = sorted(
    set(_form_fields(json.loads(DOCUMENT.read_text()))) & {name[: -len("Function")] for name in functions()}
)
# One form, an action each: its sample asks for one action's fields of all those documented.
_ONE_FORM_MANY_ACTIONS = {"DashboardUpdateItem"}


@pytest.mark.parametrize("operation_id", _FORM_OPERATIONS)
def test_given_a_hand_read_form_then_the_document_names_exactly_the_fields_its_reader_asks_for(
    runner, monkeypatch, fresh, operation_id
):
    # Given the function's sample event, with every field its reader asks about noted
    from cloudshare.dialects import dashboard, forms
    from devtools.samples import sample_event, seed

    asked: set = set()
    parse, page_form = forms.parse, dashboard.form
    monkeypatch.setattr(
        forms, "parse", lambda *a: (lambda f: forms.Form(_Asked(f.fields, asked), _Asked(f.files, asked)))(parse(*a))
    )
    monkeypatch.setattr(dashboard, "form", lambda app: _Asked(page_form(app), asked))
    seed()
    # When it is served
    logical_id = f"{operation_id}Function"
    response = runner.call(logical_id, sample_event(logical_id))
    # Then it was read, and the document names what was asked for: no undocumented field, none documented in vain
    assert response["statusCode"] < 400, response
    documented = _form_fields(fresh)[operation_id]
    assert asked <= documented if operation_id in _ONE_FORM_MANY_ACTIONS else asked == documented


class _AskedQuery(_Asked):
    """Query parameters, even none, stay this object where a reader writes `parameters or {}`."""

    def __bool__(self) -> bool:
        return True


def _query_parameters(document: dict) -> dict[str, set[str]]:
    """operationId -> the query parameters it is documented with."""
    return {
        operation["operationId"]: {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        for operations in document["paths"].values()
        for operation in operations.values()
        if any(p["in"] == "query" for p in operation.get("parameters", []))
    }


_QUERY_OPERATIONS = sorted(
    set(_query_parameters(json.loads(DOCUMENT.read_text()))) & {name[: -len("Function")] for name in functions()}
)


@pytest.mark.parametrize("operation_id", _QUERY_OPERATIONS)
def test_given_a_hand_read_query_string_then_the_document_names_exactly_the_parameters_it_reads(
    runner, monkeypatch, fresh, operation_id
):
    # Given the function's sample event, its query string noting every parameter asked about
    from cloudshare.dialects import forms
    from devtools.samples import sample_event, seed

    seed()
    logical_id = f"{operation_id}Function"
    asked: set = set()
    request = sample_event(logical_id)
    request["queryStringParameters"] = _AskedQuery(request.get("queryStringParameters") or {}, asked)
    for read in ("text", "flag", "integer"):  # readers that copy the parameters into a Form ask it by name
        original = getattr(forms.Form, read)
        monkeypatch.setattr(
            forms.Form, read, lambda form, name, *a, _read=original, **k: asked.add(name) or _read(form, name, *a, **k)
        )
    # When it is served, then the document names what was asked for
    response = runner.call(logical_id, request)
    assert response["statusCode"] < 400, response
    assert asked == _query_parameters(fresh)[operation_id]
