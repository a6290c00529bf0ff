"""The demo's reports in both languages, made once per test session, for the tests that look at the
finished files (browser, PDF text, languages); and the rule for an outside program a test needs.

`schoolaudit demo` writes the English reports; `schoolaudit report --lang nl` then writes the Dutch ones
from the same warehouse, as a user would. Test modules load the fixture with
`pytest_plugins = ("demo_fixtures",)`. PYTEST_DONT_REWRITE: test modules import it before pytest loads it
(its asserts carry their own messages).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, schoolaudit

ARTIFACTS = Path(os.environ.get("SCHOOLAUDIT_TEST_ARTIFACTS") or ROOT / "out" / "test-artifacts")


def require_program(name: str) -> str:
    """The path of an outside program (chromium, pdftotext). CI installs them (`make test`), so there a
    missing one fails the test with the command that installs it; on a developer's machine it skips."""
    found = shutil.which(name)
    if found:
        return found
    package = {"pdftotext": "poppler-utils"}.get(name, name)
    message = f"{name} is not installed (Debian: apt-get install -y {package}; `make test` does it)"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> dict:
    """{'week': '2026-W47', 'db': warehouse, 'en': folder, 'nl': folder} of one `schoolaudit demo` run."""
    out = tmp_path_factory.mktemp("demo")
    result = schoolaudit("demo", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    (folder,) = (out / "reports").iterdir()  # the demo audits one week: <out>/reports/<week>/
    week = folder.name
    dutch = schoolaudit(
        "report", "--db", str(out / "warehouse.duckdb"), "--out", str(out / "reports-nl"),
        "--week", week, "--lang", "nl",
    )  # fmt: skip
    assert dutch.returncode == 0, dutch.stdout + dutch.stderr
    return {"week": week, "db": out / "warehouse.duckdb", "en": folder, "nl": out / "reports-nl" / week}
