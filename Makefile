# Tier0 — the two front-door commands are `make run` and `make test`.
# Every target sets up what it needs; stamp files make a second run take seconds.
SHELL := /bin/bash
.DEFAULT_GOAL := help

RASA_VENV  := .venvs/rasa
APP_VENV   := .venvs/app
RASA_PY    := $(RASA_VENV)/bin/python
APP_PY     := $(APP_VENV)/bin/python
RASA_STAMP := $(RASA_VENV)/.installed
APP_STAMP  := $(APP_VENV)/.installed
WEB_STAMP  := web/node_modules/.installed
# The chat widget: web/widget/src bundled by esbuild into one file the handoff API serves at /widget/
WIDGET     := web/dist/tier0-widget.js
WIDGET_SRC := $(wildcard web/widget/src/*)
MODEL      := models/nimbus.tar.gz
KB_STAMP   := var/kb_index/.built
# all-mpnet-base-v2 exported to ONNX for the NLU pipeline (outside var/: `make clean` keeps it)
MPNET_ONNX := .venvs/models/all-mpnet-base-v2-onnx/export.json
# pip's machine-wide config names local indexes that lack most packages; hide that noise.
PIP_QUIET  := 2>&1 | grep -v "is ignored: it is neither a file nor a directory" ; exit $${PIPESTATUS[0]}

export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYTHONPATH := $(CURDIR)

TRAINING_INPUTS := config.yml domain.yml $(shell find bot/data -name '*.yml' 2>/dev/null) $(wildcard bot/nlu/*.py bot/nlu/*.yml)
KB_INPUTS       := $(shell find kb/articles -name '*.md' 2>/dev/null) $(wildcard kb_index/*.py)

.PHONY: help setup run run-scaled test lint train train-reranker index validate report reload inbox analytics eval-conversations bench bench-latency bench-kb bench-nlu bench-nlu-compare bench-handoff bench-redaction bench-load bench-profile lock clean

help:
	@echo "make run     set up what is missing, train/index what changed, start the stack"
	@echo "make run-scaled RASA_REPLICAS=2 ACTION_REPLICAS=2   the same behind HAProxy on PostgreSQL, Redis, RabbitMQ"
	@echo "make test    set up what is missing and run every test"
	@echo "make bench   benchmarks: bench-latency, bench-kb, bench-nlu, bench-handoff (figures in bench/results/)"
	@echo "make eval-conversations   scripted customers over the real stack, tapping and typing -> bench/results/conversations.json"
	@echo "make validate   check intents, KB articles and the Rasa data (file:line per problem)"
	@echo "make report     NLU cross-validation (FOLDS=5) and KB evaluation -> reports/index.html"
	@echo "make reload     train/index what changed and swap both into the running stack"
	@echo "make inbox      what the bot did not understand, grouped (also /staff/inbox)"
	@echo "make analytics  containment, handoffs, CSAT... FROM=/TO=YYYY-MM-DD (also /staff/analytics)"
	@echo "make train | make index | make lint | make lock | make clean"

# --- environments (fully pinned lock files, hashes checked) -------------------
$(RASA_STAMP): requirements/rasa.lock scripts/find-python310.sh
	@py310="$$(scripts/find-python310.sh)" || exit 1; \
	 echo "==> Rasa environment (Python 3.10 at $$py310)"; \
	 [ -x $(RASA_PY) ] || "$$py310" -m venv $(RASA_VENV)
	@$(RASA_PY) -m pip install -q --require-hashes --no-deps -r requirements/rasa.lock $(PIP_QUIET)
	@touch $@

$(APP_STAMP): requirements/app.lock
	@echo "==> App environment (Python 3.11: action server, kb_index, handoff_api, tests)"
	@[ -x $(APP_PY) ] || python3.11 -m venv $(APP_VENV)
	@$(APP_PY) -m pip install -q --require-hashes --no-deps -r requirements/app.lock $(PIP_QUIET)
	@touch $@

# npm packages, then the widget: the bundle depends on the stamp, so new packages rebuild it too.
$(WEB_STAMP): web/package.json web/package-lock.json
	@echo "==> Browser libraries (npm ci)"
	@cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WIDGET): $(WEB_STAMP) $(WIDGET_SRC)
	@echo "==> Chat widget (esbuild: web/widget/src -> $@)"
	@cd web && npm run --silent build

# Debian packages the project needs: installed when missing (as root), else a message saying how.
define apt_install
	@echo "==> $(2) (Debian package $(1))"
	@if [ "$$(id -u)" = 0 ]; then \
	   apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	 else echo "$(2) needs it: sudo apt-get install $(1)" >&2; exit 1; fi
endef

# Browser tests drive Debian's Chromium (never a browser download).
CHROMIUM ?= /usr/bin/chromium
$(CHROMIUM):
	$(call apt_install,chromium,Chromium for the browser tests)

# The balancer of the scaled setup.
HAPROXY ?= /usr/sbin/haproxy
$(HAPROXY):
	$(call apt_install,haproxy,HAProxy for the scaled setup)

$(MPNET_ONNX): $(APP_STAMP) requirements/mpnet.lock bot/nlu/mpnet_export.py
	@$(APP_PY) -m bot.nlu.mpnet_export

setup: $(RASA_STAMP) $(APP_STAMP) $(WEB_STAMP) $(WIDGET) $(MPNET_ONNX)
	@$(APP_PY) scripts/ensure_env.py

# Re-lock after editing requirements/*.in (needs the registry; uv resolves in seconds).
lock: $(APP_STAMP)
	$(APP_VENV)/bin/uv pip compile requirements/rasa.in --overrides requirements/rasa.overrides.txt --python-version 3.10 --python-platform x86_64-manylinux_2_28 --generate-hashes -o requirements/rasa.lock
	$(APP_VENV)/bin/uv pip compile requirements/app.in --python-version 3.11 --python-platform x86_64-manylinux_2_28 --find-links /opt/wheels --generate-hashes -o requirements/app.lock

# --- model and index: rebuilt only when their inputs changed ----------------
$(MODEL): $(RASA_STAMP) $(MPNET_ONNX) $(TRAINING_INPUTS)
	@echo "==> Training the Rasa model (training data or config changed)"
	@$(RASA_VENV)/bin/rasa train --data bot/data --fixed-model-name nimbus --out models --quiet
	@touch $@

$(KB_STAMP): $(APP_STAMP) $(KB_INPUTS)
	@echo "==> Building the KB index (articles changed)"
	@set -a; [ -f .env ] && . ./.env; set +a; $(APP_PY) -m kb_index build --quiet
	@touch $@

train: $(MODEL)
index: $(KB_STAMP)

# --- the content writers' loop: edit, validate, train, test/report, reload ----------------------
# Intents (examples, a rule, a test story each), KB articles (front matter, ids, links), and
# `rasa data validate`; one `file:line: message` per problem, non-zero exit on any.
validate: $(RASA_STAMP) $(APP_STAMP)
	@$(APP_PY) -m authoring.validate

# NLU cross-validation of config.yml on bot/data/nlu (FOLDS=5; a few minutes on 2 cores) and the
# KB evaluation on kb/eval/: reports/index.html, report.json, confusion.png and a summary here.
FOLDS ?= 5
report: setup index
	@OMP_NUM_THREADS=2 $(APP_PY) -m authoring.report --folds $(FOLDS)

# Trains if needed, swaps the model into the running Rasa (HTTP API, no restart, conversations
# kept), then rebuilds the KB index, which the running action server picks up by itself.
reload: setup
	@source scripts/stack_env.sh && $(APP_PY) -m authoring.reload

# What the bot did not understand, and the support figures, from the stack's tracker store and
# tickets (the same as /staff/inbox and /staff/analytics). FROM=/TO= (YYYY-MM-DD) pick the days.
inbox: $(APP_STAMP)
	@source scripts/stack_env.sh && $(APP_PY) -m insights inbox

analytics: $(APP_STAMP)
	@source scripts/stack_env.sh && $(APP_PY) -m insights analytics $(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO))

# --- the two front-door commands ----------------------------------------------
# honcho gets no .env of its own (--env /dev/null): stack_env.sh has exported it as bash reads it,
# and honcho's reader would take some values differently (it turns a written \n into a line break).
run: setup train index
	@mkdir -p var
	@source scripts/stack_env.sh && exec $(APP_VENV)/bin/honcho -f Procfile start --env /dev/null

# The same stack scaled out: RASA_REPLICAS Rasa and ACTION_REPLICAS action processes behind HAProxy,
# on PostgreSQL, Redis and RabbitMQ (their URLs in .env; docs/scaling.md).
RASA_REPLICAS ?= 2
ACTION_REPLICAS ?= 2
run-scaled: setup train index $(HAPROXY)
	@mkdir -p var
	@source scripts/stack_env.sh && exec $(APP_PY) -m scaleout run --rasa-replicas $(RASA_REPLICAS) --action-replicas $(ACTION_REPLICAS)

test: setup $(CHROMIUM) $(HAPROXY)
	@CHROMIUM=$(CHROMIUM) HAPROXY_BIN=$(HAPROXY) $(APP_PY) -m pytest

lint: $(APP_STAMP)
	@$(APP_VENV)/bin/ruff check .
	@$(APP_VENV)/bin/lint-imports

bench: bench-latency bench-profile bench-kb bench-nlu bench-handoff bench-redaction bench-load eval-conversations

# Every scripted customer of tests/conversations/ (taps, then types) over the REST channel of a
# freshly started stack with the trained model: deflection, escalations, false success claims,
# turns and latency. ONLY=<regex> runs some customers; CUSTOMERS=<folder> another set of them.
eval-conversations: setup train index
	@$(APP_PY) -m bench.conversations -v $(if $(ONLY),--only '$(ONLY)') $(if $(CUSTOMERS),--customers $(CUSTOMERS))

bench-latency: setup train index
	@OMP_NUM_THREADS=1 $(APP_PY) -m bench.latency

# Retrieval quality and speed on our KB and on ../shared/datasets (StackFAQ, E-Manual QA); answer or
# not with and without the relevance model (Nimbus unseen questions, the S10 manual as a foreign KB);
# KB questions as first messages through the bot.
# Where a turn's CPU goes (py-spy on the running Rasa and action server): small talk, a flow step,
# a KB answer, a handoff -> bench/results/profile.json.
bench-profile: setup train index
	@OMP_NUM_THREADS=1 $(APP_PY) -m bench.profile

# Scripted customers at 20 and 50 at once: make run's stack against the scaled setup with one and
# two replicas (needs PostgreSQL, Redis, RabbitMQ) -> bench/results/load.json and load.svg.
bench-load: setup $(HAPROXY)
	@$(APP_PY) -m bench.load

bench-kb: setup train index
	@OMP_NUM_THREADS=1 $(APP_PY) -m bench.kb
	@OMP_NUM_THREADS=1 $(APP_PY) -m bench.kb_relevance
	@OMP_NUM_THREADS=1 $(APP_PY) -m bench.kb_first_messages
	@OMP_NUM_THREADS=1 $(APP_PY) -m bench.kb_scale
	@$(APP_PY) -m bench.kb_threads

# NLU: cross-validation on bot/data/nlu, CLINC150 (../shared/datasets) next to Larson et al. 2019,
# and the held-out files bench/data/nlu_heldout/; trains in the Rasa environment (~25 min on 2 cores).
# Then entity extraction of the trained model on bench/data/entities_test.yml (bench/results/entities.json).
bench-nlu: setup train
	@OMP_NUM_THREADS=2 $(RASA_PY) -m bench.nlu
	@$(RASA_PY) -m bench.nlu.entities

# Handoff API: ticket creations per second and p95 latency, 1/8/32 clients, SQLite and PostgreSQL
# side by side against a real uvicorn process (PostgreSQL at 127.0.0.1:5432/test; skipped if absent).
bench-handoff: $(APP_STAMP)
	@$(APP_PY) -m bench.handoff

# What the one redaction masks (generated secret phrasings) and leaves alone (CLINC150), and its
# cost per message, side by side with its regular-expression layer alone.
bench-redaction: $(APP_STAMP)
	@OMP_NUM_THREADS=1 $(APP_PY) -m bench.redaction

# The KB relevance model (kb_index/relevance.py): fine-tunes MiniLM on the KB's questions, the
# not-answered pairs of kb/relevance/ and public data, then writes int8 ONNX and its figures into
# kb_index/models/relevance/ (~25 min on 2 cores). Not used by the bot yet: docs/knowledge-base.md.
train-reranker: setup index
	@OMP_NUM_THREADS=2 $(APP_PY) -m kb_index.relevance_training

# How the pipeline was chosen: candidate pipelines side by side (~50 min; not part of `make bench`).
bench-nlu-compare: setup
	@$(RASA_PY) -m bench.nlu.compare

clean:
	rm -rf var models .cache
