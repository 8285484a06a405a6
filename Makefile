# These commands do all the set-up on a fresh Debian machine with Python 3.11:
#   make demo       installs bilan, ingests the sample mailbox into a SQLite warehouse and writes the dashboard
#   make test       installs what the tests need (Debian packages included) and runs all of them
#   make test-fast  the same set-up; SQLite only, no corpus, no test marked slow, on two workers
#   make lint       ruff and the import contracts (import-linter)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Parsers: OCR (Tesseract's French model; the engine comes with tesserocr's
# wheel), LibreOffice Writer for .doc/.rtf, and Calc, which the tests use to
# write legacy .xls files.
# Dashboard tests: Debian's chromium.
DEBIAN_PACKAGES = dovecot-imapd chromium tesseract-ocr tesseract-ocr-fra libreoffice-writer-nogui libreoffice-calc-nogui
DEMO_DIR = var/demo
# The fast lane leaves out what needs PostgreSQL or the labelled corpus, and
# the tests marked slow (each feature they test has a quicker test in the lane).
FAST_LANE = not postgres and not corpus and not slow
FAST_WORKERS ?= 2

.PHONY: demo test test-fast lint install install-test debian-packages clean train-themes

$(BIN)/bilan: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

install: $(BIN)/bilan

demo: install
	rm -rf $(DEMO_DIR)
	BILAN_DATABASE_URL=sqlite:///$(DEMO_DIR)/bilan.db $(BIN)/bilan import samples/mailbox
	BILAN_DATABASE_URL=sqlite:///$(DEMO_DIR)/bilan.db $(BIN)/bilan status
	BILAN_DATABASE_URL=sqlite:///$(DEMO_DIR)/bilan.db $(BIN)/bilan report --out $(DEMO_DIR)/rapport.html

debian-packages:
	@if ! dpkg -s $(DEBIAN_PACKAGES) >/dev/null 2>&1; then \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $(DEBIAN_PACKAGES); \
	fi

test: install debian-packages
	$(BIN)/python -m pytest

test-fast: install debian-packages
	$(BIN)/python -m pytest -m "$(FAST_LANE)" -n $(FAST_WORKERS) --dist loadgroup

# import-linter finds a package's modules under its folder, but pyproject's
# package-dir installs parsers/, nlp/, storage/ and flows/ as bilan.*: the
# contracts (.importlinter) are checked on a copy laid out as Python sees it.
lint: install
	$(BIN)/ruff check .
	rm -rf var/lint && mkdir -p var/lint && cp -r bilan var/lint/bilan
	for folder in parsers nlp storage flows; do cp -r $$folder var/lint/bilan/$$folder; done
	cd var/lint && PYTHONPATH=. ../../$(BIN)/lint-imports --config ../../.importlinter

train-themes: install
	$(BIN)/bilan train-themes

clean:
	rm -rf $(VENV) var .pytest_cache
