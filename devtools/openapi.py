"""One OpenAPI 3.1 document for every route of both dialects, from the handlers' own resolvers.

Each function's Powertools resolver describes its routes (parameters and bodies from its pydantic
models); this merges them, and adds what the resolvers cannot know: the error bodies of each
dialect, authentication, and tags. The result is written into the layer (served by the docs
function at /openapi.json) and a test keeps it equal to a fresh build and to template.yaml.

Run: python -m devtools.openapi            (rewrites layers/shared/cloudshare/openapi.json)
     python -m devtools.openapi --check    (exit 1 if the committed document is stale or invalid)
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import sys
from pathlib import Path

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from devtools.template import ROOT, functions, http_routes

DOCUMENT = ROOT / "layers" / "shared" / "cloudshare" / "openapi.json"
TITLE = "cloudshare"
VERSION = "1.0.0"
DESCRIPTION = (
    "Self-hostable file and link sharing. Two faces of one domain: the CloudApp v3 items API "
    "(`/v3/...`) and the artifacts v1 API (`/api/v1/...`); public share pages at `/{code}`."
)

_V3_ERROR = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "object",
            "required": ["name", "message", "type"],
            "additionalProperties": True,
            "properties": {"name": {"type": "string"}, "message": {"type": "string"}, "type": {"type": "string"}},
        }
    },
}
_V1_ERROR = {
    "type": "object",
    "required": ["status", "message"],
    "additionalProperties": True,
    "properties": {
        "status": {"const": False},
        "message": {"type": "string"},
        "current": {"type": "integer"},
        "limit": {"type": "integer"},
        "remaining": {"type": "integer"},
        "feature": {"type": "string"},
    },
}
_DIALECTS = {
    # path prefix -> (tag, error schema name, error statuses)
    "/v3/": (
        "v3 items",
        "V3Error",
        {
            "401": "No credentials: answer the Digest challenge or send an API key",
            "403": "Wrong credentials, or a request from another site's page",
            "404": "No such item, or not yours",
            "413": "JSON body larger than 64 KiB",
            "415": "A body not labelled application/json",
            "422": "Wrong request data",
            "429": "Too many failed attempts; retry after Retry-After",
            "500": "Unexpected server error",
            "503": "A dependency is unavailable; retry (see Retry-After)",
        },
    ),
    "/api/v1/": (
        "v1 artifacts",
        "V1Error",
        {
            "400": "Wrong request data",
            "401": "No credentials",
            "403": "Wrong credentials, not yours, a plan limit, or a request from another site's page",
            "404": "No such artifact",
            "413": "Inline file (or JSON body) too large: use the presigned upload",
            "415": "JSON sent without a JSON Content-Type, or a type that is not a form or JSON",
            "429": "Too many failed attempts; retry after Retry-After",
            "500": "Unexpected server error",
            "503": "A dependency is unavailable; retry (see Retry-After)",
        },
    ),
}
_PUBLIC = (
    "public",
    "PublicError",
    {
        "403": "Wrong password",
        "404": "No such link",
        "410": "Expired or removed",
        "413": "JSON body too large",
        "422": "A request body that cannot be read",
        "429": "Too many attempts",
        "503": "A dependency is unavailable; retry (see Retry-After)",
    },
)
# The dashboard's pages and forms: HTML for browsers (JSON refusals for Accept: application/json).
_DASHBOARD = (
    "dashboard",
    "PublicError",
    {
        "303": "No session (pages: on to /login), or a form done: back to its page",
        "403": "No session or CSRF token (forms), a wrong password, a paid feature",
        "404": "No such item, or not yours",
        "413": "Form too large",
        "422": "Wrong form or query data",
        "429": "Too many failed sign-ins",
    },
)
_DASHBOARD_PATHS = ("/dashboard", "/login", "/logout")
_SECURITY = [{"digest": []}, {"bearer": []}, {"apiKey": []}]

# Inputs that handlers read by hand (query strings and v1 forms: no pydantic validation on their
# cold path), described here; the fuzz test sends them and checks the answers.
_FLAG = {"type": "boolean"}
_TEXT = {"type": "string"}
_WHOLE = {"type": "integer", "minimum": 1}
_V1_FIELDS = {
    "file": {"type": "string", "format": "binary", "description": "The file, inline (at most 4 MiB)"},
    "file_name": {**_TEXT, "description": "Instead of file: answered with a presigned S3 POST in `upload`"},
    "file_size": {"type": "integer", "minimum": 0},
    "version_name": _TEXT,
    "password": {**_TEXT, "description": "Empty removes it (paid plans)"},
    "allow_comments": _FLAG,
    "allow_downloads": _FLAG,
    "view_only": _FLAG,
    "expiration_date": {"type": ["string", "null"], "format": "date-time", "description": "null/empty removes it"},
}
_V1_UPDATE_FIELDS = {
    **_V1_FIELDS,
    "is_published": _FLAG,
    "keep_password": _FLAG,
    "show_combined_comments": _FLAG,
    "comment_emails": _FLAG,
}


def _form(fields: dict, required: list[str] | None = None) -> dict:
    schema = {"type": "object", "properties": fields, **({"required": required} if required else {})}
    as_json = {**schema, "properties": {k: v for k, v in fields.items() if k != "file"}}
    return {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": schema},
            "application/x-www-form-urlencoded": {"schema": as_json},
            "application/json": {"schema": as_json},
        },
    }


def _page_form(fields: dict) -> dict:
    """A browser form of the dashboard (URL-encoded only; every POST carries its CSRF token)."""
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": fields, "required": ["csrf"]}
            }
        },
    }


def _query(name: str, schema: dict, description: str = "") -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        **({"description": description} if description else {}),
    }


_HAND_PARSED = {
    "V3ListItems": {
        "parameters": [
            _query("per_page", {"type": "integer", "minimum": 1}, "Items per page (default 20, at most 100)"),
            _query("before", _TEXT, "A cursor from links.next_url (or epoch seconds): older items"),
            _query("after", _TEXT, "A cursor from links.prev_url (or epoch seconds): newer items"),
        ]
    },
    "V1ListArtifacts": {
        "parameters": [
            _query("page", _WHOLE),
            _query("limit", {**_WHOLE, "description": "default 20, at most 100"}),
            _query("is_published", _FLAG),
            _query("sort_by", {"enum": ["created_at", "total_views", "total_downloads", "updated_at"]}),
            _query("sort_order", {"enum": ["asc", "desc"]}),
        ]
    },
    "V1CreateArtifact": {"requestBody": _form(_V1_FIELDS, ["version_name"])},
    "V1UpdateArtifact": {"requestBody": _form(_V1_UPDATE_FIELDS)},
    "PublicUnlock": {"requestBody": _form({"password": _TEXT}, ["password"])},
    "DashboardItems": {
        "parameters": [
            _query("filter", {"enum": ["all", "favorites", "published", "expired", "trash"]}),
            _query("q", _TEXT, "Part of the name, any case"),
            _query("page", _WHOLE),
            _query("sort_by", {"enum": ["created_at", "total_views", "total_downloads", "updated_at"]}),
            _query("order", {"enum": ["asc", "desc"]}),
        ]
    },
    "DashboardItem": {"parameters": [_query("done", _TEXT, "What a form just did (the page says so)")]},
    "Login": {"requestBody": _page_form({"email": _TEXT, "password": _TEXT, "csrf": _TEXT})},
    "Logout": {"requestBody": _page_form({"csrf": _TEXT})},
    "DashboardUpdateItem": {
        "requestBody": _page_form(
            {
                "csrf": _TEXT,
                "action": {"enum": ["rename", "favorite", "sharing", "password", "expiry"]},
                "name": _TEXT,
                "favorite": _TEXT,
                "is_published": _TEXT,
                "allow_downloads": _TEXT,
                "view_only": _TEXT,
                "password": _TEXT,
                "remove": _TEXT,
                "expires_at": _TEXT,
                "expires_after_views": _TEXT,
            }
        )
    },
    "DashboardDeleteItem": {"requestBody": _page_form({"csrf": _TEXT})},
    "DashboardRestoreItem": {"requestBody": _page_form({"csrf": _TEXT})},
    "DashboardEndSessions": {"requestBody": _page_form({"csrf": _TEXT})},
    "DashboardCreateKey": {"requestBody": _page_form({"csrf": _TEXT, "label": _TEXT})},
    "DashboardRevokeKey": {"requestBody": _page_form({"csrf": _TEXT})},
    # oEmbed's own errors (oembed.com), in place of the public pages' refusals.
    "PublicOembed": {
        "parameters": [
            {**_query("url", {**_TEXT, "format": "uri"}, "A share link, as share_url gives it"), "required": True},
            _query("format", {"enum": ["json"]}, "Only json (any other: 501)"),
            _query("maxwidth", _WHOLE, "Accepted; a link has no size"),
            _query("maxheight", _WHOLE),
        ],
        "statuses": {
            "404": "Not the current share link of an item a visitor could open without a password",
            "500": "Unexpected server error",
            "501": "A format other than json",
        },
    },
    "V1ListComments": {
        "parameters": [
            _query("limit", {**_WHOLE, "description": "default 20, at most 100"}),
            _query("before", _TEXT, "A comment id (pagination.next_before): older comments"),
            _query("version", {"type": "integer", "minimum": 0}, "Only the comments written on this version"),
        ]
    },
    "V1AddComment": {"requestBody": _form({"text": {**_TEXT, "maxLength": 2000}, "version_number": _WHOLE}, ["text"])},
    "PublicListComments": {
        "parameters": [
            _query("limit", {**_WHOLE, "description": "default 20, at most 100"}),
            _query("before", _TEXT, "A comment id (next_before): older comments"),
        ]
    },
    "PublicPostComment": {
        "requestBody": _form(
            {
                "name": {**_TEXT, "maxLength": 80},
                "text": {**_TEXT, "maxLength": 2000},
                "form_token": {
                    **_TEXT,
                    "description": "From the page's form (or GET /{code}/comments), a few seconds old",
                },
                "website": {**_TEXT, "description": "Leave empty (people never see it)"},
            },
            ["name", "text", "form_token"],
        )
    },
    "LoginPasskeyOptions": {"requestBody": _page_form({"csrf": {**_TEXT, "description": "The sign-in form's token"}})},
    "LoginPasskey": {
        "requestBody": _page_form(
            {
                "csrf": {**_TEXT, "description": "The sign-in form's token"},
                "credential": {**_TEXT, "description": "navigator.credentials.get()'s PublicKeyCredential as JSON"},
            }
        )
    },
    "DashboardPasskeyOptions": {"requestBody": _page_form({"csrf": _TEXT})},
    "DashboardAddPasskey": {
        "requestBody": _page_form(
            {
                "csrf": _TEXT,
                "name": {**_TEXT, "maxLength": 100},
                "credential": {**_TEXT, "description": "navigator.credentials.create()'s PublicKeyCredential as JSON"},
            }
        )
    },
    "DashboardRemovePasskey": {"requestBody": _page_form({"csrf": _TEXT})},
    "DashboardUpload": {
        "requestBody": _page_form({"csrf": _TEXT, "name": _TEXT, "file_size": {"type": "integer", "minimum": 0}})
    },
}


CATCH_ALL = "/{proxy+}"


def _operation(method: str, path: str) -> bool:
    """ANY events (the greedy proxy, the roots' other methods) answer what no route knows, with a 404
    in their dialect: not operations."""
    return path != CATCH_ALL and method.lower() != "any"


def template_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in template.yaml (API Gateway's and the function URL's)."""
    return {(method, path) for _, method, path, _ in http_routes() if _operation(method, path)}


def _resolver_of(code_uri: str):
    path = ROOT / code_uri / "app.py"
    spec = importlib.util.spec_from_file_location(f"openapi_{Path(code_uri).name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def _request_body(app, schemas: dict) -> dict | None:
    """The JSON body a route reads, from the very model that parses it (its schema among the components)."""
    from cloudshare.dialects.http import declared_body

    declared = declared_body(app)
    if declared is None:
        return None
    reference = _component(declared.model, schemas)
    return {"required": declared.required, "content": {"application/json": {"schema": reference}}}


def _component(model, schemas: dict) -> dict:
    """A pydantic model's schema among the components (with the models it uses); a reference to it."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _dialect_of(path: str):
    if path.startswith(_DASHBOARD_PATHS):
        return _DASHBOARD
    for prefix, dialect in _DIALECTS.items():
        if path.startswith(prefix):
            return dialect
    return _PUBLIC


def build() -> dict:
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "cloudshare")
    document = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "paths": {},
        "components": {
            "schemas": {"V3Error": _V3_ERROR, "V1Error": _V1_ERROR, "PublicError": _V3_ERROR},
            "securitySchemes": {
                "digest": {
                    "type": "http",
                    "scheme": "digest",
                    "description": "RFC 7616 (SHA-256 or MD5, qop=auth) with the account's e-mail and password",
                },
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API key (csk_…)"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
        },
    }
    routed = {function for function, method, path, _ in http_routes() if _operation(method, path)}
    for logical_id, resource in sorted(functions().items()):
        names = _operation_ids(logical_id, resource)
        if logical_id not in routed:
            continue
        app = _resolver_of(resource["Properties"]["CodeUri"])
        partial = app.get_openapi_schema(title=TITLE, version=VERSION)
        partial = partial.model_dump(mode="json", by_alias=True, exclude_none=True)
        request_body = _request_body(app, document["components"]["schemas"])
        for path, operations in partial.get("paths", {}).items():
            for method, operation in operations.items():
                if request_body is not None:
                    operation["requestBody"] = request_body
                operation_id = names.get((method, path)) or _named_by_handler(logical_id, operation)
                document["paths"].setdefault(path, {})[method] = _finish(path, operation, operation_id)
        for name, schema in partial.get("components", {}).get("schemas", {}).items():
            if name not in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
                document["components"]["schemas"][name] = schema
    from cloudshare.dialects import multipart_answers  # answers that routes name by reference only

    for model in multipart_answers.MODELS:
        _component(model, document["components"]["schemas"])
    document["paths"] = dict(sorted(document["paths"].items()))
    return document


def _operation_ids(logical_id: str, resource: dict) -> dict[tuple[str, str], str]:
    """(method, OpenAPI path) -> operationId of a function's routes: the function's name, followed by the
    route's event name when the function has several routes (operationIds are unique in a document)."""
    routes = {
        name: event["Properties"]
        for name, event in resource["Properties"].get("Events", {}).items()
        if event["Type"] == "Api" and _operation(event["Properties"]["Method"], event["Properties"]["Path"])
    }
    stem = logical_id.removesuffix("Function")
    return {
        (route["Method"].lower(), re.sub(r"\{(\w+)\+\}", r"{\1}", route["Path"])): stem
        + (name if len(routes) > 1 else "")
        for name, route in routes.items()
    }


def _named_by_handler(logical_id: str, operation: dict) -> str:
    """The function URL's function serves many routes without Api events: each is named by its handler
    (page -> PublicPage), from the operationId Powertools made of the handler's name."""
    handler = operation["operationId"].partition("__")[0].title().replace("_", "")
    return logical_id.removesuffix("Function") + handler


def _finish(path: str, operation: dict, operation_id: str) -> dict:
    operation = copy.deepcopy(operation)
    tag, error_schema, statuses = _dialect_of(path)
    operation["tags"] = [tag]
    operation["operationId"] = operation_id
    operation["security"] = [] if tag in ("public", "dashboard") else _SECURITY
    described = _HAND_PARSED.get(operation["operationId"], {})
    operation["parameters"] = operation.get("parameters", []) + described.get("parameters", [])
    if not operation["parameters"]:
        del operation["parameters"]
    if "requestBody" in described:
        operation["requestBody"] = described["requestBody"]
    responses = {
        code: answer for code, answer in operation.get("responses", {}).items() if code != "422" or tag == "v3 items"
    }
    for code, answer in responses.items():
        if code == "204" or code.startswith("3"):
            answer.pop("content", None)  # redirects and 204s carry no body
    error = {"application/json": {"schema": {"$ref": f"#/components/schemas/{error_schema}"}}}
    if tag == "dashboard":  # a browser (any Accept but JSON alone) is refused with a page
        error["text/html"] = {"schema": {"type": "string"}}
    for code, description in described.get("statuses", statuses).items():
        responses[code] = {"description": description, **({} if code.startswith("3") else {"content": error})}
    operation["responses"] = dict(sorted(responses.items()))
    return operation


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    os.environ.setdefault("TABLE_NAME", "openapi")
    document = json.dumps(build(), indent=1, sort_keys=False) + "\n"
    if "--check" in argv:
        if not DOCUMENT.exists() or DOCUMENT.read_text() != document:
            print(f"{DOCUMENT} is stale: run `make openapi`", file=sys.stderr)
            return 1
        try:
            validate(json.loads(document))
        except OpenAPIValidationError as error:
            print(f"{DOCUMENT} is not a valid OpenAPI document: {error}", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(document)
    print(f"wrote {DOCUMENT.relative_to(ROOT)}: {len(json.loads(document)['paths'])} paths")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
