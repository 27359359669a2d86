"""Runs the template's Lambda handlers the way SAM CLI's runner would in Docker.

InProcessRunner (the unit tests, with moto in-process) gives each concurrent invocation of a
function its own copy of the handler module, because a Powertools resolver keeps the current
event on its instance; devtools.workers.ProcessRunner (`make dev`) runs each in its own process.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from queue import Empty, SimpleQueue

from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

from devtools import iam
from devtools.template import ROOT, TEMPLATE

LOG = logging.getLogger("cloudshare.local")


@dataclass
class LambdaContext:
    function_name: str
    timeout_seconds: int
    memory_limit_in_mb: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


class FunctionFailed(Exception):
    def __init__(self, message: str, error_type: str):
        super().__init__(message)
        self.error_type = error_type


class _PerThread:
    """A value per thread, read through instances and (via the metaclass below) through the class; a
    thread's first read gets `initial()` (None without it)."""

    def __init__(self, initial=lambda: None) -> None:
        self._local = threading.local()
        self._initial = initial

    def __get__(self, instance, owner=None):
        if not hasattr(self._local, "value"):
            self._local.value = self._initial()
        return self._local.value

    def __set__(self, instance, value) -> None:
        self._local.value = value


def _one_request_per_thread() -> None:
    """Powertools keeps the current event on the BaseRouter class (one Lambda serves one request
    at a time); in one process serving concurrent requests, each thread must see its own."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if type(BaseRouter).__name__ == "PerThreadRouterMeta":
        return
    slots = {"current_event": _PerThread(), "lambda_context": _PerThread()}
    for name, slot in slots.items():
        setattr(BaseRouter, name, slot)  # read through resolver instances
    BaseRouter.__class__ = type("PerThreadRouterMeta", (type(BaseRouter),), slots)  # set through the class


def _one_metric_set_per_thread() -> None:
    """Powertools' Metrics keeps one metric set per process and publishes and clears it at the end of each
    invocation (one at a time on Lambda); in one process serving concurrent requests, one request's flush
    would publish or clear another's metrics ("Must contain at least one metric"). Each thread gets its own."""
    from cloudshare.observability import metrics

    provider = metrics.provider
    if type(provider).__name__ == "PerThreadMetricsProvider":
        return
    slots = {name: _PerThread(dict) for name in ("metric_set", "dimension_set", "metadata_set")}
    provider.__class__ = type("PerThreadMetricsProvider", (type(provider),), slots)


class Runner:
    """What LocalApigwService needs of a runner: invoke(name, event, stdout=, stderr=) and is_debugging();
    what the stack's background work needs: call(name, event). Subclasses decide where handlers run."""

    def __init__(self) -> None:
        stacks, _ = SamLocalStackProvider.get_stacks(str(TEMPLATE))
        self.stacks = stacks
        self.functions = {function.name: function for function in SamFunctionProvider(stacks).get_all()}
        # Function -> its environment variables as the template declares them (Globals included).
        self.variables = {
            name: {key: str(value) for key, value in (function.environment or {}).get("Variables", {}).items()}
            for name, function in self.functions.items()
        }

    @staticmethod
    def layer_paths(function) -> list[str]:
        return [str(ROOT / layer.codeuri) for layer in function.layers]

    def environment(self) -> dict[str, str]:
        """The union of the functions' environment variables as the template declares them."""
        merged: dict[str, str] = {}
        for variables in self.variables.values():
            merged.update(variables)
        return merged

    def is_debugging(self) -> bool:
        return False

    def call(self, function_name: str, event: dict):
        """Invokes a handler with a Python event; raises FunctionFailed if the handler raised."""
        raise NotImplementedError

    def invoke(self, function_identifier: str, event: str, stdout=None, stderr=None, **_ignored) -> None:
        request = json.loads(event)
        request_id = None
        if "requestContext" in request:
            # SAM CLI computes its default requestId once, so every request would share one id (and
            # every log line one correlation_id); API Gateway gives each request its own.
            request_id = request["requestContext"]["requestId"] = str(uuid.uuid4())
        try:
            result = self.call(function_identifier, request)
        except FunctionFailed as failure:
            LOG.error("invocation failed: %s", failure)
            result = {"errorMessage": str(failure), "errorType": failure.error_type}
        if request_id and isinstance(result, dict) and "statusCode" in result:
            # API Gateway names the request in its answer: the handler's correlation_id.
            result["headers"] = {**(result.get("headers") or {}), "x-amzn-RequestId": request_id}
        stdout.write_str(json.dumps(result))


class InProcessRunner(Runner):
    """Runs the handlers in this process (the unit tests, with moto in-process)."""

    def __init__(self) -> None:
        super().__init__()
        _one_request_per_thread()
        self._idle: dict[str, SimpleQueue] = {name: SimpleQueue() for name in self.functions}
        self._loaded = 0
        self._load_lock = threading.Lock()
        for function in self.functions.values():
            for layer_path in self.layer_paths(function):
                if layer_path not in sys.path:
                    sys.path.insert(0, layer_path)
        _one_metric_set_per_thread()

    def call(self, function_name: str, event: dict):
        function = self.functions[function_name]
        handler = self._acquire(function_name)
        try:
            context = LambdaContext(function_name, function.timeout or 3, function.memory or 128)
            with iam.enforce(function_name):  # its AWS calls are authorised by its own policy, as on AWS
                return handler(event, context)
        except Exception as error:
            traceback.print_exc()  # as the Lambda runtime logs an unhandled error
            raise FunctionFailed(f"{function_name}: {type(error).__name__}: {error}", type(error).__name__) from error
        finally:
            self._idle[function_name].put(handler)

    def _acquire(self, function_name: str):
        try:
            return self._idle[function_name].get_nowait()
        except Empty:
            return self._load(function_name)

    def _load(self, function_name: str):
        function = self.functions[function_name]
        module_file, _, attribute = function.handler.rpartition(".")
        with self._load_lock:
            self._loaded += 1
            unique = f"lambda_{function_name}_{self._loaded}"
        path = ROOT / function.codeuri / f"{module_file.replace('.', '/')}.py"
        spec = importlib.util.spec_from_file_location(unique, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return getattr(module, attribute)
