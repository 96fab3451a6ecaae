# Storebridge: every command a developer or CI needs. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /usr/bin/env bash

BUF := tools/buf/node_modules/.bin/buf

.PHONY: help run demo test lint bench build clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: ## run Storebridge locally: the local Dapr runtime, all services, the sandbox store and ERP
	@./scripts/run-local.sh

demo: ## a scripted day (normal trade, 4x promotion spike, ERP outage) on the local stack, ending with a table
	@./scripts/demo.sh

test: ## build and run every test project; ends with "Tests: N passed, N failed, N skipped"
	@./scripts/test.sh

lint: $(BUF) ## buf lint and buf breaking (against main) on protos/
	cd protos && ../$(BUF) lint
	@if git rev-parse --verify -q main >/dev/null; then \
	  cd protos && ../$(BUF) breaking --against '../.git#branch=main,subdir=protos'; \
	else echo "buf breaking: no main branch to compare against yet"; fi

$(BUF):
	npm ci --prefix tools/buf --no-audit --no-fund

bench: ## run every benchmark in bench/ and print its figures
	@./scripts/bench.sh

build: ## build the whole solution
	dotnet build Storebridge.slnx

clean: ## remove build outputs and local data
	rm -rf artifacts .data
