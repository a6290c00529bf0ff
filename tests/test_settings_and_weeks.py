from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from pipelines.settings import ConfigError, Settings, load_settings
from pipelines.weeks import WeekError, last_complete_week, parse_week, partition_key, previous_weeks, week_of


def test_defaults_are_the_spec_defaults():
    s = load_settings(None)
    assert (s.timezone, s.grace_before_days, s.grace_after_days) == ("Europe/Amsterdam", 14, 30)
    assert s.role_allowances["care_coordinator"] == ("administrative", "attendance", "progress", "care", "general")
    assert "teacher" not in s.role_allowances
    assert (s.renewal_horizon_days, s.log_gap_lookback_days, s.small_count_threshold) == (60, 14, 5)
    assert dict(s.as_rows())["grace_after_days"] == "30"


def test_config_file_overrides_part_of_the_defaults(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('grace_after_days = 10\n[role_allowances]\nmanagement = ["general"]\n', encoding="utf-8")
    s = load_settings(path)
    assert s.grace_after_days == 10 and s.grace_before_days == 14
    assert s.role_allowances == {"management": ("general",)}


@pytest.mark.parametrize(
    "text, words",
    [
        ("grace_befor_days = 3", "unknown parameter"),
        ("grace_before_days = -1", "whole number"),
        ("grace_before_days = true", "whole number"),
        ('timezone = "Mars/Olympus"', "unknown time zone"),
        ('leap_day_birthday = "feb"', "leap_day_birthday"),
        ('guardian_16_17_categories = ["grades"]', "unknown data categories"),
        ('[role_allowances]\njanitor = ["general"]', "unknown role"),
        ("grace_before_days = ", "not valid TOML"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path, text, words):
    path = tmp_path / "c.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        load_settings(path)


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml")


def test_weeks_are_iso_weeks():
    assert parse_week("2026-W47") == (date(2026, 11, 16), date(2026, 11, 22))
    assert parse_week("2026-W53") == (date(2026, 12, 28), date(2027, 1, 3))  # 2026 has 53 ISO weeks
    assert week_of(date(2027, 1, 1)) == "2026-W53"
    assert partition_key("2026-W01") == "2025-12-29"
    assert previous_weeks("2026-W02", 3) == ["2025-W52", "2026-W01", "2026-W02"]
    with pytest.raises(WeekError):
        parse_week("2025-W53")  # 2025 has 52
    with pytest.raises(WeekError):
        parse_week("2026-47")


def test_last_complete_week_is_local_time():
    amsterdam = ZoneInfo("Europe/Amsterdam")
    # Sunday 23:30 UTC is already Monday in Amsterdam: the week just ended is complete
    assert last_complete_week(now=datetime(2026, 11, 22, 23, 30, tzinfo=ZoneInfo("UTC"))) == "2026-W47"
    assert last_complete_week(now=datetime(2026, 11, 22, 22, 30, tzinfo=amsterdam)) == "2026-W46"
    assert Settings().timezone == "Europe/Amsterdam"
