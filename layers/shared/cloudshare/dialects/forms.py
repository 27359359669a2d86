"""Request bodies as fields and files: multipart/form-data (`curl -F`), URL-encoded forms and flat JSON.

The standard library's e-mail parser reads multipart bodies (no extra dependency in the layer; it
keeps binary parts byte for byte; imported only for them, as every function loads this module).
API Gateway hands multipart bodies over base64-encoded, because the API lists multipart/form-data
among its binary media types.

JSON is read only from a body labelled as JSON (application/json or any +json type): a browser may
send a form, text/plain or an unlabelled body to another site without asking first (no CORS
preflight), but never a JSON-labelled one, so a JSON-reading route cannot be driven from another
site's page. And JSON is bounded before it is parsed: Python's parser recurses once per nesting
level and refuses integers of more than 4,300 digits, both as exceptions that are not JSON errors.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from aws_lambda_powertools.metrics import MetricUnit

from cloudshare.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from cloudshare.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
MAX_JSON_BYTES = 64 * 1024  # every JSON body of both APIs is a few small fields
MAX_JSON_DEPTH = 32
MAX_JSON_DIGITS = 32  # DynamoDB holds 38 significant digits; no field needs more than 20
# One left-to-right pass: a string (its closing quote optional, so an unclosed string ends the scan
# rather than being read again from each later quote), a bracket, or a run of digits outside strings.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[{]|[\]}]|[0-9]+', re.DOTALL)
JSON_ONLY = "Send the body as JSON with Content-Type: application/json"


def client_input[**Params, Result](parse: Callable[Params, Result]) -> Callable[Params, Result]:
    """Marks a function that reads what the client sent (bodies, query strings, cookies): whatever it
    fails on is the request's fault, so an error the parsing did not foresee is a 400/422 in the
    route's dialect (logged, counted), not a 500. Only parsing is wrapped — an error in the work
    done with the parsed request stays a logged 500."""

    @functools.wraps(parse)
    def parsing(*args: Params.args, **kwargs: Params.kwargs) -> Result:
        try:
            return parse(*args, **kwargs)
        except (ValueError, TypeError, LookupError, OverflowError, RecursionError) as error:  # UnicodeError too
            logger.warning("unreadable client input", extra={"parser": parse.__name__, "error": type(error).__name__})
            metrics.add_metric(name="UnreadableInput", unit=MetricUnit.Count, value=1)
            raise InvalidInput("The request could not be read") from error

    return parsing


@dataclass(frozen=True)
class FilePart:
    filename: str
    content: bytes
    content_type: str  # as the client labelled the part; "" when it did not


@dataclass(frozen=True)
class Form:
    """A request body's fields (text, or JSON scalars for JSON bodies) and files, one value per name."""

    fields: dict[str, object] = field(default_factory=dict)
    files: dict[str, FilePart] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        value = self.fields.get(name)
        if value is None:
            return None
        if isinstance(value, bool | dict | list):
            raise InvalidInput(f"{name} must be a string", field=name)
        return str(value)

    def flag(self, name: str) -> bool | None:
        """A boolean: true/false/1/0/yes/no in any case (JSON booleans too); anything else is refused."""
        value = self.fields.get(name)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str | int) and str(value).strip().lower() in _TRUE | _FALSE:
            return str(value).strip().lower() in _TRUE
        raise InvalidInput(f"{name} must be true or false (also accepted: 1/0, yes/no)", field=name)

    def integer(self, name: str, minimum: int = 0) -> int | None:
        value = self.fields.get(name)
        if value is None:
            return None
        try:
            number = value if isinstance(value, int) and not isinstance(value, bool) else int(str(value).strip())
        except ValueError:
            raise InvalidInput(f"{name} must be a whole number", field=name) from None
        if number < minimum:
            raise InvalidInput(f"{name} must be at least {minimum}", field=name)
        return number


def parse(body: str | None, is_base64: bool | None, content_type: str) -> Form:
    raw = _raw_bytes(body, is_base64)
    media_type = _media_type(content_type)
    if not raw.strip():
        return Form()
    if media_type == "multipart/form-data":
        return _multipart(raw, content_type)
    if media_type == "application/x-www-form-urlencoded" and raw.lstrip()[:1] in (b"{", b"["):
        # `curl -d '{…}'` without -H labels JSON as a form: read as a form it would change nothing.
        raise UnsupportedMediaType(f"The body is JSON but labelled {media_type}: {JSON_ONLY}", field="Content-Type")
    if media_type == "application/x-www-form-urlencoded":
        return Form(fields=_unique(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)))
    if is_json(content_type):
        return _json(raw)
    raise UnsupportedMediaType(
        "Send multipart/form-data, application/x-www-form-urlencoded or application/json (with that Content-Type)",
        field="Content-Type",
    )


def is_json(content_type: str) -> bool:
    """application/json, or a structured +json type (application/merge-patch+json, …)."""
    media_type = _media_type(content_type)
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def load_json(raw: bytes | str) -> object:
    """A JSON document within the bounds every body here fits, or InvalidInput (PayloadTooLarge when
    longer): the checks run on the text, before the parser could recurse or convert a huge number."""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"A JSON body is at most {MAX_JSON_BYTES} bytes")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise InvalidInput("The request body is not valid UTF-8") from None
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        first = token.group()[0]
        if first in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise InvalidInput(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels")
        elif first in "]}":
            depth -= 1
        elif first != '"' and len(token.group()) > MAX_JSON_DIGITS:
            raise InvalidInput(f"The JSON body holds a number of more than {MAX_JSON_DIGITS} digits")
    try:
        document = json.loads(text)
        json.dumps(document, ensure_ascii=False).encode("utf-8")  # a lone \ud800 escape cannot be stored
    except json.JSONDecodeError as error:
        raise InvalidInput(f"The request body is not valid JSON: {error.msg} (character {error.pos})") from None
    except UnicodeEncodeError:
        raise InvalidInput("The JSON body holds an unpaired surrogate escape (not a character)") from None
    return document


def _raw_bytes(body: str | None, is_base64: bool | None) -> bytes:
    if not body:
        return b""
    if not is_base64:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("The request body is not valid base64") from None


def _multipart(raw: bytes, content_type: str) -> Form:
    from email.message import EmailMessage
    from email.parser import BytesParser
    from email.policy import HTTP

    if "boundary=" not in content_type:
        raise InvalidInput("multipart/form-data needs a boundary in its Content-Type", field="Content-Type")
    try:
        header = content_type.encode("latin-1")  # what an HTTP header may hold
    except UnicodeEncodeError:
        raise InvalidInput(
            "The Content-Type header holds characters HTTP headers cannot", field="Content-Type"
        ) from None
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + header + b"\r\n\r\n" + raw)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise InvalidInput("The multipart body could not be read", field="Content-Type")
    fields: list[tuple[str, object]] = []
    files: list[tuple[str, FilePart]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True)  # bytes for a leaf part
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            fields.append((str(name), content.decode("utf-8", "replace")))
        elif filename or content:  # a browser form with no file chosen sends filename="" and nothing
            # The label as sent: content_types judges it (the parser would turn a malformed one into text/plain).
            labelled = str(part["Content-Type"] or "")
            files.append((str(name), FilePart(filename, content, labelled)))
    return Form(fields=_unique(fields), files=_unique(files))


def _json(raw: bytes) -> Form:
    document = load_json(raw)
    if not isinstance(document, dict):
        raise InvalidInput("The request body must be a JSON object")
    return Form(fields=document)


def _media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def _unique[Value](pairs: Iterable[tuple[str, Value]]) -> dict[str, Value]:
    found: dict[str, Value] = {}
    for name, value in pairs:
        if name in found:
            raise InvalidInput(f"{name} was sent more than once", field=name)
        found[name] = value
    return found


@client_input
def of_request(event: BaseProxyEvent) -> Form:
    """The body of a Powertools API Gateway event."""
    return parse(event.body, event.is_base64_encoded, event.headers.get("content-type") or "")
