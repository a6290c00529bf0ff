"""The review app through Starlette's TestClient: signing in, the lockout, sessions and their idle expiry,
CSRF, roles, the headers, escaping, the app's own access register, the report files, deciding."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import duckdb
import pytest
from review_fixtures import EARLIER_WEEK, FAST_HASHER, PASSWORD, Clock, csrf_token
from starlette.testclient import TestClient

from decisions.store import store_path
from review.app import AppConfig, create_app
from review.users import add_user, change_password, remove_user
from tests.conftest import DEMO_WEEK

pytest_plugins = ("review_fixtures",)

PRIVACY_OFFICER_PAGES = (
    "/inbox", "/decisions", "/reports", "/access", "/access/events", "/findings/{access}",
    "/account?id={actor}", "/recipient?id={recipient}", "/student?id={student}",
    f"/reports/{DEMO_WEEK}/privacy-officer.html", f"/reports/{DEMO_WEEK}/privacy-officer.pdf",
    f"/reports/{DEMO_WEEK}/findings.csv", f"/reports/{DEMO_WEEK}/coverage.csv", f"/reports/{DEMO_WEEK}/quarantine.csv",
)  # fmt: skip


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(site, clock):
    add_user(site.db, "anna", "privacy_officer", PASSWORD, FAST_HASHER)
    add_user(site.db, "rik", "council", PASSWORD, FAST_HASHER)
    return create_app(AppConfig(db=site.db, out=site.out), clock=clock, hasher=FAST_HASHER)


@pytest.fixture
def client(app):
    return TestClient(app)


@pytest.fixture
def ids(site) -> dict:
    """Some findings of the published copy: an access finding, a disclosure, one found in both weeks."""
    con = duckdb.connect(str(site.db.with_name("warehouse.published.duckdb")), read_only=True)
    try:
        access, actor, student = con.execute(
            "SELECT finding_id, actor_id, student_id FROM findings WHERE subject_type = 'access_event'"
            " AND rule_id = 'ACCESS-UNINVOLVED' AND week = $w ORDER BY finding_id LIMIT 1",
            {"w": DEMO_WEEK},
        ).fetchone()
        disclosure, recipient = con.execute(
            "SELECT finding_id, recipient_id FROM findings WHERE subject_type = 'disclosure' AND week = $w"
            " ORDER BY finding_id LIMIT 1",
            {"w": DEMO_WEEK},
        ).fetchone()
        (recurring,) = con.execute(
            "SELECT finding_id FROM findings GROUP BY finding_id HAVING count(DISTINCT week) = 2 ORDER BY 1 LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    return {"access": access, "actor": actor, "student": student, "disclosure": disclosure,
            "recipient": recipient, "recurring": recurring}  # fmt: skip


def sign_in(client, name="anna", password=PASSWORD, **extra):
    token = csrf_token(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrftoken": token, **extra},
                       follow_redirects=False)  # fmt: skip


def store_rows(site, sql, params=()):
    con = sqlite3.connect(store_path(site.db))
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def post_decision(client, finding_id, **fields):
    token = csrf_token(client.get(f"/findings/{finding_id}").text)
    return client.post(f"/findings/{finding_id}/decide", data={"csrftoken": token, **fields}, follow_redirects=False)


# --- signing in -------------------------------------------------------------------------------------


def test_signing_in_sets_a_signed_strict_httponly_session_and_opens_the_inbox(client):
    assert client.get("/inbox", follow_redirects=False).headers["location"] == "/login?next=%2Finbox"
    response = sign_in(client, next="/inbox")
    assert response.status_code == 303 and response.headers["location"] == "/inbox"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("schoolaudit_session="))
    assert "httponly" in cookie and "samesite=strict" in cookie and "Max-Age=1800" in cookie
    assert "secure" not in cookie.lower()
    page = client.get("/inbox")
    assert page.status_code == 200 and "Signed in as anna (privacy officer)" in page.text


def test_https_only_makes_every_cookie_secure(site):
    add_user(site.db, "anna", "privacy_officer", PASSWORD, FAST_HASHER)
    app = create_app(AppConfig(db=site.db, out=site.out, https_only=True), hasher=FAST_HASHER)
    client = TestClient(app, base_url="https://testserver")
    login = client.get("/login")
    assert "Secure" in login.headers["set-cookie"]  # the CSRF cookie
    assert "max-age=31536000" in login.headers["strict-transport-security"]
    response = sign_in(client)
    session = next(c for c in response.headers.get_list("set-cookie") if c.startswith("schoolaudit_session="))
    assert "secure" in session


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(client, site):
    wrong = sign_in(client, password="not the password at all")
    unknown = sign_in(client, name="nobody")
    assert wrong.status_code == unknown.status_code == 401
    message = "Name or password not accepted."
    assert message in wrong.text and message in unknown.text
    assert wrong.text.replace(csrf_token(wrong.text), "") == unknown.text.replace(csrf_token(unknown.text), "")
    assert client.get("/inbox", follow_redirects=False).status_code == 303  # still not signed in
    events = store_rows(site, "SELECT user_name, event, detail FROM user_events WHERE event = 'login_failed'")
    assert ("anna", "login_failed", "wrong password") in events and ("nobody", "login_failed", "unknown name") in events


def test_five_failed_logins_lock_the_account_for_fifteen_minutes(client, site, clock):
    for _ in range(4):
        assert sign_in(client, password="wrong password, again").status_code == 401
    assert sign_in(client).status_code == 303  # four in a row do not lock, and a success resets the count
    client.post("/logout", data={"csrftoken": csrf_token(client.get("/inbox").text)})
    for _ in range(5):
        assert sign_in(client, password="wrong password, again").status_code == 401
    locked = sign_in(client)  # the right password, but locked: the same answer as a wrong one
    assert locked.status_code == 401 and "Name or password not accepted." in locked.text
    assert store_rows(site, "SELECT count(*) FROM user_events WHERE event = 'locked'") == [(1,)]
    (locked_until,) = store_rows(site, "SELECT locked_until FROM users WHERE name = 'anna'")[0]
    assert locked_until.startswith("2026-12-01T09:15:00")
    clock.advance(minutes=14, seconds=59)
    assert sign_in(client).status_code == 401
    clock.advance(seconds=2)
    assert sign_in(client).status_code == 303
    assert store_rows(site, "SELECT failed_logins, locked_until FROM users WHERE name = 'anna'") == [(0, None)]


def test_a_session_ends_after_thirty_minutes_idle_and_each_request_restarts_the_count(client, clock, site):
    sign_in(client)
    clock.advance(minutes=29)
    assert client.get("/inbox", follow_redirects=False).status_code == 200
    clock.advance(minutes=29)  # 58 minutes after signing in, 29 after the last request
    assert client.get("/decisions", follow_redirects=False).status_code == 200
    clock.advance(minutes=30, seconds=1)
    expired = client.get("/inbox", follow_redirects=False)
    assert expired.status_code == 303 and "expired=1" in expired.headers["location"]
    assert "30 minutes without activity" in client.get(expired.headers["location"]).text
    assert client.get("/inbox", follow_redirects=False).status_code == 303  # the session is gone for good
    assert ("logout", "idle for 30 minutes") in store_rows(site, "SELECT event, detail FROM user_events")


def test_removing_a_user_or_changing_their_password_ends_their_sessions(client, site):
    sign_in(client)
    change_password(site.db, "anna", "a brand new password", FAST_HASHER)
    assert client.get("/inbox", follow_redirects=False).status_code == 303
    sign_in(client, password="a brand new password")
    assert client.get("/inbox", follow_redirects=False).status_code == 200
    remove_user(site.db, "anna")
    assert client.get("/inbox", follow_redirects=False).status_code == 303


def test_after_signing_in_it_goes_only_to_a_page_of_its_own(client):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = sign_in(client, next=target)
        assert response.headers["location"] == "/inbox", target


def test_signing_out_ends_the_session(client, site):
    sign_in(client)
    token = csrf_token(client.get("/inbox").text)
    assert client.post("/logout", data={"csrftoken": token}, follow_redirects=False).headers["location"] == "/login?bye=1"
    assert client.get("/inbox", follow_redirects=False).status_code == 303
    assert ("anna", "logout") in store_rows(site, "SELECT user_name, event FROM user_events")


# --- CSRF -----------------------------------------------------------------------------------------


def test_a_forged_post_is_refused_and_nothing_is_written(client, site, ids):
    sign_in(client)
    client.get(f"/findings/{ids['access']}")
    without = client.post(f"/findings/{ids['access']}/decide", data={"status": "confirmed"})
    forged = client.post(f"/findings/{ids['access']}/decide", data={"status": "confirmed", "csrftoken": "forged"})
    assert without.status_code == forged.status_code == 403
    assert "Form refused" in forged.text
    assert store_rows(site, "SELECT count(*) FROM decisions") == [(0,)]
    # from another site: the browser sends no cookie (SameSite=Strict), so there is no session either
    stranger = TestClient(client.app)
    response = stranger.post(f"/findings/{ids['access']}/decide", data={"status": "confirmed"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert store_rows(site, "SELECT count(*) FROM decisions") == [(0,)]


def test_signing_in_needs_the_token_even_without_cookies(app):
    # a forged sign-in (login CSRF) from another site carries no cookie at all
    response = TestClient(app).post("/login", data={"name": "anna", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403


def test_a_body_too_large_is_refused_before_it_is_read(client):
    response = client.post("/login", content=b"x" * (64 * 1024 + 1),
                           headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert response.status_code == 413 and response.headers["x-frame-options"] == "DENY"


# --- roles ----------------------------------------------------------------------------------------


def test_a_council_user_sees_only_the_council_summaries(client, ids):
    assert sign_in(client, name="rik").headers["location"] == "/council"
    council = client.get("/council")
    assert council.status_code == 200
    assert f'/reports/{DEMO_WEEK}/council-summary.html' in council.text
    assert f'/reports/{EARLIER_WEEK}/council-summary.html' in council.text  # every week
    assert "/inbox" not in council.text  # the navigation offers nothing else
    for name in ("council-summary.html", "council-summary.pdf"):
        assert client.get(f"/reports/{DEMO_WEEK}/{name}").status_code == 200
    for page in PRIVACY_OFFICER_PAGES:
        response = client.get(page.format(**ids), follow_redirects=False)
        assert response.status_code == 403, page
        assert "Not for your role" in response.text
    token = csrf_token(council.text)
    decide = client.post(f"/findings/{ids['access']}/decide", data={"csrftoken": token, "status": "justified"})
    assert decide.status_code == 403


def test_not_signed_in_every_page_leads_to_the_sign_in_page(app, ids):
    client = TestClient(app)
    for page in (*PRIVACY_OFFICER_PAGES, "/", "/council", f"/reports/{DEMO_WEEK}/council-summary.html"):
        response = client.get(page.format(**ids), follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), page
    assert client.get("/login").status_code == 200
    assert client.get("/static/app.css").status_code == 200


# --- headers and escaping -------------------------------------------------------------------------


def test_every_page_carries_the_security_headers(client, ids):
    pages = [client.get("/login"), sign_in(client, password="wrong password here")]
    sign_in(client)
    pages += [client.get(page.format(**ids)) for page in PRIVACY_OFFICER_PAGES]
    pages += [client.get("/council"), client.get("/no-such-page"), client.get("/findings/0000000000000000"),
              client.post("/logout", data={"csrftoken": "forged"})]  # fmt: skip
    for response in pages:
        url = response.request.url.path
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, url
        assert "script-src" not in csp and "'unsafe-eval'" not in csp, url  # no script may run at all
        if not url.endswith(".html") or "/reports/" not in url:
            assert "'unsafe-inline'" not in csp, url
        assert response.headers["x-frame-options"] == "DENY", url
        assert response.headers["x-content-type-options"] == "nosniff", url
        assert response.headers["cache-control"] == "no-store", url
        assert response.headers["referrer-policy"] == "no-referrer", url
    statuses = {response.request.url.path: response.status_code for response in pages}
    assert statuses["/no-such-page"] == 404 and statuses["/findings/0000000000000000"] == 404
    assert statuses["/logout"] == 403


def test_the_report_files_are_sandboxed_and_the_spreadsheets_saved(client):
    sign_in(client)
    report = client.get(f"/reports/{DEMO_WEEK}/privacy-officer.html")
    assert report.headers["content-type"].startswith("text/html")
    assert "sandbox" in report.headers["content-security-policy"]
    assert "script" not in report.headers["content-security-policy"]
    csv = client.get(f"/reports/{DEMO_WEEK}/findings.csv")
    assert csv.headers["content-disposition"] == f'attachment; filename="{DEMO_WEEK}-findings.csv"'
    assert csv.text.startswith("finding_id,")


def test_a_hostile_value_from_the_inputs_is_escaped_everywhere(client, site, ids):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    published = duckdb.connect(str(site.db.with_name("warehouse.published.duckdb")))
    published.execute("UPDATE students SET display_name = $name || chr(8238) WHERE student_id = $id",
                      {"name": hostile, "id": ids["student"]})  # fmt: skip
    published.close()
    sign_in(client)
    assert post_decision(client, ids["access"], status="under_review", note=hostile).status_code == 303
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    pages = [client.get(f"/findings/{ids['access']}"), client.get(f"/student?id={ids['student']}"),
             client.get(f"/inbox?q={ids['student']}"), client.get("/decisions"),
             client.get("/inbox", params={"q": hostile})]  # fmt: skip
    for page in pages:
        assert "<script" not in page.text and "<img" not in page.text, page.request.url
    assert escaped in pages[0].text and escaped + "&lt;U+202E&gt;" in pages[1].text  # the bidi override shown
    assert escaped in pages[3].text  # the note, in the decision log
    assert 'value="&lt;script&gt;' in pages[4].text  # the search, given back in its field


# --- the access register --------------------------------------------------------------------------


def test_every_page_with_personal_data_is_written_to_the_access_register(client, site, ids):
    sign_in(client)
    client.get(f"/findings/{ids['access']}")
    client.get(f"/student?id={ids['student']}")
    client.get(f"/account?id={ids['actor']}")
    client.get(f"/recipient?id={ids['recipient']}")
    client.get("/inbox?q=kaya")
    client.get(f"/reports/{DEMO_WEEK}/findings.csv")
    client.get(f"/reports/{DEMO_WEEK}/council-summary.html")  # no personal data: not written
    client.get("/council")  # nor this one
    rows = store_rows(site, "SELECT user_name, page, finding_id, account_id, student_id, recipient_id FROM app_access"
                            " ORDER BY access_id")  # fmt: skip
    assert rows == [
        ("anna", f"/findings/{ids['access']}", ids["access"], ids["actor"], ids["student"], None),
        ("anna", f"/student?id={ids['student']}", None, None, ids["student"], None),
        ("anna", f"/account?id={ids['actor']}", None, ids["actor"], None, None),
        ("anna", f"/recipient?id={ids['recipient']}", None, None, None, ids["recipient"]),
        ("anna", "/inbox?q=kaya", None, None, None, None),
        ("anna", f"/reports/{DEMO_WEEK}/findings.csv", None, None, None, None),
    ]
    register = client.get("/access")
    assert f"/findings/{ids['access']}" in register.text and "/access" in register.text  # its own view too
    assert "signed in" in client.get("/access/events").text
    with pytest.raises(sqlite3.DatabaseError, match="never"):  # kept like the decisions: never changed
        store_rows(site, "DELETE FROM app_access")


# --- report files ---------------------------------------------------------------------------------


def test_only_the_named_report_files_of_a_week_are_served(client, site, tmp_path):
    out = tmp_path / "reports"
    (out / DEMO_WEEK).mkdir(parents=True)
    (out / DEMO_WEEK / "privacy-officer.html").write_text("<p>report</p>")
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the web")
    (out / DEMO_WEEK / "findings.csv").symlink_to(secret)
    (out / "2026-W01").symlink_to(tmp_path)  # a week folder that is a link
    (tmp_path / "quarantine.csv").write_text("outside")
    app = create_app(AppConfig(db=site.db, out=out), hasher=FAST_HASHER)
    client = TestClient(app)
    sign_in(client)
    assert client.get(f"/reports/{DEMO_WEEK}/privacy-officer.html").text == "<p>report</p>"
    refused = [
        f"/reports/{DEMO_WEEK}/findings.csv",  # a link out of the folder
        "/reports/2026-W01/quarantine.csv",  # in a linked folder
        f"/reports/{DEMO_WEEK}/..%2F..%2Fsecret.txt", f"/reports/{DEMO_WEEK}/%2E%2E/secret.txt",
        "/reports/..%2F..%2F..%2Fetc/passwd", "/reports/../../etc/passwd", f"/reports/{DEMO_WEEK}/secret.txt",
        f"/reports/{DEMO_WEEK}/.%2Fprivacy-officer.html", "/reports/2026-W47x/privacy-officer.html",
        f"/reports/{DEMO_WEEK}/warehouse.duckdb",
    ]  # fmt: skip
    for path in refused:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "not for the web" not in response.text and "outside" not in response.text, path
    listing = client.get("/reports").text
    assert "findings.csv" not in listing and "2026-W01" not in listing


# --- the inbox and deciding -----------------------------------------------------------------------


def test_the_inbox_filters_and_searches(client, ids):
    sign_in(client)
    everything = client.get("/inbox").text
    assert "of 2026" in everything and ids["access"] in everything
    earlier = client.get("/inbox", params={"week": EARLIER_WEEK}).text
    assert f"?week={DEMO_WEEK}" not in earlier and f"?week={EARLIER_WEEK}" in earlier
    critical = client.get("/inbox", params={"severity": "critical"}).text
    assert "sev-critical" in critical and "sev-high" not in critical
    consent = client.get("/inbox", params={"family": "consent"}).text
    assert "SHARE-" in consent and "ACCESS-" not in consent
    found = client.get("/inbox", params={"q": ids["student"]}).text
    assert ids["access"] in found and ids["student"] in found
    assert "No findings match these filters." in client.get("/inbox", params={"q": "no such person anywhere"}).text
    assert "Findings: 0" in client.get("/inbox", params={"status": "confirmed"}).text


def test_deciding_goes_through_decide_and_changes_the_status(client, site, ids):
    sign_in(client)
    response = post_decision(client, ids["access"], status="justified", note="covering for the mentor",
                             grant_until="2027-07-31", grant_from="2026-09-01", grant_categories="care")  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == f"/findings/{ids['access']}?recorded=1"
    page = client.get(response.headers["location"]).text
    assert "Decision 1 recorded." in page and "covering for the mentor" in page
    assert store_rows(site, "SELECT finding_id, status, status_before, decided_by, grant_from, grant_until,"
                            " grant_categories FROM decisions") == [
        (ids["access"], "justified", "open", "anna", "2026-09-01", "2027-07-31", "care")
    ]  # fmt: skip
    justified = client.get("/inbox", params={"status": "justified"}).text
    assert ids["access"] in justified and "Findings: 1" in justified
    # open and under review come first: the decided finding is now below every open one
    inbox = client.get("/inbox").text
    assert inbox.index(ids["access"]) > inbox.rindex("status-open")


def test_a_refused_decision_is_shown_on_the_form_and_nothing_is_written(client, site, ids):
    sign_in(client)
    refused = post_decision(client, ids["disclosure"], status="justified", note="kept", grant_until="2027-01-31")
    assert refused.status_code == 400
    assert "The decision was not recorded:" in refused.text and "access finding" in refused.text
    assert ">kept</textarea>" in refused.text  # what was typed is kept
    backwards = post_decision(client, ids["access"], status="justified", grant_from="2026-12-01", grant_until="2026-11-01")
    assert backwards.status_code == 400 and "before it starts" in backwards.text
    no_status = post_decision(client, ids["access"], note="forgot the status")
    assert no_status.status_code == 400 and "choose a status" in no_status.text
    assert store_rows(site, "SELECT count(*) FROM decisions") == [(0,)]


def test_a_decision_until_a_day_no_longer_holds_for_a_week_that_ends_after_it(client, ids):
    sign_in(client)
    post_decision(client, ids["recurring"], status="justified", until="2026-11-15")  # the Sunday of week 46
    assert "status-justified" in client.get(f"/findings/{ids['recurring']}?week={EARLIER_WEEK}").text.split("<h2")[0]
    assert "status-open" in client.get(f"/findings/{ids['recurring']}?week={DEMO_WEEK}").text.split("<h2")[0]


def test_a_finding_no_longer_found_shows_its_decisions(client, site, ids):
    sign_in(client)
    post_decision(client, ids["access"], status="confirmed", incident="DL-2026-07")
    published = duckdb.connect(str(site.db.with_name("warehouse.published.duckdb")))
    published.execute("DELETE FROM findings WHERE finding_id = $id", {"id": ids["access"]})  # as a re-check would
    published.close()
    page = client.get(f"/findings/{ids['access']}").text
    assert "No longer found" in page and "DL-2026-07" in page and 'action="/findings/' not in page
    assert "no longer found" in client.get("/decisions").text


def test_the_app_speaks_dutch(site, clock):
    add_user(site.db, "anna", "privacy_officer", PASSWORD, FAST_HASHER)
    client = TestClient(create_app(AppConfig(db=site.db, out=site.out, lang="nl"), clock=clock, hasher=FAST_HASHER))
    login = client.get("/login").text
    assert 'lang="nl"' in login and "Aanmelden" in login
    sign_in(client)
    inbox = client.get("/inbox").text
    assert "Aangemeld als anna" in inbox and "week 47 van 2026" in inbox and "Bevindingen:" in inbox


def test_the_app_keeps_serving_while_a_run_holds_the_warehouse(audited, site, client, ids):
    """A run holds the warehouse while it writes (DuckDB: one writing process); the app never opens it."""
    import shutil

    shutil.copy(audited["work"] / "warehouse.duckdb", site.db)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(site.db)!r})
            con.execute("BEGIN TRANSACTION; DELETE FROM findings")
            print("holding", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        sign_in(client)
        assert ids["access"] in client.get("/inbox").text
        assert post_decision(client, ids["access"], status="under_review").status_code == 303
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_the_app_creates_no_warehouse(client, site, ids):
    sign_in(client)
    for page in PRIVACY_OFFICER_PAGES:
        client.get(page.format(**ids))
    post_decision(client, ids["access"], status="under_review")
    assert not site.db.exists()
    assert sorted(p.name for p in site.db.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "warehouse.decisions.sqlite", "warehouse.published.duckdb", "warehouse.review-secret",
    ]  # fmt: skip
