"""The student page's access requests in the review app (spec/statement.md, "In the app"): registering a
request, making the statement from the published copy (no warehouse beside it), the CSRF token on both
forms, the access register, the statement files served by name only."""

from __future__ import annotations

import sqlite3
import stat

import duckdb
import pytest
from review_fixtures import FAST_HASHER, PASSWORD, Clock, csrf_token
from starlette.testclient import TestClient

from decisions.requests import due_date, local_today
from decisions.store import store_path
from review.app import AppConfig, create_app
from review.users import add_user

pytest_plugins = ("review_fixtures",)


@pytest.fixture
def out(tmp_path):
    return tmp_path / "reports"


@pytest.fixture
def client(site, out):
    add_user(site.db, "anna", "privacy_officer", PASSWORD, FAST_HASHER)
    add_user(site.db, "rik", "council", PASSWORD, FAST_HASHER)
    assert not site.db.exists()  # the app has only the published copy and the store
    return TestClient(create_app(AppConfig(db=site.db, out=out), clock=Clock(), hasher=FAST_HASHER))


@pytest.fixture
def student(site) -> str:
    con = duckdb.connect(str(site.db.with_name("warehouse.published.duckdb")), read_only=True)
    try:
        return con.execute(
            "SELECT student_id FROM statement_access GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()[0]
    finally:
        con.close()


def sign_in(client, name="anna"):
    token = csrf_token(client.get("/login").text)
    response = client.post("/login", data={"name": name, "password": PASSWORD, "csrftoken": token}, follow_redirects=False)
    assert response.status_code == 303


def rows(site, sql, params=()):
    con = sqlite3.connect(store_path(site.db))
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def post(client, student, path, **fields):
    token = csrf_token(client.get(f"/student?id={student}").text)
    return client.post(path, data={"csrftoken": token, "id": student, **fields}, follow_redirects=False)


def test_registering_a_request_shows_it_open_with_its_due_date(client, site, student):
    sign_in(client)
    page = client.get(f"/student?id={student}")
    assert page.status_code == 200 and 'action="/student/requests"' in page.text and 'action="/student/statement"' in page.text
    received = local_today("Europe/Amsterdam")
    response = post(client, student, "/student/requests", requester="guardian", received=received.isoformat())
    assert response.status_code == 303
    [(request_id, requester, due)] = rows(site, "SELECT request_id, requester, due FROM access_requests WHERE student_id = ?", [student])
    assert requester == "guardian" and due == due_date(received).isoformat()
    page = client.get(response.headers["location"])
    assert f"Request {request_id} is registered." in page.text and due in page.text and ">open<" in page.text
    assert rows(site, "SELECT count(*) FROM app_access WHERE student_id = ? AND page LIKE '/student?%'", [student])[0][0] >= 2


def test_making_the_statement_answers_the_open_request(client, site, student, out):
    sign_in(client)
    post(client, student, "/student/requests", requester="student", received=local_today("Europe/Amsterdam").isoformat())
    [(request_id,)] = rows(site, "SELECT request_id FROM access_requests WHERE student_id = ?", [student])
    response = post(client, student, "/student/statement", request=str(request_id), lang="nl")
    assert response.status_code == 303, response.text
    name = f"{student}-{local_today('Europe/Amsterdam').isoformat()}"
    for suffix in (".html", ".pdf"):
        path = out / "statements" / f"{name}{suffix}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    html = (out / "statements" / f"{name}.html").read_text(encoding="utf-8")
    assert "Wie het dossier heeft bekeken" in html and "Concept." not in html
    assert rows(site, "SELECT event, statement FROM access_request_events WHERE request_id = ?", [request_id]) == [
        ("issued", f"{name}.pdf")]
    page = client.get(response.headers["location"])
    assert "The statement is made:" in page.text and "answered" in page.text
    pdf = client.get(f"/statements/{name}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    shown = client.get(f"/statements/{name}.html")
    assert "sandbox" in shown.headers["content-security-policy"]
    logged = rows(site, "SELECT page FROM app_access WHERE student_id = ? ORDER BY access_id", [student])
    assert ("/student/statement",) in logged and (f"/statements/{name}.pdf",) in logged


def test_a_draft_registers_nothing(client, site, student, out):
    sign_in(client)
    response = post(client, student, "/student/statement", request="", lang="en")
    assert response.status_code == 303
    assert rows(site, "SELECT count(*) FROM access_requests")[0][0] == 0
    html = next((out / "statements").glob("*.html")).read_text(encoding="utf-8")
    assert "Draft." in html


def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(client, site, student, out):
    sign_in(client)
    for path, fields in (("/student/requests", {"requester": "student", "received": "2026-11-01"}),
                         ("/student/statement", {"request": ""})):  # fmt: skip
        response = client.post(path, data={"id": student, **fields}, follow_redirects=False)
        assert response.status_code == 403
    assert rows(site, "SELECT count(*) FROM access_requests")[0][0] == 0
    assert not (out / "statements").exists()


@pytest.mark.parametrize(("path", "fields", "message"), [
    ("/student/requests", {"requester": "student", "received": "1-11-2026"}, "is not a date"),
    ("/student/requests", {"requester": "neighbour", "received": "2026-11-01"}, "requester must be one of"),
    ("/student/requests", {"requester": "student", "received": "2999-01-01"}, "after today"),
    ("/student/statement", {"from": "2026-11-20", "to": "2026-11-01"}, "before it starts"),
    ("/student/statement", {"request": "999"}, "no open access request"),
])  # fmt: skip
def test_a_mistake_in_a_form_is_said_on_the_page(client, site, student, out, path, fields, message):
    sign_in(client)
    response = post(client, student, path, **fields)
    assert response.status_code == 400 and message in response.text
    assert rows(site, "SELECT count(*) FROM access_requests")[0][0] == 0
    assert not (out / "statements").exists()


def test_statement_files_are_served_by_name_only_and_not_to_the_council(client, student, out):
    sign_in(client)
    post(client, student, "/student/statement", request="")
    for name in ("..%2Fwarehouse.published.duckdb", "x.txt", f"{student}.pdf", "nobody-2026-01-01.pdf"):
        assert client.get(f"/statements/{name}").status_code == 404
    client.cookies.clear()
    sign_in(client, "rik")
    name = next((out / "statements").glob("*.pdf")).name
    assert client.get(f"/statements/{name}").status_code == 403
    assert client.get(f"/student?id={student}").status_code == 403


def test_a_published_copy_from_before_statements_says_what_to_do(client, site, student, out):
    con = duckdb.connect(str(site.db.with_name("warehouse.published.duckdb")))
    con.execute("DROP TABLE statement_access")
    con.close()
    sign_in(client)
    response = post(client, student, "/student/statement", request="")
    assert response.status_code == 400 and "after the next check" in response.text
    assert not (out / "statements").exists()
