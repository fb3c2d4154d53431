# featcmp: `make help` lists the targets. Everything runs inside .venv, created on first use.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
FEATCMP := $(BIN)/featcmp
RUNS    ?= runs
CONFIGS := $(wildcard configs/*.yaml)

.DEFAULT_GOAL := help
.PHONY: help install run sweep report test lint format bench clean paper-cifar10
.PHONY: ci-regression ci-calibrate ci-wheel paper paper-cifar10-ladder suite docs transfer

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
# skipped (their records say ok); a config whose runs fail (exit 1, e.g. a NaN loss) does not
# stop the others; bad input (2: a bad config, a dataset missing on this machine) or Ctrl-C
# (130) does: `make -k sweep` goes on past configs whose data this machine lacks.
# SWEEP_FLAGS passes options on: make sweep SWEEP_FLAGS=--retry-failed
SWEEP_CONFIGS := $(CONFIGS:configs/%.yaml=sweep-%)
SWEEP_FLAGS ?=
.PHONY: $(SWEEP_CONFIGS)

sweep: $(SWEEP_CONFIGS) ## Run every config in configs/ into runs/ (parallel under make -j N), then report
	$(FEATCMP) report $(RUNS)

$(SWEEP_CONFIGS): sweep-%: configs/%.yaml | install
	$(FEATCMP) sweep $< --out $(RUNS) --quiet $(SWEEP_FLAGS) || [ $$? -eq 1 ]

# Learned elsewhere, in two steps: the source configs train a CNN and keep it as a file
# (save_model: runs/models/...), the target configs read it frozen (transfer_svm) and
# fine-tuned (cnn init_from). `make sweep` trains a source network before its target.
SOURCE_MODELS := runs/models/cifar10-cnn.pt runs/models/fashion-mnist-cnn.pt
runs/models/cifar10-cnn.pt: configs/transfer/cifar10-source.yaml | install
	$(FEATCMP) run $< --out $(RUNS) --quiet
runs/models/fashion-mnist-cnn.pt: configs/transfer/fashion-mnist-source.yaml | install
	$(FEATCMP) run $< --out $(RUNS) --quiet
sweep-transfer: runs/models/cifar10-cnn.pt

transfer: $(SOURCE_MODELS) ## Learned elsewhere: CIFAR-10 -> scenes, Fashion-MNIST -> MNIST (minutes), then report
	$(FEATCMP) run configs/transfer.yaml --out $(RUNS) --quiet
	$(FEATCMP) run configs/transfer/mnist.yaml --out $(RUNS) --quiet
	$(FEATCMP) report $(RUNS)

report: install ## Aggregate every record under runs/ into report.md and results.csv
	$(FEATCMP) report $(RUNS)

test: install ## Run the test suite
	$(BIN)/python -m pytest

lint: install ## ruff: lint and format check
	$(BIN)/ruff check featcmp tests benchmarks
	$(BIN)/ruff format --check featcmp tests benchmarks

format: install ## ruff: fix formatting
	$(BIN)/ruff format featcmp tests benchmarks

docs: install ## Regenerate README.md's parameter reference from the declarations in the code
	$(BIN)/python -m featcmp.params_reference README.md

bench: install ## Run the benchmarks (speed as ratios to baselines measured in the same run)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# CI regression: small configs, checked against the committed, calibrated baseline.
CI_RUNS     ?= runs-ci
CI_BASELINE ?= baselines/ci.yaml
CALIB_RUNS  ?= runs-calibrate
CALIB_SEEDS ?= [0,1,2,3,4]
MNIST_CI    := ../shared/data/mnist

ci-regression: install ## CI: run configs/ci/*.yaml, then `featcmp check` against baselines/ci.yaml
	rm -rf $(CI_RUNS)
	$(FEATCMP) run configs/ci/scenes.yaml --out $(CI_RUNS) --quiet
	$(FEATCMP) run configs/ci/fashion-mnist.yaml --out $(CI_RUNS) --quiet
	@if [ -d $(MNIST_CI) ]; then $(FEATCMP) run configs/ci/mnist.yaml --out $(CI_RUNS) --quiet; \
	else echo "note: $(MNIST_CI) is absent: skipping configs/ci/mnist.yaml (check skips its rows)"; fi
	$(FEATCMP) check $(CI_RUNS) --baseline $(CI_BASELINE)

# The wheel as a user gets it: built here, installed into a fresh virtual environment, run
# from a folder outside the repository (the bundled config by name). Its dependencies come from
# .venv through a .pth line (nothing downloaded, and --without-pip: .venv's pip and setuptools);
# featcmp itself only from the wheel, which the import check below makes sure of.
WHEEL_ENV ?= $(abspath build/wheel-env)
WHEEL_SET ?= --set dataset.n_per_class=20 --set pipelines.cnn.params.epochs=2 \
             --set pipelines.mlp.params.epochs=2

ci-wheel: install ## CI: build the wheel, install it in a fresh venv, run `featcmp run compare` outside the repo
	rm -rf dist $(WHEEL_ENV)
	$(BIN)/python -m pip wheel -q --no-deps --no-build-isolation -w dist .
	$(BIN)/python -m venv --system-site-packages --without-pip $(WHEEL_ENV)
	$(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' > \
	  "$$($(WHEEL_ENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/featcmp_deps.pth"
	$(WHEEL_ENV)/bin/python -m pip install -q --no-deps --no-index dist/featcmp-*.whl
	cd "$$(mktemp -d)" && \
	  $(WHEEL_ENV)/bin/python -c 'import featcmp; assert featcmp.__file__.startswith("$(WHEEL_ENV)/")' && \
	  $(WHEEL_ENV)/bin/featcmp configs && \
	  $(WHEEL_ENV)/bin/featcmp run compare --out runs --quiet $(WHEEL_SET) && \
	  $(WHEEL_ENV)/bin/featcmp report runs --format md

ci-calibrate: install ## Re-calibrate baselines/ci.yaml: every CI config over 5 seeds (~5x ci-regression)
	rm -rf $(CALIB_RUNS)
	for c in configs/ci/*.yaml; do \
	  $(FEATCMP) run $$c --out $(CALIB_RUNS) --quiet --set 'seeds=$(CALIB_SEEDS)' || exit 1; done
	$(FEATCMP) baseline $(CALIB_RUNS) --out $(CI_BASELINE) \
	  --note "calibrated by 'make ci-calibrate' (seeds $(CALIB_SEEDS)); CI runs seed 0 alone" \
	  --note "why these bands, and a deliberately broken run failing them: docs/regression.md"

# Published tables on full data (long; not CI). A rehearsal on a subset:
#   make paper FASHION_SET="--set dataset.max_train=3000 --set dataset.max_test=2000"
# One dataset alone (its section is rewritten, the others kept): make paper-cifar10
PAPER_RUNS  ?= runs-paper
PAPER_OUT   ?= docs/results.md
MNIST_DIR   ?= ../shared/data/mnist
MNIST_SET   ?=
FASHION_SET ?=
CIFAR_TAR   ?= ../shared/data/cifar10/cifar-10-binary.tar.gz
CIFAR_SET   ?=
CIFAR_RUNS  ?= runs-paper-cifar10

paper: install ## Long, not CI: published MNIST / Fashion-MNIST / CIFAR-10 tables -> docs/results.md
	rm -rf $(PAPER_RUNS) && mkdir -p $(PAPER_RUNS) && date +%s > $(PAPER_RUNS)/.started
	$(FEATCMP) run configs/paper/mnist.yaml --out $(PAPER_RUNS) --quiet \
	  --set dataset.path=$(MNIST_DIR) $(MNIST_SET)
	$(FEATCMP) run configs/paper/fashion-mnist.yaml --out $(PAPER_RUNS) --quiet $(FASHION_SET)
	$(FEATCMP) run configs/cifar10.yaml --out $(PAPER_RUNS) --quiet \
	  --set dataset.path=$(CIFAR_TAR) $(CIFAR_SET)
	$(FEATCMP) paper $(PAPER_RUNS) --out $(PAPER_OUT)

paper-cifar10: install ## Long, not CI: CIFAR-10's section of docs/results.md alone (resumes)
	mkdir -p $(CIFAR_RUNS) && { [ -f $(CIFAR_RUNS)/.started ] || date +%s > $(CIFAR_RUNS)/.started; }
	$(FEATCMP) run configs/cifar10.yaml --out $(CIFAR_RUNS) --quiet \
	  --set dataset.path=$(CIFAR_TAR) $(CIFAR_SET)
	$(FEATCMP) paper $(CIFAR_RUNS) --out $(PAPER_OUT)

paper-cifar10-ladder: install ## Long, not CI: the CIFAR-10 ladder's section of docs/results.md (resumes)
	mkdir -p $(CIFAR_RUNS) && { [ -f $(CIFAR_RUNS)/.started ] || date +%s > $(CIFAR_RUNS)/.started; }
	$(FEATCMP) run configs/cifar10-ladder.yaml --out $(CIFAR_RUNS) --quiet \
	  --set dataset.path=$(CIFAR_TAR) $(CIFAR_SET)
	$(FEATCMP) paper $(CIFAR_RUNS) --out $(PAPER_OUT)

# The lecture's claim across datasets: the five pipelines over configs/suite/*.yaml (one
# dataset each: digits, faces, scenes, then MNIST / Fashion-MNIST / CIFAR-10 subsets where their
# files are present), seeds: auto (3 seeds, 2 more a round until the verdict decides, at most
# 10), then one report with the verdict table, the Friedman test and the critical-difference
# diagram. Resumes: finished runs are kept, and a stopped config adds no seeds (rm -rf
# $(SUITE_RUNS) to redo).
# About 10 minutes on 2 cores (9 min 43 s measured, docs/suite.md); on a shared machine
# OMP_NUM_THREADS=1 keeps torch from oversubscribing the cores (make suite OMP_NUM_THREADS=1).
SUITE_RUNS ?= runs-suite
SUITE_DATA := configs/suite/mnist.yaml=../shared/data/mnist \
  configs/suite/fashion-mnist.yaml=/usr/share/datasets/fashion-mnist \
  configs/suite/cifar10.yaml=../shared/data/cifar10/cifar-10-binary.tar.gz

suite: install ## The five pipelines over >= 5 datasets, seeds: auto -> runs-suite/report.md
	@for c in configs/suite/*.yaml; do \
	  need=$$(for d in $(SUITE_DATA); do [ "$${d%%=*}" = "$$c" ] && echo "$${d#*=}"; done); \
	  if [ -n "$$need" ] && [ ! -e "$$need" ]; then echo "note: $$need is absent: skipping $$c"; continue; fi; \
	  $(FEATCMP) sweep $$c --out $(SUITE_RUNS) --quiet || { rc=$$?; [ $$rc -eq 1 ] || exit $$rc; }; done
	$(FEATCMP) report $(SUITE_RUNS)

clean: ## Remove runs, caches and build leftovers (keeps .venv)
	rm -rf $(RUNS) $(CI_RUNS) $(CALIB_RUNS) $(SUITE_RUNS) $(WHEEL_ENV) .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
