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
# Every rule of spec/rules.md, sections A-F.
ALL_RULES = {
    "ACCESS-UNKNOWN-ACTOR", "ACCESS-SHARED-ACCOUNT", "ACCESS-BREAK-GLASS-UNJUSTIFIED", "ACCESS-PSYCH-REPORT",
    "ACCESS-STUDENT-OTHER", "ACCESS-GUARDIAN-NOT-LINKED", "ACCESS-PARENT-18PLUS", "ACCESS-PARENT-16PLUS",
    "ACCESS-PARENT-NO-AUTHORITY", "ACCESS-UNINVOLVED",
    "SHARE-NO-CONSENT", "SHARE-CONSENT-INVALID-FORM", "SHARE-CONSENT-AFTER", "SHARE-CONSENT-WITHDRAWN",
    "SHARE-CONSENT-EXPIRED", "SHARE-CONSENT-WRONG-PARTY", "SHARE-CONSENT-SCOPE", "SHARE-CONSENT-AGE-TRANSITION",
    "SHARE-EXCEPTION-UNSUPPORTED",
    "PROCESSOR-NO-AGREEMENT", "PROCESSOR-AGREEMENT-NOT-IN-FORCE", "PROCESSOR-SCOPE", "PROCESSOR-NOT-PSEUDONYMISED",
    "PROCESSOR-AGREEMENT-INCOMPLETE", "PROCESSOR-AGREEMENT-EXPIRING", "POLICY-NOT-APPROVED", "LOG-GAP",
    "SIGNAL-VOLUME", "SIGNAL-BULK-EXPORT", "SIGNAL-OWN-CHILD", "SIGNAL-AFTER-LEAVING", "SIGNAL-QUIET-HOURS",
}
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
    assert 120 < generated.counts["students"] < 150  # and a few planted students with exact birth dates
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
    planted_events = small.counts["access_log"] - 40 * 60  # plants add the same events at every size
    # the access plants name each event; the signals' plants add accesses per account on top
    assert planted_events >= plants.loc[plants["subject_type"] == "access_event", "subject_id"].nunique() >= 40
    assert large.counts["access_log"] == 40 * 240 + planted_events
    assert large.counts["students"] - small.counts["students"] == 180  # plants add the same few students
    planted = {"involvements": _planted_rows(tmp_path / "small", "involvements")}
    assert planted["involvements"] == _planted_rows(tmp_path / "large", "involvements") > 100
    for feed in ("guardians", "documents", "involvements"):
        grown = (large.counts[feed] - planted.get(feed, 0)) / (small.counts[feed] - planted.get(feed, 0))
        assert 3 < grown < 5, feed
    staff = pd.concat(pd.read_csv(p, dtype=str) for p in (large.landing / "staff").iterdir()
                      if p.stem != "staff-board-office")  # the signals' plants
    assert 240 / 12 * 0.75 <= staff["staff_id"].nunique() <= 240 / 12 * 1.5  # about one per 12 students


def _planted_rows(out: Path, feed: str) -> int:
    """Rows of `feed` that belong to the board office's staff (the signals' plants, at every size)."""
    staff = pd.concat(pd.read_csv(p, dtype=str) for p in (out / "landing" / "staff").iterdir())
    office = set(staff.loc[~staff["school_id"].isin(pd.read_csv(out / "landing" / "schools" / "schools.csv",
                                                                  dtype=str)["school_id"]), "staff_id"])
    rows = pd.concat(pd.read_csv(p, dtype=str) for p in (out / "landing" / feed).iterdir())
    return int(rows["staff_id"].isin(office).sum())


def test_staff_events_and_disclosures_can_be_set_for_the_benchmarks(tmp_path):
    usual = generate(tmp_path / "usual", students=240, weeks=2, until=UNTIL)
    sized = generate(tmp_path / "sized", students=240, weeks=2, until=UNTIL, staff=40, events_per_week=3_000,
                     disclosures_per_week=100)
    plants = pd.read_csv(tmp_path / "sized" / "expected-findings.csv")
    planted_events = usual.counts["access_log"] - 2 * 40 * 240
    assert sized.counts["access_log"] == 2 * 3_000 + planted_events  # exactly, per week
    planted_disclosures = plants.loc[plants["subject_type"] == "disclosure", "subject_id"].nunique()
    # about 100 a week (every stream's rate scaled alike, at least one of each), plus the plants'
    assert 2 * 90 <= sized.counts["disclosures"] - planted_disclosures <= 2 * 115
    assert usual.counts["disclosures"] < 0.6 * sized.counts["disclosures"]
    staff = pd.concat(pd.read_csv(p, dtype=str) for p in (sized.landing / "staff").iterdir()
                      if p.stem != "staff-board-office")
    assert 40 * 0.75 <= staff["staff_id"].nunique() <= 40 * 1.25
    usual_staff = pd.concat(pd.read_csv(p, dtype=str) for p in (usual.landing / "staff").iterdir()
                      if p.stem != "staff-board-office")
    assert usual_staff["staff_id"].nunique() < 30  # one per 12 students, and the board-wide posts
    meta = json.loads((tmp_path / "sized" / "generated.json").read_text())
    assert (meta["staff"], meta["events_per_week"], meta["disclosures_per_week"]) == (40, 3_000, 100)
    # and the planted findings are the same: only the background grew
    usual_plants = pd.read_csv(tmp_path / "usual" / "expected-findings.csv")
    assert sorted(usual_plants["rule_id"]) == sorted(plants["rule_id"])


def test_the_size_flags_of_the_command_line(tmp_path, capsys):
    from pipelines.cli import main

    flags = ["generate", "--out", str(tmp_path), "--students", "60", "--weeks", "1", "--until", UNTIL.isoformat()]
    assert main([*flags, "--staff", "9", "--events-per-week", "500", "--disclosures-per-week", "20"]) == 0
    meta = json.loads((tmp_path / "generated.json").read_text())
    assert (meta["staff"], meta["events_per_week"], meta["disclosures_per_week"]) == (9, 500, 20)
    with pytest.raises(SystemExit) as stopped:
        main([*flags, "--events-per-week", "0"])
    assert stopped.value.code == 2
    assert "--events-per-week" in capsys.readouterr().err


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
    assert rows("SELECT count(*) FROM recipients WHERE content_chain") == [(2,)]  # one planted, without agreement
    assert rows("SELECT count(*) FROM students WHERE coalesce(eck_id, '') = ''") == [(1,)]  # planted: no ECK iD
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


def test_every_rule_is_planted_in_the_demo_week_and_earlier_weeks_show_a_trend(expected):
    demo = expected[expected["week"] == WEEKS[-1]]
    assert set(demo["rule_id"]) == ALL_RULES
    counts = demo["rule_id"].value_counts()
    assert counts["ACCESS-UNINVOLVED"] == 5 and counts["SHARE-NO-CONSENT"] == 4
    assert counts["SHARE-EXCEPTION-UNSUPPORTED"] == 4 and counts["PROCESSOR-AGREEMENT-NOT-IN-FORCE"] == 3
    per_week = expected.groupby("week").size()
    assert list(per_week.index) == WEEKS and per_week.is_monotonic_increasing and per_week.iloc[0] > 0
    assert set(expected.loc[expected["week"] != WEEKS[-1], "rule_id"]) >= {
        "ACCESS-PSYCH-REPORT", "ACCESS-PARENT-16PLUS", "SHARE-CONSENT-EXPIRED", "PROCESSOR-SCOPE",
        "PROCESSOR-AGREEMENT-INCOMPLETE", "POLICY-NOT-APPROVED"}


def test_each_rule_gets_each_of_its_severities(expected):
    severities = expected.groupby("rule_id")["severity"].agg(set).to_dict()
    assert severities["ACCESS-UNINVOLVED"] == {"high", "critical"}
    assert severities["ACCESS-PARENT-16PLUS"] == {"medium", "high"}
    assert severities["ACCESS-PARENT-NO-AUTHORITY"] == {"medium"}  # also for care data
    assert severities["PROCESSOR-SCOPE"] == {"medium", "high"}
    assert severities["PROCESSOR-NOT-PSEUDONYMISED"] == {"medium", "high"}
    assert severities["POLICY-NOT-APPROVED"] == {"medium", "high"}
    assert severities["SHARE-CONSENT-AGE-TRANSITION"] == {"info"}  # also for care data
    assert severities["PROCESSOR-AGREEMENT-EXPIRING"] == {"info"}
    for rule in ("SHARE-NO-CONSENT", "SHARE-CONSENT-INVALID-FORM", "SHARE-CONSENT-SCOPE",
                 "SHARE-CONSENT-WRONG-PARTY", "SHARE-EXCEPTION-UNSUPPORTED"):
        assert severities[rule] == {"high", "critical"}, rule


def test_near_misses_are_in_the_data_and_give_no_finding_of_their_rule(generated, warehouse, near_misses):
    con, _ = warehouse
    assert len(near_misses) >= 40 and not near_misses.duplicated(["rule_id", "week", "subject_id"]).any()
    assert len(set(near_misses["rule_id"])) >= 22
    for week, misses in near_misses.groupby("week"):
        flagged = set(oracle_findings(con, week)[["rule_id", "subject_id"]].itertuples(index=False, name=None))
        for row in misses.itertuples():
            if row.subject_type in ("access_event", "disclosure"):
                _exists(con, row.subject_id)
            assert (row.rule_id, row.subject_id) not in flagged, row


@pytest.mark.parametrize(
    ("rule_id", "words"),
    [
        ("ACCESS-PARENT-16PLUS", "day before the 16th birthday"),
        ("SHARE-CONSENT-AGE-TRANSITION", "day before the 16th birthday"),
        ("SHARE-CONSENT-AFTER", "same day"),
        ("ACCESS-UNINVOLVED", "last day of the grace window"),
        ("ACCESS-UNINVOLVED", "first day of the grace window"),
        ("SHARE-CONSENT-WRONG-PARTY", "born 29 February"),
        ("ACCESS-BREAK-GLASS-UNJUSTIFIED", "justified break glass by an uninvolved"),
        ("ACCESS-PSYCH-REPORT", "last day of the assessment involvement"),
        ("ACCESS-PARENT-18PLUS", "consent names this parent"),
        ("PROCESSOR-AGREEMENT-EXPIRING", "plus 61 days"),
        ("LOG-GAP", "holiday for every school"),
    ],
)
def test_the_named_near_misses_are_planted(near_misses, rule_id, words):
    notes = near_misses.loc[near_misses["rule_id"] == rule_id, "note"]
    assert notes.str.contains(words, regex=False).any(), (rule_id, words)


def test_expected_findings_point_at_subjects_of_their_week(warehouse, expected):
    con, _ = warehouse
    assert list(expected.columns) == ["rule_id", "severity", "week", "subject_type", "subject_id", "note"]
    assert not expected.duplicated(["rule_id", "week", "subject_id"]).any() and (expected["note"] != "").all()
    for row in expected[expected["subject_type"].isin(["access_event", "disclosure"])].itertuples():
        monday, sunday = parse_week(row.week)
        assert monday <= _exists(con, row.subject_id) <= sunday, row
    one = lambda sql, *args: con.execute(sql, list(args)).fetchone()[0]
    for row in expected[expected["subject_type"] == "agreement"].itertuples():
        assert one("SELECT count(*) FROM processor_agreements WHERE agreement_id = ?", row.subject_id) == 1, row
    for row in expected[expected["subject_type"] == "policy"].itertuples():
        policy_id, version, scope = row.subject_id.split("@")
        assert one("SELECT count(*) FROM policies WHERE policy_id = ? AND version = ? AND scope = ?",
                   policy_id, version, scope) == 1, row
    for row in expected[expected["subject_type"] == "source_system"].itertuples():
        _system, day = row.subject_id.split("@")
        assert date.fromisoformat(day).weekday() < 5 and parse_week(row.week)[0] <= date.fromisoformat(day)


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


def test_critical_exactly_when_a_special_category_is_involved(warehouse, expected):
    """For the rules whose severity depends on the data: read the categories back from the landing data."""
    con, _ = warehouse
    special = {"care", "psychological_report", "medical"}
    access_rules = {"ACCESS-UNINVOLVED": "critical", "ACCESS-PARENT-16PLUS": "high"}
    for row in expected[expected["rule_id"].isin(access_rules)].itertuples():
        system, event_id = row.subject_id.split(":")
        (category,) = con.execute(
            """SELECT coalesce(a.category, d.category, 'general') FROM access_log a
               LEFT JOIN documents d USING (document_id) WHERE source_system = ? AND event_id = ?""",
            [system, event_id]).fetchone()
        plain = "high" if row.rule_id == "ACCESS-UNINVOLVED" else "medium"
        assert row.severity == (access_rules[row.rule_id] if category in special else plain), row
    share_rules = expected["rule_id"].str.startswith("SHARE-") & (
        expected["rule_id"] != "SHARE-CONSENT-AGE-TRANSITION")
    for row in expected[share_rules].itertuples():
        (categories,) = con.execute("SELECT data_categories FROM disclosures WHERE disclosure_id = ?",
                                    [row.subject_id]).fetchone()
        assert row.severity == ("critical" if set(categories) & special else "high"), row


def test_standing_findings_are_listed_for_every_week_in_which_they_hold(expected):
    def weeks(rule_id, subject_id):
        rows = expected[(expected["rule_id"] == rule_id) & (expected["subject_id"] == subject_id)]
        return dict(zip(rows["week"], rows["severity"]))

    assert weeks("PROCESSOR-AGREEMENT-INCOMPLETE", "vwo-postduif-2024") == dict.fromkeys(WEEKS, "medium")
    assert weeks("PROCESSOR-AGREEMENT-INCOMPLETE", "vwo-inzicht-2026") == {WEEKS[-1]: "medium"}  # from its Monday
    assert weeks("PROCESSOR-AGREEMENT-EXPIRING", "vwo-bladwijzer-2025") == {WEEKS[-1]: "info"}  # Sunday + 60
    assert weeks("PROCESSOR-AGREEMENT-EXPIRING", "vwo-agenda-2023") == dict.fromkeys(WEEKS, "info")
    assert weeks("POLICY-NOT-APPROVED", "protocol-medisch-handelen@10@board") == dict.fromkeys(WEEKS, "high")
    # The school's MR consents on the demo week's Wednesday: high before, medium from then on.
    school = [s for s in expected["subject_id"] if s.startswith("verzuimprotocol@2@")]
    assert weeks("POLICY-NOT-APPROVED", school[0]) == {WEEKS[0]: "high", WEEKS[1]: "high", WEEKS[2]: "medium"}


def test_the_log_gap_is_a_day_without_events_of_one_system(warehouse, expected):
    con, _ = warehouse
    (gap,) = expected.loc[expected["rule_id"] == "LOG-GAP", "subject_id"]
    system, day = gap.split("@")
    logged = dict(con.execute("""SELECT source_system, count(*) FROM access_log
                                 WHERE CAST(timezone('Europe/Amsterdam', occurred_at) AS DATE) = ? GROUP BY ALL""",
                              [day]).fetchall())
    assert system not in logged and len(logged) >= 1  # the other systems log as usual
    study_days = con.execute("SELECT count(*) FROM calendar WHERE date_from = ? AND kind = 'study_day' "
                             "AND school_id IS NOT NULL", [day]).fetchone()[0]
    assert study_days == 1  # a study day at one school does not excuse it


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


@pytest.mark.parametrize(
    ("until", "weeks", "schools", "planted"),
    [
        # The demo week holds 28 February and 1 March of 2026: someone born on 29 February 2008 is 17
        # on the Saturday and 18 on the Sunday (the default leap-day convention).
        (date(2026, 3, 4), 2, 2,
         {"born on 29 February: still 17 on 28 February", "born on 29 February: 18 on 1 March"}),
        # One primary school, one week around the end of summer time (25 October 2026): no log gap
        # (nothing logged before the week), the holiday on the demo Friday.
        (date(2026, 10, 28), 1, 1, set()),
    ],
)
def test_other_windows_and_boards_are_clean_too(tmp_path, until, weeks, schools, planted):
    result = generate(tmp_path / "g", schools=schools, students=30 * schools, weeks=weeks, seed=2, until=until)
    expected = pd.read_csv(result.expected, dtype=str, keep_default_na=False)
    assert planted <= set(expected["note"])
    con = connect(tmp_path / "w.duckdb")
    try:
        ingest_landing(con, result.landing, Settings())
        for week in result.weeks:
            assert as_set(oracle_findings(con, week)) == as_set(expected[expected["week"] == week]), week
    finally:
        con.close()
    rules = set(expected["rule_id"])
    assert rules == ALL_RULES - ({"LOG-GAP"} if weeks == 1 else set())


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
        ({"staff": 0}, "--staff"),
        ({"events_per_week": 0}, "--events-per-week"),
        ({"disclosures_per_week": -1}, "--disclosures-per-week"),
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
