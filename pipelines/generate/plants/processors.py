"""Plants for section D (disclosures to processors) and the standing agreement rules of section E.

Section D rules can apply together to one disclosure (except that the first two exclude each other
and the scope rule needs an agreement in force), so a plant may expect two findings for one row.
The background's processors (test platform, content supplier, school systems) are used as they are;
new processors get their own agreements.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from pipelines.generate.plants.plan import DEMO, Disclosure, Plan, any_student, main_school, plant
from pipelines.settings import Settings


def _processor(plan: Plan, recipient_id: str, name: str, content_chain: bool = False) -> None:
    plan.board.add(
        "recipients", recipient_id=recipient_id, name=name, kind="processor", content_chain=content_chain
    )


def _agreement(plan: Plan, agreement_id: str, recipient_id: str, signed_at: date | None, valid_from: date,
               valid_to: date | None, categories=("administrative",), breach: bool | None = True,
               deletion: bool | None = True, note: str = "") -> None:
    """A processor agreement, and its standing findings in every generated week in which it is in force
    as of Sunday: incomplete (`note` says why) unless both clauses are there, expiring within the horizon."""
    plan.board.add("processor_agreements", agreement_id=agreement_id, recipient_id=recipient_id,
                   signed_at=signed_at, valid_from=valid_from, valid_to=valid_to, data_categories=categories,
                   breach_notification=breach, deletion_clause=deletion, model="model-4.0")
    horizon = timedelta(days=Settings().renewal_horizon_days)
    for week, monday in zip(plan.board.window.weeks, plan.board.window.mondays):
        sunday = monday + timedelta(days=6)
        if signed_at is None or signed_at > sunday or valid_from > sunday or (valid_to and valid_to < sunday):
            continue
        findings = []
        if not (breach is True and deletion is True):
            findings.append(("PROCESSOR-AGREEMENT-INCOMPLETE", "medium", note))
        if valid_to and valid_to <= sunday + horizon:
            findings.append(("PROCESSOR-AGREEMENT-EXPIRING", "info", f"valid until {valid_to} (renew)"))
        plan.standing(week, "agreement", agreement_id, finding=findings)


def _send(plan: Plan, at, recipient_id: str, categories: list[str], identifiers=("student_number",),
          student=None, finding=None, near_miss=None) -> Disclosure:
    """A disclosure to a processor, of a student of the main school unless `student` is given."""
    return Disclosure(at, student or partial(_next_student, plan), recipient_id, "processor", categories,
                      identifiers=identifiers, finding=finding, near_miss=near_miss)


def _next_student(plan: Plan) -> str:
    # Drawn by the disclosure's number: one plant's disclosures do not move another's students.
    board = plan.board
    return any_student(board, main_school(board), board.rng(f"plant:send:{len(plan.disclosures)}"))


# -- PROCESSOR-NO-AGREEMENT / PROCESSOR-AGREEMENT-NOT-IN-FORCE -----------------------------------


def plant_processor_no_agreement(plan: Plan) -> None:
    _processor(plan, "rcp-nimbus", "Cloudopslag Nimbus")
    plant(plan, _send(plan, (DEMO, 1, "07:45"), "rcp-nimbus", ["administrative", "progress"],
                      identifiers=["name", "student_number"],
                      finding=("PROCESSOR-NO-AGREEMENT", "high",
                               "processor without any processor agreement")))


def plant_processor_agreement_not_in_force(plan: Plan) -> None:
    window = plan.board.window
    rule = "PROCESSOR-AGREEMENT-NOT-IN-FORCE"
    start = window.start
    # Near miss: the agreement's last day is the disclosure's day. It starts in the demo week, so it
    # is never in force on a week's last day (no renewal reminder either).
    monday, wednesday = window.day(DEMO, 0), window.day(DEMO, 2)
    _processor(plan, "rcp-tijdvak", "Roosterapp Tijdvak")
    _agreement(plan, "vwo-tijdvak-concept", "rcp-tijdvak", None, start - timedelta(days=60), None)
    _processor(plan, "rcp-peiling", "Enquêtetool Peiling")
    _agreement(plan, "vwo-peiling-2022", "rcp-peiling", start - timedelta(days=800),
               start - timedelta(days=790),
               start - timedelta(days=45))
    _processor(plan, "rcp-sprint", "Oefenplatform Sprint")
    _agreement(plan, "vwo-sprint-pilot", "rcp-sprint", monday - timedelta(days=3), monday, wednesday)
    plant(
        plan,
        _send(plan, (DEMO, 2, "12:10"), "rcp-tijdvak", ["administrative"],
              finding=(rule, "high", "processor whose only agreement is not signed")),
        _send(plan, (DEMO, 3, "13:33"), "rcp-peiling", ["administrative"],
              finding=(rule, "high", "processor whose agreement expired before the disclosure")),
        _send(plan, (DEMO, 3, "13:40"), "rcp-peiling", ["medical"],
              finding=(rule, "high", "medical data to a processor whose agreement expired"),
              near_miss=("PROCESSOR-SCOPE", "no agreement in force: scope is not judged")),
        _send(plan, (DEMO, 2, "15:30"), "rcp-sprint", ["administrative"],
              near_miss=(rule, "disclosure on the last day of the agreement (valid_to)")),
    )


# -- PROCESSOR-SCOPE -------------------------------------------------------------------------------


def plant_processor_scope(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rule = "PROCESSOR-SCOPE"
    # An agreement that states no categories covers nothing. It starts on the demo week's Monday
    # and lacks its deletion clause (unknown), so it is incomplete in the demo week only.
    monday = window.day(DEMO, 0)
    _processor(plan, "rcp-cijfers", "Cijferanalyse Inzicht")
    _agreement(plan, "vwo-inzicht-2026", "rcp-cijfers", monday - timedelta(days=7), monday, None,
               categories=None,
               deletion=None, note="agreement without a deletion clause (unknown)")
    plant(
        plan,
        # The test platform's two agreements cover administrative and progress together.
        _send(plan, (DEMO, 0, "11:20"), "rcp-toets", ["progress", "attendance"],
              finding=(rule, "medium", "attendance is not covered by the test platform's agreements")),
        _send(plan, (DEMO, 1, "11:25"), "rcp-toets", ["progress", "medical"],
              finding=(rule, "high",
                       "medical data (special) is not covered by the test platform's agreements")),
        _send(plan, (DEMO, 1, "11:30"), "rcp-toets", ["administrative", "progress"],
              near_miss=(rule, "two agreements in force cover the categories together")),
        # A school system's agreement covers care but not images: the uncovered category decides.
        _send(plan, (DEMO, 2, "11:35"), f"rcp-{board.systems[0]}", ["care", "images"],
              finding=(rule, "medium", "photos are not covered; the special category sent is covered")),
        _send(plan, (DEMO, 1, "11:40"), "rcp-cijfers", ["administrative"],
              finding=(rule, "medium", "the only agreement in force states no data categories")),
        _send(plan, (-2, 3, "11:45"), "rcp-toets", ["attendance"],
              finding=(rule, "medium", "attendance to the test platform (earlier week)")),
    )


# -- PROCESSOR-NOT-PSEUDONYMISED --------------------------------------------------------------------


def plant_processor_not_pseudonymised(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rule = "PROCESSOR-NOT-PSEUDONYMISED"
    chain = "rcp-leermiddel"  # the content supplier: agreements cover administrative and progress
    # A student without an ECK iD: direct identifiers are the only way (no finding).
    no_eck = board.add_student(
        main_school(board), window.start - timedelta(days=13 * 365), "Luuk Ouédraogo", eck_id=False
    )
    # A new content supplier without any agreement: both rules apply.
    _processor(plan, "rcp-woordkracht", "Woordkracht Oefensoftware", content_chain=True)
    plant(
        plan,
        _send(plan, (DEMO, 0, "08:10"), chain, ["administrative", "progress"], ["eck_id", "name"],
              finding=(rule, "medium", "name sent to the content supplier beside the ECK iD")),
        _send(plan, (DEMO, 1, "08:15"), chain, ["administrative"], ["eck_id", "bsn"],
              finding=(rule, "high", "citizen service number (BSN) sent to the content supplier")),
        _send(plan, (DEMO, 2, "08:20"), chain, ["progress", "images"], ["name", "eck_id"],
              finding=[(rule, "medium", "name sent to the content supplier, with photos"),
                       ("PROCESSOR-SCOPE", "medium",
                        "photos are not covered by the content supplier's agreement")]),
        _send(plan, (DEMO, 3, "08:25"), chain, ["progress"], ["eck_id", "student_number"],
              near_miss=(rule, "only the ECK iD and the school's own student number")),
        _send(plan, (DEMO, 3, "08:30"), chain, ["progress"], ["name", "student_number"], student=no_eck,
              near_miss=(rule, "the student has no ECK iD")),
        _send(plan, (DEMO, 1, "08:35"), "rcp-woordkracht", ["progress"], ["name", "student_number"],
              finding=[("PROCESSOR-NO-AGREEMENT", "high", "content supplier without any processor agreement"),
                       (rule, "medium", "name sent to a content supplier (no agreement either)")]),
        _send(plan, (-3, 2, "08:40"), chain, ["progress"], ["eck_id", "birth_date"],
              finding=(rule, "medium", "birth date sent to the content supplier (earlier week)")),
    )


# -- PROCESSOR-AGREEMENT-INCOMPLETE / PROCESSOR-AGREEMENT-EXPIRING ----------------------------------


def plant_processor_agreement_standing(plan: Plan) -> None:
    window = plan.board.window
    start, sunday = window.start, window.end

    _processor(plan, "rcp-postduif", "Nieuwsbriefdienst Postduif")
    _agreement(plan, "vwo-postduif-2024", "rcp-postduif", start - timedelta(days=300),
               start - timedelta(days=290),
               None, breach=False, note="no data-breach notification clause")
    # The renewed draft lacks both clauses but is not signed: not in force, no finding.
    _agreement(plan, "vwo-postduif-2026-concept", "rcp-postduif", None, start - timedelta(days=10), None,
               breach=None, deletion=None)
    plan.standing(window.weeks[-1], "agreement", "vwo-postduif-2026-concept",
                  near_miss=("PROCESSOR-AGREEMENT-INCOMPLETE",
                             "an unsigned draft lacking clauses is not in force"))

    # Renewal horizon: the last day that still counts, the first that does not, and an agreement that
    # expires soon in every week and also lacks its deletion clause.
    signed, valid_from = start - timedelta(days=330), start - timedelta(days=320)
    _processor(plan, "rcp-bladwijzer", "Leesapp Bladwijzer")
    _agreement(plan, "vwo-bladwijzer-2025", "rcp-bladwijzer", signed, valid_from, sunday + timedelta(days=60))
    _processor(plan, "rcp-rekenmaatje", "Rekenmaatje Online")
    _agreement(plan, "vwo-rekenmaatje-2025", "rcp-rekenmaatje", signed, valid_from,
               sunday + timedelta(days=61))
    plan.standing(window.weeks[-1], "agreement", "vwo-rekenmaatje-2025",
                  near_miss=("PROCESSOR-AGREEMENT-EXPIRING", "valid_to is the week's Sunday plus 61 days"))
    _processor(plan, "rcp-agenda", "Schoolagenda Plus")
    _agreement(plan, "vwo-agenda-2023", "rcp-agenda", start - timedelta(days=700),
               start - timedelta(days=690),
               sunday + timedelta(days=5), deletion=False, note="no delete-or-return clause")


PLANTS = (
    plant_processor_no_agreement,
    plant_processor_agreement_not_in_force,
    plant_processor_scope,
    plant_processor_not_pseudonymised,
    plant_processor_agreement_standing,
)
