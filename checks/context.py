"""What the rule SQL reads: TEMP tables, views and macros for the week being checked.

`prepare(con, week, settings)` (re)creates them on the connection. Every rule file queries these
names only, never the raw feeds' lineage columns, so a rule is a short anti-join against a population.

Parameters and lookup tables
    audit_week(week, week_start, week_end, start_at, end_at)   one row; start_at/end_at are the
                                                               instants of local midnight (end exclusive)
    audit_settings(...)                                        one row: the numeric parameters
    role_allowance(role, category)                             what a role may view without involvement
    special_category(category)                                 care, psychological_report, medical
    guardian_16_17_category(category)                          what a guardian sees of a 16/17-year-old

Macros
    local_date_of(ts)                  the calendar date of an instant in the configured zone
    local_date_near_week(ts)           the same, fast for instants around the week and its look-back
    in_force(valid_from, valid_to, d)  empty bounds are open
    age_at(birth_date, d)              completed years, with the configured leap-day choice
    agreement_in_force(signed_at, valid_from, valid_to, d)   also needs signed_at <= d

Derived relations
    involvement_all          involvements plus OneRoster-derived ones (relation 'roster') plus the
                             privacy officer's grants (relation 'grant', decision_id = the decision,
                             categories = what it allows; NULL = every category, as for the others)
    involvement_window       the same with window_from/window_to widened by the grace days
    role_allowance_in_force  staff roles joined to their allowances, with role_from/role_to
    consent_local            consents with given_date / withdrawn_date (local dates)
    parent_access_consent    valid-form parent_access consents given by the student, with the local
                             dates [valid_from, valid_to] on which they let a guardian see the file

Populations (one row per subject checked)
    access_slice(since, until) the instants whose events the access populations hold: by default all
                               near the week; the runner may judge a large week in slices
    access_judged, access_flagged, access_week and the access rules' populations (staff_access_week,
    psych_report_access_week, student_access_week, guardian_access_week, identified_access_week):
                               the events of the slice judged in one pass, see checks.judgement
    disclosure_week            disclosures whose local date is in the week, resolved
    consent_disclosures_week   ... legal_basis consent
    exception_disclosures_week ... any other legal basis (section C)
    processor_disclosures_week ... legal_basis processor and recipient kind processor (section D)
    and, from checks/populations.sql, those of the standing rules (section E) and
    consented_disclosures_week  consent disclosures joined with their consent (consent rules 2-5)
    and, from checks/signal_populations.sql, those of the signals (section F), for the whole week:
    signal_access_pairs_week   one row per personal staff account and student it touched
    signal_access_days_week    one row per such account, student and local date, of the accesses a
                               signal reads by day or hour: exports, quiet hours, accounts that left
    signal_accounts_week       one row per such account, with its distinct students and quiet hours
    signal_account_days_week   one row per account and local date (SIGNAL-BULK-EXPORT)
    signal_account_students_week  one row per account and student (SIGNAL-OWN-CHILD)
    signal_peer_groups_week    per active account, each peer group (school, role) it is in, with the
                               group's active accounts and their median of distinct students
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from checks import explained, judgement
from checks.registry import load_catalogue
from decisions import tables as decision_tables
from pipelines.contract import SPECIAL_CATEGORIES
from pipelines.settings import Settings
from pipelines.weeks import parse_week

LEAP_DAY_CHOICES = ("march_1", "february_28")

# The standing rules' populations (section E), kept in their own file; they read what is set up here.
STANDING_POPULATIONS = Path(__file__).parent / "populations.sql"
# The signals' populations (section F): the week's staff accesses of personal accounts, folded per account.
SIGNAL_POPULATIONS = Path(__file__).parent / "signal_populations.sql"

# Open interval bounds become these dates, so range joins compare plain dates (no OR on NULL).
EARLIEST = "DATE '0001-01-01'"
LATEST = "DATE '9999-12-31'"


class SettingsError(ValueError):
    """A parameter the rules cannot work with (a user's configuration mistake)."""


def prepare(con, week: str, settings: Settings, accesses: bool = True, populations: bool = True,
            signals: bool = True, lookups: bool = True) -> None:
    """Create the week's context on `con`. Safe to call again (everything is replaced). Without
    `accesses`, the access populations are left to prepare_accesses (the runner builds them per slice);
    without `populations`, the other populations are not built (only parameters, macros and views);
    without `signals`, the signals' populations are not (a run without any signal rule); without
    `lookups`, neither are the lookups of the access judgement (a connection that judges no access)."""
    week = week.strip()
    monday, sunday = parse_week(week)
    _check_settings(settings)
    tz = _sql_text(settings.timezone)
    special = _sql_list(SPECIAL_CATEGORIES)

    con.execute(
        f"""
        CREATE OR REPLACE TEMP MACRO local_date_of(ts) AS CAST(timezone('{tz}', ts) AS DATE);
        CREATE OR REPLACE TEMP MACRO in_force(valid_from, valid_to, d) AS
            coalesce(valid_from, {EARLIEST}) <= d AND d <= coalesce(valid_to, {LATEST});
        CREATE OR REPLACE TEMP MACRO agreement_in_force(signed_at, valid_from, valid_to, d) AS
            signed_at IS NOT NULL AND signed_at <= d AND in_force(valid_from, valid_to, d);
        {_age_macro(settings.leap_day_birthday)}

        CREATE OR REPLACE TEMP TABLE audit_week AS
        SELECT '{week}' AS week,
               DATE '{monday}' AS week_start,
               DATE '{sunday}' AS week_end,
               timezone('{tz}', TIMESTAMP '{monday} 00:00:00') AS start_at,
               timezone('{tz}', CAST(DATE '{sunday}' + 1 AS TIMESTAMP)) AS end_at;
        """
    )
    con.execute(_local_date_near_week(con, tz, settings.log_gap_lookback_days))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE audit_settings AS SELECT ? AS timezone, ? AS grace_before_days, "
        "? AS grace_after_days, ? AS renewal_horizon_days, ? AS log_gap_lookback_days, "
        "? AS volume_min_students, CAST(? AS DOUBLE) AS volume_factor, ? AS volume_min_peers, "
        "? AS bulk_min_students, ? AS quiet_from, ? AS quiet_to, ? AS quiet_from_us, ? AS quiet_to_us, "
        "? AS quiet_min_events, ? AS quiet_min_students",
        [
            settings.timezone,
            settings.grace_before_days,
            settings.grace_after_days,
            settings.renewal_horizon_days,
            settings.log_gap_lookback_days,
            settings.volume_min_students,
            settings.volume_factor,
            settings.volume_min_peers,
            settings.bulk_min_students,
            settings.quiet_from,
            settings.quiet_to,
            _day_us(settings.quiet_from),
            _day_us(settings.quiet_to),
            settings.quiet_min_events,
            settings.quiet_min_students,
        ],
    )
    _category_table(con, "special_category", SPECIAL_CATEGORIES)
    _category_table(con, "guardian_16_17_category", settings.guardian_16_17_categories)
    con.execute("CREATE OR REPLACE TEMP TABLE role_allowance (role VARCHAR, category VARCHAR)")
    allowances = [(role, cat) for role, cats in settings.role_allowances.items() for cat in cats]
    if allowances:
        con.executemany("INSERT INTO role_allowance VALUES (?, ?)", allowances)

    # The store's decisions: the grants are involvements (spec/decisions.md, "Grants").
    decision_tables.register(con)
    con.execute(
        _DERIVED.format(
            before=settings.grace_before_days,
            after=settings.grace_after_days,
            earliest=EARLIEST,
            latest=LATEST,
        )
    )
    if lookups or accesses:
        prepare_judgement(con)
    if accesses:
        prepare_accesses(con)
    else:
        _access_slice(con, None, None)  # the runner cuts its slices from the default one
    if populations:
        con.execute(_POPULATIONS.format(special=special, earliest=EARLIEST, latest=LATEST))
        if STANDING_POPULATIONS.exists():
            con.execute(STANDING_POPULATIONS.read_text(encoding="utf-8"))
        if signals:
            prepare_signals(con)


def prepare_judgement(con) -> None:
    """The lookups of the access judgement (checks.judgement) on a prepared connection."""
    judgement.prepare_lookups(con, explained.relation_rank("relation"), EARLIEST, LATEST)


def prepare_signals(con) -> None:
    """The signals' populations (checks/signal_populations.sql) on a prepared connection."""
    if SIGNAL_POPULATIONS.exists():
        con.execute(SIGNAL_POPULATIONS.read_text(encoding="utf-8").format(
            earliest=EARLIEST, latest=LATEST, **week_literals(con)))


def week_literals(con) -> dict:
    """The week's instants widened by a day (since, until) and its dates (week_start, week_end), as SQL
    constants (checks.judgement.bound_literals)."""
    return judgement.bound_literals(
        con, "SELECT start_at - INTERVAL 1 DAY, end_at + INTERVAL 1 DAY, week_start, week_end FROM audit_week"
    )


def prepare_accesses(con, since=None, until=None, rules=None, evaluated=None, population: str = "true") -> None:
    """(Re)judge the access events that occurred in [since, until), instants; by default every event
    near the week (checks.judgement). `rules`: the access rules whose conditions the pass applies
    (default: the catalogue's); `evaluated`: the ids of the rules evaluated this week (default: those);
    `population`: which events to keep (a predicate of checks.judgement.POPULATIONS; the benchmark
    judges one rule's population alone).
    The runner judges a large week's events in slices this way: every access rule judges each event on
    its own, so a slice is judged exactly as the whole week."""
    if rules is None:
        rules = [rule for rule in load_catalogue() if rule.subject_type == "access_event"]
    if evaluated is None:
        evaluated = {rule.id for rule in rules}
    _access_slice(con, since, until)
    judgement.judge_slice(con, judgement.rule_case(rules), explained.explained_by_sql(set(evaluated)),
                          explained.DETAIL_SQL, explained.GRANT_RANK, population)


def _access_slice(con, since, until) -> None:
    """The table access_slice(since, until): the given instants, by default the week widened by a day
    on each side (the local date then decides which events are in the week)."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE access_slice AS
        SELECT coalesce(CAST($since AS TIMESTAMPTZ), w.start_at - INTERVAL 1 DAY) AS since,
               coalesce(CAST($until AS TIMESTAMPTZ), w.end_at + INTERVAL 1 DAY) AS until
        FROM audit_week w
        """,
        {"since": since, "until": until},
    )


def _check_settings(settings: Settings) -> None:
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise SettingsError(
            f"timezone must be an IANA zone such as Europe/Amsterdam, got {settings.timezone!r}"
        ) from None
    if settings.leap_day_birthday not in LEAP_DAY_CHOICES:
        raise SettingsError(
            f"leap_day_birthday must be one of {', '.join(LEAP_DAY_CHOICES)}, "
            f"got {settings.leap_day_birthday!r}"
        )
    for name in ("grace_before_days", "grace_after_days"):
        value = getattr(settings, name)
        if not isinstance(value, int) or value < 0:
            raise SettingsError(f"{name} must be a whole number of days, 0 or more, got {value!r}")
    for name in ("volume_min_students", "volume_min_peers", "bulk_min_students", "quiet_min_events",
                 "quiet_min_students"):
        value = getattr(settings, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise SettingsError(f"{name} must be a whole number, 0 or more, got {value!r}")
    factor = settings.volume_factor
    if not isinstance(factor, (int, float)) or isinstance(factor, bool) or not factor > 0:
        raise SettingsError(f"volume_factor must be a number above 0, got {factor!r}")
    for name in ("quiet_from", "quiet_to"):
        _day_us(getattr(settings, name), name)


def _day_us(clock, name: str = "quiet hours") -> int:
    """'05:30' as microseconds since midnight."""
    try:
        hours, minutes = (int(part) for part in str(clock).split(":"))
        if not (0 <= hours < 24 and 0 <= minutes < 60) or len(str(clock)) != 5:
            raise ValueError
    except ValueError:
        raise SettingsError(f"{name} must be a local time HH:MM, got {clock!r}") from None
    return (hours * 60 + minutes) * 60_000_000


def _age_macro(leap_day_birthday: str) -> str:
    # Completed years: the year difference, minus one while this year's birthday is still ahead.
    # Compared as month*100+day, someone born on 29 February is still "before" on 28 February,
    # so the default (older on 1 March in common years) falls out; the other choice moves the
    # birthday to 28 February in common years.
    feb_28 = "true" if leap_day_birthday == "february_28" else "false"
    return f"""
        CREATE OR REPLACE TEMP MACRO age_at(birth_date, d) AS
            year(d) - year(birth_date)
            - CASE WHEN month(d) * 100 + day(d) <
                        month(birth_date) * 100 + day(birth_date)
                        - CASE WHEN {feb_28} AND month(birth_date) = 2 AND day(birth_date) = 29
                                    AND day(last_day(make_date(year(d), 2, 1))) = 28
                               THEN 1 ELSE 0 END
                   THEN 1 ELSE 0 END;
    """


def _local_date_near_week(con, tz: str, lookback_days) -> str:
    """The macro local_date_near_week(ts): local_date_of(ts), without a time zone lookup per row.

    A zone lookup is the costliest per-event step of the populations (on 10M events 3 s, this macro's
    arithmetic 0.2 s), yet around one week the zone's UTC offset changes at most once or twice. So the offsets in force from the
    look-back before the week to the day after it are found once, by sampling every quarter hour (zones
    change offset on a quarter hour), and the local date is plain arithmetic on the instant. Instants
    outside that span fall back to local_date_of. (The auditor's weeks are after 1970: positive epochs.)
    """
    lookback = lookback_days if isinstance(lookback_days, int) and lookback_days >= 0 else 0
    span = con.execute(
        f"""
        SELECT w.start_at - to_days({lookback} + 2), w.end_at + INTERVAL 2 DAY FROM audit_week w
        """
    ).fetchone()
    changes = con.execute(
        f"""
        WITH sample AS (
            SELECT t, epoch_us(CAST(timezone('{tz}', t) AS TIMESTAMP)) - epoch_us(t) AS offset_us
            FROM generate_series(CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ), INTERVAL 15 MINUTE) AS g(t)
        )
        SELECT epoch_us(t), offset_us FROM sample
        QUALIFY offset_us IS DISTINCT FROM lag(offset_us) OVER (ORDER BY t)
        ORDER BY t
        """,
        list(span),
    ).fetchall()
    first_us, last_us = (int(con.execute("SELECT epoch_us(CAST(? AS TIMESTAMPTZ))", [v]).fetchone()[0]) for v in span)
    offset = f"{changes[0][1]}"
    if len(changes) > 1:
        offset = "CASE " + " ".join(
            f"WHEN epoch_us(ts) < {start} THEN {previous}"
            for (start, _), (_, previous) in zip(changes[1:], changes[:-1])
        ) + f" ELSE {changes[-1][1]} END"
    return f"""
        CREATE OR REPLACE TEMP MACRO local_date_near_week(ts) AS
            CASE WHEN epoch_us(ts) >= {first_us} AND epoch_us(ts) < {last_us}
                 THEN DATE '1970-01-01' + CAST((epoch_us(ts) + {offset}) // 86400000000 AS INTEGER)
                 ELSE local_date_of(ts) END;
        -- microseconds since local midnight (the time of day the signals' quiet hours compare)
        CREATE OR REPLACE TEMP MACRO local_day_us_near_week(ts) AS
            CASE WHEN epoch_us(ts) >= {first_us} AND epoch_us(ts) < {last_us}
                 THEN (epoch_us(ts) + {offset}) % 86400000000
                 ELSE epoch_us(CAST(timezone('{tz}', ts) AS TIMESTAMP)) % 86400000000 END;
    """


def _category_table(con, name: str, categories) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (category VARCHAR)")
    if categories:
        con.executemany(f"INSERT INTO {name} VALUES (?)", [(c,) for c in categories])


def _sql_text(text: str) -> str:
    return str(text).replace("'", "''")


def _sql_list(values) -> str:
    return "[" + ", ".join(f"'{_sql_text(v)}'" for v in values) + "]"


_DERIVED = """
CREATE OR REPLACE TEMP VIEW involvement_all AS
SELECT staff_id, student_id, relation, valid_from, valid_to, case_id,
       NULL::VARCHAR[] AS categories, NULL::BIGINT AS decision_id
FROM involvements
UNION ALL
SELECT staff_id, student_id, 'roster', valid_from, valid_to, NULL, NULL, NULL FROM roster_involvements
UNION ALL
SELECT staff_id, student_id, 'grant', valid_from, valid_to, NULL, categories, decision_id FROM decision_grants;

-- The window in which an involvement explains an access: grace before the start and after the end.
CREATE OR REPLACE TEMP VIEW involvement_window AS
SELECT *,
       coalesce(valid_from - {before}, {earliest}) AS window_from,
       coalesce(valid_to + {after}, {latest}) AS window_to
FROM involvement_all;

CREATE OR REPLACE TEMP VIEW role_allowance_in_force AS
SELECT s.staff_id, s.school_id, s.role, r.category,
       coalesce(s.valid_from, {earliest}) AS role_from,
       coalesce(s.valid_to, {latest}) AS role_to
FROM staff s JOIN role_allowance r ON r.role = s.role;

CREATE OR REPLACE TEMP VIEW consent_local AS
SELECT c.* EXCLUDE (_file_hash, _line),
       local_date_of(c.given_at) AS given_date,
       local_date_of(c.withdrawn_at) AS withdrawn_date
FROM consents c;

-- The student's permission for guardians to see the whole file (spec A7/A8): given by the student,
-- active and provable, from its local date until the day before withdrawal or through valid_until.
CREATE OR REPLACE TEMP VIEW parent_access_consent AS
SELECT consent_id, student_id,
       nullif(trim(recipient_id), '') AS guardian_id,      -- empty = every guardian
       given_date AS valid_from,
       least(coalesce(withdrawn_date - 1, {latest}), coalesce(valid_until, {latest})) AS valid_to
FROM consent_local
WHERE lower(trim(purpose)) = 'parent_access'
  AND given_by_role = 'student' AND given_by_id = student_id
  AND form IN ('written', 'digital_signature');
"""

# The other populations are materialised once: every rule of a section reads them.
_POPULATIONS = """
CREATE OR REPLACE TEMP TABLE disclosure_week AS
WITH in_week AS (
    SELECT d.* EXCLUDE (_file_hash, _line), local_date_near_week(d.occurred_at) AS local_date
    FROM disclosures d, audit_week w
    WHERE d.occurred_at >= w.start_at - INTERVAL 1 DAY AND d.occurred_at < w.end_at + INTERVAL 1 DAY
      AND local_date_near_week(d.occurred_at) BETWEEN w.week_start AND w.week_end
)
SELECT d.disclosure_id AS subject_id,
       d.*,
       coalesce(d.data_categories, []) AS disclosed_categories,
       list_filter(coalesce(d.data_categories, []), lambda c: list_contains({special}, c))
           AS special_categories,
       len(list_filter(coalesce(d.data_categories, []), lambda c: list_contains({special}, c))) > 0
           AS is_special,
       s.school_id,
       s.student_id IS NOT NULL AS student_known,
       s.birth_date AS student_birth_date,
       s.eck_id AS student_eck_id,
       r.recipient_id IS NOT NULL AS recipient_known,
       r.name AS recipient_name,
       r.kind AS recipient_kind,
       coalesce(r.content_chain, false) AS recipient_content_chain,
       nullif(trim(d.consent_id), '') AS consent_ref,
       nullif(trim(d.evidence_ref), '') AS evidence
FROM in_week d
LEFT JOIN students s ON s.student_id = d.student_id
LEFT JOIN recipients r ON r.recipient_id = d.recipient_id;

CREATE OR REPLACE TEMP VIEW consent_disclosures_week AS
SELECT * FROM disclosure_week WHERE legal_basis = 'consent';

CREATE OR REPLACE TEMP VIEW exception_disclosures_week AS
SELECT * FROM disclosure_week WHERE legal_basis <> 'consent';

CREATE OR REPLACE TEMP VIEW processor_disclosures_week AS
SELECT * FROM disclosure_week WHERE legal_basis = 'processor' AND recipient_kind = 'processor';
"""
