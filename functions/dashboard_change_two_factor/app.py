"""POST /dashboard/two-factor — turn two-factor on (with a code of the new secret), off, or get new
recovery codes (with a current code or the password). Recovery codes are shown on the answer, once."""

from cloudshare.dialects import dashboard
from cloudshare.dialects import two_factor as two_factor_pages
from cloudshare.dialects.http import entrypoint
from cloudshare.errors import AccessDenied, InvalidInput, TooManyAttempts
from cloudshare.services import two_factor

app = dashboard.resolver()


@app.post("/dashboard/two-factor", responses=two_factor_pages.CHANGE_ANSWERS)
def dashboard_change_two_factor():
    user, fields, source = dashboard.session(app).user, dashboard.form(app), dashboard.source(app)
    action = two_factor_pages.action(fields)
    code, password = fields.get("code", ""), fields.get("password", "")
    try:
        if action == "enable":
            codes = two_factor.enable(user, fields.get("secret", ""), code, source)
        elif action == "disable":
            two_factor.disable(user, code, password, source)
            return dashboard.back_to(app, "/dashboard/two-factor", done="off")
        else:
            codes = two_factor.new_recovery_codes(user, code, password, source)
    except (AccessDenied, TooManyAttempts, InvalidInput) as refused:
        # A wrong code while enrolling shows the same secret again: no need to scan a new one.
        again = two_factor.enrolment(user, fields.get("secret", "")) if action == "enable" else None
        return two_factor_pages.settings_page(app, status=refused.status, error=refused, enrolment=again)
    return two_factor_pages.settings_page(app, recovery_codes=codes)


lambda_handler = entrypoint(app)
