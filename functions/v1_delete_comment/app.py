"""DELETE /api/v1/artifacts/{slug}/comments/{comment_id} — removes one comment (total_comments follows)."""

from cloudshare.dialects import v1
from cloudshare.dialects.http import caller, entrypoint
from cloudshare.services import comments

app = v1.resolver()


@app.delete("/api/v1/artifacts/<slug>/comments/<comment_id>")
def delete_comment(slug: str, comment_id: str) -> dict:
    comments.remove(caller(app).user, slug, comment_id)
    return v1.done("Comment deleted successfully")


lambda_handler = entrypoint(app)
