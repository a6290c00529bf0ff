"""Parameters of the rules (spec/rules.md, "Default parameters"), with their defaults.

Every value here is printed in the report's appendix, so a reader can see what the audit assumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT_ROLE_ALLOWANCES: dict[str, tuple[str, ...]] = {
    "management": ("administrative", "attendance", "progress", "general"),
    "administration": ("administrative", "attendance", "general"),
    "care_coordinator": ("administrative", "attendance", "progress", "care", "general"),
}


@dataclass(frozen=True)
class Settings:
    timezone: str = "Europe/Amsterdam"
    grace_before_days: int = 14
    grace_after_days: int = 30
    # role -> data categories it may view at its own school without an involvement
    role_allowances: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_ROLE_ALLOWANCES))
    # what a guardian may see of a 16- or 17-year-old without the student's permission
    guardian_16_17_categories: tuple[str, ...] = ("progress", "attendance", "administrative", "general")
    renewal_horizon_days: int = 60
    log_gap_lookback_days: int = 14
    small_count_threshold: int = 5
    # someone born on 29 February turns a year older on 1 March in common years ("march_1"),
    # or on 28 February ("february_28")
    leap_day_birthday: str = "march_1"
    # signals (spec section F): patterns that single events do not show
    volume_min_students: int = 30
    volume_factor: float = 3
    volume_min_peers: int = 3
    bulk_min_students: int = 20
    quiet_from: str = "00:00"  # local time; when later than quiet_to the window runs past midnight
    quiet_to: str = "05:00"
    quiet_min_events: int = 5
    quiet_min_students: int = 2

    def as_rows(self) -> list[tuple[str, str]]:
        """(parameter, value) pairs for the report appendix."""
        allowances = "; ".join(f"{role}: {', '.join(cats)}" for role, cats in self.role_allowances.items())
        return [
            ("timezone", self.timezone),
            ("grace_before_days", str(self.grace_before_days)),
            ("grace_after_days", str(self.grace_after_days)),
            ("role_allowances", allowances + "; every other role: none"),
            ("guardian_16_17_categories", ", ".join(self.guardian_16_17_categories)),
            ("renewal_horizon_days", str(self.renewal_horizon_days)),
            ("log_gap_lookback_days", str(self.log_gap_lookback_days)),
            ("small_count_threshold", str(self.small_count_threshold)),
            ("leap_day_birthday", self.leap_day_birthday),
            ("volume_min_students", str(self.volume_min_students)),
            ("volume_factor", f"{self.volume_factor:g}"),
            ("volume_min_peers", str(self.volume_min_peers)),
            ("bulk_min_students", str(self.bulk_min_students)),
            ("quiet_from", self.quiet_from),
            ("quiet_to", self.quiet_to),
            ("quiet_min_events", str(self.quiet_min_events)),
            ("quiet_min_students", str(self.quiet_min_students)),
        ]


class ConfigError(ValueError):
    """An unreadable or invalid configuration file: the run stops with exit status 2."""


_INT_KEYS = (
    "grace_before_days",
    "grace_after_days",
    "renewal_horizon_days",
    "log_gap_lookback_days",
    "small_count_threshold",
    "volume_min_students",
    "volume_min_peers",
    "bulk_min_students",
    "quiet_min_events",
    "quiet_min_students",
)
_TIME_KEYS = ("quiet_from", "quiet_to")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_LEAP_DAY_CHOICES = ("march_1", "february_28")


def load_settings(path=None) -> Settings:
    """Settings from a TOML file (any subset of the parameters), defaults for the rest.

    Unknown keys and bad values are errors, not warnings: a typo must not silently leave a default
    in force in an audit.
    """
    if path is None:
        return Settings()
    import tomllib
    from pathlib import Path
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from pipelines.contract import DATA_CATEGORIES, FEEDS

    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None

    values: dict = {}
    known = set(Settings.__dataclass_fields__)
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"config file {path}: unknown parameter {key!r} (known: {', '.join(sorted(known))})")
        if key in _INT_KEYS:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"config file {path}: {key} must be a whole number of 0 or more, got {value!r}")
            if key == "small_count_threshold" and value < 1:
                raise ConfigError(f"config file {path}: small_count_threshold must be at least 1")
        elif key == "volume_factor":
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise ConfigError(f"config file {path}: volume_factor must be a number above 0, got {value!r}")
        elif key in _TIME_KEYS:
            if not isinstance(value, str) or not _CLOCK.match(value):
                raise ConfigError(f"config file {path}: {key} must be a local time HH:MM (00:00 to 23:59), got {value!r}")
        elif key == "timezone":
            try:
                ZoneInfo(str(value))
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError(f"config file {path}: unknown time zone {value!r}") from None
        elif key == "leap_day_birthday":
            if value not in _LEAP_DAY_CHOICES:
                raise ConfigError(f"config file {path}: leap_day_birthday must be one of {', '.join(_LEAP_DAY_CHOICES)}")
        elif key == "guardian_16_17_categories":
            value = _categories(path, key, value, DATA_CATEGORIES)
        elif key == "role_allowances":
            if not isinstance(value, dict):
                raise ConfigError(f"config file {path}: role_allowances must be a table of role = [categories]")
            roles = FEEDS["staff"].column("role").codes
            allowances = {}
            for role, categories in value.items():
                if role not in roles:
                    raise ConfigError(f"config file {path}: role_allowances names unknown role {role!r}")
                allowances[role] = _categories(path, f"role_allowances.{role}", categories, DATA_CATEGORIES)
            value = allowances
        values[key] = value
    return Settings(**values)


def _categories(path, key, value, allowed) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"config file {path}: {key} must be a list of data categories")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ConfigError(f"config file {path}: {key} names unknown data categories {', '.join(unknown)}")
    return tuple(value)
