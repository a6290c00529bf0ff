"""Plants for sections B and C: disclosures on consent, and on the legal exceptions.

A consent disclosure gets at most one finding of section B (the first that applies), critical when a
special category is disclosed, except the age transition, which is always info. Each plant uses
planted students with their own guardians and consents, so the party, dates and ages are exact.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from pipelines.generate.basics import is_leap
from pipelines.generate.plants.plan import (
    DEMO,
    Disclosure,
    Plan,
    any_student,
    birthday_weekday,
    born_aged,
    born_turning,
    disclosure_severity,
    earlier_weeks,
    family,
    main_school,
    plant,
)


def _share(
    at,
    student_id: str,
    consent_id: str | None,
    categories=("progress",),
    *,
    purpose: str = "tutoring",
    recipient_id: str = "rcp-bijles",
    rule: str | None = None,
    note: str = "",
    near_miss=None,
) -> Disclosure:
    """A disclosure on consent; `rule` names the finding it must give (severity from the categories)."""
    finding = None
    if rule:
        severity = "info" if rule == "SHARE-CONSENT-AGE-TRANSITION" else disclosure_severity(categories)
        finding = (rule, severity, note)
    return Disclosure(at, student_id, recipient_id, "consent", categories, purpose,
                      ["name", "student_number"], consent_id, finding=finding, near_miss=near_miss)


def _child(plan: Plan, years: int, name: str, parent: str, days: int = 100) -> tuple[str, str]:
    """A planted student of `years` at the main school with one parent with authority."""
    student, (guardian,) = family(
        plan.board,
        main_school(plan.board),
        born_aged(plan.board, years, days),
        name,
        ("parent", True, parent),
    )
    return student, guardian


def _tutoring(
    plan: Plan,
    student: str,
    by: str,
    given_at,
    *,
    categories=("progress", "attendance"),
    recipient_id: str = "rcp-bijles",
    **more,
) -> str:
    """A tutoring consent signed by a guardian (`by`), as the background's tutoring disclosures use."""
    return plan.consent(
        student,
        by,
        "guardian",
        given_at,
        purpose="tutoring",
        categories=list(categories),
        recipient_id=recipient_id,
        **more,
    )


# -- SHARE-NO-CONSENT ------------------------------------------------------------------------------


def plant_share_no_consent(plan: Plan) -> None:
    board = plan.board
    rng = board.rng("plant:share-no-consent")
    school = main_school(board)
    rule = "SHARE-NO-CONSENT"
    consents = board.tables["consents"]
    photo = consents[consents["_usable"] & (consents["purpose"] == "school_photos")]
    anyone = partial(any_student, board, school, rng)

    def photos(at, student, consent_id, note) -> Disclosure:
        return Disclosure(at, student, "rcp-foto", "consent", ["images"], "school_photos", consent=consent_id,
                          finding=(rule, disclosure_severity(["images"]), note))

    plant(plan, photos((DEMO, 1, "09:12"), anyone, None, "consent basis without a consent_id"))
    other = photo.iloc[int(rng.integers(0, len(photo)))]
    student = any_student(board, school, rng)
    while student == other["student_id"]:
        student = any_student(board, school, rng)
    plant(
        plan,
        photos((DEMO, 2, "11:47"), student, other["consent_id"], "consent_id of another student's consent"),
        photos((DEMO, 3, "15:03"), anyone, "TST-X0404", "consent_id that is unknown"),
        Disclosure((DEMO, 3, "16:20"), anyone, "rcp-bijles", "consent", ["progress", "care"], "tutoring",
                   ["name", "student_number"],
                   finding=(rule, "critical",
                            "care data (special category) disclosed on consent without a consent_id")),
        photos((-2, 0, "10:00"), anyone, None, "consent basis without a consent_id (earlier week)"),
    )


# -- SHARE-CONSENT-INVALID-FORM -----------------------------------------------------------------


def plant_share_consent_invalid_form(plan: Plan) -> None:
    window = plan.board.window
    rule = "SHARE-CONSENT-INVALID-FORM"
    student, parent = _child(plan, 13, "Julia Smit", "Smit, Kees")
    verbal = _tutoring(plan, student, parent, window.start - timedelta(days=60), form="verbal")
    implied = _tutoring(plan, student, parent, window.day(DEMO, 3), form="implied",
                        categories=["progress", "care"])
    plant(
        plan,
        _share((DEMO, 0, "10:00"), student, verbal, rule=rule, note="consent given by telephone (verbal)"),
        # Implied and also given after the share: the form is judged first.
        _share((DEMO, 2, "10:05"), student, implied, ["progress", "care"], rule=rule,
               note="implied consent (and given a day later) for care data",
               near_miss=("SHARE-CONSENT-AFTER", "the form is judged first")),
    )
    if earlier_weeks(plan.board, -3):  # its own consent, made only when the window holds the week
        opt_out = plan.consent(student, parent, "guardian", window.start - timedelta(days=90),
                               purpose="school_photos", categories=["images"], recipient_id="rcp-foto",
                               form="opt_out")
        plant(plan, _share((-3, 1, "13:00"), student, opt_out, ["images"], purpose="school_photos",
                           recipient_id="rcp-foto", rule=rule,
                           note="photos on an opt-out (silence is no consent)"))


# -- SHARE-CONSENT-AFTER ------------------------------------------------------------------------


def plant_share_consent_after(plan: Plan) -> None:
    window = plan.board.window
    rule = "SHARE-CONSENT-AFTER"
    student, parent = _child(plan, 14, "Levi Hendriks", "Hendriks, Nina")
    # Given 00:30 local on Wednesday, written in UTC: on Tuesday in UTC, the share's local day.
    late = _tutoring(plan, student, parent, window.at(DEMO, 2, "00:30"), style=2)
    same_day = _tutoring(plan, student, parent, window.at(DEMO, 3, "16:00"), style=1)
    plant(
        plan,
        _share((DEMO, 1, "15:00"), student, late, rule=rule,
               note="consent signed just after local midnight the day after the share (UTC: the same day)"),
        _share((DEMO, 3, "09:00"), student, same_day, near_miss=(
            rule, "consent given later on the same day as the share (the same day counts as before)")),
    )


# -- SHARE-CONSENT-WITHDRAWN --------------------------------------------------------------------


def plant_share_consent_withdrawn(plan: Plan) -> None:
    window = plan.board.window
    rule = "SHARE-CONSENT-WITHDRAWN"
    student, parent = _child(plan, 12, "Bram Jansen", "Jansen, Mila", days=200)
    given, monday = window.start - timedelta(days=100), window.day(DEMO, 0)
    on_the_day = _tutoring(plan, student, parent, given, withdrawn_at=window.day(DEMO, 1))
    next_day = _tutoring(plan, student, parent, given, withdrawn_at=window.day(DEMO, 3))
    both = _tutoring(plan, student, parent, given, withdrawn_at=monday - timedelta(days=10),
                     valid_until=monday - timedelta(days=5))
    plant(
        plan,
        _share((DEMO, 1, "11:00"), student, on_the_day, rule=rule,
               note="consent withdrawn on the day of the share"),
        _share((DEMO, 2, "11:00"), student, next_day,
               near_miss=(rule, "consent withdrawn the day after the share")),
        _share((DEMO, 0, "14:30"), student, both, rule=rule,
               note="consent withdrawn (and expired) before the share: withdrawal is judged first",
               near_miss=("SHARE-CONSENT-EXPIRED", "withdrawal is judged first")),
    )


# -- SHARE-CONSENT-EXPIRED ----------------------------------------------------------------------


def plant_share_consent_expired(plan: Plan) -> None:
    window = plan.board.window
    rule = "SHARE-CONSENT-EXPIRED"
    student, parent = _child(plan, 15, "Saar de Groot", "de Groot, Jan", days=40)
    given = window.start - timedelta(days=120)
    expired = _tutoring(plan, student, parent, given, valid_until=window.day(DEMO, 1))
    last_day = _tutoring(plan, student, parent, given, valid_until=window.day(DEMO, 2))
    plant(
        plan,
        _share((DEMO, 2, "09:30"), student, expired, rule=rule, note="consent valid until the day before"),
        _share((DEMO, 2, "16:45"), student, last_day,
               near_miss=(rule, "share on the consent's last valid day")),
    )
    if earlier_weeks(plan.board, -2):  # its own consent, made only when the window holds the week
        old = _tutoring(plan, student, parent, given, valid_until=window.day(-2, 0),
                        categories=["progress", "care"])
        plant(plan, _share((-2, 1, "10:40"), student, old, ["care"], rule=rule,
                           note="care data on an expired consent (earlier week)"))


# -- SHARE-CONSENT-WRONG-PARTY -----------------------------------------------------------------


def plant_share_consent_wrong_party(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rule = "SHARE-CONSENT-WRONG-PARTY"
    # A 17-year-old decides; the parent signed when they were already 16. (The recipient is wrong too:
    # the party is judged first.)
    teen, parent = _child(plan, 17, "Anouk Mulder", "Mulder, Finn")
    by_parent = _tutoring(plan, teen, parent, window.day(DEMO, 0) - timedelta(days=60),
                          recipient_id="rcp-foto")
    # A child under 16: a foster parent (no authority) signed; the voogd signed before the guardianship.
    placed = window.start - timedelta(days=200)
    child, (foster,) = family(board, main_school(board), born_aged(board, 12, 30), "Fatima Koç",
                              ("foster_parent", False, "Koç, Ilse"))
    voogd = board.add_guardian(child, "guardian", True, "Stichting Voogdij, Ruben Dekker", valid_from=placed)
    by_foster = _tutoring(plan, child, foster, window.start - timedelta(days=30))
    too_early = _tutoring(plan, child, voogd, placed - timedelta(days=1), categories=["progress", "care"])
    in_time = _tutoring(plan, child, voogd, placed)
    plant(
        plan,
        _share((DEMO, 1, "14:00"), teen, by_parent, rule=rule,
               note="a parent consented for a student who was 16 at the time",
               near_miss=("SHARE-CONSENT-SCOPE", "the party is judged first")),
        _share((DEMO, 2, "14:10"), child, by_foster, rule=rule,
               note="a foster parent without authority consented for a child under 16"),
        _share((DEMO, 3, "14:20"), child, too_early, ["progress", "care"], rule=rule,
               note="the guardian signed the day before the guardianship began (care data)"),
        _share((DEMO, 3, "14:30"), child, in_time,
               near_miss=(rule, "the guardian signed on the day the guardianship began")),
    )


def plant_leap_day_consent(plan: Plan) -> None:
    """A student born on 29 February of a leap year turns 16 on 29 February (16 years later is a leap
    year too): on 28 February of that year the parent may still sign, on the 29th no more."""
    board, window = plan.board, plan.board.window
    rule = "SHARE-CONSENT-WRONG-PARTY"
    year = next(
        y
        for y in range(window.start.year - 16, 1900, -1)
        if is_leap(y) and date(y + 16, 3, 1) < window.start - timedelta(days=30)
    )
    mother = ("parent", True, "van Leeuwen, Hiba")
    student, (parent,) = family(board, main_school(board), date(year, 2, 29), "Zoë van Leeuwen", mother)
    still_15 = _tutoring(plan, student, parent, date(year + 16, 2, 28))
    turned_16 = _tutoring(plan, student, parent, date(year + 16, 2, 29))
    plant(
        plan,
        _share((DEMO, 0, "13:30"), student, still_15, rule="SHARE-CONSENT-AGE-TRANSITION",
               note="born 29 February: the parent signed on 28 February, the day before the 16th birthday",
               near_miss=(rule, "born 29 February: still 15 on 28 February")),
        _share((DEMO, 1, "13:30"), student, turned_16, rule=rule,
               note="born 29 February: the parent signed on the 16th birthday (29 February)"),
    )


# -- SHARE-CONSENT-SCOPE -----------------------------------------------------------------------


def plant_share_consent_scope(plan: Plan) -> None:
    window = plan.board.window
    rule = "SHARE-CONSENT-SCOPE"
    student, parent = _child(plan, 14, "Daan Bos", "Bos, Emma", days=250)
    consent = _tutoring(plan, student, parent, window.start - timedelta(days=45))
    anyone = plan.consent(student, parent, "guardian", window.start - timedelta(days=45),
                          purpose="school_photos",
                          categories=["images"])
    plant(
        plan,
        _share((DEMO, 0, "15:10"), student, consent, recipient_id="rcp-foto", rule=rule,
               note="the consent names another recipient"),
        _share((DEMO, 1, "15:20"), student, consent, purpose="huiswerkbegeleiding", rule=rule,
               note="another purpose than the consent's"),
        _share((DEMO, 2, "15:30"), student, consent, ["progress", "medical"], rule=rule,
               note="medical data that the consent does not list"),
        _share((DEMO, 3, "15:40"), student, consent, ["attendance"], purpose="  TUTORING ",
               near_miss=(rule, "purpose in other case and spacing, a listed category")),
        _share((DEMO, 3, "15:50"), student, anyone, ["images"], purpose="school_photos",
               recipient_id="rcp-foto",
               near_miss=(rule, "a consent without recipient covers any recipient")),
        _share((-3, 2, "15:00"), student, consent, ["images"], rule=rule,
               note="photos on a tutoring consent (earlier week)"),
    )


# -- SHARE-CONSENT-AGE-TRANSITION ------------------------------------------------------------------


def plant_share_consent_age_transition(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    rule = "SHARE-CONSENT-AGE-TRANSITION"
    weekday = birthday_weekday(board, 16, (2, 3, 1))
    birth = born_turning(window.day(DEMO, weekday), 16)
    student, (parent,) = family(
        board, main_school(board), birth, "Ayşe Yılmaz", ("parent", True, "Yılmaz, Mohammed")
    )
    consent = _tutoring(plan, student, parent, date(birth.year + 13, 9, 1), categories=["progress", "care"])
    plant(
        plan,
        _share((DEMO, weekday - 1, "14:00"), student, consent,
               near_miss=(rule, "share the day before the 16th birthday")),
        _share((DEMO, weekday, "10:00"), student, consent, ["progress", "care"], rule=rule,
               note="share on the 16th birthday on the parent's consent (info, also for care data)"),
    )


# -- SHARE-EXCEPTION-UNSUPPORTED ------------------------------------------------------------------


def plant_share_exception_unsupported(plan: Plan) -> None:
    board, window = plan.board, plan.board.window
    anyone = partial(any_student, board, main_school(board), board.rng("plant:share-exception"))
    rule = "SHARE-EXCEPTION-UNSUPPORTED"

    def disclose(at, recipient, basis, categories, note, evidence=None, near_miss=False) -> Disclosure:
        finding = None if near_miss else (rule, disclosure_severity(categories), note)
        return Disclosure(at, anyone, recipient, basis, categories, identifiers=["name", "student_number"],
                          evidence=evidence, finding=finding,
                          near_miss=(rule, note) if near_miss else None)

    friday = 4 if window.day(DEMO, 4) != window.holiday else 3
    plant(
        plan,
        disclose((DEMO, 0, "13:05"), "rcp-toets", "educational_report", ["educational_report", "progress"],
                 "educational report sent to a processor instead of a school"),
        disclose((DEMO, 1, "14:40"), "rcp-inspectie", "inspectorate", ["progress"],
                 "inspectorate basis without evidence_ref"),
        disclose((DEMO, 2, "08:55"), "rcp-veilig-thuis", "emergency", ["care", "general"],
                 "emergency report to Veilig Thuis with evidence (valid)", evidence="meldcode/2026-017",
                 near_miss=True),
        disclose((DEMO, 3, "10:30"), "rcp-bijles", "processor", ["progress", "care"],
                 "processor basis for a recipient that is not a processor"),
        disclose((DEMO, friday, "09:20"), "rcp-onbekend", "educational_report", ["educational_report"],
                 "recipient_id that is not in recipients"),
        disclose((-3, 2, "15:15"), "rcp-inspectie", "inspectorate", ["progress"],
                 "inspectorate basis without evidence_ref (earlier week)"),
    )


PLANTS = (
    plant_share_no_consent,
    plant_share_consent_invalid_form,
    plant_share_consent_after,
    plant_share_consent_withdrawn,
    plant_share_consent_expired,
    plant_share_consent_wrong_party,
    plant_leap_day_consent,
    plant_share_consent_scope,
    plant_share_consent_age_transition,
    plant_share_exception_unsupported,
)
