"""The security headers of what the server shows in a browser: the dashboard and the web chat.

Neither may be framed by a page elsewhere (which could trick a visitor into clicking its
buttons), guessed at as another type of content, or named in a Referer. Each part of the site
gives its own Content-Security-Policy, built here so that it always forbids framing.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

NO_FRAMING = "frame-ancestors 'none'"


def content_security_policy(*directives: str) -> str:
    """The policy of `directives`, framing forbidden whatever they say."""
    return "; ".join((*directives, NO_FRAMING))


def security_headers(policy: str) -> dict[str, str]:
    """The headers of a response whose Content-Security-Policy is `policy`."""
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        # The dashboard's sign-in token is in a URL: nothing of ours travels on in a Referer.
        "Referrer-Policy": "no-referrer",
        # For browsers that do not know frame-ancestors.
        "X-Frame-Options": "DENY",
    }


def protect(app: web.Application, policy_for: Callable[[web.Request], str | None]) -> None:
    """Every response (errors included) to a request for which `policy_for` gives a policy
    carries the security headers with that policy; a header the handler set is left as is."""

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        policy = policy_for(request)
        if policy is None:
            return
        for name, value in security_headers(policy).items():
            response.headers.setdefault(name, value)

    app.on_response_prepare.append(add_headers)
