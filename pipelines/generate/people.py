"""The people of a generated board: schools, students (with classes), staff and guardians."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from pipelines.generate.basics import BOARD_ID, as_days, is_leap, replace_year
from pipelines.generate.names import person_names
from pipelines.generate.window import Window

PO_NAMES = ("Basisschool De Regenboog", "OBS De Vlinder", "CBS Het Kompas", "Basisschool De Linde")
VO_NAMES = ("Stedelijk Lyceum Noord", "Erasmus College", "Scholengemeenschap De Dijk", "Zuiderpark College")


# -- schools and students -------------------------------------------------------------------------


def build_schools(count: int):
    k = np.arange(count)
    sectors = np.where(k % 2 == 0, "PO", "VO")
    school_ids = [f"{10 + i % 90:02d}{chr(65 + (i // 90) % 26)}{chr(65 + (i * 7 + 3) % 26)}" for i in k]
    names = []
    for i, sector in zip(k, sectors):
        pool = PO_NAMES if sector == "PO" else VO_NAMES
        base = pool[(i // 2) % len(pool)]
        names.append(base if i // 2 < len(pool) else f"{base} {i // 2 // len(pool) + 1}")
    # Primary schools run ParnasSys; secondary ones Magister or Somtoday: several source systems.
    systems = ("parnassys", "magister", "somtoday")
    school_system = np.where(sectors == "PO", 0, np.where((k // 2) % 2 == 0, 1, 2))
    frame = pd.DataFrame(
        {"school_id": school_ids, "name": names, "sector": sectors, "board_id": BOARD_ID}
    ).astype({"school_id": "str", "name": "str", "sector": "str", "board_id": "str"})
    used = tuple(systems[i] for i in sorted(set(school_system.tolist())))
    return frame, np.array([used.index(systems[i]) for i in school_system]), used


def build_students(window: Window, schools: pd.DataFrame, total: int, rng: np.random.Generator):
    count = len(schools)
    sizes = np.full(count, total // count) + (np.arange(count) < total % count)
    school_range = np.concatenate([[0], np.cumsum(sizes)])
    school = np.repeat(np.arange(count), sizes)
    secondary = (schools["sector"].to_numpy() == "VO")[school]

    # Primary: 4 to 12 years old; secondary: 12 to 18, so some are 16, 17 and 18+ (throughout the window).
    def born(day: date, years: int, days: int = 0) -> np.datetime64:
        return np.datetime64(replace_year(day, years) + timedelta(days=days), "D")

    earliest = np.where(secondary, born(window.end, 19, 1), born(window.end, 13, 1))
    latest = np.where(secondary, born(window.start, 12), born(window.start, 4))
    span = (latest - earliest).astype(np.int64)
    birth = earliest + (rng.random(total) * (span + 1)).astype("timedelta64[D]")

    # Birthdays that matter for later rules: exactly 16 and exactly 18 in the demo week, and a leap day.
    demo_wednesday, demo_thursday = window.day(-1, 2), window.day(-1, 3)
    vo = np.flatnonzero(schools["sector"].to_numpy() == "VO")
    if len(vo):
        lo = school_range[vo[0]]
        birth[lo] = replace_year(demo_wednesday, 16)
        birth[lo + 1] = replace_year(demo_thursday, 18)
        leap_row, ages = lo + 2, (12, 15)
    else:
        leap_row, ages = 0, (8, 11)
    leap_year = next(y for y in range(window.end.year - ages[1], window.end.year - ages[0] + 1) if is_leap(y))
    birth[leap_row] = date(leap_year, 2, 29)

    # Classes of about 25, by age within each school.
    klass = np.zeros(total, dtype=np.int64)
    for k in range(count):
        lo, hi = school_range[k], school_range[k + 1]
        order = np.argsort(-birth[lo:hi].astype(np.int64), kind="stable")  # youngest first
        rank = np.empty(hi - lo, dtype=np.int64)
        rank[order] = np.arange(hi - lo)
        klass[lo:hi] = rank * classes_for(hi - lo) // (hi - lo)

    start = as_days(window.start)
    primary_entry = birth + np.timedelta64(1461, "D")  # about the 4th birthday
    entry_year = pd.DatetimeIndex(birth).year.to_numpy() + 12
    secondary_entry = pd.to_datetime(pd.DataFrame({"year": entry_year, "month": 8, "day": 1})).to_numpy()
    secondary_entry = secondary_entry.astype("datetime64[D]")
    enrolled_from = np.minimum(np.where(secondary, secondary_entry, primary_entry), start)

    eck_hex = np.char.mod("%016x", rng.integers(0, 2**63, total, dtype=np.int64)).astype(object)
    frame = pd.DataFrame(
        {
            "student_id": pd.Series(100001 + np.arange(total)).astype("str"),
            "school_id": schools["school_id"].to_numpy()[school],
            "birth_date": birth,
            "eck_id": pd.Series("https://ketenid.nl/201703/" + eck_hex, dtype="str"),
            "enrolled_from": enrolled_from,
            "enrolled_to": np.full(total, np.datetime64("NaT"), dtype="datetime64[D]"),
            "display_name": person_names(rng, total),
            "_school": school,
            "_class": klass,
        }
    )
    frame["school_id"] = frame["school_id"].astype("str")
    return frame, school_range


def classes_for(size: int) -> int:
    return max(2, round(size / 25))


# -- staff ---------------------------------------------------------------------------------------


STUDENTS_PER_STAFF = 12


def build_staff(window: Window, schools: pd.DataFrame, students: pd.DataFrame, rng: np.random.Generator,
                total: int | None = None):
    """Staff rows (a person with several roles has several rows), the class-teacher pairs from which
    involvements are made, and the people (one row per staff_id, in actor-code order). `total`: about
    how many staff the board has (default one per 12 students), spread over the schools by size."""
    per_staff = len(students) / total if total else STUDENTS_PER_STAFF
    sy = window.school_year_start
    people: list[dict] = []  # staff_id, school, role (main), display_name
    rows: list[dict] = []
    class_pairs: list[tuple[int, int, int, str]] = []  # (school, class, person, relation)
    extra_pairs: dict[str, list] = {"substitute": [], "grant": []}

    def person(school: int, role: str, staff_id: str | None = None) -> int:
        code = len(people)
        people.append({"staff_id": staff_id or f"m{10001 + code}", "school": school, "role": role})
        return code

    def row(code: int, school: int, role: str, valid_from: date, valid_to=None, account_type=None):
        rows.append(
            {
                "staff_id": people[code]["staff_id"],
                "school_id": schools["school_id"].iloc[school],
                "role": role,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "account_type": account_type,
                "_person": code,
            }
        )

    def hired() -> date:
        return sy - timedelta(days=int(rng.integers(0, 15 * 365)))

    psychologist = person(0, "psychologist")  # one for the board, working at every school
    for k in range(len(schools)):
        n = int((students["_school"] == k).sum())
        classes = classes_for(n)
        # About one staff member per 12 students; at least a teacher per class. One or two care
        # coordinators at a normal school; the 2 are the substitute and the counsellor below.
        care = 1 if n < 250 else max(2, n // 400)
        management = administration = max(1, n // 300)
        staff_size = max(classes + 5, round(n / per_staff))
        teachers = max(classes, staff_size - care - management - administration - 2)
        teacher_codes = [person(k, "teacher") for _ in range(teachers)]
        for code in teacher_codes:
            row(code, k, "teacher", hired(), account_type="personal" if rng.random() < 0.2 else None)
        if schools["sector"].iloc[k] == "PO":
            # A class teacher per group (also its mentor); extra teachers (gym, music) teach some groups,
            # at most two each: one extra teacher of every group would read far more files than the
            # class teachers, a signal (SIGNAL-VOLUME) the clean background must not give.
            for j in range(classes):
                class_pairs += [(k, j, teacher_codes[j], "teacher"), (k, j, teacher_codes[j], "mentor")]
            extra = teacher_codes[classes:]
            for j in range(min(classes, 2 * len(extra))):
                class_pairs.append((k, j, extra[j % len(extra)], "teacher"))
            mentors = teacher_codes[:classes]
        else:
            # Subject teachers: each class gets `per_class` of them, round robin; one is its mentor.
            per_class = min(5, max(1, teachers // 2))
            mentors = []
            for j in range(classes):
                for r in range(per_class):
                    class_pairs.append((k, j, teacher_codes[(j * per_class + r) % teachers], "teacher"))
                mentor = teacher_codes[(j * per_class) % teachers]
                class_pairs.append((k, j, mentor, "mentor"))
                mentors.append(mentor)
        for code in sorted(set(mentors)):
            row(code, k, "mentor", sy)
        for role, how_many in (("care_coordinator", care), ("management", management),
                               ("administration", administration)):
            for _ in range(how_many):
                code = person(k, role)
                row(code, k, role, hired())
        # A substitute covering class 0 for a few weeks, and a confidential counsellor ('other') with
        # access granted by the privacy officer to two students.
        substitute = person(k, "teacher")
        row(substitute, k, "teacher", window.start - timedelta(days=21))
        extra_pairs["substitute"].append((k, substitute))
        counsellor = person(k, "other")
        row(counsellor, k, "other", hired())
        extra_pairs["grant"].append((k, counsellor))
        # Someone who left before the window: known, but never active.
        former = person(k, "teacher")
        row(former, k, "teacher", sy - timedelta(days=3000), valid_to=window.start - timedelta(days=100))
        row(psychologist, k, "psychologist", sy - timedelta(days=800))
    # Accounts that exist but do not log in the background (shared reception desk, a sync service).
    desk = person(0, "administration", staff_id=f"balie-{schools['school_id'].iloc[0].lower()}")
    row(desk, 0, "administration", sy - timedelta(days=1000), account_type="shared")
    service = person(0, "it_admin", staff_id="svc-koppeling")
    row(service, 0, "it_admin", sy - timedelta(days=1000), account_type="service")

    people_frame = pd.DataFrame(people)
    names = person_names(rng, len(people_frame), surname_first=True)
    people_frame["display_name"] = names.to_numpy()
    frame = pd.DataFrame(rows)
    frame["display_name"] = people_frame["display_name"].to_numpy()[frame["_person"].to_numpy()]
    for col in ("valid_from", "valid_to"):
        frame[col] = pd.to_datetime(frame[col])
    pairs = pd.DataFrame(class_pairs, columns=["_school", "_class", "_person", "relation"])
    return frame, {"classes": pairs, **extra_pairs}, people_frame


# -- guardians -----------------------------------------------------------------------------------

# Family kinds: two parents with authority; one parent; two parents of whom one has no authority
# (BW 1:377c); a foster parent without authority with a guardian (voogd) who has it.
FAMILY_KINDS = (
    (("parent", True), ("parent", True)),
    (("parent", True),),
    (("parent", True), ("parent", False)),
    (("foster_parent", False), ("guardian", True)),
)
FAMILY_WEIGHTS = (0.78, 0.12, 0.04, 0.06)


def build_guardians(window: Window, students: pd.DataFrame, rng: np.random.Generator):
    n = len(students)
    # About one student in ten is a younger sibling of the previous one: same guardians.
    sibling = rng.random(n) < 0.1
    sibling[0] = False
    family = np.cumsum(~sibling) - 1
    families = family[-1] + 1
    kind = rng.choice(len(FAMILY_KINDS), size=families, p=FAMILY_WEIGHTS)
    size = np.array([len(k) for k in FAMILY_KINDS])[kind]
    first_guardian = np.concatenate([[0], np.cumsum(size)[:-1]])

    per_student = size[family]
    student_row = np.repeat(np.arange(n), per_student)
    slot = np.arange(len(student_row)) - np.repeat(np.cumsum(per_student) - per_student, per_student)
    fam = family[student_row]
    guardian_code = first_guardian[fam] + slot
    relation_table = np.array([[r for r, _ in k] + [""] * (2 - len(k)) for k in FAMILY_KINDS], dtype=object)
    authority_table = np.array([[a for _, a in k] + [False] * (2 - len(k)) for k in FAMILY_KINDS])
    relation = relation_table[kind[fam], slot]
    authority = authority_table[kind[fam], slot]

    # Parents: open-ended (sometimes from birth); foster care and guardianship from a placement date.
    birth = students["birth_date"].to_numpy().astype("datetime64[D]")[student_row]
    placement_days = rng.integers(400, 1500, families)[fam]
    placement = np.maximum(as_days(window.start) - placement_days.astype("timedelta64[D]"), birth)
    from_birth = rng.random(len(student_row)) < 0.3
    foster_family = kind[fam] == 3
    valid_from = np.where(foster_family, placement, np.where(from_birth, birth, np.datetime64("NaT")))

    total_guardians = int(size.sum())
    guardian_ids = pd.Series(np.arange(total_guardians) + 1).astype("str").str.zfill(6)
    guardian_ids = ("ouder-" + guardian_ids).astype("str")
    names = person_names(rng, total_guardians)
    frame = pd.DataFrame(
        {
            "guardian_id": guardian_ids.to_numpy()[guardian_code],
            "student_id": students["student_id"].to_numpy()[student_row],
            "relation": pd.Series(relation, dtype="str"),
            "parental_authority": pd.array(authority, dtype="boolean"),
            "valid_from": valid_from.astype("datetime64[s]"),
            "valid_to": np.full(len(student_row), np.datetime64("NaT"), dtype="datetime64[s]"),
            "display_name": names.to_numpy()[guardian_code],
            "_guardian": guardian_code,
            "_student": student_row,
        }
    )
    for col in ("guardian_id", "student_id", "display_name"):
        frame[col] = frame[col].astype("str")
    return frame, guardian_ids
