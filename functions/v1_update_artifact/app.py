"""PUT /api/v1/artifacts/{slug} — metadata and/or a new version (inline `file` or presigned `file_name`).

Takes multipart/form-data (as the seed's curl examples), URL-encoded forms, or a JSON object for
metadata-only changes.
"""

from cloudshare.dialects import forms, v1, v1_bodies
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import artifacts

app = v1.resolver()


@app.put("/api/v1/artifacts/<slug>")
def update_artifact(slug: str) -> dict:
    request = v1_bodies.artifact_update(forms.of_request(app.current_event))
    return v1.artifact_updated(artifacts.update_artifact(caller(app).user, slug, request))


lambda_handler = entrypoint(app)
