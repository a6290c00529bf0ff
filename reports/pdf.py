"""PDF from HTML with WeasyPrint, in this process (html_to_pdf) or in a process of its own (PdfProcess).

WeasyPrint is pure Python: one document is laid out on one core. The privacy officer's report is the
long one, so write_outputs has it laid out in a second process while it does the rest of the week's set.
That process runs this file as a script, not as part of the `reports` package: it imports WeasyPrint
alone (about 0.4 s, done while the week's queries run), not the warehouse code.

Nothing here may import from the rest of the project.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from contextlib import contextmanager

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


class PdfProcess:
    """One PDF rendered by html_to_pdf in a process of its own: started at once (it imports WeasyPrint,
    then waits for its HTML), given the HTML with render(), its bytes read with result(). close() ends
    it if it is still running (a run that failed before it needed the PDF)."""

    def __init__(self) -> None:
        # -P: the script's folder (reports/) is not put on the path, where its modules could shadow others
        self._process = subprocess.Popen(
            [sys.executable, "-P", __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,  # its messages (WeasyPrint's warnings) go where this process's go
        )
        self._pdf: bytes | None = None
        self._reader: threading.Thread | None = None

    def render(self, html: str, source_date_epoch: int | None) -> None:
        """Hand over the HTML; the render runs while this process goes on."""
        epoch = "" if source_date_epoch is None else str(source_date_epoch)
        request = f"{epoch}\n{html}".encode(errors="surrogatepass")

        def exchange() -> None:
            self._pdf, _ = self._process.communicate(request)

        # communicate() in a thread: writing a large HTML and reading the PDF must not block this process
        self._reader = threading.Thread(target=exchange, daemon=True)
        self._reader.start()

    def result(self) -> bytes:
        assert self._reader is not None, "render() first"
        self._reader.join()
        if self._process.returncode != 0 or not (self._pdf or b"").startswith(b"%PDF"):
            raise RuntimeError(f"the PDF renderer failed (exit status {self._process.returncode}), see its messages")
        return self._pdf

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        if self._reader is not None:
            self._reader.join()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream and not stream.closed:
                stream.close()


def _serve() -> int:
    """The script: the source date (or an empty line) and the HTML on stdin, the PDF on stdout."""
    import weasyprint  # noqa: F401  (imported before the HTML arrives: that is the point of starting early)

    request = sys.stdin.buffer.read()
    if not request:  # the run ended (or was killed) before it needed the PDF
        return 0
    epoch, _, html = request.decode(errors="surrogatepass").partition("\n")
    sys.stdout.buffer.write(html_to_pdf(html, int(epoch) if epoch else None))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
