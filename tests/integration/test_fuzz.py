"""Generated requests against the local stack, over real HTTP (what `make fuzz` runs; see devtools/fuzz.py).

- Schemathesis: every operation of the OpenAPI document, as a real user. Every answer must be one
  the document declares (status, content type, body schema — so every error is in its dialect's format).
- The public routes with hostile cookies, tickets, headers and query strings.
- Every body-taking route with huge, deep, ordinary and mislabelled bodies.
- Stateful sequences: an item made (bookmark, presigned POST through S3, inline file), then every
  operation applied to it in a generated order.

No answer may be a 5xx. `make test` runs a few examples of each; `make fuzz` runs many
(FUZZ_EXAMPLES) and prints the totals.
"""

import json
import os
from collections import Counter
from urllib.parse import unquote, urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devtools import fuzz
from devtools.openapi import DOCUMENT
from tests.integration.conftest import admin

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
# A long `make fuzz` test sends thousands of requests; the suite's 300 s suits a few examples.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(max(300, EXAMPLES * 12))]
REPORT = os.environ.get("FUZZ_REPORT")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
STATUSES: Counter = Counter()
OPERATIONS: Counter = Counter()
ANSWERS: Counter = Counter()


SCHEMA = schemathesis.openapi.from_dict(json.loads(DOCUMENT.read_text()))
ALL_OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
FUZZ_SETTINGS = settings(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


def examples(count: int) -> settings:
    return settings(FUZZ_SETTINGS, max_examples=count)


PUBLIC_PATHS = [
    ("GET", ""),
    ("GET", "/content/a.png"),
    ("GET", "/download/a.png"),
    ("GET", "/thumbnail"),
    ("POST", "/unlock"),
    ("GET", "/comments"),
    ("POST", "/comments"),
]
BODY_ROUTES = [
    ("POST", "/v3/items"),
    ("PUT", "/v3/items/{slug}"),
    ("POST", "/v3/items/{slug}/favorite"),
    ("POST", "/v3/items/{slug}/expiration"),
    ("POST", "/v3/items/{slug}/share"),
    ("POST", "/api/v1/artifacts"),
    ("PUT", "/api/v1/artifacts/{slug}"),
    ("POST", "/{code}/unlock"),
    ("POST", "/api/v1/artifacts/{slug}/comments"),
    ("POST", "/{code}/comments"),
]
# Headers a public request may carry, each with generated values (cookies and tickets besides).
PUBLIC_HEADERS = [
    "Accept",
    "Authorization",
    "x-api-key",
    "Content-Type",
    "Range",
    "If-None-Match",
    "User-Agent",
    "X-Forwarded-Proto",
    "Origin",
    "Sec-Fetch-Site",
    "Accept-Language",
]


def _call_and_validate(case, stack, headers: dict, label: str) -> None:
    """One generated request, counted (5xx included) before its answer is checked."""
    response = case.call(base_url=stack["api_url"], headers=headers, allow_redirects=False, timeout=30)
    _record(label, response.status_code)
    case.validate_response(response, checks=CHECKS, headers=headers)


def _record(label: str, status: int) -> None:
    OPERATIONS[label] += 1
    STATUSES[status] += 1
    ANSWERS[f"{label} -> {status}"] += 1


@pytest.fixture(scope="module", autouse=True)
def unlimited_plan(stack):
    """Thousands of generated creations would otherwise meet the demo plan's artifact limit, and
    the fixtures and sequences that make items need them to succeed."""
    admin(stack, "set-plan", stack["email"], "pro_max")


@pytest.fixture(autouse=True)
def report():
    """The totals so far, after every test (a long run stopped early still tells what it did)."""
    yield
    summary = {
        "requests": sum(OPERATIONS.values()),
        "operations": len(OPERATIONS),
        "server_errors": sum(count for status, count in STATUSES.items() if status >= 500),
        "statuses": dict(sorted(STATUSES.items())),
        "per_operation": dict(sorted(OPERATIONS.items())),
        "answers": dict(sorted(ANSWERS.items())),
    }
    if REPORT:
        with open(REPORT, "w") as handle:
            json.dump(summary, handle, indent=2)


def _routable(case) -> bool:
    """SAM's local gateway (werkzeug) cannot route a path segment holding a line break, and answers
    403 "Missing Authentication Token" as API Gateway does for unknown paths; real API Gateway
    routes such a segment to the greedy {name+}. Such paths test the emulator, not cloudshare.
    (Schemathesis holds path parameters percent-encoded already.)"""
    values = [unquote(str(value)) for value in (case.path_parameters or {}).values()]
    return not any("\n" in value or "\r" in value for value in values)


# Schemathesis's own pytest plugin does not run on pytest 9 yet; Hypothesis drives its strategies.
@pytest.fixture
def real_items(stack) -> dict[str, list[str]]:
    """A few of the user's own items (fresh for each operation: some operations delete them), so
    generated requests reach past 'not found' too."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {stack['api_key']}"
    made = [
        session.post(f"{stack['api_url']}/v3/items", json={"bookmark_url": f"https://example.com/{n}"}).json()
        for n in range(3)
    ]
    for n in range(3):
        response = session.post(
            f"{stack['api_url']}/api/v1/artifacts",
            data={"version_name": "v1"},
            files={"file": (f"fuzz{n}.txt", b"fuzz bytes", "text/plain")},
        )
        made.append(session.get(f"{stack['api_url']}/v3/items/{response.json()['slug']}").json())
    return {
        "slug": [item["slug"] for item in made],
        "code": [urlsplit(item["share_url"]).path.strip("/") for item in made],
    }


def _with_real(strategy, operation, known: dict[str, list[str]]):
    """Half the time, path parameters name a real item of the caller instead of a random string."""
    names = [name for name in known if name in operation.path]
    if not names:
        return strategy

    def substitute(pair):
        case, pick = pair
        if pick is not None:
            case.path_parameters = {**case.path_parameters, **{name: known[name][pick] for name in names}}
        return case

    choices = st.one_of(st.none(), st.sampled_from(range(len(known[names[0]]))))
    return st.tuples(strategy, choices).map(substitute)


def test_public_routes_answer_hostile_cookies_tickets_headers_and_queries(stack, real_items):
    codes = list(zip(real_items["code"], real_items["slug"], strict=True))

    @examples(EXAMPLES * 6)
    @given(
        route=st.sampled_from(PUBLIC_PATHS),
        target=st.sampled_from(codes),
        cookie=fuzz.header_text(),
        ticket=fuzz.tokens(),
        query=st.dictionaries(st.text(max_size=4), fuzz.tokens(), max_size=2),
        headers=st.dictionaries(st.sampled_from(PUBLIC_HEADERS), fuzz.header_text(), max_size=4),
    )
    def answers_every_visitor(route, target, cookie, ticket, query, headers):
        (method, suffix), (link, slug) = route, target
        response = requests.request(
            method,
            f"{stack['api_url']}/{link}{suffix}",
            params={**query, "t": ticket},
            headers={**headers, "Cookie": f"grant_{slug}={cookie}"},
            data=cookie,
            allow_redirects=False,
            timeout=30,
        )
        _record(f"{method} /{{code}}{suffix} (hostile headers)", response.status_code)
        assert response.status_code < 500, (response.status_code, response.text[:300])

    answers_every_visitor()


def test_body_routes_answer_huge_deep_and_mislabelled_bodies(stack, real_items):
    auth = {"Authorization": f"Bearer {stack['api_key']}", "Accept": "application/json"}
    bodies = st.one_of(fuzz.huge_number_json(), fuzz.deep_json(), fuzz.json_documents())

    @examples(EXAMPLES * 3)
    @given(
        route=st.sampled_from(BODY_ROUTES),
        pick=st.integers(0, len(real_items["slug"]) - 1),
        text=bodies,
        content_type=fuzz.mislabelled_types(),
    )
    def answers_every_body(route, pick, text, content_type):
        method, path = route
        url = stack["api_url"] + path.format(slug=real_items["slug"][pick], code=real_items["code"][pick])
        headers = {**auth, **({"Content-Type": content_type} if content_type is not None else {})}
        response = requests.request(method, url, data=text.encode(), headers=headers, allow_redirects=False, timeout=30)
        _record(f"{method} {path} (hostile body)", response.status_code)
        assert response.status_code < 500, (response.status_code, response.text[:300])
        if response.status_code >= 400:
            document = response.json()
            assert "errors" in document or document.get("status") is False, document

    answers_every_body()


def _new_item(stack, session: requests.Session, kind: str) -> dict:
    """An item made the way clients make one, ready to be used."""
    api = stack["api_url"]
    if kind == "bookmark":
        return session.post(f"{api}/v3/items", json={"bookmark_url": "https://example.com/fuzz"}).json()
    if kind == "inline":
        made = session.post(
            f"{api}/api/v1/artifacts",
            data={"version_name": "v1"},
            files={"file": ("fuzz.txt", b"fuzz bytes", "text/plain")},
        ).json()
        return session.get(f"{api}/v3/items/{made['slug']}").json()
    ticket = session.post(f"{api}/v3/items", json={"name": "fuzz.png", "file_size": 10}).json()
    landed = requests.post(
        ticket["url"],
        data=ticket["s3"],
        files={"file": ("fuzz.png", b"\x89PNG fuzz!")},
        allow_redirects=False,
        timeout=30,
    )
    assert landed.status_code == 303, landed.text
    return session.get(landed.headers["Location"]).json()


def test_stateful_sequences_make_an_item_then_apply_every_operation_to_it(stack):
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {stack['api_key']}", "Accept": "application/json"})
    headers = {
        "Authorization": f"Bearer {stack['api_key']}",
        "x-api-key": stack["api_key"],
        "Accept": "application/json",
    }

    @examples(max(2, EXAMPLES // 10))
    @given(
        kind=st.sampled_from(["bookmark", "presigned", "inline"]), order=st.permutations(ALL_OPERATIONS), data=st.data()
    )
    def sequence(kind, order, data):
        item = _new_item(stack, session, kind)
        known = {"slug": item["slug"], "code": urlsplit(item["share_url"]).path.strip("/")}
        for operation in order:  # deletes may come first: later operations then meet a deleted item
            case = data.draw(operation.as_strategy().filter(_routable), label=operation.label)
            case.path_parameters = {
                **(case.path_parameters or {}),
                **{name: value for name, value in known.items() if name in operation.path},
            }
            _call_and_validate(case, stack, headers, f"{operation.label} (sequence)")

    sequence()


# Last: the longest part, so a run stopped early has done some of everything.
@pytest.mark.parametrize("operation", ALL_OPERATIONS, ids=lambda operation: operation.label)
def test_every_operation_answers_within_its_contract(operation, stack, real_items):
    # Both key headers: the document lists x-api-key as a scheme, so generated cases may carry one.
    headers = {
        "Authorization": f"Bearer {stack['api_key']}",
        "x-api-key": stack["api_key"],
        "Accept": "application/json",
    }

    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=_with_real(operation.as_strategy(), operation, real_items).filter(_routable))
    def answers_within_contract(case):
        _call_and_validate(case, stack, headers, operation.label)

    answers_within_contract()
