"""What answers a path no route knows (API Gateway's `/{proxy+}`): 404 in the dialect the path
belongs to, instead of API Gateway's own 403 "Missing Authentication Token", which a v3 client
would read as "Digest authentication failed"."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from cloudshare.dialects import pages, v1, v3

if TYPE_CHECKING:
    from typing import Any

    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
    from aws_lambda_powertools.utilities.typing import LambdaContext


@cache
def _resolvers() -> dict[str, ApiGatewayResolver]:
    return {
        "/v3/": v3.resolver(authenticated=False),
        "/api/v1/": v1.resolver(authenticated=False),
        "": pages.resolver(),
    }


def resolve(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Every path here is unknown: the matching dialect's resolver answers with its not-found
    (a dialect's root, `/v3` or `/api/v1`, included)."""
    path = (event.get("path") or "/").rstrip("/") + "/"
    prefix = next(prefix for prefix in _resolvers() if path.startswith(prefix))
    return _resolvers()[prefix].resolve(event, context)
