"""The review app in a real browser: `schoolaudit serve` started on 127.0.0.1 and a free port (its own
choice, --port 0) by the tests and stopped by them, driven through Debian's chromium with Playwright.

The users are added through the command line; the app's data is a copy of the published copy of a real
run (review_fixtures). Every page is checked for console errors (a style sheet or form the CSP blocked
would show there) and for requests that leave the app.
"""

from __future__ import annotations

import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from demo_fixtures import ARTIFACTS, require_program
from review_fixtures import DEMO_WEEK, EARLIER_WEEK

from tests.conftest import ROOT

pytest_plugins = ("review_fixtures", "demo_fixtures")

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
USERS = {"anna": "privacy_officer", "lotte": "privacy_officer", "rik": "council"}
PASSWORDS = {name: f"the password of {name}, long enough" for name in USERS}
PRIVACY_OFFICER_PAGES = ("/inbox", "/decisions", "/reports", "/access", "/access/events", "/findings/{finding}",
                         "/student?id={student}", f"/reports/{DEMO_WEEK}/privacy-officer.html")  # fmt: skip


def cli(*args: str, input: str = "") -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / "schoolaudit"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pipelines.cli"]
    return subprocess.run(command + list(args), check=False, cwd=ROOT, capture_output=True, text=True, input=input,
                          timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def server(review_source, tmp_path_factory):
    """{'url', 'db'} of a running `schoolaudit serve`; stopped at the end of the module."""
    folder = tmp_path_factory.mktemp("review-server")
    shutil.copy(review_source["published"], folder / "warehouse.published.duckdb")
    db = str(folder / "warehouse.duckdb")
    for name, role in USERS.items():
        added = cli("users", "add", name, "--role", role, "--password-stdin", "--db", db, input=PASSWORDS[name] + "\n")
        assert added.returncode == 0, added.stderr
    script = Path(sys.executable).parent / "schoolaudit"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pipelines.cli"]
    process = subprocess.Popen(
        command + ["serve", "--db", db, "--out", str(review_source["reports"]), "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and process.poll() is None:
            ready, _, _ = select.select([process.stdout], [], [], 1)
            if ready:
                line = process.stdout.readline()
                break
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, f"the app did not start: {line!r} {process.stderr.read() if process.poll() is not None else ''}"
        yield {"url": f"http://127.0.0.1:{match.group(1)}", "db": db, "reports": review_source["reports"]}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    stderr = process.stderr.read()
    # uvicorn shuts down gracefully on SIGTERM, then ends by that signal as a service manager expects
    assert process.returncode in (0, -signal.SIGTERM) and "Traceback" not in stderr, stderr


@pytest.fixture(scope="module")
def browser():
    chromium = require_program("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


class Visitor:
    """One browser context (its own cookies) on the app, recording console errors and outside requests."""

    def __init__(self, browser, url: str):
        self.url = url
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: request.url.startswith(url) or self.outside.append(request.url))

    def _console(self, message) -> None:
        # A 401 or 403 page is logged as a failed load: that is the answer the tests expect, not an error.
        if message.type == "error" and not message.text.startswith("Failed to load resource: the server responded"):
            self.errors.append(message.text)

    def go(self, path: str):
        return self.page.goto(self.url + path)

    def sign_in(self, name: str, password: str | None = None):
        self.go("/login")
        self.page.fill("input[name=name]", name)
        self.page.fill("input[name=password]", password or PASSWORDS[name])
        self.page.click("button[type=submit]")

    def close(self):
        self.context.close()


@pytest.fixture
def visitor(browser, server):
    opened = Visitor(browser, server["url"])
    yield opened
    assert opened.errors == [], opened.errors  # nothing blocked by the CSP, no script error
    assert opened.outside == [], opened.outside
    opened.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"review-{name}.png"), full_page=True)


def test_signing_in_through_the_form(visitor):
    visitor.go("/inbox")
    assert visitor.page.url.startswith(visitor.url + "/login?next=")
    visitor.sign_in("anna")
    assert visitor.page.url == visitor.url + "/inbox"
    assert visitor.page.locator("h1").inner_text() == "Inbox"
    assert visitor.page.locator("table.findings tbody tr").count() > 10
    # the style sheet is applied (loaded under the CSP): the header has its colour
    assert visitor.page.eval_on_selector("header", "e => getComputedStyle(e).backgroundColor") == "rgb(29, 53, 87)"
    cookies = {c["name"]: c for c in visitor.context.cookies()}
    assert cookies["schoolaudit_session"]["httpOnly"] and cookies["schoolaudit_session"]["sameSite"] == "Strict"
    screenshot(visitor.page, "inbox")


def test_five_wrong_passwords_lock_the_account(visitor, browser, server):
    for attempt in range(5):
        visitor.sign_in("lotte", "not the password of lotte")
        assert "Name or password not accepted" in visitor.page.locator(".error").inner_text(), attempt
    visitor.sign_in("lotte")  # the right password now: locked all the same, and said the same way
    assert visitor.page.url.startswith(visitor.url + "/login")
    assert "Name or password not accepted" in visitor.page.locator(".error").inner_text()
    elsewhere = Visitor(browser, server["url"])  # another browser is locked out too: the lock is the account's
    try:
        elsewhere.sign_in("lotte")
        assert elsewhere.page.url.startswith(server["url"] + "/login")
    finally:
        elsewhere.close()
    listed = cli("users", "list", "--db", server["db"])
    assert re.search(r"^lotte\s+privacy_officer\s+\S+\s+\d{4}-\d{2}-\d{2}T\S+Z$", listed.stdout, re.MULTILINE), listed.stdout


def test_filtering_the_inbox(visitor):
    visitor.sign_in("anna")
    page = visitor.page
    page.select_option("select[name=week]", EARLIER_WEEK)
    page.select_option("select[name=severity]", "high")
    page.click("form.filters button[type=submit]")
    assert f"week={EARLIER_WEEK}" in page.url and "severity=high" in page.url
    rows = page.locator("table.findings tbody tr")
    assert rows.count() > 0
    for row in rows.all():
        cells = row.locator("td")
        assert cells.nth(0).inner_text() == "high"
        assert cells.nth(3).inner_text().startswith("week 46 of 2026")
    student = page.locator("table.findings tbody tr td:nth-child(8) a .id").first.inner_text()
    page.select_option("select[name=severity]", "")
    page.fill("input[name=q]", student)
    page.click("form.filters button[type=submit]")
    for row in page.locator("table.findings tbody tr").all():
        assert student in row.inner_text()
    page.click("text=Clear the filters")
    assert page.url == visitor.url + "/inbox"


def test_deciding_a_finding(visitor, server):
    visitor.sign_in("anna")
    page = visitor.page
    page.select_option("select[name=family]", "access")
    page.click("form.filters button[type=submit]")
    page.locator("table.findings tbody tr td:nth-child(3) a").first.click()
    finding_id = re.search(r"/findings/([0-9a-f]+)", page.url).group(1)
    page.select_option("select[name=status]", "justified")
    page.fill("textarea[name=note]", "exam coordinator, covering in November")
    page.fill("input[name=grant_until]", "2027-07-31")
    page.check("input[name=grant_categories][value=progress]")
    page.click("form.decide button[type=submit]")
    assert "recorded" in page.locator(".message").inner_text()
    assert "exam coordinator, covering in November" in page.locator("table.history").inner_text()
    screenshot(page, "finding")
    logged = cli("decisions", "--db", server["db"], "--finding", finding_id)
    assert logged.returncode == 0, logged.stderr
    (line,) = [row for row in logged.stdout.splitlines() if finding_id in row]
    assert re.search(r"\banna\b.*\bopen\s+justified\s+exam coordinator, covering in November", line)
    csv = cli("decisions", "--db", server["db"], "--finding", finding_id, "--format", "csv").stdout
    assert ",2027-07-31,progress" in csv


def test_a_decision_made_in_the_app_shows_in_the_next_report(visitor, server, review_source, browser, tmp_path):
    """Decide in the browser; the next `schoolaudit report` of the week (here on a copy of the warehouse
    with a copy of the app's store beside it) shows the status and the note; read in the browser too."""
    import sqlite3

    from decisions.store import store_path

    visitor.sign_in("anna")
    page = visitor.page
    page.select_option("select[name=week]", DEMO_WEEK)
    page.select_option("select[name=status]", "open")
    page.click("form.filters button[type=submit]")
    page.locator("table.findings tbody tr td:nth-child(3) a").first.click()
    finding_id = re.search(r"/findings/([0-9a-f]+)", page.url).group(1)
    page.select_option("select[name=status]", "confirmed")
    page.fill("textarea[name=note]", "confirmed after the talk on Tuesday")
    page.fill("input[name=incident]", "DL-2026-031")
    page.click("form.decide button[type=submit]")
    assert "recorded" in page.locator(".message").inner_text()

    folder = tmp_path / "next"
    folder.mkdir()
    db = folder / "warehouse.duckdb"
    shutil.copy(review_source["published"].parent / "warehouse.duckdb", db)
    source, target = sqlite3.connect(store_path(server["db"])), sqlite3.connect(store_path(db))
    source.backup(target)  # a consistent copy of the app's store, WAL included
    source.close(), target.close()
    reported = cli("report", "--db", str(db), "--out", str(folder / "reports"), "--week", DEMO_WEEK)
    assert reported.returncode == 0, reported.stdout + reported.stderr

    report = browser.new_page()
    try:
        report.goto((folder / "reports" / DEMO_WEEK / "privacy-officer.html").as_uri())
        row = report.locator("table.findings tr", has=report.locator(f"text={finding_id}")).first
        assert "confirmed" in row.inner_text() and "confirmed after the talk on Tuesday" in row.inner_text()
        decisions = report.locator("section#decisions").inner_text()
        assert finding_id in decisions and "DL-2026-031" in decisions
        screenshot(report, "next-report-decisions")
    finally:
        report.close()


def test_a_forged_post_is_refused(visitor, server, review_source):
    visitor.sign_in("anna")
    before = cli("decisions", "--db", server["db"], "--format", "csv").stdout
    finding = visitor.page.locator("table.findings tbody tr td:nth-child(3) a").first.get_attribute("href")
    target = server["url"] + finding.split("?")[0] + "/decide"
    # From another site: a page with a form that posts to the app. SameSite=Strict: no cookie goes along,
    # so there is no session and the post ends on the sign-in page.
    attacker = visitor.context.new_page()
    attacker.set_content(f'<form method="post" action="{target}"><input name="status" value="confirmed">'
                         '<button>win a prize</button></form>')  # fmt: skip
    attacker.click("button")
    attacker.wait_for_load_state()
    assert attacker.url.startswith(server["url"] + "/login")
    attacker.close()
    # With the session cookie but without the form's token (as a script on another page might try)
    response = visitor.page.request.post(target, form={"status": "confirmed", "csrftoken": "forged"})
    assert response.status == 403 and "Form refused" in response.text()
    assert cli("decisions", "--db", server["db"], "--format", "csv").stdout == before


def test_a_council_user_is_refused_every_privacy_officer_page(visitor, server):
    visitor.sign_in("rik")
    page = visitor.page
    assert page.url == visitor.url + "/council"
    links = page.locator("ul.files a")
    # html and pdf of every reported week (other tests of the session may report more weeks there)
    weeks = [f for f in server["reports"].iterdir() if (f / "council-summary.html").is_file()]
    assert len(weeks) >= 2 and links.count() == 2 * len(weeks)
    page.locator(f"a[href='/reports/{DEMO_WEEK}/council-summary.html']").click()
    assert page.url == f"{visitor.url}/reports/{DEMO_WEEK}/council-summary.html"
    assert "participation council" in page.locator("h1").inner_text().lower()
    ids = {"finding": "0" * 16, "student": "100001"}  # any id will do: the role is refused first
    for path in PRIVACY_OFFICER_PAGES:
        response = visitor.go(path.format(**ids))
        assert response.status == 403, path
        assert page.locator("h1").inner_text() == "Not for your role", path
    screenshot(page, "council-refused")


def test_signing_out(visitor):
    visitor.sign_in("anna")
    visitor.page.click("form.logout button")
    assert visitor.page.url == visitor.url + "/login?bye=1"
    visitor.go("/inbox")
    assert visitor.page.url.startswith(visitor.url + "/login")

