"""The plan that plants fill in: planted access events, disclosures and log gaps, and the findings
(and near misses) they must give. Also the helpers plants use to find or create their subjects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from pipelines.contract import SPECIAL_CATEGORIES
from pipelines.generate.basics import replace_year
from pipelines.generate.board import Board
from pipelines.weeks import week_of

DEMO = -1  # week number of the demo week (Python indexing into the window's weeks)


@dataclass
class Plan:
    board: Board
    records: list[dict] = field(default_factory=list)  # expected findings and near misses
    events: list[dict] = field(default_factory=list)  # access events
    disclosures: list[dict] = field(default_factory=list)
    log_gaps: list[tuple[str, date]] = field(default_factory=list)  # (source_system, day): nothing logged
    _by_ref: dict[int, list[int]] = field(default_factory=dict)  # planted row -> its records

    # -- outcomes ---------------------------------------------------------------------------------
    def _record(
        self,
        kind: str,
        rule_id: str,
        severity: str,
        week: str,
        subject_type: str,
        note: str,
        subject_id: str | None = None,
        ref: int | None = None,
    ) -> None:
        if week not in self.board.window.weeks:
            raise ValueError(f"plant in {week}, outside the generated weeks")
        self.records.append(
            {
                "kind": kind,
                "rule_id": rule_id,
                "severity": severity,
                "week": week,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "note": note,
            }
        )
        if ref is not None:
            self._by_ref.setdefault(ref, []).append(len(self.records) - 1)

    def mark(self, when: datetime, subject_type: str, finding, near_miss) -> int:
        """Record what a planted row must give; returns its reference (ids are known only when written).
        `finding` = (rule_id, severity, note) or a list of them (section D rules apply together);
        `near_miss` = (rule_id, note) or a list: rules that must stay silent."""
        ref = len(self._by_ref)
        self._by_ref[ref] = []
        week = week_of(when.date())
        for rule_id, severity, note in _as_list(finding):
            self._record("finding", rule_id, severity, week, subject_type, note, ref=ref)
        for rule_id, note in _as_list(near_miss):
            self._record("near_miss", rule_id, "", week, subject_type, note, ref=ref)
        return ref

    def name_subject(self, ref: int, subject_id: str) -> None:
        for index in self._by_ref[ref]:
            self.records[index]["subject_id"] = subject_id

    def standing(self, week: str, subject_type: str, subject_id: str, finding=None, near_miss=None) -> None:
        """A standing rule's outcome for one week (subject ids are known up front)."""
        for rule_id, severity, note in _as_list(finding):
            self._record("finding", rule_id, severity, week, subject_type, note, subject_id)
        for rule_id, note in _as_list(near_miss):
            self._record("near_miss", rule_id, "", week, subject_type, note, subject_id)

    # -- planted reference rows (access events and disclosures are declared: Access, Disclosure) ---
    def consent(
        self,
        student_id: str,
        given_by_id: str,
        given_by_role: str,
        given_at,
        *,
        purpose: str,
        categories: list[str] | None,
        recipient_id: str | None = None,
        form: str = "written",
        valid_until: date | None = None,
        withdrawn_at=None,
        style: int = 3,
    ) -> str:
        """A consent row; `given_at`/`withdrawn_at` are local dates or datetimes written in `style`."""
        consent_id = f"TST-P{len(self.board.added.get('consents', [])) + 1:04d}"
        self.board.add(
            "consents",
            consent_id=consent_id,
            student_id=student_id,
            given_by_id=given_by_id,
            given_by_role=given_by_role,
            purpose=purpose,
            form=form,
            given_at=given_at,
            given_at__style=style,
            recipient_id=recipient_id,
            data_categories=list(categories or ()),
            valid_until=valid_until,
            withdrawn_at=withdrawn_at,
            withdrawn_at__style=style,
            evidence_ref=f"archief/toestemming/{consent_id}"
            if form in ("written", "digital_signature")
            else None,
        )
        return consent_id


# -- declared cases -------------------------------------------------------------------------------

Who = str | Callable[[], str] | None  # an id, or a resolver called when the case is planted


@dataclass(frozen=True)
class Access:
    """A planted access event. `at` = (week, weekday, "HH:MM") in local time, or a local datetime;
    `actor` and `student` are ids or resolvers, or `who` resolves both (an uninvolved teacher and
    their student); the rest is what Plan.access takes. `finding` = (rule, severity, note) or a list,
    `near_miss` = (rule, note) or a list."""

    at: tuple[int, int, str] | datetime
    actor: Who = None
    student: Who = None
    actor_type: str = "staff"
    who: Callable[[], tuple[str, str]] | None = None
    category: str | None = None
    document: str | None = None
    action: str = "view"
    break_glass: bool | None = None
    justification: str | None = None
    style: int = 1
    source_system: str | None = None
    finding: object = None
    near_miss: object = None

    def put(self, plan: Plan, when: datetime) -> None:
        actor, student = self.who() if self.who else (_resolve(self.actor), _resolve(self.student))
        plan.events.append(
            {
                "week": week_of(when.date()),
                "occurred_at": when,
                "occurred_at__style": self.style,  # as in write.py (2: written in UTC)
                "actor_id": actor,
                "actor_type": self.actor_type,
                "student_id": student,
                "action": self.action,
                "source_system": self.source_system or plan.board.system_of_student(student),
                "document_id": self.document,
                "category": self.category,
                "break_glass": self.break_glass,
                "justification": self.justification,
                "plant": plan.mark(when, "access_event", self.finding, self.near_miss),
            }
        )


@dataclass(frozen=True)
class Disclosure:
    """A planted disclosure, declared like Access: `at`, the `student` (an id or a resolver), what is
    disclosed to whom on which basis, and the outcome."""

    at: tuple[int, int, str] | datetime
    student: Who
    recipient: str
    basis: str
    categories: tuple[str, ...] | list[str]
    purpose: str = "plant"
    identifiers: tuple[str, ...] | list[str] = ("name",)
    consent: str | None = None
    evidence: str | None = None
    finding: object = None
    near_miss: object = None

    def put(self, plan: Plan, when: datetime) -> None:
        plan.disclosures.append(
            {
                "occurred_at": when,
                "occurred_at__style": 1,
                "student_id": _resolve(self.student),
                "recipient_id": self.recipient,
                "purpose": self.purpose,
                "data_categories": ";".join(self.categories),
                "legal_basis": self.basis,
                "consent_id": self.consent,
                "evidence_ref": self.evidence,
                "identifiers": ";".join(self.identifiers),
                "_week": plan.board.window.weeks.index(week_of(when.date())),
                "plant": plan.mark(when, "disclosure", self.finding, self.near_miss),
            }
        )


def plant(plan: Plan, *cases: Access | Disclosure) -> None:
    """Plant declared cases in their order (resolvers too, so random draws keep theirs). A case in an
    earlier week than the window holds is left out, its resolvers not called."""
    window = plan.board.window
    for case in cases:
        if isinstance(case.at, datetime):
            case.put(plan, case.at)
        elif earlier_weeks(plan.board, case.at[0]):
            case.put(plan, window.at(*case.at))


def _resolve(who: Who) -> str | None:
    return who() if callable(who) else who


def _as_list(outcome) -> list[tuple]:
    if outcome is None:
        return []
    return list(outcome) if isinstance(outcome, list) else [outcome]


# -- severities -----------------------------------------------------------------------------------


def is_special(categories) -> bool:
    return bool(set([categories] if isinstance(categories, str) else categories) & set(SPECIAL_CATEGORIES))


def access_severity(category: str) -> str:
    return "critical" if is_special(category) else "high"


def disclosure_severity(categories: list[str]) -> str:
    return "critical" if is_special(categories) else "high"


# -- days -----------------------------------------------------------------------------------------


def earlier_weeks(board: Board, *offsets: int) -> list[int]:
    """The week numbers (negative, -1 = demo week) among `offsets` that the window holds."""
    return [w for w in offsets if -w <= len(board.window.weeks)]


def born_turning(day: date, years: int) -> date:
    """The birth date of someone who turns `years` old exactly on `day`."""
    birth = replace_year(day, years)
    if (birth.month, birth.day) != (day.month, day.day):
        raise ValueError(f"nobody turns {years} on {day}")  # 29 February, born in a common year
    return birth


def birthday_weekday(board: Board, years: int, preferred: tuple[int, ...] = (2, 3, 1)) -> int:
    """A weekday of the demo week on which someone can turn `years` (not the first day: the day
    before must be in the week too)."""
    for weekday in preferred:
        try:
            born_turning(board.window.day(DEMO, weekday), years)
            return weekday
        except ValueError:
            continue
    raise RuntimeError("no birthday possible in the demo week")


def born_aged(board: Board, years: int, days: int = 100) -> date:
    """Someone who is `years` old in the demo week, their last birthday `days` before its Monday
    (choose `days` so that the age holds in every generated week that the plant uses)."""
    return replace_year(board.window.day(DEMO, 0) - timedelta(days=days), years)


# -- finding subjects -----------------------------------------------------------------------------


def main_school(board: Board) -> int:
    """Plants go to the first secondary school when there is one (subject teachers, older students)."""
    vo = board.secondary_school()
    return 0 if vo is None else vo


def other_school(board: Board) -> int:
    """Another school than the main one when the board has one."""
    count = len(board.tables["schools"])
    return (main_school(board) + 1) % count


def school_students(board: Board, school: int) -> np.ndarray:
    lo, hi = board.school_range[school], board.school_range[school + 1]
    return board.students["student_id"].to_numpy()[lo:hi]


def any_student(board: Board, school: int, rng: np.random.Generator) -> str:
    ids = school_students(board, school)
    return str(ids[int(rng.integers(0, len(ids)))])


def uninvolved_teacher(board: Board, school: int, rng: np.random.Generator) -> tuple[str, str]:
    """A teacher (only teacher/mentor roles) and a student of the same school they have no
    involvement with: a class they do not teach."""
    students = set(school_students(board, school))
    involvements = board.tables["involvements"]
    involvements = involvements[involvements["student_id"].isin(students)]  # only this school's matter
    teachers = involvements.loc[involvements["relation"] == "teacher", "staff_id"].unique()
    staff = board.tables["staff"]
    roles = staff[staff["staff_id"].isin(teachers)].groupby("staff_id")["role"].agg(set)
    teachers = [t for t in teachers if roles[t] <= {"teacher", "mentor"}]
    for teacher in rng.permutation(np.array(teachers, dtype=object)):
        involved = set(involvements.loc[involvements["staff_id"] == teacher, "student_id"])
        strangers = sorted(students - involved)
        if strangers:
            return str(teacher), strangers[int(rng.integers(0, len(strangers)))]
    raise RuntimeError(f"no teacher at school {school} without involvement with some student")


def staff_with_role(board: Board, school: int, role: str) -> str:
    staff = board.tables["staff"]
    rows = staff[
        (staff["school_id"] == board.school_id(school))
        & (staff["role"] == role)
        & staff["account_type"].ne("shared")
    ]
    return str(rows["staff_id"].iloc[0])


def shared_account(board: Board) -> tuple[str, int]:
    """The background's shared account (the reception desk) and its school."""
    staff = board.tables["staff"]
    row = staff[staff["account_type"] == "shared"].iloc[0]
    school = int(np.flatnonzero(board.tables["schools"]["school_id"].to_numpy() == row["school_id"])[0])
    return str(row["staff_id"]), school


def linked_guardian(board: Board, school: int, rng: np.random.Generator) -> tuple[str, str]:
    """A background guardian with parental authority and one of their children at `school`."""
    guardians = board.tables["guardians"]
    ours = guardians[
        guardians["student_id"].isin(set(school_students(board, school)))
        & guardians["parental_authority"].to_numpy(dtype=bool)
    ]
    row = ours.iloc[int(rng.integers(0, len(ours)))]
    return str(row["guardian_id"]), str(row["student_id"])


def family(
    board: Board, school: int, birth: date, name: str, *guardians: tuple[str, bool, str], eck_id: bool = True
) -> tuple[str, list[str]]:
    """A planted student and their guardians, each (relation, parental_authority, name), linked with
    open dates; returns (student_id, guardian_ids)."""
    student_id = board.add_student(school, birth, name, eck_id=eck_id)
    ids = [
        board.add_guardian(student_id, relation, authority, guardian_name)
        for relation, authority, guardian_name in guardians
    ]
    return student_id, ids
