# credtrail — the developer front door.
#
# Each recipe runs as one bash script (.ONESHELL, strict mode) that first sources
# scripts/bootstrap.sh: the pinned Node (.nvmrc) goes first on PATH, installed into .tools/ if
# missing, and node_modules is reinstalled with `npm ci` whenever package-lock.json changed.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

BOOTSTRAP := source scripts/bootstrap.sh
# Minimum line and statement coverage of contracts/, in percent: make test COVERAGE_MIN=90
COVERAGE_MIN ?= 95
# One benchmark by name (bench/$(B).ts); empty runs them all.
B ?=

.PHONY: help deps lint test bench up clean

help:
	@echo "make deps    install the pinned Node (into .tools/) and node_modules"
	echo "make lint    tsc, eslint, prettier --check, solhint"
	echo "make test    lint, then every test with coverage, then the coverage gate (COVERAGE_MIN=$(COVERAGE_MIN))"
	echo "make bench   run every bench/<name>.ts (B=<name> for one); each writes bench/results/<name>.json"
	echo "make up      the local consortium with demo data (UP_ARGS=\"--fresh\" starts over); Ctrl-C stops it"
	echo "make clean   remove build outputs, coverage and .data (keeps .tools/ and node_modules/)"

deps:
	@$(BOOTSTRAP)
	echo "deps: node $$(node --version), npm $$(npm --version), hardhat $$(npx hardhat --version | tail -n 1)"

# The same four steps as `npm run lint`, but each runs even when an earlier one failed, so one
# run shows every problem.
lint: deps
	@$(BOOTSTRAP)
	failed=()
	for step in typecheck lint:ts lint:format lint:sol; do
	  echo "==> lint: npm run $$step"
	  npm run --silent "$$step" || failed+=("$$step")
	done
	if [ $${#failed[@]} -gt 0 ]; then echo "make lint: failed: $${failed[*]}" >&2; exit 1; fi
	echo "==> lint: ok"

# The Fabric leg (conformance suite, fault tests) needs Fabric's Go programs: built once per machine
# (about 3 minutes; cached in .tools/fabric and Go's caches). Without Go the leg is skipped, and the
# test output says so. FABRIC_E2E=0 skips it on purpose.
test: lint
	@$(BOOTSTRAP)
	if [ "$${FABRIC_E2E:-1}" != "0" ]; then
	  if command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ]; then scripts/fabric-install.sh
	  else echo "make test: no Go on this machine: the Fabric leg will be skipped" >&2; fi
	fi
	npm test
	npm run --silent coverage:check -- $(COVERAGE_MIN)

# A benchmark entry is bench/<name>.ts (helpers belong in a subfolder, or start with "_"). One that
# imports "hardhat" runs inside Hardhat (`hardhat run` compiles, then imports the script with the
# in-process network available); any other runs under plain Node with tsx. Each must write
# bench/results/<name>.json, and the run fails if it did not.
bench: deps
	@$(BOOTSTRAP)
	if [ -n "$(B)" ]; then
	  names=("$(B)")
	else
	  names=()
	  for f in bench/*.ts; do
	    [ -f "$$f" ] || continue
	    name="$$(basename "$$f" .ts)"
	    case "$$name" in _* | *.d | *.test) continue ;; esac
	    names+=("$$name")
	  done
	fi
	if [ $${#names[@]} -eq 0 ]; then echo "make bench: no benchmark in bench/ (bench/<name>.ts)" >&2; exit 1; fi
	mkdir -p bench/results
	marker="$$(mktemp)"
	trap 'rm -f "$$marker"' EXIT
	for name in "$${names[@]}"; do
	  file="bench/$$name.ts"
	  out="bench/results/$$name.json"
	  if [ ! -f "$$file" ]; then echo "make bench: $$file does not exist" >&2; exit 1; fi
	  if grep -Eq "(from|import\()[[:space:]]*[\"']hardhat[\"']" "$$file"; then
	    run=(npx hardhat run "$$file")
	  else
	    run=(node --import tsx "$$file")
	  fi
	  echo "==> bench $$name: $${run[*]}"
	  touch "$$marker"
	  "$${run[@]}"
	  if [ ! "$$out" -nt "$$marker" ]; then echo "make bench: $$file did not write $$out" >&2; exit 1; fi
	  echo "==> bench $$name: wrote $$out"
	done

# The local consortium (scripts/local/up.ts): durable Hardhat chain, contracts, demo consortium by
# governance, demo data, node (indexer + scoring + gateway). UP_ARGS="--fresh" starts over.
UP_ARGS ?=
up: deps
	@$(BOOTSTRAP)
	npx hardhat build --quiet
	exec node --import tsx scripts/local/up.ts $(UP_ARGS)

# Needs nothing installed: no bootstrap. Keeps .tools/ (the pinned Node) and node_modules/.
clean:
	@rm -rf artifacts cache types typechain-types coverage .data
	echo "clean: removed artifacts, cache, types, typechain-types, coverage, .data"

# ------------------------------------------------------------------------------------------------
# Fabric back end (docs/fabric.md). The Go programs are built once per machine into .tools/fabric;
# the network's data, logs and pid files live in .data/fabric.
# ------------------------------------------------------------------------------------------------

.PHONY: fabric-install chaincode fabric-up fabric-down fabric-reset fabric-health

# Needs Go, not Node.
fabric-install:
	@scripts/fabric-install.sh

# Compiles chaincode/ (with what it uses from core/) into chaincode/dist.
chaincode: deps
	@$(BOOTSTRAP)
	npx tsc -p chaincode/tsconfig.json
	echo "chaincode: built chaincode/dist"

# 3 Raft orderers, 2 organisations with a peer each, TLS, channel "credtrail", chaincode as a service.
fabric-up: deps fabric-install
	@$(BOOTSTRAP)
	scripts/fabric-network.sh up

fabric-down:
	@scripts/fabric-network.sh down

fabric-reset:
	@scripts/fabric-network.sh reset

fabric-health:
	@scripts/fabric-network.sh health
