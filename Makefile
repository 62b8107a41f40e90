# FedSwift: the two quick-start commands are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
BUILD_FLAGS ?= -Xswiftc -warnings-as-errors

.PHONY: all build release demo test test-swift test-python proto-check deps bench clean

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

## test: generated-code check, Swift tests, Python tests
test: deps proto-check
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build

## test-python: the Python SDK's tests (venv in Clients/python/.venv)
test-python:
	Clients/python/run-tests.sh

proto-check:
	Proto/generate.sh --check

clean:
	rm -rf .build
