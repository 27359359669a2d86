"""What a function does at init, where SnapStart would snapshot it: nothing unique, nothing connected."""

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


def _init(*apps) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "layers" / "shared"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "cold",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "cold",
    }
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *map(str, apps)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


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
