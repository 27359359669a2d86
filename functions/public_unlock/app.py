"""POST /{code}/unlock — a password-protected item's form (or JSON {"password"}): a short-lived grant cookie."""

from cloudshare.dialects import pages
from cloudshare.dialects.http import entrypoint
from cloudshare.services import sharing

app = pages.resolver()


@app.post("/<code>/unlock", responses=pages.UNLOCK_ANSWERS)
def unlock(code: str):
    return pages.unlocked(app, sharing.unlock(pages.visit(app, code), pages.password(app)))


lambda_handler = entrypoint(app)
