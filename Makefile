# FedSwift: the two quick-start commands are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
BUILD_FLAGS ?= -Xswiftc -warnings-as-errors

.PHONY: all build release demo test test-swift test-python test-fuzz fuzz test-netns test-deploy proto-check deps bench clean

all: build

deps:
	bash scripts/install-deps.sh

build:
	$(SWIFT) build $(BUILD_FLAGS)

release:
	$(SWIFT) build -c release $(BUILD_FLAGS)

## demo: a small real exchange on loopback (see README)
demo: deps release
	.build/release/fedswift demo

## test: generated-code check, Swift tests, Python tests, deployment files, multi-LAN namespaces test, 20 s of fuzzing
test: deps proto-check test-swift test-python test-deploy test-netns test-fuzz

# Runtime tests start real processes with deadlines: they run on their own, after the rest.
test-swift:
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build --skip FedRuntimeTests
	$(SWIFT) test --skip-build --filter FedRuntimeTests

test-python:
	@if [ -x Clients/python/run-tests.sh ]; then Clients/python/run-tests.sh; else echo "no Python tests yet"; fi

## fuzz: build the FedWire libFuzzer harness (Fuzz/) and fuzz it for FUZZ_SECONDS (default 60)
FUZZ_SECONDS ?= 60
fuzz:
	Fuzz/build.sh
	Fuzz/run.sh $(FUZZ_SECONDS)

# A short bounded fuzzing run inside make test (~40 s build + 20 s fuzzing): must find no crash.
test-fuzz:
	Fuzz/build.sh
	Fuzz/run.sh 20

# Hierarchical federation over network namespaces (root; skips with a message otherwise), ~35 s.
# On a heavily loaded machine a client host has been seen never to join its scheduler (logs are kept
# and named); one retry tells that apart from a real failure, which fails both runs. Then a 20 MB model
# over a 20 Mbit/s link with default heartbeats (~35 s): no connection may drop mid-transfer.
test-netns:
	timeout 300 deploy/netns/hierarchical.sh || { echo "test-netns: first run failed (logs kept above); running it once more"; timeout 300 deploy/netns/hierarchical.sh; }
	timeout 120 deploy/netns/slow-link.sh

# Compose files validated with a compose CLI's `config` (no Docker engine needed).
test-deploy:
	timeout 120 deploy/check-compose.sh

proto-check:
	Proto/generate.sh --check

clean:
	rm -rf .build
