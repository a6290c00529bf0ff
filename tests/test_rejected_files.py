"""A landing file rejected as a whole never stops the week (spec/landing.md): per feed, what it does to
the coverage of every rule, and that a header-only file is no error at all.

The rules' feeds are written out here from the table in spec/rules.md (required and consulted feeds),
independently of the catalogue's own metadata, so that a rule header that forgets a feed fails a test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from checks.runner import run_checks
from pipelines.contract import FEEDS
from pipelines.ingest import ingest_landing
from pipelines.settings import Settings
from pipelines.warehouse import connect
from tests.conftest import DEMO_WEEK, read_csv, schoolaudit

A = {"access_log", "students", "staff", "guardians", "documents", "consents", "calendar"}
B = {"disclosures", "consents", "students", "guardians"}
PROCESSOR = {"recipients", "processor_agreements", "students"}
# Every rule with the feeds it needs or consults (spec/rules.md, the table above "Default parameters").
RULE_FEEDS = {
    "ACCESS-UNKNOWN-ACTOR": A,
    "ACCESS-SHARED-ACCOUNT": A,
    "ACCESS-BREAK-GLASS-UNJUSTIFIED": A,
    "ACCESS-PSYCH-REPORT": A | {"involvements"},
    "ACCESS-STUDENT-OTHER": A,
    "ACCESS-GUARDIAN-NOT-LINKED": A,
    "ACCESS-PARENT-18PLUS": A,
    "ACCESS-PARENT-16PLUS": A,
    "ACCESS-PARENT-NO-AUTHORITY": A,
    "ACCESS-UNINVOLVED": A | {"involvements", "oneroster"},
    "SHARE-NO-CONSENT": B,
    "SHARE-CONSENT-INVALID-FORM": B,
    "SHARE-CONSENT-AFTER": B,
    "SHARE-CONSENT-WITHDRAWN": B,
    "SHARE-CONSENT-EXPIRED": B,
    "SHARE-CONSENT-WRONG-PARTY": B,
    "SHARE-CONSENT-SCOPE": B,
    "SHARE-CONSENT-AGE-TRANSITION": B,
    "SHARE-EXCEPTION-UNSUPPORTED": {"disclosures", "recipients"},
    "PROCESSOR-NO-AGREEMENT": PROCESSOR | {"disclosures"},
    "PROCESSOR-AGREEMENT-NOT-IN-FORCE": PROCESSOR | {"disclosures"},
    "PROCESSOR-SCOPE": PROCESSOR | {"disclosures"},
    "PROCESSOR-NOT-PSEUDONYMISED": PROCESSOR | {"disclosures"},
    "PROCESSOR-AGREEMENT-INCOMPLETE": PROCESSOR,
    "PROCESSOR-AGREEMENT-EXPIRING": PROCESSOR,
    "POLICY-NOT-APPROVED": {"policies", "council_decisions"},
    "LOG-GAP": {"access_log", "calendar"},
    "SIGNAL-VOLUME": {"access_log", "staff", "students"},
    "SIGNAL-BULK-EXPORT": {"access_log", "staff", "students"},
    "SIGNAL-AFTER-LEAVING": {"access_log", "staff", "students"},
    "SIGNAL-QUIET-HOURS": {"access_log", "staff", "students"},
    "SIGNAL-OWN-CHILD": {"access_log", "staff", "students", "guardians"},
}
EVENT_FEEDS = ("access_log", "disclosures")
BINARY = bytes(range(256)) * 8  # NUL bytes: rejected as not text, whatever the feed


def _coverage(con) -> dict[str, tuple]:
    return {
        rule: (status, reason_code, files)
        for rule, status, reason_code, files in con.execute(
            "SELECT rule_id, status, reason_code, reason_files FROM coverage WHERE week = ?", [DEMO_WEEK]
        ).fetchall()
    }


def _findings(con) -> set[tuple[str, str]]:
    return set(con.execute("SELECT rule_id, subject_id FROM findings WHERE week = ?", [DEMO_WEEK]).fetchall())


@pytest.fixture(scope="module")
def base(board, tmp_path_factory):
    """The generated board ingested and its demo week checked: what every case is compared with."""
    work = tmp_path_factory.mktemp("rejected-base")
    con = connect(work / "w.duckdb")
    try:
        ingest_landing(con, board.landing, Settings())
        run_checks(con, DEMO_WEEK, Settings())
        coverage, findings = _coverage(con), _findings(con)
    finally:
        con.close()
    assert set(coverage) == set(RULE_FEEDS), "the catalogue and this test's table disagree"
    assert all(status == "evaluated" for status, _, _ in coverage.values()), coverage
    return {"db": work / "w.duckdb", "landing": board.landing, "coverage": coverage, "findings": findings}


def _audit_with(base, tmp_path: Path, add) -> tuple[dict, set, object]:
    """Copy the base warehouse and landing folder, let `add(landing)` drop files, ingest and check again."""
    shutil.copy(base["db"], tmp_path / "w.duckdb")
    landing = tmp_path / "landing"
    shutil.copytree(base["landing"], landing)
    add(landing)
    con = connect(tmp_path / "w.duckdb")
    try:
        ingested = ingest_landing(con, landing, Settings())
        result = run_checks(con, DEMO_WEEK, Settings())
        return _coverage(con), _findings(con), (ingested, result)
    finally:
        con.close()


def _reject(feed: str):
    def add(landing: Path) -> Path:
        if feed == "oneroster":  # a bundle without users.csv, enrollments.csv and classes.csv
            (landing / "oneroster" / "broken").mkdir(parents=True, exist_ok=True)
            (landing / "oneroster" / "broken" / "manifest.csv").write_text("propertyName,value\n")
            return landing / "oneroster" / "broken"
        if feed == "sds":  # a School Data Sync folder without the files of either version
            (landing / "sds" / "broken").mkdir(parents=True, exist_ok=True)
            (landing / "sds" / "broken" / "readme.txt").write_text("export\n")
            return landing / "sds" / "broken"
        (landing / feed).mkdir(exist_ok=True)
        (landing / feed / "broken.csv").write_bytes(BINARY)
        return landing / feed / "broken.csv"

    return add


@pytest.mark.parametrize("feed", [*FEEDS, "oneroster", "sds"])
def test_a_rejected_file_affects_exactly_the_rules_that_read_its_feed(base, tmp_path, feed):
    path = f"{feed}/broken" if feed in ("oneroster", "sds") else f"{feed}/broken.csv"
    read_as = "oneroster" if feed == "sds" else feed  # SDS bundles give the OneRoster involvements too

    coverage, findings, (ingested, result) = _audit_with(base, tmp_path, _reject(feed))

    assert ingested.by_feed[feed]["files_rejected"] == 1
    assert result.rejected_files == [path]
    for rule, feeds in RULE_FEEDS.items():
        status, code, files = coverage[rule]
        if read_as not in feeds:
            assert coverage[rule] == base["coverage"][rule], rule
        elif feed in EVENT_FEEDS and rule != "LOG-GAP":
            # The events that did load are judged: the rule is incomplete, naming the file.
            assert (status, code, files) == ("incomplete", "rejected_events", [path]), rule
        else:
            # Evidence is missing (or, for LOG-GAP, the missing events may be in the file).
            assert (status, code, files) == ("not_evaluated", "rejected_evidence", [path]), rule
    if feed in EVENT_FEEDS:
        # The rejected file held nothing that loaded: every finding of the loaded rows still stands.
        not_evaluated = {rule for rule, (status, _, _) in coverage.items() if status == "not_evaluated"}
        assert findings == {f for f in base["findings"] if f[0] not in not_evaluated}


def test_a_file_with_a_header_and_no_rows_in_every_feed_changes_nothing(base, tmp_path):
    def add(landing: Path) -> None:
        for feed in FEEDS.values():
            (landing / feed.name).mkdir(exist_ok=True)
            (landing / feed.name / "empty-export.csv").write_text(",".join(feed.column_names) + "\n")

    coverage, findings, (ingested, result) = _audit_with(base, tmp_path, add)

    assert ingested.files_rejected == 0 and ingested.files_loaded == len(FEEDS)
    assert ingested.rows_read == 0 and result.rejected_files == []
    assert coverage == base["coverage"] and findings == base["findings"]


def test_removing_or_fixing_the_rejected_file_completes_the_audit_again(base, tmp_path):
    coverage, _, _ = _audit_with(base, tmp_path, _reject("consents"))
    assert coverage["SHARE-NO-CONSENT"][0] == "not_evaluated"
    landing = tmp_path / "landing"
    con = connect(tmp_path / "w.duckdb")
    try:
        (landing / "consents" / "broken.csv").unlink()
        ingest_landing(con, landing, Settings())
        assert run_checks(con, DEMO_WEEK, Settings()).rejected_files == []
        assert _coverage(con) == base["coverage"] and _findings(con) == base["findings"]

        # Dropped again, still broken: not evaluated again; then fixed under the same name.
        (landing / "consents" / "broken.csv").write_bytes(BINARY)
        ingest_landing(con, landing, Settings())
        run_checks(con, DEMO_WEEK, Settings())
        assert _coverage(con)["SHARE-NO-CONSENT"][:2] == ("not_evaluated", "rejected_evidence")
        (landing / "consents" / "broken.csv").write_text(
            "consent_id,student_id,given_by_id,given_by_role,purpose,form,given_at\n"
        )
        ingest_landing(con, landing, Settings())
        run_checks(con, DEMO_WEEK, Settings())
        assert _coverage(con) == base["coverage"] and _findings(con) == base["findings"]
    finally:
        con.close()


def test_the_week_remembers_which_files_it_was_checked_without(base, tmp_path):
    _, _, _ = _audit_with(base, tmp_path, _reject("access_log"))
    con = connect(tmp_path / "w.duckdb", read_only=True)
    try:
        assert con.execute("SELECT week, feed, path FROM week_rejected_files").fetchall() == [
            (DEMO_WEEK, "access_log", "access_log/broken.csv")
        ]
    finally:
        con.close()


# --- through the command line and Dagster: the reports are written and say so --------------------


def test_a_run_with_a_rejected_event_file_writes_both_reports_and_exits_3(landing_copy, tmp_path):
    _reject("access_log")(landing_copy)
    db, out = tmp_path / "w.duckdb", tmp_path / "reports"

    result = schoolaudit("run", "--landing", str(landing_copy), "--db", str(db), "--out", str(out),
                         "--week", DEMO_WEEK)  # fmt: skip
    dutch = schoolaudit("report", "--db", str(db), "--out", str(tmp_path / "nl"), "--week", DEMO_WEEK,
                        "--lang", "nl")  # fmt: skip

    assert result.returncode == 3 and dutch.returncode == 3, result.stdout + result.stderr + dutch.stderr
    assert "audit incomplete: 1 landing file rejected" in result.stdout and "access_log/broken.csv" in result.stdout
    folder = out / DEMO_WEEK
    coverage = {row["rule_id"]: row for row in read_csv(folder / "coverage.csv")}
    assert coverage["ACCESS-UNINVOLVED"]["status"] == "incomplete"
    assert "access_log/broken.csv" in coverage["ACCESS-UNINVOLVED"]["reason"]
    assert coverage["LOG-GAP"]["status"] == "not_evaluated"
    assert coverage["SHARE-NO-CONSENT"]["status"] == "evaluated"
    for lang, reports, sentence in (("en", folder, "audit is incomplete"),
                                    ("nl", tmp_path / "nl" / DEMO_WEEK, "De audit van deze week is onvolledig")):  # fmt: skip
        officer = (reports / "privacy-officer.html").read_text(encoding="utf-8")
        banner = officer.index('id="incomplete"')
        assert banner < officer.index('id="headline"'), lang  # at the top
        assert "access_log/broken.csv" in officer[banner : officer.index('id="headline"')], lang
        assert sentence in officer, lang
        council = (reports / "council-summary.html").read_text(encoding="utf-8")
        assert 'id="incomplete"' in council and sentence in council, lang
        assert "broken.csv" not in council and "access_log/" not in council, lang  # never a file name


def test_the_dagster_job_succeeds_with_a_warning_and_writes_the_reports(landing_copy, tmp_path):
    import dagster as dg

    from pipelines.assets import board_week_key
    from pipelines.boards import single_board
    from pipelines.definitions import build_definitions

    _reject("consents")(landing_copy)
    out = tmp_path / "reports"
    job = build_definitions(single_board(str(landing_copy), str(tmp_path / "w.duckdb"), str(out))).resolve_job_def(
        "weekly_audit"
    )

    result = job.execute_in_process(
        partition_key=board_week_key("default", DEMO_WEEK), instance=dg.DagsterInstance.ephemeral()
    )

    assert result.success
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "consents_batches_usable"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    [findings] = [m for m in result.get_asset_materialization_events() if m.asset_key.path == ["weekly_findings"]]
    metadata = findings.materialization.metadata
    assert metadata["rejected_files"].data == ["consents/broken.csv"]
    assert "SHARE-NO-CONSENT" in metadata["rules_not_evaluated"].value
    assert (out / DEMO_WEEK / "privacy-officer.pdf").is_file() and (out / DEMO_WEEK / "council-summary.pdf").is_file()
