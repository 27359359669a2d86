"""GET /api/v1/artifacts/{slug} — one artifact with its versions (clients of the presigned flow poll it)."""

from cloudshare.dialects import v1
from cloudshare.dialects.http import base_url, caller, entrypoint
from cloudshare.services import artifacts

app = v1.resolver()


@app.get("/api/v1/artifacts/<slug>")
def get_artifact(slug: str) -> dict:
    return v1.artifact_detail(*artifacts.get_artifact(caller(app).user, slug), base_url(app))


lambda_handler = entrypoint(app)
