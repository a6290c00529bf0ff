"""End to end with the rules: a staff access explained only by an involvement derived from a School
Data Sync bundle is explained by relation roster and gives no ACCESS-UNINVOLVED finding; the same
teacher looking at a student outside the section does; a rejected SDS bundle leaves the rule not
evaluated, as a rejected OneRoster bundle does; and the reports name what the bundle could not tell."""

import duckdb
from ingest_helpers import warehouse, write_text
from rule_fixtures import WEDNESDAY, WEEK, add_access, add_staff, add_student, check, coverage, findings
from sds_bundles import section_line, student_line, teacher_line, user_line, v1_bundle, v21_bundle

from pipelines.ingest import ingest_landing
from pipelines.settings import Settings
from tests.conftest import read_csv, schoolaudit

RULE = "ACCESS-UNINVOLVED"


def test_an_sds_roster_explains_an_access_and_nothing_else(tmp_path):
    con = warehouse(tmp_path)
    add_staff(con, "t-kfein", school="A", role="teacher")
    for student in ("s1", "s2"):
        add_student(con, student, school="A")
    landing = tmp_path / "landing"
    v21_bundle(
        landing,
        users=[user_line("t-kfein"), user_line("s1"), user_line("s2")],
        classes=["c1,brin1,Biologie,SY2627,"],
        enrollments=["c1,t-kfein,Teacher", "c1,s1,STUDENT"],
    )
    ingest_landing(con, landing, Settings())
    add_access(con, "e1", f"{WEDNESDAY} 10:00:00", actor="t-kfein", student="s1", category="progress")
    add_access(con, "e2", f"{WEDNESDAY} 10:05:00", actor="t-kfein", student="s2", category="progress")

    result = check(con, WEEK, rules=[RULE])

    assert findings(con, WEEK, RULE) == {(RULE, "magister:e2", "high")}
    assert coverage(result, RULE)["status"] == "evaluated"  # on the SDS roster alone
    assert con.execute("SELECT count(*) FROM involvements").fetchone() == (0,)


def _landing(tmp_path):
    """A small landing folder: one school, a teacher and two students, two accesses in the week, and an
    SDS v1 bundle in which the teacher teaches the first student (and which has a messy line)."""
    landing = tmp_path / "landing"
    write_text(landing / "schools" / "schools.csv", "school_id,name,sector\nbrin1,Het College,VO\n")
    write_text(landing / "staff" / "staff.csv", "staff_id,school_id,role\nT100,brin1,teacher\n")
    write_text(
        landing / "students" / "students.csv",
        "student_id,school_id,birth_date\nLL1001,brin1,2011-03-04\nLL1002,brin1,2011-05-06\n",
    )
    write_text(
        landing / "access_log" / "log.csv",
        "event_id,occurred_at,actor_id,actor_type,student_id,action,source_system,category\n"
        f"e1,{WEDNESDAY}T10:00:00,T100,staff,LL1001,view,magister,progress\n"
        f"e2,{WEDNESDAY}T10:05:00,T100,staff,LL1002,view,magister,progress\n",
    )
    v1_bundle(
        landing,
        "het-college",
        sections=[section_line("11001")],
        students=[student_line("13001", number="LL1001"), student_line("13002", number="LL1002")],
        teachers=[teacher_line("14001", number="T100")],
        enrollments=["11001,13001", "11099,13002"],  # the second names a section that is not there
        rosters=["11001,14001"],
        extra={"userFlags.csv": "userSourcedId,flag\n13001,iep\n"},
    )
    return landing


def test_schoolaudit_run_explains_the_teachers_access_by_the_sds_roster(tmp_path):
    landing = _landing(tmp_path)
    db, out = tmp_path / "w.duckdb", tmp_path / "reports"

    result = schoolaudit("run", "--landing", str(landing), "--db", str(db), "--out", str(out), "--week", WEEK)

    assert result.returncode in (0, 1), result.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        explained = dict(
            con.execute(
                "SELECT subject_id, explained_by || ':' || coalesce(detail, rule_id) FROM access_explanation_events"
            ).fetchall()
        )
        assert con.execute("SELECT status FROM coverage WHERE rule_id = ?", [RULE]).fetchone() == (
            "evaluated",
        )
    assert explained == {"magister:e1": "involvement:roster", "magister:e2": f"finding:{RULE}"}
    quarantined = read_csv(out / WEEK / "quarantine.csv")
    assert {(r["feed"], r["file"], r["line"], r["column"], r["value"]) for r in quarantined} == {
        ("sds", "sds/het-college/StudentEnrollment.csv", "3", "Section SIS ID", "11099"),
        ("sds", "sds/het-college/userFlags.csv", "", "", ""),
    }
    report = next(out.glob(f"{WEEK}/privacy-officer*.html")).read_text(encoding="utf-8")
    assert "Microsoft School Data Sync bundle" in report


def test_a_rejected_sds_bundle_leaves_the_roster_rule_not_evaluated_and_the_run_exits_3(tmp_path):
    landing = _landing(tmp_path)
    (landing / "sds" / "het-college" / "TeacherRoster.csv").unlink()
    db, out = tmp_path / "w.duckdb", tmp_path / "reports"

    result = schoolaudit("run", "--landing", str(landing), "--db", str(db), "--out", str(out), "--week", WEEK)

    assert result.returncode == 3, result.stderr
    assert "sds/het-college" in result.stderr + result.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "SELECT status, reason_code, reason_feeds, reason_files FROM coverage WHERE rule_id = ?", [RULE]
        ).fetchone() == ("not_evaluated", "rejected_evidence", ["sds"], ["sds/het-college"])
