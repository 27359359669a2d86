import os

# Tests never reach real AWS: fake credentials and a region, before anything imports boto3.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    SAM_CLI_TELEMETRY="0",
    POWERTOOLS_METRICS_NAMESPACE="cloudshare",
    POWERTOOLS_SERVICE_NAME="cloudshare",
    POWERTOOLS_TRACE_DISABLED="true",
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
