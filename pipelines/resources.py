"""Dagster resources: per board, where the landing folder, the warehouse and the reports are, and the settings."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import faults, private
from pipelines.boards import DEFAULT_BOARD, Board, load_boards, single_board
from pipelines.settings import Settings, load_settings
from pipelines.warehouse import ensure_schema, make_warehouse_private, warehouse_lock

DEFAULT_DB = "data/warehouse.duckdb"
DEFAULT_OUT = "out/reports"
DEFAULT_LANDING = "data/sample/landing"


class BoardSettings(dg.Config):
    """One board's folders and settings (pipelines.boards). Paths are plain strings so the UI shows them."""

    landing: str = DEFAULT_LANDING
    database: str = DEFAULT_DB
    out: str = DEFAULT_OUT
    lang: str = "en"
    config_file: str | None = None

    def settings(self) -> Settings:
        return load_settings(self.config_file)

    def warehouse(self) -> Warehouse:
        return Warehouse(database=self.database, timezone=self.settings().timezone)


class Boards(dg.ConfigurableResource):
    """The boards this code location audits, by key. A run works on one board, named by its partition,
    and opens only that board's landing folder, warehouse and report folder: boards' data never mix."""

    boards: dict[str, BoardSettings]

    def board(self, key: str) -> BoardSettings:
        if key not in self.boards:
            raise KeyError(f"board {key!r} is not in the boards of this code location ({', '.join(self.boards)})")
        return self.boards[key]

    @classmethod
    def of(cls, boards: list[Board]) -> Boards:
        return cls(
            boards={
                board.key: BoardSettings(
                    landing=board.landing, database=board.warehouse, out=board.out, lang=board.lang,
                    config_file=board.config,
                )
                for board in boards
            }
        )

    @classmethod
    def single(cls, **settings) -> Boards:
        """One board, `default`: a single-board installation (and the tests)."""
        return cls(boards={DEFAULT_BOARD: BoardSettings(**settings)})


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse, opened in the configured time zone with every table in place.

    A connection is held under the warehouse's exclusive lock (pipelines.warehouse.warehouse_lock), so
    the sensor's and the schedule's runs and a `schoolaudit run` at the same time take turns, the
    waiting one saying so, instead of failing on DuckDB's lock. Each board has its own warehouse file,
    so runs of different boards never wait for each other. Its files are the owner's only, as with
    pipelines.warehouse.connect (this is where an asset's execution opens the warehouse).
    """

    database: str = DEFAULT_DB
    timezone: str = "Europe/Amsterdam"

    @contextmanager
    def connection(self):
        private.restrict_umask()  # before DuckDB creates the file, and for the WAL it creates later
        private.make_dirs(Path(self.database).parent)
        with (
            warehouse_lock(self.database, on_wait=_log_waiting),
            DuckDBResource(database=self.database).get_connection() as con,
        ):
            try:  # closed here too: get_connection does not close it when the block raises
                make_warehouse_private(self.database)
                # The time zone is set after connecting: DuckDB loads ICU lazily, not from the connect config.
                con.execute(f"SET TimeZone = '{self.timezone}'")
                ensure_schema(con)
                yield faults.watch(con)
            finally:
                con.close()


def _log_waiting(message: str) -> None:
    """The wait line on stderr (the command line's user sees it) and in the Dagster run's log."""
    print(message, file=sys.stderr, flush=True)
    dg.get_dagster_logger().info(message)


def boards_from_env() -> list[Board]:
    """The boards of `dagster dev`: the boards file SCHOOLAUDIT_BOARDS, else one board from the
    SCHOOLAUDIT_* variables, else the defaults of the command line."""
    boards_file = os.environ.get("SCHOOLAUDIT_BOARDS")
    if boards_file:
        return load_boards(boards_file)
    return single_board(
        landing=os.environ.get("SCHOOLAUDIT_LANDING", DEFAULT_LANDING),
        warehouse=os.environ.get("SCHOOLAUDIT_DB", DEFAULT_DB),
        out=os.environ.get("SCHOOLAUDIT_OUT", DEFAULT_OUT),
        lang=os.environ.get("SCHOOLAUDIT_LANG", "en"),
        config=os.environ.get("SCHOOLAUDIT_CONFIG") or None,
    )
