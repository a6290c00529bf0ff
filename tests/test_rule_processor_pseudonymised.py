"""Section D: PROCESSOR-NOT-PSEUDONYMISED: direct identifiers (name, birth_date, address, bsn) sent to a
supplier in the educational content chain for a student who has an ECK iD. High when the bsn is sent."""

import pytest

from checks.registry import load_catalogue
from tests.rule_fixtures import (
    WEEK,
    add_agreement,
    add_disclosure,
    add_recipient,
    add_student,
    check,
    coverage,
    facts,
    finding_row,
    findings,
    render,
    warehouse,
)

PROCESSOR_RULES = [r.id for r in load_catalogue() if r.family == "processor"]
RULE = "PROCESSOR-NOT-PSEUDONYMISED"


@pytest.fixture
def con():
    """s1 has an ECK iD, s2 has none; 'chain' supplies learning material, 'admin' does not. Both have an
    agreement in force covering progress, so only this rule can speak."""
    con = warehouse()
    add_student(con, "s1", school="A", eck_id="https://ketenid.nl/201703/abc")
    add_student(con, "s2", school="A")
    add_recipient(con, "chain", kind="processor", name="Methode Uitgever BV", content_chain=True)
    add_recipient(con, "admin", kind="processor", content_chain=False)
    add_agreement(con, "a-chain", recipient="chain", categories=["progress"])
    add_agreement(con, "a-admin", recipient="admin", categories=["progress"])
    return con


def disclose(con, disclosure_id="x1", identifiers=("eck_id",), **kwargs):
    kwargs.setdefault("recipient", "chain")
    kwargs.setdefault("student", "s1")
    kwargs.setdefault("legal_basis", "processor")
    add_disclosure(con, disclosure_id, identifiers=identifiers, **kwargs)


def flagged(con, week=WEEK):
    check(con, week, rules=PROCESSOR_RULES)
    return findings(con, week)


def test_direct_identifiers_to_the_content_chain(con):
    cases = {
        "x1": (["name"], "medium"),
        "x2": (["birth_date"], "medium"),
        "x3": (["address"], "medium"),
        "x4": (["bsn"], "high"),
        "x5": (["eck_id", "name", "student_number"], "medium"),
        "x6": (["eck_id", "bsn", "name"], "high"),
        "x7": (["eck_id"], None),  # pseudonymised
        "x8": (["eck_id", "student_number"], None),
        "x9": (["student_number"], None),
        "x10": (None, None),
    }
    for disclosure_id, (identifiers, _) in cases.items():
        disclose(con, disclosure_id, identifiers=identifiers)
    assert flagged(con) == {(RULE, x, severity) for x, (_, severity) in cases.items() if severity}


def test_facts_and_explanation(con):
    disclose(con, identifiers=["student_number", "name", "birth_date", "eck_id"])
    assert flagged(con) == {(RULE, "x1", "medium")}
    found = facts(con, RULE, "x1")
    assert found["direct_identifiers"] == ["birth_date", "name"]
    assert render(RULE, found, "en") == (
        "Disclosure x1 of data of student s1 on 2026-11-18 to Methode Uitgever BV (chain), a supplier in the"
        " educational content chain, included the identifying fields birth_date, name, although the student has"
        " a chain pseudonym (ECK iD) that should replace them."
    )
    assert render(RULE, found, "nl") == (
        "Verstrekking x1 van gegevens van leerling s1 op 2026-11-18 aan Methode Uitgever BV (chain), een"
        " leverancier in de educatieve contentketen, bevatte de identificerende velden birth_date, name, terwijl"
        " de leerling een ketenpseudoniem (ECK iD) heeft dat deze gegevens hoort te vervangen."
    )
    row = finding_row(con, RULE, "x1")
    assert (row["subject_type"], row["school_id"], row["student_id"], row["recipient_id"]) == (
        "disclosure",
        "A",
        "s1",
        "chain",
    )


def test_a_student_without_an_eck_id(con):
    for n, eck_id in enumerate([None, "", "  "]):
        add_student(con, f"s-{n}", eck_id=eck_id)
        disclose(con, f"x{n}", student=f"s-{n}", identifiers=["name", "bsn"])
    disclose(con, "x-s2", student="s2", identifiers=["name", "bsn"])
    assert flagged(con) == set()


def test_an_unknown_student_has_no_eck_id_on_record(con):
    disclose(con, student="ghost", identifiers=["name"])
    assert flagged(con) == set()


def test_a_processor_outside_the_content_chain(con):
    add_recipient(con, "unknown-chain", kind="processor", content_chain=None)
    add_agreement(con, "a-unknown", recipient="unknown-chain", categories=["progress"])
    disclose(con, "x1", recipient="admin", identifiers=["name", "bsn"])  # content_chain false
    disclose(con, "x2", recipient="unknown-chain", identifiers=["name", "bsn"])  # not recorded
    assert flagged(con) == set()


def test_applies_together_with_the_other_processor_rules(con):
    add_recipient(con, "chain2", kind="processor", content_chain=True)
    disclose(con, "x1", identifiers=["bsn"], categories=["progress", "care"])  # scope too
    disclose(con, "x2", recipient="chain2", identifiers=["name"])  # and no agreement at all
    assert flagged(con) == {
        (RULE, "x1", "high"),
        ("PROCESSOR-SCOPE", "x1", "high"),
        (RULE, "x2", "medium"),
        ("PROCESSOR-NO-AGREEMENT", "x2", "high"),
    }


def test_only_processor_disclosures_to_a_processor_are_checked(con):
    add_recipient(con, "publisher", kind="independent_controller", content_chain=True)
    disclose(con, "x1", recipient="publisher", identifiers=["name"])  # a processor basis, not a processor
    disclose(con, "x2", legal_basis="consent", consent_id="c1", identifiers=["name"])
    result = check(con, rules=[RULE])
    assert findings(con) == set()
    assert coverage(result, RULE)["subjects_checked"] == 0


@pytest.mark.parametrize("feed", ["processor_agreements", "recipients", "disclosures"])
def test_not_evaluated_when_a_required_feed_is_empty(con, feed):
    disclose(con, identifiers=["bsn"])
    con.execute(f"DELETE FROM {feed}")
    result = check(con, rules=[RULE])
    assert coverage(result, RULE)["status"] == "not_evaluated"
    assert coverage(result, RULE)["reason"] == f"no rows in feed: {feed}"
    assert findings(con) == set()
