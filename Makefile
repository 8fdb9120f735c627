# arena-server: `make run` starts the daemon, `make test` runs every test.
SWIFT      ?= swift
CONFIG     ?= config/arena-server.json
RELEASE_BIN = .build/release/arena-server
# Extra flags for every build of the root package; CI sets `-Xswiftc -warnings-as-errors`.
SWIFT_BUILD_FLAGS ?=

# `make install`: the conventional places under PREFIX, staged under DESTDIR (packagers).
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
# /etc for a /usr install (a distribution's), PREFIX/etc otherwise (GNU's sysconfdir).
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= /etc
else
SYSCONFDIR ?= $(PREFIX)/etc
endif
# systemd reads units from /usr/lib/systemd/system and /usr/local/lib/systemd/system alike.
UNITDIR    ?= $(PREFIX)/lib/systemd/system
# The binary `install-files` copies; `install` builds it first.
BIN        ?= $(RELEASE_BIN)

.PHONY: all deps revision build release run test consumer-check docs lint bench bench-check install install-files \
	clean

all: build

deps:
	@scripts/install-deps.sh build

# The git revision `--version` and arena_build_info report (a plain `swift build` says `unknown`).
revision:
	@scripts/write-revision.sh

build: deps revision
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

release: deps revision
	$(SWIFT) build -c release --product arena-server

run: release
	$(RELEASE_BIN) --config $(CONFIG)

test: deps revision
	@scripts/install-deps.sh test
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	$(SWIFT) test --skip-build

# README for a Swift developer: a package of its own depends on this checkout by path through a folder of another
# name (README's manifest), runs README's library example and the DocC article's code, pasted from their fences,
# and checks that they print what their comments say. Builds ArenaCore only (under a minute from nothing).
consumer-check:
	@scripts/consumer-check.sh

# The DocC documentation of ArenaCore (Sources/ArenaCore/ArenaCore.docc and the doc comments); fails on any
# warning (an unresolved link, an undocumented parameter, ...). The archive is .build/plugins/Swift-DocC/outputs.
docs:
	@log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	$(SWIFT) package generate-documentation --target ArenaCore >"$$log" 2>&1; status=$$?; cat "$$log"; \
	if [ $$status -ne 0 ] || grep -qE "(warning|error):" "$$log"; then \
		echo "make docs: DocC failed or warned (above)" >&2; exit 1; fi

# Formatting and style: swift-format (part of the toolchain) with .swift-format, warnings as errors.
lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests Benchmarks/Package.swift \
		Benchmarks/ArenaBenchmarks

# Runs every benchmark once (about 20 s after the first build), then prints ns/op and the ratio to the system
# allocator measured in the same run. The report is kept in Benchmarks/.build/benchmark-report.txt.
bench: deps
	@scripts/install-deps.sh bench
	mkdir -p Benchmarks/.build
	cd Benchmarks && bash -o pipefail -c '$(SWIFT) package --allow-writing-to-package-directory benchmark \
		--no-progress | tee .build/benchmark-report.txt'
	@scripts/bench-summary.sh Benchmarks/.build/benchmark-report.txt

# The malloc gate: fails (non-zero exit) when an arena benchmark mallocs more per iteration than
# Benchmarks/Thresholds/*.p90.json allow.
bench-check: deps
	@scripts/install-deps.sh bench
	cd Benchmarks && $(SWIFT) package benchmark thresholds check --no-progress

# Binary, configuration and systemd unit; the unit's paths follow BINDIR and SYSCONFDIR. Example:
#   make install PREFIX=/usr DESTDIR=/tmp/stage   # /tmp/stage/usr/bin/arena-server, /tmp/stage/etc/arena-server/...
install: release
	$(MAKE) install-files

install-files:
	install -D -m 755 $(BIN) $(DESTDIR)$(BINDIR)/arena-server
	install -D -m 644 config/arena-server.json $(DESTDIR)$(SYSCONFDIR)/arena-server/arena-server.json
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|/usr/local/bin/arena-server|$(BINDIR)/arena-server|g' \
		-e 's|/usr/local/etc/arena-server|$(SYSCONFDIR)/arena-server|g' \
		deploy/systemd/arena-server.service >$(DESTDIR)$(UNITDIR)/arena-server.service
	chmod 644 $(DESTDIR)$(UNITDIR)/arena-server.service

clean:
	rm -rf .build Benchmarks/.build
