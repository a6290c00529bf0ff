"""Property test: names, ids and free text with awkward content (markup, quotes, right-to-left text,
emoji, newlines, very long strings) never reach the council summary, and reach the privacy officer's
report only as escaped text, with their control and bidirectional characters shown as markers
(pipelines.safe_text): the report itself carries none of them.

Every field of the inputs gets a string of its own (tests/awkward_fixtures.py), starting with a marker
that nothing else in a report contains. The reports are written with reports.write_outputs; in the
property loop without PDFs (rendering them takes seconds), in one fixed example with them.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from awkward_fixtures import FIELDS, FINDING_IDS, SCHOOL_NAMES, build_awkward_warehouse, field_values, marker
from demo_fixtures import require_program
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from report_fixtures import EPOCH, SETTINGS, WEEK

import reports
from pipelines.safe_text import neutralise
from reports import write_outputs

pytest_plugins = ("report_fixtures",)  # report_catalogue

LANGS = ("en", "nl")
LONG = 5_000
WINDOW = 8  # a piece of an input this long in the council summary counts as a leak

FRAGMENTS = (
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '<a href="https://evil.example/">click</a>',
    "</td></tr></table></section>",
    "<!-- ",
    " -->",
    "]]>",
    "'",
    '"',
    "`",
    "&amp;",
    "&lt;b&gt;",
    "&#60;i&#62;",
    "&",
    "<",
    ">",
    "{{ 7*7 }}",
    "{actor_id}",
    "{}",
    "%s",
    "\\",
    "مرحبا بالعالم",  # Arabic
    "שלום עולם",  # Hebrew
    "\u202e",  # right-to-left override
    "\u202dLTR\u202c",
    "\u200f",  # right-to-left mark
    "👩🏽‍🏫",
    "🔥",
    "\n",
    "\r\n",
    "\t",
    "  ",
    "Zoë Çelik-O'Neill",
    "javascript:alert(1)",
)
# All fragments at once: the example every run tries first.
EVERYTHING = "".join(FRAGMENTS)

piece = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=10),
)
short_text = st.lists(piece, min_size=1, max_size=5).map("".join)
long_text = short_text.map(lambda text: (text * (LONG // len(text) + 1))[:LONG])
awkward_text = st.one_of(short_text, short_text, short_text, long_text)  # one in four ~5,000 characters
BODIES = st.fixed_dictionaries({field: awkward_text for field in FIELDS})


class ParsedHTML(HTMLParser):
    """The structure of a document (tags with their attribute names, in order), its text (character
    references resolved) and its attribute values."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.structure: list[tuple] = []
        self.texts: list[str] = []
        self.attribute_values: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.structure.append(("start", tag, tuple(sorted(name for name, _ in attrs))))
        self.attribute_values.extend(value or "" for _, value in attrs)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.structure.append(("end", tag))

    def handle_endtag(self, tag):
        self.structure.append(("end", tag))

    def handle_data(self, data):
        self.texts.append(data)

    def handle_comment(self, data):
        self.structure.append(("comment", data))

    @property
    def text(self) -> str:
        return "".join(self.texts)


def render(con, lang: str, out: Path, with_pdf: bool = False) -> dict[str, Path]:
    """write_outputs into `out`; without PDFs unless asked (each report's PDF replaced by a stub)."""
    with pytest.MonkeyPatch.context() as patch:
        if not with_pdf:
            stub = b"%PDF-1.7 (not rendered)"
            patch.setattr(reports, "html_to_pdf", lambda html, source_date_epoch=None: stub)
            # the officer's PDF, laid out in a process of its own (reports.pdf.PdfProcess)
            patch.setattr(reports, "PdfProcess", lambda: SimpleNamespace(
                render=lambda html, source_date_epoch: None, result=lambda: stub, close=lambda: None
            ))
        paths = write_outputs(con, WEEK, out, lang, SETTINGS, source_date_epoch=EPOCH)
    return {path.name: path for path in paths}


def rendered_html(values: dict[str, str], lang: str) -> dict[str, str]:
    con = build_awkward_warehouse(values)
    try:
        with tempfile.TemporaryDirectory() as out:
            paths = render(con, lang, Path(out))
            # bytes decoded as they are: read_text would turn the inputs' \r\n and \r into \n
            return {
                name: paths[name].read_bytes().decode("utf-8") for name in paths if name.endswith(".html")
            }
    finally:
        con.close()


@pytest.fixture(scope="module")
def plain(report_catalogue) -> dict[str, dict[str, ParsedHTML]]:
    """Both reports of the same warehouse with plain strings: {lang: {file name: parsed}}."""
    values = field_values({field: " plain value" for field in FIELDS})
    return {lang: {n: ParsedHTML(h) for n, h in rendered_html(values, lang).items()} for lang in LANGS}


# ---- the checks ---------------------------------------------------------------------------------------


def unsafe_characters(text: str) -> set[str]:
    """The characters of `text` that the reports never show, apart from the line ends of the template."""
    return {c for c in set(text) if neutralise(c) != c} - {"\n"}


def check_officer_report(html: str, values: dict[str, str], plain: ParsedHTML) -> None:
    parsed = ParsedHTML(html)
    # No element, attribute or comment came from an input: the document has the plain one's structure.
    assert parsed.structure == plain.structure
    assert "<script" not in html.lower()
    assert unsafe_characters(html) == set()
    for field, value in values.items():
        shown = html.count(marker(field))
        value = neutralise(value)  # as the report shows it
        # every appearance is the whole string, escaped
        assert shown == html.count(str(escape(value))), field
        if FIELDS[field] == "shown":
            assert shown >= 1 and value in parsed.text, f"{field} is not shown"
        elif FIELDS[field] == "hidden":
            assert shown == 0 and marker(field) not in parsed.text, f"{field} is shown"


def distinctive_pieces(value: str, allowed: str) -> set[str]:
    """The pieces of WINDOW characters of `value` that are not blank and do not occur in `allowed`
    (text the report may contain anyway: its own labels, the school names)."""
    pieces = {value[i : i + WINDOW] for i in range(len(value) - WINDOW + 1)}
    return {p for p in pieces if p.strip() and p not in allowed}


def check_council_summary(text: str, values: dict[str, str], plain: ParsedHTML) -> None:
    """`text`: what the council summary contains (its text and attribute values, or its PDF's text).

    The school names are the one input text it shows: they are cut out of `text` first, so that no
    piece can run from a school name into the text around it, and pieces of them are allowed."""
    values = {field: neutralise(value) for field, value in values.items()}  # as a report would show them
    schools = [values[name] for name in SCHOOL_NAMES]
    for school in schools:
        text = text.replace(school, "\0")
    allowed = "\0".join([council_text(plain), *schools])
    for field, value in values.items():
        if field in SCHOOL_NAMES:
            continue
        assert marker(field) not in text, field
        leaked = sorted(p for p in distinctive_pieces(value, allowed) if p in text)
        assert leaked == [], field
    for finding_id in FINDING_IDS.values():
        assert finding_id not in text


def council_text(parsed: ParsedHTML) -> str:
    return parsed.text + "\n" + "\n".join(parsed.attribute_values)


# ---- the property ---------------------------------------------------------------------------------------


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies=BODIES, lang=st.sampled_from(LANGS))
@example(bodies={field: f"{field} {EVERYTHING}" for field in FIELDS}, lang="en")
@example(bodies={field: (f"{field} {EVERYTHING}" * 100)[:LONG] for field in FIELDS}, lang="nl")
def test_awkward_inputs_are_escaped_for_the_officer_and_absent_for_the_council(plain, bodies, lang):
    values = field_values(bodies)
    html = rendered_html(values, lang)
    check_officer_report(html["privacy-officer.html"], values, plain[lang]["privacy-officer.html"])
    council = ParsedHTML(html["council-summary.html"])
    assert council.structure == plain[lang]["council-summary.html"].structure
    check_council_summary(council_text(council), values, plain[lang]["council-summary.html"])
    assert unsafe_characters(html["council-summary.html"]) == set()
    for name in SCHOOL_NAMES:  # the one input text the council summary shows, as text
        assert neutralise(values[name]) in council.text


# ---- the checks can fail ------------------------------------------------------------------------------


def test_the_checks_catch_markup_and_leaks(plain):
    values = field_values({field: f"<b onclick=x>bold</b> {field}" for field in FIELDS})
    officer = rendered_html(values, "en")["privacy-officer.html"]
    plain_officer = plain["en"]["privacy-officer.html"]
    check_officer_report(officer, values, plain_officer)  # the real report passes
    name = str(escape(values["staff_name_1"]))
    with pytest.raises(AssertionError):  # a name as markup
        check_officer_report(officer.replace(name, values["staff_name_1"]), values, plain_officer)
    with pytest.raises(AssertionError):  # a break-glass justification shown beside the name
        check_officer_report(
            officer.replace(name, name + str(escape(values["justification"]))), values, plain_officer
        )
    with pytest.raises(AssertionError):  # a name left out
        check_officer_report(officer.replace(name, ""), values, plain_officer)
    council = plain["en"]["council-summary.html"]
    check_council_summary(council_text(council), values, council)  # the plain summary passes
    piece = values["student_name"][-WINDOW - 2 :]  # "udent_name": a piece without the marker
    with pytest.raises(AssertionError):
        check_council_summary(council_text(council) + piece, values, council)


# ---- one example with the PDFs ---------------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    pdftotext = require_program("pdftotext")
    result = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(path), "-"], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("lang", LANGS)
def test_council_pdf_carries_no_input_text(plain, tmp_path, lang):
    values = field_values({field: f"{field} {EVERYTHING}" for field in FIELDS})
    con = build_awkward_warehouse(values)
    try:
        paths = render(con, lang, tmp_path, with_pdf=True)
    finally:
        con.close()
    text = pdf_text(paths["council-summary.pdf"])
    squeezed = re.sub(r"\s+", "", text)
    assert squeezed  # the PDF has text at all
    check_council_summary(text, values, plain[lang]["council-summary.html"])
    for field in FIELDS:
        if field not in SCHOOL_NAMES:
            assert marker(field) not in squeezed, field
    # the officer's PDF was made from the same strings and shows them (as text: a name, not markup)
    officer = re.sub(r"\s+", "", pdf_text(paths["privacy-officer.pdf"]))
    assert marker("staff_name_1") in officer and "<script>alert(1)</script>" in officer
