"""The public face: share pages for browsers (HTML) and API clients (JSON, the v3 item shape), the
password form, refusal pages, redirects to presigned GETs, thumbnail placeholders, the upload page,
and link previews: Open Graph / Twitter card tags on share pages and the oEmbed document.

HTML comes from Jinja2 templates (templates/, autoescaping on), imported only when a page is
rendered: JSON answers and redirects do not pay for it. Pages run no script except the upload page,
and send a strict Content-Security-Policy with a per-response nonce for their inline style.
"""

from __future__ import annotations

import json
import secrets
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, LambdaFunctionUrlResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from botocore.exceptions import ClientError

from cloudshare import content_types
from cloudshare.config import settings
from cloudshare.dialects import forms, v3
from cloudshare.dialects.forms import client_input
from cloudshare.dialects.http import RETRY_AFTER_SECONDS, base_url, handles, handles_not_found, is_transient
from cloudshare.errors import (
    CloudshareError,
    InternalError,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyAttempts,
)
from cloudshare.models import Comment, Item
from cloudshare.observability import logger, metrics
from cloudshare.services import comments, links, sharing
from cloudshare.services.auth import RequestCredentials

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.exceptions import NotFoundError
    from jinja2 import BaseLoader, Environment

TEMPLATES = Path(__file__).resolve().parent / "templates"
COMPILED = Path(__file__).resolve().parent / "templates_compiled"  # made by the layer's build only
GRANT_COOKIE = "grant_"  # + slug; scoped by Path to the item's link
MAX_TOKEN_LENGTH = 256  # far above any grant or ticket we sign
_ICONS = {"image": "🖼️", "video": "🎞️", "audio": "🎵", "pdf": "📕", "text": "📄", "archive": "🗜️", "bookmark": "🔗"}
# Link previewers, by what their User-Agent contains (lower case). iMessage sends
# "facebookexternalhit/1.1 Facebot Twitterbot/1.0"; Teams sends SkypeUriPreview (MicrosoftPreview for Office).
UNFURLERS = (
    "slackbot",
    "slack-imgproxy",
    "discordbot",
    "twitterbot",
    "facebookexternalhit",
    "facebot",
    "whatsapp",
    "telegrambot",
    "skypeuripreview",
    "microsoftpreview",
    "linkedinbot",
)
OEMBED_CACHE_SECONDS = 60  # cache_age: a preview may lag a change of the item by this much


# What each public route may answer, for the OpenAPI document (routes pass these to their decorator).
_HTML = {"text/html": {"schema": {"type": "string"}}}
_JSON = {"application/json": {"schema": {"type": "object"}}}
PAGE_ANSWERS = {
    200: {
        "description": "The share page (HTML), or the item as JSON for Accept: application/json",
        "content": {**_HTML, **_JSON},
    },
    302: {"description": "A bookmark: its URL"},
}
FILE_ANSWERS = {302: {"description": "A presigned S3 GET that lives minutes"}}
THUMBNAIL_ANSWERS = {
    200: {"description": "A placeholder image", "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
    302: {"description": "A presigned S3 GET of the thumbnail"},
}
UNLOCK_ANSWERS = {
    200: {"description": "JSON clients: the grant", "content": _JSON},
    303: {"description": "Browsers: back to the page, with the grant cookie"},
}
COMMENTS_ANSWERS = {
    200: {"description": "The comments (HTML), or JSON for Accept: application/json", "content": {**_HTML, **_JSON}}
}
COMMENT_POSTED_ANSWERS = {
    201: {"description": "JSON clients: the comment", "content": _JSON},
    303: {"description": "Browsers: back to the page's comments"},
}
HTML_ANSWERS = {200: {"description": "A page", "content": _HTML}}
OEMBED_ANSWERS = {200: {"description": "The oEmbed document (type link) of a shared item", "content": _JSON}}
JSON_ANSWERS = {200: {"description": "A JSON document", "content": _JSON}}


# ---------------------------------------------------------------- requests


def resolver() -> APIGatewayRestResolver:
    """A resolver for the pages API Gateway serves (upload page, docs, unknown paths): no
    authentication; refusals as pages or JSON, as asked. A share link that still names the API's
    host is sent on to the share links' host."""
    app = _answering_refusals(APIGatewayRestResolver())

    @handles_not_found(app)
    def _moved_or_missing(_error: NotFoundError) -> Response[str]:
        moved = _moved_share_link(app)
        return redirect(moved, status=308) if moved else refusal(app, sharing.Unavailable("missing"))

    return app


def _moved_share_link(app: APIGatewayRestResolver) -> str | None:
    """Where a share link (or an oEmbed query) on the API's host lives now. Share links were served
    there before they moved to the public function URL, and links in the wild keep working. 308
    keeps the method and body (a password form). None when the share host is this one (make dev)."""
    share = settings().share_base_url
    if not share or urlsplit(share).netloc == urlsplit(base_url(app)).netloc:
        return None
    event = app.current_event
    first = event.path.strip("/").split("/")[0]
    if first != "oembed" and links.split_code(first) is None:
        return None
    query = urlencode(event.query_string_parameters or {})
    return f"{share.rstrip('/')}{quote(event.path)}" + (f"?{query}" if query else "")


def share_resolver() -> LambdaFunctionUrlResolver:
    """The resolver of the share links' function URL (payload format 2.0), which takes every path
    of its host: what no route matches is the public not-found."""
    return _answering_refusals(LambdaFunctionUrlResolver())


def _answering_refusals[Resolver: ApiGatewayResolver](app: Resolver) -> Resolver:
    @handles(app, CloudshareError)
    def _refused(error: CloudshareError) -> Response[str]:
        return refusal(app, error)

    @handles_not_found(app)
    def _no_route(_error: NotFoundError) -> Response[str]:
        return refusal(app, sharing.Unavailable("missing"))

    @handles(app, Exception)
    def _unexpected(_error: Exception) -> Response[str]:
        logger.exception("unexpected error")
        metrics.add_metric(name="UnexpectedError", unit=MetricUnit.Count, value=1)
        return refusal(app, InternalError())

    @handles(app, ClientError)
    def _aws_error(error: ClientError) -> Response[str]:
        if not is_transient(error):
            return _unexpected(error)
        # Every public write is one conditional write or transaction: nothing is half-written, retry.
        metrics.add_metric(name="DependencyUnavailable", unit=MetricUnit.Count, value=1)
        logger.warning("AWS dependency unavailable after retries", extra={"code": error.response["Error"]["Code"]})
        return refusal(app, ServiceUnavailable("Service temporarily unavailable; retry shortly"))

    return app


@client_input
def visit(app: LambdaFunctionUrlResolver, code: str) -> sharing.Visit:
    """What the sharing rules need to know of this request (a function URL's: cookies arrive in a
    list of their own, the client's address in requestContext.http)."""
    event = app.current_event
    headers = _headers(app)
    parts = links.split_code(code)
    slug = parts[0] if parts else ""
    source = event.request_context.http.source_ip or ""
    credentials = None
    if "authorization" in headers or "x-api-key" in headers:
        credentials = RequestCredentials(headers, event.http_method, (event.path,), source)
    return sharing.Visit(
        code=code,
        grant=_token(cookies("; ".join(event.cookies)).get(GRANT_COOKIE + slug, "")),
        ticket=_token((event.query_string_parameters or {}).get("t", "")),
        client=source,
        credentials=credentials,
        unfurl=is_unfurler(headers.get("user-agent", "")) and not wants_json(app),
    )


def is_unfurler(user_agent: str) -> bool:
    agent = user_agent.lower()
    return any(name in agent for name in UNFURLERS)


class FormatNotImplemented(CloudshareError):
    status = 501  # what the oEmbed spec asks for a format the provider does not offer

    def __init__(self) -> None:
        super().__init__("Only format=json is offered.", field="format")


@client_input
def oembed_visit(app: ApiGatewayResolver) -> sharing.Visit:
    """The unfurl that GET /oembed?url=<share url>[&format=json] asks for; maxwidth and maxheight
    are accepted and change nothing (a link has no size). Any other URL is unknown."""
    query = app.current_event.query_string_parameters or {}
    if query.get("format", "json") != "json":
        raise FormatNotImplemented()
    prefix, url = base_url(app) + "/", query.get("url", "")
    code = url[len(prefix) :] if url.startswith(prefix) else ""
    if not code or any(mark in code for mark in "/?#"):
        raise sharing.Unavailable("missing")
    return sharing.Visit(code=code, unfurl=True)


@client_input
def password(app: LambdaFunctionUrlResolver) -> str:
    """The password from an HTML form (urlencoded) or a JSON body {"password": "…"}."""
    body = app.current_event.decoded_body or ""
    if forms.is_json(_headers(app).get("content-type", "")):
        document = forms.load_json(body) if body.strip() else {}
        value = document.get("password") if isinstance(document, dict) else None
    else:
        value = next(iter(parse_qs(body).get("password", [])), None)
    return value if isinstance(value, str) else ""


@client_input
def comment_sent(app: ApiGatewayResolver) -> comments.VisitorComment:
    """The comment form (URL-encoded, multipart) or a JSON object: name, text, form_token, and the
    honeypot `website`. The body's size is checked before it is parsed."""
    event = app.current_event
    if len(event.body or "") > comments.MAX_BODY_BYTES:
        raise PayloadTooLarge(f"A comment is at most {comments.MAX_BODY_BYTES} bytes of request", field="text")
    form = forms.of_request(event)
    return comments.VisitorComment(
        author=form.text("name"),
        text=form.text("text"),
        form_token=form.text("form_token"),
        honeypot=form.text("website"),
    )


@client_input
def comment_query(app: ApiGatewayResolver) -> tuple[str | None, int | None]:
    """?before=<comment id>&limit=<n>: where a page of comments starts, and its size."""
    params = forms.Form(fields=dict(app.current_event.query_string_parameters or {}))
    return params.text("before"), params.integer("limit", minimum=1)


def wants_json(app: ApiGatewayResolver) -> bool:
    accept = _headers(app).get("accept", "").lower()
    return "application/json" in accept and "text/html" not in accept


# ---------------------------------------------------------------- responses


def shared_item(app: LambdaFunctionUrlResolver, shared: sharing.SharedItem) -> Response[str]:
    """The share page, the item as JSON, or (a bookmark in a browser) a redirect to its URL."""
    item, base = shared.item, base_url(app)
    if wants_json(app):
        return _json(200, item_json(shared, base))
    if item.kind == "bookmark":
        return redirect(item.redirect_url or base)  # an unfurler then previews the bookmark's own page
    shown: dict[str, Any] = {
        "item": item,
        "icon": _ICONS.get(_kind(item), "📦"),
        "size": human_size(item.size),
        "content_type": content_types.served(item.content_type),
        "tags": preview_tags(item, base),
        "oembed_url": f"{base}/oembed?url={quote(links.share_url(item, base), safe='')}&format=json",
        "thread": comments.thread(item),
        "comments_url": f"{links.share_url(item, base)}/comments",
    }
    if shared.unfurl:
        # Not a view (sharing.view): no preview or download link, which would need this view's ticket.
        metrics.add_metric(name="Unfurl", unit=MetricUnit.Count, value=1)
        return page(app, 200, "share.html", content_url=None, download_url=None, preview=None, **shown)
    body = item_json(shared, base)
    return page(
        app,
        200,
        "share.html",
        content_url=body["content_url"],
        download_url=body["remote_url"],
        preview=content_types.preview(item.content_type),
        **shown,
    )


def preview_tags(item: Item, base: str) -> list[tuple[str, str, str]]:
    """The Open Graph and Twitter card tags of a file that may be shown, as (attribute, name, content).

    The image is the thumbnail route (public, counts nothing, a JPEG for images; other types have none
    worth showing: its placeholder is SVG, which unfurlers do not render). og:video is the content link
    without a ticket, so a chat app that plays it counts a view; an item that ends after N views has
    none, so that no unfurler's prefetch uses one up."""
    share, kind = links.share_url(item, base), _kind(item)
    described = f"{human_size(item.size)} · {content_types.served(item.content_type)}"  # a file: bookmarks redirect
    tags = [
        ("property", "og:site_name", "cloudshare"),
        ("property", "og:title", item.name),
        ("property", "og:type", "video.other" if kind == "video" else "website"),
        ("property", "og:url", share),
        ("property", "og:description", described),
        ("name", "twitter:card", "summary_large_image" if kind == "image" else "summary"),
        ("name", "twitter:title", item.name),
        ("name", "twitter:description", described),
    ]
    if kind == "image":
        tags += [
            ("property", "og:image", f"{share}/thumbnail"),
            ("property", "og:image:type", "image/jpeg"),
            ("property", "og:image:alt", item.name),
            ("name", "twitter:image", f"{share}/thumbnail"),
        ]
    if kind == "video" and item.expires_after_views is None:
        video = links.content_url(item, base)
        tags += [
            ("property", "og:video", video),
            ("property", "og:video:type", content_types.served(item.content_type)),
        ]
        if video.startswith("https://"):
            tags.append(("property", "og:video:secure_url", video))
    return tags


def oembed(app: ApiGatewayResolver, shared: sharing.SharedItem) -> Response[str]:
    """The oEmbed document (oembed.com, type link: a title and who provides it) of an item that may be shown."""
    metrics.add_metric(name="Unfurl", unit=MetricUnit.Count, value=1)
    base = base_url(app)
    return _json(
        200,
        {
            "version": "1.0",
            "type": "link",
            "title": shared.item.name,
            "provider_name": "cloudshare",
            "provider_url": base + "/",
            "cache_age": OEMBED_CACHE_SECONDS,
        },
    )


def oembed_refusal(app: ApiGatewayResolver, error: CloudshareError) -> Response[str]:
    """Always JSON. Every refusal of the item is a 404 that says nothing of why: a protected, unpublished,
    expired or deleted item is as unknown as a missing one."""
    if error.status < 500:
        error = NotFound("There is nothing to embed at this URL.", field="url")
    return _json(error.status, v3.DIALECT.error_body(error.status, error.message, error.field, error.extra))


def comment_thread(app: ApiGatewayResolver, thread: comments.Thread) -> Response[str]:
    """The comments as JSON, or as a page of their own (with the form) for browsers."""
    if wants_json(app):
        return _json(200, thread_json(thread))
    share = links.share_url(thread.item, base_url(app))
    return page(
        app, 200, "comments.html", item=thread.item, thread=thread, share_url=share, comments_url=f"{share}/comments"
    )


def thread_json(thread: comments.Thread) -> dict[str, Any]:
    item = thread.item
    return {
        "allow_comments": item.allow_comments,
        "combined": thread.combined,
        "current_version": item.version,
        "comments": [comment_json(entry) for entry in thread.comments],
        "next_before": thread.next_before,
        "form_token": thread.form_token or None,
    }


def comment_json(entry: Comment) -> dict[str, Any]:
    return {
        "id": entry.comment_id,
        "version": entry.version,
        "name": entry.author,
        "text": entry.body,
        "by_owner": entry.by_owner,
        "created_at": entry.created_at,
    }


def comment_posted(app: ApiGatewayResolver, code: str, entry: Comment) -> Response[str]:
    """201 and the comment for JSON clients; browsers go back to the page's comments (a plain form POST)."""
    if wants_json(app) or forms.is_json(_headers(app).get("content-type", "")):
        return _json(201, comment_json(entry))
    return Response(
        status_code=303, body="", headers={"Location": f"{base_url(app)}/{code}#comments", "Cache-Control": "no-store"}
    )


def item_json(shared: sharing.SharedItem, base: str) -> dict[str, Any]:
    """The one public shape of a shared item: what a visitor needs to show or fetch it, under the v3
    item's names, with this view's ticket on its links (null where the link would be refused).
    Nothing only the owner should know: no source, favorite, link form, expiry or upload state."""
    item, ticket = shared.item, f"?t={shared.ticket}"
    share = links.share_url(item, base)
    body = {
        "slug": item.slug,
        "name": item.name,
        "item_type": v3.item_type(item),
        "view_counter": item.view_counter,
        "share_url": share,
        "thumbnail_url": f"{share}/thumbnail",
        "redirect_url": item.redirect_url,
        "content_url": None,
        "remote_url": None,
        "downloads_allowed": shared.downloads_allowed,
    }
    if item.kind == "file":
        body.update(file_size=item.size, content_type=content_types.served(item.content_type))
        if sharing.content_allowed(item):
            body["content_url"] = links.content_url(item, base) + ticket
        if shared.downloads_allowed:
            body["remote_url"] = links.download_url(item, base) + ticket
    return body


def redirect(location: str, status: int = 302, cache_seconds: int = 0) -> Response[str]:
    control = f"private, max-age={cache_seconds}" if cache_seconds else "no-store"
    # body "" rather than none: SAM's local gateway logs "Lambda returned empty body!" for none
    return Response(
        status_code=status,
        body="",
        headers={"Location": location, "Cache-Control": control, "Referrer-Policy": "no-referrer"},
    )


def unlocked(app: LambdaFunctionUrlResolver, grant: sharing.Grant) -> Response[str]:
    """The grant as a cookie scoped to the item's link; browsers go back to the page."""
    base = base_url(app)
    cookies = [
        Cookie(
            f"{GRANT_COOKIE}{grant.slug}",
            grant.token,
            path=f"{urlsplit(base).path}/{grant.code}",
            max_age=grant.max_age,
            http_only=True,
            same_site=SameSite.LAX_MODE,
            secure=base.startswith("https://"),
        )
    ]
    headers = {"Cache-Control": "no-store"}
    if wants_json(app):
        return Response(
            status_code=200,
            content_type="application/json",
            headers=headers,
            cookies=cookies,
            body=json.dumps(
                {
                    "unlocked": True,
                    "cookie": f"{GRANT_COOKIE}{grant.slug}",
                    "grant": grant.token,
                    "expires_in": grant.max_age,
                }
            ),
        )
    return Response(status_code=303, body="", headers={**headers, "Location": f"{base}/{grant.code}"}, cookies=cookies)


def thumbnail(thumb: sharing.Thumbnail) -> Response[str]:
    if thumb.url:
        return redirect(thumb.url, cache_seconds=240)  # the presigned URL lives 300 s
    label = "locked" if thumb.item is None else _kind(thumb.item)
    svg = _environment().get_template("placeholder.svg").render(label="file" if label == "unknown" else label)
    # An image's thumbnail is made moments after its upload: a browser must ask again (a reload shows it),
    # not keep the placeholder for a minute.
    cache = "no-cache" if label == "image" else "private, max-age=60"
    return Response(
        status_code=200,
        content_type="image/svg+xml",
        body=svg,
        headers={
            "Cache-Control": cache,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


def landing_page(app: ApiGatewayResolver) -> Response[str]:
    """What `/` shows: where to upload and where the API is documented."""
    return page(app, 200, "landing.html", base=base_url(app))


def upload_page(app: ApiGatewayResolver) -> Response[str]:
    return page(app, 200, "upload.html", scripts=True, api_base=base_url(app))


@cache
def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI document, generated from the handlers into the layer (devtools/openapi.py)."""
    document: dict[str, Any] = json.loads((Path(__file__).resolve().parent.parent / "openapi.json").read_text())
    return document


def api_docs(app: ApiGatewayResolver) -> Response[str]:
    """A human-readable page of every route, from the same document (no script, no CDN)."""
    spec = openapi_document()
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            media: dict[str, Any] = next(iter(body.values()), {}) if body else {}
            schema: dict[str, Any] = media.get("schema", {})
            fields = schema.get("properties") or spec["components"]["schemas"].get(
                schema.get("$ref", "").rpartition("/")[2], {}
            ).get("properties", {})
            groups.setdefault(operation["tags"][0], []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("description", ""),
                    "parameters": operation.get("parameters", []),
                    "body": list(body),
                    "fields": list(fields),
                    "statuses": list(operation.get("responses", {})),
                }
            )
    return page(
        app, 200, "docs.html", spec=spec, groups=[{"tag": tag, "operations": found} for tag, found in groups.items()]
    )


def refusal(app: ApiGatewayResolver, error: CloudshareError) -> Response[str]:
    """A refusal as the client asked: JSON in the v3 error shape, or a page (the form, for passwords)."""
    status = error.status
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyAttempts) else {}
    if isinstance(error, ServiceUnavailable):
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json(app):
        return _json(status, v3.DIALECT.error_body(status, error.message, error.field, error.extra), headers)
    if isinstance(error, (sharing.PasswordRequired, sharing.WrongPassword)):
        code = app.current_event.path.strip("/").split("/")[0]
        return page(
            app,
            status,
            "password.html",
            unlock_url=f"{base_url(app)}/{code}/unlock",
            wrong=isinstance(error, sharing.WrongPassword),
            headers=headers,
        )
    titles = {
        404: "Not found",
        410: "Gone",
        429: "Slow down",
        403: "Not allowed",
        413: "Too large",
        422: "Bad request",
        500: "Something went wrong",
        503: "Try again",
    }
    return page(
        app,
        status,
        "message.html",
        title=titles.get(status, "Unavailable"),
        message=error.message,
        state=error.extra.get("state", ""),
        headers=headers,
    )


def human_size(size: int) -> str:
    amount = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{int(amount)} {unit}" if unit == "bytes" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{size} bytes"


# ---------------------------------------------------------------- helpers


@cache
def _environment() -> Environment:
    """The pages' templates: compiled to Python by the layer's build (`precompile`), so that a cold start
    does not compile them; from their sources where they are not (tests, `make dev`)."""
    from jinja2 import FileSystemLoader, ModuleLoader

    return _configured(ModuleLoader(str(COMPILED)) if COMPILED.is_dir() else FileSystemLoader(TEMPLATES))


def _configured(loader: BaseLoader) -> Environment:
    from jinja2 import Environment, select_autoescape

    return Environment(
        loader=loader, autoescape=select_autoescape(["html", "svg"]), trim_blocks=True, lstrip_blocks=True
    )


def precompile(target: Path) -> None:
    """Compiles every template to a Python module in `target` (layers/shared/Makefile: then to bytecode)."""
    from jinja2 import FileSystemLoader

    names = [path.name for path in TEMPLATES.iterdir() if path.suffix in (".html", ".svg")]
    _configured(FileSystemLoader(TEMPLATES)).compile_templates(str(target), zip=None, filter_func=names.__contains__)


# The pages' scripts, in templates/, served as they are (GET /scripts/{name}).
SCRIPTS = ("multipart_upload.js", "dashboard_upload.js", "upload_page.js", "passkeys.js", "dashboard_item.js")


def script(name: str) -> Response[str]:
    """One of the pages' scripts (GET /scripts/{name}): the same bytes for everyone, no session or key."""
    if name not in SCRIPTS:
        raise NotFound("No such script", field="name")
    return Response(
        status_code=200,
        content_type="text/javascript; charset=utf-8",
        body=(TEMPLATES / name).read_text(encoding="utf-8"),
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


def page(
    app: ApiGatewayResolver,
    status: int,
    template: str,
    *,
    scripts: bool = False,
    headers: dict[str, str] | None = None,
    **context: object,
) -> Response[str]:
    """`scripts`: the page loads scripts this service serves (GET /scripts/{name}: script-src 'self'),
    never inline ones."""
    nonce = secrets.token_urlsafe(16)
    # Previews and uploads come from the bucket's presigned URLs (another origin); plain http only locally.
    remote = "https: http:" if base_url(app).startswith("http://") else "https:"
    script = f"script-src 'self'; connect-src 'self' {remote}" if scripts else "script-src 'none'"
    policy = (
        f"default-src 'none'; img-src 'self' data: {remote}; media-src 'self' {remote}; "
        f"frame-src 'self' {remote}; style-src 'nonce-{nonce}'; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors 'none'; {script}"
    )
    html = _environment().get_template(template).render(nonce=nonce, **context)
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=html,
        headers={
            "Content-Security-Policy": policy,
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "X-Robots-Tag": "noindex, nofollow",
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )


def qr_svg(text: str) -> str:
    """A QR code of `text` as inline SVG markup: no image request, and nothing the CSP has to allow."""
    # Imported here: only the pages that draw one pay for it.
    import qrcode
    from qrcode.image.svg import SvgPathFillImage

    svg = qrcode.make(text, image_factory=SvgPathFillImage, box_size=10, border=2).to_string(encoding="unicode")
    return svg[svg.index("<svg") :]


def _kind(item: Item) -> str:
    """image, video, audio, pdf, text (what the page previews), else the v3 item_type."""
    return content_types.preview(item.content_type) or v3.item_type(item)


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body),
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _headers(app: ApiGatewayResolver) -> dict[str, str]:
    return {name.lower(): value for name, value in (app.current_event.headers or {}).items()}


def _token(value: str) -> str:
    """A grant or ticket as the client sent it, or "" (no token) when it cannot be one of ours: the
    tokens we sign are short and ASCII, and a browser may hold any junk under a cookie's name."""
    return value if value.isascii() and len(value) <= MAX_TOKEN_LENGTH else ""


def cookies(header: str) -> dict[str, str]:
    jar: dict[str, str] = {}
    for pair in header.split(";"):
        name, _, value = pair.strip().partition("=")
        if name:
            jar.setdefault(name, value)
    return jar
