"""The reference data of a generated school board, and the pools its background activity samples.

Everything here is clean for the whole rule catalogue (spec/rules.md); plants (plants.py) add the
violations on top. Per-student data is built with numpy/pandas; a loop per school or class is fine.
Besides the feeds, the board keeps *pools*: the legitimate (actor, student, category) combinations
that background activity (activity.py) samples from. They are frozen before any plant runs, so a
planted involvement or document never leaks into the background.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from pipelines.generate.basics import ALLOWANCE_ROLES, ages_at, rng_for
from pipelines.generate.organisation import build_organisation
from pipelines.generate.people import build_guardians, build_schools, build_staff, build_students
from pipelines.generate.records import build_consents, build_documents, build_involvements
from pipelines.generate.window import Window


@dataclass
class Pools:
    """Legitimate access combinations, as codes (actors: index into Board.actors; students: row of
    students; documents: row of documents)."""

    involved_actor: np.ndarray
    involved_student: np.ndarray
    allowance_actor: np.ndarray
    allowance_school: np.ndarray
    allowance_role: np.ndarray  # index into ALLOWANCE_ROLES
    care_doc: np.ndarray
    care_coordinators: list[np.ndarray]  # per school
    psych_doc: np.ndarray
    psychologist: int
    guardian_actor: np.ndarray
    guardian_student: np.ndarray
    guardian_authority: np.ndarray
    self_student: np.ndarray  # secondary students who look at their own file
    viewable_doc: np.ndarray  # non-psychological documents, ordered by student
    viewable_start: np.ndarray  # per student: first index into viewable_doc
    viewable_count: np.ndarray


@dataclass
class Board:
    window: Window
    seed: int
    tables: dict[str, pd.DataFrame]
    systems: tuple[str, ...]  # source system names; a school's system is systems[school_system[k]]
    school_system: np.ndarray
    school_range: np.ndarray  # students of school k are rows school_range[k]:school_range[k+1]
    actors: pd.DataFrame  # code -> actor_id, actor_type (staff, then guardians, then students)
    pools: Pools
    added: dict[str, list[dict]] = field(default_factory=dict)

    # -- reading -------------------------------------------------------------------------------
    def rng(self, name: str) -> np.random.Generator:
        return rng_for(self.seed, name)

    def table(self, feed: str) -> pd.DataFrame:
        """A feed with the rows plants added."""
        base = self.tables.get(feed)
        extra = self.added.get(feed)
        if not extra:
            return base
        extra_frame = pd.DataFrame(extra)
        return extra_frame if base is None else pd.concat([base, extra_frame], ignore_index=True)

    @property
    def students(self) -> pd.DataFrame:
        return self.tables["students"]

    def school_id(self, school: int) -> str:
        return self.tables["schools"]["school_id"].iloc[school]

    def school_of_student(self, student_id: str) -> int:
        for row in self.added.get("students", []):
            if row["student_id"] == student_id:
                return int(row["_school"])
        return int(self.students.loc[self.students["student_id"] == student_id, "_school"].iloc[0])

    def system_of_student(self, student_id: str) -> str:
        return self.systems[self.school_system[self.school_of_student(student_id)]]

    def system_of_school(self, school: int) -> str:
        return self.systems[self.school_system[school]]

    def secondary_school(self) -> int | None:
        sectors = self.tables["schools"]["sector"]
        vo = np.flatnonzero(sectors.to_numpy() == "VO")
        return int(vo[0]) if len(vo) else None

    # -- adding (plants) ------------------------------------------------------------------------
    def add(self, feed: str, **row) -> None:
        for key, value in list(row.items()):
            if isinstance(value, (list, tuple)):
                row[key] = ";".join(value)  # lists travel as ';'-joined text; the writer converts
        self.added.setdefault(feed, []).append(row)

    def add_staff(self, school: int, role: str, name: str, valid_from: date, valid_to: date | None = None,
                  account_type: str = "personal") -> str:
        """A new person (ids continue after the background staff)."""
        staff_count = int((self.actors["actor_type"] == "staff").sum())
        staff_id = f"m{10001 + staff_count + len(self.added.get('staff', []))}"
        self.add(
            "staff",
            staff_id=staff_id,
            school_id=self.school_id(school),
            role=role,
            valid_from=valid_from,
            valid_to=valid_to,
            account_type=account_type,
            display_name=name,
        )
        return staff_id

    def add_student(self, school: int, birth_date: date, name: str, eck_id: bool = True) -> str:
        """A planted student (ids continue after the background). Background activity never touches
        planted students: each plant says exactly what happens to them."""
        planted = len(self.added.get("students", []))
        student_id = str(100001 + len(self.students) + planted)
        self.add(
            "students",
            student_id=student_id,
            school_id=self.school_id(school),
            birth_date=birth_date,
            eck_id=f"https://ketenid.nl/201703/{zlib.crc32(student_id.encode()):016x}" if eck_id else None,
            enrolled_from=self.window.school_year_start - timedelta(days=365),
            enrolled_to=None,
            display_name=name,
            _school=school,
        )
        return student_id

    def add_guardian(self, student_id: str, relation: str, authority: bool, name: str,
                     valid_from: date | None = None, valid_to: date | None = None,
                     guardian_id: str | None = None) -> str:
        """A link between a guardian and a student; a new guardian unless `guardian_id` is given."""
        if guardian_id is None:
            background = int((self.actors["actor_type"] == "guardian").sum())
            planted = len({r["guardian_id"] for r in self.added.get("guardians", [])})
            guardian_id = f"ouder-{background + planted + 1:06d}"
        self.add(
            "guardians",
            guardian_id=guardian_id,
            student_id=student_id,
            relation=relation,
            parental_authority=authority,
            valid_from=valid_from,
            valid_to=valid_to,
            display_name=name,
        )
        return guardian_id

    def add_document(self, student_id: str, category: str, created_at: datetime, case_id=None) -> str:
        document_id = f"doc-{9000001 + len(self.added.get('documents', []))}"
        self.add(
            "documents",
            document_id=document_id,
            student_id=student_id,
            category=category,
            case_id=case_id,
            created_at=created_at,
            created_at__style=0,
        )
        return document_id


def build_board(window: Window, schools: int, students: int, seed: int, staff: int | None = None) -> Board:
    rng = lambda name: rng_for(seed, name)
    school_frame, school_system, systems = build_schools(schools)
    student_frame, school_range = build_students(window, school_frame, students, rng("students"))
    staff_frame, involvement_parts, staff_people = build_staff(window, school_frame, student_frame, rng("staff"),
                                                                staff)
    guardian_frame, guardian_people = build_guardians(window, student_frame, rng("guardians"))
    document_frame = build_documents(window, student_frame, rng("documents"))

    psychologist = staff_people.index[staff_people["role"] == "psychologist"][0]
    involvement_frame = build_involvements(
        window, student_frame, staff_frame, staff_people, document_frame, involvement_parts, psychologist, rng
    )
    consent_frame = build_consents(window, student_frame, guardian_frame, rng("consents"))

    actors = pd.concat(
        [
            pd.DataFrame({"actor_id": staff_people["staff_id"], "actor_type": "staff"}),
            pd.DataFrame({"actor_id": guardian_people, "actor_type": "guardian"}),
            pd.DataFrame({"actor_id": student_frame["student_id"], "actor_type": "student"}),
        ],
        ignore_index=True,
    )
    guardian_offset = len(staff_people)

    tables = {
        "schools": school_frame,
        "students": student_frame,
        "guardians": guardian_frame,
        "staff": staff_frame,
        "involvements": involvement_frame,
        "documents": document_frame,
        "consents": consent_frame,
        **build_organisation(window, school_frame, systems),
    }
    pools = _pools(window, tables, staff_people, psychologist, guardian_offset, school_frame)
    return Board(window, seed, tables, systems, school_system, school_range, actors, pools)


# -- pools ---------------------------------------------------------------------------------------


def _pools(window, tables, people, psychologist, guardian_offset, schools) -> Pools:
    students, involvements, documents = tables["students"], tables["involvements"], tables["documents"]
    staff, guardians, consents = tables["staff"], tables["guardians"], tables["consents"]

    involved = involvements[involvements["relation"] != "assessment"]
    allowance = staff[staff["role"].isin(ALLOWANCE_ROLES) & staff["account_type"].ne("shared")]
    school_index = pd.Series(np.arange(len(schools)), index=schools["school_id"].to_numpy())

    coordinators = people.index[people["role"] == "care_coordinator"].to_numpy()
    coordinator_school = people["school"].to_numpy()[coordinators]

    # Documents are ordered by student, so each student's viewable ones are one slice.
    viewable = documents[documents["category"] != "psychological_report"]
    counts = np.bincount(viewable["_student"].to_numpy(), minlength=len(students))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])

    # Guardians look only at students under 18 until the window ends, or at students who gave their
    # parents access before the window (a parent_access consent).
    birth = students["birth_date"].to_numpy().astype("datetime64[D]")
    eligible = ages_at(birth, window.end) < 18
    eligible[consents.loc[consents["purpose"] == "parent_access", "_student"].to_numpy()] = True
    guardian_rows = guardians[eligible[guardians["_student"].to_numpy()]]

    secondary = schools["sector"].to_numpy()[students["_school"].to_numpy()] == "VO"
    return Pools(
        involved_actor=involved["_person"].to_numpy(dtype=np.int64),
        involved_student=involved["_student"].to_numpy(dtype=np.int64),
        allowance_actor=allowance["_person"].to_numpy(dtype=np.int64),
        allowance_school=school_index.loc[allowance["school_id"]].to_numpy(dtype=np.int64),
        allowance_role=np.array([ALLOWANCE_ROLES.index(r) for r in allowance["role"]], dtype=np.int64),
        care_doc=documents.index[documents["category"] == "care"].to_numpy(dtype=np.int64),
        care_coordinators=[coordinators[coordinator_school == k] for k in range(len(schools))],
        psych_doc=documents.index[documents["category"] == "psychological_report"].to_numpy(dtype=np.int64),
        psychologist=int(psychologist),
        guardian_actor=guardian_offset + guardian_rows["_guardian"].to_numpy(dtype=np.int64),
        guardian_student=guardian_rows["_student"].to_numpy(dtype=np.int64),
        guardian_authority=guardian_rows["parental_authority"].to_numpy(dtype=bool),
        self_student=np.flatnonzero(secondary),
        viewable_doc=viewable.index.to_numpy(dtype=np.int64),
        viewable_start=starts,
        viewable_count=counts,
    )
