"""The boards file: which school boards this installation audits, each with its own folders.

Each school board is its own data controller, so a board is the unit of distribution: one landing
folder, one warehouse, one report folder per board, and no two boards share any of them. Without a
boards file there is one board, `default`, from the command-line flags or the SCHOOLAUDIT_* variables.

    # boards.toml: one table per board; relative paths are relative to this file's folder
    [de-linde]
    landing = "/srv/de-linde/landing"
    warehouse = "/srv/de-linde/warehouse.duckdb"
    out = "/srv/de-linde/reports"
    lang = "nl"                  # optional, default "en"
    config = "de-linde.toml"     # optional rule parameters (spec/rules.md)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BOARD = "default"
LANGUAGES = ("en", "nl")
REQUIRED = ("landing", "warehouse", "out")
OPTIONAL = ("lang", "config")
# A board key is a partition key, a folder name and a Kubernetes name: keep it to what all three allow.
KEY_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


class BoardsError(ValueError):
    """A boards file that cannot be used: the message says what to change (exit status 2)."""


@dataclass(frozen=True)
class Board:
    key: str
    landing: str
    warehouse: str
    out: str
    lang: str = "en"
    config: str | None = None


def single_board(landing: str, warehouse: str, out: str, lang: str = "en", config: str | None = None) -> list[Board]:
    return [Board(DEFAULT_BOARD, landing, warehouse, out, lang, config)]


def load_boards(path: str | Path) -> list[Board]:
    """The boards of a boards file, validated; in the file's order."""
    path = Path(path)
    if not path.is_file():
        raise BoardsError(f"boards file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:  # a board declared twice is also reported here
        raise BoardsError(f"boards file {path} is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BoardsError(f"boards file {path} cannot be read: {exc}") from None
    base = path.resolve().parent
    boards = [_board(path, key, table, base) for key, table in data.items()]
    if not boards:
        raise BoardsError(f"boards file {path} names no board (one [table] per board)")
    _check_apart(path, boards)
    return boards


def _board(path: Path, key: str, table: object, base: Path) -> Board:
    where = f"boards file {path}, board {key!r}"
    if not isinstance(table, dict):
        raise BoardsError(f"boards file {path}: {key!r} is not a board table; write [{key}] with its folders")
    if not KEY_PATTERN.match(key):
        raise BoardsError(
            f"{where}: a board key is 1-40 lowercase letters, digits and hyphens, not starting or ending with a hyphen"
        )
    unknown = sorted(set(table) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise BoardsError(f"{where}: unknown key {', '.join(unknown)} (known: {', '.join(REQUIRED + OPTIONAL)})")
    missing = [name for name in REQUIRED if name not in table]
    if missing:
        raise BoardsError(f"{where}: {', '.join(missing)} missing")
    for name, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise BoardsError(f"{where}: {name} must be a non-empty string")
    lang = table.get("lang", "en")
    if lang not in LANGUAGES:
        raise BoardsError(f"{where}: lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    config = table.get("config")
    return Board(
        key=key,
        landing=_absolute(base, table["landing"]),
        warehouse=_absolute(base, table["warehouse"]),
        out=_absolute(base, table["out"]),
        lang=lang,
        config=_absolute(base, config) if config else None,
    )


def _absolute(base: Path, text: str) -> str:
    return str((base / Path(text).expanduser()).resolve())


def _check_apart(path: Path, boards: list[Board]) -> None:
    """Data must never mix: no two boards share (or nest) a landing folder, a warehouse or a report folder,
    and no board writes inside another's landing folder (it would be ingested as that board's data)."""
    for i, first in enumerate(boards):
        for second in boards[i + 1:]:
            pair = f"boards {first.key!r} and {second.key!r}"
            for what, attribute in (("landing folder", "landing"), ("report folder", "out")):
                a, b = Path(getattr(first, attribute)), Path(getattr(second, attribute))
                if _overlap(a, b):
                    raise BoardsError(f"boards file {path}: {pair} share a {what} ({a} and {b})")
            if first.warehouse == second.warehouse:
                raise BoardsError(f"boards file {path}: {pair} share a warehouse ({first.warehouse})")
        for other in boards:
            for what, place in (("warehouse", first.warehouse), ("report folder", first.out)):
                if other is not first and _overlap(Path(place), Path(other.landing)):
                    raise BoardsError(
                        f"boards file {path}: the {what} of board {first.key!r} is inside the landing folder "
                        f"of board {other.key!r}"
                    )


def _overlap(a: Path, b: Path) -> bool:
    """The same folder, or one inside the other."""
    return a == b or a in b.parents or b in a.parents


def select(boards: list[Board], keys: list[str] | None) -> list[Board]:
    """The boards named (all when none are), in the file's order; an unknown name is a usage error."""
    if not keys:
        return boards
    known = {board.key for board in boards}
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise BoardsError(f"unknown board {', '.join(unknown)} (the boards file has {', '.join(sorted(known))})")
    return [board for board in boards if board.key in keys]
