"""Lambda execution environments for `make dev`: a process per warm function instance.

Lambda runs one request at a time in an environment, and keeps the environment (module state, the
Powertools logger's keys, boto3's connection pools) for the next request to that function only.
In one process shared by every handler, that state leaks between concurrent requests: log lines
named other requests, and all handlers queued on one connection pool. Here each function has a
pool of worker processes, started on demand up to a cap (its concurrency), reused while warm and
stopped after sitting idle (as Lambda recycles idle environments), which bounds the stack's memory.

Workers are forked from a fork server that has already imported the heavy libraries, so a cold
start costs the handler's own imports, as on Lambda; the fork server itself never starts threads.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing import forkserver
from multiprocessing.connection import Connection

from devtools import iam, layers
from devtools.runner import FunctionFailed, LambdaContext, Runner
from devtools.template import ROOT

# Imported once in the fork server (never at the workers' cold starts); none of them starts a thread.
_PRELOAD = [
    "boto3",
    "botocore.session",
    "aws_xray_sdk.core",
    "pydantic",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.event_handler.openapi.params",
]
_GRACE_SECONDS = 2  # beyond a function's Timeout before its worker is declared hung and stopped
# Lambda allows 10 s for a cold start, apart from the function's Timeout; on a laptop busy with
# several cold starts at once (or a shared CI machine) imports take longer.
_INIT_SECONDS = 60


@dataclass
class Setup:
    """All a worker needs to become one instance of one function."""

    function_name: str
    handler_file: str
    handler_attribute: str
    environment: dict[str, str]
    paths: list[str]
    refused_modules: frozenset[str]  # of the layers it does not carry (devtools.layers)
    timeout_seconds: int
    memory_mb: int


def set_up_environment(setup: Setup) -> None:
    """The one place where a function's execution environment is made: its own variables (no other
    function's), its layers on the path and no other layer's packages. Whatever must hold for every call the function makes
    (such as checking its AWS calls against its policy) is installed here, before the handler loads."""
    os.environ.clear()
    os.environ.update(setup.environment)
    for path in reversed(setup.paths):
        if path not in sys.path:
            sys.path.insert(0, path)
    layers.refuse(setup.refused_modules)  # what its layers would not give it on AWS
    iam.assume_role(setup.function_name)  # its AWS calls are authorised by its own policy, as on AWS


def _serve(setup: Setup, connection: Connection) -> None:
    """A worker's life: cold start, then one event at a time until the stack closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the stack ends its workers
    set_up_environment(setup)
    spec = importlib.util.spec_from_file_location(f"lambda_{setup.function_name}", setup.handler_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler = getattr(module, setup.handler_attribute)
    connection.send("ready")
    while True:
        try:
            event = connection.recv()
        except EOFError:
            return
        context = LambdaContext(setup.function_name, setup.timeout_seconds, setup.memory_mb)
        try:
            outcome = ("ok", handler(event, context))
        except Exception as error:  # what the Lambda runtime reports for an unhandled error
            traceback.print_exc()
            outcome = ("error", type(error).__name__, str(error))
        sys.stdout.flush()
        try:
            connection.send(outcome)
        except BrokenPipeError:  # the stack gave up on this call (its timeout) and this environment
            return


def _idle_clock() -> float:
    """The clock that idle times are measured on (a test moves it instead of waiting)."""
    return time.monotonic()


@dataclass(eq=False)
class _Instance:
    process: multiprocessing.Process
    connection: Connection
    idle_since: float = field(default_factory=_idle_clock)

    def stop(self) -> None:
        _stop([self])


def _stop(instances: list[_Instance]) -> None:
    for instance in instances:
        instance.connection.close()  # a worker waiting for an event exits on the closed pipe
    deadline = time.monotonic() + 2
    for instance in instances:  # all exit at once, each given what is left of the same 2 s
        instance.process.join(timeout=max(0.0, deadline - time.monotonic()))
        if instance.process.is_alive():
            instance.process.kill()
            instance.process.join()


class _Pool:
    """The warm instances of one function: at most `cap` at once; a request waits for one when all are busy."""

    def __init__(self, start, cap: int):
        self._start, self._cap = start, cap
        self._idle: list[_Instance] = []
        self._count = 0
        self._changed = threading.Condition()

    def acquire(self) -> _Instance:
        with self._changed:
            while not self._idle and self._count >= self._cap:
                self._changed.wait()
            if self._idle:
                return self._idle.pop()  # the most recently used: the others may go idle and be stopped
            self._count += 1
        try:
            return self._start()
        except BaseException:
            self._forget()
            raise

    def release(self, instance: _Instance) -> None:
        instance.idle_since = _idle_clock()
        with self._changed:
            self._idle.append(instance)
            self._changed.notify()

    def discard(self, instance: _Instance) -> None:
        instance.stop()
        self._forget()

    def _forget(self) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify()

    def take_idle(self, idle_seconds: float) -> list[_Instance]:
        """Removes (for the caller to stop) the instances idle for longer than idle_seconds."""
        cutoff = _idle_clock() - idle_seconds
        with self._changed:
            stale = [instance for instance in self._idle if instance.idle_since < cutoff]
            self._idle = [instance for instance in self._idle if instance not in stale]
            self._count -= len(stale)
            self._changed.notify_all()
        return stale

    @property
    def size(self) -> int:
        return self._count


class ProcessRunner(Runner):
    """Invokes each function in its own worker processes (see the module's docstring)."""

    def __init__(self, max_instances: int, idle_seconds: float) -> None:
        super().__init__()
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)
        forkserver.ensure_running()  # its imports happen now, not in the first request's cold start
        self._pools = {name: _Pool(lambda name=name: self._start(name), max_instances) for name in self.functions}
        self._idle_seconds = idle_seconds
        self._stopped = threading.Event()
        threading.Thread(target=self._stop_idle_instances, name="lambda-recycler", daemon=True).start()

    def call(self, function_name: str, event: dict):
        function = self.functions[function_name]
        pool = self._pools[function_name]
        instance = pool.acquire()
        try:
            instance.connection.send(event)
            if not instance.connection.poll((function.timeout or 3) + _GRACE_SECONDS):
                raise TimeoutError(f"Task timed out after {function.timeout or 3} seconds")
            outcome = instance.connection.recv()
        except (OSError, EOFError, TimeoutError) as error:  # hung or dead: this environment is gone
            pool.discard(instance)
            raise FunctionFailed(f"{function_name}: {error or type(error).__name__}", type(error).__name__) from error
        pool.release(instance)
        if outcome[0] == "error":
            _, error_type, message = outcome
            raise FunctionFailed(f"{function_name}: {error_type}: {message}", error_type)
        return outcome[1]

    def instances(self) -> dict[str, int]:
        """Function -> its instances now (busy or warm)."""
        return {name: pool.size for name, pool in self._pools.items() if pool.size}

    def close(self) -> None:
        self._stopped.set()
        _stop([instance for pool in self._pools.values() for instance in pool.take_idle(-1)])

    def _start(self, function_name: str) -> _Instance:
        function = self.functions[function_name]
        module_file, _, attribute = function.handler.rpartition(".")
        own = set(self.variables[function_name])
        others = set().union(*self.variables.values()) - own
        setup = Setup(
            function_name=function_name,
            handler_file=str(ROOT / function.codeuri / f"{module_file.replace('.', '/')}.py"),
            handler_attribute=attribute,
            environment={name: value for name, value in os.environ.items() if name not in others},
            paths=self.layer_paths(function),
            refused_modules=layers.refused([layer.name for layer in function.layers]),
            timeout_seconds=function.timeout or 3,
            memory_mb=function.memory or 128,
        )
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(setup, theirs), name=f"lambda-{function_name}", daemon=True
        )
        process.start()
        theirs.close()
        instance = _Instance(process, ours)
        try:
            if not ours.poll(_INIT_SECONDS) or ours.recv() != "ready":
                raise TimeoutError(f"no cold start within {_INIT_SECONDS} s")
        except (OSError, EOFError, TimeoutError) as error:  # the handler failed to load (logged by the worker)
            instance.stop()
            raise FunctionFailed(
                f"{function_name}: init failed: {error or type(error).__name__}", "Runtime.InitError"
            ) from error
        return instance

    def _stop_idle_instances(self) -> None:
        while not self._stopped.wait(min(30.0, self._idle_seconds / 4)):
            _stop([instance for pool in self._pools.values() for instance in pool.take_idle(self._idle_seconds)])
