"""Each kind of malformed landing file real exports produce gives a clear quarantine or rejection entry,
never an exception; and a rejected file can be fixed and delivered again."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from ingest_helpers import counts_add_up, ingest, rows, warehouse, write_bytes, write_jsonl, write_text

SCHOOLS = "school_id,name,sector\n"
ENTRIES = 'SELECT file, line, "column", reason_code FROM quarantine ORDER BY file, line, "column"'


@pytest.fixture
def con(tmp_path):
    connection = warehouse(tmp_path)
    yield connection
    connection.close()


def status(con) -> list[tuple]:
    return rows(
        con, "SELECT path, status, rows_read, rows_loaded, rows_quarantined FROM landing_files ORDER BY seq"
    )


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("schools/s.csv", bytes(range(256)) * 4, "not a text file (binary data)"),
        ("schools/s.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file (binary data)"),
        (
            "schools/s.csv",
            (SCHOOLS + "b1,Caf\u00e9,PO\n").encode("utf-16"),
            "not UTF-8 text: the file is UTF-16",
        ),
        (
            "schools/s.jsonl",
            '{"school_id": "b1"}\n'.encode("utf-16-be"),
            "not UTF-8 text: the file looks like UTF-16",
        ),
    ],
)
def test_binary_and_utf16_files_are_rejected_as_a_whole(con, tmp_path, name, data, reason):
    write_bytes(tmp_path / "landing" / name, data)

    result = ingest(con, tmp_path / "landing")

    assert result.files_rejected == 1 and result.rows_loaded == 0
    [(reason_found, code)] = rows(con, "SELECT reason, reason_code FROM quarantine")
    assert reason_found.startswith(reason) and code == "not_text"


def test_a_latin1_file_loads_its_ascii_rows_and_quarantines_the_others(con, tmp_path):
    data = (SCHOOLS + "b1,De Linde,PO\nb2,Caf\u00e9 Noir,VO\nb3,\u00c9cole,SO\n").encode("latin-1")
    write_bytes(tmp_path / "landing/schools/s.csv", data)

    result = ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT school_id FROM schools") == [("b1",)]
    assert rows(con, ENTRIES) == [
        ("schools/s.csv", 3, None, "not_utf8"),
        ("schools/s.csv", 4, None, "not_utf8"),
    ]
    assert counts_add_up(result)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_bad_bytes_in_a_column_the_contract_does_not_know_still_quarantine_the_record(con, tmp_path, newline):
    # Such a column is never loaded, but the record is still not valid UTF-8; the later lines keep
    # their numbers next to a record with too many columns.
    lines = ["school_id,name,sector,note", "b1,De Linde,PO,ok", "b2,Noir,VO,caf\xe9", "b3,X,SO,a,b", "b4,Y,PO,ok"]
    write_bytes(tmp_path / "landing/schools/s.csv", newline.join(lines).encode("latin-1"))

    result = ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT school_id, _line FROM schools ORDER BY 1") == [("b1", 2), ("b4", 5)]
    assert rows(con, ENTRIES) == [
        ("schools/s.csv", 3, None, "not_utf8"),
        ("schools/s.csv", 4, None, "wrong_column_count"),
    ]
    assert counts_add_up(result)


def test_a_latin1_jsonl_line_is_quarantined_on_its_line(con, tmp_path):
    data = (
        b'{"school_id": "b1", "name": "A", "sector": "PO"}\n'
        + '{"school_id": "b2", "name": "\u00c9", "sector": "PO"}\n'.encode("latin-1")
        + b'{"school_id": "b3", "name": "C", "sector": "VO"}\n'
    )
    write_bytes(tmp_path / "landing/schools/s.jsonl", data)

    result = ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT school_id, _line FROM schools ORDER BY 1") == [("b1", 1), ("b3", 3)]
    assert rows(con, ENTRIES) == [("schools/s.jsonl", 2, None, "not_utf8")]
    assert counts_add_up(result)


@pytest.mark.parametrize(
    "name, text, code",
    [
        ("schools/s.csv", SCHOOLS + "b1,A,PO\nb2,Bee", "wrong_column_count"),  # cut in the middle of a record
        ("schools/s.csv", SCHOOLS + 'b1,A,PO\nb2,"Bee', "unclosed_quote"),  # cut inside a quoted value
        (
            "schools/s.jsonl",
            '{"school_id": "b1", "name": "A", "sector": "PO"}\n{"school_id": "b2", "na',
            "not_json",
        ),
    ],
)
def test_a_truncated_last_line_is_quarantined_and_the_rest_loads(con, tmp_path, name, text, code):
    write_text(tmp_path / "landing" / name, text)

    result = ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT school_id FROM schools") == [("b1",)]
    assert rows(con, ENTRIES) == [(name, 3 if name.endswith(".csv") else 2, None, code)]
    assert counts_add_up(result)


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_a_10_mb_line_is_quarantined_as_too_long_and_later_lines_keep_their_number(con, tmp_path, suffix):
    huge = "x" * 10_000_000
    if suffix == "csv":
        text = SCHOOLS + "b1,A,PO\n" + f"b2,{huge},PO\n" + "b3,C,VO\n"
    else:
        text = (
            '{"school_id": "b1", "name": "A", "sector": "PO"}\n'
            + f'{{"school_id": "b2", "name": "{huge}", "sector": "PO"}}\n'
            + '{"school_id": "b3", "name": "C", "sector": "VO"}\n'
        )
    write_text(tmp_path / "landing" / f"schools/s.{suffix}", text)

    result = ingest(con, tmp_path / "landing")

    first = 2 if suffix == "csv" else 1
    assert rows(con, "SELECT school_id, _line FROM schools ORDER BY 1") == [("b1", first), ("b3", first + 2)]
    [(line, reason, code, length)] = rows(
        con, "SELECT line, reason, reason_code, length(value) FROM quarantine"
    )
    assert (line, code) == (first + 1, "line_too_long") and reason.startswith("line too long")
    assert length <= 1001  # the value is cut, not stored whole
    assert counts_add_up(result)


def test_a_header_in_other_casing_and_order_loads(con, tmp_path):
    write_text(
        tmp_path / "landing/schools/s.csv", " SECTOR ,Name,School_ID\nPO,De Linde,b1\nvo,Het Baken,b2\n"
    )

    ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT school_id, name, sector FROM schools ORDER BY 1") == [
        ("b1", "De Linde", "PO"),
        ("b2", "Het Baken", "VO"),
    ]
    assert rows(con, "SELECT count(*) FROM quarantine") == [(0,)]


def test_duplicate_ids_within_and_across_files_last_delivery_wins(con, tmp_path):
    write_text(
        tmp_path / "landing/schools/a.csv", SCHOOLS + "b1,First,PO\nb1,Second,PO\nb2,Other,VO\n", mtime=1_000
    )
    write_text(tmp_path / "landing/schools/b.csv", SCHOOLS + "b1,Third,SO\n", mtime=2_000)

    result = ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT school_id, name FROM schools ORDER BY 1") == [("b1", "Third"), ("b2", "Other")]
    assert rows(
        con, "SELECT row_key, old_line, new_line FROM replacements ORDER BY replaced_at, old_line"
    ) == [
        ("b1", 2, 3),  # within a.csv
        ("b1", 3, 2),  # a.csv line 3 replaced by b.csv line 2
    ]
    assert result.rows_replaced == 2 and counts_add_up(result)


def test_timestamps_with_and_without_offsets_across_the_daylight_saving_changes(con, tmp_path):
    header = "event_id,occurred_at,actor_id,actor_type,student_id,action,source_system\n"
    stamps = [
        "2026-03-29T01:59:00",  # e1 winter time, local
        "2026-03-29T02:30:00",  # e2 does not exist: the clocks jump from 02:00 to 03:00
        "2026-03-29T02:30:00+01:00",  # e3 the same wall time with its offset: a real instant
        "2026-03-29T03:00:00",  # e4 summer time, local
        "2026-10-25T02:30:00+02:00",  # e5 the first 02:30 of the autumn night
        "2026-10-25T02:30:00+01:00",  # e6 the second one
        "2026-10-25T02:30:00",  # e7 without offset: read as the second
        "2026-10-25T00:30:00Z",  # e8
    ]
    lines = "".join(f"e{i},{s},t1,staff,s1,view,magister\n" for i, s in enumerate(stamps, start=1))
    write_text(tmp_path / "landing/access_log/a.csv", header + lines)

    ingest(con, tmp_path / "landing")

    loaded = dict(rows(con, "SELECT event_id, occurred_at FROM access_log"))
    assert {k: v.astimezone(UTC) for k, v in loaded.items()} == {
        "e1": datetime(2026, 3, 29, 0, 59, tzinfo=UTC),
        "e3": datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        "e4": datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        "e5": datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        "e6": datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        "e7": datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        "e8": datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    }
    [(line, value, reason, code)] = rows(con, "SELECT line, value, reason, reason_code FROM quarantine")
    assert (line, value, code) == (3, "2026-03-29T02:30:00", "invalid_timestamp")
    assert "does not exist" in reason


@pytest.mark.parametrize(
    "value, code",
    [("31-12-2026", "date_format"), ("2026-02-30", "invalid_date"), ("2026-13-01", "invalid_date"),
     ("2026-2-3", "date_format"), ("2024-02-29", None)],
)  # fmt: skip
def test_dates_in_other_forms_or_that_do_not_exist_are_quarantined(con, tmp_path, value, code):
    write_text(tmp_path / "landing/students/s.csv", f"student_id,school_id,birth_date\ns1,b1,{value}\n")

    ingest(con, tmp_path / "landing")

    if code is None:
        assert rows(con, "SELECT birth_date::VARCHAR FROM students") == [(value,)]
    else:
        assert rows(con, 'SELECT line, "column", value, reason_code FROM quarantine') == [
            (2, "birth_date", value, code)
        ]


@pytest.mark.parametrize(
    "name",
    ["with space.csv", "caf\u00e9 \u2013 \u6570\u636e.csv", "..csv", "a..b.csv", "x[1].csv", "it's *.csv"],
)
def test_file_names_with_spaces_unicode_dots_or_glob_characters_load_as_themselves(con, tmp_path, name):
    write_text(tmp_path / "landing/schools" / name, SCHOOLS + "b1,A,PO\n")
    # a sibling that a glob pattern like x[1].csv would match instead
    write_text(tmp_path / "landing/schools/x1.csv", SCHOOLS + "b9,Other,VO\nb8,More,VO\n")

    result = ingest(con, tmp_path / "landing")

    assert result.files_loaded == 2
    assert rows(con, "SELECT f.path, count(*) FROM schools s JOIN landing_files f ON f.file_hash = s._file_hash "
                     "GROUP BY 1 ORDER BY 1") == sorted([(f"schools/{name}", 1), ("schools/x1.csv", 2)])  # fmt: skip


def test_a_file_name_that_is_not_utf8_is_rejected_with_a_readable_name(con, tmp_path):
    folder = tmp_path / "landing" / "schools"
    folder.mkdir(parents=True)
    with open(bytes(folder) + b"/caf\xe9.csv", "wb") as handle:
        handle.write((SCHOOLS + "b1,A,PO\n").encode())

    result = ingest(con, tmp_path / "landing")

    assert result.files_rejected == 1
    assert rows(con, "SELECT file, reason_code FROM quarantine") == [
        ("schools/caf\ufffd.csv", "unreadable_file")
    ]


def test_a_rejected_file_fixed_and_dropped_again_loads(con, tmp_path):
    path = tmp_path / "landing/students/s.csv"
    write_text(path, "student_id,school_id\ns1,b1\n", mtime=1_000)
    first = ingest(con, tmp_path / "landing")
    again = ingest(con, tmp_path / "landing")  # same name, same bytes: nothing new
    write_text(path, "student_id,school_id,birth_date\ns1,b1,2012-05-01\n", mtime=2_000)
    fixed = ingest(con, tmp_path / "landing")

    assert (first.files_rejected, again.files_skipped, again.files_rejected, fixed.files_loaded) == (
        1,
        1,
        0,
        1,
    )
    assert status(con) == [("students/s.csv", "rejected", 0, 0, 0), ("students/s.csv", "loaded", 1, 1, 0)]
    assert rows(con, "SELECT student_id FROM students") == [("s1",)]


def test_jsonl_records_with_keys_in_other_casing_and_extra_keys_load(con, tmp_path):
    write_jsonl(
        tmp_path / "landing/schools/s.jsonl", [{"SECTOR": "po", "Name": "A", "school_id": "b1", "x": 1}]
    )

    ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT school_id, name, sector FROM schools") == [("b1", "A", "PO")]


def test_a_file_that_cannot_be_opened_is_rejected_with_the_cause(con, tmp_path, monkeypatch):
    write_text(tmp_path / "landing/schools/locked.csv", SCHOOLS + "b1,A,PO\n")
    write_text(tmp_path / "landing/schools/open.csv", SCHOOLS + "b2,B,VO\n")
    real_open = Path.open

    def open_denied(self, *args, **kwargs):  # as root, chmod cannot take read access away
        if self.name == "locked.csv":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_denied)

    result = ingest(con, tmp_path / "landing")

    assert (result.files_rejected, result.files_loaded) == (1, 1)
    assert rows(con, "SELECT file, reason, reason_code FROM quarantine") == [
        ("schools/locked.csv", "file could not be read: Permission denied", "unreadable_file")
    ]
