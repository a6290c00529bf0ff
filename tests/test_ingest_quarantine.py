"""Rows that break the contract are quarantined with file, line, column, value and reason; good rows of
the same file load; files that cannot be used at all are rejected without an exception."""

import pytest
from ingest_helpers import (
    counts_add_up,
    ingest,
    quarantine,
    rows,
    warehouse,
    write_bytes,
    write_jsonl,
    write_parquet,
    write_text,
)

RELATION_CODES = "unknown code; expected one of: parent, guardian, foster_parent, other"
BOOLEAN = "not a boolean; expected true/false, 1/0, yes/no or ja/nee"
GUARDIANS = "guardians/g.csv"


@pytest.fixture
def con(tmp_path):
    connection = warehouse(tmp_path)
    yield connection
    connection.close()


def test_contract_breaking_rows_are_quarantined_once_per_cell_and_good_rows_load(con, tmp_path):
    write_text(
        tmp_path / "landing" / GUARDIANS,
        (
            "guardian_id,student_id,relation,parental_authority,valid_from,valid_to\n"
            "g1,s1,parent,ja,2025-01-01,\n"  # 2 good
            "g2,,parent,true,,\n"  # 3 required value missing
            "g3,s1,parent,true,01-01-2025,\n"  # 4 not a date
            "g4,s1,parent,true,2026-02-30,\n"  # 5 not a valid date
            "g5,s1,uncle,true,,\n"  # 6 unknown code
            "g6,s1,parent,maybe,,\n"  # 7 bad boolean
            "g7,s1,parent\n"  # 8 too few columns
            "g8,s1,uncle,maybe,,\n"  # 9 two bad cells: one row, two entries
            "g9,s1,Foster_Parent,NEE,2024-02-29,2025-12-31\n"  # 10 good (a leap day is a date)
            "g10,s1,parent,true,,,extra\n"  # 11 too many columns
        ),
    )

    result = ingest(con, tmp_path / "landing")

    assert rows(
        con, "SELECT guardian_id, relation, parental_authority, valid_from::VARCHAR FROM guardians ORDER BY 1"
    ) == [("g1", "parent", True, "2025-01-01"), ("g9", "foster_parent", False, "2024-02-29")]
    assert quarantine(con) == [
        ("guardians", GUARDIANS, 3, "student_id", None, "required value missing"),
        ("guardians", GUARDIANS, 4, "valid_from", "01-01-2025", "not a date; expected YYYY-MM-DD"),
        ("guardians", GUARDIANS, 5, "valid_from", "2026-02-30", "not a valid date"),
        ("guardians", GUARDIANS, 6, "relation", "uncle", RELATION_CODES),
        ("guardians", GUARDIANS, 7, "parental_authority", "maybe", BOOLEAN),
        ("guardians", GUARDIANS, 8, None, "g7,s1,parent", "wrong number of columns: expected 6, found 3"),
        ("guardians", GUARDIANS, 9, "parental_authority", "maybe", BOOLEAN),
        ("guardians", GUARDIANS, 9, "relation", "uncle", RELATION_CODES),
        (
            "guardians",
            GUARDIANS,
            11,
            None,
            "g10,s1,parent,true,,,extra",
            "wrong number of columns: expected 6, found 7",
        ),
    ]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (10, 2, 8)
    assert counts_add_up(result)
    assert result.by_feed["guardians"]["rows_quarantined"] == 8
    assert rows(con, "SELECT status, rows_read, rows_loaded, rows_quarantined FROM landing_files") == [
        ("loaded", 10, 2, 8)
    ]


def test_line_numbers_count_rejected_lines_and_multi_line_values(con, tmp_path):
    write_text(
        tmp_path / "landing/schools/s.csv",
        (
            "school_id,name,sector\n"
            'b1,"De\nLinde",PO\n'  # lines 2-3
            "b2,short\n"  # line 4: rejected by the reader
            'b3,"A, B",XX\n'  # line 5: bad code
            "b4,Ok,vo\n"  # line 6
        ),
    )

    ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT school_id, _line FROM schools ORDER BY 1") == [("b1", 2), ("b4", 6)]
    assert [(q[2], q[3]) for q in quarantine(con)] == [(4, None), (5, "sector")]


def test_grant_without_reason_is_quarantined(con, tmp_path):
    write_text(
        tmp_path / "landing/involvements/i.csv",
        (
            "staff_id,student_id,relation,valid_from,reason\n"
            "t1,s1,grant,2026-01-05,\n"
            "t1,s2,GRANT,2026-01-05,  \n"
            "t1,s3,grant,2026-01-05,care meeting\n"
            "t1,s4,mentor,2026-01-05,\n"
        ),
    )

    result = ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT student_id, relation FROM involvements ORDER BY 1") == [
        ("s3", "grant"),
        ("s4", "mentor"),
    ]
    reason = "reason is required when relation is grant"
    assert quarantine(con) == [
        ("involvements", "involvements/i.csv", 2, "reason", None, reason),
        ("involvements", "involvements/i.csv", 3, "reason", None, reason),
    ]
    assert counts_add_up(result)


def test_list_items_must_be_known_and_a_required_list_not_empty(con, tmp_path):
    header = (
        "disclosure_id,occurred_at,student_id,recipient_id,purpose,data_categories,legal_basis,identifiers\n"
    )
    write_text(
        tmp_path / "landing/disclosures/d.csv",
        header + "d1,2026-03-02T10:00:00,s1,r1,swv,Care;progress,ADMISSIBILITY,name;BSN\n"
        "d2,2026-03-02T10:00:00,s1,r1,swv,care;secrets,admissibility,\n"
        "d3,2026-03-02T10:00:00,s1,r1,swv,care,admissibility,name;shoe_size\n"
        "d4,2026-03-02T10:00:00,s1,r1,swv, ; ,admissibility,\n",
    )

    ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT disclosure_id, data_categories, legal_basis, identifiers FROM disclosures") == [
        ("d1", ["care", "progress"], "admissibility", ["name", "bsn"])
    ]
    assert [(q[2], q[3], q[4], q[5].split(";")[0]) for q in quarantine(con)] == [
        (3, "data_categories", "care;secrets", "unknown item in list"),
        (4, "identifiers", "name;shoe_size", "unknown item in list"),
        (5, "data_categories", ";", "required value missing"),
    ]


def test_missing_required_column_rejects_the_file(con, tmp_path):
    write_text(tmp_path / "landing/students/s.csv", "student_id,school_id,display_name\ns1,b1,Ann\n")

    result = ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT count(*) FROM students") == [(0,)]
    assert quarantine(con) == [
        ("students", "students/s.csv", 1, "birth_date", None, "required column missing")
    ]
    assert rows(con, "SELECT status FROM landing_files") == [("rejected",)]
    assert (result.files_rejected, result.files_loaded, result.rows_loaded) == (1, 0, 0)


def test_a_column_required_in_the_header_may_be_empty_but_not_absent(con, tmp_path):
    # processor_agreements.signed_at: empty means "not signed", so the column must be there.
    write_text(
        tmp_path / "landing/processor_agreements/with.csv",
        "agreement_id,recipient_id,signed_at,valid_from\na1,r1,,2026-01-01\n",
    )
    write_text(
        tmp_path / "landing/processor_agreements/without.csv",
        "agreement_id,recipient_id,valid_from\na2,r1,2026-01-01\n",
    )

    ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT agreement_id, signed_at FROM processor_agreements") == [("a1", None)]
    assert quarantine(con) == [
        (
            "processor_agreements",
            "processor_agreements/without.csv",
            1,
            "signed_at",
            None,
            "required column missing",
        )
    ]


def test_a_column_named_twice_rejects_the_file(con, tmp_path):
    write_text(tmp_path / "landing/schools/s.csv", "school_id,name,sector,School_ID\nb1,A,PO,b2\n")

    ingest(con, tmp_path / "landing")

    assert quarantine(con) == [
        ("schools", "schools/s.csv", 1, "school_id", None, "column appears more than once")
    ]


def test_jsonl_and_parquet_missing_required_column_reject_the_file(con, tmp_path):
    write_jsonl(tmp_path / "landing/schools/s.jsonl", [{"school_id": "b1", "name": "A"}])
    write_parquet(con, tmp_path / "landing/recipients/r.parquet", "SELECT 'r1' AS recipient_id, 'X' AS name")

    ingest(con, tmp_path / "landing")

    assert quarantine(con) == [
        ("recipients", "recipients/r.parquet", None, "kind", None, "required column missing"),
        ("schools", "schools/s.jsonl", None, "sector", None, "required column missing"),
    ]


def test_bad_jsonl_lines_are_quarantined_and_the_rest_loads(con, tmp_path):
    write_text(
        tmp_path / "landing/schools/s.jsonl",
        (
            '{"school_id": "b1", "name": "A", "sector": "PO"}\n'
            "\n"
            '{"school_id": "b2", "name": "B", \n'
            '["b3", "C", "VO"]\n'
            '{"school_id": "b4", "name": "D", "sector": "so"}\n'
        ),
    )

    result = ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT school_id, _line FROM schools ORDER BY 1") == [("b1", 1), ("b4", 5)]
    assert quarantine(con) == [
        ("schools", "schools/s.jsonl", 3, None, '{"school_id": "b2", "name": "B", ', "not valid JSON"),
        ("schools", "schools/s.jsonl", 4, None, '["b3", "C", "VO"]', "not a JSON object"),
    ]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)


def test_a_csv_row_that_is_not_utf8_is_quarantined(con, tmp_path):
    data = "school_id,name,sector\nb1,Caf\u00e9,PO\n".encode() + "b2,Caf\u00e9,VO\n".encode("latin-1")
    write_bytes(tmp_path / "landing/schools/s.csv", data)

    result = ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT school_id, name FROM schools") == [("b1", "Caf\u00e9")]
    assert [(q[2], q[5]) for q in quarantine(con)] == [(3, "not valid UTF-8")]
    assert counts_add_up(result)


@pytest.mark.parametrize(
    "name, data, line, reason, code",
    [
        ("schools/s.parquet", b"PAR1 this is not parquet", None, "file could not be read: ", "unreadable_file"),
        ("schools/s.csv", b"", 1, "no header line", "no_header"),
        (
            "schools/s.csv",
            "school_id,na\u00efme,sector\nb1,A,PO\n".encode("latin-1"),
            1,
            "header line is not valid UTF-8",
            "bad_header",
        ),
        ("schools/s.jsonl", b"\xff\xfe{\x00", None, "not UTF-8 text: the file is UTF-16", "not_text"),
    ],
)
def test_unusable_files_are_rejected_without_an_exception(con, tmp_path, name, data, line, reason, code):
    write_bytes(tmp_path / "landing" / name, data)
    write_text(tmp_path / "landing/schools/good.csv", "school_id,name,sector\nb9,Z,PO\n")

    result = ingest(con, tmp_path / "landing")

    assert (result.files_rejected, result.files_loaded) == (1, 1)
    assert rows(con, "SELECT school_id FROM schools") == [("b9",)]
    [entry] = quarantine(con)
    assert entry[1:4] == (name, line, None)
    assert entry[5].startswith(reason)
    assert rows(con, "SELECT reason_code FROM quarantine") == [(code,)]
    assert rows(con, "SELECT path, status FROM landing_files ORDER BY path") == sorted(
        [(name, "rejected"), ("schools/good.csv", "loaded")]
    )


def test_an_unclosed_quote_is_quarantined(con, tmp_path):
    write_text(tmp_path / "landing/schools/s.csv", 'school_id,name,sector\nb1,A,PO\nb2,"B,VO\n')

    result = ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT school_id FROM schools") == [("b1",)]
    assert [(q[2], q[5]) for q in quarantine(con)] == [(3, "quote not closed or misplaced")]
    assert counts_add_up(result)
