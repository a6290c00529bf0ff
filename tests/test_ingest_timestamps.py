"""Timestamps: an offset keeps the instant; without one the text is local time in the configured zone."""

from datetime import datetime

import pytest
from ingest_helpers import ingest, quarantine, rows, warehouse, write_jsonl, write_parquet, write_text

HEADER = "event_id,occurred_at,actor_id,actor_type,student_id,action,source_system\n"


def utc(*parts):
    """An instant as a naive UTC datetime (Python never calls two aware datetimes in the hour that
    repeats at the end of summer time equal, so the tests compare in UTC)."""
    return datetime(*parts)


@pytest.fixture
def con(tmp_path):
    connection = warehouse(tmp_path)
    yield connection
    connection.close()


def occurred(con):
    return dict(rows(con, "SELECT event_id, timezone('UTC', occurred_at) FROM access_log"))


def access_log_csv(path, stamps):
    body = "".join(f"e{i},{stamp},t1,staff,s1,view,magister\n" for i, stamp in enumerate(stamps, start=1))
    return write_text(path, HEADER + body)


def test_offsets_keep_the_instant(con, tmp_path):
    access_log_csv(
        tmp_path / "landing/access_log/a.csv",
        [
            "2026-03-29T01:30:00Z",
            "2026-03-29T01:30:00+05:30",
            "2026-03-29 01:30:00.250-02:00",
            "2026-03-29T01:30+0100",
        ],
    )

    ingest(con, tmp_path / "landing")

    assert occurred(con) == {
        "e1": utc(2026, 3, 29, 1, 30),
        "e2": utc(2026, 3, 28, 20, 0),
        "e3": utc(2026, 3, 29, 3, 30, 0, 250000),
        "e4": utc(2026, 3, 29, 0, 30),
    }


def test_without_offset_is_local_time_across_both_dst_changes(con, tmp_path):
    access_log_csv(
        tmp_path / "landing/access_log/a.csv",
        [
            "2026-03-29T01:59:00",  # last minute of winter time (UTC+1)
            "2026-03-29T03:00:00",  # first hour of summer time (UTC+2)
            "2026-10-25T01:30:00",  # summer time
            "2026-10-25T03:30:00",  # winter time again
            "2026-07-01 12:00",
        ],
    )

    ingest(con, tmp_path / "landing")

    assert occurred(con) == {
        "e1": utc(2026, 3, 29, 0, 59),
        "e2": utc(2026, 3, 29, 1, 0),
        "e3": utc(2026, 10, 24, 23, 30),
        "e4": utc(2026, 10, 25, 2, 30),
        "e5": utc(2026, 7, 1, 10, 0),
    }


def test_local_time_follows_the_configured_zone(con, tmp_path):
    access_log_csv(tmp_path / "landing/access_log/a.csv", ["2026-07-01T12:00:00"])

    ingest(con, tmp_path / "landing", timezone="UTC")

    assert occurred(con) == {"e1": utc(2026, 7, 1, 12, 0)}


def test_a_bare_date_given_at_is_local_midnight(con, tmp_path):
    header = "consent_id,student_id,given_by_id,given_by_role,purpose,form,given_at,withdrawn_at\n"
    write_text(
        tmp_path / "landing/consents/c.csv",
        header + "c1,s1,g1,guardian,photos,written,2026-03-29,\n"
        "c2,s1,g1,guardian,photos,written,2026-10-25,2026-11-01T08:15:00+01:00\n"
        "c3,s1,g1,guardian,photos,written,2026-06-01T09:00:00,2026-06-02\n",
    )

    ingest(con, tmp_path / "landing")

    assert rows(
        con,
        "SELECT consent_id, timezone('UTC', given_at), timezone('UTC', withdrawn_at) "
        "FROM consents ORDER BY 1",
    ) == [
        ("c1", utc(2026, 3, 28, 23, 0), None),
        ("c2", utc(2026, 10, 24, 22, 0), utc(2026, 11, 1, 7, 15)),
        ("c3", utc(2026, 6, 1, 7, 0), utc(2026, 6, 1, 22, 0)),
    ]
    # Every rule compares local calendar dates: the cast to DATE in the session zone gives them back.
    assert rows(con, "SELECT CAST(given_at AS DATE)::VARCHAR FROM consents ORDER BY consent_id") == [
        ("2026-03-29",),
        ("2026-10-25",),
        ("2026-06-01",),
    ]


def test_jsonl_and_parquet_timestamps_match_csv(con, tmp_path):
    write_jsonl(
        tmp_path / "landing/access_log/a.jsonl",
        [
            {
                "event_id": "j1",
                "occurred_at": "2026-10-25T02:30:00+01:00",
                "actor_id": "t1",
                "actor_type": "staff",
                "student_id": "s1",
                "action": "view",
                "source_system": "somtoday",
            },
            {
                "event_id": "j2",
                "occurred_at": "2026-03-29T03:00:00",
                "actor_id": "t1",
                "actor_type": "staff",
                "student_id": "s1",
                "action": "view",
                "source_system": "somtoday",
            },
        ],
    )
    write_parquet(
        con,
        tmp_path / "landing/access_log/a.parquet",
        """
        SELECT * FROM (VALUES
            ('p1', TIMESTAMPTZ '2026-10-25 01:30:00+00', 't1', 'staff', 's1', 'view', 'parnassys'),
            ('p2', TIMESTAMPTZ '2026-03-29 01:00:00+00', 't1', 'staff', 's1', 'view', 'parnassys'))
        t(event_id, occurred_at, actor_id, actor_type, student_id, action, source_system)""",
    )
    write_parquet(
        con,
        tmp_path / "landing/access_log/naive.parquet",
        """
        SELECT 'p3' AS event_id, TIMESTAMP '2026-03-29 03:00:00' AS occurred_at, 't1' AS actor_id,
               'staff' AS actor_type, 's1' AS student_id, 'view' AS action, 'parnassys' AS source_system""",
    )

    ingest(con, tmp_path / "landing")

    assert quarantine(con) == []
    assert occurred(con) == {
        "j1": utc(2026, 10, 25, 1, 30),
        "j2": utc(2026, 3, 29, 1, 0),
        "p1": utc(2026, 10, 25, 1, 30),
        "p2": utc(2026, 3, 29, 1, 0),
        "p3": utc(2026, 3, 29, 1, 0),  # a Parquet TIMESTAMP without zone is local time too
    }


@pytest.mark.parametrize(
    "stamp, reason",
    [
        ("29-03-2026 10:00", "not an ISO 8601 timestamp"),
        ("2026-03-29", "not an ISO 8601 timestamp"),  # occurred_at needs a time; given_at does not
        ("2026-03-29T10", "not an ISO 8601 timestamp"),
        ("2026-02-30T10:00:00", "not a valid timestamp"),
        ("2026-03-29T25:00:00", "not a valid timestamp"),
    ],
)
def test_bad_timestamps_are_quarantined(con, tmp_path, stamp, reason):
    access_log_csv(tmp_path / "landing/access_log/a.csv", ["2026-03-29T10:00:00", stamp])

    ingest(con, tmp_path / "landing")

    assert list(occurred(con)) == ["e1"]
    assert quarantine(con) == [("access_log", "access_log/a.csv", 3, "occurred_at", stamp, reason)]
