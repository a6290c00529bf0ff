"""HTML from Jinja2 templates (autoescaped), and PDF from that same HTML with WeasyPrint."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import jinja2

from reports.i18n import Translator

TEMPLATES_DIR = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every value from the inputs is escaped, names included
        undefined=jinja2.StrictUndefined,  # a missing value is a bug, not an empty cell
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(template: str, t: Translator, created: str | None, **context) -> str:
    return environment().get_template(template).render(t=t, lang=t.lang, created=created, **context)


def resolve_source_date_epoch(source_date_epoch: int | None) -> int | None:
    """The argument, else the SOURCE_DATE_EPOCH environment variable, else None (use the clock)."""
    if source_date_epoch is not None:
        return int(source_date_epoch)
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {text!r}") from None


def created_timestamp(source_date_epoch: int | None) -> str:
    """The documents' creation time (W3C format, UTC): the source date when there is one, so that two
    renders of the same data give identical files; otherwise now."""
    moment = (
        datetime.fromtimestamp(source_date_epoch, UTC)
        if source_date_epoch is not None
        else datetime.now(UTC).replace(microsecond=0)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_ENVIRONMENT_LOCK = threading.Lock()


@contextmanager
def _source_date_in_environment(source_date_epoch: int | None):
    """fontTools stamps every font subset it writes into the PDF with the time of writing, unless
    SOURCE_DATE_EPOCH is set: set it for the duration of one render, then put back what was there."""
    if source_date_epoch is None:
        yield
        return
    with _ENVIRONMENT_LOCK:
        before = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(source_date_epoch)
        try:
            yield
        finally:
            if before is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = before


def html_to_pdf(html: str, source_date_epoch: int | None = None) -> bytes:
    """Render with WeasyPrint. Only data: URLs may be fetched: the reports are self-contained, and a
    value from the inputs must never make the renderer reach out to the network or the disk."""
    from weasyprint import HTML  # imported here: it is slow to import and only needed for PDFs
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=("data",))
    with _source_date_in_environment(source_date_epoch):
        return HTML(string=html, url_fetcher=fetcher).write_pdf()
