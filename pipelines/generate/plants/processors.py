"""Plants for section D (disclosures to processors) and the standing agreement rules of section E.

Section D rules can apply together to one disclosure (except that the first two exclude each other
and the scope rule needs an agreement in force), so a plant may expect two findings for one row.
The background's processors (test platform, content supplier, school systems) are used as they are;
new processors get their own agreements.
"""

from __future__ import annotations

from datetime import date, timedelta

from pipelines.generate.plants.plan import DEMO, Plan, any_student, earlier_weeks, main_school
from pipelines.settings import Settings

COMPLETE = {"breach_notification": True, "deletion_clause": True, "model": "model-4.0"}


def _processor(plan: Plan, recipient_id: str, name: str, content_chain: bool = False) -> None:
    plan.board.add(
        "recipients", recipient_id=recipient_id, name=name, kind="processor", content_chain=content_chain
    )


def _send(
    plan: Plan,
    when,
    recipient_id: str,
    categories: list[str],
    identifiers=("student_number",),
    student=None,
    finding=None,
    near_miss=None,
) -> None:
    board = plan.board
    student = student or any_student(
        board, main_school(board), board.rng(f"plant:send:{len(plan.disclosures)}")
    )
    plan.disclose(
        when,
        student_id=student,
        recipient_id=recipient_id,
        legal_basis="processor",
        purpose="plant",
        categories=categories,
        identifiers=list(identifiers),
        finding=finding,
        near_miss=near_miss,
    )


# -- PROCESSOR-NO-AGREEMENT / PROCESSOR-AGREEMENT-NOT-IN-FORCE -----------------------------------


def plant_processor_no_agreement(plan: Plan) -> None:
    window = plan.board.window
    _processor(plan, "rcp-nimbus", "Cloudopslag Nimbus")
    _send(
        plan,
        window.at(DEMO, 1, "07:45"),
        "rcp-nimbus",
        ["administrative", "progress"],
        identifiers=["name", "student_number"],
        finding=("PROCESSOR-NO-AGREEMENT", "high", "processor without any processor agreement"),
    )


def plant_processor_agreement_not_in_force(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rule = "PROCESSOR-AGREEMENT-NOT-IN-FORCE"
    start = window.start

    _processor(plan, "rcp-tijdvak", "Roosterapp Tijdvak")
    board.add(
        "processor_agreements",
        agreement_id="vwo-tijdvak-concept",
        recipient_id="rcp-tijdvak",
        signed_at=None,
        valid_from=start - timedelta(days=60),
        valid_to=None,
        data_categories=["administrative"],
        **COMPLETE,
    )
    _send(
        plan,
        window.at(DEMO, 2, "12:10"),
        "rcp-tijdvak",
        ["administrative"],
        finding=(rule, "high", "processor whose only agreement is not signed"),
    )

    _processor(plan, "rcp-peiling", "Enquêtetool Peiling")
    board.add(
        "processor_agreements",
        agreement_id="vwo-peiling-2022",
        recipient_id="rcp-peiling",
        signed_at=start - timedelta(days=800),
        valid_from=start - timedelta(days=790),
        valid_to=start - timedelta(days=45),
        data_categories=["administrative"],
        **COMPLETE,
    )
    _send(
        plan,
        window.at(DEMO, 3, "13:33"),
        "rcp-peiling",
        ["administrative"],
        finding=(rule, "high", "processor whose agreement expired before the disclosure"),
    )
    _send(
        plan,
        window.at(DEMO, 3, "13:40"),
        "rcp-peiling",
        ["medical"],
        finding=(rule, "high", "medical data to a processor whose agreement expired"),
        near_miss=("PROCESSOR-SCOPE", "no agreement in force: scope is not judged"),
    )

    # Near miss: the agreement's last day is the disclosure's day. It starts in the demo week, so it
    # is never in force on a week's last day (no renewal reminder either).
    monday, wednesday = window.day(DEMO, 0), window.day(DEMO, 2)
    _processor(plan, "rcp-sprint", "Oefenplatform Sprint")
    board.add(
        "processor_agreements",
        agreement_id="vwo-sprint-pilot",
        recipient_id="rcp-sprint",
        signed_at=monday - timedelta(days=3),
        valid_from=monday,
        valid_to=wednesday,
        data_categories=["administrative"],
        **COMPLETE,
    )
    _send(
        plan,
        window.at(DEMO, 2, "15:30"),
        "rcp-sprint",
        ["administrative"],
        near_miss=(rule, "disclosure on the last day of the agreement (valid_to)"),
    )


# -- PROCESSOR-SCOPE -------------------------------------------------------------------------------


def plant_processor_scope(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rule = "PROCESSOR-SCOPE"
    # The test platform's two agreements cover administrative and progress together.
    _send(
        plan,
        window.at(DEMO, 0, "11:20"),
        "rcp-toets",
        ["progress", "attendance"],
        finding=(rule, "medium", "attendance is not covered by the test platform's agreements"),
    )
    _send(
        plan,
        window.at(DEMO, 1, "11:25"),
        "rcp-toets",
        ["progress", "medical"],
        finding=(rule, "high", "medical data (special) is not covered by the test platform's agreements"),
    )
    _send(
        plan,
        window.at(DEMO, 1, "11:30"),
        "rcp-toets",
        ["administrative", "progress"],
        near_miss=(rule, "two agreements in force cover the categories together"),
    )
    # A school system's agreement covers care but not images: the uncovered category decides.
    system = board.systems[0]
    _send(
        plan,
        window.at(DEMO, 2, "11:35"),
        f"rcp-{system}",
        ["care", "images"],
        finding=(rule, "medium", "photos are not covered; the special category sent is covered"),
    )
    # An agreement that states no categories covers nothing. It starts on the demo week's Monday
    # and lacks its deletion clause (unknown), so it is incomplete in the demo week only.
    monday = window.day(DEMO, 0)
    _processor(plan, "rcp-cijfers", "Cijferanalyse Inzicht")
    board.add(
        "processor_agreements",
        agreement_id="vwo-inzicht-2026",
        recipient_id="rcp-cijfers",
        signed_at=monday - timedelta(days=7),
        valid_from=monday,
        valid_to=None,
        data_categories=None,
        breach_notification=True,
        deletion_clause=None,
        model="model-4.0",
    )
    _send(
        plan,
        window.at(DEMO, 1, "11:40"),
        "rcp-cijfers",
        ["administrative"],
        finding=(rule, "medium", "the only agreement in force states no data categories"),
    )
    _standing_agreement(
        plan,
        "vwo-inzicht-2026",
        monday - timedelta(days=7),
        monday,
        None,
        True,
        None,
        "agreement without a deletion clause (unknown)",
    )
    for week in earlier_weeks(board, -2):
        _send(
            plan,
            window.at(week, 3, "11:45"),
            "rcp-toets",
            ["attendance"],
            finding=(rule, "medium", "attendance to the test platform (earlier week)"),
        )


# -- PROCESSOR-NOT-PSEUDONYMISED --------------------------------------------------------------------


def plant_processor_not_pseudonymised(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rule = "PROCESSOR-NOT-PSEUDONYMISED"
    chain = "rcp-leermiddel"  # the content supplier: agreements cover administrative and progress
    _send(
        plan,
        window.at(DEMO, 0, "08:10"),
        chain,
        ["administrative", "progress"],
        identifiers=["eck_id", "name"],
        finding=(rule, "medium", "name sent to the content supplier beside the ECK iD"),
    )
    _send(
        plan,
        window.at(DEMO, 1, "08:15"),
        chain,
        ["administrative"],
        identifiers=["eck_id", "bsn"],
        finding=(rule, "high", "citizen service number (BSN) sent to the content supplier"),
    )
    _send(
        plan,
        window.at(DEMO, 2, "08:20"),
        chain,
        ["progress", "images"],
        identifiers=["name", "eck_id"],
        finding=[
            (rule, "medium", "name sent to the content supplier, with photos"),
            ("PROCESSOR-SCOPE", "medium", "photos are not covered by the content supplier's agreement"),
        ],
    )
    _send(
        plan,
        window.at(DEMO, 3, "08:25"),
        chain,
        ["progress"],
        identifiers=["eck_id", "student_number"],
        near_miss=(rule, "only the ECK iD and the school's own student number"),
    )
    # A student without an ECK iD: direct identifiers are the only way (no finding).
    no_eck = board.add_student(
        main_school(board), window.start - timedelta(days=13 * 365), "Luuk Ouédraogo", eck_id=False
    )
    _send(
        plan,
        window.at(DEMO, 3, "08:30"),
        chain,
        ["progress"],
        identifiers=["name", "student_number"],
        student=no_eck,
        near_miss=(rule, "the student has no ECK iD"),
    )
    # A new content supplier without any agreement: both rules apply.
    _processor(plan, "rcp-woordkracht", "Woordkracht Oefensoftware", content_chain=True)
    _send(
        plan,
        window.at(DEMO, 1, "08:35"),
        "rcp-woordkracht",
        ["progress"],
        identifiers=["name", "student_number"],
        finding=[
            ("PROCESSOR-NO-AGREEMENT", "high", "content supplier without any processor agreement"),
            (rule, "medium", "name sent to a content supplier (no agreement either)"),
        ],
    )
    for week in earlier_weeks(board, -3):
        _send(
            plan,
            window.at(week, 2, "08:40"),
            chain,
            ["progress"],
            identifiers=["eck_id", "birth_date"],
            finding=(rule, "medium", "birth date sent to the content supplier (earlier week)"),
        )


# -- PROCESSOR-AGREEMENT-INCOMPLETE / PROCESSOR-AGREEMENT-EXPIRING ----------------------------------


def _standing_agreement(
    plan: Plan,
    agreement_id: str,
    signed_at: date | None,
    valid_from: date,
    valid_to: date | None,
    breach: bool | None,
    deletion: bool | None,
    note: str,
) -> None:
    """The standing findings of an agreement, in every generated week in which it holds (as of Sunday)."""
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


def plant_processor_agreement_standing(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    start, sunday = window.start, window.end

    def agreement(agreement_id, recipient_id, signed_at, valid_from, valid_to, breach, deletion, note):
        board.add(
            "processor_agreements",
            agreement_id=agreement_id,
            recipient_id=recipient_id,
            signed_at=signed_at,
            valid_from=valid_from,
            valid_to=valid_to,
            data_categories=["administrative"],
            breach_notification=breach,
            deletion_clause=deletion,
            model="model-4.0",
        )
        _standing_agreement(plan, agreement_id, signed_at, valid_from, valid_to, breach, deletion, note)

    _processor(plan, "rcp-postduif", "Nieuwsbriefdienst Postduif")
    agreement(
        "vwo-postduif-2024",
        "rcp-postduif",
        start - timedelta(days=300),
        start - timedelta(days=290),
        None,
        False,
        True,
        "no data-breach notification clause",
    )
    # The renewed draft lacks both clauses but is not signed: not in force, no finding.
    agreement(
        "vwo-postduif-2026-concept", "rcp-postduif", None, start - timedelta(days=10), None, None, None, ""
    )
    plan.standing(
        window.weeks[-1],
        "agreement",
        "vwo-postduif-2026-concept",
        near_miss=("PROCESSOR-AGREEMENT-INCOMPLETE", "an unsigned draft lacking clauses is not in force"),
    )

    # Renewal horizon: the last day that still counts, the first that does not, and an agreement that
    # expires soon in every week and also lacks its deletion clause.
    _processor(plan, "rcp-bladwijzer", "Leesapp Bladwijzer")
    agreement(
        "vwo-bladwijzer-2025",
        "rcp-bladwijzer",
        start - timedelta(days=330),
        start - timedelta(days=320),
        sunday + timedelta(days=60),
        True,
        True,
        "",
    )
    _processor(plan, "rcp-rekenmaatje", "Rekenmaatje Online")
    agreement(
        "vwo-rekenmaatje-2025",
        "rcp-rekenmaatje",
        start - timedelta(days=330),
        start - timedelta(days=320),
        sunday + timedelta(days=61),
        True,
        True,
        "",
    )
    plan.standing(
        window.weeks[-1],
        "agreement",
        "vwo-rekenmaatje-2025",
        near_miss=("PROCESSOR-AGREEMENT-EXPIRING", "valid_to is the week's Sunday plus 61 days"),
    )
    _processor(plan, "rcp-agenda", "Schoolagenda Plus")
    agreement(
        "vwo-agenda-2023",
        "rcp-agenda",
        start - timedelta(days=700),
        start - timedelta(days=690),
        sunday + timedelta(days=5),
        True,
        False,
        "no delete-or-return clause",
    )


PLANTS = (
    plant_processor_no_agreement,
    plant_processor_agreement_not_in_force,
    plant_processor_scope,
    plant_processor_not_pseudonymised,
    plant_processor_agreement_standing,
)
