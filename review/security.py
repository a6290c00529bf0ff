"""Security headers on every response, and a limit on what a request may send.

The app's pages load nothing but their own style sheet (/static/app.css, so no inline style needs a
hash or nonce) and run no script at all: the policy has no script source, so the default `'none'` holds
for scripts. A report file served as it is (review.files) carries its own inline CSS and SVG; it gets a
policy of its own, sandboxed, that still allows no script (REPORT_CSP). Every response is `no-store`:
nearly every page holds personal data, and a page that does not is not worth the risk of a mistake.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

APP_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; sandbox"
)
MAX_BODY = 64 * 1024  # bytes: the largest form is a decision with a note of 4,000 characters


class SecurityHeaders:
    """Pure ASGI middleware (the outermost): the headers, and 411/413 for a body of unknown or too large
    a size, before any other middleware reads it."""

    def __init__(self, app: ASGIApp, https_only: bool = False, refuse=None):
        self.app = app
        self.https_only = https_only
        self.refuse = refuse  # async (scope, receive, send, status) that sends a page for 411 and 413

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", APP_CSP)
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Cross-Origin-Resource-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                headers["Cache-Control"] = "no-store"
                if self.https_only:
                    headers["Strict-Transport-Security"] = "max-age=31536000"
            await send(message)

        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            length = dict(scope.get("headers") or []).get(b"content-length")
            status = 411 if length is None or not length.isdigit() else 413 if int(length) > MAX_BODY else None
            if status:
                await self.refuse(scope, receive, send_with_headers, status)
                return
        await self.app(scope, receive, send_with_headers)
