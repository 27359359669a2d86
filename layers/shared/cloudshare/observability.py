"""One Logger, Tracer and Metrics per process, configured by the POWERTOOLS_* environment."""

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

from cloudshare import coldstart

logger = Logger()
# Every call out of a function is an AWS call through botocore: patching the X-Ray SDK's other
# libraries (requests, httplib, sqlite3, …) would only add to each cold start.
tracer = Tracer(patch_modules=["botocore"])
metrics = Metrics()


def instrumented(handler: Callable[..., Any], correlation_id_path: str | None = None) -> Callable[..., Any]:
    """Wraps a Lambda handler with structured logs (state cleared per call), a trace and metrics; the
    first request served ends the cold start (coldstart.end)."""
    handler = metrics.log_metrics(capture_cold_start_metric=True)(handler)
    handler = tracer.capture_lambda_handler(handler)
    handler = logger.inject_lambda_context(correlation_id_path=correlation_id_path, clear_state=True)(handler)

    @functools.wraps(handler)
    def served(event: Any, context: Any) -> Any:
        try:
            return handler(event, context)
        finally:
            coldstart.end()

    return served
