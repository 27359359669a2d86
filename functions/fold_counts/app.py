"""EventBridge schedule -> counter shards folded into their items (services/counting.py)."""

from cloudshare.observability import instrumented
from cloudshare.services import counting


def fold_counts(event: dict, context) -> dict:
    return counting.run(time_left_ms=context.get_remaining_time_in_millis)


lambda_handler = instrumented(fold_counts)
