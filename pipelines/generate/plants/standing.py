"""Plants for the standing rules about policies and the access log itself (section E).

Standing findings belong to every week in which they hold as of its Sunday, so these plants record
one outcome per generated week. The log gap is planted last: it needs a (source system, day) pair
that no other plant logs on.
"""

from __future__ import annotations

from datetime import date, timedelta

from pipelines.generate.plants.plan import DEMO, Plan, main_school, other_school

RULE_POLICY = "POLICY-NOT-APPROVED"


def _policy(
    plan: Plan,
    policy_id: str,
    version: str,
    effective_from: date,
    scope: str,
    decisions: list[tuple[str, str, date]],
    note: str = "",
    near_miss: str | None = None,
) -> None:
    """A policy version in force from `effective_from` (the plant makes sure no later version of the
    same policy and scope takes over), with its council `decisions` (council, decision, decided_at),
    added once per version. High when the right council gave no consent by the week's Sunday, medium
    when it gave it only after `effective_from`."""
    board = plan.board
    added = board.added.get("council_decisions", [])
    if not any((row["policy_id"], row["version"]) == (policy_id, version) for row in added):
        for council, decision, decided_at in decisions:
            board.add("council_decisions", policy_id=policy_id, version=version, council=council,
                      decision=decision, decided_at=decided_at)
    board.add("policies", policy_id=policy_id, version=version, effective_from=effective_from, scope=scope)
    right = "GMR" if scope == "board" else "MR"
    consents = [d for council, decision, d in decisions if council == right and decision == "consent"]
    subject = f"{policy_id}@{version}@{scope}"
    for week, monday in zip(board.window.weeks, board.window.mondays):
        sunday = monday + timedelta(days=6)
        if effective_from > sunday:
            continue
        if not any(d <= sunday for d in consents):
            plan.standing(week, "policy", subject, finding=(RULE_POLICY, "high", note))
        elif not any(d <= effective_from for d in consents):
            plan.standing(week, "policy", subject, finding=(RULE_POLICY, "medium", note))
        elif near_miss and week == board.window.weeks[-1]:
            plan.standing(week, "policy", subject, near_miss=(RULE_POLICY, near_miss))


def plant_policy_not_approved(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    wednesday = window.day(DEMO, 2)

    def before(days: int) -> date:
        return window.start - timedelta(days=days)

    # Only the wrong council consented (MR for a board policy), and the right one refused.
    _policy(plan, "reglement-sociale-media", "1", before(120), "board",
            [("MR", "consent", before(130)), ("GMR", "refused", before(125))],
            "board policy without consent of the GMR (an MR consent and a GMR refusal only)")
    # Two versions take effect on the same day: the greater one counts, compared as numbers (10 > 9).
    protocol = "protocol-medisch-handelen"
    _policy(plan, protocol, "9", before(60), "board", [("GMR", "consent", before(70))])
    _policy(plan, protocol, "10", before(60), "board", [],
            "version 10 takes effect with version 9 on the same day and has no consent")
    # A school policy whose MR consented only after it took effect.
    _policy(plan, "cameratoezicht-plein", "1", before(40), board.school_id(main_school(board)),
            [("MR", "consent", before(20))], "MR consent came 20 days after the policy took effect")
    # One version in two scopes: the GMR consented in time for the board; the other school's MR
    # consents only on the demo week's Wednesday (high before, medium from that week).
    decisions = [("GMR", "consent", before(35)), ("MR", "consent", wednesday)]
    _policy(plan, "verzuimprotocol", "2", before(30), "board", decisions,
            near_miss="the GMR consented before the board version took effect")
    _policy(plan, "verzuimprotocol", "2", before(30), board.school_id(other_school(board)), decisions,
            "the school's MR had not consented when the protocol took effect (the GMR's is for the board)")
    # A new privacy regulation taking effect mid-week, with the GMR's consent given that same day.
    _policy(plan, "privacyreglement", "3", wednesday, "board", [("GMR", "consent", wednesday)],
            near_miss="consent given on the day the version takes effect")


# -- LOG-GAP -------------------------------------------------------------------------------------------


def plant_log_gap(plan: Plan) -> None:
    """A source system that logs nothing on one weekday of the demo week, which is a study day at one
    of its schools (a study day only excuses when it holds for every school). Needs a week before it."""
    board, window = plan.board, plan.board.window
    rule = "LOG-GAP"
    if len(window.weeks) >= 3:  # the holiday's week has a look-back with events
        for system in board.systems:
            plan.standing(
                window.weeks[-2],
                "source_system",
                f"{system}@{window.holiday.isoformat()}",
                near_miss=(rule, "a holiday for every school (calendar row without school_id)"),
            )
    if len(window.weeks) < 2:
        return
    planted = {(e["source_system"], e["occurred_at"].date()) for e in plan.events}
    for weekday in (2, 1, 3, 0):
        day = window.day(DEMO, weekday)
        for system in board.systems:
            if day == window.holiday or (system, day) in planted:
                continue
            plan.log_gaps.append((system, day))
            school = board.school_id(_school_of_system(board, system))
            board.add("calendar", date_from=day, date_to=day, kind="study_day", school_id=school)
            plan.standing(
                window.weeks[-1],
                "source_system",
                f"{system}@{day.isoformat()}",
                finding=(
                    rule,
                    "high",
                    ("no access logged on a weekday; a study day at one school does not excuse it"),
                ),
            )
            return


def _school_of_system(board, system: str) -> int:
    code = list(board.systems).index(system)
    return int((board.school_system == code).nonzero()[0][0])


PLANTS = (plant_policy_not_approved, plant_log_gap)
