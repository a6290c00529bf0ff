"""Fuzz: whatever bytes arrive under whatever name in a feed folder, the ingest does not raise, and
every row is accounted for: each file is loaded or rejected, and a loaded file's rows read are its rows
loaded plus its rows quarantined, each loaded row still in its table or recorded as replaced."""

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.contract import FEEDS
from pipelines.ingest import ingest_landing
from pipelines.ingest.reasons import FILE_LEVEL, REASON_CODES
from pipelines.settings import Settings
from pipelines.warehouse import connect

# Values that real exports get wrong, and good ones (no quote, comma or line break: so that every line
# of a structured file is one record, and the expected number of rows is known).
CELLS = [
    "", " ", "s1", "b1", "PO", "po", "teacher", "view", "staff", "consent", "written", "care;progress",
    "care;secrets", "true", "ja", "maybe", "2026-03-02", "31-12-2026", "2026-02-30", "2026-03-02T10:00:00",
    "2026-03-29T02:30:00", "2026-10-25T02:30:00+01:00", "2026-03-02 10:00Z", "\u00e9\u00e8", "\u6570\u636e",
    "\xa0x\xa0", "\t", "..", "NULL", "\ufeff", "0", "-1",
]  # fmt: skip

file_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
    min_size=1,
    max_size=16,
).filter(lambda name: name not in (".", "..") and len(name.encode()) < 200)
suffixes = st.sampled_from([".csv", ".jsonl", ".CSV", ".parquet", ".txt", ""])


@st.composite
def structured(draw, feed_name: str):
    """(suffix, bytes, records): a CSV or JSONL file of the feed, header shuffled, recased, sometimes
    missing a column or with an extra one; rows of hostile cells, some too short or too long."""
    feed = FEEDS[feed_name]
    columns = draw(st.permutations(feed.column_names))
    columns = columns[: draw(st.integers(len(columns) - 1, len(columns)))] + draw(
        st.sampled_from([[], ["extra"]])
    )
    header = [draw(st.sampled_from([c, c.upper(), f" {c} "])) for c in columns]
    cell = st.sampled_from(CELLS)
    rows = draw(st.lists(st.lists(cell, min_size=len(columns) - 1, max_size=len(columns) + 1), max_size=6))
    if draw(st.booleans()):
        end = draw(st.sampled_from(["\n", "\r\n"]))
        lines = [",".join(header)] + [",".join(r) for r in rows]
        text = end.join(lines) + draw(st.sampled_from([end, ""]))
        records = sum(1 for line in lines[1:] if line != "")
        return ".csv", text.encode(), records
    objects = []
    for r in rows:
        objects.append(json.dumps(dict(zip(header, r))) if draw(st.booleans()) else ",".join(r))
    records = sum(1 for line in objects if line.strip(" "))
    return ".jsonl", "\n".join(objects).encode(), records


def deliveries(feed_name: str):
    raw = st.tuples(suffixes, st.binary(max_size=300), st.none())
    return st.lists(st.tuples(file_names, st.one_of(structured(feed_name), raw)), min_size=1, max_size=3)


def account_for_every_row(con, expected_records: dict[str, int]) -> None:
    files = con.execute(
        "SELECT file_hash, feed, path, status, rows_read, rows_loaded, rows_quarantined FROM landing_files"
    ).fetchall()
    codes = {row[0] for row in con.execute("SELECT DISTINCT reason_code FROM quarantine").fetchall()}
    assert codes <= set(REASON_CODES)
    for file_hash, feed, path, status, read, loaded, quarantined in files:
        entries = con.execute(
            "SELECT count(DISTINCT line), count(*) FILTER (WHERE list_contains(?, reason_code)) FROM quarantine "
            "WHERE file_hash = ?",
            [list(FILE_LEVEL), file_hash],
        ).fetchone()
        if status == "rejected":
            assert (read, loaded, quarantined) == (0, 0, 0), path
            assert entries[1] >= 1, f"{path}: rejected without saying why"
            continue
        assert status == "loaded", path
        assert entries[1] == 0, f"{path}: a file-level reason on a loaded file"
        assert read == loaded + quarantined, path
        assert quarantined == entries[0], path
        kept = con.execute(f'SELECT count(*) FROM "{feed}" WHERE _file_hash = ?', [file_hash]).fetchone()[0]
        replaced = con.execute(
            "SELECT count(*) FROM replacements WHERE old_file_hash = ?", [file_hash]
        ).fetchone()[0]
        assert kept + replaced == loaded, path
        overlap = con.execute(
            f'SELECT count(*) FROM "{feed}" t JOIN quarantine q ON q.file_hash = t._file_hash AND q.line = t._line '
            "WHERE t._file_hash = ?",
            [file_hash],
        ).fetchone()[0]
        assert overlap == 0, f"{path}: a line both loaded and quarantined"
        if file_hash in expected_records:
            assert read == expected_records[file_hash], path


@pytest.mark.parametrize("feed_name", sorted(FEEDS))
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_any_delivery_is_loaded_or_rejected_and_every_row_accounted_for(feed_name, data):
    files = data.draw(deliveries(feed_name))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "landing" / feed_name
        folder.mkdir(parents=True)
        expected: dict[str, int] = {}
        for position, (name, (suffix, content, records)) in enumerate(files):
            path = folder / f"{name}{suffix}"
            path.write_bytes(content)
            os.utime(path, (1_000 + position, 1_000 + position))
            if records is not None:
                expected[hashlib.sha256(content).hexdigest()] = records
        con = connect(Path(tmp) / "w.duckdb")
        try:
            result = ingest_landing(con, Path(tmp) / "landing", Settings())
            present = {p.name for p in folder.iterdir()}
            assert result.files_loaded + result.files_rejected + result.files_skipped == len(present)
            assert result.rows_read == result.rows_loaded + result.rows_quarantined
            account_for_every_row(con, expected)
        finally:
            con.close()
