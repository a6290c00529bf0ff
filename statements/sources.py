"""The relations the statement reads, named `statement_*`, from the warehouse or from its published copy.

The command line reads the warehouse: there they are TEMP views over its tables (`warehouse_views`).
The review app never opens the warehouse (pipelines.published): every run publishes these same
selections as tables of the published copy, so that the app can answer an access request while a run
writes. One definition, two places: the statement's SQL (statements.data) reads only these names and the
published `findings`.

Only what a statement needs: the columns of the feeds it reports on, never lineage. Free text about
other people (break-glass justifications, evidence references) is left out here already.
"""

from __future__ import annotations

from pipelines.published import STATEMENT_TABLES


def warehouse_views(con) -> None:
    """The statement_* relations as TEMP views on a (read-only) connection to the warehouse."""
    for name, select in STATEMENT_TABLES.items():
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {select}")
