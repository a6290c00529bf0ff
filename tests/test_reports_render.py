"""write_outputs end to end on the fixture warehouse: the files, the two reports, both languages."""

from __future__ import annotations

import os
import re
import stat
from html import unescape

import pytest
from report_fixtures import (
    EPOCH,
    F_ACCESS_CRITICAL,
    F_ACCESS_HIGH,
    JUSTIFICATION,
    PERSONAL_VALUES,
    SCRIPT_NAME,
    SETTINGS,
    WEEK,
)

from pipelines.settings import Settings
from pipelines.warehouse import connect
from pipelines.weeks import parse_week
from reports import ReportError, write_outputs
from reports.charts import trend_svg
from reports.context import council_context, privacy_officer_context
from reports.i18n import Translator
from reports.pdf import PdfProcess
from reports.render import created_timestamp, html_to_pdf, render_html, resolve_source_date_epoch

pytest_plugins = ("report_fixtures",)  # report_catalogue, report_warehouse, report_outputs

FILES = (
    "findings.csv",
    "coverage.csv",
    "quarantine.csv",
    "privacy-officer.html",
    "privacy-officer.pdf",
    "council-summary.html",
    "council-summary.pdf",
)
REPORTS = ("privacy-officer.html", "council-summary.html")


def text(outputs, lang, name):
    return outputs[lang][name].read_text(encoding="utf-8")


def section(html, section_id):
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', html, re.DOTALL)
    assert match, f"no section {section_id}"
    return match[1]


def cell_lines(cell_html):
    """The text of a table cell, one line per <br> or <div>, without tags."""
    text = re.sub(r"<br>|<div[^>]*>", "\n", cell_html)
    lines = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", line)).strip() for line in text.split("\n")]
    return [line for line in lines if line]


def finding_row(html, finding_id):
    """The cells of the findings-table row of `finding_id`, each as its list of lines."""
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL):
        if finding_id in row:
            return [cell_lines(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
    raise AssertionError(f"no row with finding {finding_id}")


def cases_of(html):
    """The cases of the report (<article> elements), in order."""
    return re.findall(r'<article class="case[^"]*">(.*?)</article>', section(html, "cases"), re.DOTALL)


def table_row(html, first_cell):
    """The cells of the table row whose first cell is `first_cell` (as it appears in the HTML)."""
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)
        ]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row starting with {first_cell!r}")


# ---- the files --------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_all_files_written_into_the_week_folder(report_outputs, lang):
    paths = report_outputs[lang]
    assert tuple(paths) == FILES
    for path in paths.values():
        assert path.parent.name == WEEK
        assert path.stat().st_size > 0


def test_files_and_folder_are_readable_by_their_owner_only(report_outputs):
    for path in report_outputs["en"].values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert stat.S_IMODE(report_outputs["en"]["findings.csv"].parent.stat().st_mode) == 0o700


def test_no_temporary_files_are_left_behind(report_outputs):
    folder = report_outputs["en"]["findings.csv"].parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_pdfs_are_pdfs(report_outputs, lang):
    for name in ("privacy-officer.pdf", "council-summary.pdf"):
        data = report_outputs[lang][name].read_bytes()
        assert data.startswith(b"%PDF-")
        assert data.rstrip().endswith(b"%%EOF")


def test_a_second_run_with_the_same_source_date_gives_identical_files(
    report_warehouse, report_outputs, tmp_path
):
    again = write_outputs(report_warehouse, WEEK, tmp_path, "en", SETTINGS, source_date_epoch=EPOCH)
    for path in again:
        assert path.read_bytes() == report_outputs["en"][path.name].read_bytes(), path.name


def test_the_source_date_is_the_pdf_creation_date():
    assert created_timestamp(EPOCH) == "2023-11-14T22:13:20Z"


def test_source_date_epoch_from_the_environment(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert resolve_source_date_epoch(None) == 0
    assert resolve_source_date_epoch(EPOCH) == EPOCH  # the argument wins
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert resolve_source_date_epoch(None) is None
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        resolve_source_date_epoch(None)


def test_a_pdf_render_leaves_the_environment_as_it_was(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = html_to_pdf("<p>x</p>", EPOCH)
    assert "SOURCE_DATE_EPOCH" not in os.environ
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "12345")
    assert html_to_pdf("<p>x</p>", EPOCH) == first
    assert os.environ["SOURCE_DATE_EPOCH"] == "12345"


def test_a_pdf_laid_out_in_its_own_process_is_the_one_laid_out_here():
    html = "<p>Bevinding · <b>\u202eomgekeerd</b></p>"
    process = PdfProcess()
    try:
        process.render(html, EPOCH)
        assert process.result() == html_to_pdf(html, EPOCH)
    finally:
        process.close()


def test_a_pdf_process_that_is_not_needed_ends_with_the_run():
    process = PdfProcess()  # the run fails before the officer's report is ready
    process.close()
    with pytest.raises(AssertionError, match="render"):
        process.result()


def test_rewriting_tightens_a_loose_existing_folder(report_warehouse, tmp_path):
    folder = tmp_path / WEEK
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    (folder / "findings.csv").write_text("stale")
    write_outputs(report_warehouse, WEEK, tmp_path, "en", SETTINGS, source_date_epoch=EPOCH)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (folder / "findings.csv").read_text().startswith("finding_id,")
    assert stat.S_IMODE((folder / "findings.csv").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("week", "lang", "message"),
    [("2026-47", "en", "2026-W47"), ("2026-W54", "en", "not a week"), (WEEK, "de", "en, nl")],
)
def test_usage_mistakes_are_one_clear_error_and_write_nothing(
    report_warehouse, tmp_path, week, lang, message
):
    with pytest.raises(ReportError, match=message):
        write_outputs(report_warehouse, week, tmp_path / "out", lang, SETTINGS)
    assert not (tmp_path / "out").exists()


def test_an_empty_warehouse_and_catalogue_still_give_every_file(tmp_path):
    empty_rules = tmp_path / "no-rules"
    empty_rules.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        from checks import registry

        patch.setattr(registry, "RULES_DIR", empty_rules)
        registry.load_catalogue.cache_clear()
        try:
            con = connect(tmp_path / "empty.duckdb", "Europe/Amsterdam")
            paths = {p.name: p for p in write_outputs(con, WEEK, tmp_path / "out", "en", SETTINGS)}
        finally:
            registry.load_catalogue.cache_clear()
    assert tuple(paths) == FILES
    assert paths["findings.csv"].read_text().strip() == (
        "finding_id,rule_id,severity,week,school_id,occurred_at,subject_type,subject_id,actor_id,"
        "student_id,recipient_id,explanation,legal_source,status,decided_by,decided_at,note"
    )
    assert paths["quarantine.csv"].read_text().strip() == "feed,file,line,column,value,reason"
    officer = paths["privacy-officer.html"].read_text()
    for section_id in ("cases", "standing", "review"):
        assert "None this week." in section(officer, section_id)
    assert "No checks have been run for this week." in officer
    assert "The rule catalogue is empty." in officer
    council = paths["council-summary.html"].read_text()
    assert "No checks have been run for this week." in council
    assert "No suppliers that process student data (processors) are registered." in council


# ---- both reports ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize("name", REPORTS)
def test_reports_are_self_contained(report_outputs, lang, name):
    html = text(report_outputs, lang, name)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "<link" not in html and "@import" not in html
    assert not re.search(r"url\((?!#)", html)  # only references inside the document (chart clip paths)
    assert "<script" not in html
    assert f'<html lang="{lang}">' in html


@pytest.mark.parametrize("name", REPORTS)
def test_dutch_reports_have_dutch_labels_and_english_reports_english_ones(report_outputs, name):
    en, nl = text(report_outputs, "en", name), text(report_outputs, "nl", name)
    assert "week 47 of 2026" in en and "week 47 van 2026" in nl
    assert "week 47 of 2026" not in nl and "week 47 van 2026" not in en


# ---- privacy officer ----------------------------------------------------------------------------------


def test_officer_report_has_every_section(report_outputs):
    html = text(report_outputs, "en", "privacy-officer.html")
    for section_id in ("headline", "cases", "standing", "review", "data-quality", "appendix"):
        section(html, section_id)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_table_of_contents_links_every_section_in_order(report_outputs, lang):
    html = text(report_outputs, lang, "privacy-officer.html")
    nav = re.search(r'<nav class="toc"[^>]*>(.*?)</nav>', html, re.DOTALL)
    assert nav and html.index("<nav") < html.index("<section")  # at the top
    links = re.findall(r'<a href="#([a-z-]+)">', nav[1])
    assert links == re.findall(r'<section id="([a-z-]+)">', html)
    # the PDF shows each section's page number: WeasyPrint fills in target-counter()
    assert "target-counter(attr(href), page)" in html


def test_the_pdf_contents_carry_page_numbers_and_the_footer_is_translated(report_outputs):
    import subprocess

    def first_page(lang):
        pdf = report_outputs[lang]["privacy-officer.pdf"]
        return subprocess.run(
            ["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    english, dutch = first_page("en"), first_page("nl")
    assert re.search(r"Headline\s*\.+\s*1\b", english)
    assert re.search(r"Appendix\s*\.+\s*\d+", english)
    assert re.search(r"page 1 of \d+", english)
    assert re.search(r"Bijlage\s*\.+\s*\d+", dutch) and re.search(r"pagina 1 van \d+", dutch)
    assert "page 1 of" not in dutch


def test_markup_in_a_name_is_escaped(report_outputs):
    html = text(report_outputs, "en", "privacy-officer.html")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Piet" in html
    assert SCRIPT_NAME not in html


def test_headline_counts(report_outputs):
    headline = section(text(report_outputs, "en", "privacy-officer.html"), "headline")
    # this week, new, recurring, last week, then open, under review, closed. Recurring: Piet's two
    # accesses (his account had a finding in week 46) and the policy finding (also in week 46); the rest
    # is new. One high finding is confirmed (the fixture's decision): closed.
    assert table_row(headline, "critical")[1:] == ["1", "0", "1", "0", "1", "0", "0"]
    assert table_row(headline, "high")[1:] == ["3", "1", "2", "2", "2", "0", "1"]
    assert table_row(headline, "medium")[1:] == ["5", "5", "0", "0", "5", "0", "0"]
    assert table_row(headline, "info")[1:] == ["1", "1", "0", "0", "1", "0", "0"]
    assert table_row(headline, "Total")[1:] == ["10", "7", "3", "2", "9", "0", "1"]
    assert (
        "A finding is recurring when an earlier week already had a finding for the same account" in headline
    )
    # five accesses in the week, four by staff, two of those with an access finding
    assert re.search(r"Accesses registered this week</dt>\s*<dd>5</dd>", headline)
    assert re.search(r"as a share of all staff accesses this week</dt>\s*<dd>\s*50.0%\s*\(2 of 4\)", headline)
    assert table_row(headline, "Basisschool De Linde")[1:] == ["magister", "2", "1", "50.0%"]


def test_headline_tiles(report_outputs):
    headline = section(text(report_outputs, "en", "privacy-officer.html"), "headline")
    tiles = [cell_lines(t) for t in re.findall(r'<div class="tile[^"]*">(.*?)</div>', headline, re.DOTALL)]
    assert [" ".join(t) for t in tiles] == [
        "Findings this week 10 last week: 2",
        "New 7",
        "Recurring 3",
        # week 46's access finding is still open; its policy finding is found again this week
        "Backlog of earlier weeks 1 open or under review; oldest: week 46 of 2026",
        "Staff accesses explained 50.0% 2 of 4",
    ]
    assert '<div class="tile alert">' in headline  # critical or high findings this week


def test_headline_in_dutch_formats(report_outputs):
    headline = section(text(report_outputs, "nl", "privacy-officer.html"), "headline")
    assert re.search(r"<dd>\s*50,0%\s*\(2 van 4\)", headline)
    assert table_row(headline, "kritiek")[1:] == ["1", "0", "1", "0", "1", "0", "0"]
    assert "Terugkerend" in headline and "Recurring" not in headline


def test_trend_chart_is_inline_svg(report_outputs):
    headline = section(text(report_outputs, "en", "privacy-officer.html"), "headline")
    assert headline.count("<svg") == 1 and "<img" not in headline and "<?xml" not in headline


def test_cases_grouped_per_account_worst_first_with_details(report_outputs):
    cases = section(text(report_outputs, "en", "privacy-officer.html"), "cases")
    piet, karin = cases.index("STF-0001"), cases.index("<bdi>Karin Smit</bdi> · ")
    assert piet < karin  # Piet has a critical finding, Karin five medium ones
    # inside Piet's group: the critical finding before the high one
    assert cases.index(F_ACCESS_CRITICAL) < cases.index(F_ACCESS_HIGH) < karin
    assert finding_row(cases, F_ACCESS_HIGH) == [
        ["high", "17 November 2026 10:15"],
        ["STU-1001"],
        [
            "Access without involvement",
            (
                "STF-0001 viewed progress data of student STU-1001 on 17 November 2026, with no involvement or "
                "role that allows it."
            ),
            # the facts behind it, labelled, codes and numbers in the report language; the account, the
            # student and the date have their own places
            # (event_date has no label in the translation tables: not shown)
            "category: progress · action: view · earlier involvements: 1,234",
        ],
        # its status and the latest decision's note (spec/decisions.md: the report is the privacy officer's)
        [F_ACCESS_HIGH, "confirmed", "besproken met Piet"],
    ]


def test_facts_in_dutch(report_outputs):
    cases = section(text(report_outputs, "nl", "privacy-officer.html"), "cases")
    facts = finding_row(cases, F_ACCESS_HIGH)[2][-1]
    assert facts == "categorie: voortgang · handeling: inzien · eerdere betrokkenheden: 1.234"


def test_repeated_behaviour_stands_out(report_outputs):
    piet, karin = cases_of(text(report_outputs, "en", "privacy-officer.html"))[:2]
    # Piet's account had a finding in week 46: marked; Karin's had none
    assert '<span class="recurring">also in 1 earlier week: week 46 of 2026</span>' in piet
    assert "recurring" not in karin.split("</h4>")[0]
    # a rule that applies more than once in a case is summed up at its top, with its students
    assert "<li>Access without involvement × 2, students: 2</li>" in piet
    assert "<li>Access without involvement × 5, students: 1</li>" in karin
    assert piet.index("summary") < piet.index("<table")
    nl = cases_of(text(report_outputs, "nl", "privacy-officer.html"))[0]
    assert "ook in 1 eerdere week: week 46 van 2026" in nl
    assert "Inzage zonder betrokkenheid × 2, leerlingen: 2" in nl


def test_a_standing_finding_found_before_is_marked(report_outputs):
    standing = section(text(report_outputs, "en", "privacy-officer.html"), "standing")
    assert "also in 1 earlier week: week 46 of 2026" in standing
    review = section(text(report_outputs, "en", "privacy-officer.html"), "review")
    assert "earlier week" not in review  # the notice is new


def test_cases_per_recipient_carry_the_recipient_name(report_outputs):
    cases = section(text(report_outputs, "nl", "privacy-officer.html"), "cases")
    recipients = cases[cases.index("Bevindingen over verstrekking per ontvanger") :]
    assert "<bdi>Jeugdzorg Regio</bdi> · " in recipients and "RCP-JEUGD" in recipients
    assert "16 november 2026 09:00" in recipients


def test_standing_and_review_sections(report_outputs):
    html = text(report_outputs, "en", "privacy-officer.html")
    standing = section(html, "standing")
    assert "privacy-regulation@2@07AB" in standing and "Agreement AGR-0001" not in standing
    review = section(html, "review")
    assert "Agreement AGR-0001 ends on 31 December 2026." in review  # info: for review
    assert "EVT-0004" in review and "care and support" in review  # justified break glass


def test_officer_report_leaves_out_what_it_must_not_show(report_outputs):
    for lang in ("en", "nl"):
        html = text(report_outputs, lang, "privacy-officer.html")
        assert JUSTIFICATION not in html  # break-glass justification text
        assert "2008-03-14" not in html and "14 March 2008" not in html and "14 maart 2008" not in html
        assert "Marco Jansen" not in html and "Anna Jansen" not in html  # guardian and student names


def quarantine_table(html: str, lang: str) -> list[dict]:
    """The groups of the data-quality section's quarantine table: feed, the sentence (its text without the
    machine names), the machine names beside it (reason code, columns), the count and the examples."""
    heading = re.escape(Translator(lang)("po.quality.quarantine"))
    table = re.search(rf"<h3>{heading}</h3>.*?<tbody>(.*?)</tbody>", section(html, "data-quality"), re.DOTALL)
    machine = r'<span class="id" translate="no">(.*?)</span>'

    def plain(cell: str) -> str:
        return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip())

    groups = []
    for row in re.findall(r"<tr>(.*?)</tr>", table[1], re.DOTALL):
        feed, what, count, examples = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        sentence = plain(re.split(r'<span class="(?:id|help)"', what)[0])  # the machine names come after it
        names = [unescape(name) for name in re.findall(machine, what)]
        groups.append({"feed": plain(feed), "sentence": sentence, "machine": names, "count": plain(count),
                       "examples": plain(examples)})  # fmt: skip
    return groups


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_quarantine_says_in_plain_words_what_was_wrong_with_the_code_beside(report_outputs, lang):
    t = Translator(lang)

    def said(code: str, effect: str) -> str:
        keys = (f"problem.{code}", f"effect.{effect}", f"ask.{code}")
        return " ".join(t(f"quarantine_help.{key}") for key in keys)

    groups = quarantine_table(text(report_outputs, lang, "privacy-officer.html"), lang)

    one_row, one_file = t("quarantine_help.row_one"), t("quarantine_help.file_one")
    assert groups == [
        # a file rejected as a whole first, then rows of an event feed; the entry without a code last
        {"feed": "access_log", "sentence": said("not_text", "file_events"), "machine": ["not_text"],
         "count": one_file, "examples": "access_log/broken.csv"},
        {"feed": "access_log", "sentence": said("unknown_code", "row_events"), "machine": ["unknown_code", "actor_type"],
         "count": one_row, "examples": "access_log/week47.csv:4"},
        {"feed": "access_log", "sentence": "not a timestamp", "machine": ["occurred_at"], "count": one_row,
         "examples": "access_log/week47.csv:12"},  # from before reason codes: its stored sentence, no code
        {"feed": "students", "sentence": said("invalid_date", "row_evidence"), "machine": ["invalid_date", "birth_date"],
         "count": one_row, "examples": "students/b.csv:3"},
    ]  # fmt: skip
    # what the sentences say, in the report's language
    phrases = {  # what was wrong, what the auditor did, whom to ask
        "en": [
            "does not exist",
            "The row was not loaded",
            "Ask whoever keeps this data in the school system",
        ],
        "nl": [
            "bestaat niet",
            "De rij is niet ingelezen",
            "Vraag degene die deze gegevens in het schoolsysteem",
        ],
    }[lang]
    assert [p for p in phrases if p not in groups[3]["sentence"]] == []
    file_level = {"en": "marked incomplete", "nl": "als onvolledig"}[lang]
    assert file_level in groups[0]["sentence"] and file_level not in groups[1]["sentence"]


def test_quarantine_counts_rows_once_and_files_as_files_with_a_few_places(report_catalogue, tmp_path):
    from report_fixtures import build_warehouse

    con = build_warehouse(tmp_path / "warehouse.duckdb")
    try:
        con.execute(
            """
            INSERT INTO quarantine (feed, file, line, "column", value, reason, reason_code, file_hash)
            SELECT 'disclosures', 'disclosures/d.csv', line, "column", NULL, 'required value missing',
                   'required_value_missing', 'h4'
            FROM (VALUES (12, 'recipient_id'), (3, 'recipient_id'), (3, 'disclosed_at'), (5, 'recipient_id'),
                         (4, 'recipient_id')) v(line, "column")
            UNION ALL
            SELECT 'consents', file, 1, NULL, NULL, 'no header line', 'no_header', file
            FROM (VALUES ('consents/b.csv'), ('consents/a.csv')) v(file)
            """
        )
        monday, sunday = parse_week(WEEK)
        html = {
            lang: render_html(
                "privacy-officer.html",
                Translator(lang),
                None,
                **privacy_officer_context(
                    con, WEEK, monday, sunday, report_catalogue, Translator(lang), SETTINGS
                ),
            )
            for lang in ("en", "nl")
        }
    finally:
        con.close()
    expected = {  # file count, row count, what a rejected evidence file means
        "en": ("2 files", "4 rows", "marked not evaluated"),
        "nl": ("2 bestanden", "4 rijen", "als niet uitgevoerd"),
    }
    for lang, (files, rows, not_evaluated) in expected.items():
        groups = {g["feed"]: g for g in quarantine_table(html[lang], lang)}
        consents, disclosures = groups["consents"], groups["disclosures"]
        assert (consents["count"], consents["machine"]) == (files, ["no_header"])
        assert consents["examples"] == "consents/a.csv, consents/b.csv"  # files, no line
        assert not_evaluated in consents["sentence"] and not_evaluated not in disclosures["sentence"]
        # a row with two empty values counts once; three places, in file and line order
        assert (disclosures["count"], disclosures["machine"]) == (
            rows,
            ["required_value_missing", "disclosed_at, recipient_id"],
        )
        assert disclosures["examples"] == "disclosures/d.csv:3, disclosures/d.csv:4, disclosures/d.csv:5"


def test_data_quality_and_appendix(report_outputs):
    html = text(report_outputs, "en", "privacy-officer.html")
    quality = section(html, "data-quality")
    assert table_row(quality, "LOG-GAP")[1:] == [
        "Gap in the access register", "not carried out: data missing", "no rows in feed: calendar"
    ]
    nl_quality = section(text(report_outputs, "nl", "privacy-officer.html"), "data-quality")
    assert table_row(nl_quality, "LOG-GAP")[3] == "geen rijen in aanlevering: calendar"  # translated
    appendix = section(html, "appendix")
    assert table_row(appendix, "Involvement grace after its end (days)")[1] == "30"
    assert table_row(appendix, "SHARE-NO-CONSENT")[1:] == [
        "Disclosure without consent",
        "high",
        "AVG art. 6(1)(a), 7(1)",
    ]
    nl_appendix = section(text(report_outputs, "nl", "privacy-officer.html"), "appendix")
    assert (
        "zorgcoördinator: administratief, aanwezigheid, voortgang, zorg en ondersteuning, algemeen"
        in nl_appendix
    )
    assert "every other role" not in nl_appendix


# ---- council summary -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_council_summary_has_no_personal_data(report_outputs, lang):
    html = text(report_outputs, lang, "council-summary.html")
    present = [value for value in PERSONAL_VALUES if value in html]
    assert not present
    # and no date finer than the week, in any spelling (the document's own creation time aside)
    html = re.sub(r'<meta name="dcterms.created"[^>]*>', "", html)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", html)
    assert not re.search(r"\b\d{1,2} (November|november|december|December)\b", html)


def test_council_summary_suppresses_small_counts(report_outputs):
    html = text(report_outputs, "en", "council-summary.html")
    findings = section(html, "findings")
    # access, consent, exceptions, processors, standing
    assert table_row(findings, "Basisschool De Linde")[1:] == [
        "fewer than 5",
        "fewer than 5",
        "0",
        "0",
        "fewer than 5",
        "0",  # signals
    ]
    # The trend shows access 7 for the week: with Noord's 6 shown, Linde's access would be 7 - 6 = 1.
    # And the week's 9 less access 7 leaves 2 for consent and standing, so both would be 1.
    assert table_row(findings, "Lyceum Noord &amp; Zuid")[1:] == ["hidden", "0", "0", "0", "0", "0"]
    assert re.search(r'<span class="value">\s*hidden\s*</span>', findings)  # the tile
    assert "Findings this week: hidden." in findings
    assert "Some numbers read “hidden”." in html  # and why
    assert "Besides these findings the checks gave fewer than 5 reminders" in findings  # a count of its own
    nl_html = text(report_outputs, "nl", "council-summary.html")
    nl = section(nl_html, "findings")
    assert table_row(nl, "Basisschool De Linde")[1] == "minder dan 5"
    assert table_row(nl, "Lyceum Noord &amp; Zuid")[1] == "verborgen"
    assert "Bevindingen deze week: verborgen." in nl
    assert "Sommige aantallen staan er als “verborgen”." in nl_html


def test_council_summary_says_why_only_when_it_hides_more(report_warehouse, report_catalogue):
    # with threshold 10 every count of the week is small, the week's 9 too: none of them can be worked out
    t = Translator("en")
    _, sunday = parse_week(WEEK)
    context = council_context(
        report_warehouse, WEEK, sunday, report_catalogue, t, Settings(small_count_threshold=10)
    )
    html = render_html("council-summary.html", t, None, **context)
    findings = section(html, "findings")
    assert table_row(findings, "Lyceum Noord &amp; Zuid")[1] == "fewer than 10"
    assert "Findings this week: fewer than 10." in findings
    assert "hidden" not in findings and 'id="suppression"' not in html


def test_council_summary_does_not_count_notices_as_findings(report_warehouse, report_catalogue):
    # threshold 1 hides nothing, so that the total can be read
    t = Translator("en")
    _, sunday = parse_week(WEEK)
    context = council_context(
        report_warehouse, WEEK, sunday, report_catalogue, t, Settings(small_count_threshold=1)
    )
    findings = section(render_html("council-summary.html", t, None, **context), "findings")
    # ten findings this week, one of them a notice (an agreement to renew, of the board): nine counted
    assert "Findings this week: 9." in findings
    with pytest.raises(AssertionError):  # the notice was the board's only finding: no board row
        table_row(findings, "School board (not tied to one school)")
    assert "Besides these findings the checks gave 1 reminders, which are not violations" in findings


def test_council_trend_per_family_with_suppression_and_weeks_not_checked(report_outputs):
    trend = section(text(report_outputs, "en", "council-summary.html"), "trend")
    assert table_row(trend, "Week")[1:] == [
        "Looking at student files",
        "Sharing data with consent",
        "Sharing data without consent",
        "Suppliers (processors)",
        "Agreements, policy and logging",
        "Signals: patterns to look into",
    ]  # no total per week: with one count hidden, it would give that count away
    nc = "not checked"
    # week 47: access 7, consent 1, standing 1 (the notice not counted); no rule of two families ran
    # (the fixture's week has no signal rule evaluated: that column is not checked)
    assert table_row(trend, "week 47 of 2026")[1:] == ["7", "fewer than 5", nc, nc, "fewer than 5", nc]
    # week 46: findings but no coverage kept: the families with findings were checked
    assert table_row(trend, "week 46 of 2026")[1:] == ["fewer than 5", nc, nc, nc, "fewer than 5", nc]
    assert table_row(trend, "week 45 of 2026")[1:] == ["0", nc, nc, nc, nc, nc]  # checked, nothing found
    assert table_row(trend, "week 40 of 2026")[1:] == [nc]  # no check at all: one cell says so
    nl = section(text(report_outputs, "nl", "council-summary.html"), "trend")
    assert table_row(nl, "week 46 van 2026")[1:3] == ["minder dan 5", "niet gecontroleerd"]


def test_council_threshold_comes_from_the_settings(report_warehouse, report_catalogue):
    t = Translator("en")
    _, sunday = parse_week(WEEK)
    context = council_context(
        report_warehouse, WEEK, sunday, report_catalogue, t, Settings(small_count_threshold=7)
    )
    html = render_html("council-summary.html", t, None, **context)
    assert table_row(section(html, "findings"), "Lyceum Noord &amp; Zuid")[1] == "fewer than 7"
    assert "fewer than 5" not in html


def test_council_summary_checks_policy_and_processors(report_outputs):
    html = text(report_outputs, "en", "council-summary.html")
    checks = section(html, "checks")
    assert "4 of 5 checks were carried out this week." in checks
    # the reason in plain words, in the report's language
    assert table_row(checks, "Gap in the access register")[1] == (
        "not carried out: data missing (no rows in feed: school calendar)"
    )
    nl = section(text(report_outputs, "nl", "council-summary.html"), "checks")
    assert table_row(nl, "Gat in het register van inzages")[1] == (
        "niet uitgevoerd: gegevens ontbreken (geen rijen in aanlevering: schoolkalender)"
    )
    assert "lacks the participation council&#39;s consent" in section(html, "policy")
    # LeerWijs has a signed agreement in force on 22 November; Toetsbureau's is unsigned
    assert "1 of 2 suppliers that process student data" in section(html, "processors")


def test_council_summary_in_dutch(report_outputs):
    html = text(report_outputs, "nl", "council-summary.html")
    assert "medezeggenschapsraad" in html
    assert "1 van de 2 leveranciers" in section(html, "processors")


# ---- chart -------------------------------------------------------------------------------------------


def test_chart_is_deterministic_and_carries_no_metadata():
    weeks = ["2026-W46", "2026-W47"]
    counts = {"2026-W46": {"high": 2}, "2026-W47": {"critical": 1, "medium": 5}}
    first, second = trend_svg(weeks, counts, Translator("nl")), trend_svg(weeks, counts, Translator("nl"))
    assert first == second
    assert first.startswith("<svg ") and "<metadata" not in first and "dc:date" not in first
    assert "kritiek" in first and "middel" in first  # legend in the report language
    assert trend_svg(weeks, {}, Translator("en")).startswith("<svg ")  # an empty trend still draws


def test_every_finding_is_in_the_officer_report(report_outputs):
    for lang in ("en", "nl"):
        html = text(report_outputs, lang, "privacy-officer.html")
        csv = report_outputs[lang]["findings.csv"].read_text(encoding="utf-8").splitlines()[1:]
        ids = [line.split(",")[0] for line in csv]
        assert len(ids) == 10
        assert [i for i in ids if i not in html] == []


def test_a_long_case_lists_all_its_findings(report_catalogue, tmp_path):
    from report_fixtures import BULK_PREFIX, STAFF_KARIN, build_warehouse

    from reports import report_data

    con = build_warehouse(tmp_path / "warehouse.duckdb")
    try:
        con.execute(
            """
            INSERT INTO findings (finding_id, rule_id, severity, week, subject_type, subject_id, actor_id,
                                  student_id)
            SELECT printf('%s9%03d', $prefix, i), 'ACCESS-UNINVOLVED', 'medium', $week, 'access_event',
                   'sis:many-' || i, $staff, 'STU-' || (i % 7)
            FROM range(120) t(i)
            """,
            {"prefix": BULK_PREFIX, "week": WEEK, "staff": STAFF_KARIN},
        )
        cases = {
            c["actor_id"]: c for c in report_data.access_cases(con, WEEK, report_catalogue, Translator("en"))
        }
    finally:
        con.close()
    karin = cases[STAFF_KARIN]
    assert karin["total"] == len(karin["findings"]) == 125
    # 125 findings of one rule, on 8 students (STU-1002 and STU-0 .. STU-6)
    assert karin["repeated"] == [
        {
            "rule_id": "ACCESS-UNINVOLVED",
            "title": "Access without involvement",
            "findings": 125,
            "students": 8,
        }
    ]
