"""The demo's HTML reports opened in a real browser (Debian's chromium, driven by Playwright).

Each report is opened from its file:// URL with every request that is not the file itself (or a data:
URL) aborted and recorded, so nothing can leave the machine and any attempt shows. A full-page
screenshot of each goes to $SCHOOLAUDIT_TEST_ARTIFACTS (default out/test-artifacts/).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from demo_fixtures import ARTIFACTS, require_program

from pipelines.warehouse import connect
from pipelines.weeks import previous_weeks
from reports.context import TREND_WEEKS

pytest_plugins = ("demo_fixtures",)  # demo

LANGS = ("en", "nl")
REPORTS = ("privacy-officer", "council-summary")
# What this machine's chromium needs to run headless as root, offline, with nothing of its own running.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The bars of the trend chart: matplotlib's bar patches, the only paths clipped to the axes.
BARS = "#headline figure svg path[clip-path]"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = require_program("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # a test extra of pyproject.toml: `make test` installs it
        pytest.fail("the playwright package is not installed (pip install -e '.[test]')", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"),  # a fresh profile: nothing from earlier runs
            executable_path=chromium,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        yield browser
        browser.close()


@dataclass
class OpenedPage:
    page: object
    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    @property
    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]


def open_file(browser, path: Path) -> OpenedPage:
    """Open a local HTML file, recording every request, console error and page error."""
    page = browser.new_page()
    opened = OpenedPage(page, path.resolve().as_uri())

    def only_the_file(route):
        if route.request.url == opened.url or route.request.url.startswith("data:"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_the_file)
    page.on("request", lambda request: opened.requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and opened.console_errors.append(message.text))
    page.on("pageerror", lambda error: opened.page_errors.append(str(error)))
    page.goto(opened.url, wait_until="load")
    return opened


@pytest.fixture(scope="module")
def opened(browser, demo):
    """Each demo report opened once: {(lang, report): OpenedPage}."""
    pages = {
        (lang, report): open_file(browser, demo[lang] / f"{report}.html")
        for lang in LANGS
        for report in REPORTS
    }
    yield pages
    for opened_page in pages.values():
        opened_page.page.close()


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG file's header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


# ---- the recorder itself sees what it must see -----------------------------------------------------------


def test_the_recorder_sees_an_outside_request_and_a_console_error(browser, tmp_path):
    page = tmp_path / "leaky.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img src="https://example.invalid/pixel.png">'
        "<script>console.error('boom'); undefined_function();</script></body></html>",
        encoding="utf-8",
    )
    opened_page = open_file(browser, page)
    opened_page.page.close()
    assert opened_page.outside_requests == ["https://example.invalid/pixel.png"]
    assert opened_page.console_errors and opened_page.page_errors


# ---- both reports, both languages ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("report", REPORTS)
def test_report_opens_without_errors_and_without_network(opened, lang, report):
    page = opened[lang, report]
    assert page.console_errors == [] and page.page_errors == []
    assert page.outside_requests == []
    assert page.requests == [page.url]  # the file itself was loaded, and only once
    assert page.page.evaluate("document.documentElement.lang") == lang


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("report", REPORTS)
def test_full_page_screenshot_is_saved(opened, lang, report):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{report}-{lang}.png"
    target.unlink(missing_ok=True)
    opened[lang, report].page.screenshot(path=str(target), full_page=True)
    assert target.is_file() and target.stat().st_size > 20_000  # a drawn page, not a blank one
    width, height = png_size(target)
    assert width >= 1280 and height > 900  # the whole page, longer than the window


# Elements (outside the chart) whose right edge is past the right edge of the body's content box.
STICKING_OUT = """() => {
  const body = document.body, box = body.getBoundingClientRect();
  const right = box.right - parseFloat(getComputedStyle(body).paddingRight) + 1;
  return Array.from(document.querySelectorAll('body *'))
    .filter(e => !e.closest('svg') && e.getBoundingClientRect().right > right)
    .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= right)  // outermost
    .map(e => `${e.closest('section') ? '#' + e.closest('section').id : 'page'} ${e.tagName.toLowerCase()}`
              + ` "${e.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60)}"`);
}"""


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("report", REPORTS)
def test_report_fits_the_width_of_its_page(opened, lang, report):
    """Nothing is wider than the page's column: no label, table or id runs off to the right."""
    page = opened[lang, report].page
    assert page.evaluate(STICKING_OUT) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# ---- privacy officer: the trend chart -------------------------------------------------------------------


def expected_bars(demo) -> int:
    """Stacked segments the chart must draw: one per (week, severity) with findings, over its weeks."""
    con = connect(demo["db"], read_only=True)
    try:
        return con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT week, severity FROM findings WHERE list_contains($w, week))",
            {"w": previous_weeks(demo["week"], TREND_WEEKS)},
        ).fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("lang", LANGS)
def test_trend_chart_is_drawn(opened, demo, lang):
    page = opened[lang, "privacy-officer"].page
    chart = page.locator("#headline figure svg")
    assert chart.count() == 1
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    sizes = page.eval_on_selector_all(
        BARS, "bars => bars.map(b => { const r = b.getBoundingClientRect(); return [r.width, r.height]; })"
    )
    assert sizes, "the chart has no bars"
    assert all(width > 0 for width, _ in sizes)
    drawn = [height for _, height in sizes if height > 0]
    assert len(drawn) == expected_bars(demo) > 0
    # the legend and axis labels are text in the report language
    legend = page.locator("#headline figure svg text").all_text_contents()
    assert ("kritiek" if lang == "nl" else "critical") in legend


# ---- council summary: its tables ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_council_summary_renders_its_tables(opened, lang):
    page = opened[lang, "council-summary"].page
    for section_id in ("findings", "trend", "checks"):
        table = page.locator(f"section#{section_id} table")
        assert table.count() == 1, section_id
        box = table.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 40, section_id
        rows = table.locator("tbody tr")
        assert rows.count() >= 1, section_id
        assert all(cell.strip() for cell in rows.first.locator("td").all_inner_texts()), section_id
    assert page.locator("section#trend tbody tr").count() == TREND_WEEKS
