"""End to end with the rules: a staff access explained only by an involvement derived from a OneRoster
bundle gives no ACCESS-UNINVOLVED finding; the same teacher looking at a student outside the class
does; and the rule is evaluated on a roster alone (no involvements feed)."""

from ingest_helpers import warehouse
from oneroster_bundles import ingest, write_bundle
from rule_fixtures import WEEK, add_access, add_staff, add_student, check, coverage, findings

RULE = "ACCESS-UNINVOLVED"


def test_a_roster_involvement_explains_an_access_and_nothing_else(tmp_path):
    con = warehouse(tmp_path)
    add_staff(con, "T100", school="A", role="teacher")
    for student in ("s1", "s2", "s3"):
        add_student(con, student, school="A")
    landing = tmp_path / "landing"
    # the teacher's OneRoster user has its own sourcedId; its identifier is the staff_id of the access log
    write_bundle(
        landing,
        users=[
            "u-17,active,,teacher,tina,T100",
            "s1,active,,student,sam,",
            "s2,active,,student,sue,",
            "s3,active,,student,sid,",
        ],
        classes=["c1,active,,Physics,,org1,term1", "c2,tobedeleted,,Maths,,org1,term1"],
        enrollments=[
            "e1,active,,c1,org1,u-17,teacher,,",
            "e2,active,,c1,org1,s1,student,,",
            "e3,active,,c2,org1,u-17,teacher,,",
            "e4,active,,c2,org1,s3,student,,",  # a class to be deleted explains nothing
        ],
    )
    ingest(con, landing)
    # Wednesday of 2026-W47, inside the autumn term 2026-08-24 .. 2027-01-31 of the class
    add_access(con, "e1", "2026-11-18 10:00:00", actor="T100", student="s1", category="progress")
    add_access(con, "e2", "2026-11-18 10:05:00", actor="T100", student="s2", category="progress")
    add_access(con, "e3", "2026-11-18 10:10:00", actor="T100", student="s3", category="progress")

    result = check(con, WEEK, rules=[RULE])

    assert findings(con, WEEK, RULE) == {(RULE, "magister:e2", "high"), (RULE, "magister:e3", "high")}
    assert coverage(result, RULE)["status"] == "evaluated"  # the involvements feed is empty
    assert con.execute("SELECT count(*) FROM involvements").fetchone() == (0,)
