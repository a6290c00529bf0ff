"""Planted violations (and near misses) on top of the clean background.

A plant is a small function `plant_x(plan)` that adds reference rows to the board, access events or
disclosures to the plan, and says which finding each one must give (or, for a near miss, which rule
must stay silent). Adding a rule's plants = writing one function and appending it to PLANTS.

Each plant is built to give exactly its one finding under the precedence of spec/rules.md: staff
actors are known personal accounts, no break glass, no psychological reports, recipients' kinds and
agreements chosen so that only the intended rule applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from pipelines.contract import SPECIAL_CATEGORIES
from pipelines.generate.board import Board
from pipelines.weeks import week_of


@dataclass
class Plan:
    board: Board
    records: list[dict] = field(default_factory=list)  # expected findings and near misses
    events: list[dict] = field(default_factory=list)  # access events, by local time
    disclosures: list[dict] = field(default_factory=list)

    def _record(self, kind, rule_id, severity, when: datetime, subject_type, note) -> int:
        week = week_of(when.date())
        if week not in self.board.window.weeks:
            raise ValueError(f"plant at {when} is outside the generated weeks")
        self.records.append(
            {"kind": kind, "rule_id": rule_id, "severity": severity, "week": week,
             "subject_type": subject_type, "subject_id": None, "note": note}
        )
        return len(self.records) - 1

    def _mark(self, when, subject_type, finding, near_miss) -> int | None:
        if finding:
            rule_id, severity, note = finding
            return self._record("finding", rule_id, severity, when, subject_type, note)
        if near_miss:
            rule_id, note = near_miss
            return self._record("near_miss", rule_id, "", when, subject_type, note)
        return None

    def access(self, when: datetime, *, actor_id: str, student_id: str, actor_type: str = "staff",
               category: str | None = None, document_id: str | None = None, action: str = "view",
               source_system: str | None = None, style: int = 1, break_glass: bool | None = None,
               justification: str | None = None, finding=None, near_miss=None) -> None:
        """An access event; `finding` = (rule_id, severity, note), `near_miss` = (rule_id, note)."""
        self.events.append(
            {
                "week": week_of(when.date()),
                "occurred_at": when,
                "occurred_at__style": style,
                "actor_id": actor_id,
                "actor_type": actor_type,
                "student_id": student_id,
                "action": action,
                "source_system": source_system or self.board.system_of_student(student_id),
                "document_id": document_id,
                "category": category,
                "break_glass": break_glass,
                "justification": justification,
                "plant": self._mark(when, "access_event", finding, near_miss),
            }
        )

    def disclose(self, when: datetime, *, student_id: str, recipient_id: str, legal_basis: str, purpose: str,
                 categories: list[str], identifiers: list[str] = ("name",), consent_id: str | None = None,
                 evidence_ref: str | None = None, style: int = 1, finding=None, near_miss=None) -> None:
        self.disclosures.append(
            {
                "occurred_at": when,
                "occurred_at__style": style,
                "student_id": student_id,
                "recipient_id": recipient_id,
                "purpose": purpose,
                "data_categories": ";".join(categories),
                "legal_basis": legal_basis,
                "consent_id": consent_id,
                "evidence_ref": evidence_ref,
                "identifiers": ";".join(identifiers),
                "_week": self.board.window.weeks.index(week_of(when.date())),
                "plant": self._mark(when, "disclosure", finding, near_miss),
            }
        )


def access_severity(category: str) -> str:
    return "critical" if category in SPECIAL_CATEGORIES else "high"


def disclosure_severity(categories: list[str]) -> str:
    return "critical" if set(categories) & set(SPECIAL_CATEGORIES) else "high"


def earlier_weeks(board: Board, *offsets: int) -> list[int]:
    """The week numbers (negative, -1 = demo week) among `offsets` that the window holds."""
    return [w for w in offsets if -w <= len(board.window.weeks)]


# -- helpers to find plant subjects ---------------------------------------------------------------


def school_students(board: Board, school: int) -> np.ndarray:
    lo, hi = board.school_range[school], board.school_range[school + 1]
    return board.students["student_id"].to_numpy()[lo:hi]


def uninvolved_teacher(board: Board, school: int, rng: np.random.Generator) -> tuple[str, str]:
    """A teacher (only teacher/mentor roles) and a student of the same school they have no
    involvement with: a class they do not teach."""
    involvements = board.tables["involvements"]
    staff = board.tables["staff"]
    students = set(school_students(board, school))
    roles = staff.groupby("staff_id")["role"].agg(set)
    teachers = involvements.loc[
        (involvements["relation"] == "teacher") & involvements["student_id"].isin(students), "staff_id"
    ].unique()
    teachers = [t for t in teachers if roles[t] <= {"teacher", "mentor"}]
    for teacher in rng.permutation(np.array(teachers, dtype=object)):
        involved = set(involvements.loc[involvements["staff_id"] == teacher, "student_id"])
        strangers = sorted(students - involved)
        if strangers:
            return str(teacher), strangers[int(rng.integers(0, len(strangers)))]
    raise RuntimeError(f"no teacher at school {school} without involvement with some student")


def any_student(board: Board, school: int, rng: np.random.Generator) -> str:
    ids = school_students(board, school)
    return str(ids[int(rng.integers(0, len(ids)))])


def staff_with_role(board: Board, school: int, role: str) -> str:
    staff = board.tables["staff"]
    rows = staff[(staff["school_id"] == board.school_id(school)) & (staff["role"] == role)
                 & staff["account_type"].ne("shared")]
    return str(rows["staff_id"].iloc[0])


def main_school(board: Board) -> int:
    """Plants go to the first secondary school when there is one (subject teachers, older students)."""
    vo = board.secondary_school()
    return 0 if vo is None else vo


# -- ACCESS-UNINVOLVED ----------------------------------------------------------------------------


def plant_access_uninvolved(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rng = board.rng("plant:access-uninvolved")
    school = main_school(board)
    rule = "ACCESS-UNINVOLVED"

    # A teacher looking at the progress of a student in another class: in the demo week, and in
    # earlier weeks so that the report shows a trend.
    moments = [(-1, 1, "10:14"), (-2, 2, "13:40"), (-2, 3, "09:05"), (-3, 1, "11:30")]
    for week, weekday, hhmm in moments:
        if not earlier_weeks(board, week):
            continue
        teacher, student = uninvolved_teacher(board, school, rng)
        plan.access(window.at(week, weekday, hhmm), actor_id=teacher, student_id=student, category="progress",
                    finding=(rule, "high", "teacher viewed the progress of a student in a class they do not teach"))

    # A teacher opening a care file of a student they have nothing to do with (primary school). The
    # event names no category: it is the document's (care), so the finding is critical.
    teacher, student = uninvolved_teacher(board, 0, rng)
    care_file = board.add_document(student, "care", datetime.combine(window.start - timedelta(days=40),
                                                                     datetime.min.time()).replace(hour=11))
    plan.access(window.at(-1, 3, "14:22"), actor_id=teacher, student_id=student, document_id=care_file,
                finding=(rule, "critical", "teacher opened the care file of a student without involvement"))

    # Grace windows around involvements of new staff (no other involvement, no role allowance).
    # Times just after local midnight fall on the previous day in UTC: only the local date is right.
    wednesday, thursday, tuesday = window.day(-1, 2), window.day(-1, 3), window.day(-1, 1)
    ended = board.add_staff(school, "teacher", "Bakker, Ilse", window.start - timedelta(days=200))
    student = any_student(board, school, rng)
    board.add("involvements", staff_id=ended, student_id=student, relation="substitute",
              valid_from=wednesday - timedelta(days=91), valid_to=wednesday - timedelta(days=31))
    plan.access(window.at(-1, 2, "00:20"), actor_id=ended, student_id=student, category="attendance",
                finding=(rule, "high", ("substitute viewed a student 31 days after the involvement ended "
                                        "(one day past the grace window)")))

    last_day = board.add_staff(school, "teacher", "Smit, Jesse", window.start - timedelta(days=200))
    student = any_student(board, school, rng)
    board.add("involvements", staff_id=last_day, student_id=student, relation="substitute",
              valid_from=thursday - timedelta(days=90), valid_to=thursday - timedelta(days=30))
    plan.access(window.at(-1, 3, "23:50"), actor_id=last_day, student_id=student, category="progress",
                near_miss=(rule, "view exactly 30 days after the involvement ended (last day of the grace window)"))

    newcomer = board.add_staff(school, "teacher", "Kaya, Hiba", window.start - timedelta(days=10))
    student = any_student(board, school, rng)
    board.add("involvements", staff_id=newcomer, student_id=student, relation="teacher",
              valid_from=tuesday + timedelta(days=14), valid_to=None)
    plan.access(window.at(-1, 1, "00:10"), actor_id=newcomer, student_id=student, category="progress",
                near_miss=(rule, ("view exactly 14 days before the involvement starts (first day of the "
                                  "grace window), just after local midnight")))

    # Administration looking at attendance at their own school: the role allows it.
    plan.access(window.at(-1, 0, "08:31"), actor_id=staff_with_role(board, school, "administration"),
                student_id=any_student(board, school, rng), category="attendance",
                near_miss=(rule, "administration viewed attendance at its own school (role allowance)"))


# -- SHARE-NO-CONSENT -----------------------------------------------------------------------------


def plant_share_no_consent(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rng = board.rng("plant:share-no-consent")
    school = main_school(board)
    rule = "SHARE-NO-CONSENT"
    consents = board.tables["consents"]
    photo = consents[consents["_usable"] & (consents["purpose"] == "school_photos")]

    def photos(when, student, consent_id, note, categories=("images",)):
        plan.disclose(when, student_id=student, recipient_id="rcp-foto", legal_basis="consent",
                      purpose="school_photos", categories=list(categories), consent_id=consent_id,
                      finding=(rule, disclosure_severity(list(categories)), note))

    photos(window.at(-1, 1, "09:12"), any_student(board, school, rng), None, "consent basis without a consent_id")
    other = photo.iloc[int(rng.integers(0, len(photo)))]
    student = any_student(board, school, rng)
    while student == other["student_id"]:
        student = any_student(board, school, rng)
    photos(window.at(-1, 2, "11:47"), student, other["consent_id"], "consent_id of another student's consent")
    photos(window.at(-1, 3, "15:03"), any_student(board, school, rng), "TST-X0404", "consent_id that is unknown")
    plan.disclose(window.at(-1, 3, "16:20"), student_id=any_student(board, school, rng), recipient_id="rcp-bijles",
                  legal_basis="consent", purpose="tutoring", categories=["progress", "care"],
                  identifiers=["name", "student_number"],
                  finding=(rule, "critical", "care data (special category) disclosed on consent without a consent_id"))
    for week in earlier_weeks(board, -2):
        photos(window.at(week, 0, "10:00"), any_student(board, school, rng), None,
               "consent basis without a consent_id (earlier week)")


# -- SHARE-EXCEPTION-UNSUPPORTED ------------------------------------------------------------------


def plant_share_exception_unsupported(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rng = board.rng("plant:share-exception")
    school = main_school(board)
    rule = "SHARE-EXCEPTION-UNSUPPORTED"

    def disclose(when, recipient, basis, categories, note, evidence=None, near_miss=False):
        outcome = {"near_miss": (rule, note)} if near_miss else {
            "finding": (rule, disclosure_severity(categories), note)}
        plan.disclose(when, student_id=any_student(board, school, rng), recipient_id=recipient, legal_basis=basis,
                      purpose="plant", categories=categories, identifiers=["name", "student_number"],
                      evidence_ref=evidence, **outcome)

    disclose(window.at(-1, 0, "13:05"), "rcp-toets", "educational_report", ["educational_report", "progress"],
             "educational report sent to a processor instead of a school")
    disclose(window.at(-1, 1, "14:40"), "rcp-inspectie", "inspectorate", ["progress"],
             "inspectorate basis without evidence_ref")
    disclose(window.at(-1, 2, "08:55"), "rcp-veilig-thuis", "emergency", ["care", "general"],
             "emergency report to Veilig Thuis with evidence (valid)", evidence="meldcode/2026-017", near_miss=True)
    disclose(window.at(-1, 3, "10:30"), "rcp-bijles", "processor", ["progress", "care"],
             "processor basis for a recipient that is not a processor")
    disclose(window.at(-1, 4, "09:20") if window.day(-1, 4) != window.holiday else window.at(-1, 3, "09:20"),
             "rcp-onbekend", "educational_report", ["educational_report"], "recipient_id that is not in recipients")
    for week in earlier_weeks(board, -3):
        disclose(window.at(week, 2, "15:15"), "rcp-inspectie", "inspectorate", ["progress"],
                 "inspectorate basis without evidence_ref (earlier week)")


# -- PROCESSOR-NO-AGREEMENT / PROCESSOR-AGREEMENT-NOT-IN-FORCE -----------------------------------


def _processor(board: Board, recipient_id: str, name: str) -> None:
    board.add("recipients", recipient_id=recipient_id, name=name, kind="processor", content_chain=False)


def plant_processor_no_agreement(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rng = board.rng("plant:processor-no-agreement")
    _processor(board, "rcp-nimbus", "Cloudopslag Nimbus")
    plan.disclose(window.at(-1, 1, "07:45"), student_id=any_student(board, main_school(board), rng),
                  recipient_id="rcp-nimbus", legal_basis="processor", purpose="back-up",
                  categories=["administrative", "progress"], identifiers=["name", "student_number"],
                  finding=("PROCESSOR-NO-AGREEMENT", "high", "processor without any processor agreement"))


def plant_processor_agreement_not_in_force(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rng = board.rng("plant:processor-not-in-force")
    rule = "PROCESSOR-AGREEMENT-NOT-IN-FORCE"
    school = main_school(board)
    start = window.start
    complete = {"breach_notification": True, "deletion_clause": True, "model": "model-4.0"}

    def disclose(when, recipient, note, near_miss=False):
        outcome = {"near_miss": (rule, note)} if near_miss else {"finding": (rule, "high", note)}
        plan.disclose(when, student_id=any_student(board, school, rng), recipient_id=recipient,
                      legal_basis="processor", purpose="plant", categories=["administrative"],
                      identifiers=["student_number"], **outcome)

    _processor(board, "rcp-tijdvak", "Roosterapp Tijdvak")
    board.add("processor_agreements", agreement_id="vwo-tijdvak-concept", recipient_id="rcp-tijdvak",
              signed_at=None, valid_from=start - timedelta(days=60), valid_to=None,
              data_categories=["administrative"], **complete)
    disclose(window.at(-1, 2, "12:10"), "rcp-tijdvak", "processor whose only agreement is not signed")

    _processor(board, "rcp-peiling", "Enquêtetool Peiling")
    board.add("processor_agreements", agreement_id="vwo-peiling-2022", recipient_id="rcp-peiling",
              signed_at=start - timedelta(days=800), valid_from=start - timedelta(days=790),
              valid_to=start - timedelta(days=45), data_categories=["administrative"], **complete)
    disclose(window.at(-1, 3, "13:33"), "rcp-peiling", "processor whose agreement expired before the disclosure")

    # Near miss: the agreement's last day is the disclosure's day. It starts in the demo week, so it
    # is never in force on a week's last day (no renewal reminder either).
    monday, wednesday = window.day(-1, 0), window.day(-1, 2)
    _processor(board, "rcp-sprint", "Oefenplatform Sprint")
    board.add("processor_agreements", agreement_id="vwo-sprint-pilot", recipient_id="rcp-sprint",
              signed_at=monday - timedelta(days=3), valid_from=monday, valid_to=wednesday,
              data_categories=["administrative"], **complete)
    disclose(window.at(-1, 2, "15:30"), "rcp-sprint", "disclosure on the last day of the agreement (valid_to)",
             near_miss=True)


PLANTS = (
    plant_access_uninvolved,
    plant_share_no_consent,
    plant_share_exception_unsupported,
    plant_processor_no_agreement,
    plant_processor_agreement_not_in_force,
)
