# The Makefile is the interface: CI and people call these targets only.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3.11
UV ?= uv
RUN := $(UV) run --frozen
LOCAL := deploy/local

.PHONY: help install proto lint format buf chart test test-fast bench up down infra-up infra-down infra-status clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

install: ## install everything the project needs (Debian packages, Python, Kafka, Keycloak, helm)
	$(LOCAL)/install.sh

proto: ## generate the Python gRPC/protobuf stubs from proto/ (git-ignored, see docs/adr/0002)
	$(LOCAL)/gen-proto.sh

lint: ## ruff (lint and format check) and mypy on the kit
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy services/kit/src

format: ## apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

buf: ## buf lint and buf breaking against the main branch
	$(LOCAL)/buf-check.sh

infra-up: ## start PostgreSQL, Kafka, Keycloak and Prometheus and leave them running
	$(LOCAL)/infra.sh up

infra-down: ## stop what infra-up started
	$(LOCAL)/infra.sh down

infra-status: ## show which components are up
	$(LOCAL)/infra.sh status

up: install proto ## run the whole system locally with demo data (Ctrl-C stops it)
	$(LOCAL)/up.sh

down: ## stop everything `make up` started
	$(LOCAL)/down.sh

chart: install ## helm lint --strict, render and validate the Kubernetes chart (charts/zhurnal)
	$(LOCAL)/chart-check.sh

test: install proto lint buf ## run every test (starts the real components it needs)
	$(LOCAL)/test.sh

bench: install proto ## benchmarks; figures are ratios to baselines measured in the same run
	$(LOCAL)/bench.sh

clean: down ## stop everything and remove run state (keeps downloaded distributions)
	rm -rf .run
