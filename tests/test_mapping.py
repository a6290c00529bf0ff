"""Vendor exports read through a mapping profile (spec/mapping.md): landing/vendor/<name>/profile.toml
beside the exports, every contract rule applied after the mapping, quarantine in the export's own lines
and columns, and a bad profile as one line."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from pipelines.mapping.profile import ProfileError, load_profile
from tests.conftest import ROOT
from tests.ingest_helpers import ingest, quarantine, rows, warehouse, write_bytes, write_text

EXAMPLES = ROOT / "data" / "vendor-examples"

PROFILE = """\
feed = "access_log"
[read]
format = "csv"
delimiter = ";"
encoding = "{encoding}"
header_row = {header_row}
[columns]
event_id = "Regel-ID"
occurred_at = {{ column = "Tijdstip", format = "%d-%m-%Y %H:%M", timezone = "Europe/Amsterdam" }}
actor_id = "Gebruikersnaam"
actor_type = {{ value = "staff" }}
student_id = {{ column = "Leerlingnummer", strip = "LL" }}
action = {{ column = "Handeling", map = {{ Inzien = "view", Afdrukken = "print", Exporteren = "export" }} }}
source_system = {{ value = "magister" }}
category = {{ column = "Onderdeel", map = {{ Cijfers = "progress", Verzuim = "attendance", Zorg = "care" }}, default = "general" }}
justification = "Toelichting"
"""
HEADER = "Regel-ID;Tijdstip;Gebruikersnaam;Leerlingnummer;Handeling;Onderdeel;Toelichting;IP-adres"
GOOD = [
    "1;24-11-2026 15:50;mvdberg;LL4101;Inzien;Cijfers;;10.9.8.7",
    "2;24-11-2026 15:51;mvdberg;LL4102;afdrukken;Rooster;Één – notitie;10.9.8.7",
]

ACCESS = "SELECT event_id, occurred_at, actor_id, actor_type, student_id, action, source_system, category, justification, _line FROM access_log ORDER BY event_id"


def vendor(landing: Path, lines: list[str], *, encoding="utf-8", header_row=1, name="magister",
           export="logboek.csv", profile: str | None = None, newline="\r\n") -> Path:  # fmt: skip
    folder = landing / "vendor" / name
    write_text(folder / "profile.toml", profile or PROFILE.format(encoding=encoding, header_row=header_row))
    return write_bytes(folder / export, (newline.join(lines) + newline).encode(encoding))


@pytest.fixture
def con(tmp_path):
    connection = warehouse(tmp_path)
    yield connection
    connection.close()


def amsterdam(*parts) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(*parts, tzinfo=ZoneInfo("Europe/Amsterdam"))


# --- reading ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_an_export_in_each_encoding_loads_the_same_rows(con, tmp_path, encoding):
    lines = [HEADER, *GOOD] if encoding != "latin-1" else [HEADER, *(g.replace("–", "-") for g in GOOD)]
    vendor(tmp_path / "landing", lines, encoding=encoding)
    result = ingest(con, tmp_path / "landing")
    assert (result.files_loaded, result.rows_loaded, result.rows_quarantined) == (1, 2, 0)
    note = "Één – notitie" if encoding != "latin-1" else "Één - notitie"
    assert rows(con, ACCESS) == [
        (
            "1",
            amsterdam(2026, 11, 24, 15, 50),
            "mvdberg",
            "staff",
            "4101",
            "view",
            "magister",
            "progress",
            None,
            2,
        ),
        (
            "2",
            amsterdam(2026, 11, 24, 15, 51),
            "mvdberg",
            "staff",
            "4102",
            "print",
            "magister",
            "general",
            note,
            3,
        ),
    ]
    assert rows(con, "SELECT feed, path, status FROM landing_files") == [
        ("access_log", "vendor/magister/logboek.csv", "loaded")
    ]


def test_a_byte_the_encoding_does_not_know_quarantines_its_line_only(con, tmp_path):
    folder = tmp_path / "landing" / "vendor" / "magister"
    write_text(folder / "profile.toml", PROFILE.format(encoding="cp1252", header_row=1))
    data = (HEADER + "\r\n" + GOOD[0] + "\r\n").encode(
        "cp1252"
    ) + b"3;24-11-2026 16:00;x\x81y;LL1;Inzien;;;\r\n"
    write_bytes(folder / "logboek.csv", data)
    result = ingest(con, tmp_path / "landing")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    [(feed, file, line, _column, value, _reason)] = quarantine(con)
    assert (feed, file, line, value) == ("access_log", "vendor/magister/logboek.csv", 3, None)


def test_title_rows_above_the_header_are_skipped_and_lines_are_the_exports(con, tmp_path):
    vendor(tmp_path / "landing", ["Logboek Magister;;;", "Geëxporteerd 30-11-2026;;", HEADER, *GOOD],
           encoding="cp1252", header_row=3)  # fmt: skip
    ingest(con, tmp_path / "landing")
    assert [r[-1] for r in rows(con, ACCESS)] == [4, 5]


def test_only_the_contract_columns_are_stored(con, tmp_path):
    vendor(tmp_path / "landing", [HEADER, *GOOD, "3;not a time;x;LL1;Inzien;;;10.9.8.7", "4;x;y"])
    ingest(con, tmp_path / "landing")
    stored = rows(con, "SELECT * FROM access_log") + rows(con, "SELECT * FROM quarantine")
    assert "10.9.8.7" not in repr(stored)  # the IP address column is never read into the warehouse
    assert len(quarantine(con)) == 2


def test_an_xlsx_export_with_a_title_row_and_real_dates(con, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    folder = tmp_path / "landing" / "vendor" / "somtoday"
    folder.mkdir(parents=True)
    shutil.copy(EXAMPLES / "somtoday" / "profile.toml", folder)
    book = openpyxl.Workbook()
    book.active.title = "Voorblad"
    sheet = book.create_sheet("Logboek")
    sheet.append(["Inzagelogboek (test)"])
    sheet.append([])
    sheet.append(["ID", "Tijdstip", "Account", "Leerling", "Actie", "Gegevens", "Reden noodtoegang", "IP"])
    sheet.append(
        [7001, dt.datetime(2026, 11, 24, 9, 30), "a.jansen", 4101, "Bekeken", "Cijfers", None, "1.2.3.4"]
    )
    sheet.append([])  # an empty row: skipped, later rows keep their own row number
    sheet.append(["7002", "24-11-2026 10:00", "a.jansen", "4102", "Onbekend", None, None, "1.2.3.4"])
    sheet.append(["7003", "24-11-2026 kwart over tien", "a.jansen", "4102", "Bekeken", None, None, None])
    book.save(folder / "logboek.xlsx")
    result = ingest(con, tmp_path / "landing")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert rows(con, "SELECT event_id, occurred_at, student_id, action, category, _line FROM access_log") == [
        ("7001", amsterdam(2026, 11, 24, 9, 30), "4101", "view", "progress", 4)
    ]
    assert [(q[2], q[3], q[4]) for q in quarantine(con)] == [
        (6, "Actie", "Onbekend"),
        (7, "Tijdstip", "24-11-2026 kwart over tien"),
    ]


def test_a_workbook_without_the_named_sheet_is_rejected(con, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    folder = tmp_path / "landing" / "vendor" / "somtoday"
    folder.mkdir(parents=True)
    shutil.copy(EXAMPLES / "somtoday" / "profile.toml", folder)
    openpyxl.Workbook().save(folder / "logboek.xlsx")
    write_text(folder / "not-a-workbook.xlsx", "ID,Tijdstip\n")
    result = ingest(con, tmp_path / "landing")
    assert result.files_rejected == 2
    reasons = [q[5] for q in quarantine(con)]
    assert any("no sheet 'Logboek'" in r for r in reasons) and any(
        "not an Excel workbook" in r for r in reasons
    )


def test_a_jsonl_export(con, tmp_path):
    profile = """feed = "staff"\n[read]\nformat = "jsonl"\n[columns]\nstaff_id = "Account"\nschool_id = { value = "BRIN01" }
role = { column = "Functie", map = { Docent = "teacher" }, default = "other" }\nvalid_from = { column = "Sinds", format = "%d-%m-%Y" }\n"""
    vendor(tmp_path / "landing", ['{"Account": "a", "Functie": "Docent", "Sinds": "01-08-2026"}', '{"Account": "b", "Functie": "Conciërge"}',
                                  '{"Account": "c", "Sinds": "2026-08-01"}'], name="hr", export="staff.jsonl", profile=profile, newline="\n")  # fmt: skip
    ingest(con, tmp_path / "landing")
    assert rows(con, "SELECT staff_id, school_id, role, valid_from, _line FROM staff ORDER BY staff_id") == [
        ("a", "BRIN01", "teacher", dt.date(2026, 8, 1), 1),
        ("b", "BRIN01", "other", None, 2),
    ]
    assert [(q[2], q[3], q[4]) for q in quarantine(con)] == [(3, "Sinds", "2026-08-01")]


def test_the_example_profiles_load_their_made_up_exports(con, tmp_path):
    landing = tmp_path / "landing"
    for name in ("magister", "somtoday", "medewerkers"):
        shutil.copytree(EXAMPLES / name, landing / "vendor" / name)
    result = ingest(con, landing)
    assert (result.files_loaded, result.files_rejected, result.rows_quarantined) == (3, 0, 0)
    assert result.by_feed["access_log"]["rows_loaded"] == 12 and result.by_feed["staff"]["rows_loaded"] == 5
    assert rows(con, "SELECT DISTINCT source_system FROM access_log ORDER BY 1") == [
        ("magister",),
        ("somtoday",),
    ]
    assert rows(con, "SELECT role FROM staff WHERE staff_id = 'jdekker'") == [("care_coordinator",)]
    [(note,)] = rows(con, "SELECT justification FROM access_log WHERE event_id = '100203'")
    assert note == "Zorgoverleg – dringend, leerling niet bereikbaar"  # cp1252's dash, read as such


# --- quarantine with the export's column and line -----------------------------------------------------


def test_a_value_the_map_does_not_know_is_quarantined_with_the_exports_column_and_line(con, tmp_path):
    vendor(tmp_path / "landing", [HEADER, GOOD[0], "2;24-11-2026 15:52;x;LL1;Bekijken;Cijfers;;", GOOD[1]])
    result = ingest(con, tmp_path / "landing")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    [(feed, file, line, column, value, reason)] = quarantine(con)
    assert (feed, file, line, column, value) == (
        "access_log",
        "vendor/magister/logboek.csv",
        3,
        "Handeling",
        "Bekijken",
    )
    assert "map for action" in reason
    assert rows(con, "SELECT reason_code FROM quarantine") == [("unmapped_value",)]


def test_a_time_not_in_the_profiles_format_or_skipped_by_the_clocks_is_quarantined(con, tmp_path):
    vendor(tmp_path / "landing", [HEADER, "1;2026-11-24 15:50;x;LL1;Inzien;;;", "2;29-03-2026 02:30;x;LL1;Inzien;;;",
                                  "3;31-03-2026 02:30;x;LL1;Inzien;;;"])  # fmt: skip
    ingest(con, tmp_path / "landing")
    assert rows(con, 'SELECT line, "column", value, reason_code FROM quarantine ORDER BY line') == [
        (2, "Tijdstip", "2026-11-24 15:50", "time_not_in_format"),
        (3, "Tijdstip", "29-03-2026 02:30", "invalid_timestamp"),
    ]
    assert rows(con, "SELECT occurred_at FROM access_log") == [(amsterdam(2026, 3, 31, 2, 30),)]


def test_contract_rules_apply_after_the_mapping(con, tmp_path):
    # The profile maps well, the contract still refuses: an empty student number, a duplicate id.
    vendor(tmp_path / "landing", [HEADER, "1;24-11-2026 15:50;x;;Inzien;;;", "2;24-11-2026 15:50;x;LL;Inzien;;;",
                                  "3;24-11-2026 15:50;x;LL5;Inzien;;;", "3;24-11-2026 15:59;x;LL6;Inzien;;;"])  # fmt: skip
    result = ingest(con, tmp_path / "landing")
    assert (result.rows_loaded, result.rows_quarantined, result.rows_replaced) == (
        2,
        2,
        1,
    )  # 3 twice: the later wins
    assert rows(con, 'SELECT line, "column", reason_code FROM quarantine ORDER BY line') == [
        (2, "student_id", "required_value_missing"),
        (3, "student_id", "required_value_missing"),  # "LL" stripped leaves nothing
    ]
    assert rows(con, "SELECT event_id, student_id FROM access_log") == [("3", "6")]


def test_a_missing_required_column_rejects_the_file_naming_the_exports_column(con, tmp_path):
    vendor(
        tmp_path / "landing", ["Regel-ID;Tijdstip;Gebruikersnaam;Handeling", "1;24-11-2026 15:50;x;Inzien"]
    )
    result = ingest(con, tmp_path / "landing")
    assert result.files_rejected == 1 and result.rows_loaded == 0
    assert rows(con, 'SELECT file, line, "column", reason_code FROM quarantine') == [
        ("vendor/magister/logboek.csv", 1, "Leerlingnummer", "required_column_missing")
    ]
    assert rows(con, "SELECT status FROM landing_files") == [("rejected",)]


def test_a_missing_optional_column_quarantines_its_rows(con, tmp_path):
    vendor(tmp_path / "landing", ["Regel-ID;Tijdstip;Gebruikersnaam;Leerlingnummer;Handeling;Toelichting",
                                  "1;24-11-2026 15:50;x;LL1;Inzien;", "2;24-11-2026 15:50;x;LL1;Inzien;"])  # fmt: skip
    result = ingest(con, tmp_path / "landing")
    assert (result.rows_loaded, result.rows_quarantined) == (0, 2)
    assert rows(con, 'SELECT DISTINCT "column", reason_code FROM quarantine') == [
        ("Onderdeel", "export_column_missing")
    ]


# --- deliveries ---------------------------------------------------------------------------------------


def test_redelivery_is_skipped_a_later_export_replaces_and_a_changed_profile_reads_again(con, tmp_path):
    landing = tmp_path / "landing"
    vendor(landing, [HEADER, *GOOD])
    ingest(con, landing)
    assert ingest(con, landing).files_skipped == 1
    write_text(
        landing / "vendor" / "magister" / "later.csv",
        f"{HEADER}\r\n2;25-11-2026 08:00;y;LL9;Inzien;;;\r\n",
        mtime=2_000_000_000,
    )
    assert ingest(con, landing).rows_replaced == 1
    assert rows(con, "SELECT event_id, actor_id FROM access_log ORDER BY 1") == [("1", "mvdberg"), ("2", "y")]
    profile = landing / "vendor" / "magister" / "profile.toml"
    profile.write_text(profile.read_text().replace('value = "staff"', 'value = "guardian"'))
    again = ingest(con, landing)
    assert again.files_loaded == 2 and again.files_skipped == 0
    assert rows(con, "SELECT DISTINCT actor_type FROM access_log") == [("guardian",)]
    assert again.rows_replaced == 3  # both files again, in their delivery order: 2 stays "y"
    assert rows(con, "SELECT actor_id FROM access_log WHERE event_id = '2'") == [("y",)]


def test_a_comment_in_the_profile_does_not_read_the_exports_again(con, tmp_path):
    landing = tmp_path / "landing"
    vendor(landing, [HEADER, *GOOD])
    ingest(con, landing)
    profile = landing / "vendor" / "magister" / "profile.toml"
    profile.write_text("# checked by the privacy officer\n" + profile.read_text())
    assert ingest(con, landing).files_skipped == 1


def test_the_sensor_sees_vendor_exports_and_their_profile(tmp_path):
    from pipelines.jobs import landing_files

    export = vendor(tmp_path / "landing", [HEADER, *GOOD])
    assert {export, export.parent / "profile.toml"} <= set(landing_files(tmp_path / "landing"))


# --- bad profiles -------------------------------------------------------------------------------------


BASE = 'feed = "access_log"\n[columns]\n' + "\n".join(
    f'{c} = "{c}"'
    for c in ("event_id", "occurred_at", "actor_id", "actor_type", "student_id", "action", "source_system")
)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (BASE.replace("access_log", "acces_log"), "unknown feed 'acces_log'"),
        (BASE + '\nevnt_id = "x"', "unknown column 'evnt_id' of feed access_log"),
        (BASE + '\n[read]\nseparator = ";"', "unknown key 'separator' in [read]"),
        ('colour = "red"\n' + BASE, "unknown key 'colour' in the profile"),
        (
            BASE + '\ncategory = { column = "x", mapping = { a = "care" } }',
            "unknown key 'mapping' in columns.category",
        ),
        (
            BASE.replace('action = "action"', 'action = { column = "H", map = { Inzien = "look" } }'),
            "'look' is not a code of action",
        ),
        (BASE.replace('event_id = "event_id"\n', ""), "no value for the required column event_id"),
        (
            BASE.replace('occurred_at = "occurred_at"', 'occurred_at = { column = "T", format = "%Q" }'),
            "not a strptime format",
        ),
        (
            BASE.replace(
                'occurred_at = "occurred_at"',
                'occurred_at = { column = "T", format = "%d", timezone = "Mars/Olympus" }',
            ),
            "unknown time zone",
        ),
        (BASE + '\n[read]\nencoding = "ebcdic"', "unknown encoding 'ebcdic'"),
        (BASE + "\n[read]\nheader_row = 0", "header_row must be a whole number, 1 or more"),
        ("feed = [", "not valid TOML"),
    ],
)
def test_a_bad_profile_is_one_line(tmp_path, text, says):
    path = write_text(tmp_path / "profile.toml", text)
    with pytest.raises(ProfileError) as raised:
        load_profile(path)
    assert says in str(raised.value) and "\n" not in str(raised.value) and str(path) in str(raised.value)


def test_a_good_profile_loads(tmp_path):
    assert load_profile(write_text(tmp_path / "profile.toml", BASE)).feed.name == "access_log"
    for name in ("magister", "somtoday", "medewerkers"):
        load_profile(EXAMPLES / name / "profile.toml")


def test_a_bad_profile_stops_the_ingest(con, tmp_path):
    landing = tmp_path / "landing"
    vendor(landing, [HEADER, *GOOD], profile=BASE + '\nfoo = "x"')
    with pytest.raises(ProfileError):
        ingest(con, landing)
    (landing / "vendor" / "magister" / "profile.toml").unlink()
    with pytest.raises(ProfileError, match="has no profile.toml"):
        ingest(con, landing)
    assert rows(con, "SELECT count(*) FROM landing_files") == [(0,)]


def test_utf16_under_a_profile_that_says_otherwise_is_rejected_with_the_fix(con, tmp_path):
    vendor(tmp_path / "landing", [HEADER, *GOOD], encoding="utf-16")
    profile = tmp_path / "landing" / "vendor" / "magister" / "profile.toml"
    profile.write_text(profile.read_text().replace('"utf-16"', '"cp1252"'))
    write_bytes(profile.parent / "binary.csv", bytes(range(256)) * 4)
    result = ingest(con, tmp_path / "landing")
    assert result.files_rejected == 2
    reasons = sorted(q[5] for q in quarantine(con))
    assert reasons[1] == 'the export is UTF-16 text: set encoding = "utf-16" in its profile'
    assert "binary" in reasons[0]


@pytest.mark.parametrize(
    ("name", "export", "rows_read"),
    [("magister", "logboek-voorbeeld.csv", 7), ("somtoday", "logboek-voorbeeld.xlsx", 5),
     ("medewerkers", "medewerkers-voorbeeld.txt", 5)],
)  # fmt: skip
def test_the_dry_run_of_each_example_has_no_problem(name, export, rows_read):
    from pipelines.mapping.dry_run import dry_run

    result = dry_run(EXAMPLES / name / "profile.toml", EXAMPLES / name / export, rows=2, timezone="Europe/Amsterdam")
    assert (result.rows_read, result.rows_good, result.problems, result.rejected) == (rows_read, rows_read, [], False)
    assert len(result.rows) == 2 and result.rows[0][0] == result.profile.header_row + 1


def test_the_sensor_requests_an_ingest_for_a_new_export_and_for_a_changed_profile(tmp_path):
    import dagster as dg

    from pipelines.boards import single_board
    from pipelines.definitions import build_definitions
    from pipelines.resources import Boards

    landing = tmp_path / "landing"
    vendor(landing, [HEADER, *GOOD])
    sensor = build_definitions(single_board("landing", "w.duckdb", "out")).resolve_sensor_def("landing_sensor")

    def evaluate(cursor=None):
        context = dg.build_sensor_context(cursor=cursor, resources={"boards": Boards.single(landing=str(landing))})
        return sensor(context)

    first = evaluate()
    assert len(first.run_requests) == 1
    assert evaluate(first.cursor).run_requests == []
    profile = landing / "vendor" / "magister" / "profile.toml"
    profile.write_text(profile.read_text() + "\n# changed\n")
    assert len(evaluate(first.cursor).run_requests) == 1
