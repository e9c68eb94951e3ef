"""The access log, without credentials.

aiohttp's access log writes each request's first line as it came, so a sign-in link
(`GET /dashboard/sign-in?token=…`) put a working credential into every log it reached. This
one writes the query with the value of every parameter whose name suggests a credential
replaced by `REDACTED`, and leaves out the Referer (which may be such a URL) and any header
that carries a credential.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

# A parameter whose name holds one of these carries a credential (token=, access_token=,
# code=, sig=, client_secret=, password=, key=, session=, ...).
SECRET_NAMES = re.compile(r"token|secret|code|sig|pass|key|session|auth|cookie|nonce", re.I)
REDACTED = "REDACTED"


def redact_query(path_qs: str) -> str:
    """`path_qs` with the values of credential-like query parameters replaced, also in a page
    named by a parameter (the language switch's `next`, which may be a sign-in link)."""
    path, sep, query = path_qs.partition("?")
    if not sep:
        return path
    parts = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if SECRET_NAMES.search(name):
            shown = REDACTED
        else:
            shown = redact_query(value) if "?" in value else value
        parts.append(f"{quote(name, safe='')}={quote(shown, safe='')}")
    return f"{path}?{'&'.join(parts)}" if parts else path


# The most of a request's path and query a log line holds: what a client sends is not ours to
# store at any length (a 5,000-character "account number" filled a line).
MAX_LOGGED_PATH = 300


def _short(path: str) -> str:
    return path if len(path) <= MAX_LOGGED_PATH else path[:MAX_LOGGED_PATH] + "…"


class AccessLog(AbstractAccessLogger):
    """`remote "METHOD path?query HTTP/x.y" status bytes seconds "user agent"`."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s HTTP/%d.%d" %d %d %.3fs "%s"',
            request.remote or "-",
            request.method,
            _short(redact_query(request.path_qs)),
            request.version.major,
            request.version.minor,
            response.status,
            response.body_length,
            time,
            request.headers.get("User-Agent", "-")[:200],
        )
