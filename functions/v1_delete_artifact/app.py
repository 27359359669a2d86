"""DELETE /api/v1/artifacts/{slug} — soft delete: restorable until the retention period ends."""

from cloudshare.dialects import v1
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import management

app = v1.resolver()


@app.delete("/api/v1/artifacts/<slug>")
def delete_artifact(slug: str) -> dict:
    management.soft_delete(caller(app).user, slug)
    return v1.done("Artifact deleted successfully")


lambda_handler = entrypoint(app)
