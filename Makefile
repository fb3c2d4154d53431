# featcmp: `make help` lists the targets. Everything runs inside .venv, created on first use.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
FEATCMP := $(BIN)/featcmp
RUNS    ?= runs
CONFIGS := $(wildcard configs/*.yaml)

.DEFAULT_GOAL := help
.PHONY: help install run sweep report test lint format bench clean

help: ## Show the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "} {printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,dask]'
	touch $@

install: $(VENV)/.installed ## Create .venv and install featcmp (torch pinned by constraints.txt)

run: install ## Run the main comparison (configs/compare.yaml), then the report
	$(FEATCMP) run configs/compare.yaml --out $(RUNS)
	$(FEATCMP) report $(RUNS)

# One `featcmp sweep` per config, so make -j N runs N configs at once. Finished runs are
# skipped (their records say ok); a config whose runs fail (exit 1, e.g. a dataset missing on
# this machine) does not stop the others; bad input (2) or Ctrl-C (130) does.
# SWEEP_FLAGS passes options on: make sweep SWEEP_FLAGS=--retry-failed
SWEEP_CONFIGS := $(CONFIGS:configs/%.yaml=sweep-%)
SWEEP_FLAGS ?=
.PHONY: $(SWEEP_CONFIGS)

sweep: $(SWEEP_CONFIGS) ## Run every config in configs/ into runs/ (parallel under make -j N), then report
	$(FEATCMP) report $(RUNS)

$(SWEEP_CONFIGS): sweep-%: configs/%.yaml | install
	$(FEATCMP) sweep $< --out $(RUNS) --quiet $(SWEEP_FLAGS) || [ $$? -eq 1 ]

report: install ## Aggregate every record under runs/ into report.md and results.csv
	$(FEATCMP) report $(RUNS)

test: install ## Run the test suite
	$(BIN)/python -m pytest

lint: install ## ruff: lint and format check
	$(BIN)/ruff check featcmp tests benchmarks
	$(BIN)/ruff format --check featcmp tests benchmarks

format: install ## ruff: fix formatting
	$(BIN)/ruff format featcmp tests benchmarks

bench: install ## Run the benchmarks (speed as ratios to baselines measured in the same run)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean: ## Remove runs, caches and build leftovers (keeps .venv)
	rm -rf $(RUNS) .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
