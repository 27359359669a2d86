"""POST /api/v1/artifacts — a new artifact from an inline file (multipart `file`) or a presigned POST."""

from cloudshare.dialects import forms, v1, v1_bodies
from cloudshare.dialects.http import base_url, caller, entrypoint
from cloudshare.services import artifacts

app = v1.resolver()


@app.post(
    "/api/v1/artifacts", responses={201: {"description": "Created (with `upload` when the file is to be POSTed to S3)"}}
)
def create_artifact() -> tuple[dict, int]:
    request = v1_bodies.new_artifact(forms.of_request(app.current_event), app.current_event.headers.get("user-agent"))
    return v1.artifact_created(artifacts.create_artifact(caller(app).user, request), base_url(app)), 201


lambda_handler = entrypoint(app)
