"""Microsoft Graph's error shape (learn.microsoft.com/graph/errors):

    {"error": {"code": "...", "message": "...",
               "innerError": {"date": "...", "request-id": "...", "client-request-id": "..."}}}

with the same `request-id` (and `client-request-id`, echoed from the request) as headers.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from .server import Request, Response

# Status -> (code, message) Graph typically sends when a test scripts a fault without naming one.
DEFAULT_ERRORS = {
    400: ("BadRequest", "The request is malformed or incorrect."),
    401: ("InvalidAuthenticationToken", "Access token validation failure."),
    403: ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
    404: (
        "Request_ResourceNotFound",
        "Resource does not exist or one of its queried reference-property objects are not present.",
    ),
    405: ("Request_BadRequest", "Specified HTTP method is not allowed for the request target."),
    409: ("Conflict", "The operation conflicts with a concurrent change. Retry the request."),
    429: ("TooManyRequests", "Too many requests."),
    500: ("InternalServerError", "An internal server error occurred."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
    504: ("GatewayTimeout", "The gateway did not receive a timely response."),
}


# What .NET's default JSON encoder (System.Text.Encodings.Web.JavaScriptEncoder.Default) writes
# as \uXXXX, in upper-case hex: HTML-sensitive characters and everything outside ASCII.
_DOTNET_ESCAPED = set("+<>&'`\"")


def dotnet_json(document: Any) -> str:
    """`document` as Graph (a .NET service) serializes it: `"a+b"` is written `"a\\u002Bb"`."""
    out = []
    for char in json.dumps(document, ensure_ascii=False):
        if ord(char) > 0xFFFF:
            code = ord(char) - 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}")
        elif ord(char) > 0x7E or char in _DOTNET_ESCAPED - {'"'}:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def new_request_id() -> str:
    return str(uuid.uuid4())


def error(
    request: Request,
    status: int,
    code: str | None = None,
    message: str | None = None,
    headers: dict[str, str] | None = None,
    dotnet: bool = False,
) -> Response:
    """Graph's error document; `dotnet`: serialized as .NET writes it (see dotnet_json)."""
    default_code, default_message = DEFAULT_ERRORS.get(status, ("UnknownError", ""))
    request_id = new_request_id()
    client_request_id = request.headers.get("client-request-id") or request_id
    document = {
        "error": {
            "code": code or default_code,
            "message": default_message if message is None else message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }
    headers = {"request-id": request_id, "client-request-id": client_request_id, **(headers or {})}
    if dotnet:
        return Response(status, dotnet_json(document).encode(), {"Content-Type": "application/json", **headers})
    return Response.json(status, document, headers)
