"""What a function does at init, where SnapStart would snapshot it: nothing unique, nothing connected."""

import ast
import json
import os
import subprocess
import sys

from devtools.template import ROOT, functions, template

# Imports every handler in one fresh process, then reports what init left behind: AWS clients (whose
# connections a restored snapshot would share with its siblings) and heavy libraries a handler has
# no need for before it serves (Jinja is for HTML, Pillow for thumbnails, pydantic for bodies).
_PROBE = """
import importlib.util, json, sys
for path in sys.argv[1:]:
    spec = importlib.util.spec_from_file_location("app_" + str(abs(hash(path))), path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
from cloudshare.store import aws
print(json.dumps({"clients": aws.client.cache_info().currsize,
                  "loaded": sorted(name for name in ("jinja2", "PIL", "pydantic", "webauthn")
                                   if name in sys.modules)}))
"""


def _probe(code: str, *args, lambda_function_name: str | None = None) -> dict:
    """Runs a probe in a fresh process on the shared layer's sources, as Lambda would when
    lambda_function_name is given, and returns the JSON it printed last."""
    env = {
        **{name: value for name, value in os.environ.items() if name != "AWS_LAMBDA_FUNCTION_NAME"},
        "PYTHONPATH": str(ROOT / "layers" / "shared"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "cold",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "cold",
    }
    if lambda_function_name:
        env["AWS_LAMBDA_FUNCTION_NAME"] = lambda_function_name
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _init(*apps) -> dict:
    return _probe(_PROBE, *apps)


def _apps(reading_json_bodies: bool) -> list:
    apps = [ROOT / resource["Properties"]["CodeUri"] / "app.py" for resource in functions().values()]
    return [app for app in apps if ("JsonBody(" in app.read_text()) == reading_json_bodies]


def test_given_every_handler_imported_then_init_made_no_aws_client_and_loaded_no_jinja_pillow_or_webauthn():
    assert _init(*_apps(True), *_apps(False)) == {"clients": 0, "loaded": ["pydantic"]}


def test_given_the_handlers_that_read_no_json_body_then_none_loads_pydantic_at_init():
    # Answers are described for the OpenAPI document by reference (multipart_answers), not by a model.
    assert len(_apps(False)) > 50
    assert _init(*_apps(False)) == {"clients": 0, "loaded": []}


def test_given_the_template_then_snapstart_is_a_parameter_off_by_default_on_published_versions():
    parameters, globals_ = template()["Parameters"], template()["Globals"]["Function"]
    assert parameters["SnapStart"]["Default"] == "None"
    assert globals_["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}} and globals_["AutoPublishAlias"]


# Imports a function as Lambda would, then serves its first request and a second one, and reports the
# garbage collector's state after each step.
_COLLECTOR_PROBE = """
import gc, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
states = [gc.isenabled()]
class Context:
    function_name = "probe"; memory_limit_in_mb = 512; aws_request_id = "probe"
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:probe"
for _ in range(2):
    answer = module.lambda_handler(json.load(open(sys.argv[2])), Context())
    states.append(gc.isenabled())
print(json.dumps({"enabled": states, "frozen": gc.get_freeze_count() > 10_000, "status": answer["statusCode"]}))
"""


def _collector(lambda_function_name: str | None) -> dict:
    api_docs = ROOT / "functions" / "api_docs"
    return _probe(
        _COLLECTOR_PROBE,
        api_docs / "app.py",
        ROOT / "events" / "api_docs.json",
        lambda_function_name=lambda_function_name,
    )


def test_given_lambda_when_a_function_starts_then_the_collector_is_off_until_its_first_request_is_served():
    # Then on, with what init made frozen (later collections never walk it): coldstart.py says why.
    assert _collector("probe") == {
        "enabled": [False, True, True],
        "frozen": True,
        "status": 200,
    }


def test_given_no_lambda_when_a_function_starts_then_the_collector_is_never_off():
    assert _collector(None) == {"enabled": [True, True, True], "frozen": False, "status": 200}


def test_given_every_function_then_it_imports_cloudshare_before_any_library_so_the_collector_is_off_for_them():
    first_imports = {}
    for resource in functions().values():
        app = ROOT / resource["Properties"]["CodeUri"] / "app.py"
        tree = ast.parse(app.read_text())
        imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
        modules = [node.module if isinstance(node, ast.ImportFrom) else node.names[0].name for node in imports]
        first_imports[app.parent.name] = next(
            top for top in (str(module).split(".")[0] for module in modules) if top not in sys.stdlib_module_names
        )
    assert len(first_imports) > 60
    assert {name: module for name, module in first_imports.items() if module != "cloudshare"} == {}
