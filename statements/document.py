"""The statement as HTML and PDF (reports.render), written owner-only and atomically (reports.files) to
`<out>/statements/<student_id>-<YYYY-MM-DD>.html` and `.pdf`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checks.registry import load_catalogue
from pipelines import private
from reports.files import write_bytes_atomic, write_text_atomic
from reports.i18n import Translator
from reports.render import created_timestamp, html_to_pdf, render_html, resolve_source_date_epoch

TEMPLATE = "statement.html"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Written:
    html: Path
    pdf: Path


def file_stem(student_id: str, issued_on) -> str:
    """The statement's file name without suffix; characters a file name must not hold become '_'."""
    safe = _UNSAFE.sub("_", student_id).lstrip(".") or "_"
    return f"{safe}-{issued_on.isoformat()}"


def render(contents: dict, lang: str, draft: bool) -> str:
    t = Translator(lang)
    titles = {rule.id: rule.title[lang] for rule in load_catalogue()}
    created = created_timestamp(resolve_source_date_epoch(None))
    return render_html(TEMPLATE, t, created, s=contents, draft=draft, titles=titles)


def write(out: str | Path, contents: dict, lang: str, draft: bool) -> Written:
    folder = Path(out) / "statements"
    private.restrict_umask()
    private.make_dirs(folder)
    html = render(contents, lang, draft)
    stem = file_stem(contents["student"]["student_id"], contents["issued_on"])
    html_path = write_text_atomic(folder / f"{stem}.html", html)
    pdf_path = write_bytes_atomic(folder / f"{stem}.pdf", html_to_pdf(html, resolve_source_date_epoch(None)))
    return Written(html_path, pdf_path)
