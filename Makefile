# The two commands a newcomer needs: `make serve` and `make test`. Both do the whole set-up on a
# fresh machine (system packages, .venv, requirements, model preparation) and skip what is done.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export TOKENIZERS_PARALLELISM := false

DECISIONS := datasets/generated/full-seed0/decisions.jsonl

.PHONY: setup system venv models search-index serve test lint bench clean

setup: system venv models

# Tesseract with Russian (OCR) and Chromium (the reviewer page's browser test) come from Debian;
# install what is missing when we are allowed to.
APT_PACKAGES = $(if $(shell tesseract --list-langs 2>/dev/null | grep -x rus),,tesseract-ocr tesseract-ocr-rus) \
               $(if $(shell command -v chromium),,chromium)
system:
	@if [ -z "$(strip $(APT_PACKAGES))" ]; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing $(strip $(APT_PACKAGES))"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	else \
	  echo "warning: cannot install $(strip $(APT_PACKAGES)) here (need root); OCR or the browser test will be unavailable" >&2; \
	fi

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# Idempotent: converts e5 only when the folder is missing or was made from another source file.
models: venv
	$(VENV)/bin/claims models prepare

# The generated decision library (once) and its search index (idempotent: only new or changed
# decisions are embedded; the first build takes about 10 minutes on 2 cores with e5).
$(DECISIONS): | venv
	$(VENV)/bin/claims data generate --size full --seed 0

search-index: models $(DECISIONS)
	$(VENV)/bin/claims index build --corpus $(DECISIONS)

serve: setup search-index
	$(VENV)/bin/claims serve

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: setup lint
	$(VENV)/bin/pytest -q

bench: setup
	$(VENV)/bin/claims bench encoders --stsb ../shared/data/real/stsb_ru/stsb-ru-test.csv
	$(VENV)/bin/claims bench search

clean:
	rm -rf $(VENV) models/artifacts var .pytest_cache .ruff_cache *.egg-info
