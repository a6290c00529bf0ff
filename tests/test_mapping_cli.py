"""Vendor exports end to end through the command line: `schoolaudit map` (a dry run) and `run`/`ingest`
with a landing folder that holds a vendor folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import DEMO_WEEK, ROOT, read_csv, schoolaudit
from tests.ingest_helpers import write_bytes, write_text
from tests.test_mapping import BASE, HEADER, PROFILE

EXAMPLES = ROOT / "data" / "vendor-examples"


def test_map_shows_the_first_rows_as_the_feed_receives_them(tmp_path):
    result = schoolaudit("map", "--profile", str(EXAMPLES / "magister" / "profile.toml"),
                         str(EXAMPLES / "magister" / "logboek-voorbeeld.csv"), "--rows", "2", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "read as access_log: 7 rows, 7 would load, 0 would be quarantined" in lines[0]
    assert lines[2].split(",")[:3] == ["  line", "event_id", "occurred_at"]
    assert lines[3].startswith("  3,100201,2026-11-23T07:12:00Z,mvdberg,staff,4101,view,magister")
    assert len(lines) == 5  # two rows shown, no problems
    assert "IP-adres" not in result.stdout and "10.0.0.12" not in result.stdout
    assert list(tmp_path.iterdir()) == []  # no warehouse, nothing written


def test_map_lists_every_problem_with_its_line_and_exits_1(tmp_path):
    lines = ["Logboek", HEADER, "1;24-11-2026 15:50;x;LL1;Bekijken;Cijfers;;", "2;24-11-2026;x;LL1;Inzien;;;",
             "3;24-11-2026 15:50;x;;Inzien;;;", "4;24-11-2026 15:50;x;LL4;Inzien;;;"]  # fmt: skip
    export = write_bytes(tmp_path / "export.csv", "\r\n".join(lines).encode("cp1252"))
    profile = write_text(tmp_path / "profile.toml", PROFILE.format(encoding="cp1252", header_row=2))
    result = schoolaudit("map", "--profile", str(profile), str(export))
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "4 rows, 1 would load, 3 would be quarantined" in out
    assert "line 3, column Handeling = 'Bekijken': the profile's map for action does not know this value [unmapped_value]" in out
    assert "line 4, column Tijdstip = '24-11-2026': does not match the profile's format" in out
    assert "line 5, column student_id: required value missing [required_value_missing]" in out
    assert "\n  6,4," in out


def test_map_says_when_the_ingest_would_reject_the_export(tmp_path):
    export = write_text(tmp_path / "export.csv", "Regel-ID;Tijdstip\n1;24-11-2026 15:50\n")
    profile = write_text(tmp_path / "profile.toml", PROFILE.format(encoding="utf-8", header_row=1))
    result = schoolaudit("map", "--profile", str(profile), str(export))
    assert result.returncode == 1
    assert "the ingest would reject it" in result.stdout
    assert "column Gebruikersnaam: required column missing" in result.stdout


def test_map_with_a_bad_profile_or_no_export_exits_2_with_one_line(tmp_path):
    export = write_text(tmp_path / "export.csv", "a\n1\n")
    for text, says in ((BASE + '\nfoo = "x"', "unknown column 'foo'"), (BASE.replace("access_log", "logs"), "unknown feed 'logs'"),
                       (BASE.replace("[columns]", '[read]\nformat = "xls"\n[columns]'), "unknown format 'xls'"),
                       ('[read]\nformat = "csv"\n' + BASE, "'feed' is missing")):  # fmt: skip
        profile = write_text(tmp_path / "profile.toml", text)
        result = schoolaudit("map", "--profile", str(profile), str(export))
        assert result.returncode == 2 and result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("schoolaudit: error: profile ") and says in lines[0], lines
    result = schoolaudit("map", "--profile", str(profile), str(tmp_path / "missing.csv"))
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_ingest_with_a_bad_profile_exits_2_with_one_line_and_touches_no_warehouse(tmp_path):
    landing = tmp_path / "landing"
    write_text(landing / "vendor" / "magister" / "profile.toml", BASE + '\n[read]\ndelimeter = ";"')
    write_text(landing / "vendor" / "magister" / "export.csv", "x\n")
    for command in ("ingest", "run"):
        result = schoolaudit(command, "--landing", str(landing), "--db", str(tmp_path / "w.duckdb"),
                             *(("--out", str(tmp_path / "out"), "--week", DEMO_WEEK) if command == "run" else ()))  # fmt: skip
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "unknown key 'delimeter' in [read]" in lines[0]
        assert not (tmp_path / "w.duckdb").exists()


def _magister(landing: Path, lines: list[str]) -> None:
    folder = landing / "vendor" / "magister"
    write_text(folder / "profile.toml", PROFILE.format(encoding="cp1252", header_row=1))
    write_bytes(folder / "logboek.csv", ("\r\n".join(lines) + "\r\n").encode("cp1252"))


def test_a_run_quarantines_a_map_miss_in_the_exports_line_and_column(landing_copy, tmp_path):
    staff = read_csv(next((landing_copy / "staff").glob("*.csv")))[0]["staff_id"]
    student = read_csv(next((landing_copy / "students").glob("*.csv")))[0]["student_id"]
    _magister(landing_copy, [HEADER, f"900001;17-11-2026 10:00;{staff};LL{student};Inzien;Cijfers;;",
                             f"900002;17-11-2026 10:05;{staff};LL{student};Bekijken;Cijfers;;"])  # fmt: skip
    result = schoolaudit("run", "--landing", str(landing_copy), "--db", str(tmp_path / "w.duckdb"),
                         "--out", str(tmp_path / "reports"), "--week", DEMO_WEEK)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    hits = [r for r in read_csv(tmp_path / "reports" / DEMO_WEEK / "quarantine.csv") if r["file"].startswith("vendor/")]
    assert [(h["feed"], h["file"], h["line"], h["column"], h["value"]) for h in hits] == [
        ("access_log", "vendor/magister/logboek.csv", "3", "Handeling", "Bekijken")
    ]


def test_a_run_with_a_vendor_export_lacking_a_required_column_is_incomplete_not_blocked(landing_copy, tmp_path):
    _magister(landing_copy, ["Regel-ID;Tijdstip;Gebruikersnaam;Handeling", "1;17-11-2026 10:00;x;Inzien"])
    result = schoolaudit("run", "--landing", str(landing_copy), "--db", str(tmp_path / "w.duckdb"),
                         "--out", str(tmp_path / "reports"), "--week", DEMO_WEEK)  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr  # the reports are written, the audit incomplete
    assert "vendor/magister/logboek.csv" in result.stdout and "Leerlingnummer" in result.stdout
    coverage = {r["rule_id"]: r for r in read_csv(tmp_path / "reports" / DEMO_WEEK / "coverage.csv")}
    assert coverage["ACCESS-UNKNOWN-ACTOR"]["status"] == "incomplete"
    assert "vendor/magister/logboek.csv" in coverage["ACCESS-UNKNOWN-ACTOR"]["reason"]
    assert coverage["SHARE-NO-CONSENT"]["status"] == "evaluated"
    assert (tmp_path / "reports" / DEMO_WEEK / "privacy-officer.html").is_file()
    # Corrected at the source: the export delivered again with the column completes the audit.
    shutil.rmtree(landing_copy / "vendor")
    result = schoolaudit("run", "--landing", str(landing_copy), "--db", str(tmp_path / "w.duckdb"),
                         "--out", str(tmp_path / "reports"), "--week", DEMO_WEEK)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
