"""The landing contract (spec/landing.md) as one description.

Everything that depends on the shape of the input is generated from this module: the canonical
warehouse tables, the Great Expectations suites, the SQL that parses raw text into typed columns, and
the replacement keys ("a later row with a known id replaces the earlier one"). Write a feed once, here.
"""

from __future__ import annotations

from dataclasses import dataclass

# Column kinds and the warehouse type each becomes.
TEXT = "text"
DATE = "date"
TIMESTAMP = "timestamp"  # ISO 8601; no offset = local time in the configured zone
DATE_OR_TIMESTAMP = "date_or_timestamp"  # a bare date means local midnight of that day
BOOL = "bool"
LIST = "list"  # ';'-separated in CSV, arrays in JSONL/Parquet
CODE = "code"  # one of a fixed set, matched case-insensitively, stored in the spelling below

SQL_TYPE = {
    TEXT: "VARCHAR",
    DATE: "DATE",
    TIMESTAMP: "TIMESTAMPTZ",
    DATE_OR_TIMESTAMP: "TIMESTAMPTZ",
    BOOL: "BOOLEAN",
    LIST: "VARCHAR[]",
    CODE: "VARCHAR",
}

TRUE_WORDS = ("true", "1", "yes", "ja")
FALSE_WORDS = ("false", "0", "no", "nee")

DATA_CATEGORIES = (
    "general",
    "administrative",
    "progress",
    "attendance",
    "care",
    "psychological_report",
    "medical",
    "educational_report",
    "images",
    "identifiers",
)
SPECIAL_CATEGORIES = ("care", "psychological_report", "medical")
IDENTIFIERS = ("name", "birth_date", "address", "student_number", "eck_id", "bsn")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    required: bool = False
    codes: tuple[str, ...] = ()  # for CODE, and the allowed items of a LIST when not empty

    @property
    def sql_type(self) -> str:
        return SQL_TYPE[self.kind]


@dataclass(frozen=True)
class Feed:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # a later row with the same key replaces the earlier one

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name, kind=TEXT, required=False, codes=()):
    return Column(name, kind, required, tuple(codes))


FEEDS: dict[str, Feed] = {
    f.name: f
    for f in (
        Feed(
            "schools",
            (
                _c("school_id", required=True),
                _c("name", required=True),
                _c("sector", CODE, True, ("PO", "VO", "SO", "VSO", "MBO")),
                _c("board_id"),
            ),
            key=("school_id",),
        ),
        Feed(
            "students",
            (
                _c("student_id", required=True),
                _c("school_id", required=True),
                _c("birth_date", DATE, True),
                _c("eck_id"),
                _c("enrolled_from", DATE),
                _c("enrolled_to", DATE),
                _c("display_name"),
            ),
            key=("student_id",),
        ),
        Feed(
            "guardians",
            (
                _c("guardian_id", required=True),
                _c("student_id", required=True),
                _c("relation", CODE, True, ("parent", "guardian", "foster_parent", "other")),
                _c("parental_authority", BOOL, True),
                _c("valid_from", DATE),
                _c("valid_to", DATE),
                _c("display_name"),
                # the guardian's own staff account, when they also work at the board (SIGNAL-OWN-CHILD);
                # optional and added later: last, so that older warehouses get it by ALTER TABLE
                _c("staff_id"),
            ),
            key=("guardian_id", "student_id", "valid_from"),
        ),
        Feed(
            "staff",
            (
                _c("staff_id", required=True),
                _c("school_id", required=True),
                _c(
                    "role",
                    CODE,
                    True,
                    (
                        "teacher",
                        "mentor",
                        "care_coordinator",
                        "management",
                        "administration",
                        "psychologist",
                        "it_admin",
                        "other",
                    ),
                ),
                _c("valid_from", DATE),
                _c("valid_to", DATE),
                _c("account_type", CODE, False, ("personal", "shared", "service")),
                _c("display_name"),
            ),
            key=("staff_id", "school_id", "role", "valid_from"),
        ),
        Feed(
            "involvements",
            (
                _c("staff_id", required=True),
                _c("student_id", required=True),
                _c(
                    "relation",
                    CODE,
                    True,
                    ("teacher", "mentor", "care_coordinator", "substitute", "assessment", "grant"),
                ),
                _c("valid_from", DATE, True),
                _c("valid_to", DATE),
                _c("case_id"),
                _c("reason"),
            ),
            key=("staff_id", "student_id", "relation", "valid_from", "case_id"),
        ),
        Feed(
            "documents",
            (
                _c("document_id", required=True),
                _c("student_id", required=True),
                _c("category", CODE, True, DATA_CATEGORIES),
                _c("case_id"),
                _c("created_at", TIMESTAMP),
            ),
            key=("document_id",),
        ),
        Feed(
            "access_log",
            (
                _c("event_id", required=True),
                _c("occurred_at", TIMESTAMP, True),
                _c("actor_id", required=True),
                _c("actor_type", CODE, True, ("staff", "guardian", "student")),
                _c("student_id", required=True),
                _c("action", CODE, True, ("view", "download", "print", "export", "edit", "search")),
                _c("source_system", required=True),
                _c("document_id"),
                _c("category", CODE, False, DATA_CATEGORIES),
                _c("break_glass", BOOL),
                _c("justification"),
            ),
            key=("source_system", "event_id"),
        ),
        Feed(
            "disclosures",
            (
                _c("disclosure_id", required=True),
                _c("occurred_at", TIMESTAMP, True),
                _c("student_id", required=True),
                _c("recipient_id", required=True),
                _c("purpose", required=True),
                _c("data_categories", LIST, True, DATA_CATEGORIES),
                _c(
                    "legal_basis",
                    CODE,
                    True,
                    (
                        "consent",
                        "educational_report",
                        "admissibility",
                        "inspectorate",
                        "emergency",
                        "processor",
                        "legal_obligation",
                    ),
                ),
                _c("consent_id"),
                _c("evidence_ref"),
                _c("identifiers", LIST, False, IDENTIFIERS),
            ),
            key=("disclosure_id",),
        ),
        Feed(
            "consents",
            (
                _c("consent_id", required=True),
                _c("student_id", required=True),
                _c("given_by_id", required=True),
                _c("given_by_role", CODE, True, ("student", "guardian")),
                _c("purpose", required=True),
                _c("form", CODE, True, ("written", "digital_signature", "verbal", "implied", "opt_out")),
                _c("given_at", DATE_OR_TIMESTAMP, True),
                _c("recipient_id"),
                _c("data_categories", LIST, False, DATA_CATEGORIES),
                _c("valid_until", DATE),
                _c("withdrawn_at", DATE_OR_TIMESTAMP),
                _c("evidence_ref"),
            ),
            key=("consent_id",),
        ),
        Feed(
            "recipients",
            (
                _c("recipient_id", required=True),
                _c("name", required=True),
                _c(
                    "kind",
                    CODE,
                    True,
                    (
                        "school",
                        "samenwerkingsverband",
                        "inspectorate",
                        "child_protection",
                        "emergency_services",
                        "processor",
                        "independent_controller",
                        "other",
                    ),
                ),
                _c("content_chain", BOOL),
            ),
            key=("recipient_id",),
        ),
        Feed(
            "processor_agreements",
            (
                _c("agreement_id", required=True),
                _c("recipient_id", required=True),
                # Required as a column; an empty value means "not signed" (spec/landing.md).
                _c("signed_at", DATE),
                _c("valid_from", DATE, True),
                _c("valid_to", DATE),
                _c("data_categories", LIST, False, DATA_CATEGORIES),
                _c("breach_notification", BOOL),
                _c("deletion_clause", BOOL),
                _c("model"),
            ),
            key=("agreement_id",),
        ),
        Feed(
            "policies",
            (
                _c("policy_id", required=True),
                _c("version", required=True),
                _c("effective_from", DATE, True),
                _c("scope"),
            ),
            key=("policy_id", "version", "scope"),
        ),
        Feed(
            "council_decisions",
            (
                _c("policy_id", required=True),
                _c("version", required=True),
                _c("council", CODE, True, ("MR", "GMR")),
                _c("decision", CODE, True, ("consent", "refused")),
                _c("decided_at", DATE, True),
            ),
            key=("policy_id", "version", "council", "decided_at"),
        ),
        Feed(
            "calendar",
            (
                _c("date_from", DATE, True),
                _c("date_to", DATE, True),
                _c("kind", CODE, True, ("holiday", "study_day", "outage")),
                _c("school_id"),
            ),
            key=("date_from", "date_to", "kind", "school_id"),
        ),
    )
}

# The feeds whose rows are the events the rules judge (spec/landing.md); every other feed, OneRoster
# bundles included, holds the evidence that explains them. A rejected file of an event feed leaves its
# rules incomplete; one of an evidence feed leaves them not evaluated.
EVENT_FEEDS = ("access_log", "disclosures")

# Columns that must be present in a file's header even though an empty value is allowed.
HEADER_REQUIRED: dict[str, tuple[str, ...]] = {"processor_agreements": ("signed_at",)}

# Defaults applied at load time where the contract states one.
DEFAULTS: dict[tuple[str, str], str] = {
    ("staff", "account_type"): "personal",
    ("policies", "scope"): "board",
}

FILE_SUFFIXES = (".csv", ".jsonl", ".parquet")
