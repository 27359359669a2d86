"""Property tests with the fuzzer's hostile inputs (devtools/fuzz.py), in-process: no answer is a 5xx.

And the fuzzer is shown to find each 500 of issue 13 when its fix is taken out again: every class of
input (tokens, huge numbers, deep nesting, mislabelled bodies, expiries past year 9999) is run
against the code with that fix undone, and must fail.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudshare.dialects import http, pages
from cloudshare.services import accounts, management
from cloudshare.services.passwords import hash_password
from devtools import fuzz
from devtools.runner import FunctionFailed
from tests.unit import v1client as v1
from tests.unit.apigw import bearer, event
from tests.unit.dashboard_client import Browser
from tests.unit.public_helpers import code, request, shared_file
from tests.unit.v3_calls import bookmark

EXAMPLES = 30
PUBLIC_ROUTES = [
    ("PublicFunction", "GET", ""),
    ("PublicFunction", "GET", "/content/a.png"),
    ("PublicFunction", "GET", "/download/a.png"),
    ("PublicFunction", "GET", "/thumbnail"),
    ("PublicFunction", "POST", "/unlock"),
    ("PublicFunction", "GET", "/comments"),
    ("PublicFunction", "POST", "/comments"),
]
BODY_ROUTES = [
    ("V3CreateItemFunction", "POST", "/v3/items"),
    ("V3UpdateItemFunction", "PUT", "/v3/items/{slug}"),
    ("V3AddFavoriteFunction", "POST", "/v3/items/{slug}/favorite"),
    ("V3SetExpirationFunction", "POST", "/v3/items/{slug}/expiration"),
    ("V3ShareItemFunction", "POST", "/v3/items/{slug}/share"),
    ("V1CreateArtifactFunction", "POST", "/api/v1/artifacts"),
    ("V1UpdateArtifactFunction", "PUT", "/api/v1/artifacts/{slug}"),
    ("V1AddCommentFunction", "POST", "/api/v1/artifacts/{slug}/comments"),
    ("V1StartUploadFunction", "POST", "/api/v1/uploads"),
]


def _run(test, examples: int = EXAMPLES) -> None:
    fuzz.hunting(examples)(test)()


def _within_contract(response: dict) -> None:
    assert response["statusCode"] < 500, response
    # API Gateway's answers carry multiValueHeaders, the function URL's plain headers.
    content_type = (response.get("multiValueHeaders") or {}).get("Content-Type") or (response.get("headers") or {}).get(
        "Content-Type"
    )
    if response["statusCode"] >= 400 and "json" in str(content_type):
        document = json.loads(response["body"])
        assert "errors" in document or document.get("status") is False, document


@pytest.fixture
def pro(user):
    return {**user, "user": accounts.set_plan(user["email"], "pro")}


@pytest.fixture
def shared(user):
    """A plain and a password-protected file, as their link codes and slugs."""
    plain = shared_file(user["user"])
    locked = shared_file(user["user"], "secret.png", password_hash=hash_password("open sesame"))
    return [(code(plain), plain.slug), (code(locked), locked.slug)]


def public_property(runner, shared):
    @given(
        route=st.sampled_from(PUBLIC_ROUTES),
        target=st.sampled_from(shared),
        cookie=fuzz.tokens(),
        ticket=fuzz.tokens(),
        json_client=st.booleans(),
    )
    def answers_every_visitor(route, target, cookie, ticket, json_client):
        function, method, suffix = route
        link, slug = target
        built = request(
            f"/{link}{suffix}",
            method=method,
            query={"t": ticket},
            headers={"Cookie": f"grant_{slug}={cookie}"},
            accept="application/json" if json_client else "text/html",
            body="password=wrong" if method == "POST" else None,
        )
        _within_contract(runner.call(function, built))

    return answers_every_visitor


def body_property(runner, owner, bodies, content_types=None):
    @given(
        route=st.sampled_from(BODY_ROUTES),
        text=bodies,
        content_type=fuzz.mislabelled_types() if content_types is None else content_types,
    )
    def answers_every_body(route, text, content_type):
        function, method, path = route
        slug = bookmark(owner["user"]).slug if "{slug}" in path else ""
        headers = bearer(owner["api_key"]) | ({"Content-Type": content_type} if content_type is not None else {})
        built = event(path.format(slug=slug), method, headers, text)
        built["pathParameters"] = {"slug": slug} if slug else None
        _within_contract(runner.call(function, built))

    return answers_every_body


def expiry_property(runner, owner, dialects=("v3", "v1")):
    @given(moment=fuzz.expiry_times(), dialect=st.sampled_from(dialects))
    def answers_every_expiry(moment, dialect):
        if dialect == "v3":
            slug = bookmark(owner["user"]).slug
            built = event(
                f"/v3/items/{slug}/expiration",
                "POST",
                bearer(owner["api_key"]) | {"Content-Type": "application/json"},
                json.dumps({"expires_at": moment}),
            )
            response = runner.call("V3SetExpirationFunction", {**built, "pathParameters": {"slug": slug}})
        else:
            response = v1.create(
                runner, owner["api_key"], {"version_name": "v1", "file_name": "a.txt", "expiration_date": moment}
            )
        _within_contract(response)

    return answers_every_expiry


def passkey_property(runner, owner):
    signed_in, signing_in = Browser(runner), Browser(runner, source="198.51.100.20")
    signed_in.sign_in(owner["email"], owner["password"])
    signing_in.get("/login")

    @given(
        route=st.sampled_from(["/login/passkey", "/dashboard/passkeys", "/dashboard/passkeys/{id}/remove"]),
        credential=fuzz.passkey_credentials(),
        credential_id=fuzz.tokens().filter(lambda text: text.strip() and not set("/?#") & set(text)),
    )
    def answers_every_credential(route, credential, credential_id):
        browser = signing_in if route.startswith("/login") else signed_in
        fields = {"credential": credential, "name": credential_id}
        response = browser.post(route.format(id=credential_id), fields, headers={"Accept": "application/json"})
        _within_contract(response)

    return answers_every_credential


# ---------------------------------------------------------------- no 5xx


def test_given_hostile_cookies_and_tickets_then_no_public_route_answers_5xx(runner, shared):
    _run(public_property(runner, shared))


@pytest.mark.parametrize(
    "bodies",
    [fuzz.huge_number_json(), fuzz.deep_json(), fuzz.json_documents()],
    ids=["huge-numbers", "deep", "ordinary"],
)
def test_given_hostile_bodies_and_content_types_then_no_body_route_answers_5xx(runner, pro, bodies):
    _run(body_property(runner, pro, bodies), examples=25)


def test_given_hostile_passkey_credentials_then_no_passkey_route_answers_5xx(runner, user):
    _run(passkey_property(runner, user))


def test_given_expiries_at_the_ends_of_time_then_neither_dialect_answers_5xx(runner, pro):
    _run(expiry_property(runner, pro))


# ---------------------------------------------------------------- each 500 found when its fix is undone


def _finds_a_server_error(test) -> None:
    with pytest.raises((AssertionError, FunctionFailed)):
        _run(test)


def test_given_tokens_read_as_sent_then_the_fuzzer_finds_the_500(runner, shared, monkeypatch):
    # Undoes the fix for ?t=%C2%B2.x (isdigit then int) and non-ASCII grants (compare_digest TypeError)
    monkeypatch.setattr(pages, "_token", lambda value: value)
    _finds_a_server_error(public_property(runner, shared))


JSON_LABEL = st.just("application/json")


@pytest.mark.parametrize(
    "bodies, content_types",
    [
        (fuzz.huge_number_json(), JSON_LABEL),
        (fuzz.deep_json(), JSON_LABEL),
        (fuzz.json_documents(), st.sampled_from(["text/plain", "application/xml", "text/json"])),
    ],
    ids=["5000-digit-integers", "50000-deep-nesting", "text-plain-bodies"],
)
def test_given_json_bodies_parsed_unchecked_then_the_fuzzer_finds_the_500(
    runner, pro, monkeypatch, bodies, content_types
):
    # Undoes the check before Powertools parses a body (bounds, and JSON content types only)
    monkeypatch.setattr(http, "json_body", lambda app: app)
    _finds_a_server_error(body_property(runner, pro, bodies, content_types))


def test_given_expiries_read_without_the_overflow_then_the_fuzzer_finds_the_500(runner, pro, monkeypatch):
    # Undoes the fix for 9999-12-31T23:59:59-01:00 (OverflowError moving it to UTC). Only v3 reads the
    # time after its body is parsed: v1 reads it while parsing its form, where every failure is a 4xx.
    monkeypatch.setattr(management, "_UNREADABLE_TIME", (ValueError, AttributeError))
    _finds_a_server_error(expiry_property(runner, pro, dialects=("v3",)))
