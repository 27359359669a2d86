"""One Logger, Tracer and Metrics per process, configured by the POWERTOOLS_* environment."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def instrumented(handler: Callable[..., Any], correlation_id_path: str | None = None) -> Callable[..., Any]:
    """Wraps a Lambda handler with structured logs (state cleared per call), a trace and metrics."""
    handler = metrics.log_metrics(capture_cold_start_metric=True)(handler)
    handler = tracer.capture_lambda_handler(handler)
    return logger.inject_lambda_context(correlation_id_path=correlation_id_path, clear_state=True)(handler)
