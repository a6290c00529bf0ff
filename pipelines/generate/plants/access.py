"""Plants for section A by staff and student actors: unknown actors, shared accounts, break glass,
psychological reports, students looking at others, and access without involvement.

Each access event gets at most one finding (the first rule in the order of spec/rules.md), so a plant
that combines two problems names the one that wins and, where useful, the one that must stay silent.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import partial

from pipelines.generate.plants.plan import (
    DEMO,
    Access,
    Plan,
    access_severity,
    any_student,
    main_school,
    plant,
    school_students,
    shared_account,
    staff_with_role,
    uninvolved_teacher,
)

# -- ACCESS-UNKNOWN-ACTOR ----------------------------------------------------------------------


def plant_access_unknown_actor(plan: Plan) -> None:
    board = plan.board
    student = partial(any_student, board, main_school(board), board.rng("plant:access-unknown-actor"))
    rule = "ACCESS-UNKNOWN-ACTOR"
    plant(
        plan,
        Access((DEMO, 0, "09:40"), "extern-stagiair-07", student, category="progress",
               finding=(rule, "high", "a staff account that is not in staff (an intern's login)")),
        Access((DEMO, 2, "20:15"), "portaal-gast-17", student, actor_type="guardian", category="attendance",
               finding=(rule, "high", "a guardian account that is not in guardians at all")),
        # The first rule wins over an unjustified break glass.
        Access((-2, 1, "16:45"), "extern-stagiair-07", student, category="care", break_glass=True,
               finding=(rule, "high", "unknown staff account using break glass without justification"),
               near_miss=("ACCESS-BREAK-GLASS-UNJUSTIFIED", "the unknown actor comes first")),
    )


# -- ACCESS-SHARED-ACCOUNT ---------------------------------------------------------------------


def plant_access_shared_account(plan: Plan) -> None:
    board = plan.board
    rng = board.rng("plant:access-shared-account")
    rule = "ACCESS-SHARED-ACCOUNT"
    desk, school = shared_account(board)
    student = partial(any_student, board, school, rng)
    plant(
        plan,
        # Attendance is within the administration role's allowance: only the shared account is wrong.
        Access((DEMO, 1, "08:05"), desk, student, category="attendance",
               finding=(rule, "high",
                        "the reception desk's shared account viewed attendance (within its role)"),
               near_miss=("ACCESS-UNINVOLVED",
                          "the role allowance would explain it, but the account is shared")),
        Access((DEMO, 3, "12:30"), desk, student, category="care", break_glass=True,
               finding=(rule, "high",
                        "shared account opened care data with break glass and no justification"),
               near_miss=("ACCESS-BREAK-GLASS-UNJUSTIFIED", "the shared account comes first")),
        Access((-3, 0, "08:20"), desk, student, category="administrative",
               finding=(rule, "high", "shared account viewed administrative data")),
    )


# -- ACCESS-BREAK-GLASS-UNJUSTIFIED -------------------------------------------------------------


def plant_access_break_glass(plan: Plan) -> None:
    board = plan.board
    stranger = partial(uninvolved_teacher, board, main_school(board), board.rng("plant:access-break-glass"))
    rule = "ACCESS-BREAK-GLASS-UNJUSTIFIED"
    plant(
        plan,
        Access((DEMO, 2, "13:15"), who=stranger, category="care", break_glass=True,
               finding=(rule, "high",
                        "break glass on care data without a justification (uninvolved teacher)"),
               near_miss=("ACCESS-UNINVOLVED", "break glass is judged first")),
        # A justified break glass is listed for review: no finding, not even for the missing involvement.
        Access((DEMO, 0, "11:02"), who=stranger, category="administrative", break_glass=True,
               justification="Leerling onwel geworden, ouders gebeld",
               near_miss=[(rule, "justified break glass by an uninvolved teacher"),
                          ("ACCESS-UNINVOLVED", "a justified break glass explains the access")]),
        Access((-2, 3, "10:10"), who=stranger, category="progress", break_glass=True,
               finding=(rule, "high", "break glass without a justification (earlier week)")),
    )


# -- ACCESS-PSYCH-REPORT -----------------------------------------------------------------------


def plant_access_psych_report(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rng = board.rng("plant:access-psych-report")
    school = main_school(board)
    rule = "ACCESS-PSYCH-REPORT"
    documents, involvements = board.tables["documents"], board.tables["involvements"]

    # A mentor opening the psychological report of a student they mentor: involvement does not count.
    reports = documents[
        (documents["category"] == "psychological_report")
        & documents["student_id"].isin(set(school_students(board, school)))
    ]
    report = reports.iloc[0]
    mentor = involvements.loc[
        (involvements["relation"] == "mentor") & (involvements["student_id"] == report["student_id"]),
        "staff_id",
    ].iloc[0]
    own = {"actor": mentor, "student": report["student_id"], "document": report["document_id"]}
    plant(
        plan,
        Access((DEMO, 1, "15:50"), **own,
               finding=(rule, "critical", "the student's own mentor opened their psychological report")),
        # Unjustified break glass is judged before the report rule; a justified one ends the judgement.
        Access((DEMO, 3, "08:40"), **own, break_glass=True,
               finding=("ACCESS-BREAK-GLASS-UNJUSTIFIED", "high",
                        "mentor used break glass on a psychological report without a justification"),
               near_miss=(rule, "break glass is judged first")),
        Access((DEMO, 3, "09:05"), **own, break_glass=True,
               justification="Crisisoverleg: handelingsadvies nodig",
               near_miss=(rule, "justified break glass: no later rule applies")),
    )

    # A second psychologist, in one assessment case of a student that has two (and a report without
    # a case number). The involvement ends on the demo week's Wednesday: no grace for reports.
    psychologist = board.add_staff(
        school, "psychologist", "Hendriks, Marieke", window.start - timedelta(days=400)
    )
    student = any_student(board, school, rng)
    filed = datetime.combine(window.start - timedelta(days=30), time(14))
    own_case = board.add_document(student, "psychological_report", filed, case_id="case-P0001")
    other_case = board.add_document(student, "psychological_report", filed, case_id="case-P0002")
    no_case = board.add_document(student, "psychological_report", filed)
    board.add(
        "involvements",
        staff_id=psychologist,
        student_id=student,
        relation="assessment",
        valid_from=window.start - timedelta(days=90),
        valid_to=window.day(DEMO, 2),
        case_id="case-P0001",
    )
    plant(
        plan,
        Access((DEMO, 1, "10:20"), psychologist, student, category="psychological_report",
               document=other_case,
               finding=(rule, "critical",
                        "psychologist opened the report of an assessment case they are not in")),
        Access((DEMO, 1, "10:30"), psychologist, student, document=no_case,
               near_miss=(rule, "report without a case number: any assessment involvement counts")),
        Access((DEMO, 2, "23:40"), psychologist, student, document=own_case, style=0,
               near_miss=(rule, "own case, on the last day of the assessment involvement (late evening)")),
        Access((DEMO, 3, "00:05"), psychologist, student, document=own_case, style=2,
               finding=(rule, "critical", ("own case, the day after the involvement ended (no grace); "
                                           "written in UTC, still the day before"))),
        Access((-2, 2, "11:11"), psychologist, student, document=other_case,
               finding=(rule, "critical", "report of another assessment case (earlier week)")),
    )


# -- ACCESS-STUDENT-OTHER ----------------------------------------------------------------------


def plant_access_student_other(plan: Plan) -> None:
    board = plan.board
    rule = "ACCESS-STUDENT-OTHER"
    students = board.rng("plant:access-student-other").permutation(school_students(board, main_school(board)))
    viewer, other, third = (str(s) for s in students[:3])
    plant(
        plan,
        Access((DEMO, 2, "19:30"), viewer, other, actor_type="student", category="progress",
               finding=(rule, "high", "a student viewed a classmate's grades")),
        Access((DEMO, 2, "19:25"), viewer, viewer, actor_type="student", category="progress",
               near_miss=(rule, "the same student viewing their own grades")),
        Access((-3, 3, "21:05"), viewer, third, actor_type="student", category="attendance",
               finding=(rule, "high", "a student viewed another's attendance")),
    )


# -- ACCESS-UNINVOLVED -------------------------------------------------------------------------


def plant_access_uninvolved(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rng = board.rng("plant:access-uninvolved")
    school = main_school(board)
    rule = "ACCESS-UNINVOLVED"

    # A teacher looking at the progress of a student in another class: in the demo week, and in
    # earlier weeks so that the report shows a trend.
    stranger = partial(uninvolved_teacher, board, school, rng)
    note = "teacher viewed the progress of a student in a class they do not teach"
    plant(plan, *(Access(at, who=stranger, category="progress", finding=(rule, "high", note))
                  for at in [(DEMO, 1, "10:14"), (-2, 2, "13:40"), (-2, 3, "09:05"), (-3, 1, "11:30")]))

    # A teacher opening a care file of a student they have nothing to do with (primary school). The
    # event names no category: it is the document's (care), so the finding is critical.
    teacher, student = uninvolved_teacher(board, 0, rng)
    care_file = board.add_document(
        student, "care", datetime.combine(window.start - timedelta(days=40), time(11))
    )
    plant(plan, Access((DEMO, 3, "14:22"), teacher, student, document=care_file, finding=(
        rule, access_severity("care"), "teacher opened the care file of a student without involvement")))

    # Grace windows around involvements of new staff (no other involvement, no role allowance).
    # Times just after local midnight fall on the previous day in UTC: only the local date is right.
    def new_teacher(name: str, joined_days_ago: int, relation: str, valid_from, valid_to) -> tuple[str, str]:
        staff_id = board.add_staff(school, "teacher", name, window.start - timedelta(days=joined_days_ago))
        student = any_student(board, school, rng)
        board.add("involvements", staff_id=staff_id, student_id=student, relation=relation,
                  valid_from=valid_from, valid_to=valid_to)
        return staff_id, student

    tuesday, wednesday, thursday = window.day(DEMO, 1), window.day(DEMO, 2), window.day(DEMO, 3)
    ended = new_teacher("Bakker, Ilse", 200, "substitute", wednesday - timedelta(days=91),
                        wednesday - timedelta(days=31))
    last_day = new_teacher("Smit, Jesse", 200, "substitute", thursday - timedelta(days=90),
                           thursday - timedelta(days=30))
    newcomer = new_teacher("Kaya, Hiba", 10, "teacher", tuesday + timedelta(days=14), None)

    # A teacher who left before the window is still known (whatever the dates), but involved with nobody.
    staff = board.tables["staff"]
    former = staff.loc[staff["valid_to"].notna() & (staff["school_id"] == board.school_id(school)),
                       "staff_id"]
    student = partial(any_student, board, school, rng)
    plant(
        plan,
        Access((DEMO, 2, "00:20"), *ended, category="attendance",
               finding=(rule, "high", ("substitute viewed a student 31 days after the involvement ended "
                                       "(one day past the grace window)"))),
        Access((DEMO, 3, "23:50"), *last_day, category="progress", near_miss=(
            rule, "view exactly 30 days after the involvement ended (last day of the grace window)")),
        Access((DEMO, 1, "00:10"), *newcomer, category="progress",
               near_miss=(rule, ("view exactly 14 days before the involvement starts (first day of the "
                                 "grace window), just after local midnight"))),
        # Administration looking at attendance at their own school: the role allows it.
        Access((DEMO, 0, "08:31"), staff_with_role(board, school, "administration"), student,
               category="attendance",
               near_miss=(rule, "administration viewed attendance at its own school (role allowance)")),
        Access((DEMO, 0, "18:03"), str(former.iloc[0]), student, category="progress",
               finding=(rule, "high", "a teacher who left the school still logs in and views grades"),
               near_miss=("ACCESS-UNKNOWN-ACTOR", "a staff member who left is still known")),
        # A student the school does not list: no role allowance can apply (no school), so management
        # looking at its administrative data is a finding.
        Access((DEMO, 1, "09:55"), staff_with_role(board, school, "management"), "0999999",
               category="administrative", source_system=board.system_of_school(school),
               finding=(rule, "high", "management viewed a student number the school does not list")),
    )


PLANTS = (
    plant_access_unknown_actor,
    plant_access_shared_account,
    plant_access_break_glass,
    plant_access_psych_report,
    plant_access_student_other,
    plant_access_uninvolved,
)
