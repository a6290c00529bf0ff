# Two commands for a fresh machine: `make demo` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages: what WeasyPrint needs to render PDFs; chromium for the browser test of the HTML
# reports; poppler-utils (pdftotext) for the test that reads the PDFs' text.
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core chromium poppler-utils

.PHONY: demo test bench setup system-packages lint docs clean

demo: setup
	$(BIN)/schoolaudit demo

test: setup
	$(BIN)/python -m pytest

# Not part of `test`: generates up to 10M access events and grows them to 100M (tens of minutes, ~20 GB
# of disk under out/bench). Prints the table and the targets met or missed; writes out/bench/bench.json.
bench: setup
	$(BIN)/python -m pipelines.bench

lint: setup
	$(BIN)/ruff check .

# docs/ is written from the code; tests/test_docs.py fails while it is out of date.
docs: setup
	$(BIN)/python -m pipelines.documentation

setup: system-packages $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed ($(PYTHON) is older); run: make PYTHON=python3.11 ..."; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

system-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "missing Debian packages (PDF output, browser test); run: sudo apt-get install -y $$missing"; exit 2; \
	  fi; \
	fi

clean:
	rm -rf out .pytest_cache
