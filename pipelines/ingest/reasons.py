"""Why an input was not used: the closed list of reason codes every quarantine entry carries.

Each entry keeps its human sentence (`reason`, as quarantine.csv shows it, with the details of the case)
next to one of these codes, which the reports group by and translate (i18n keys `quarantine.<code>`).
A code in FILE_LEVEL means the file as a whole was rejected (nothing of it loaded): the week is checked
without it, and the rules that read its feed are incomplete or not evaluated until it is fixed or
removed (checks.runner). Every other code is about one row, which is quarantined while the rest of its
file loads. The reports say each code in plain words (i18n `quarantine_help`).
"""

from __future__ import annotations

# The file as a whole cannot be used.
UNSUPPORTED_FILE_TYPE = "unsupported_file_type"  # not .csv, .jsonl or .parquet
UNREADABLE_FILE = "unreadable_file"  # cannot be opened or parsed at all (e.g. a broken Parquet file)
NOT_TEXT = "not_text"  # binary data, or text in another encoding than UTF-8 (UTF-16)
NO_HEADER = "no_header"  # an empty file, or no header line
BAD_HEADER = "bad_header"  # the header line cannot be read (not UTF-8, broken quoting)
REQUIRED_COLUMN_MISSING = "required_column_missing"
DUPLICATE_COLUMN = "duplicate_column"
NO_ROWS = "no_rows"  # not produced any more (a header without records delivers nothing); kept for old warehouses

# One record cannot be read as a row.
WRONG_COLUMN_COUNT = "wrong_column_count"
NOT_UTF8 = "not_utf8"
UNCLOSED_QUOTE = "unclosed_quote"
LINE_TOO_LONG = "line_too_long"
UNREADABLE_RECORD = "unreadable_record"
NOT_JSON = "not_json"
NOT_JSON_OBJECT = "not_json_object"

# One value breaks the contract.
REQUIRED_VALUE_MISSING = "required_value_missing"
UNKNOWN_CODE = "unknown_code"
NOT_BOOLEAN = "not_boolean"
DATE_FORMAT = "date_format"  # not YYYY-MM-DD, e.g. 31-12-2026
INVALID_DATE = "invalid_date"  # the right form but no such day, e.g. 2026-02-30
TIMESTAMP_FORMAT = "timestamp_format"
INVALID_TIMESTAMP = "invalid_timestamp"
UNKNOWN_LIST_ITEM = "unknown_list_item"
REQUIRED_WHEN = "required_when"  # required together with another value (reason for a grant)

# What a vendor export read through its mapping profile got wrong (pipelines.mapping): the entry names
# the export's own column.
UNMAPPED_VALUE = "unmapped_value"  # a value the profile's map does not know (and no default)
TIME_NOT_IN_FORMAT = "time_not_in_format"  # a date or time that does not match the profile's format
EXPORT_COLUMN_MISSING = "export_column_missing"  # an optional column the profile reads is not in the export

# What a OneRoster bundle got wrong (the sentence says what and what was done with it).
ONEROSTER_NOTE = "oneroster_note"
# What a School Data Sync bundle got wrong or cannot tell (pipelines.ingest.sds).
SDS_NOTE = "sds_note"

FILE_LEVEL = (
    UNSUPPORTED_FILE_TYPE,
    UNREADABLE_FILE,
    NOT_TEXT,
    NO_HEADER,
    BAD_HEADER,
    REQUIRED_COLUMN_MISSING,
    DUPLICATE_COLUMN,
    NO_ROWS,
)
ROW_LEVEL = (
    WRONG_COLUMN_COUNT,
    NOT_UTF8,
    UNCLOSED_QUOTE,
    LINE_TOO_LONG,
    UNREADABLE_RECORD,
    NOT_JSON,
    NOT_JSON_OBJECT,
    REQUIRED_VALUE_MISSING,
    UNKNOWN_CODE,
    NOT_BOOLEAN,
    DATE_FORMAT,
    INVALID_DATE,
    TIMESTAMP_FORMAT,
    INVALID_TIMESTAMP,
    UNKNOWN_LIST_ITEM,
    REQUIRED_WHEN,
    UNMAPPED_VALUE,
    TIME_NOT_IN_FORMAT,
    EXPORT_COLUMN_MISSING,
    ONEROSTER_NOTE,
    SDS_NOTE,
)
REASON_CODES = FILE_LEVEL + ROW_LEVEL
