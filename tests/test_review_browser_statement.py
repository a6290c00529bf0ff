"""The student page's access requests in a real browser (see test_review_browser.py): a `schoolaudit serve`
with its own report folder, a request registered through the form, the statement made answering it, and
the PDF opened from the page."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from test_review_browser import PASSWORDS, USERS, Visitor, browser, cli, screenshot  # noqa: F401 (fixture)

from decisions.requests import due_date, local_today
from tests.conftest import ROOT

pytest_plugins = ("review_fixtures", "demo_fixtures")


@pytest.fixture(scope="module")
def server(review_source, tmp_path_factory):
    folder = tmp_path_factory.mktemp("review-statement-server")
    shutil.copy(review_source["published"], folder / "warehouse.published.duckdb")
    db, out = str(folder / "warehouse.duckdb"), folder / "reports"
    for name, role in USERS.items():
        assert cli("users", "add", name, "--role", role, "--password-stdin", "--db", db,
                   input=PASSWORDS[name] + "\n").returncode == 0  # fmt: skip
    script = Path(sys.executable).parent / "schoolaudit"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pipelines.cli"]
    process = subprocess.Popen(
        command + ["serve", "--db", db, "--out", str(out), "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline, line = time.monotonic() + 60, ""
        while time.monotonic() < deadline and process.poll() is None and not line:
            line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, f"the app did not start: {line!r}"
        yield {"url": f"http://127.0.0.1:{match.group(1)}", "db": db, "out": out, "folder": folder}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode in (0, -signal.SIGTERM)


@pytest.fixture
def visitor(browser, server):  # noqa: F811 (browser is the imported fixture)
    opened = Visitor(browser, server["url"])
    yield opened
    assert opened.errors == [], opened.errors
    assert opened.outside == [], opened.outside
    opened.close()


def test_registering_a_request_and_answering_it_with_the_statement(visitor, server):
    con = duckdb.connect(str(server["folder"] / "warehouse.published.duckdb"), read_only=True)
    student = con.execute("SELECT student_id FROM statement_access GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    con.close()
    today = local_today("Europe/Amsterdam")
    visitor.sign_in("anna")
    page = visitor.page
    visitor.go(f"/student?id={student}")
    assert page.locator("h2#requests").count() == 1
    page.select_option("form.request select[name=requester]", "guardian")
    page.fill("form.request input[name=received]", today.isoformat())
    page.click("form.request button[type=submit]")
    assert "registered=" in page.url
    row = page.locator("table.requests tbody tr").first.inner_text()
    assert due_date(today).isoformat() in row and "open" in row
    page.select_option("form.statement select[name=lang]", "nl")
    page.click("form.statement button[type=submit]")
    assert "made=" in page.url
    assert "answered" in page.locator("table.requests tbody tr").first.inner_text()
    screenshot(page, "student-statement")
    with page.expect_download() as download:
        page.locator("p.message a", has_text="PDF").click()
    assert download.value.suggested_filename == f"{student}-{today.isoformat()}.pdf"
    assert (server["out"] / "statements" / f"{student}-{today.isoformat()}.pdf").is_file()
