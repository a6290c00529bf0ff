"""A mapping profile (spec/mapping.md): how the columns and values of a vendor export become a feed.

`load_profile` reads and checks `profile.toml` against the contract (pipelines.contract.FEEDS): an
unknown feed, column or key, or a value the contract would refuse anyway (a map to a code the feed does
not know) is a ProfileError, one line, before any export is read. What a profile cannot know in advance
(a value its map lacks, a time that does not match its format) is found per row at ingest (mapping.read).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from pipelines.contract import (
    BOOL,
    CODE,
    DATE,
    DATE_OR_TIMESTAMP,
    FALSE_WORDS,
    FEEDS,
    HEADER_REQUIRED,
    LIST,
    TIMESTAMP,
    TRUE_WORDS,
    Column,
    Feed,
)

PROFILE_NAME = "profile.toml"
FORMATS = ("csv", "xlsx", "jsonl")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1")
TOP_KEYS = ("feed", "read", "columns")
READ_KEYS = ("format", "delimiter", "encoding", "header_row", "sheet")
EXPRESSION_KEYS = ("column", "value", "strip", "map", "default", "format", "timezone")
TIME_KINDS = (DATE, TIMESTAMP, DATE_OR_TIMESTAMP)


class ProfileError(Exception):
    """A profile that cannot be used: one line, and the run stops (exit status 2)."""


@dataclass(frozen=True)
class Expression:
    """How one contract column gets its value: from an export column (`source`) or a constant."""

    column: Column  # the contract column
    source: str | None = None  # the export's column name, as the profile writes it
    value: str | None = None  # a constant
    strip: str | None = None  # a prefix dropped from the value
    mapping: tuple[tuple[str, str], ...] = ()  # (export value lower-cased, contract value)
    default: str | None = None  # for a value the map does not know
    time_format: str | None = None  # strptime format of a date or time
    timezone: str | None = None  # the zone a time without an offset is local to

    @property
    def has_map(self) -> bool:
        return bool(self.mapping)


@dataclass(frozen=True)
class Profile:
    path: Path
    feed: Feed
    format: str = "csv"
    delimiter: str = ","
    encoding: str = "utf-8"
    header_row: int = 1
    sheet: str | None = None
    expressions: tuple[Expression, ...] = field(default_factory=tuple)
    digest: str = ""  # sha256 of what the profile says (not of its comments or layout)

    @property
    def sources(self) -> tuple[str, ...]:
        """The export columns the profile reads, each once, in the profile's order."""
        return tuple(dict.fromkeys(e.source for e in self.expressions if e.source is not None))

    def required_sources(self) -> tuple[str, ...]:
        """Export columns without which the file is rejected: those of required contract columns."""
        must = set(self.feed.required + HEADER_REQUIRED.get(self.feed.name, ()))
        return tuple(dict.fromkeys(e.source for e in self.expressions if e.source and e.column.name in must))


def load_profile(path: Path) -> Profile:
    """The profile in `path`, checked; ProfileError (one line naming the file) when it is not usable."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"profile {path} not found") from None
    except OSError as error:
        raise ProfileError(f"profile {path} cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ProfileError(f"profile {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"profile {path} is not valid TOML: {error}") from None
    try:
        return _profile(path, data)
    except ProfileError as error:
        raise ProfileError(f"profile {path}: {error}") from None


def _unknown(keys, allowed, where: str) -> None:
    for key in keys:
        if key not in allowed:
            raise ProfileError(f"unknown key {key!r} in {where} (allowed: {', '.join(allowed)})")


def _text(value, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int)):
        return str(value)
    raise ProfileError(f"{where} must be text, a number or true/false")


def _profile(path: Path, data: dict) -> Profile:
    _unknown(data, TOP_KEYS, "the profile")
    feed_name = data.get("feed")
    if not isinstance(feed_name, str):
        raise ProfileError(f"'feed' is missing: name one of {', '.join(FEEDS)}")
    if feed_name not in FEEDS:
        raise ProfileError(f"unknown feed {feed_name!r} (expected one of {', '.join(FEEDS)})")
    feed = FEEDS[feed_name]
    read = data.get("read", {})
    if not isinstance(read, dict):
        raise ProfileError("[read] must be a table")
    _unknown(read, READ_KEYS, "[read]")
    file_format = read.get("format", "csv")
    if file_format not in FORMATS:
        raise ProfileError(f"unknown format {file_format!r} (expected one of {', '.join(FORMATS)})")
    delimiter = read.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise ProfileError('delimiter must be one character (not a quote or a line break), e.g. ";" or "\\t"')
    encoding = read.get("encoding", "utf-8")
    if encoding not in ENCODINGS:
        raise ProfileError(f"unknown encoding {encoding!r} (expected one of {', '.join(ENCODINGS)})")
    header_row = read.get("header_row", 1)
    if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
        raise ProfileError("header_row must be a whole number, 1 or more")
    sheet = read.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        raise ProfileError("sheet must be the name of a sheet")
    if file_format != "csv" and "delimiter" in read:
        raise ProfileError('delimiter is for format = "csv" only')
    if file_format == "xlsx" and "encoding" in read:
        raise ProfileError('encoding is not for format = "xlsx" (a workbook knows its own)')
    if file_format != "xlsx" and sheet is not None:
        raise ProfileError('sheet is for format = "xlsx" only')
    if file_format == "jsonl" and header_row != 1:
        raise ProfileError('header_row is not for format = "jsonl"')
    columns = data.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise ProfileError("[columns] is missing: say which export column gives each contract column")
    expressions = tuple(_expression(feed, name, spec) for name, spec in columns.items())
    given = {e.column.name for e in expressions}
    missing = [c for c in feed.required + HEADER_REQUIRED.get(feed.name, ()) if c not in given]
    if missing:
        raise ProfileError(f"no value for the required column{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(missing)} of feed {feed.name}")  # fmt: skip
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return Profile(path, feed, file_format, delimiter, encoding, header_row, sheet, expressions, digest)


def _expression(feed: Feed, name: str, spec) -> Expression:
    if name not in feed.column_names:
        raise ProfileError(
            f"unknown column {name!r} of feed {feed.name} (columns: {', '.join(feed.column_names)})"
        )
    column = feed.column(name)
    where = f"columns.{name}"
    if isinstance(spec, str):
        spec = {"column": spec}
    if not isinstance(spec, dict):
        raise ProfileError(f'{where} must be an export column name or a table such as {{ column = "..." }}')
    _unknown(spec, EXPRESSION_KEYS, where)
    if "value" in spec:
        if len(spec) > 1:
            raise ProfileError(f"{where}: a constant (value) takes no other key")
        value = _text(spec["value"], f"{where}.value")
        _check_value(column, value, f"{where}.value")
        return Expression(column, value=value)
    source = spec.get("column")
    if not isinstance(source, str) or not source.strip():
        raise ProfileError(f"{where} needs 'column' (the export's column name) or 'value' (a constant)")
    strip = spec.get("strip")
    if strip is not None and (not isinstance(strip, str) or not strip):
        raise ProfileError(f"{where}.strip must be the text of a prefix")
    mapping = _mapping(column, spec.get("map"), where)
    default = spec.get("default")
    if default is not None:
        if not mapping:
            raise ProfileError(f"{where}.default needs a map")
        default = _text(default, f"{where}.default")
        _check_value(column, default, f"{where}.default")
    time_format, timezone = spec.get("format"), spec.get("timezone")
    if time_format is not None:
        if column.kind not in TIME_KINDS:
            raise ProfileError(f"{where}.format is for a date or time column; {name} is not one")
        if mapping:
            raise ProfileError(f"{where}: format and map do not go together")
        _check_format(time_format, where)
    if timezone is not None:
        if column.kind not in (TIMESTAMP, DATE_OR_TIMESTAMP) or time_format is None:
            raise ProfileError(f"{where}.timezone needs a format, on a time column")
        if "%z" in time_format or "%Z" in time_format:
            raise ProfileError(f"{where}: the format reads the offset (%z), so timezone is not needed")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ProfileError(f"{where}.timezone: unknown time zone {timezone!r}") from None
    return Expression(column, source.strip(), None, strip, mapping, default, time_format, timezone)


def _mapping(column: Column, spec, where: str) -> tuple[tuple[str, str], ...]:
    if spec is None:
        return ()
    if not isinstance(spec, dict) or not spec:
        raise ProfileError(f"{where}.map must be a table of export value = contract value")
    pairs: dict[str, str] = {}
    for key, value in spec.items():
        target = _text(value, f"{where}.map.{key}")
        _check_value(column, target, f"{where}.map.{key}")
        lowered = key.strip().lower()  # export values are matched trimmed and case-insensitively
        if pairs.get(lowered, target) != target:
            raise ProfileError(f"{where}.map names {key!r} twice (case does not count) with different values")
        pairs[lowered] = target
    return tuple(pairs.items())


def _check_value(column: Column, value: str, where: str) -> None:
    """A constant or map value the contract would refuse is a mistake of the profile's."""
    if column.kind == CODE and value.lower() not in {c.lower() for c in column.codes}:
        raise ProfileError(f"{where}: {value!r} is not a code of {column.name} ({', '.join(column.codes)})")
    if column.kind == BOOL and value.lower() not in TRUE_WORDS + FALSE_WORDS:
        raise ProfileError(f"{where}: {value!r} is not true or false")
    if column.kind == LIST and column.codes:
        unknown = [i for i in value.split(";") if i.strip() and i.strip().lower() not in column.codes]
        if unknown:
            raise ProfileError(f"{where}: {unknown[0]!r} is not one of {', '.join(column.codes)}")


def _check_format(time_format, where: str) -> None:
    if not isinstance(time_format, str) or "%" not in time_format:
        raise ProfileError(f'{where}.format must be a strptime format such as "%d-%m-%Y %H:%M"')
    try:
        duckdb.connect().execute("SELECT try_strptime('', ?)", [time_format])
    except duckdb.Error:
        raise ProfileError(f"{where}.format {time_format!r} is not a strptime format") from None


def vendor_folders(landing: Path) -> list[Path]:
    """The folders of `landing/vendor/`, each holding a profile and the exports it reads."""
    vendor = Path(landing) / "vendor"
    if not vendor.is_dir():
        return []
    folders = []
    for entry in sorted(vendor.iterdir()):
        if entry.is_dir():
            folders.append(entry)
        elif entry.is_file():
            raise ProfileError(f"{entry}: a vendor export goes into a folder of its own beside its {PROFILE_NAME} "
                               f"(vendor/<name>/)")  # fmt: skip
    return folders


def folder_profile(folder: Path) -> Profile:
    path = Path(folder) / PROFILE_NAME
    if not path.is_file():
        raise ProfileError(
            f"{folder} has no {PROFILE_NAME}: write one (see README, 'Connecting a school system's export')"
        )
    return load_profile(path)


def check_profiles(landing: Path) -> list[Profile]:
    """Every profile of the landing folder, loaded: the first bad one raises ProfileError."""
    return [folder_profile(folder) for folder in vendor_folders(landing)]
