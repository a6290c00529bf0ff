"""Background activity: access events and disclosures that break no rule.

Access events are sampled with numpy from the board's pools (no loop per event): the benchmarks
generate tens of millions of them. They come out as integer codes; the writer joins the ids in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.generate.basics import (
    ALLOWANCE_CATEGORIES,
    ALLOWANCE_ROLES,
    CATEGORY,
    GUARDIAN_CATEGORIES,
    NO_AUTHORITY_CATEGORIES,
)
from pipelines.generate.board import Board
from pipelines.settings import Settings

EVENTS_PER_STUDENT_WEEK = 40
ACTIONS = ("view", "download", "print", "export", "edit", "search")
ACTION = {name: code for code, name in enumerate(ACTIONS)}
NONE = -1  # no category / no document: the event's category comes from its document, or is general

# Who looks, as a share of the week's events.
SHARES = {
    "involved": 0.50,  # teachers, mentors, care coordinators, substitutes, granted access
    "allowance": 0.13,  # management, administration, care coordinators within their role allowance
    "care_doc": 0.03,  # care coordinators opening care files at their school
    "psych": 0.005,  # the psychologist opening reports of their own assessment cases
    "guardian": 0.235,
    "self": 0.10,  # secondary students looking at their own file
}
# Weekday weights: school days, a little in the weekend.
DAY_WEIGHTS = np.array([0.19, 0.19, 0.19, 0.19, 0.19, 0.025, 0.025])


def codes(names) -> np.ndarray:
    return np.array([CATEGORY[n] if n is not None else NONE for n in names], dtype=np.int64)


# Clean for the signals too (spec section F): no account exports, prints or downloads the data of
# SIGNAL-BULK-EXPORT's 20 students on one day. Busy accounts of large boards would: their further
# students of the day are viewed instead (exports_capped; draws nothing, so smaller boards are unchanged).
EXPORT_ACTIONS = ("export", "print", "download")
EXPORT_CAP = Settings().bulk_min_students - 1


def background_events(board: Board, week: int, count: int, rng: np.random.Generator,
                      gaps: list[tuple[int, int]] = (), export_cap: int = EXPORT_CAP) -> pd.DataFrame:
    """`count` clean access events in generated week number `week`, as codes; `gaps` are (system code,
    weekday) pairs on which that system logs nothing (a planted log gap); `export_cap`: at most this
    many students an account exports, prints or downloads on one day."""
    pools = board.pools
    sizes = {
        "involved": len(pools.involved_actor),
        "allowance": len(pools.allowance_actor),
        "care_doc": len(pools.care_doc),
        "psych": len(pools.psych_doc),
        "guardian": len(pools.guardian_actor),
        "self": len(pools.self_student),
    }
    kinds = [k for k in SHARES if sizes[k]]
    shares = np.array([SHARES[k] for k in kinds])
    per_kind = dict(zip(kinds, rng.multinomial(count, shares / shares.sum())))
    parts = [_SAMPLERS[kind](board, per_kind[kind], rng) for kind in kinds]
    actor = np.concatenate([p[0] for p in parts])
    student = np.concatenate([p[1] for p in parts])
    category = np.concatenate([p[2] for p in parts])
    document = np.concatenate([p[3] for p in parts])
    action = np.concatenate([p[4] for p in parts])

    school = board.students["_school"].to_numpy()[student]
    system = board.school_system[school]
    day = _days(board, week, system, rng, gaps)
    seconds = rng.integers(7 * 3600, 22 * 3600, count)
    action = exports_capped(actor, student, day, action, len(board.students), export_cap)
    monday = np.datetime64(board.window.mondays[week], "s")
    return pd.DataFrame(
        {
            "seq": np.arange(count, dtype=np.int64),
            "occurred_at": monday + (day * 86400 + seconds).astype("timedelta64[s]"),
            # Most timestamps carry their offset; one in ten is written as bare local time.
            "occurred_at__style": np.where(rng.random(count) < 0.1, 0, 1).astype(np.int8),
            "actor": actor,
            "student": student,
            "category": category,
            "document": document,
            "action": action,
            "system": system,
            "break_glass": np.where(rng.random(count) < 0.1, 0, NONE).astype(np.int8),  # empty or 'false'
        }
    )


def exports_capped(actor, student, day, action, students: int, cap: int) -> np.ndarray:
    """`action` with export, print and download turned into view for every student beyond the first
    `cap` (by student code) that an actor exported on a day; vectorised, no random draws."""
    exporting = np.flatnonzero(np.isin(action, [ACTION[a] for a in EXPORT_ACTIONS]))
    if len(exporting) == 0:
        return action
    actor_day = actor[exporting].astype(np.int64) * 7 + day[exporting]
    pairs, pair_of = np.unique(actor_day * students + student[exporting], return_inverse=True)
    pair_actor_day = pairs // students
    rank = np.arange(len(pairs)) - np.searchsorted(pair_actor_day, pair_actor_day, side="left")
    beyond = exporting[rank[pair_of.ravel()] >= cap]
    if len(beyond) == 0:
        return action
    action = action.copy()
    action[beyond] = ACTION["view"]
    return action


def _days(board: Board, week: int, system: np.ndarray, rng: np.random.Generator, gaps=()) -> np.ndarray:
    """Day of the week per event: no activity on the holiday, and every source system logs on every
    other weekday (the first events of each system are spread over those days) except its gaps."""
    window = board.window
    weights = DAY_WEIGHTS.copy()
    workdays = [(d - window.mondays[week]).days for d in window.weekdays(week)]
    for weekday in range(5):
        if weekday not in workdays:
            weights[weekday] = 0.0
    day = rng.choice(7, size=len(system), p=weights / weights.sum())
    for code, weekday in gaps:  # the events that fell on the gap move to the system's other days
        moved = (system == code) & (day == weekday)
        others = weights.copy()
        others[weekday] = 0.0
        day[moved] = rng.choice(7, size=int(moved.sum()), p=others / others.sum())
    for code in range(len(board.systems)):
        logging_days = [d for d in workdays if (code, d) not in gaps]
        first = np.flatnonzero(system == code)[: len(logging_days)]
        day[first] = logging_days[: len(first)]
    return day


def _pick(rng: np.random.Generator, options: np.ndarray, count: int) -> np.ndarray:
    return options[rng.integers(0, len(options), count)]


def _actions(rng, count, weights: dict[str, float]) -> np.ndarray:
    names = list(weights)
    p = np.array([weights[n] for n in names])
    return np.array([ACTION[n] for n in names])[rng.choice(len(names), size=count, p=p / p.sum())]


def _involved(board: Board, count: int, rng):
    pools = board.pools
    i = rng.integers(0, len(pools.involved_actor), count)
    student = pools.involved_student[i]
    # About a third of the views open one of the student's documents (not a psychological report).
    with_document = rng.random(count) < 0.3
    offset = (rng.random(count) * pools.viewable_count[student]).astype(np.int64)
    document = np.where(with_document, pools.viewable_doc[pools.viewable_start[student] + offset], NONE)
    doc_category = board.tables["documents"]["category"].map(CATEGORY).to_numpy()
    # A document view names its category half of the time; otherwise the document's category applies.
    named = np.where(rng.random(count) < 0.5, doc_category[np.maximum(document, 0)], NONE)
    free = _pick(rng, codes(["progress", "progress", "attendance", "attendance", "general", "administrative",
                             None]), count)
    category = np.where(with_document, named, free)
    action = _actions(rng, count, {"view": 0.72, "edit": 0.14, "download": 0.06, "print": 0.05, "search": 0.03})
    return pools.involved_actor[i], student, category, document, action


def _allowance(board: Board, count: int, rng):
    pools = board.pools
    i = rng.integers(0, len(pools.allowance_actor), count)
    school = pools.allowance_school[i]
    lo, hi = board.school_range[school], board.school_range[school + 1]
    student = lo + (rng.random(count) * (hi - lo)).astype(np.int64)
    role = pools.allowance_role[i]
    category = np.full(count, NONE, dtype=np.int64)
    for r, name in enumerate(ALLOWANCE_ROLES):
        mine = role == r
        category[mine] = _pick(rng, codes(ALLOWANCE_CATEGORIES[name] + (None,)), int(mine.sum()))
    action = _actions(rng, count, {"view": 0.85, "search": 0.1, "export": 0.05})
    return pools.allowance_actor[i], student, category, np.full(count, NONE), action


def _care_doc(board: Board, count: int, rng):
    pools = board.pools
    document = _pick(rng, pools.care_doc, count)
    student = board.tables["documents"]["_student"].to_numpy()[document]
    school = board.students["_school"].to_numpy()[student]
    actor = np.empty(count, dtype=np.int64)
    for k, coordinators in enumerate(pools.care_coordinators):
        mine = school == k
        if mine.any():
            actor[mine] = _pick(rng, coordinators, int(mine.sum()))
    category = np.where(rng.random(count) < 0.5, CATEGORY["care"], NONE)
    return actor, student, category, document, _actions(rng, count, {"view": 0.8, "edit": 0.2})


def _psych(board: Board, count: int, rng):
    pools = board.pools
    document = _pick(rng, pools.psych_doc, count)
    student = board.tables["documents"]["_student"].to_numpy()[document]
    category = np.where(rng.random(count) < 0.5, CATEGORY["psychological_report"], NONE)
    actor = np.full(count, pools.psychologist, dtype=np.int64)
    return actor, student, category, document, _actions(rng, count, {"view": 0.7, "edit": 0.3})


def _guardian(board: Board, count: int, rng):
    pools = board.pools
    i = rng.integers(0, len(pools.guardian_actor), count)
    with_authority = pools.guardian_authority[i]
    category = np.where(
        with_authority,
        _pick(rng, codes(GUARDIAN_CATEGORIES + (None,)), count),
        _pick(rng, codes(NO_AUTHORITY_CATEGORIES + (None,)), count),
    )
    action = _actions(rng, count, {"view": 0.95, "download": 0.05})
    return pools.guardian_actor[i], pools.guardian_student[i], category, np.full(count, NONE), action


def _self(board: Board, count: int, rng):
    pools = board.pools
    student = _pick(rng, pools.self_student, count)
    student_offset = int((board.actors["actor_type"] != "student").sum())
    category = _pick(rng, codes(["progress", "attendance", "general", None]), count)
    return student_offset + student, student, category, np.full(count, NONE), np.full(count, ACTION["view"])


_SAMPLERS = {
    "involved": _involved,
    "allowance": _allowance,
    "care_doc": _care_doc,
    "psych": _psych,
    "guardian": _guardian,
    "self": _self,
}


# -- disclosures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """A kind of clean disclosure that happens every week."""

    recipient_id: str
    legal_basis: str
    purpose: str  # as the school system writes it (consent purposes in another spelling on purpose)
    data_categories: str
    identifiers: str
    rate: float  # per student (or per usable consent) per week
    consent_purpose: str | None = None
    evidence_ref: str | None = None


STREAMS = (
    Stream("rcp-leermiddel", "processor", "licence activation", "administrative;progress", "eck_id", 0.05),
    Stream("rcp-toets", "processor", "test administration", "administrative;progress",
           "name;student_number;birth_date", 0.03),
    Stream("rcp-foto", "consent", " School_Photos", "images", "name", 0.02, consent_purpose="school_photos"),
    Stream("rcp-bijles", "consent", "Tutoring ", "progress", "name;student_number", 0.05,
           consent_purpose="tutoring"),
    Stream("rcp-school-baken", "educational_report", "overstap naar vervolgschool", "educational_report;progress",
           "name;birth_date;address;student_number;bsn", 0.003),
    Stream("rcp-swv", "admissibility", "aanvraag toelaatbaarheidsverklaring", "care;progress",
           "name;birth_date;student_number", 0.002),
    Stream("rcp-leerplicht", "legal_obligation", "verzuimmelding", "attendance;administrative",
           "name;birth_date;address;bsn", 0.002, evidence_ref="Leerplichtwet 1969 art. 21a"),
    Stream("rcp-inspectie", "inspectorate", "onderzoek naar de kwaliteit", "progress", "student_number", 0.001,
           evidence_ref="INSP-aankondiging-2026-014"),
)


def background_disclosures(board: Board, rng: np.random.Generator, per_week: int | None = None) -> pd.DataFrame:
    """Clean disclosures for every generated week, at least one of every stream per week; about
    `per_week` of them when given (every stream's rate scaled alike)."""
    students = board.students
    consents = board.tables["consents"]
    pool_sizes = [
        int((consents["_usable"] & (consents["purpose"] == s.consent_purpose)).sum()) if s.consent_purpose
        else len(students)
        for s in STREAMS
    ]
    usual = sum(s.rate * size for s, size in zip(STREAMS, pool_sizes))
    scale = per_week / usual if per_week and usual else 1.0
    frames = []
    for week in range(len(board.window.weeks)):
        workdays = np.array(board.window.weekdays(week), dtype="datetime64[s]")
        for stream in STREAMS:
            if stream.consent_purpose:
                usable = consents[consents["_usable"] & (consents["purpose"] == stream.consent_purpose)]
                pool_size = len(usable)
            else:
                pool_size = len(students)
            if not pool_size:
                continue
            count = max(1, round(stream.rate * scale * pool_size))
            pick = rng.integers(0, pool_size, count)
            if stream.consent_purpose:
                student_id = usable["student_id"].to_numpy()[pick]
                consent_id = usable["consent_id"].to_numpy()[pick]
            else:
                student_id = students["student_id"].to_numpy()[pick]
                consent_id = np.full(count, None, dtype=object)
            evidence = stream.evidence_ref
            if stream.legal_basis == "educational_report":  # optional there; filled half the time
                evidence = np.where(rng.random(count) < 0.5, "OKR-" + student_id.astype(object), None)
            frames.append(
                pd.DataFrame(
                    {
                        "occurred_at": _pick(rng, workdays, count)
                        + rng.integers(8 * 3600, 17 * 3600, count).astype("timedelta64[s]"),
                        # Mostly with offset; some in UTC ('Z'), some as bare local time.
                        "occurred_at__style": rng.choice([1, 2, 0], size=count, p=[0.8, 0.1, 0.1]).astype(np.int8),
                        "student_id": student_id,
                        "recipient_id": stream.recipient_id,
                        "purpose": stream.purpose,
                        "data_categories": stream.data_categories,
                        "legal_basis": stream.legal_basis,
                        "consent_id": consent_id,
                        "evidence_ref": evidence,
                        "identifiers": stream.identifiers,
                        "_week": week,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)
