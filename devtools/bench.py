"""`make bench`: measured numbers the issues ask for, printed as ratios against a floor.

Cold start: a fresh Python process that imports a handler and serves its first request, divided
by the floor — a fresh process that only imports boto3 and creates DynamoDB and S3 clients.
Both talk to the same embedded AWS (moto server) over HTTP, as a Lambda would talk to AWS.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from devtools.template import ROOT, create_resources, functions

RUNS = int(os.environ.get("BENCH_RUNS", "5"))

FLOOR = """
import time; started = time.perf_counter()
import boto3
boto3.client("dynamodb"); boto3.client("s3")
print(time.perf_counter() - started)
"""

HANDLER = """
import time; started = time.perf_counter()
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", {app!r})
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
class Context:
    function_name = "bench"; memory_limit_in_mb = 512; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"
    def get_remaining_time_in_millis(self): return 10000
response = module.lambda_handler(json.load(open({event!r})), Context())
# Sample events may find their item already changed by an earlier run (deleted, say): any answer
# but a server error is a served first request.
assert not isinstance(response, dict) or response.get("statusCode", 200) < 500, response
print(time.perf_counter() - started)
"""


def layer_site() -> Path:
    """The layer's requirements installed for this machine, as Lambda's /opt/python would hold them.

    Children run with -S (no site-packages), so the dev tools installed in .venv (SAM CLI, moto,
    awscrt, …) cannot make either side of the ratio slower or faster than on Lambda.
    """
    requirements = ROOT / "layers" / "shared" / "requirements.txt"
    target = ROOT / ".local" / "bench-layer"
    stamp = target / ".requirements"
    if not stamp.exists() or stamp.read_text() != requirements.read_text():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--upgrade", "--target", str(target),
                        "-r", str(requirements)], check=True)
        stamp.write_text(requirements.read_text())
    return target


def _run(code: str, env: dict) -> float:
    result = subprocess.run([sys.executable, "-S", "-c", textwrap.dedent(code)], env=env, capture_output=True,
                            text=True)
    if result.returncode:
        raise RuntimeError(result.stderr)
    return float(result.stdout.strip().splitlines()[-1])


def cold_start(env: dict) -> list[str]:
    floor = [_run(FLOOR, env) for _ in range(RUNS)]
    lines = [f"floor (boto3 + DynamoDB and S3 clients): min {min(floor)*1000:.0f} ms, "
             f"median {statistics.median(floor)*1000:.0f} ms, {RUNS} runs"]
    for logical_id, resource in sorted(functions().items()):
        code_dir = ROOT / resource["Properties"]["CodeUri"]
        event = ROOT / "events" / f"{code_dir.name}.json"
        code = HANDLER.format(app=str(code_dir / "app.py"), event=str(event))
        times = [_run(code, env) for _ in range(RUNS)]
        lines.append(
            f"{logical_id:28} import + first call: min {min(times)/min(floor):.2f}x, "
            f"median {statistics.median(times)/statistics.median(floor):.2f}x the floor "
            f"({min(times)*1000:.0f} / {statistics.median(times)*1000:.0f} ms)"
        )
    return lines


def main() -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("AWS_")},
        "AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
        "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}:{layer_site()}",
        "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_METRICS_NAMESPACE": "cloudshare",
        # What the Lambda runtime sets: the X-Ray SDK then samples locally (no sampling client at
        # import) and Tracer records for real, sending segments over UDP as it would in Lambda.
        "LAMBDA_TASK_ROOT": tempfile.gettempdir(), "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "POWERTOOLS_SERVICE_NAME": "cloudshare", "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    try:
        env.update(create_resources("bench").environment())
        os.environ.update(env)
        from devtools.samples import seed

        seed()
        print("== cold start ==")
        print("\n".join(cold_start(env)))
    finally:
        server.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    main()
