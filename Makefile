# Labnotes. `make reports` runs every walkthrough notebook into reports/ (the main job);
# `make test` runs all tests. Both start with the idempotent setup.
export GOTOOLCHAIN := go1.27.4
export GOEXPERIMENT := simd

SCALE ?= cpu
TIMEOUT ?= 60m
SMOKE_TIMEOUT ?= 10m
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
PY := /usr/bin/python3

.PHONY: setup setup-test reports fresh-clone lab doctor test test-go test-kernel test-notebooks test-e2e test-docker bench-kernel clean

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

## The main job: every walkthrough notebook at SCALE (default cpu) into reports/*.html + index.
reports: setup
	bin/labnotes report -p scale=$(SCALE) --timeout $(TIMEOUT) $(NOTEBOOKS)

## The main job on a fresh clone of HEAD with no data folder and no LABNOTES_DATA (FRESH_SCALE=cpu for the real one).
fresh-clone:
	scripts/fresh-clone.sh --scale $(or $(FRESH_SCALE),smoke)

## Jupyter Notebook on http://127.0.0.1:8888 (LAB_PORT) with the Labnotes kernel. Jupyter refuses
## to start as root without --allow-root (containers, CI machines): given when root.
LAB_PORT ?= 8888
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
lab: setup
	jupyter notebook --notebook-dir=notebooks --ip=127.0.0.1 --port=$(LAB_PORT) --no-browser $(ALLOW_ROOT)

doctor: setup
	bin/labnotes doctor

## All tests; keep under ~45 minutes on 2 cores (measured: see README, "Docker").
test: setup-test
	@$(MAKE) --no-print-directory test-go test-kernel test-notebooks test-e2e test-docker
	@echo "make test: 5 passed, 0 failed (stages: go, kernel protocol, notebooks at smoke scale on a fresh clone, browser, docker image)"

test-go:
	go vet ./...
	go test -timeout 20m ./...

## Debian's jupyter_kernel_test suite against the installed "labnotes" kernel.
test-kernel:
	$(PY) -m unittest -v kernel/jupytertest/test_kernel.py

## Every notebook at smoke scale, as the main job runs them on a user's fresh clone: first a check
## that notebooks use lib/nb's kit (no copies of its helpers, no os.TempDir); then `make reports
## SCALE=smoke` in a new clone of HEAD with no sibling shared/ folder, no LABNOTES_DATA and no
## network (scripts/fresh-clone.sh); last two simultaneous runs each of 07 and 08 that must both
## pass and share no file (per-run work folders).
test-notebooks:
	$(PY) scripts/check-notebooks.py $(NOTEBOOKS)
	scripts/fresh-clone.sh --scale smoke --offline
	SMOKE_TIMEOUT=$(SMOKE_TIMEOUT) scripts/concurrent-runs.sh notebooks/07_hrm_vs_trm.ipynb notebooks/08_maze.ipynb

## Chromium drives Jupyter's UI: runs 00_tour.ipynb, checks outputs and plot, saves a screenshot.
test-e2e:
	$(PY) -m unittest -v kernel/jupytertest/test_browser.py

## The CPU image, for real: built with podman from a debootstrapped base, Jupyter checked on
## 127.0.0.1 (token required), 00_tour run inside at smoke scale, container removed.
test-docker:
	scripts/docker-test.sh

## Median round trip of a trivial cell, and of a cell after GoMLX is imported (warm); JSON to reports/bench/.
bench-kernel: setup
	go run ./kernel/cmd/benchkernel -o reports/bench/kernel.json

clean:
	rm -rf bin reports
