"""S3 ObjectCreated -> the upload becomes an item (idempotent; events come at least once, in any order)."""

from cloudshare.observability import instrumented
from cloudshare.services import uploads


def finalize(event: dict, context) -> None:
    for record in event.get("Records", []):
        stored = record["s3"]["object"]
        uploads.finalize_object(stored["key"], stored.get("versionId"))  # the key still URL-encoded, as S3 sends it


lambda_handler = instrumented(finalize)
