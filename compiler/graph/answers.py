"""How much of an answer is read, and for how long: the one rule for every service the remote
commands talk to (Graph through httpx; the authority and Key Vault through azure-core).

A page of secrets, a job list, a token or a vault secret is a few kilobytes. An answer larger
than MAX_ANSWER_BYTES once decoded (an endless body, a gzip bomb) or not whole within
REQUEST_SECONDS (a body that trickles in) is broken or hostile: it is not read further, and
the request fails. Only gzip is asked for and decoded, here, never past the cap (a client
library would inflate a stack of encodings, "gzip, gzip", without a limit).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable

REQUEST_SECONDS = 60.0
MAX_ANSWER_BYTES = 8 * 1024 * 1024
ACCEPT_ENCODING = "gzip"


class AnswerError(Exception):
    """The answer was cut off: too large, too slow, or encoded in a way that was not asked for."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def read_capped(chunks: Iterable[bytes], encoding: str, ends: float) -> bytes:
    """The body from its raw `chunks` (as sent, `encoding` its Content-Encoding), decoded;
    AnswerError past MAX_ANSWER_BYTES or after `ends` (time.monotonic())."""
    encoding = encoding.strip().lower()
    if encoding not in ("", "identity", "gzip"):
        raise AnswerError("UnexpectedAnswer", "the answer is encoded in a way that was not asked for (gzip only)")
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding == "gzip" else None
    body = bytearray()
    try:
        for chunk in chunks:
            pending = chunk
            while pending:
                if inflate is None:
                    body += pending
                    pending = b""
                else:  # never more than the room left (+1 to notice the overflow)
                    body += inflate.decompress(pending, MAX_ANSWER_BYTES - len(body) + 1)
                    pending = inflate.unconsumed_tail
                if len(body) > MAX_ANSWER_BYTES:
                    raise AnswerError(
                        "AnswerTooLarge",
                        f"the answer is larger than {_size(MAX_ANSWER_BYTES)} (decoded): not read further",
                    )
            if time.monotonic() > ends:
                raise too_slow()
    except zlib.error:
        raise AnswerError("UnexpectedAnswer", "the answer is not valid gzip") from None
    return bytes(body)


def too_slow() -> AnswerError:
    return AnswerError(
        "Timeout",
        f"the answer did not arrive whole within {REQUEST_SECONDS:g} s (or the time left "
        "for it): not waited for further",
    )


def ends_at(deadline: float | None = None) -> float:
    """When an answer requested now must be whole: REQUEST_SECONDS on, or `deadline` if sooner."""
    ends = time.monotonic() + REQUEST_SECONDS
    return ends if deadline is None else min(ends, deadline)


def cut_off(error: BaseException) -> AnswerError | None:
    """The AnswerError behind an error a client library raised for a capped answer, if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, AnswerError):
            return current
        seen.add(id(current))
        # azure-core keeps the transport's error as `inner_exception`, raised outside its handler
        current = getattr(current, "inner_exception", None) or current.__cause__ or current.__context__
    return None


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count >= 1024 * 1024 else f"{count} bytes"


def capped_transport(**kwargs):
    """An azure-core transport (for azure-identity and the Key Vault client) whose every answer
    is read under the same cap and deadline."""
    import requests
    from azure.core.pipeline.transport import RequestsTransport

    class CappedAdapter(requests.adapters.HTTPAdapter):
        def send(self, request, stream=False, timeout=None, **rest):  # stream: always, here
            request.headers["Accept-Encoding"] = ACCEPT_ENCODING
            ends = ends_at()
            response = super().send(request, stream=True, timeout=timeout, **rest)
            try:
                body = read_capped(
                    response.raw.stream(64 * 1024, decode_content=False),
                    response.headers.get("Content-Encoding", ""),
                    ends,
                )
            except AnswerError as error:
                response.close()
                raise requests.exceptions.ContentDecodingError(error.message) from error  # see cut_off
            except requests.exceptions.RequestException:
                response.close()
                raise
            except Exception as error:  # urllib3's read errors: what requests would have wrapped
                response.close()
                raise requests.exceptions.ConnectionError(error) from None
            response.headers.pop("Content-Encoding", None)
            response._content, response._content_consumed = body, True  # requests' own fields
            return response

    session = requests.Session()
    adapter = CappedAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(session=session, session_owner=True, **kwargs)
