"""The review app: a Starlette app of server-rendered pages (Jinja2, autoescaped), forms and links only.

Who may see what:
- not signed in: the sign-in page only; any other page redirects to it;
- `council`: the council summaries of every week (COUNCIL_FILES), nothing else (403);
- `privacy_officer`: everything.

The framework's middleware does the security work: SessionMiddleware keeps the session in a signed
(itsdangerous), HttpOnly, SameSite=Strict cookie (Secure with https_only), asgi-csrf checks a token on
every POST, argon2-cffi hashes the passwords (review.users), review.security adds the headers. The
session holds the user's name, a key of their password hash and the time of their last request; a
session idle for IDLE_MINUTES ends, and so does one whose user was removed or got a new password.

Every page that shows personal data first writes an entry in the app's own access register (user,
time, page, and the finding, account, student or recipient shown), then renders: nothing is shown that
the register does not hold.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import jinja2
from argon2 import PasswordHasher
from asgi_csrf import asgi_csrf
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from checks.registry import SEVERITIES
from decisions.decide import NOTE_LIMIT, DecisionError, decide, parse_categories, parse_date
from decisions.requests import local_today
from decisions.store import (
    DECIDED,
    GRANTING,
    STATUSES,
    Decision,
    StoreError,
    log_access,
    log_user_event,
    open_store,
)
from pipelines.contract import DATA_CATEGORIES
from reports.render import shown
from review import access_requests, data
from review.files import COUNCIL_FILES, REPORT_FILES, label_key, report_file, weeks_with_reports
from review.secret import derived_key, load_secret
from review.security import REPORT_CSP, SecurityHeaders
from review.text import AppText
from review.users import LOCK_MINUTES, MAX_FAILED_LOGINS, Authenticator, User, get_user, session_key

HERE = Path(__file__).parent
IDLE_MINUTES = 30
PRIVACY_OFFICER, COUNCIL = "privacy_officer", "council"
ANY_ROLE = (PRIVACY_OFFICER, COUNCIL)
FAMILIES = ("access", "consent", "exception", "processor", "standing", "signal")
SEARCH_LIMIT = 100  # characters of a search


@dataclass(frozen=True)
class AppConfig:
    db: Path  # the warehouse path: the app opens only its published copy and its store, never the file
    out: Path  # the report folder: <out>/<week>/
    lang: str = "en"
    timezone: str = "Europe/Amsterdam"
    https_only: bool = False
    leap_day_birthday: str = "march_1"  # for the age a student's statement is addressed by


def create_app(config: AppConfig, clock: Callable[[], datetime] | None = None, hasher: PasswordHasher | None = None):
    """The ASGI app. `clock` (aware UTC datetimes) and `hasher` are for the tests."""
    return Review(config, clock or (lambda: datetime.now(UTC)), hasher or PasswordHasher()).asgi


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every value from the inputs is escaped
        finalize=shown,  # control and bidirectional characters from the inputs shown as markers
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def requires(*roles: str):
    """An endpoint for signed-in users of these roles. The method runs in a worker thread (the store,
    the published copy and argon2 block) as method(self, request, user, store, form)."""

    def decorate(method):
        @functools.wraps(method)
        async def endpoint(self, request: Request) -> Response:
            form = await request.form() if request.method == "POST" else None
            return await run_in_threadpool(self._guarded, request, roles, method, form)

        return endpoint

    return decorate


class Review:
    def __init__(self, config: AppConfig, clock: Callable[[], datetime], hasher: PasswordHasher):
        self.config = config
        self.clock = clock
        self.t = AppText(config.lang, config.timezone)
        self.secret = load_secret(config.db)
        self.auth = Authenticator(hasher, clock)
        self.templates = Jinja2Templates(env=_environment())
        routes = [
            Route("/", self.home),
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/inbox", self.inbox),
            Route("/findings/{finding_id}", self.finding),
            Route("/findings/{finding_id}/decide", self.decide, methods=["POST"]),
            Route("/account", self.account),
            Route("/recipient", self.recipient),
            Route("/student", self.student),
            Route("/student/requests", self.student_request, methods=["POST"]),
            Route("/student/statement", self.student_statement, methods=["POST"]),
            Route("/statements/{name}", self.statement_file),
            Route("/decisions", self.decisions),
            Route("/reports", self.reports),
            Route("/reports/{week}/{name}", self.report_file),
            Route("/council", self.council),
            Route("/access", self.access),
            Route("/access/events", self.events),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
        https_only = config.https_only
        app = Starlette(
            routes=routes,
            middleware=[
                Middleware(
                    asgi_csrf, signing_secret=derived_key(self.secret, "csrf"), cookie_samesite="Strict",
                    cookie_secure=https_only, send_csrf_failed=self._csrf_failed,
                    always_protect={"/login", "/logout"},  # checked even when the request carries no cookie
                ),
                Middleware(
                    SessionMiddleware, secret_key=derived_key(self.secret, "session"), session_cookie="schoolaudit_session",
                    max_age=IDLE_MINUTES * 60, same_site="strict", https_only=https_only,
                ),
            ],
            exception_handlers={HTTPException: self._http_error, Exception: self._server_error},
        )
        # Outside Starlette's own error middleware, so that its 500 page gets the headers too.
        self.asgi = SecurityHeaders(app, https_only=https_only, refuse=self._refuse_body)

    # --- the guard: session, idle expiry, role ------------------------------------------------

    def _guarded(self, request: Request, roles: tuple[str, ...], method, form) -> Response:
        with open_store(self.config.db) as store:
            user = self._session_user(request, store)
            if user is None:
                return self._to_login(request)
            if user.role not in roles:
                raise HTTPException(403)
            return method(self, request, user, store, form)

    def _session_user(self, request: Request, store) -> User | None:
        session = request.session
        name = session.get("user")
        if not isinstance(name, str):
            return None
        now = self.clock().timestamp()
        seen = session.get("seen")
        if not isinstance(seen, int | float) or now - seen > IDLE_MINUTES * 60:
            session.clear()
            log_user_event(store, name, "logout", f"idle for {IDLE_MINUTES} minutes")
            request.state.expired = True
            return None
        user = get_user(store, name)
        key = session.get("key")
        if user is None or not isinstance(key, str) or not hmac.compare_digest(key, session_key(self.secret, user)):
            session.clear()  # removed, or a new password since this session began
            return None
        session["seen"] = now  # the idle time counts from the last request
        return user

    def _to_login(self, request: Request) -> Response:
        query = {}
        if getattr(request.state, "expired", False):
            query["expired"] = "1"
        if request.method == "GET":
            query["next"] = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login" + (f"?{urlencode(query)}" if query else ""), status_code=303)

    def _log(self, store, user: User, request: Request, **shown_subjects) -> None:
        """An entry in the access register for a page with personal data (before it is rendered)."""
        page = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        log_access(store, user.name, page[:500], **shown_subjects)

    def _render(self, request: Request, name: str, user: User | None, status: int = 200, **context) -> Response:
        token = request.scope.get("csrftoken")
        return self.templates.TemplateResponse(
            request, name, {"t": self.t, "user": user, "csrftoken": token or (lambda: ""), **context}, status_code=status
        )

    # --- signing in and out ---------------------------------------------------------------------

    async def login_page(self, request: Request) -> Response:
        return await run_in_threadpool(self._login_page, request)

    def _login_page(self, request: Request, failed: bool = False, status: int = 200) -> Response:
        if not failed:
            with open_store(self.config.db) as store:
                user = self._session_user(request, store)
            if user is not None:
                return RedirectResponse(self._home_of(user), status_code=303)
        params = request.query_params
        return self._render(
            request, "login.html", None, status=status, failed=failed,
            expired=params.get("expired") == "1" or getattr(request.state, "expired", False),
            signed_out=params.get("bye") == "1", next=_safe_next(params.get("next")),
            max_failed=MAX_FAILED_LOGINS, lock_minutes=LOCK_MINUTES, idle_minutes=IDLE_MINUTES,
        )  # fmt: skip

    async def login(self, request: Request) -> Response:
        form = await request.form()
        return await run_in_threadpool(self._login, request, form)

    def _login(self, request: Request, form) -> Response:
        name, password = _field(form, "name").strip(), _field(form, "password")
        with open_store(self.config.db) as store:
            user = self.auth.sign_in(store, name, password) if name and password else None
        if user is None:
            return self._login_page(request, failed=True, status=401)
        request.session.clear()  # nothing of an earlier session carries over
        request.session.update({"user": user.name, "key": session_key(self.secret, user),
                                "seen": self.clock().timestamp()})  # fmt: skip
        target = _safe_next(_field(form, "next")) or self._home_of(user)
        return RedirectResponse(target, status_code=303)

    @requires(*ANY_ROLE)
    def logout(self, request: Request, user: User, store, form) -> Response:
        log_user_event(store, user.name, "logout")
        request.session.clear()
        return RedirectResponse("/login?bye=1", status_code=303)

    @requires(*ANY_ROLE)
    def home(self, request: Request, user: User, store, form) -> Response:
        return RedirectResponse(self._home_of(user), status_code=303)

    @staticmethod
    def _home_of(user: User) -> str:
        return "/inbox" if user.role == PRIVACY_OFFICER else "/council"

    # --- the privacy officer's pages ------------------------------------------------------------

    @requires(PRIVACY_OFFICER)
    def inbox(self, request: Request, user: User, store, form) -> Response:
        params = request.query_params
        filters = data.Filters(
            week=_choice(params, "week"), status=_choice(params, "status"), severity=_choice(params, "severity"),
            family=_choice(params, "family"), school=_choice(params, "school"),
            q=(_choice(params, "q") or "")[:SEARCH_LIMIT] or None, page=_page_number(params),
        )  # fmt: skip
        with data.published(self.config.db, self.config.timezone) as con:
            if con is None:
                return self._render(request, "inbox.html", user, ready=False, filters=filters)
            data.register_decisions(con, store)
            rows, total = data.inbox(con, self.t, filters)
            options = data.choices(con)
        self._log(store, user, request)
        query = {k: v for k, v in params.items() if k != "page" and v}
        return self._render(
            request, "inbox.html", user, ready=True, filters=filters, rows=rows, total=total, options=options,
            statuses=STATUSES, severities=SEVERITIES, families=FAMILIES, pages=_pages(total),
            page_link=lambda page: "/inbox?" + urlencode({**query, "page": page}),
        )  # fmt: skip

    @requires(PRIVACY_OFFICER)
    def finding(self, request: Request, user: User, store, form) -> Response:
        return self._finding_page(request, user, store)

    def _finding_page(self, request, user, store, error: str | None = None, posted=None) -> Response:
        finding_id = request.path_params["finding_id"]
        week = request.query_params.get("week")
        with data.published(self.config.db, self.config.timezone) as con:
            row, weeks = (None, [])
            if con is not None:
                data.register_decisions(con, store)
                row, weeks = data.finding(con, self.t, finding_id, week)
        history = data.decision_history(store, finding_id)
        if row is None and not history:
            raise HTTPException(404)
        self._log(store, user, request, finding_id=finding_id, account_id=row and row["actor_id"],
                  student_id=row and row["student_id"], recipient_id=row and row["recipient_id"])  # fmt: skip
        recorded = request.query_params.get("recorded")
        return self._render(
            request, "finding.html", user, status=400 if error else 200, finding_id=finding_id, row=row,
            weeks=weeks, history=history, error=error, posted=posted or {},
            recorded=recorded if recorded and any(str(h["decision_id"]) == recorded for h in history) else None,
            decided=DECIDED, granting=GRANTING, categories=DATA_CATEGORIES, note_limit=NOTE_LIMIT,
        )  # fmt: skip

    @requires(PRIVACY_OFFICER)
    def decide(self, request: Request, user: User, store, form) -> Response:
        """The decide form goes through decisions.decide, exactly as `schoolaudit decide` does."""
        finding_id = request.path_params["finding_id"]
        posted = {name: _field(form, name) for name in
                  ("status", "note", "until", "incident", "grant_from", "grant_until")}  # fmt: skip
        posted["grant_categories"] = [c for c in form.getlist("grant_categories") if isinstance(c, str)]
        t = self.t
        try:
            decision = Decision(
                finding_id=finding_id,
                status=posted["status"],
                note=posted["note"] or None,
                until=parse_date(posted["until"], t("app.decide.until")),
                incident=posted["incident"] or None,
                grant_from=parse_date(posted["grant_from"], t("app.decide.grant") + ": " + t("app.decide.grant_from")),
                grant_until=parse_date(posted["grant_until"], t("app.decide.grant") + ": " + t("app.decide.grant_until")),
                grant_categories=parse_categories(";".join(posted["grant_categories"])),
            )
            if not decision.status:
                raise DecisionError(t("app.decide.unknown_status"))
            (decision_id,) = decide(self.config.db, [decision], user.name, self.config.timezone)
        except (DecisionError, StoreError) as exc:
            return self._finding_page(request, user, store, error=str(exc), posted=posted)
        return RedirectResponse(f"/findings/{finding_id}?recorded={decision_id}", status_code=303)

    @requires(PRIVACY_OFFICER)
    def account(self, request: Request, user: User, store, form) -> Response:
        return self._case(request, user, store, "account", "account_id")

    @requires(PRIVACY_OFFICER)
    def recipient(self, request: Request, user: User, store, form) -> Response:
        return self._case(request, user, store, "recipient", "recipient_id")

    @requires(PRIVACY_OFFICER)
    def student(self, request: Request, user: User, store, form) -> Response:
        return self._student_page(request, user, store, request.query_params.get("id", ""))

    def _case(self, request: Request, user: User, store, kind: str, logged_as: str, subject: str | None = None,
              status: int = 200, **extra) -> Response:  # fmt: skip
        subject = subject if subject is not None else request.query_params.get("id", "")
        if not subject:
            raise HTTPException(404)
        with data.published(self.config.db, self.config.timezone) as con:
            if con is None:
                raise HTTPException(404)
            data.register_decisions(con, store)
            particulars = data.who(con, kind, subject)
            rows = data.case(con, self.t, kind, subject)
        if particulars is None and not rows:
            raise HTTPException(404)
        self._log(store, user, request, **{logged_as: subject})
        return self._render(
            request, "case.html", user, status=status, kind=kind, subject=subject, who=particulars, rows=rows,
            limit=data.CASE_LIMIT, **extra,
        )

    @requires(PRIVACY_OFFICER)
    def decisions(self, request: Request, user: User, store, form) -> Response:
        page = _page_number(request.query_params)
        rows, total = data.newest_first(store, "decisions", page)
        with data.published(self.config.db, self.config.timezone) as con:
            still_found = data.found(con, [row["finding_id"] for row in rows])
        self._log(store, user, request)
        return self._render(request, "decisions.html", user, rows=rows, still_found=still_found, page=page,
                            pages=_pages(total), page_link=lambda n: f"/decisions?page={n}")  # fmt: skip

    @requires(PRIVACY_OFFICER)
    def access(self, request: Request, user: User, store, form) -> Response:
        return self._register(request, user, store, "app_access", "/access")

    @requires(PRIVACY_OFFICER)
    def events(self, request: Request, user: User, store, form) -> Response:
        return self._register(request, user, store, "user_events", "/access/events")

    def _register(self, request: Request, user: User, store, table: str, path: str) -> Response:
        page = _page_number(request.query_params)
        self._log(store, user, request)  # first: the page shows its own entry
        rows, total = data.newest_first(store, table, page)
        return self._render(request, "access.html", user, table=table, rows=rows, page=page, pages=_pages(total),
                            page_link=lambda n: f"{path}?page={n}")  # fmt: skip

    @requires(PRIVACY_OFFICER)
    def reports(self, request: Request, user: User, store, form) -> Response:
        weeks = weeks_with_reports(self.config.out)
        return self._render(request, "reports.html", user, weeks=weeks, label_key=label_key, folder=self.config.out)

    # --- access requests: the student's statement (spec/statement.md; review.access_requests) ----------

    def _student_page(self, request, user, store, subject: str, status: int = 200, **extra) -> Response:
        today = local_today(self.config.timezone)
        shown = access_requests.page_context(store, self.config.out, subject, today) if subject else {}
        made, registered = request.query_params.get("made"), request.query_params.get("registered")
        return self._case(
            request, user, store, "student", "student_id", subject=subject, status=status, today=today,
            made=made if made in shown.get("statements", ()) else None,
            registered=registered if any(str(r["request_id"]) == registered for r in shown.get("requests", ())) else None,
            **{"statement_error": None, **shown, **extra},
        )  # fmt: skip

    @requires(PRIVACY_OFFICER)
    def student_request(self, request: Request, user: User, store, form) -> Response:
        """Register an access request that came in (its due date follows); nothing is issued yet."""
        subject = _field(form, "id")
        try:
            request_id = access_requests.register_request(
                store, subject, _field(form, "requester"), _field(form, "received"), user.name,
                local_today(self.config.timezone), self.t("app.statement.received"),
            )  # fmt: skip
        except access_requests.StatementError as exc:
            return self._student_page(request, user, store, subject, status=400, statement_error=str(exc))
        return RedirectResponse(f"/student?{urlencode({'id': subject, 'registered': request_id})}", status_code=303)

    @requires(PRIVACY_OFFICER)
    def student_statement(self, request: Request, user: User, store, form) -> Response:
        """Make the student's statement from the published copy; answering an open request, or a draft."""
        subject = _field(form, "id")
        fields = {
            "from": _field(form, "from"), "to": _field(form, "to"), "request": _field(form, "request"),
            "staff_names": _field(form, "staff_names") == "1",
            "lang": _field(form, "lang") if _field(form, "lang") in ("en", "nl") else self.config.lang,
            "from_label": self.t("app.statement.from"), "to_label": self.t("app.statement.to"),
        }  # fmt: skip
        self._log(store, user, request, student_id=subject or None)  # the statement holds the student's data
        try:
            with data.published(self.config.db, self.config.timezone) as con:
                made = access_requests.make_statement(con, store, self.config.out, subject, fields, user.name,
                                                 local_today(self.config.timezone), self.config.leap_day_birthday)  # fmt: skip
        except access_requests.StatementError as exc:
            return self._student_page(request, user, store, subject, status=400, statement_error=str(exc))
        return RedirectResponse(f"/student?{urlencode({'id': subject, 'made': made.name})}", status_code=303)

    @requires(PRIVACY_OFFICER)
    def statement_file(self, request: Request, user: User, store, form) -> Response:
        name = request.path_params["name"]
        found = access_requests.statement_file(self.config.out, name)
        if found is None:
            raise HTTPException(404)
        path, media_type = found
        self._log(store, user, request, student_id=access_requests.student_of(name))
        html = name.endswith(".html")
        headers = {"Content-Disposition": f'{"inline" if html else "attachment"}; filename="{name}"'}
        if html:
            headers["Content-Security-Policy"] = REPORT_CSP
        return FileResponse(path, media_type=media_type, headers=headers)

    # --- both roles -----------------------------------------------------------------------------

    @requires(*ANY_ROLE)
    def council(self, request: Request, user: User, store, form) -> Response:
        weeks = weeks_with_reports(self.config.out, COUNCIL_FILES)
        return self._render(request, "council.html", user, weeks=weeks, label_key=label_key)

    @requires(*ANY_ROLE)
    def report_file(self, request: Request, user: User, store, form) -> Response:
        week, name = request.path_params["week"], request.path_params["name"]
        if name not in COUNCIL_FILES and user.role != PRIVACY_OFFICER:
            raise HTTPException(403)
        path = report_file(self.config.out, week, name)
        if path is None:
            raise HTTPException(404)
        if name not in COUNCIL_FILES:  # the council's summaries hold no personal data
            self._log(store, user, request)
        media_type = REPORT_FILES[name]
        # HTML is shown in the browser, sandboxed; a PDF or CSV is saved (a spreadsheet opens a CSV).
        html = name.endswith(".html")
        headers = {"Content-Disposition": f'{"inline" if html else "attachment"}; filename="{week}-{name}"'}
        if html:
            headers["Content-Security-Policy"] = REPORT_CSP
        return FileResponse(path, media_type=media_type, headers=headers)

    # --- errors ---------------------------------------------------------------------------------

    def _error_page(self, status: int, kind: str) -> str:
        return self.templates.get_template("error.html").render(
            t=self.t, user=None, csrftoken=lambda: "", status=status, kind=kind
        )

    async def _http_error(self, request: Request, exc: HTTPException) -> Response:
        kind = {403: "forbidden", 404: "not_found", 413: "too_large"}.get(exc.status_code, "other")
        return HTMLResponse(self._error_page(exc.status_code, kind), status_code=exc.status_code)

    async def _server_error(self, request: Request, exc: Exception) -> Response:
        return HTMLResponse(self._error_page(500, "other"), status_code=500)

    async def _csrf_failed(self, scope, send, message_id) -> None:
        await self._send_page(send, 403, "csrf")

    async def _refuse_body(self, scope, receive, send, status: int) -> None:
        await self._send_page(send, status, "too_large" if status == 413 else "other")

    async def _send_page(self, send, status: int, kind: str) -> None:
        body = self._error_page(status, kind).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


# --- small helpers ----------------------------------------------------------------------------------


def _field(form, name: str) -> str:
    """A text field of a form ('' when missing, or when it is a file: no form here takes one)."""
    value = form.get(name) if form is not None else None
    return value if isinstance(value, str) else ""


def _choice(params, name: str) -> str | None:
    return params.get(name, "").strip() or None


def _page_number(params) -> int:
    text = params.get("page", "1")
    return max(int(text), 1) if text.isdigit() and len(text) < 7 else 1


def _pages(total: int) -> int:
    return max((total + data.PAGE_SIZE - 1) // data.PAGE_SIZE, 1)


def _safe_next(target: str | None) -> str | None:
    """Where to go after signing in: a path of this app only, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 33 for ch in target):
        return None
    return target
