# arena-server: `make run` starts the daemon, `make test` runs every test.
SWIFT      ?= swift
CONFIG     ?= config/arena-server.json
RELEASE_BIN = .build/release/arena-server

.PHONY: all deps build release run test bench clean

all: build

deps:
	@scripts/install-deps.sh build

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product arena-server

run: release
	$(RELEASE_BIN) --config $(CONFIG)

test: deps
	@scripts/install-deps.sh test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	@scripts/install-deps.sh bench
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark

clean:
	rm -rf .build Benchmarks/.build
