"""What the school keeps about its students: documents, involvements and consents."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from pipelines.generate.basics import ages_at, as_days
from pipelines.generate.window import Window

# -- documents -----------------------------------------------------------------------------------


def build_documents(window: Window, students: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(students)
    parts = [
        (np.arange(n), "progress"),
        (np.arange(n), "administrative"),
        (np.flatnonzero(rng.random(n) < 0.15), "care"),
        (np.flatnonzero(rng.random(n) < 0.05), "medical"),
    ]
    # Psychological reports: about 3 in 100 students, at least one per school.
    psych = rng.random(n) < 0.03
    for k in np.unique(students["_school"]):
        psych[np.flatnonzero(students["_school"].to_numpy() == k)[0]] = True
    parts.append((np.flatnonzero(psych), "psychological_report"))

    student_row = np.concatenate([p[0] for p in parts])
    category = np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts])
    order = np.argsort(student_row, kind="stable")
    student_row, category = student_row[order], category[order]
    count = len(student_row)

    is_psych = category == "psychological_report"
    case = np.where(is_psych, "case-" + pd.Series(np.cumsum(is_psych)).astype("str").str.zfill(5), None)
    case_id = case.copy()
    case_id[np.flatnonzero(is_psych)[4::5]] = None  # some reports were filed without their case number

    seconds = rng.integers(1, 400 * 86400, count).astype("timedelta64[s]")
    created = np.datetime64(window.start, "s") - seconds
    return pd.DataFrame(
        {
            "document_id": ("doc-" + pd.Series(1000001 + np.arange(count)).astype("str")).astype("str"),
            "student_id": students["student_id"].to_numpy()[student_row],
            "category": pd.Series(category, dtype="str"),
            "case_id": pd.Series(case_id, dtype="str"),
            "created_at": created,
            "created_at__style": np.zeros(count, dtype=np.int8),  # local time, no offset
            "_student": student_row,
            "_case": case,  # the assessment case a report belongs to, even when not written down
        }
    ).astype({"student_id": "str"})


# -- involvements --------------------------------------------------------------------------------


def build_involvements(window, students, staff, people, documents, parts, psychologist, rng):
    sy = pd.Timestamp(window.school_year_start)
    # Class teachers and mentors, for the whole school year (open-ended).
    by_class = students[["student_id", "_school", "_class"]].reset_index(names="_student")
    teaching = parts["classes"].merge(by_class, on=["_school", "_class"])
    frames = [
        pd.DataFrame(
            {
                "_person": teaching["_person"].to_numpy(),
                "_student": teaching["_student"].to_numpy(),
                "relation": teaching["relation"].to_numpy(),
                "valid_from": sy,
            }
        )
    ]
    # Care coordinators follow the students who have a care file.
    coordinators = people.index[people["role"] == "care_coordinator"].to_numpy()
    coordinator_school = people["school"].to_numpy()[coordinators]
    care = documents.loc[documents["category"] == "care", "_student"].to_numpy()
    care_school = students["_school"].to_numpy()[care]
    choice = rng("care-coordinators")
    care_coordinator = np.empty(len(care), dtype=np.int64)
    for k in np.unique(care_school):
        mine = coordinators[coordinator_school == k]
        at_k = care_school == k
        care_coordinator[at_k] = mine[choice.integers(0, len(mine), at_k.sum())]
    frames.append(
        pd.DataFrame({"_person": care_coordinator, "_student": care, "relation": "care_coordinator",
                      "valid_from": sy})
    )
    # The psychologist takes part in the assessment case of every psychological report.
    psych = documents[documents["category"] == "psychological_report"]
    assessment_start = pd.Timestamp(window.start) - pd.to_timedelta(
        rng("assessments").integers(10, 300, len(psych)), unit="D"
    )
    frames.append(
        pd.DataFrame(
            {
                "_person": psychologist,
                "_student": psych["_student"].to_numpy(),
                "relation": "assessment",
                "valid_from": assessment_start,
                "case_id": psych["_case"].to_numpy(),
            }
        )
    )
    # The substitute covers class 0 from three weeks before the window until its end.
    for school, person in parts["substitute"]:
        rows = by_class[(by_class["_school"] == school) & (by_class["_class"] == 0)]
        frames.append(
            pd.DataFrame({"_person": person, "_student": rows["_student"].to_numpy(), "relation": "substitute",
                          "valid_from": pd.Timestamp(window.start - timedelta(days=14)),
                          "valid_to": pd.Timestamp(window.end)})
        )
    for school, person in parts["grant"]:
        rows = by_class[by_class["_school"] == school].head(2)
        frames.append(
            pd.DataFrame({"_person": person, "_student": rows["_student"].to_numpy(), "relation": "grant",
                          "valid_from": sy, "reason": "verzoek van ouders, besluit FG"})
        )
    frame = pd.concat(frames, ignore_index=True)
    frame["staff_id"] = people["staff_id"].to_numpy()[frame["_person"].to_numpy()]
    frame["student_id"] = students["student_id"].to_numpy()[frame["_student"].to_numpy()]
    for col in ("valid_from", "valid_to"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[s]")
    frame = frame.drop_duplicates(["staff_id", "student_id", "relation", "valid_from", "case_id"])
    columns = ["staff_id", "student_id", "relation", "valid_from", "valid_to", "case_id", "reason", "_person",
               "_student"]
    return frame[columns].astype({"staff_id": "str", "student_id": "str", "relation": "str",
                                  "case_id": "str", "reason": "str"}).reset_index(drop=True)


# -- consents ------------------------------------------------------------------------------------


def build_consents(window: Window, students: pd.DataFrame, guardians: pd.DataFrame, rng: np.random.Generator):
    """Consents with the right party, form and dates. `_usable` marks those background disclosures
    may rely on: not withdrawn, and either given by the student or for a student under 16 until the
    window ends (so no consent age transition arises)."""
    n = len(students)
    birth = students["birth_date"].to_numpy().astype("datetime64[D]")
    start = as_days(window.start)
    # The guardian who signs: the first one of the student with parental authority.
    with_authority = guardians[guardians["parental_authority"].to_numpy(dtype=bool)]
    signer = with_authority.drop_duplicates("_student").set_index("_student")["guardian_id"]
    signer = signer.reindex(np.arange(n)).to_numpy()

    parts = []
    for purpose, share, recipient, categories in (
        ("school_photos", 0.7, "rcp-foto", "images;administrative"),
        ("tutoring", 0.08, "rcp-bijles", "progress;attendance"),
        ("newsletter_photos", 0.1, None, "images"),
    ):
        rows = np.flatnonzero(rng.random(n) < share)
        parts.append((rows, purpose, recipient, categories))
    # Students of 18 or more for a while allow their parents to see the whole file (some of them).
    adult_since = ages_at(birth, window.start - timedelta(days=30)) >= 18
    parents_allowed = np.flatnonzero(adult_since & (rng.random(n) < 0.5))
    parts.append((parents_allowed, "parent_access", None, None))

    student_row = np.concatenate([p[0] for p in parts])
    count = len(student_row)
    purpose = np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts])
    recipient = np.concatenate([np.full(len(p[0]), p[2], dtype=object) for p in parts])
    categories = np.concatenate([np.full(len(p[0]), p[3], dtype=object) for p in parts])
    is_parent_access = purpose == "parent_access"
    is_newsletter = purpose == "newsletter_photos"

    given_days = np.where(is_parent_access, 30, rng.integers(7, 300, count)).astype("timedelta64[D]")
    given_day = start - given_days
    given_at = given_day.astype("datetime64[s]") + rng.integers(8 * 3600, 20 * 3600, count).astype(
        "timedelta64[s]"
    )
    given_style = np.where(rng.random(count) < 0.8, 3, 1).astype(np.int8)  # mostly a bare date
    by_student = ages_at(birth[student_row], given_day) >= 16
    given_by = np.where(by_student, students["student_id"].to_numpy()[student_row], signer[student_row])
    form = np.where(rng.random(count) < 0.6, "written", "digital_signature").astype(object)
    form[is_newsletter] = np.where(rng.random(is_newsletter.sum()) < 0.7, "opt_out", "verbal")

    withdrawn = (~is_parent_access) & (rng.random(count) < 0.04)
    withdrawn_at = np.where(
        withdrawn, given_day + (start - given_day) // 2, np.datetime64("NaT", "D")
    ).astype("datetime64[s]")
    expires = rng.random(count) < 0.2
    valid_until = np.where(expires, as_days(window.end + timedelta(days=200)), np.datetime64("NaT", "D"))

    ids = ("TST-" + pd.Series(np.arange(1, count + 1)).astype("str").str.zfill(6)).to_numpy()
    evidence = np.where(form == "written", "archief/toestemming/" + ids,
                        np.where(form == "digital_signature", "esign/" + ids, None))
    under_16_throughout = ages_at(birth[student_row], window.end) < 16
    frame = pd.DataFrame(
        {
            "consent_id": ids,
            "student_id": students["student_id"].to_numpy()[student_row],
            "given_by_id": given_by,
            "given_by_role": np.where(by_student, "student", "guardian"),
            "purpose": purpose,
            "form": form,
            "given_at": given_at,
            "given_at__style": given_style,
            "recipient_id": recipient,
            "data_categories": categories,
            "valid_until": valid_until.astype("datetime64[s]"),
            "withdrawn_at": withdrawn_at,
            "withdrawn_at__style": np.full(count, 3, dtype=np.int8),
            "evidence_ref": evidence,
            "_student": student_row,
            "_usable": ~withdrawn & ~is_newsletter & (by_student | under_16_throughout),
        }
    )
    text = ["consent_id", "student_id", "given_by_id", "given_by_role", "purpose", "form", "recipient_id",
            "data_categories", "evidence_ref"]
    return frame.astype({c: "str" for c in text})
