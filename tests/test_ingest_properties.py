"""Property: whatever text a CSV writer quotes, it loads trimmed, and every row keeps the line it
starts on, also when rows that are rejected or span several lines come before it."""

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import ingest, rows, warehouse, write_text

TRIMMED = " \t\r\n\xa0"
# A bare carriage return is not offered: Python's csv writer leaves it unquoted, which makes it a line
# break for any reader. Windows line breaks inside a value are quoted, and offered.
pieces = st.sampled_from(["a", "b", " ", ",", ";", '"', "'", "\n", "\r\n", "\t", "\xa0", "\u00e9"])
text = st.lists(pieces, max_size=10).map("".join)
record = st.one_of(st.tuples(st.just("good"), text), st.tuples(st.just("short"), st.just("")))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(record, min_size=1, max_size=8))
def test_quoted_values_load_trimmed_on_the_line_they_start(tmp_path_factory, records):
    tmp_path = tmp_path_factory.mktemp("prop")
    out = io.StringIO()
    out.write("student_id,school_id,birth_date,display_name\n")
    writer = csv.writer(out, lineterminator="\n")
    expected_rows, expected_rejects = set(), set()
    for i, (kind, name) in enumerate(records):
        line = out.getvalue().count("\n") + 1
        if kind == "good":
            writer.writerow([f"s{i}", "b1", "2012-01-01", name])
            expected_rows.add((f"s{i}", name.strip(TRIMMED) or None, line))
        else:
            out.write(f"s{i},b1\n")
            expected_rejects.add(line)
    write_text(tmp_path / "landing/students/s.csv", out.getvalue())
    con = warehouse(tmp_path)

    ingest(con, tmp_path / "landing")

    assert set(rows(con, "SELECT student_id, display_name, _line FROM students")) == expected_rows
    assert {r[0] for r in rows(con, "SELECT line FROM quarantine")} == expected_rejects
    con.close()
