"""ANY /{proxy+} — a path no route knows: 404 in the dialect of the path (v3, v1, or a public page)."""

from aws_lambda_powertools.logging import correlation_paths

from cloudshare.dialects import fallback
from cloudshare.observability import instrumented

lambda_handler = instrumented(fallback.resolve, correlation_paths.API_GATEWAY_REST)
