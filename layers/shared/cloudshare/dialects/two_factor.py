"""Two-factor sign-in as dashboard pages: the code step of /login, and /dashboard/two-factor (enrol with
a QR code, turn off, new recovery codes). The rules are services/two_factor.py's."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from cloudshare.dialects import dashboard, pages
from cloudshare.dialects.http import base_url
from cloudshare.errors import AccessDenied, CloudshareError, InvalidInput, TooManyAttempts
from cloudshare.services import sessions, two_factor
from cloudshare.services.two_factor import Enrolment, SecondStep

ACTIONS = ("enable", "disable", "recovery-codes")
_DONE = {"off": "Two-factor sign-in is off."}
# What /dashboard/two-factor's form may answer, for the OpenAPI document.
CHANGE_ANSWERS = {**dashboard.FORM_ANSWERS, **pages.HTML_ANSWERS}


# ---------------------------------------------------------------- requests


def code_form(app: APIGatewayRestResolver) -> tuple[str, str]:
    """(pending sign-in, code) from the code step's form, which carries the sign-in form's token."""
    fields = dashboard.login_fields(app)
    return fields.get("pending", ""), fields.get("code", "")


def action(fields: dict[str, str]) -> str:
    if fields.get("action") not in ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}", field="action")
    return fields["action"]


# ---------------------------------------------------------------- responses


def after_password(app: APIGatewayRestResolver, result: sessions.SignedIn | SecondStep) -> Response[str]:
    """Signed in, or, with two-factor on, the page that asks for a code."""
    if isinstance(result, SecondStep):
        return _code_page(app, result.pending)
    return dashboard.signed_in(app, result)


def code_refused(app: APIGatewayRestResolver, pending: str, error: AccessDenied | TooManyAttempts) -> Response[str]:
    """The code page again with why; back to the password when the pending sign-in is no good."""
    if error.field in ("pending", "csrf"):
        return dashboard.login_refused(app, error)
    page = _code_page(app, pending, status=error.status, error=error.message)
    if isinstance(error, TooManyAttempts):
        page.headers["Retry-After"] = str(error.retry_after)
    return page


def settings_page(
    app: APIGatewayRestResolver,
    *,
    status: int = 200,
    error: CloudshareError | None = None,
    enrolment: Enrolment | None = None,
    recovery_codes: list[str] | None = None,
) -> Response[str]:
    """/dashboard/two-factor: whether it is on; if off, a new secret to enrol (or the one being tried)."""
    current = dashboard.session(app)
    state = two_factor.status(current.user)
    if state is None and enrolment is None:
        enrolment = two_factor.new_enrolment(current.user)
    query = app.current_event.query_string_parameters or {}
    response = pages.page(
        app,
        status,
        "dashboard_two_factor.html",
        base=base_url(app),
        user=current.user,
        csrf=current.csrf,
        on=state is not None,
        recovery_left=len(state.recovery) if state else 0,
        enrolment=enrolment,
        qr_svg=pages.qr_svg(enrolment.uri) if enrolment and state is None else "",
        recovery_codes=recovery_codes or [],
        error=error.message if error else "",
        done=_DONE.get(query.get("done", ""), ""),
    )
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _code_page(app: APIGatewayRestResolver, pending: str, *, status: int = 200, error: str = "") -> Response[str]:
    return pages.page(
        app,
        status,
        "login_code.html",
        action=f"{base_url(app)}/login/two-factor",
        start=f"{base_url(app)}/login",
        csrf=dashboard.login_token(app),
        pending=pending,
        error=error,
    )
