"""Dagster resources: where the landing folder, the warehouse and the reports are, and the settings."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.settings import Settings, load_settings
from pipelines.warehouse import ensure_schema

DEFAULT_DB = "data/warehouse.duckdb"
DEFAULT_OUT = "out/reports"
DEFAULT_LANDING = "data/sample/landing"


class AuditSettings(dg.ConfigurableResource):
    """What a run of the audit works on. Paths are plain strings so the Dagster UI can show them."""

    landing: str = DEFAULT_LANDING
    out: str = DEFAULT_OUT
    lang: str = "en"
    config_file: str | None = None

    def settings(self) -> Settings:
        return load_settings(self.config_file)


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse, opened in the configured time zone with every table in place."""

    database: str = DEFAULT_DB
    timezone: str = "Europe/Amsterdam"

    @contextmanager
    def connection(self):
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        # The time zone is set after connecting: DuckDB loads ICU lazily, not from the connect config.
        with DuckDBResource(database=self.database).get_connection() as con:
            con.execute(f"SET TimeZone = '{self.timezone}'")
            ensure_schema(con)
            yield con


def resources_from_env() -> dict:
    """Resources for `dagster dev`: SCHOOLAUDIT_* variables, else the defaults of the command line."""
    audit = AuditSettings(
        landing=os.environ.get("SCHOOLAUDIT_LANDING", DEFAULT_LANDING),
        out=os.environ.get("SCHOOLAUDIT_OUT", DEFAULT_OUT),
        lang=os.environ.get("SCHOOLAUDIT_LANG", "en"),
        config_file=os.environ.get("SCHOOLAUDIT_CONFIG") or None,
    )
    return {
        "audit": audit,
        "warehouse": Warehouse(
            database=os.environ.get("SCHOOLAUDIT_DB", DEFAULT_DB), timezone=audit.settings().timezone
        ),
    }
