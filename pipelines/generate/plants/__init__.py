"""Planted violations (and near misses) on top of the clean background.

A plant is a small function `plant_x(plan)` that adds reference rows to the board, access events or
disclosures to the plan, and says which finding each one must give (or, for a near miss, which rule
must stay silent). Adding a rule's plants = writing one function and appending it to its module's
PLANTS. Every rule of spec/rules.md sections A-F is planted, with the precedence of the spec: each
plant names the one finding it must give (two only where section D rules apply together).

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
