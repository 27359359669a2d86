"""ANY /{proxy+} — a path no route knows: 404 in the dialect of the path (v3, v1, or a public page)."""

from cloudshare.dialects import fallback
from cloudshare.dialects.http import rest_entrypoint

lambda_handler = rest_entrypoint(fallback.resolve)
