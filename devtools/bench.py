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

from devtools.template import ROOT, create_resources, functions, template

RUNS = int(os.environ.get("BENCH_RUNS", "7"))  # BENCH_ONLY=V3Get,Public: some functions
MAX_RATIO = 1.3  # every function, by the median of its runs
MAX_MEDIAN_RATIO = 1.2  # the median function

# Each child prints its wall time and its own CPU time. Every run is judged on both; the gate uses CPU
# time, because on a shared machine wall time mostly measures the other processes' work (a Lambda
# has its CPU to itself during init, so there its wall time is this CPU time plus the AWS round trips).
FLOOR = """
import time; started, cpu = time.perf_counter(), time.process_time()
import boto3
boto3.client("dynamodb"); boto3.client("s3")
print(time.perf_counter() - started, time.process_time() - cpu)
"""

# What every API function carries before a line of ours runs: the floor, plus Powertools' Logger, Tracer
# (patching botocore, as cloudshare.observability does), Metrics and the REST event handler, loaded as a
# function loads them in Lambda: without the garbage collector (cloudshare/coldstart.py). Reported beside
# the gate (not gated): a function's CPU over it is what our own code and its first request cost.
LIBRARIES = """
import time; started, cpu = time.perf_counter(), time.process_time()
import gc; gc.disable()
import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
Logger(); Tracer(patch_modules=["botocore"]); Metrics(); APIGatewayRestResolver()
boto3.client("dynamodb"); boto3.client("s3")
print(time.perf_counter() - started, time.process_time() - cpu)
"""

HANDLER = """
import time; started, cpu = time.perf_counter(), time.process_time()
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
print(time.perf_counter() - started, time.process_time() - cpu)
"""


def built_layers() -> dict[str, Path]:
    """Each layer of the template, built by its own Makefile as `sam build` builds it, for this machine
    rather than for arm64: the bench measures the bytecode that ships, not what a laptop cached.

    Children run with -S (no site-packages), so the dev tools installed in .venv (SAM CLI, moto,
    awscrt, …) cannot make either side of the ratio slower or faster than on Lambda.
    """
    built = {}
    for logical_id, resource in template()["Resources"].items():
        if resource["Type"] != "AWS::Serverless::LayerVersion":
            continue
        artifacts = ROOT / ".local" / "bench-layers" / logical_id
        subprocess.run(
            [
                "make",
                "-s",
                "-C",
                str(ROOT / resource["Properties"]["ContentUri"]),
                f"build-{logical_id}",
                "PIP_PLATFORM=",
            ],
            env={
                **os.environ,
                "ARTIFACTS_DIR": str(artifacts),
                "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            },
            check=True,
        )
        built[logical_id] = artifacts / "python"
    return built


def layer_path(function: dict, layers: dict[str, Path]) -> str:
    """A function's PYTHONPATH: its layers, the template's Globals first, as Lambda stacks them in /opt."""
    declared = template()["Globals"]["Function"].get("Layers", []) + function["Properties"].get("Layers", [])
    return ":".join(str(layers[layer["Ref"]]) for layer in declared)


def declared_environment(function: dict) -> dict[str, str]:
    """The template's plain-valued variables for a function (POWERTOOLS_*: log level, tracer settings), its
    Globals' and its own; those that name resources come from create_resources."""
    declared = {
        **template()["Globals"]["Function"].get("Environment", {}).get("Variables", {}),
        **function["Properties"].get("Environment", {}).get("Variables", {}),
    }
    return {name: value for name, value in declared.items() if isinstance(value, str)}


def _run(code: str, env: dict, path: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh process with `path` as its PYTHONPATH."""
    result = subprocess.run(
        [sys.executable, "-S", "-c", textwrap.dedent(code)],
        env={**env, "PYTHONPATH": path},
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    wall, cpu = result.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def cold_start(env: dict, layers: dict[str, Path]) -> tuple[list[str], bool]:
    """Lines to print, and whether every function and the median are within their bounds.

    Every run of a function (and of the libraries) is paired with a run of the floor just before it,
    and judged by the ratio of the two; a function's ratio is the median of its runs'. The machine's
    speed drifts by tens of percent over minutes (the other tenants of its host): a pair sees one
    speed, where the fastest run of each, taken minutes apart, may not."""
    only = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]  # to look at a few
    shared = str(layers["SharedLayer"])
    measured = {"libraries": (LIBRARIES, shared, env)}
    for logical_id, resource in sorted(functions().items()):
        if only and not any(name in logical_id for name in only):
            continue
        code_dir = ROOT / resource["Properties"]["CodeUri"]
        event = ROOT / "events" / f"{code_dir.name}.json"
        measured[logical_id] = (
            HANDLER.format(app=str(code_dir / "app.py"), event=str(event)),
            layer_path(resource, layers),
            {**env, **declared_environment(resource)},
        )
    floors: list[tuple[float, float]] = []
    pairs: dict[str, list[tuple[float, float]]] = {name: [] for name in measured}  # (CPU, wall) ratios
    for _ in range(RUNS):
        for name, (code, path, function_env) in measured.items():
            floor, run = _run(FLOOR, env, shared), _run(code, function_env, path)
            floors.append(floor)
            pairs[name].append((run[1] / floor[1], run[0] / floor[0]))
    floor_wall, floor_cpu = (statistics.median(run[clock] for run in floors) for clock in (0, 1))
    ratio = {
        name: tuple(statistics.median(pair[clock] for pair in runs) for clock in (0, 1)) for name, runs in pairs.items()
    }
    libraries = ratio.pop("libraries")[0]
    lines = [
        f"floor (boto3 + DynamoDB and S3 clients), median of {len(floors)} runs: {floor_cpu * 1000:.0f} ms CPU, "
        f"{floor_wall * 1000:.0f} ms wall",
        f"libraries (the floor + Powertools' Logger, Tracer, Metrics, event handler): {libraries:.2f}x the floor",
        f"{'function':28} {'CPU ratio':>9} {'wall ratio':>10} {'ours (ms)':>9}   (each the median of {RUNS} runs, each run "
        f"over the floor's run beside it; the gate is CPU ≤ {MAX_RATIO}x, median ≤ {MAX_MEDIAN_RATIO}x; ours: CPU over "
        f"the libraries, at the floor's median)",
    ]
    for logical_id, (cpu, wall) in ratio.items():
        ours = (cpu - libraries) * floor_cpu * 1000
        lines.append(f"{logical_id:28} {cpu:8.2f}x {wall:9.2f}x {ours:9.0f}{'   over' if cpu > MAX_RATIO else ''}")
    cpu_ratios = [cpu for cpu, _ in ratio.values()]
    median = statistics.median(cpu_ratios)
    within = sum(cpu <= MAX_RATIO for cpu in cpu_ratios)
    lines.append(f"median {median:.2f}x; {within} of {len(cpu_ratios)} functions ≤ {MAX_RATIO}x")
    return lines, within == len(cpu_ratios) and median <= MAX_MEDIAN_RATIO


def main() -> int:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("AWS_")},
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        # What the Lambda runtime sets: the X-Ray SDK then samples locally (no sampling client at
        # import) and Tracer records for real, sending segments over UDP as it would in Lambda; and
        # cloudshare's cold start runs without the garbage collector, as in Lambda (coldstart.py).
        "LAMBDA_TASK_ROOT": tempfile.gettempdir(),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    }
    os.environ.update(env)
    layers = built_layers()
    try:
        env.update(create_resources("bench").environment())
        os.environ.update(env)
        from devtools.samples import seed

        seed()
        print("== cold start ==", flush=True)
        lines, within = cold_start(env, layers)
        print("\n".join(lines))
    finally:
        server.stop()
    return 0 if within else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    sys.exit(main())
