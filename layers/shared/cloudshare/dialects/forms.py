"""Request bodies as fields and files: multipart/form-data (`curl -F`), URL-encoded forms and flat JSON.

The standard library's e-mail parser reads multipart bodies (no extra dependency in the layer; it
keeps binary parts byte for byte). API Gateway hands multipart bodies over base64-encoded, because
the API lists multipart/form-data among its binary media types.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from cloudshare.errors import InvalidInput

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


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


def parse(body: str | None, is_base64: bool, content_type: str) -> Form:
    raw = _raw_bytes(body, is_base64)
    media_type = content_type.split(";")[0].strip().lower()
    if not raw.strip():
        return Form()
    if media_type == "multipart/form-data":
        return _multipart(raw, content_type)
    if media_type == "application/x-www-form-urlencoded" and raw.lstrip()[:1] == b"{":
        return _json(raw)  # `curl -d '{…}'` labels JSON as a form unless told otherwise
    if media_type == "application/x-www-form-urlencoded":
        return Form(fields=_unique(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)))
    if media_type in ("application/json", ""):
        return _json(raw)
    raise InvalidInput("Send multipart/form-data, application/x-www-form-urlencoded or application/json",
                       field="Content-Type")


def _raw_bytes(body: str | None, is_base64: bool) -> bytes:
    if not body:
        return b""
    if not is_base64:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("The request body is not valid base64") from None


def _multipart(raw: bytes, content_type: str) -> Form:
    if "boundary=" not in content_type:
        raise InvalidInput("multipart/form-data needs a boundary in its Content-Type", field="Content-Type")
    try:
        header = content_type.encode("latin-1")  # what an HTTP header may hold
    except UnicodeEncodeError:
        raise InvalidInput("The Content-Type header holds characters HTTP headers cannot", field="Content-Type") \
            from None
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + header + b"\r\n\r\n" + raw)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise InvalidInput("The multipart body could not be read", field="Content-Type")
    fields: list[tuple[str, object]] = []
    files: list[tuple[str, FilePart]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        content = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            fields.append((str(name), content.decode("utf-8", "replace")))
        elif filename or content:  # a browser form with no file chosen sends filename="" and nothing
            # The label as sent: content_types judges it (the parser would turn a malformed one into text/plain).
            labelled = str(part["Content-Type"] or "")
            files.append((str(name), FilePart(filename, content, labelled)))
    return Form(fields=_unique(fields), files=_unique(files))


def _json(raw: bytes) -> Form:
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput("The request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise InvalidInput("The request body must be a JSON object")
    return Form(fields=document)


def _unique(pairs: list[tuple[str, object]]) -> dict:
    found: dict = {}
    for name, value in pairs:
        if name in found:
            raise InvalidInput(f"{name} was sent more than once", field=name)
        found[name] = value
    return found


def of_request(event) -> Form:
    """The body of a Powertools API Gateway event."""
    return parse(event.body, event.is_base64_encoded, event.headers.get("content-type") or "")
