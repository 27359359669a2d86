"""POST /api/v1/artifacts/{slug}/restore — brings back a soft-deleted artifact before its purge."""

from cloudshare.dialects import v1
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import management

app = v1.resolver()


@app.post("/api/v1/artifacts/<slug>/restore")
def restore_artifact(slug: str) -> dict:
    management.restore(caller(app).user, slug)
    return v1.done("Artifact restored successfully")


lambda_handler = entrypoint(app)
