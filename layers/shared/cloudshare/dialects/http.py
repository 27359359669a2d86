"""What both dialects share: the resolver, authentication middleware, error mapping, entry point.

A dialect supplies only how an error body looks and which statuses bad data and plan limits get.
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from cloudshare.config import settings
from cloudshare.dialects import forms
from cloudshare.errors import (
    AccessDenied,
    AuthenticationRequired,
    CloudshareError,
    InvalidInput,
    ItemNotFound,
    LimitExceeded,
    NotOwner,
    TooManyAttempts,
    UnsupportedMediaType,
)
from cloudshare.models import Caller
from cloudshare.observability import instrumented, logger, metrics
from cloudshare.services.auth import RequestCredentials, authenticate, challenge_headers

if TYPE_CHECKING:  # pydantic is loaded by the functions that read a body (their models), not by this module
    from aws_lambda_powertools.event_handler.exceptions import NotFoundError
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
    from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
    from pydantic import BaseModel

RETRY_AFTER_SECONDS = 2
_TRANSIENT_CODES = {
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "TransactionConflictException",
    "TransactionInProgressException",
    "RequestTimeout",
    "RequestTimeoutException",
}
ErrorBody = Callable[[int, str, str, dict[str, Any]], dict[str, Any]]
_AUTHENTICATED_METRICS = {"digest": "AuthenticatedByDigest", "api_key": "AuthenticatedByApiKey"}


@dataclass(frozen=True)
class Dialect:
    name: str
    error_body: ErrorBody  # (status, message, field, extra) -> JSON body
    validation_status: int  # bad request data (InvalidInput, library validation)
    limit_status: int  # a plan limit (LimitExceeded)
    item_noun: str  # "Item" / "Artifact": how this API names what is not found
    hides_other_owners: bool  # someone else's item looks like no item at all (404) rather than 403

    def status_of(self, error: CloudshareError) -> int:
        if isinstance(error, InvalidInput):
            return self.validation_status
        if isinstance(error, LimitExceeded):
            return self.limit_status
        return error.status

    def error(
        self,
        status: int,
        message: str,
        field: str = "",
        extra: dict[str, Any] | None = None,
        headers: Mapping[str, str | list[str]] | None = None,
    ) -> Response[str]:
        return Response(
            status_code=status,
            content_type="application/json",
            body=json.dumps(self.error_body(status, message, field, extra or {})),
            headers=headers,
        )


@dataclass(frozen=True)
class JsonBody:
    """What a route reads from its JSON body: one pydantic model, which also describes the body in the
    OpenAPI document (devtools/openapi.py). No body (or JSON null) is refused when the body is
    required, else it is the model's defaults."""

    model: type[BaseModel]
    required: bool = True


_BODIES: WeakKeyDictionary[APIGatewayRestResolver, JsonBody] = WeakKeyDictionary()


type ErrorHandler[Error: Exception] = Callable[[Error], Response[str]]


def handles[Error: Exception](
    app: ApiGatewayResolver, error: type[Error]
) -> Callable[[ErrorHandler[Error]], ErrorHandler[Error]]:
    """app.exception_handler(error), typed (Powertools' decorator has no return annotation)."""
    register: Callable[[ErrorHandler[Error]], ErrorHandler[Error]] = app.exception_handler(error)
    return register


def handles_not_found(app: ApiGatewayResolver) -> Callable[[ErrorHandler[NotFoundError]], ErrorHandler[NotFoundError]]:
    """app.not_found, typed (as handles())."""
    register: Callable[[ErrorHandler[NotFoundError]], ErrorHandler[NotFoundError]] = app.not_found
    return register


def build_resolver(
    dialect: Dialect, *, authenticated: bool = True, body: JsonBody | None = None
) -> APIGatewayRestResolver:
    """A resolver whose every answer, errors included, is in the dialect's format. Middlewares run in
    order: authentication first (a client learns it needs credentials before being told its body is
    wrong: curl --digest probes with an empty body), then the body, read into `body`'s model."""
    app = APIGatewayRestResolver()

    @handles(app, AuthenticationRequired)
    def _challenge(error: AuthenticationRequired) -> Response[str]:
        metrics.add_metric(name="AuthenticationChallenged", unit=MetricUnit.Count, value=1)
        return dialect.error(401, error.message, headers={"WWW-Authenticate": challenge_headers(error.stale)})

    @handles(app, CloudshareError)
    def _domain_error(error: CloudshareError) -> Response[str]:
        if isinstance(error, AccessDenied):
            logger.info("access denied", extra={"reason": error.message})
            metrics.add_metric(name="AccessDenied", unit=MetricUnit.Count, value=1)
        if isinstance(error, ItemNotFound) or (isinstance(error, NotOwner) and dialect.hides_other_owners):
            return dialect.error(404, f"{dialect.item_noun} not found", "slug")
        headers = None
        if isinstance(error, TooManyAttempts):
            headers = {"Retry-After": str(error.retry_after)}
            logger.info("too many failed attempts", extra={"retry_after": error.retry_after})
            metrics.add_metric(name="AttemptsThrottled", unit=MetricUnit.Count, value=1)
        return dialect.error(dialect.status_of(error), error.message, error.field, error.extra, headers)

    @handles(app, ClientError)
    def _aws_error(error: ClientError) -> Response[str]:
        if not is_transient(error):
            return _unexpected(error)
        metrics.add_metric(name="DependencyUnavailable", unit=MetricUnit.Count, value=1)
        logger.warning("AWS dependency unavailable after retries", extra={"code": error.response["Error"]["Code"]})
        return _unavailable()

    @handles(app, BotoCoreError)
    def _aws_unreachable(error: BotoCoreError) -> Response[str]:
        metrics.add_metric(name="DependencyUnavailable", unit=MetricUnit.Count, value=1)
        logger.warning("AWS dependency unreachable after retries", extra={"error": type(error).__name__})
        return _unavailable()

    @handles(app, Exception)
    def _unexpected(error: Exception) -> Response[str]:
        logger.exception("unexpected error")
        metrics.add_metric(name="UnexpectedError", unit=MetricUnit.Count, value=1)
        return dialect.error(500, "Internal server error; it has been logged")

    def _unavailable() -> Response[str]:
        # Nothing was half-written (every change is one conditional write or transaction), so
        # the client may simply retry.
        return dialect.error(
            503, "Service temporarily unavailable; retry shortly", headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )

    @handles_not_found(app)
    def _no_route(_error: NotFoundError) -> Response[str]:
        return dialect.error(404, "Not found")

    middlewares = [_authenticate] if authenticated else []
    if body is not None:
        _BODIES[app] = body
        middlewares.append(_read_body)
    app.use(middlewares=middlewares)
    return app


def declared_body(app: APIGatewayRestResolver) -> JsonBody | None:
    """The JSON body a resolver's routes read, if any (for the OpenAPI document)."""
    return _BODIES.get(app)


def body(app: APIGatewayRestResolver) -> Any:
    """The request's body as its route's model, read before the route ran."""
    return app.context["body"]


def is_transient(error: ClientError) -> bool:
    """Throttling and server-side failures that outlasted botocore's retries (a retry later may work)."""
    code = error.response.get("Error", {}).get("Code", "")
    if code in _TRANSIENT_CODES or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
        return True
    reasons = error.response.get("CancellationReasons", []) if code == "TransactionCanceledException" else []
    return any(reason.get("Code") in ("ThrottlingError", "TransactionConflict") for reason in reasons)


def user_uuid(user_id: str) -> str:
    """An account's id as both dialects show it: a UUID in its canonical form, as the v1 seed shows."""
    return str(uuid.UUID(hex=user_id))


def no_content() -> Response[str]:
    """A 204: no body and no Content-Type. The body is "" rather than absent, which SAM's local
    gateway logs as "Lambda returned empty body!"."""
    return Response(status_code=204, body="")


def caller(app: APIGatewayRestResolver) -> Caller:
    found: Caller = app.context["caller"]
    return found


def base_url(app: ApiGatewayResolver) -> str:
    """Where this API is reachable: the configured public URL, else the API's own address as API
    Gateway names it (requestContext.domainName: the custom domain or the execute-api host, whose
    path starts with the stage). Never the Host or X-Forwarded-* headers: the client writes those,
    and share links, redirects and e-mails built from them would send visitors to its site."""
    configured = settings().public_base_url
    if configured:
        return configured.rstrip("/")
    # every resolver here (REST, HTTP API, function URL) carries a request context with these fields
    context = cast("APIGatewayProxyEvent", app.current_event).request_context
    domain = context.domain_name or f"{context.api_id}.execute-api.{os.environ['AWS_REGION']}.amazonaws.com"
    stage = context.stage
    prefix = f"/{stage}" if domain.endswith(".amazonaws.com") and stage else ""
    return f"https://{domain}{prefix}"


def _authenticate(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    event = app.current_event
    headers = {name.lower(): value for name, value in (event.headers or {}).items()}
    _refuse_cross_site(headers)
    paths = tuple({event.path, event.request_context.path or event.path})
    source = event.request_context.identity.source_ip or ""
    authenticated = authenticate(RequestCredentials(headers, event.http_method, paths, source))
    # One metric per way in, not a `method` dimension: a dimension would apply to every metric of
    # the request, and the shared Metrics object would carry it into the next request when metrics
    # are disabled (the local stack), warning "Dimension 'method' has already been added".
    metrics.add_metric(name=_AUTHENTICATED_METRICS[authenticated.method], unit=MetricUnit.Count, value=1)
    logger.append_keys(user_id=authenticated.user.user_id)
    app.append_context(caller=authenticated)
    return next_middleware(app)


def _read_body(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    app.append_context(body=json_body(app.current_event, _BODIES[app]))
    return next_middleware(app)


@forms.client_input
def json_body(event: BaseProxyEvent, declared: JsonBody) -> BaseModel:
    """Routes with a body read JSON only: a Content-Type, if any, must be a JSON one (a form, even an
    empty one, is what another site's page could send), and the body must be within bounds."""
    from pydantic import ValidationError

    content_type = event.headers.get("content-type")
    text = event.decoded_body or ""
    if (content_type is not None or text.strip()) and not forms.is_json(content_type or ""):
        raise UnsupportedMediaType(forms.JSON_ONLY, field="Content-Type")
    document = forms.load_json(text) if text.strip() else None
    if document is None and declared.required:
        raise InvalidInput("Field required")
    try:
        return declared.model.model_validate({} if document is None else document)
    except ValidationError as error:
        field, message = _first_problem(error.errors(include_url=False))
        raise InvalidInput(message, field=field) from None


def _refuse_cross_site(headers: dict[str, str]) -> None:
    """The APIs answer only requests made by their clients, never one a browser makes on behalf of
    another site's page: such a request carries no API key (a page cannot add one without CORS,
    which the API does not grant), but would carry Digest credentials the browser remembered.
    Browsers label such requests: Sec-Fetch-Site (every current browser, and it survives a proxy
    that rewrites Host), else an Origin on every cross-origin POST; curl and the CLI send neither."""
    fetch_site = headers.get("sec-fetch-site", "").lower()
    origin, host = headers.get("origin", ""), headers.get("host", "").lower()
    foreign_origin = bool(origin) and _host_of(origin) != host
    if fetch_site in ("cross-site", "same-site") or (not fetch_site and foreign_origin):
        metrics.add_metric(name="CrossSiteRefused", unit=MetricUnit.Count, value=1)
        raise AccessDenied("Requests from another site's pages are not accepted", field="Origin")


def _host_of(url: str) -> str | None:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return None


def _first_problem(problems: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    if not problems:
        return "", "Invalid request"
    problem = problems[0]
    location = [str(part) for part in problem.get("loc", ())]
    field = ".".join(location)
    message = problem.get("msg", "Invalid value")
    return field, f"{field}: {message}" if field else message


def entrypoint(app: APIGatewayRestResolver) -> Callable[..., Any]:
    """The Lambda handler for a resolver, with structured logs, traces and metrics."""
    return rest_entrypoint(app.resolve)


def rest_entrypoint(resolve: Callable[[dict[str, Any], Any], dict[str, Any]]) -> Callable[..., Any]:
    """The Lambda handler for anything that resolves a REST API event (a resolver, or a choice of them)."""
    return instrumented(without_body_for_head(resolve), correlation_paths.API_GATEWAY_REST)


def without_body_for_head(
    resolve: Callable[[dict[str, Any], Any], dict[str, Any]],
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A HEAD answers with GET's status and headers but no body (HTTP allows none; API Gateway would
    pass one on). The body is "" rather than absent, which SAM's gateway logs as "empty body!"."""

    @functools.wraps(resolve)  # traces name the handler's subsegment after it ("## resolve")
    def resolved(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response = resolve(event, context)
        if event.get("httpMethod") == "HEAD":
            response.update(body="", isBase64Encoded=False)
        return response

    return resolved
