"""Plants for section F, the signals: patterns per account that single events do not show.

Signals count per account over the whole week, so their plants use accounts of their own: staff of the
board office (bestuursbureau, staff rows under the board's own code), whose peer groups hold nothing
of the background, so that the same plants give the same signals at every size of board. Their
accesses are explained (an involvement with each student), so they give no access finding. Planted in
the demo week, on days that already hold planted events of the main school's system (the log gap is
chosen among the other days).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pipelines.generate.basics import BOARD_ID
from pipelines.generate.plants.plan import (
    DEMO,
    Access,
    Plan,
    main_school,
    plant,
    school_students,
    staff_with_role,
)

BOARD_OFFICE = BOARD_ID  # the school_id of the board office's staff rows


def _office_staff(plan: Plan, role: str, name: str, valid_from: date, valid_to: date | None = None,
                  staff_id: str | None = None) -> str:
    """A board-office staff row; a new account unless `staff_id` is given (a second role)."""
    board = plan.board
    if staff_id is None:
        staff_count = int((board.actors["actor_type"] == "staff").sum())
        staff_id = f"m{10001 + staff_count + len({r['staff_id'] for r in board.added.get('staff', [])})}"
    board.add("staff", staff_id=staff_id, school_id=BOARD_OFFICE, role=role, valid_from=valid_from,
              valid_to=valid_to, account_type="personal", display_name=name)
    return staff_id


class _Accesses:
    """Explained accesses of planted accounts to students of the main school."""

    def __init__(self, plan: Plan, seed_name: str):
        self.plan = plan
        board = plan.board
        self.rng = board.rng(seed_name)
        self.students = [str(s) for s in self.rng.permutation(school_students(board, main_school(board)))]
        self.involved: set[tuple[str, str]] = set()

    def involve(self, staff_id: str, student_id: str, relation: str = "care_coordinator") -> None:
        if (staff_id, student_id) in self.involved:
            return
        self.involved.add((staff_id, student_id))
        window = self.plan.board.window
        self.plan.board.add("involvements", staff_id=staff_id, student_id=student_id, relation=relation,
                            valid_from=window.start - timedelta(days=30), valid_to=None)

    def touch(self, staff_id: str, count: int, when: datetime, action: str = "view", first: int = 0,
              style: int = 1, step: timedelta = timedelta(minutes=3)) -> list[str]:
        """`staff_id` accesses `count` different students (from the `first`), one event each."""
        touched = self.students[first:first + count]
        for n, student in enumerate(touched):
            self.involve(staff_id, student)
            plant(self.plan, Access(when + n * step, staff_id, student, category="progress", action=action,
                                    style=style))
        return touched


def _signal(plan: Plan, rule: str, severity: str, subject: str, note: str) -> None:
    plan.standing(plan.board.window.weeks[DEMO], "account", subject, finding=(rule, severity, note))


def _quiet(plan: Plan, rule: str, subject: str, note: str) -> None:
    plan.standing(plan.board.window.weeks[DEMO], "account", subject, near_miss=(rule, note))


# -- SIGNAL-VOLUME ------------------------------------------------------------------------------


def plant_signal_volume(plan: Plan) -> None:
    """Peer groups of board-office roles (school_id = the board's code), each on its own: with the
    default parameters 30 students and 3 x the median of at least 3 active accounts."""
    window, week = plan.board.window, plan.board.window.weeks[DEMO]
    rule = "SIGNAL-VOLUME"
    accesses = _Accesses(plan, "plant:signal-volume")
    start = window.start - timedelta(days=300)
    tuesday = datetime.combine(window.day(DEMO, 1), time(9))

    def group(role: str, counts: list[int], names: list[str]) -> list[str]:
        ids = [_office_staff(plan, role, name, start) for name in names]
        for staff_id, count in zip(ids, counts):
            accesses.touch(staff_id, count, tuesday)
        return ids

    _, _, volume = group("care_coordinator", [10, 10, 30], ["Wouters, Anna", "Peeters, Ruud", "Claes, Femke"])
    _signal(plan, rule, "medium", f"{volume}@{week}",
            "30 different students: exactly the minimum and exactly 3 x the median (10) of its 3 peers")
    # (a school has at least 30 students: no plant needs more of them)
    _, _, factor = group("other", [10, 11, 30], ["Maes, Joost", "Jacobs, Lotte", "Mertens, Daan"])
    _quiet(plan, rule, f"{factor}@{week}", "30 students, the minimum, but just below 3 x the peers' median of 11")
    _, _, minimum = group("management", [1, 1, 29], ["Willems, Sara", "Goossens, Bram", "Hermans, Iris"])
    _quiet(plan, rule, f"{minimum}@{week}", "29 students: 3 x the median, but one below the minimum of 30")
    # An account in two groups must pass in both: 30 is 30 x the teachers' median, not 3 x the mentors'.
    teachers = group("teacher", [1, 1], ["Dubois, Noor", "Lambert, Tim"])
    mentors = group("mentor", [11, 11], ["Dupont, Eva", "Leclercq, Sem"])
    del teachers, mentors
    both = _office_staff(plan, "teacher", "Simons, Roos", start)
    _office_staff(plan, "mentor", "Simons, Roos", start, staff_id=both)
    accesses.touch(both, 30, tuesday)
    _quiet(plan, rule, f"{both}@{week}", "in two peer groups: passes among the teachers, not among the mentors")


# -- SIGNAL-BULK-EXPORT -------------------------------------------------------------------------


def plant_signal_bulk_export(plan: Plan) -> None:
    window = plan.board.window
    rule = "SIGNAL-BULK-EXPORT"
    accesses = _Accesses(plan, "plant:signal-bulk-export")
    start = window.start - timedelta(days=300)
    tuesday, thursday = window.day(DEMO, 1), window.day(DEMO, 3)
    bulk, short, split = (_office_staff(plan, "administration", name, start)
                          for name in ("Vos, Milan", "Kok, Julia", "Bos, Lars"))
    # 20 students in three kinds of action on Thursday: exactly the threshold.
    accesses.touch(bulk, 8, datetime.combine(thursday, time(13)), action="export")
    accesses.touch(bulk, 6, datetime.combine(thursday, time(14)), action="print", first=8)
    accesses.touch(bulk, 6, datetime.combine(thursday, time(15)), action="download", first=14)
    _signal(plan, rule, "medium", f"{bulk}@{thursday.isoformat()}",
            "exported, printed or downloaded the files of 20 students in one day (exactly the threshold)")
    accesses.touch(short, 19, datetime.combine(thursday, time(10)), action="export")
    accesses.touch(short, 5, datetime.combine(thursday, time(11)), action="view", first=19)
    _quiet(plan, rule, f"{short}@{thursday.isoformat()}", "19 students exported, and 5 more only viewed")
    # 10 on Tuesday evening and 10 just after midnight, written in UTC (still Tuesday there).
    accesses.touch(split, 10, datetime.combine(tuesday, time(23, 10)), action="export", style=2)
    accesses.touch(split, 10, datetime.combine(tuesday + timedelta(days=1), time(0, 10)), action="export",
                   first=10, style=2)
    for day in (tuesday, tuesday + timedelta(days=1)):
        _quiet(plan, rule, f"{split}@{day.isoformat()}",
               "20 students exported around local midnight: 10 on each local date (UTC puts all on one)")
    _signal(plan, "SIGNAL-QUIET-HOURS", "low", f"{split}@{window.weeks[DEMO]}",
            "the 10 exports just after midnight are accesses in quiet hours too")


# -- SIGNAL-QUIET-HOURS -------------------------------------------------------------------------


def plant_signal_quiet_hours(plan: Plan) -> None:
    window, week = plan.board.window, plan.board.window.weeks[DEMO]
    rule = "SIGNAL-QUIET-HOURS"
    accesses = _Accesses(plan, "plant:signal-quiet-hours")
    start = window.start - timedelta(days=300)
    tuesday, wednesday = window.day(DEMO, 1), window.day(DEMO, 2)
    night, few, one, late = (_office_staff(plan, "it_admin", name, start)
                             for name in ("Peters, Koen", "Hoekstra, Mila", "Brouwer, Finn", "Dekker, Zoë"))

    def at(day: date, hhmm: str) -> datetime:
        return datetime.combine(day, time.fromisoformat(hhmm))

    # 5 accesses of 2 students in [00:00, 05:00): the first at 00:00 exactly, one given in UTC.
    for n, (moment, style) in enumerate([(at(wednesday, "00:00"), 2), (at(wednesday, "01:15"), 1),
                                         (at(wednesday, "02:40"), 0), (at(wednesday, "03:05"), 1),
                                         (at(wednesday, "04:59"), 1)]):
        accesses.touch(night, 1, moment, first=n % 2, style=style)
    _signal(plan, rule, "low", f"{night}@{week}", "5 accesses of 2 students at night, from 00:00 to 04:59")
    for n, hhmm in enumerate(["00:30", "01:30", "02:30", "03:30"]):
        accesses.touch(few, 1, at(tuesday, hhmm), first=n % 2)
    _quiet(plan, rule, f"{few}@{week}", "4 accesses at night: one below the threshold")
    for hhmm in ["00:30", "01:30", "02:30", "03:30", "04:30"]:
        accesses.touch(one, 1, at(tuesday, hhmm))
    _quiet(plan, rule, f"{one}@{week}", "5 accesses at night, but of one student")
    for n, hhmm in enumerate(["05:00", "05:10", "23:50", "23:59"]):
        accesses.touch(late, 1, at(wednesday, hhmm), first=n % 2)
    accesses.touch(late, 1, at(tuesday, "04:50"))
    _quiet(plan, rule, f"{late}@{week}", "5 accesses around the night, of which only one before 05:00")


# -- SIGNAL-AFTER-LEAVING -----------------------------------------------------------------------


def plant_signal_after_leaving(plan: Plan) -> None:
    """With the access plant of a teacher who left before the window (ACCESS-UNINVOLVED, which also
    gives this signal), accounts whose last role ends in the demo week."""
    board, window, week = plan.board, plan.board.window, plan.board.window.weeks[DEMO]
    rule = "SIGNAL-AFTER-LEAVING"
    accesses = _Accesses(plan, "plant:signal-after-leaving")
    start = window.start - timedelta(days=900)
    monday, tuesday, wednesday = window.day(DEMO, 0), window.day(DEMO, 1), window.day(DEMO, 2)
    staff = board.tables["staff"]
    former = staff.loc[staff["valid_to"].notna() & (staff["school_id"] == board.school_id(main_school(board))),
                       "staff_id"]
    _signal(plan, rule, "high", f"{former.iloc[0]}@{week}",
            "the teacher who left the school before the window still logs in (see ACCESS-UNINVOLVED)")
    left, last_day, still = (_office_staff(plan, "psychologist", name, start, valid_to=tuesday)
                             for name in ("Smits, Hanna", "Meijer, Jonas", "Visser, Liv"))
    _office_staff(plan, "psychologist", "Visser, Liv", monday - timedelta(days=60), staff_id=still)
    accesses.touch(left, 2, datetime.combine(wednesday, time(8, 30)))
    _signal(plan, rule, "high", f"{left}@{week}", "used the day after its only role ended (Tuesday)")
    accesses.touch(last_day, 1, datetime.combine(tuesday, time(16, 45)))
    _quiet(plan, rule, f"{last_day}@{week}", "used on the last day of its role")
    accesses.touch(still, 1, datetime.combine(wednesday, time(9, 30)))
    _quiet(plan, rule, f"{still}@{week}", "one role ended on Tuesday, another is still in force")


# -- SIGNAL-OWN-CHILD ---------------------------------------------------------------------------


def plant_signal_own_child(plan: Plan) -> None:
    """Staff who are also a parent of a student (guardians.staff_id): a teacher of their own child
    (explained by the involvement) and an administrator viewing their child's attendance (explained by
    the role); the same teacher viewing another student of the class is no signal."""
    board, window, week = plan.board, plan.board.window, plan.board.window.weeks[DEMO]
    rule = "SIGNAL-OWN-CHILD"
    school = main_school(board)
    accesses = _Accesses(plan, "plant:signal-own-child")
    birth = window.day(DEMO, 0) - timedelta(days=12 * 365 + 100)  # 12: at a primary or a secondary school

    def child(parent_staff_id: str, name: str, parent_name: str) -> str:
        student = board.add_student(school, birth, name)
        board.add("guardians", guardian_id=f"ouder-p{len(board.added.get('guardians', [])) + 1:05d}",
                  student_id=student, relation="parent", parental_authority=True, valid_from=None,
                  valid_to=None, display_name=parent_name, staff_id=parent_staff_id)
        return student

    # A teacher of the school (not a new account: that would change the median of the school's
    # teachers), who also teaches their own child.
    involvements = board.tables["involvements"]
    taught = involvements[(involvements["relation"] == "teacher")
                          & involvements["student_id"].isin(set(school_students(board, school)))]
    teacher, other = (str(v) for v in taught[["staff_id", "student_id"]].iloc[0])
    own = child(teacher, "Mulder, Sanne", "Mulder, Kim")
    accesses.involve(teacher, own, relation="teacher")
    plant(plan, Access((DEMO, 1, "11:20"), teacher, own, category="progress"),
          Access((DEMO, 3, "12:05"), teacher, own, category="progress"))
    _signal(plan, rule, "medium", f"{teacher}@{own}@{week}",
            "a teacher viewed the grades of their own child, whom they teach (explained by the involvement)")
    plant(plan, Access((DEMO, 1, "11:30"), teacher, other, category="progress"))
    _quiet(plan, rule, f"{teacher}@{other}@{week}", "the same teacher viewing a student who is not their child")

    clerk = staff_with_role(board, school, "administration")
    own = child(clerk, "De Graaf, Olivier", "De Graaf, Petra")
    plant(plan, Access((DEMO, 3, "08:50"), clerk, own, category="attendance"))
    _signal(plan, rule, "medium", f"{clerk}@{own}@{week}",
            "administration viewed their own child's attendance (no involvement; the role allows it)")


PLANTS = (plant_signal_volume, plant_signal_bulk_export, plant_signal_quiet_hours, plant_signal_after_leaving,
          plant_signal_own_child)
