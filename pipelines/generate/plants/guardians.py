"""Plants for section A by guardian actors: links, the ages of 16 and 18, and parental authority.

Every age plant gets its own planted student with a birth date chosen against the demo week, and its
own guardians, so the plant alone decides what happens to them (the background never touches them).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import partial

from pipelines.generate.basics import is_leap
from pipelines.generate.plants.plan import (
    DEMO,
    Access,
    Plan,
    any_student,
    birthday_weekday,
    born_aged,
    born_turning,
    family,
    linked_guardian,
    main_school,
    plant,
)


def _stranger(plan: Plan, guardian: str, school: int, rng) -> str:
    """A student of `school` that `guardian` has no link with."""
    guardians = plan.board.tables["guardians"]
    linked = set(guardians.loc[guardians["guardian_id"] == guardian, "student_id"])
    while (student := any_student(plan.board, school, rng)) in linked:
        pass
    return student


# -- ACCESS-GUARDIAN-NOT-LINKED ------------------------------------------------------------------


def plant_access_guardian_not_linked(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rng = board.rng("plant:access-guardian-not-linked")
    school = main_school(board)
    rule = "ACCESS-GUARDIAN-NOT-LINKED"
    guardian, _ = linked_guardian(board, school, rng)
    stranger = partial(_stranger, plan, guardian, school, rng)
    # A foster placement that ended on the demo week's Monday (the link's valid_to).
    student = board.add_student(school, born_aged(board, 13), "Yara Nguyen")
    foster = board.add_guardian(student, "foster_parent", False, "Dijkstra, Sanne",
                                valid_from=window.start - timedelta(days=400), valid_to=window.day(DEMO, 0))
    board.add_guardian(student, "guardian", True, "Bureau Jeugdzorg, voogd Kees Vos")
    plant(
        plan,
        Access((DEMO, 1, "20:40"), guardian, stranger, "guardian", category="progress",
               finding=(rule, "high", "a parent viewed the grades of a child that is not theirs")),
        Access((DEMO, 0, "20:10"), foster, student, "guardian", category="progress",
               near_miss=(rule, "foster parent on the last day of the placement")),
        Access((DEMO, 1, "07:30"), foster, student, "guardian", category="progress",
               finding=(rule, "high", "foster parent the day after the placement ended")),
        Access((-2, 2, "21:30"), guardian, stranger, "guardian", category="attendance",
               finding=(rule, "high", "a parent viewed another child's attendance (earlier week)")),
    )


# -- ACCESS-PARENT-18PLUS ------------------------------------------------------------------------


def plant_access_parent_18plus(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rng = board.rng("plant:access-parent-18plus")
    school = main_school(board)
    rule = "ACCESS-PARENT-18PLUS"

    # Turning 18 in the demo week: the evening before is fine, just after midnight is not (written in
    # UTC, that moment is still on the day before).
    weekday = birthday_weekday(board, 18, (3, 2, 1))
    student, (mother, _) = family(board, school, born_turning(window.day(DEMO, weekday), 18), "Lotte Bakker",
                                  ("parent", True, "Bakker, Anouk"), ("parent", True, "Bakker, Ruben"))
    plant(
        plan,
        Access((DEMO, weekday - 1, "21:00"), mother, student, "guardian", category="progress",
               near_miss=(rule, "the evening before the 18th birthday")),
        Access((DEMO, weekday, "00:05"), mother, student, "guardian", category="progress", style=2,
               finding=(rule, "high",
                        ("parent viewed grades on the 18th birthday just after midnight "
                         "(in UTC still the day before)"))),
    )

    # An adult student who allowed one parent (by name) to see the whole file; the consent lists a
    # single category, but it covers the whole file.
    adult, (allowed, other) = family(board, school, born_aged(board, 18, 200), "Jesse de Wit",
                                     ("parent", True, "de Wit, Fatima"), ("parent", True, "de Wit, Jan"))
    plan.consent(adult, adult, "student", window.start - timedelta(days=60), purpose="parent_access",
                 categories=["progress"], recipient_id=allowed)
    # A guardian of another family comes first as not linked.
    guardian, _ = linked_guardian(board, school, rng)
    plant(
        plan,
        Access((DEMO, 0, "19:45"), allowed, adult, "guardian", category="care", near_miss=(
            rule, "the adult student's parent_access consent names this parent; it covers the whole file")),
        Access((DEMO, 1, "19:50"), other, adult, "guardian", category="progress",
               finding=(rule, "high", "the adult student's consent names the other parent")),
        Access((DEMO, 2, "22:10"), guardian, adult, "guardian", category="progress",
               finding=("ACCESS-GUARDIAN-NOT-LINKED", "high",
                        "a guardian of another family viewed an adult student"),
               near_miss=(rule, "not linked comes first")),
        Access((-2, 0, "20:00"), other, adult, "guardian", category="attendance",
               finding=(rule, "high", "parent viewed an adult student's attendance")),
    )


# -- ACCESS-PARENT-16PLUS and ACCESS-PARENT-NO-AUTHORITY ---------------------------------------


def plant_access_parent_16plus(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    school = main_school(board)
    rule = "ACCESS-PARENT-16PLUS"

    # Turning 16 in the demo week: care data the evening before is fine, just after midnight is not.
    weekday = birthday_weekday(board, 16, (2, 3, 1))
    student, (father, mother) = family(board, school, born_turning(window.day(DEMO, weekday), 16),
                                       "Milan Kaya",
                                       ("parent", True, "Kaya, Thijs"), ("parent", True, "Kaya, Ayşe"))
    plant(
        plan,
        Access((DEMO, weekday - 1, "23:50"), father, student, "guardian", category="care", style=0,
               near_miss=(rule,
                          "care data the day before the 16th birthday (late evening, bare local time)")),
        Access((DEMO, weekday, "00:15"), father, student, "guardian", category="care", style=2,
               finding=(rule, "high",
                        "care data (special category) just after midnight on the 16th birthday")),
        Access((DEMO, weekday, "19:00"), mother, student, "guardian", category="educational_report",
               finding=(rule, "medium",
                        "educational report of a 16-year-old (outside what a parent may see)")),
    )

    # A 17-year-old with a foster parent (no authority) and a guardian (voogd). The student allowed
    # the voogd; the foster parent wrote a parent_access consent themselves, which does not count.
    teen, (foster, voogd) = family(board, school, born_aged(board, 17, 100), "Sem El Amrani",
                                   ("foster_parent", False, "Visser, Marieke"),
                                   ("guardian", True, "Stichting Voogdij, Daan Mulder"))
    signed = window.start - timedelta(days=30)
    plan.consent(teen, teen, "student", signed, purpose="parent_access", categories=None, recipient_id=voogd,
                 form="digital_signature")
    plan.consent(teen, foster, "guardian", signed, purpose="parent_access", categories=None,
                 recipient_id=foster)
    plant(
        plan,
        Access((DEMO, 1, "18:30"), voogd, teen, "guardian", category="medical",
               near_miss=(rule, "the 17-year-old allowed this guardian to see the whole file")),
        Access((DEMO, 2, "18:35"), foster, teen, "guardian", category="care",
               finding=(rule, "high",
                        ("foster parent viewed care data of a 17-year-old; their own parent_access "
                                       "consent does not count")),
               near_miss=("ACCESS-PARENT-NO-AUTHORITY", "the 16/17 rule comes first")),
        Access((DEMO, 3, "18:40"), foster, teen, "guardian", category="administrative",
               finding=("ACCESS-PARENT-NO-AUTHORITY", "medium",
                        "foster parent without authority viewed administrative data of a 17-year-old"),
               near_miss=(rule, "administrative data is within what a parent may see of a 16/17-year-old")),
        Access((-2, 1, "20:20"), foster, teen, "guardian", category="medical",
               finding=(rule, "high", "foster parent viewed medical data of a 17-year-old")),
    )


def plant_access_parent_no_authority(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rule = "ACCESS-PARENT-NO-AUTHORITY"
    school = 0  # the primary school: young children
    foster_child, (foster, _) = family(board, school, born_aged(board, 10, 50), "Noah Peters",
                                       ("foster_parent", False, "Vos, Emma"),
                                       ("guardian", True, "Stichting Voogdij, Ilse Bos"))

    # Authority that ended: the same parent has a row with authority until the day before the demo
    # week and one without from its Monday.
    child = board.add_student(school, born_aged(board, 11, 150), "Tess Meijer")
    monday = window.day(DEMO, 0)
    parent = board.add_guardian(child, "parent", True, "Meijer, Bram", valid_to=monday - timedelta(days=1))
    board.add_guardian(child, "parent", False, "Meijer, Bram", valid_from=monday, guardian_id=parent)
    board.add_guardian(child, "parent", True, "Meijer, Saar")
    plant(
        plan,
        Access((DEMO, 1, "20:05"), foster, foster_child, "guardian", category="care",
               finding=(rule, "medium", "foster parent without authority viewed care data")),
        Access((DEMO, 1, "20:07"), foster, foster_child, "guardian", category="progress",
               near_miss=(rule, "foster parent viewed progress (allowed without authority)")),
        Access((DEMO, 2, "21:15"), parent, child, "guardian", category="administrative",
               finding=(rule, "medium",
                        "parent whose authority ended before the week viewed administrative data")),
        Access((-3, 2, "19:00"), foster, foster_child, "guardian", category="medical",
               finding=(rule, "medium",
                        "foster parent without authority viewed medical data (earlier week)")),
    )


# -- the leap-day convention (only when the window holds 28 February of a common year) -------------


def plant_leap_day_access(plan: Plan) -> None:
    """Someone born on 29 February turns a year older on 1 March in common years (the default). Only
    the 18th birthday can fall in a common year (16 years after a leap year is a leap year), so the
    convention decides an access rule only around 28 February of a year whose year minus 18 is leap."""
    board, window = plan.board, plan.board.window
    days = [window.start + timedelta(days=i) for i in range((window.end - window.start).days + 1)]
    for day in days:
        if not (day.month == 2 and day.day == 28 and not is_leap(day.year) and is_leap(day.year - 18)):
            continue
        student, (parent,) = family(
            board,
            main_school(board),
            date(day.year - 18, 2, 29),
            "Fenna Brouwer",
            ("parent", True, "Brouwer, Luuk"),
        )
        born_leap = {"actor": parent, "student": student, "actor_type": "guardian"}
        if day != window.holiday:
            plant(plan, Access(datetime.combine(day, time(12)), **born_leap, category="care",
                               finding=("ACCESS-PARENT-16PLUS", "high",
                                        "born on 29 February: still 17 on 28 February"),
                               near_miss=("ACCESS-PARENT-18PLUS",
                                          "18 only on 1 March (default leap-day convention)")))
        march_1 = day + timedelta(days=1)
        if march_1 <= window.end and march_1 != window.holiday:
            plant(plan, Access(datetime.combine(march_1, time(12)), **born_leap, category="progress",
                               finding=("ACCESS-PARENT-18PLUS", "high",
                                        "born on 29 February: 18 on 1 March")))


PLANTS = (
    plant_access_guardian_not_linked,
    plant_access_parent_18plus,
    plant_access_parent_16plus,
    plant_access_parent_no_authority,
    plant_leap_day_access,
)
