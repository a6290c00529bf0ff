"""The auditor's output for one week (spec/outputs.md): three CSV files and two reports, HTML and PDF.

    write_outputs(con, "2026-W47", Path("out/reports"), "nl", Settings())

writes into out/reports/2026-W47/, every file owner-only. The week's set is replaced as a whole
(reports.files.replaced_folder): a reader, or a run killed at any moment, sees the old set or the new.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from checks.registry import load_catalogue
from decisions import tables as decision_tables
from pipelines import faults
from pipelines.settings import Settings
from pipelines.weeks import parse_week, week_of
from reports.context import council_context, privacy_officer_context
from reports.files import replaced_folder, write_bytes_atomic, write_text_atomic
from reports.i18n import LANGUAGES, Translator
from reports.late_data import record_report
from reports.outputs import write_coverage_csv, write_findings_csv, write_quarantine_csv
from reports.pdf import PdfProcess
from reports.render import created_timestamp, html_to_pdf, render_html, resolve_source_date_epoch

__all__ = ["LANGUAGES", "ReportError", "write_outputs"]

REPORTS = ("privacy-officer", "council-summary")


class ReportError(ValueError):
    """A usage mistake (unknown language, bad week): one clear line for the user, no traceback."""


def write_outputs(
    con,
    week: str,
    out_dir: Path,
    lang: str,
    settings: Settings,
    source_date_epoch: int | None = None,
) -> list[Path]:
    """Write findings.csv, coverage.csv, quarantine.csv and both reports (HTML and PDF) of `week`
    into `<out_dir>/<week>/`; return the paths written.

    The connection's TimeZone must be the configured zone (pipelines.warehouse.connect sets it): local
    times in the outputs are read in that zone. `source_date_epoch` (or the SOURCE_DATE_EPOCH
    environment variable) fixes the PDFs' creation date, so that two runs give identical files.
    """
    if lang not in LANGUAGES:
        raise ReportError(f"report language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    try:
        monday, sunday = parse_week(week)
        source_date_epoch = resolve_source_date_epoch(source_date_epoch)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    week = week_of(monday)  # canonical spelling, e.g. ' 2026-W47 ' -> '2026-W47'
    t = Translator(lang)
    rules = load_catalogue()
    folder = Path(out_dir) / week
    created = created_timestamp(source_date_epoch)
    # The officer's PDF is the long one: it is laid out in a process of its own, started first so that
    # it has imported WeasyPrint by the time its HTML is ready, while this one does the rest of the set.
    with closing(PdfProcess()) as officer_pdf:
        decision_tables.register(con)  # the store as it is now: every decision made so far counts
        html = {
            "privacy-officer": render_html(
                "privacy-officer.html", t, created,
                **privacy_officer_context(con, week, monday, sunday, rules, t, settings),
            ),
        }
        officer_pdf.render(html["privacy-officer"], source_date_epoch)
        html["council-summary"] = render_html(
            "council-summary.html", t, created, **council_context(con, week, sunday, rules, t, settings)
        )
        pdf = {"council-summary": html_to_pdf(html["council-summary"], source_date_epoch)}
        with replaced_folder(folder) as staging:
            written = [
                write_findings_csv(con, week, staging / "findings.csv", rules, t),
                write_coverage_csv(con, week, staging / "coverage.csv", rules),
                write_quarantine_csv(con, staging / "quarantine.csv"),
            ]
            faults.reached("report-file")
            pdf["privacy-officer"] = officer_pdf.result()
            for name in REPORTS:
                written.append(write_text_atomic(staging / f"{name}.html", html[name]))
                faults.reached("report-file")
                written.append(write_bytes_atomic(staging / f"{name}.pdf", pdf[name]))
                faults.reached("report-file")
    # After the swap: a run killed before this line has not reported the week, and the next one will.
    record_report(con, week, lang)
    return [folder / path.name for path in written]
