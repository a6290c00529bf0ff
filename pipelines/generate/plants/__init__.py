"""Planted violations (and near misses) on top of the clean background.

A plant is a small function `plant_x(plan)` that adds reference rows to the board (staff, students,
guardians, consents, agreements, policies) and declares its planted access events and disclosures as
cases, which `plant(plan, *cases)` turns into rows with the findings they must give (or, for a near
miss, the rules that must stay silent). Every rule of spec/rules.md sections A-F is planted, with the
precedence of the spec: each case names the one finding it must give (two only where section D rules
apply together).

To add a case, add a row to a plant's `plant(...)` call (see plan.py):

    Access((DEMO, 2, "13:15"), who=stranger, category="care", break_glass=True,
           finding=(rule, "high", "break glass on care data without a justification"),
           near_miss=("ACCESS-UNINVOLVED", "break glass is judged first"))

`at` is (week, weekday, "HH:MM") in local time: week DEMO (-1) or an earlier one (-2, -3), which is
left out when the window is shorter. Subjects are ids or resolvers, called when the row is planted:
`partial(any_student, board, school, rng)` for a student, `who=partial(uninvolved_teacher, ...)` for a
teacher and a student they have nothing to do with. `Disclosure` rows work alike (sharing.py and
processors.py have short makers for consent and processor disclosures). A new rule gets a function
appended to its module's PLANTS. Rows are planted in their order and resolvers draw from the plant's
own random generator; a new case still changes what a seed generates (later ids move).

    access.py       section A, staff and student actors
    guardians.py    section A, guardian actors (ages 16 and 18, links, parental authority)
    sharing.py      sections B and C (consent and the legal exceptions)
    processors.py   section D and the agreement rules of section E
    signals.py      section F (signals per account), with accounts of the board office
    standing.py     policies and log gaps (section E); the log gap comes last
"""

from pipelines.generate.plants import access, guardians, processors, sharing, signals, standing
from pipelines.generate.plants.plan import Plan

PLANTS = (*access.PLANTS, *guardians.PLANTS, *sharing.PLANTS, *processors.PLANTS, *signals.PLANTS,
          *standing.PLANTS)

__all__ = ["PLANTS", "Plan"]
