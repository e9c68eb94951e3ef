# Everyday commands. The virtualenv is made once, and again when pyproject.toml changes.

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv run test lint bench migrate revision

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -e '.[dev]'
	touch $@

# `make run PORT=8080` (or HOST=0.0.0.0, which turns the web chat off unless asked for).
HOST ?= 127.0.0.1
PORT ?= 3978

run: venv
	$(VENV)/bin/kontobot serve --host $(HOST) --port $(PORT)

test: venv
	$(VENV)/bin/pytest -n 2 --dist loadscope --durations=20

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/mypy && $(VENV)/bin/lint-imports

bench: venv
	@set -e; found=; \
	for script in bench/*.py; do \
		[ -e "$$script" ] || continue; \
		case "$$script" in */harness.py) continue;; esac; found=1; \
		echo "== $$script"; $(PY) "$$script"; \
	done; \
	[ -n "$$found" ] || echo "no benchmarks yet: add scripts under bench/"

migrate: venv
	$(VENV)/bin/kontobot migrate

# A new schema revision from the models: make revision ID=0002_what_changed MSG="What changed"
revision: venv
	@test -n "$(ID)" -a -n "$(MSG)" || { echo 'usage: make revision ID=0002_what_changed MSG="What changed"'; exit 2; }
	$(PY) -m data.migrate revision "$(ID)" "$(MSG)"

# Message catalogues (dialogs/locale; see babel.cfg and dialogs/i18n.py). After adding or
# changing a translatable string: make babel-update, then translate the new Swedish entries.
PYBABEL := $(VENV)/bin/pybabel
BABEL_POT := dialogs/locale/kontobot.pot
BABEL_LOCALES := sv en
# The dashboard's pages have their own catalogue (bot/web/dashboard/translation.py).
DASHBOARD := bot/web/dashboard
DASHBOARD_POT := $(DASHBOARD)/locale/dashboard.pot

.PHONY: babel-extract babel-update

babel-extract: venv
	$(PYBABEL) -q extract -F babel.cfg --no-default-keywords -k tr -k N_ --add-comments=Translators: --sort-output --no-wrap --project=kontobot -o $(BABEL_POT) .
	$(PYBABEL) -q extract -F $(DASHBOARD)/babel.cfg --no-default-keywords -k _ -k gettext -k ngettext:1,2 -k L_ --add-comments=Translators: --sort-output --no-wrap --project=kontobot-dashboard -o $(DASHBOARD_POT) $(DASHBOARD)

babel-update: babel-extract
	for locale in $(BABEL_LOCALES); do \
		$(PYBABEL) -q update -i $(BABEL_POT) -d dialogs/locale -D kontobot -l $$locale --no-fuzzy-matching --ignore-obsolete --no-wrap || exit 1; \
		$(PYBABEL) -q update -i $(DASHBOARD_POT) -d $(DASHBOARD)/locale -D dashboard -l $$locale --no-fuzzy-matching --ignore-obsolete --no-wrap || exit 1; \
	done
