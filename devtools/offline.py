"""The environment of an in-process run (the benches): moto behind fake credentials, never an
endpoint or real AWS, and Powertools quiet. Set it before cloudshare is imported: Powertools reads
its settings when its modules load."""

import os


def use_in_process_aws(**variables: str) -> None:
    """Sets the environment, with the run's own `variables` (table, bucket, log level...) on top."""
    os.environ.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_NAMESPACE="cloudshare",
        POWERTOOLS_SERVICE_NAME="cloudshare",
        POWERTOOLS_LOG_LEVEL="WARNING",
        **variables,
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
