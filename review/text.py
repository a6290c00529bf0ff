"""The app's strings in English and Dutch: its own table (review/i18n/<lang>.toml, every key under `app.`)
beside the reports' (reports/i18n), whose labels for severities, families, data categories, roles and
weeks the pages share. A missing key is an error, as in the reports."""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from reports.i18n import LANGUAGES, Translator

APP_I18N_DIR = Path(__file__).parent / "i18n"


def _flatten(table: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@cache
def app_table(lang: str) -> dict[str, object]:
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    with open(APP_I18N_DIR / f"{lang}.toml", "rb") as handle:
        return _flatten(tomllib.load(handle))


class AppText(Translator):
    """The reports' Translator with the app's own strings added, and the app's time format."""

    def __init__(self, lang: str, timezone: str):
        super().__init__(lang)
        self.table = {**self.table, **app_table(lang)}
        self.zone = ZoneInfo(timezone)

    def when(self, text: str | None) -> str:
        """A time the store keeps (UTC, ISO 8601 with a Z) in local time: '17 November 2026 11:15:03'."""
        if not text:
            return ""
        moment = datetime.fromisoformat(text).astimezone(self.zone)
        return f"{self.date(moment.date())} {moment:%H:%M:%S}"
