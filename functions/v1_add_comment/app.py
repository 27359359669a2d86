"""POST /api/v1/artifacts/{slug}/comments — the owner's reply (`text`, optional `version_number`), marked as theirs."""

from cloudshare.dialects import forms, v1, v1_bodies
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import comments

app = v1.resolver()


@app.post("/api/v1/artifacts/<slug>/comments", responses={201: {"description": "The comment, as stored"}})
def add_comment(slug: str) -> tuple[dict, int]:
    text, version = v1_bodies.owner_comment(forms.of_request(app.current_event))
    return v1.comment_added(comments.reply(caller(app).user, slug, text, version)), 201


lambda_handler = entrypoint(app)
