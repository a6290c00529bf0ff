"""CSV, JSONL and Parquet deliver the same typed rows; headers, lists, booleans, codes, defaults."""

from datetime import date

import pytest
from ingest_helpers import (
    counts_add_up,
    ingest,
    quarantine,
    rows,
    warehouse,
    write_jsonl,
    write_parquet,
    write_text,
)

AGREEMENTS = "SELECT * EXCLUDE (_file_hash, _line) FROM processor_agreements ORDER BY agreement_id"

EXPECTED_AGREEMENTS = [
    (
        "a1",
        "r1",
        date(2025, 12, 1),
        date(2026, 1, 1),
        None,
        ["general", "progress"],
        True,
        False,
        "model-4.0",
    ),
    ("a2", "r1", None, date(2026, 1, 1), date(2026, 12, 31), ["care", "medical"], True, False, None),
    ("a3", "r2", date(2025, 11, 1), date(2025, 11, 1), None, None, True, False, 'Model, "4.0"\nspecial'),
    ("a4", "r3", date(2025, 11, 1), date(2025, 11, 1), None, ["identifiers"], True, False, None),
]

AGREEMENTS_CSV = (
    "agreement_id,recipient_id,signed_at,valid_from,valid_to,data_categories,breach_notification,"
    "deletion_clause,model\n"
    "a1,r1,2025-12-01,2026-01-01,,general;Progress,true,FALSE,model-4.0\n"
    "a2,r1,,2026-01-01,2026-12-31, care ; ;medical ,1,0,\n"
    'a3,r2,2025-11-01,2025-11-01,,,Yes,no,"Model, ""4.0""\nspecial"\n'
    "a4,r3,2025-11-01,2025-11-01,,IDENTIFIERS,JA,Nee,\n"
)

AGREEMENTS_JSONL = [
    {
        "agreement_id": "a1",
        "recipient_id": "r1",
        "signed_at": "2025-12-01",
        "valid_from": "2026-01-01",
        "valid_to": None,
        "data_categories": ["general", "Progress"],
        "breach_notification": True,
        "deletion_clause": False,
        "model": "model-4.0",
    },
    {
        "agreement_id": "a2",
        "recipient_id": "r1",
        "signed_at": "",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "data_categories": [" care ", "", "medical "],
        "breach_notification": 1,
        "deletion_clause": 0,
    },
    {
        "agreement_id": "a3",
        "recipient_id": "r2",
        "signed_at": "2025-11-01",
        "valid_from": "2025-11-01",
        "data_categories": [],
        "breach_notification": "Yes",
        "deletion_clause": "no",
        "model": 'Model, "4.0"\nspecial',
    },
    {
        "agreement_id": "a4",
        "recipient_id": "r3",
        "signed_at": "2025-11-01",
        "valid_from": "2025-11-01",
        "data_categories": "IDENTIFIERS",
        "breach_notification": "JA",
        "deletion_clause": "Nee",
    },
]

AGREEMENTS_PARQUET = """
    SELECT * FROM (VALUES
        ('a1', 'r1', DATE '2025-12-01', DATE '2026-01-01', NULL::DATE, ['general', 'Progress'], true, false,
         'model-4.0'),
        ('a2', 'r1', NULL, DATE '2026-01-01', DATE '2026-12-31', [' care ', '', 'medical '], true, false, NULL),
        ('a3', 'r2', DATE '2025-11-01', DATE '2025-11-01', NULL, []::VARCHAR[], true, false,
         'Model, "4.0"' || chr(10) || 'special'),
        ('a4', 'r3', DATE '2025-11-01', DATE '2025-11-01', NULL, ['IDENTIFIERS'], true, false, NULL)
    ) t(agreement_id, recipient_id, signed_at, valid_from, valid_to, data_categories, breach_notification,
        deletion_clause, model)
"""


@pytest.fixture
def con(tmp_path):
    connection = warehouse(tmp_path)
    yield connection
    connection.close()


def test_csv_with_bom_quotes_lists_and_every_boolean_spelling(con, tmp_path):
    write_text(tmp_path / "landing/processor_agreements/pa.csv", "\ufeff" + AGREEMENTS_CSV)

    result = ingest(con, tmp_path / "landing")

    assert rows(con, AGREEMENTS) == EXPECTED_AGREEMENTS
    assert quarantine(con) == []
    assert (result.files_loaded, result.rows_read, result.rows_loaded) == (1, 4, 4)
    # The quoted value spans lines 4-5, so the next record starts on line 6.
    assert rows(con, "SELECT agreement_id, _line FROM processor_agreements ORDER BY 1") == [
        ("a1", 2),
        ("a2", 3),
        ("a3", 4),
        ("a4", 6),
    ]


def test_csv_with_windows_line_ends_loads_the_same_rows(con, tmp_path):
    write_text(tmp_path / "landing/processor_agreements/pa.csv", AGREEMENTS_CSV.replace("\n", "\r\n"))

    ingest(con, tmp_path / "landing")

    loaded = rows(con, AGREEMENTS)
    assert [r[:8] for r in loaded] == [r[:8] for r in EXPECTED_AGREEMENTS]
    assert loaded[2][8] == 'Model, "4.0"\r\nspecial'  # a line break inside a value is kept as written


def test_jsonl_loads_the_same_rows_as_csv(con, tmp_path):
    write_jsonl(tmp_path / "landing/processor_agreements/pa.jsonl", AGREEMENTS_JSONL)

    result = ingest(con, tmp_path / "landing")

    assert rows(con, AGREEMENTS) == EXPECTED_AGREEMENTS
    assert quarantine(con) == []
    assert rows(con, "SELECT _line FROM processor_agreements ORDER BY agreement_id") == [
        (1,),
        (2,),
        (3,),
        (4,),
    ]
    assert counts_add_up(result)


def test_parquet_with_native_types_loads_the_same_rows_as_csv(con, tmp_path):
    write_parquet(con, tmp_path / "landing/processor_agreements/pa.parquet", AGREEMENTS_PARQUET)

    ingest(con, tmp_path / "landing")

    assert rows(con, AGREEMENTS) == EXPECTED_AGREEMENTS
    assert rows(con, "SELECT _line FROM processor_agreements ORDER BY agreement_id") == [
        (1,),
        (2,),
        (3,),
        (4,),
    ]


def test_suffix_is_matched_case_insensitively(con, tmp_path):
    write_text(tmp_path / "landing/processor_agreements/PA.CSV", AGREEMENTS_CSV)

    ingest(con, tmp_path / "landing")

    assert len(rows(con, AGREEMENTS)) == 4


def test_headers_are_trimmed_and_case_insensitive_extra_columns_ignored_missing_optional_null(con, tmp_path):
    write_text(
        tmp_path / "landing/schools/s.csv",
        " School_ID ,NAME,Sector,vendor_note\nbrin1,De Linde,po,ignored\nbrin2,Het Lyceum, Vso ,\n",
    )

    ingest(con, tmp_path / "landing")

    # Codes are stored in the contract's spelling; board_id is absent from the file, so unknown.
    assert rows(con, "SELECT school_id, name, sector, board_id FROM schools ORDER BY 1") == [
        ("brin1", "De Linde", "PO", None),
        ("brin2", "Het Lyceum", "VSO", None),
    ]


def test_jsonl_keys_are_matched_case_insensitively(con, tmp_path):
    write_jsonl(
        tmp_path / "landing/schools/s.jsonl",
        [
            {"School_ID": "brin1", "name": "De Linde", "SECTOR": "mbo", "extra": {"nested": 1}},
            {"school_id": 42, "name": "Nummer", "sector": "VO"},
        ],
    )

    ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT school_id, name, sector FROM schools ORDER BY 1") == [
        ("42", "Nummer", "VO"),
        ("brin1", "De Linde", "MBO"),
    ]


def test_defaults_apply_when_empty_but_not_over_a_value(con, tmp_path):
    write_text(
        tmp_path / "landing/staff/staff.csv",
        "staff_id,school_id,role,account_type\nt1,brin1,teacher,\nt2,brin1,it_admin,Service\n",
    )
    write_text(
        tmp_path / "landing/policies/p.csv", "policy_id,version,effective_from\nprivacy,1,2025-08-01\n"
    )

    ingest(con, tmp_path / "landing")

    assert rows(con, "SELECT staff_id, account_type FROM staff ORDER BY 1") == [
        ("t1", "personal"),
        ("t2", "service"),
    ]
    assert rows(con, "SELECT policy_id, scope FROM policies") == [("privacy", "board")]


def test_a_file_without_records_delivers_nothing_and_is_no_error(con, tmp_path):
    # An export of an empty selection: a header (CSV), no line (JSONL) or a schema (Parquet), no records.
    write_text(tmp_path / "landing/consents/c.csv", "consent_id,student_id,given_by_id,given_by_role,purpose,form,given_at\n")
    write_text(tmp_path / "landing/consents/c.jsonl", "\n\n")
    write_parquet(
        con, tmp_path / "landing/schools/s.parquet",
        "SELECT 'x' AS school_id, 'y' AS name, 'PO' AS sector WHERE false",
    )  # fmt: skip

    result = ingest(con, tmp_path / "landing")

    assert (result.files_rejected, result.files_loaded, result.rows_read, result.rows_quarantined) == (0, 3, 0, 0)
    assert rows(con, "SELECT path, status, rows_read, rows_loaded FROM landing_files ORDER BY path") == [
        ("consents/c.csv", "loaded", 0, 0),
        ("consents/c.jsonl", "loaded", 0, 0),
        ("schools/s.parquet", "loaded", 0, 0),
    ]
    assert quarantine(con) == []
    assert rows(con, "SELECT count(*) FROM consents") == [(0,)]


def test_a_file_without_a_header_is_still_rejected(con, tmp_path):
    write_text(tmp_path / "landing/schools/empty.csv", "")
    write_text(tmp_path / "landing/schools/no-required.csv", "school_id,name\n")

    result = ingest(con, tmp_path / "landing")

    assert (result.files_rejected, result.files_loaded) == (2, 0)
    assert rows(con, "SELECT file, reason_code FROM quarantine ORDER BY file") == [
        ("schools/empty.csv", "no_header"),
        ("schools/no-required.csv", "required_column_missing"),
    ]


def test_other_file_types_are_quarantined_not_ignored(con, tmp_path):
    write_text(tmp_path / "landing/schools/notes.txt", "not data\n")
    # a OneRoster bundle: not a feed (pipelines.ingest.oneroster reads it, see test_oneroster_*.py)
    write_text(tmp_path / "landing/oneroster/bundle/users.csv", "sourcedId\nu1\n")

    result = ingest(con, tmp_path / "landing")

    assert result.by_feed["schools"]["files_rejected"] == 1
    assert [entry for entry in quarantine(con) if entry[0] == "schools"] == [
        (
            "schools",
            "schools/notes.txt",
            None,
            None,
            None,
            "unsupported file type (expected .csv, .jsonl, .parquet)",
        )
    ]
    assert rows(con, "SELECT path, status FROM landing_files WHERE feed = 'schools'") == [
        ("schools/notes.txt", "rejected")
    ]
