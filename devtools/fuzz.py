"""`make fuzz`: generated requests against a fresh local stack, then the totals (requests, 5xx) from
the run's report. What tests/integration/test_fuzz.py sends:

- Schemathesis over every operation of the OpenAPI document (EXAMPLES per operation);
- the public routes with generated cookies, tickets, headers and query strings;
- every body-taking route with huge, deep and mislabelled bodies;
- stateful sequences: an item is made (bookmark, presigned upload through S3, inline file), then
  every operation is applied to it, in a generated order.

The strategies for the hostile inputs live here so the unit tests use the same ones in-process,
where they also prove that each input class finds its 500 when its fix is taken out.

Run: python -m devtools.fuzz [EXAMPLES_PER_OPERATION]   (default 300: more than 10,000 requests;
     fewer examples are a quicker run, and then the 10,000 floor is not checked)
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from devtools.template import ROOT


def hunting(examples: int) -> settings:
    """Hypothesis settings for hunting a 5xx in-process: the same examples every run (derandomized, no
    database), generation only (no shrinking: the first 5xx is the answer), no deadline or health check
    (a request through moto is slow by Hypothesis' measure)."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )


REPORT = ROOT / ".local" / "fuzz.json"
DEFAULT_EXAMPLES = 300
MINIMUM_REQUESTS = 10_000

# ---------------------------------------------------------------- hostile inputs

# Characters that pass the checks people write by hand: isdigit() but not int() ('²', '①'),
# non-ASCII letters (compare_digest refuses them), line breaks and separators of every kind.
_TRICKY_CHARACTERS = st.one_of(
    st.characters(categories=["No", "Nd"]),
    st.characters(min_codepoint=0x80, max_codepoint=0x24F),
    st.sampled_from(["\r", "\n", "\t", " ", "\x00", "\x7f", "\x85", "\u2028", "\u202e", "%", ";", "=", ",", '"']),
)
_TEXT = st.one_of(st.text(max_size=12), st.text(_TRICKY_CHARACTERS, min_size=1, max_size=8))


def tokens() -> st.SearchStrategy[str]:
    """Values for a grant cookie or a ?t= ticket: garbage, and garbage shaped like `<expiry>.<mac>`."""
    expiry = st.one_of(
        st.integers(0, 10**12).map(str),
        st.text(_TRICKY_CHARACTERS, min_size=1, max_size=4),
        st.integers(10**20, 10**25).map(str),
    )
    return st.one_of(_TEXT, st.builds(lambda first, second: f"{first}.{second}", expiry, _TEXT))


def header_text() -> st.SearchStrategy[str]:
    """What an HTTP header can carry (latin-1): tokens and text without the line breaks HTTP forbids
    or leading whitespace (which HTTP clients refuse to send)."""
    return tokens().map(
        lambda text: text.encode("latin-1", "replace")
        .decode("latin-1")
        .replace("\r", "")
        .replace("\n", "")
        .replace("\x00", "")
        .lstrip()
    )


def huge_number_json() -> st.SearchStrategy[str]:
    """A JSON object holding an integer of thousands of digits (Python refuses more than 4,300)."""
    return st.builds(
        lambda name, digits: json.dumps({name: 0}).replace("0", "9" * digits),
        st.sampled_from(["file_size", "name", "expires_after_views", "favorite", "password"]),
        st.integers(4_301, 6_000),
    )


def deep_json() -> st.SearchStrategy[str]:
    """A JSON value nested from a few dozen to 60,000 levels deep (Python's parser recurses per level)."""

    def nested(name: str, depth: int, kind: str) -> str:
        inner = "[" * depth + "]" * depth if kind == "list" else '{"a":' * depth + "1" + "}" * depth
        return json.dumps({name: "X"}).replace('"X"', inner)

    return st.builds(
        nested,
        st.sampled_from(["name", "recipients", "password"]),
        st.integers(33, 60_000),
        st.sampled_from(["list", "object"]),
    )


def json_documents() -> st.SearchStrategy[str]:
    """Ordinary JSON, of every shape (the routes' fields among the keys)."""
    keys = st.sampled_from(
        [
            "name",
            "bookmark_url",
            "file_size",
            "favorite",
            "long_link",
            "expires_at",
            "expires_after_views",
            "recipients",
            "message",
            "password",
            "version_name",
            "is_published",
        ]
    )
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), _TEXT)
    values = st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=8
    )
    return st.dictionaries(keys, values, max_size=4).map(json.dumps)


def passkey_credentials() -> st.SearchStrategy[str]:
    """What a page's script could post as a WebAuthn credential: any JSON, and the credential's shape
    with hostile values (ids, base64url that is not, a clientDataJSON of any JSON, deep or huge)."""
    documents = st.one_of(json_documents(), deep_json(), huge_number_json())
    encoded = st.one_of(tokens(), documents.map(lambda text: base64.urlsafe_b64encode(text.encode()).decode()))
    shaped = st.fixed_dictionaries(
        {
            "id": tokens(),
            "rawId": st.one_of(tokens(), st.integers(), st.none()),
            "type": st.sampled_from(["public-key", "", "password"]),
            "response": st.fixed_dictionaries(
                {"clientDataJSON": encoded},
                optional={
                    "attestationObject": encoded,
                    "authenticatorData": encoded,
                    "signature": encoded,
                    "userHandle": encoded,
                },
            ),
        }
    ).map(json.dumps)
    return st.one_of(documents, shaped)


def mislabelled_types() -> st.SearchStrategy[str | None]:
    """Content types a JSON body may come with: none, the ones other sites' pages can send, odd ones."""
    return st.sampled_from(
        [
            None,
            "",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "application/xml",
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/vnd.api+json",
            "text/json",
        ]
    )


def expiry_times() -> st.SearchStrategy[str]:
    """ISO 8601 times at and beyond the ends of what datetime holds once moved to UTC."""
    edges = st.builds(
        lambda day, offset: f"{day}{offset}",
        st.sampled_from(["9999-12-31T23:59:59", "0001-01-01T00:00:00", "2030-01-01T00:00:00"]),
        st.sampled_from(["Z", "+00:00", "-01:00", "+01:00", "-23:59", "+23:59", ""]),
    )
    return st.one_of(edges, _TEXT)


# ---------------------------------------------------------------- the run


def main(argv: list[str]) -> int:
    examples = int(argv[0]) if argv else DEFAULT_EXAMPLES
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.unlink(missing_ok=True)
    env = {**os.environ, "FUZZ_EXAMPLES": str(examples), "FUZZ_REPORT": str(REPORT)}
    status = subprocess.call(
        [sys.executable, "-m", "pytest", "tests/integration/test_fuzz.py", "-q", "-p", "no:xdist", "-p", "no:logging"],
        cwd=ROOT,
        env=env,
    )
    if not REPORT.exists():
        return status or 1
    report = json.loads(REPORT.read_text())
    print(
        f"fuzz: {report['requests']} requests over {report['operations']} operations, "
        f"{report['server_errors']} server errors (5xx); answers by status: {report['statuses']}"
    )
    if examples >= DEFAULT_EXAMPLES and report["requests"] < MINIMUM_REQUESTS:
        print(f"fuzz: fewer than {MINIMUM_REQUESTS} requests", file=sys.stderr)
        return status or 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
