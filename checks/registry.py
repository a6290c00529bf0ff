"""The rule catalogue: one SQL file per rule in checks/rules/, its metadata in a leading TOML comment.

A rule file looks like this:

    /* rule
    id = "SHARE-NO-CONSENT"
    family = "consent"            # rules of one family with an `order` exclude each other per subject
    order = 1                     # precedence inside the family (lowest applies); omit when independent
    severity = "high"             # the base severity; the query may raise it per row
    subject_type = "disclosure"
    population = "consent_disclosures_week"   # the view whose rows the rule checks (coverage)
    feeds = ["disclosures", "consents", "students"]   # required; ["a|b"] means a or b
    consults = ["guardians"]      # optional feeds it reads when they have rows (spec/rules.md)
    parameters = ["grace_after_days"]   # optional: the settings (pipelines.settings) it depends on
    condition = "NOT involved AND NOT role_allowed"   # access rules: see below
    legal_source = "AVG art. 6(1)(a), 7(1)"   # a citation; one with words in it is a table of en and nl
    [partial]         # optional, e.g. in ACCESS-UNKNOWN-ACTOR: a feed without rows leaves this part of
    guardians = "guardian actors"   # the population unjudged; the rule is evaluated and coverage says so
    # on_rejected_events = "not_evaluated"   # optional, e.g. in LOG-GAP: a rejected access_log or
    # disclosures file makes the rule not evaluated instead of incomplete (the default)
    [title]
    en = "..."
    nl = "..."
    [explanation]     # {names} are keys of the query's `facts`
    en = "..."
    nl = "..."
    */
    SELECT subject_id, severity, school_id, occurred_at, actor_id, student_id, recipient_id, facts
    FROM ...

The query sees the views set up by checks.context for the week being checked. It returns one row per
violating subject with exactly the columns of `RESULT_COLUMNS`.

An access rule (subject_type access_event) says which events it flags in `condition`: SQL over the
columns of checks.judgement's one pass (within its population). The pass gives every event the first
rule, in precedence order, whose condition holds; the rule's query then only states the facts of the
events it got, reading them from `flagged_access`. (A rule without a condition reads its population
and is judged apart: slower, for rules that need more than the pass's flags.)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RULES_DIR = Path(__file__).parent / "rules"

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}  # 0 = worst
SUBJECT_TYPES = ("access_event", "disclosure", "agreement", "policy", "source_system", "account")
RESULT_COLUMNS = (
    "subject_id",
    "severity",
    "school_id",
    "occurred_at",
    "actor_id",
    "student_id",
    "recipient_id",
    "facts",
)
LANGUAGES = ("en", "nl")

_HEADER = re.compile(r"\A\s*/\*\s*rule\s*\n(.*?)\*/", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class CatalogueError(Exception):
    pass


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    order: int | None
    severity: str
    subject_type: str
    population: str
    feeds: tuple[tuple[str, ...], ...]  # each entry: any one of these feeds satisfies it
    legal_source: dict[str, str]  # per language: a citation's glosses are translated
    title: dict[str, str]
    explanation: dict[str, str]
    sql: str
    path: Path
    partial: tuple[tuple[str, str], ...] = ()  # (feed, the part of the population it is needed for)
    consults: tuple[str, ...] = ()  # feeds read when they have rows; a rejected file in one still counts
    on_rejected_events: str = "incomplete"  # or "not_evaluated": when an event file was rejected
    parameters: tuple[str, ...] = ()  # the settings it depends on besides the time zone (docs/rules.md)
    condition: str | None = None  # access rules: which events of the one pass it flags (checks.judgement)

    def evidence_feeds(self) -> set[str]:
        """Every feed the rule needs or consults: a rejected file in one of them leaves the rule
        without part of its evidence."""
        return {feed for entry in self.feeds for feed in entry} | set(self.consults) | {f for f, _ in self.partial}

    def placeholders(self, lang: str) -> list[str]:
        return _PLACEHOLDER.findall(self.explanation[lang])


def _per_language(value: str | dict) -> dict[str, str]:
    """A bare citation ("AVG art. 28(1)") reads the same in every language; a table gives each one."""
    if isinstance(value, str):
        return dict.fromkeys(LANGUAGES, value)
    return {lang: value[lang] for lang in LANGUAGES}


def parse_rule_file(path: Path) -> Rule:
    text = path.read_text(encoding="utf-8")
    match = _HEADER.match(text)
    if not match:
        raise CatalogueError(f"{path.name}: no '/* rule ... */' header")
    try:
        meta = tomllib.loads(match[1])
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path.name}: header is not valid TOML: {exc}") from None
    sql = text[match.end() :].strip().rstrip(";")
    try:
        rule = Rule(
            id=meta["id"],
            family=meta["family"],
            order=meta.get("order"),
            severity=meta["severity"],
            subject_type=meta["subject_type"],
            population=meta["population"],
            feeds=tuple(tuple(entry.split("|")) for entry in meta["feeds"]),
            legal_source=_per_language(meta["legal_source"]),
            title={lang: meta["title"][lang] for lang in LANGUAGES},
            explanation={lang: meta["explanation"][lang] for lang in LANGUAGES},
            sql=sql,
            path=path,
            partial=tuple((feed, str(part)) for feed, part in meta.get("partial", {}).items()),
            consults=tuple(meta.get("consults", ())),
            on_rejected_events=meta.get("on_rejected_events", "incomplete"),
            parameters=tuple(meta.get("parameters", ())),
            condition=meta.get("condition"),
        )
    except KeyError as exc:
        raise CatalogueError(f"{path.name}: header lacks {exc}") from None
    if rule.severity not in SEVERITIES:
        raise CatalogueError(f"{path.name}: unknown severity {rule.severity!r}")
    if rule.subject_type not in SUBJECT_TYPES:
        raise CatalogueError(f"{path.name}: unknown subject_type {rule.subject_type!r}")
    if rule.family == "signal" and rule.order is not None:
        raise CatalogueError(f"{path.name}: signals take no part in precedence: no order")
    if rule.condition is not None and (rule.subject_type != "access_event" or rule.family != "access"
                                       or rule.order is None):
        raise CatalogueError(f"{path.name}: only access rules with an order have a condition")
    if rule.on_rejected_events not in ("incomplete", "not_evaluated"):
        raise CatalogueError(f"{path.name}: on_rejected_events must be 'incomplete' or 'not_evaluated'")
    from pipelines.settings import Settings  # the parameters a rule may name

    unknown = [name for name in rule.parameters if name not in Settings.__dataclass_fields__]
    if unknown:
        raise CatalogueError(f"{path.name}: unknown parameters {', '.join(unknown)}")
    if path.stem != rule.id:
        raise CatalogueError(f"{path.name}: file name must be the rule id {rule.id}")
    if set(rule.placeholders("en")) != set(rule.placeholders("nl")):
        raise CatalogueError(f"{path.name}: English and Dutch explanations name different facts")
    return rule


@lru_cache(maxsize=1)
def load_catalogue() -> tuple[Rule, ...]:
    """All rules, in catalogue order (by family, then precedence, then id)."""
    rules = [parse_rule_file(path) for path in sorted(RULES_DIR.glob("*.sql"))]
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise CatalogueError("duplicate rule ids in checks/rules")
    return tuple(sorted(rules, key=lambda r: (FAMILY_ORDER.get(r.family, 99), r.order or 99, r.id)))


# Signals (spec section F) come last: patterns to look into, not violations; they have no `order`.
FAMILY_ORDER = {"access": 0, "consent": 1, "exception": 2, "processor": 3, "standing": 4, "signal": 5}


def rule_by_id(rule_id: str) -> Rule:
    for rule in load_catalogue():
        if rule.id == rule_id:
            return rule
    raise KeyError(rule_id)
