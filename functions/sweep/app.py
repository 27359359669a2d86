"""EventBridge schedule -> one lifecycle sweep, within this invocation's time (the next run continues)."""

from cloudshare.observability import instrumented
from cloudshare.services import sweeps


def sweep(event: dict, context) -> dict:
    return sweeps.run(time_left_ms=context.get_remaining_time_in_millis).summary()


lambda_handler = instrumented(sweep)
