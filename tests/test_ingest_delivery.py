"""Deliveries: re-delivering changes nothing, a later delivery wins on a known key (and that is
recorded), files are taken in delivery order, and an unusable landing folder is one clear error."""

import pytest
from ingest_helpers import counts_add_up, ingest, quarantine, rows, warehouse, write_text

import pipelines.ingest.load as load_module
from pipelines.contract import FEEDS
from pipelines.ingest import LandingError, ingest_landing, pending_files
from pipelines.ingest.files import sha256_of
from pipelines.settings import Settings

STUDENTS = "student_id,school_id,birth_date,display_name\n"
INVOLVEMENTS = "staff_id,student_id,relation,valid_from,valid_to,case_id,reason\n"


@pytest.fixture
def con(tmp_path):
    connection = warehouse(tmp_path)
    yield connection
    connection.close()


def snapshot(con):
    tables = list(FEEDS) + ["quarantine", "replacements"]
    state = {t: sorted(rows(con, f"SELECT * FROM {t}"), key=repr) for t in tables}
    state["landing_files"] = rows(con, "SELECT * EXCLUDE (ingested_at) FROM landing_files ORDER BY seq")
    return state


def test_ingesting_the_same_folder_twice_changes_nothing(con, tmp_path):
    landing = tmp_path / "landing"
    write_text(
        landing / "students/s.csv",
        STUDENTS + "s1,b1,2012-04-01,Ann\ns2,b1,2012-02-30,Bob\ns1,b1,2012-04-02,Ann\n",
    )
    write_text(landing / "schools/s.csv", "school_id,name\nb1,A\n")  # rejected: no sector column
    write_text(landing / "schools/readme.md", "# notes\n")
    first = ingest(con, landing)
    before = snapshot(con)

    second = ingest(con, landing)

    assert snapshot(con) == before
    assert (first.files_loaded, first.files_rejected, first.rows_replaced) == (1, 2, 1)
    assert (second.files_loaded, second.files_rejected, second.files_skipped) == (0, 0, 3)
    assert (second.rows_read, second.rows_loaded, second.rows_quarantined, second.rows_replaced) == (
        0,
        0,
        0,
        0,
    )
    assert second.by_feed["schools"]["files_skipped"] == 2
    assert rows(con, "SELECT count(*) FROM duckdb_tables() WHERE temporary") == [(0,)]  # staging cleaned up


def test_the_same_content_under_another_name_is_skipped(con, tmp_path):
    landing = tmp_path / "landing"
    write_text(landing / "students/monday.csv", STUDENTS + "s1,b1,2012-04-01,Ann\n", mtime=1_000)
    write_text(landing / "students/copy.csv", STUDENTS + "s1,b1,2012-04-01,Ann\n", mtime=2_000)
    ingest(con, landing)
    write_text(landing / "students/again.csv", STUDENTS + "s1,b1,2012-04-01,Ann\n", mtime=3_000)

    later = ingest(con, landing)

    assert later.files_skipped == 3
    assert rows(con, "SELECT path FROM landing_files") == [("students/monday.csv",)]
    assert rows(con, "SELECT count(*) FROM replacements") == [(0,)]


def test_a_later_delivery_replaces_a_known_id_and_the_replacement_is_recorded(con, tmp_path):
    landing = tmp_path / "landing"
    # Delivery order is modification time, not name: b_first.csv came first.
    first = write_text(
        landing / "students/b_first.csv",
        STUDENTS + "s1,b1,2012-04-01,Ann\ns2,b1,2012-05-01,Bob\n",
        mtime=1_000,
    )
    later = write_text(
        landing / "students/a_later.csv",
        STUDENTS + "s9,b1,2013-01-01,Eve\ns1,b2,2012-04-01,Ann B\n",
        mtime=2_000,
    )

    result = ingest(con, landing)

    assert rows(con, "SELECT student_id, school_id, display_name, _line FROM students ORDER BY 1") == [
        ("s1", "b2", "Ann B", 3),
        ("s2", "b1", "Bob", 3),
        ("s9", "b1", "Eve", 2),
    ]
    assert rows(
        con, "SELECT feed, row_key, old_file_hash, old_line, new_file_hash, new_line FROM replacements"
    ) == [("students", "s1", sha256_of(first), 2, sha256_of(later), 3)]
    assert rows(con, "SELECT path, seq FROM landing_files ORDER BY seq") == [
        ("students/b_first.csv", 1),
        ("students/a_later.csv", 2),
    ]
    assert result.rows_replaced == 1
    assert counts_add_up(result)


def test_delivery_order_continues_across_runs(con, tmp_path):
    landing = tmp_path / "landing"
    write_text(landing / "students/1.csv", STUDENTS + "s1,b1,2012-04-01,Ann\n", mtime=5_000)
    ingest(con, landing)
    # An older modification time does not make a new delivery lose: it comes after what is loaded.
    write_text(landing / "students/2.csv", STUDENTS + "s1,b1,2012-04-01,Ann Smit\n", mtime=1_000)

    ingest(con, landing)

    assert rows(con, "SELECT display_name FROM students") == [("Ann Smit",)]
    assert rows(con, "SELECT path, seq FROM landing_files ORDER BY seq") == [
        ("students/1.csv", 1),
        ("students/2.csv", 2),
    ]


def test_within_a_file_the_last_line_wins(con, tmp_path):
    landing = tmp_path / "landing"
    path = write_text(landing / "students/s.csv", STUDENTS + "s1,b1,2012-04-01,Ann\ns1,b1,2012-04-01,Anne\n")

    result = ingest(con, landing)

    assert rows(con, "SELECT display_name, _line FROM students") == [("Anne", 3)]
    file_hash = sha256_of(path)
    assert rows(
        con, "SELECT row_key, old_file_hash, old_line, new_file_hash, new_line FROM replacements"
    ) == [("s1", file_hash, 2, file_hash, 3)]
    assert (result.rows_loaded, result.rows_replaced) == (2, 1)


def test_empty_key_parts_compare_as_equal(con, tmp_path):
    landing = tmp_path / "landing"
    write_text(
        landing / "involvements/1.csv",
        INVOLVEMENTS + "t1,s1,mentor,2026-01-05,,,\nt1,s1,assessment,2026-01-05,,c7,\n",
        mtime=1_000,
    )
    write_text(
        landing / "involvements/2.csv", INVOLVEMENTS + "t1,s1,Mentor,2026-01-05,2026-07-31,,\n", mtime=2_000
    )

    ingest(con, landing)

    assert rows(con, "SELECT relation, case_id, valid_to::VARCHAR FROM involvements ORDER BY 1") == [
        ("assessment", "c7", None),
        ("mentor", None, "2026-07-31"),
    ]
    assert rows(con, "SELECT row_key FROM replacements") == [("t1|s1|mentor|2026-01-05|",)]


def test_a_different_key_is_a_new_row(con, tmp_path):
    landing = tmp_path / "landing"
    write_text(landing / "involvements/1.csv", INVOLVEMENTS + "t1,s1,mentor,2026-01-05,,,\n", mtime=1_000)
    write_text(landing / "involvements/2.csv", INVOLVEMENTS + "t1,s1,mentor,2026-02-01,,,\n", mtime=2_000)

    result = ingest(con, landing)

    assert rows(con, "SELECT count(*) FROM involvements") == [(2,)]
    assert result.rows_replaced == 0


def test_a_file_is_all_or_nothing(con, tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    write_text(landing / "students/s.csv", STUDENTS + "s1,b1,2012-04-01,Ann\ns2,b1,not-a-date,Bob\n")

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(load_module, "_landing_row", crash)
    with pytest.raises(RuntimeError):
        ingest(con, landing)
    monkeypatch.undo()

    assert rows(con, "SELECT count(*) FROM students") == [(0,)]
    assert quarantine(con) == []
    assert pending_files(con, landing) == [("students/s.csv", sha256_of(landing / "students/s.csv"))]
    ingest(con, landing)  # the next run takes the whole file
    assert rows(con, "SELECT student_id FROM students") == [("s1",)]


def test_missing_landing_folder_is_one_clear_error(tmp_path, con):
    with pytest.raises(LandingError, match="landing folder not found: .*nowhere"):
        ingest(con, tmp_path / "nowhere")
    write_text(tmp_path / "a_file", "x")
    with pytest.raises(LandingError, match="not a directory"):
        ingest(con, tmp_path / "a_file")
    with pytest.raises(LandingError):
        pending_files(con, tmp_path / "nowhere")


def test_missing_feed_folders_are_fine(con, tmp_path):
    (tmp_path / "empty").mkdir()
    assert ingest(con, tmp_path / "empty").files_loaded == 0

    write_text(tmp_path / "landing/schools/s.csv", "school_id,name,sector\nb1,A,PO\n")
    result = ingest(con, tmp_path / "landing")

    assert (result.files_loaded, result.rows_loaded) == (1, 1)
    assert result.by_feed["access_log"] == dict.fromkeys(result.by_feed["access_log"], 0)


def test_pending_files_lists_new_content_in_delivery_order(con, tmp_path):
    landing = tmp_path / "landing"
    write_text(landing / "students/b.csv", STUDENTS, mtime=1_000)
    write_text(landing / "schools/a.csv", "school_id,name,sector\n", mtime=2_000)
    write_text(landing / "schools/dup.csv", "school_id,name,sector\n", mtime=3_000)

    pending = pending_files(con, landing)

    assert pending == [
        ("students/b.csv", sha256_of(landing / "students/b.csv")),
        ("schools/a.csv", sha256_of(landing / "schools/a.csv")),
    ]
    ingest(con, landing)
    assert pending_files(con, landing) == []


def test_progress_is_reported_per_new_file(con, tmp_path):
    landing = tmp_path / "landing"
    write_text(landing / "schools/a.csv", "school_id,name,sector\nb1,A,PO\nb2,B,XX\n", mtime=1_000)
    write_text(landing / "schools/b.txt", "?", mtime=2_000)
    seen = []

    ingest_landing(con, landing, Settings(), progress=seen.append)

    assert seen == [
        "[1/2] schools/a.csv: loaded, 1 rows loaded, 1 quarantined",
        "[2/2] schools/b.txt: rejected",
    ]
