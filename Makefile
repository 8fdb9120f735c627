# arena-server: `make run` starts the daemon, `make test` runs every test.
SWIFT      ?= swift
CONFIG     ?= config/arena-server.json
RELEASE_BIN = .build/release/arena-server
# Extra flags for every build of the root package; CI sets `-Xswiftc -warnings-as-errors`.
SWIFT_BUILD_FLAGS ?=

# cargo, for the bumpalo reference of `make bench` (rustup puts it in ~/.cargo/bin, often not on PATH).
CARGO      ?= $(shell command -v cargo 2>/dev/null || { [ -x $(HOME)/.cargo/bin/cargo ] && echo $(HOME)/.cargo/bin/cargo; })

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

.PHONY: all deps revision build release run test consumer-check docs lint bench bench-check bench-bumpalo \
	bench-callgrind bench-http bench-idle bench-follow bench-trace-memory dashboard-screenshot stress install \
	install-files clean test-asan test-tsan fuzz fuzz-api openapi

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

# A test run that hangs fails after TEST_TIMEOUT seconds (the whole group: the test process and the daemons it
# started) instead of holding CI until its own limit; a run takes a few minutes.
TEST_TIMEOUT ?= 1800
test: deps revision
	@scripts/install-deps.sh test
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	timeout --kill-after=30 $(TEST_TIMEOUT) $(SWIFT) test --skip-build

# Every test under AddressSanitizer (leak checking on, ArenaCore's poisoning of released arena memory on), and
# the concurrent suites under ThreadSanitizer with ArenaLock's annotations (zero reports required), then the
# canaries that prove a race is reported. Build directories of their own: .build/asan, .build/tsan.
test-asan: deps revision
	@scripts/install-deps.sh test
	SWIFT="$(SWIFT)" SWIFT_BUILD_FLAGS="$(SWIFT_BUILD_FLAGS)" TEST_TIMEOUT=$(TEST_TIMEOUT) scripts/test-sanitizer.sh address
test-tsan: deps revision
	@scripts/install-deps.sh test
	SWIFT="$(SWIFT)" SWIFT_BUILD_FLAGS="$(SWIFT_BUILD_FLAGS)" TEST_TIMEOUT=$(TEST_TIMEOUT) scripts/test-sanitizer.sh thread

# libFuzzer: each target of Fuzz/ for FUZZ_SECONDS (default 60) from its seeds in Fuzz/Corpus; fails on a crash.
FUZZ_SECONDS ?= 60
fuzz: deps
	SWIFT="$(SWIFT)" SWIFT_BUILD_FLAGS="$(SWIFT_BUILD_FLAGS)" FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

# schemathesis against a live debug daemon, from docs/openapi.yaml, for FUZZ_API_SECONDS (default 60; FUZZ_API_SEED to
# repeat a run): any 5xx but a full arena's 507, an undocumented status or content type, or a body that breaks its
# schema fails it. The build is the one `make test` made with the same SWIFT_BUILD_FLAGS (no rebuild in CI).
FUZZ_API_SECONDS ?= 60
fuzz-api: deps revision
	@scripts/install-deps.sh fuzz-api
	$(SWIFT) build $(SWIFT_BUILD_FLAGS) --product arena-server
	FUZZ_API_SECONDS=$(FUZZ_API_SECONDS) scripts/fuzz-api.sh "$$($(SWIFT) build $(SWIFT_BUILD_FLAGS) --show-bin-path)/arena-server"

# After editing docs/openapi.yaml: validates it and embeds it in Sources/ArenaHTTP/API/OpenAPIDocument.swift, the
# bytes `GET /openapi.yaml` serves (OpenAPIContractTests fails while the two differ).
openapi:
	@scripts/install-deps.sh test
	.build/python/bin/openapi-spec-validator docs/openapi.yaml
	scripts/embed-openapi.sh

# README for a Swift developer: a package of its own depends on this checkout by path through a folder of another
# name (README's manifest), runs README's library example and the DocC article's code, pasted from their fences,
# and checks that they print what their comments say. Builds ArenaCore only (under a minute from nothing).
consumer-check: deps
	@scripts/consumer-check.sh

# The DocC documentation of ArenaCore (Sources/ArenaCore/ArenaCore.docc and the doc comments); fails on any
# warning (an unresolved link, an undocumented parameter, ...). The archive is .build/plugins/Swift-DocC/outputs.
docs: deps
	@log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	$(SWIFT) package generate-documentation --target ArenaCore >"$$log" 2>&1; status=$$?; cat "$$log"; \
	if [ $$status -ne 0 ] || grep -qE "(warning|error):" "$$log"; then \
		echo "make docs: DocC failed or warned (above)" >&2; exit 1; fi

# Formatting and style: swift-format (part of the toolchain) with .swift-format, warnings as errors.
lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests Benchmarks/Package.swift \
		Benchmarks/ArenaBenchmarks Benchmarks/Tools Fuzz/Package.swift Fuzz/Targets

# Runs every benchmark once (about 20 s after the first build), with the bumpalo reference just before and just
# after it, then prints ns/op, the ratio to the system allocator and the library ratios of the performance
# targets, all from this session. The reports are kept in Benchmarks/.build/ (benchmark-report.txt, bumpalo-*.txt).
bench: deps
	@scripts/install-deps.sh bench
	mkdir -p Benchmarks/.build
	@$(MAKE) --no-print-directory bench-bumpalo BUMPALO_REPORT=Benchmarks/.build/bumpalo-before.txt
	cd Benchmarks && bash -o pipefail -c '$(SWIFT) package --allow-writing-to-package-directory benchmark \
		--no-progress | tee .build/benchmark-report.txt'
	@$(MAKE) --no-print-directory bench-bumpalo BUMPALO_REPORT=Benchmarks/.build/bumpalo-after.txt
	@scripts/bench-summary.sh Benchmarks/.build/benchmark-report.txt Benchmarks/.build/bumpalo-before.txt \
		Benchmarks/.build/bumpalo-after.txt

# The bumpalo reference (Benchmarks/bumpalo, built offline against Debian's librust-bumpalo-dev): says so and
# skips, without failing, when cargo or the crate is missing.
BUMPALO_REPORT ?= Benchmarks/.build/bumpalo.txt
bench-bumpalo:
	@mkdir -p $(dir $(BUMPALO_REPORT))
	@if [ -n "$(CARGO)" ] && ls -d /usr/share/cargo/registry/bumpalo-3.* >/dev/null 2>&1; then \
		cd Benchmarks/bumpalo && "$(CARGO)" build --release --offline --quiet --target-dir ../.build/bumpalo && \
		cd ../.. && Benchmarks/.build/bumpalo/release/bumpalo-reference | tee $(BUMPALO_REPORT); \
	else \
		echo "bench-bumpalo: skipped: needs cargo and Debian's librust-bumpalo-dev" \
			"(apt-get install librust-bumpalo-dev)" | tee $(BUMPALO_REPORT); \
	fi

# The HTTP benchmark: the release daemon against a minimal C libmicrohttpd server (Benchmarks/http/reference.c)
# serving the bytes the daemon answered, route by route; wrk runs interleaved for ROUNDS rounds of DURATION
# seconds (defaults 5 and 5: about 8 minutes). Prints req/s, p50/p99 latency, CPU per request and the ratios;
# writes Benchmarks/.build/bench-http.md. Run it on a quiet machine.
bench-http: deps revision
	@scripts/install-deps.sh bench
	python3 Benchmarks/http/bench.py

# Wake-ups and CPU of the idle release daemon, then whether a live follower sees every event at full speed.
bench-idle: release
	python3 Benchmarks/http/idle.py
bench-follow: release
	python3 Benchmarks/http/follow.py
# Resident memory per traced arena (10,000 traced 4 KiB arenas with 10 events each).
bench-trace-memory: release
	python3 Benchmarks/http/trace-memory.py

# Instructions per operation of each benchmark's measured loop, from callgrind (stable where times are not).
bench-callgrind: deps
	@command -v valgrind >/dev/null || { echo "bench-callgrind: installing valgrind" >&2; apt-get install -y -qq valgrind >/dev/null; }
	@CARGO="$(CARGO)" scripts/bench-callgrind.sh

# The malloc gate: fails (non-zero exit) when an arena benchmark mallocs more per iteration than
# Benchmarks/Thresholds/*.p90.json allow.
# One retry: on a loaded machine the harness's own mallocs per iteration (Harness.empty, an empty closure) were
# seen at 18 instead of 16 in the p90, which fails every row at once; a malloc in an arena path fails both runs.
bench-check: deps
	@scripts/install-deps.sh bench
	cd Benchmarks && { $(SWIFT) package benchmark thresholds check --no-progress || { \
		echo "bench-check: over the thresholds; running once more (see the Makefile)" >&2; \
		$(SWIFT) package benchmark thresholds check --no-progress; }; }

# Refreshes docs/dashboard.png: a real daemon under 20 s of mixed traffic, its dashboard in headless Chromium
# (DashboardBrowserTests/screenshotForTheReadme, not part of `make test`).
dashboard-screenshot: deps
	@ARENA_INSTALL_CHROMIUM=1 scripts/install-deps.sh test
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)
	ARENA_DASHBOARD_SCREENSHOT=$(CURDIR)/docs/dashboard.png $(SWIFT) test --skip-build \
		--filter DashboardBrowserTests/screenshotForTheReadme

# Load with faults (scripts/stress.py): the debug daemon on a free loopback port, STRESS_CONNECTIONS client
# connections for STRESS_SECONDS mixing allocations, blobs, resets, reads and event streams with arenas created and
# deleted, clients dropping mid-request and mid-upload, slow clients and garbage. Prints the figures and fails on
# a 5xx, an allocation count that differs from arena_allocations_total, a foreign blob byte, a crash, a slow normal
# client or RSS growth. Builds with SWIFT_BUILD_FLAGS, as `make test` does, so CI does not build twice.
STRESS_SECONDS     ?= 60
STRESS_CONNECTIONS ?= 64
stress: deps revision
	$(SWIFT) build $(SWIFT_BUILD_FLAGS) --product arena-server
	STRESS_SECONDS=$(STRESS_SECONDS) STRESS_CONNECTIONS=$(STRESS_CONNECTIONS) python3 scripts/stress.py \
		"$$($(SWIFT) build $(SWIFT_BUILD_FLAGS) --show-bin-path)/arena-server"

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
	rm -rf .build Benchmarks/.build Fuzz/.build
