"""A Lambda cold start without the cyclic garbage collector.

A cold start allocates some 90,000 long-lived objects (botocore's service models, Powertools, pydantic,
our modules) and almost no garbage: the collector's passes over them while they are made were about an
eighth of a cold start's CPU, and one full pass after init found about 2,400 objects to free. So in
Lambda the collector is off from this package's first import until the first request has been served;
then the objects made so far are frozen (gc.freeze: later passes never walk them again, which also
spares warm requests a full pass over them) and the collector is on again.
Elsewhere (tests, the local stack, the CLI) nothing changes."""

import gc
import os


def begin() -> None:
    """Called once, by the package's __init__, before anything heavy is imported."""
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        gc.disable()


def end() -> None:
    """Called after every request; only the first, in Lambda, finds the collector off."""
    if not gc.isenabled() and os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        gc.freeze()
        gc.enable()
