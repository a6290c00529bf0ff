"""The synthetic board generator: shapes, determinism, a clean background and exactly the planted
findings (checked with tests/generate_oracle.py, an independent reading of the whole catalogue)."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from generate_oracle import oracle_findings

from pipelines.contract import (
    BOOL,
    CODE,
    DATE,
    DATE_OR_TIMESTAMP,
    FALSE_WORDS,
    FEEDS,
    HEADER_REQUIRED,
    LIST,
    TIMESTAMP,
    TRUE_WORDS,
)
from pipelines.generate import GenerateError, generate
from pipelines.generate.basics import ages_at
from pipelines.generate.window import window_for
from pipelines.ingest import ingest_landing
from pipelines.settings import Settings
from pipelines.warehouse import connect
from pipelines.weeks import parse_week

UNTIL = date(2026, 11, 25)  # a Wednesday: the demo week is 2026-W47 (Monday 16 .. Sunday 22 November)
WEEKS = ["2026-W45", "2026-W46", "2026-W47"]
PLANTED_RULES = {"ACCESS-UNINVOLVED", "SHARE-NO-CONSENT", "SHARE-EXCEPTION-UNSUPPORTED", "PROCESSOR-NO-AGREEMENT",
                 "PROCESSOR-AGREEMENT-NOT-IN-FORCE"}
KEY = ["rule_id", "severity", "week", "subject_type", "subject_id"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("generated"), students=120, weeks=3, seed=5, until=UNTIL)


@pytest.fixture(scope="module")
def warehouse(generated, tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("warehouse") / "w.duckdb")
    result = ingest_landing(con, generated.landing, Settings())
    yield con, result
    con.close()


@pytest.fixture(scope="module")
def expected(generated) -> pd.DataFrame:
    return pd.read_csv(generated.expected, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def near_misses(generated) -> pd.DataFrame:
    return pd.read_csv(generated.expected.parent / "near-misses.csv", dtype=str, keep_default_na=False)


def as_set(frame: pd.DataFrame) -> set[tuple]:
    return set(frame[KEY].itertuples(index=False, name=None))


def file_digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- weeks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("until", "last_week"),
    [
        (date(2026, 11, 25), "2026-W47"),  # mid-week: the week before is the last complete one
        (date(2026, 11, 23), "2026-W47"),  # Monday: yesterday ended W47
        (date(2026, 11, 22), "2026-W46"),  # Sunday: W47 is not over yet
        (date(2027, 1, 4), "2026-W53"),  # across the year: 2026 has 53 ISO weeks
    ],
)
def test_weeks_end_with_the_last_complete_week_before_until(until, last_week):
    window = window_for(until, 3, "Europe/Amsterdam")
    assert window.weeks[-1] == last_week
    assert len(window.weeks) == 3 and list(window.weeks) == sorted(window.weeks)
    assert (window.mondays[-1] - window.mondays[0]).days == 14


def test_result_names_the_weeks_and_counts_rows(generated):
    assert generated.weeks == WEEKS
    assert generated.landing == generated.expected.parent / "landing"
    assert generated.counts["students"] == 120
    assert generated.counts["access_log"] >= 40 * 120 * 3


# -- shapes ---------------------------------------------------------------------------------------


def test_every_feed_but_oneroster_is_written(generated):
    folders = {p.name for p in generated.landing.iterdir() if p.is_dir()}
    assert folders == set(FEEDS)
    assert not (generated.landing / "oneroster").exists()
    assert set(generated.counts) == set(FEEDS)


def test_formats_are_mixed_on_purpose(generated):
    access = sorted(p.name for p in (generated.landing / "access_log").iterdir())
    assert access == ["access-2026-W45.parquet", "access-2026-W46.jsonl", "access-2026-W47.csv"]
    consent = json.loads((generated.landing / "consents" / "consents.jsonl").read_text().splitlines()[0])
    assert isinstance(consent["data_categories"], list)
    demo = pd.read_csv(generated.landing / "access_log" / "access-2026-W47.csv", dtype=str)
    with_offset = demo["occurred_at"].str.contains(r"[+-]\d\d:\d\d$")
    assert 0.8 < with_offset.mean() < 1.0  # mostly with an offset, some bare local time
    disclosures = pd.concat(pd.read_csv(p, dtype=str) for p in (generated.landing / "disclosures").iterdir())
    assert disclosures["occurred_at"].str.endswith("Z").any()  # and some in UTC


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_parquet(path)


def _contract_problems(feed_name: str, frame: pd.DataFrame) -> list[str]:
    feed = FEEDS[feed_name]
    problems = [f"missing column {c}" for c in (*feed.required, *HEADER_REQUIRED.get(feed_name, ()))
                if c not in frame]
    for column in feed.columns:
        if column.name not in frame:
            continue
        values = frame[column.name]
        filled = values[values.notna()]
        if column.required and len(filled) < len(values):
            problems.append(f"{column.name}: empty required value")
        if column.kind == CODE:
            bad = ~filled.str.lower().isin([c.lower() for c in column.codes])
        elif column.kind == LIST:
            items = filled.map(lambda v: v.split(";") if isinstance(v, str) else list(v)).explode()
            bad = ~items.isin(column.codes)
        elif column.kind == BOOL:
            bad = ~filled.map(lambda v: isinstance(v, (bool, np.bool_)) or str(v).lower() in TRUE_WORDS + FALSE_WORDS)
        elif column.kind == DATE:
            bad = pd.to_datetime(filled.astype(str), format="%Y-%m-%d", errors="coerce").isna()
        elif column.kind in (TIMESTAMP, DATE_OR_TIMESTAMP):
            text = filled.astype(str)
            bad = pd.Series([pd.isna(pd.to_datetime(v, format="ISO8601", errors="coerce")) for v in text],
                            index=text.index, dtype=bool)
        else:
            continue
        if bad.any():
            problems.append(f"{column.name}: {filled[bad].head(3).tolist()}")
    key = frame[list(feed.key)].astype(str)
    if key.duplicated().any():
        problems.append(f"duplicate keys {key[key.duplicated()].head(3).values.tolist()}")
    return problems


def test_every_file_follows_the_landing_contract(generated):
    problems = {}
    for path in sorted(generated.landing.rglob("*.*")):
        found = _contract_problems(path.parent.name, _read(path))
        if found:
            problems[str(path.relative_to(generated.landing))] = found
    assert problems == {}


def test_contract_check_notices_a_broken_row(generated, tmp_path):
    # The check above can fail: an unknown code and an empty required value are reported.
    frame = _read(generated.landing / "staff" / next((generated.landing / "staff").iterdir()).name)
    frame.loc[0, "role"] = "janitor"
    frame.loc[1, "school_id"] = None
    assert len(_contract_problems("staff", frame)) == 2


def test_ingest_quarantines_nothing(generated, warehouse):
    con, result = warehouse
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    assert result.files_rejected == 0
    assert result.rows_loaded == sum(generated.counts.values())
    assert result.rows_replaced == 0  # keys are unique across files


# -- determinism and scale ------------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    first = generate(tmp_path / "a", students=60, weeks=3, seed=3, until=UNTIL)
    second = generate(tmp_path / "b", students=60, weeks=3, seed=3, until=UNTIL)
    other = generate(tmp_path / "c", students=60, weeks=3, seed=4, until=UNTIL)
    assert file_digests(tmp_path / "a") == file_digests(tmp_path / "b")
    assert first.counts == second.counts
    differing = {name for name, digest in file_digests(tmp_path / "c").items()
                 if file_digests(tmp_path / "a").get(name) != digest}
    assert "landing/access_log/access-2026-W47.csv" in differing
    assert other.weeks == first.weeks


def test_sizes_scale_with_students(tmp_path):
    small = generate(tmp_path / "small", students=60, weeks=1, until=UNTIL)
    large = generate(tmp_path / "large", students=240, weeks=1, until=UNTIL)
    plants = pd.concat([pd.read_csv(tmp_path / "small" / name) for name in ("expected-findings.csv",
                                                                             "near-misses.csv")])
    planted_events = (plants["subject_type"] == "access_event").sum()
    assert planted_events >= 6
    assert small.counts["access_log"] == 40 * 60 + planted_events
    assert large.counts["access_log"] == 40 * 240 + planted_events
    assert large.counts["students"] == 4 * small.counts["students"]
    for feed in ("guardians", "documents", "involvements"):
        assert 3 < large.counts[feed] / small.counts[feed] < 5, feed
    staff = pd.concat(pd.read_csv(p, dtype=str) for p in (large.landing / "staff").iterdir())
    assert 240 / 12 * 0.75 <= staff["staff_id"].nunique() <= 240 / 12 * 1.5  # about one per 12 students


def test_huge_weeks_are_split_into_several_files(tmp_path, monkeypatch):
    monkeypatch.setattr("pipelines.generate.access_log.MAX_EVENTS_PER_FILE", 1000)
    result = generate(tmp_path, students=60, weeks=1, until=UNTIL)
    files = sorted((result.landing / "access_log").iterdir())
    assert [p.name for p in files] == [f"access-2026-W47-part{i}.csv" for i in (1, 2, 3)]
    events = pd.concat(pd.read_csv(p, dtype=str) for p in files)
    assert len(events) == result.counts["access_log"]
    assert not events.duplicated(["source_system", "event_id"]).any()
    subjects = pd.read_csv(result.expected, dtype=str)["subject_id"]
    last_part = pd.read_csv(files[-1], dtype=str)
    in_last = set(last_part["source_system"] + ":" + last_part["event_id"])
    assert {s for s in subjects if ":" in s} <= in_last


# -- the board ------------------------------------------------------------------------------------


def test_board_is_realistic(warehouse):
    con, _ = warehouse
    rows = lambda sql: con.execute(sql).fetchall()
    assert rows("SELECT sector, count(*) FROM schools GROUP BY ALL ORDER BY 1") == [("PO", 1), ("VO", 1)]
    assert rows("SELECT count(DISTINCT board_id) FROM schools") == [(1,)]
    students = con.execute("SELECT sector, birth_date FROM students JOIN schools USING (school_id)").df()
    students["age"] = ages_at(students["birth_date"].to_numpy(), date(2026, 11, 22))
    ages = students.groupby("sector")["age"].agg(set)
    assert min(ages["PO"]) >= 4 and max(ages["PO"]) <= 12
    assert {12, 16, 17, 18} <= ages["VO"] and max(ages["VO"]) <= 18
    roles = {r for (r,) in rows("SELECT DISTINCT role FROM staff")}
    assert {"teacher", "mentor", "care_coordinator", "management", "administration", "psychologist"} <= roles
    kinds = {k for (k,) in rows("SELECT DISTINCT kind FROM recipients")}
    assert {"processor", "school", "samenwerkingsverband", "inspectorate", "child_protection"} <= kinds
    assert rows("SELECT count(*) FROM recipients WHERE content_chain") == [(1,)]
    assert rows("SELECT count(*) FROM students WHERE coalesce(eck_id, '') = ''") == [(0,)]
    assert rows("SELECT count(*) FROM documents WHERE category = 'psychological_report' AND case_id IS NOT NULL")[0][0]
    assert {r for (r,) in rows("SELECT DISTINCT relation FROM guardians")} == {"parent", "guardian", "foster_parent"}
    assert rows("SELECT count(*) FROM guardians WHERE relation = 'foster_parent' AND parental_authority")[0][0] == 0
    assert rows("SELECT count(DISTINCT given_by_role) FROM consents") == [(2,)]
    assert rows("SELECT count(DISTINCT source_system) FROM access_log") == [(2,)]
    assert rows("SELECT kind, school_id FROM calendar WHERE date_from = DATE '2026-11-13'") == [("holiday", None)]
    assert rows("SELECT count(*) FROM access_log WHERE CAST(occurred_at AS DATE) = DATE '2026-11-13'") == [(0,)]


def test_birthdays_that_later_rules_need(warehouse):
    con, _ = warehouse
    births = {b for (b,) in con.execute("SELECT birth_date FROM students").fetchall()}
    assert date(2010, 11, 18) in births  # turns 16 on the demo week's Wednesday
    assert date(2008, 11, 19) in births  # turns 18 on its Thursday
    assert any(b.month == 2 and b.day == 29 for b in births)


# -- planted findings -----------------------------------------------------------------------------


def test_background_is_clean_and_plants_give_exactly_the_expected_findings(generated, warehouse, expected):
    con, _ = warehouse
    for week in generated.weeks:
        found = oracle_findings(con, week)
        assert as_set(found) == as_set(expected[expected["week"] == week]), week


def test_near_misses_are_in_the_data_and_give_no_finding(generated, warehouse, near_misses):
    con, _ = warehouse
    assert set(near_misses["rule_id"]) == {"ACCESS-UNINVOLVED", "SHARE-EXCEPTION-UNSUPPORTED",
                                           "PROCESSOR-AGREEMENT-NOT-IN-FORCE"}
    assert len(near_misses) == 5 and (near_misses["week"] == WEEKS[-1]).all()
    flagged = set(oracle_findings(con, WEEKS[-1])["subject_id"])
    for subject_id in near_misses["subject_id"]:
        assert _exists(con, subject_id)
        assert subject_id not in flagged


def test_expected_findings_point_at_rows_of_their_week(warehouse, expected):
    con, _ = warehouse
    assert list(expected.columns) == ["rule_id", "severity", "week", "subject_type", "subject_id", "note"]
    assert expected["subject_id"].is_unique and (expected["note"] != "").all()
    for row in expected.itertuples():
        monday, sunday = parse_week(row.week)
        assert monday <= _exists(con, row.subject_id) <= sunday, row


def _exists(con, subject_id: str):
    """The local date of the access event or disclosure `subject_id` (fails when it does not exist)."""
    if ":" in subject_id:
        system, event_id = subject_id.split(":")
        sql = "SELECT CAST(occurred_at AS DATE) FROM access_log WHERE source_system = ? AND event_id = ?"
        found = con.execute(sql, [system, event_id]).fetchall()
    else:
        sql = "SELECT CAST(occurred_at AS DATE) FROM disclosures WHERE disclosure_id = ?"
        found = con.execute(sql, [subject_id]).fetchall()
    assert len(found) == 1, subject_id
    return found[0][0]


def test_demo_week_holds_every_planted_rule_and_earlier_weeks_a_trend(expected):
    demo = expected[expected["week"] == WEEKS[-1]]
    assert set(demo["rule_id"]) == PLANTED_RULES
    counts = demo["rule_id"].value_counts()
    assert counts["ACCESS-UNINVOLVED"] == 3 and counts["SHARE-NO-CONSENT"] == 4
    assert counts["SHARE-EXCEPTION-UNSUPPORTED"] == 4 and counts["PROCESSOR-AGREEMENT-NOT-IN-FORCE"] == 2
    per_week = expected.groupby("week").size()
    assert list(per_week.index) == WEEKS and per_week.is_monotonic_increasing and per_week.iloc[0] > 0


def test_severity_is_critical_exactly_for_special_categories(warehouse, expected):
    con, _ = warehouse
    for row in expected.itertuples():
        if row.subject_type == "disclosure":
            (categories,) = con.execute("SELECT data_categories FROM disclosures WHERE disclosure_id = ?",
                                        [row.subject_id]).fetchone()
        else:
            system, event_id = row.subject_id.split(":")
            (category,) = con.execute(
                """SELECT coalesce(a.category, d.category, 'general') FROM access_log a
                   LEFT JOIN documents d USING (document_id) WHERE source_system = ? AND event_id = ?""",
                [system, event_id]).fetchone()
            categories = [category]
        special = bool(set(categories) & {"care", "psychological_report", "medical"})
        assert row.severity == ("critical" if special else "high"), row


def test_the_clean_check_has_teeth(warehouse):
    """Undo what keeps the background clean and the oracle finds it: the holiday, parents' access
    to adult students, and involvements."""
    con, _ = warehouse
    con.begin()
    try:
        con.execute("DELETE FROM calendar WHERE kind = 'holiday'")
        con.execute("DELETE FROM consents WHERE purpose = 'parent_access'")
        con.execute("UPDATE involvements SET valid_to = valid_from WHERE relation IN ('teacher', 'mentor')")
        rules = oracle_findings(con, "2026-W47")["rule_id"].value_counts()
        assert rules["ACCESS-PARENT-18PLUS"] > 10 and rules["ACCESS-UNINVOLVED"] > 100
        gaps = oracle_findings(con, "2026-W46")
        assert {"magister@2026-11-13", "parnassys@2026-11-13"} <= set(gaps.loc[gaps["rule_id"] == "LOG-GAP",
                                                                               "subject_id"])
    finally:
        con.rollback()


def test_project_catalogue_agrees_with_the_plants(generated, warehouse, expected):
    """The rules in checks/rules give exactly the expected findings (for the rules the catalogue has)."""
    runner = pytest.importorskip("checks.runner")
    from checks.registry import load_catalogue

    con, _ = warehouse
    catalogue = {rule.id for rule in load_catalogue()}
    for week in generated.weeks:
        runner.run_checks(con, week, Settings())
        found = con.execute("SELECT rule_id, severity, week, subject_type, subject_id FROM findings WHERE week = ?",
                            [week]).df()
        want = expected[(expected["week"] == week) & expected["rule_id"].isin(catalogue)]
        assert as_set(found) == as_set(want), week


# -- usage errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"students": 59}, "at least 30 per school"),
        ({"schools": 0}, "--schools"),
        ({"weeks": 0}, "--weeks"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
    ],
)
def test_bad_arguments_are_usage_errors(tmp_path, arguments, message):
    with pytest.raises(GenerateError, match=message):
        generate(tmp_path, **{"students": 60, **arguments})
    assert not (tmp_path / "landing").exists()


def test_a_foreign_landing_folder_is_left_alone(tmp_path):
    foreign = tmp_path / "landing" / "students" / "mine.csv"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("student_id\n")
    with pytest.raises(GenerateError, match="not written by generate"):
        generate(tmp_path, students=60, weeks=1, until=UNTIL)
    assert foreign.exists()


def test_generating_again_replaces_an_earlier_board(tmp_path):
    generate(tmp_path, students=60, weeks=2, until=UNTIL)
    again = generate(tmp_path, students=60, weeks=1, until=UNTIL)
    assert sorted(p.name for p in (again.landing / "access_log").iterdir()) == ["access-2026-W47.csv"]
