# fluxcore's build entry points. Fresh machine: `make demo` runs the main job and
# `make test` passes the tests; both need only Go and gcc. CUDA work needs `make cuda-deps`.
SHELL   := bash
.SHELLFLAGS := -o pipefail -ec
GO      ?= go
BUILD   := build
TESTFLAGS ?=

.PHONY: fuzz all cpu-stamp build demo test vet unit conformance sanitize stress bench kernels kernels-check \
        cuda-deps cuda-check lib lib-deps lib-test lib-bench python-test wheel install cmake-build clean \
        slurm-deps slurm-test batch-bench proto proto-check serve-bench serve-soak serve-flood

all: build

# cgo does not notice edits to the kernel sources it includes from kernels/; this stamp does.
cpu-stamp:
	@$(GO) run ./kernels/gen -cpu

# -buildvcs=auto stamps the commit into `fluxcore version` even where GOFLAGS turns it off;
# outside a git checkout it stamps nothing.
build: cpu-stamp
	$(GO) build -buildvcs=auto -o $(BUILD)/fluxcore ./cmd/fluxcore

# The main job: where fluxcore runs on this machine, and how fast its kernels are there.
demo: build
	$(BUILD)/fluxcore info
	@echo
	$(BUILD)/fluxcore bench --suite mix --iters 30
	@echo
	$(BUILD)/fluxcore demo fno --plot $(BUILD)/heat_boundary.png
	@echo
	$(BUILD)/fluxcore conserve gpme --problem pme --plot $(BUILD)/gpme_pme.png
	@echo
	$(BUILD)/fluxcore plan --scenario examples/corridor.json --plot $(BUILD)/plan_corridor.png

# The test command CI runs: vet, the unit tests under the race detector (go test ./kernels
# is the generated-kernel freshness check; engine/cpu's guard-page test and a short stress
# run of `fluxcore fno` are among them), the conformance suite on every CPU variant, the
# same suite under the C sanitizers, the C ABI example, and the Slurm example on a real
# single-node Slurm.
test: vet unit conformance sanitize lib-test python-test slurm-test

# go vet and staticcheck (pinned), both clean.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
vet:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

unit: cpu-stamp
	$(GO) test -race -count=1 $(TESTFLAGS) ./...

# One line per backend and CPU variant: PASS where the machine has it, SKIP (with the
# reason) where it does not, and the failing cases (`make unit` prints their messages).
conformance: cpu-stamp
	$(GO) test -count=1 -run 'TestConformance' -v ./engine/enginetest | \
		grep -E '^\s*--- (PASS|FAIL|SKIP): TestConformance/(cpu/[^/ ]+|cuda(/[^/ ]+)?) |--- FAIL|^(ok|FAIL)|helpers.go'

# The conformance suite with the C kernels built under AddressSanitizer and UndefinedBehavior-
# Sanitizer and every buffer on the C heap, inside ASan's red zones (FLUXCORE_CPU_MEMORY=c).
# It checks the kernels' own scratch memory and undefined behaviour. GCC vectorizes
# differently under the sanitizers, so it cannot replace engine/cpu's guard-page test, which
# checks the code that ships.
SANITIZE_CFLAGS := -g -fno-var-tracking-assignments -fno-omit-frame-pointer -fsanitize=undefined -fno-sanitize-recover=undefined
sanitize: cpu-stamp
	FLUXCORE_CPU_MEMORY=c CGO_CFLAGS="$(SANITIZE_CFLAGS)" CGO_LDFLAGS="-fsanitize=undefined" \
		$(GO) test -asan -count=1 -run 'TestConformance' ./engine/enginetest

# `fluxcore fno` on one to three samples as its own process, 300 times per CPU variant on
# Go's heap and 30 with guard pages; zero crashes expected. `make test` runs 12 and 6.
stress: cpu-stamp
	FLUXCORE_STRESS_RUNS=300 $(GO) test -count=1 -run 'TestStressSmallBatches' -v ./cmd/fluxcore | \
		grep -E 'stress_test|^(--- |ok|FAIL)'

# Native Go fuzzing, FUZZTIME per target (CI runs 10s each). Every target also checks the
# hostile-input invariants: no panic, memory within the budget, no non-finite output with
# exit 0. Findings land in the package's testdata/fuzz/ as regression cases. Minimizing each
# new input for Go's default 60 s would eat a 10 s run, hence 3 s (scripts/fuzz.sh).
FUZZTIME ?= 60s
FUZZ_TARGETS := ./internal/safetensors:FuzzParse ./npy:FuzzParse64 ./npy:FuzzReadNPZ ./npy:FuzzOpenNPZ \
	./engine/traj:FuzzParseScenario ./engine/fno:FuzzReadConfig ./cmd/fluxcore:FuzzKalmanCommand \
	./cmd/fluxcore:FuzzPlanCommand ./cmd/fluxcore:FuzzConserveCommand ./cmd/fluxcore:FuzzFNOCommand \
	./serve:FuzzDecodeREST
fuzz: cpu-stamp
	scripts/fuzz.sh $(FUZZTIME) $(FUZZ_TARGETS)

bench: cpu-stamp
	$(GO) test -run '^$$' -bench . -benchtime 2s ./bench

# Regenerate the fatbin, its manifest and the typed launchers from kernels/ (needs nvcc).
kernels:
	$(GO) run ./kernels/gen

kernels-check:
	$(GO) run ./kernels/gen -check

# The Open Inference Protocol's gRPC code, generated from serve/inferencepb's .proto with
# Debian's protoc and pinned Go generators (scripts/proto.sh installs what is missing);
# proto-check fails if the committed code is stale.
proto:
	bash scripts/proto.sh
proto-check:
	bash scripts/proto.sh --check

# Debian's CUDA 11.8 toolkit (contrib/non-free) and cmake.
cuda-deps:
	bash scripts/install-cuda.sh

# The CUDA build on a machine without a GPU: it must compile, be fresh, and fall back.
cuda-check:
	@command -v nvcc >/dev/null || $(MAKE) cuda-deps
	$(GO) vet -tags cuda ./...
	$(GO) build -tags cuda ./...
	$(GO) test -tags cuda -count=1 ./engine/...
	$(GO) run -tags cuda ./cmd/fluxcore info

# libfluxcore.so and libfluxcore.a with the hand-written header beside them. The shared
# library exports the C ABI only (bindings/capi/exports.map) and its SONAME carries the
# header's FLUXCORE_ABI_VERSION, the one source of that number.
ABI_VERSION := $(shell sed -n 's/^.define FLUXCORE_ABI_VERSION \([0-9]*\)$$/\1/p' bindings/include/fluxcore.h)
# (go build caches links by their flags, not by the files they name: the script's checksum in
# an unused -X makes an edit to it relink.)
LIB_LINK    := -extldflags '-Wl,--version-script=$(CURDIR)/bindings/capi/exports.map -Wl,-soname,libfluxcore.so.$(ABI_VERSION)' \
               -X main.exportsMap=$(shell sha256sum bindings/capi/exports.map | cut -c1-16)
# Go does not cache the packages of a c-shared or c-archive build (about 35 s each here), so
# the libraries are file targets that rebuild only when a source changed.
LIB_SOURCES := go.mod go.sum bindings/capi/exports.map \
               $(shell find engine kernels internal fft npy bindings/capi bindings/include \
                       -name '*.go' -o -name '*.c' -o -name '*.h' -o -name '*.fatbin' | grep -v _test.go)
lib: $(BUILD)/libfluxcore.so $(BUILD)/libfluxcore.a $(BUILD)/fluxcore.h

$(BUILD)/libfluxcore.so: $(LIB_SOURCES)
	@$(GO) run ./kernels/gen -cpu
	$(GO) build -buildvcs=auto -buildmode=c-shared -ldflags="$(LIB_LINK)" -o $@ ./bindings/capi
	rm -f $(BUILD)/libfluxcore.h
	ln -sf libfluxcore.so $@.$(ABI_VERSION)

$(BUILD)/libfluxcore.a: $(LIB_SOURCES) scripts/localize-archive.sh
	@$(GO) run ./kernels/gen -cpu
	$(GO) build -buildmode=c-archive -o $(BUILD)/libfluxcore-go.a ./bindings/capi
	bash scripts/localize-archive.sh $(BUILD)/libfluxcore-go.a $@ bindings/include/fluxcore.h
	rm -f $(BUILD)/libfluxcore.h $(BUILD)/libfluxcore-go.a

$(BUILD)/fluxcore.h: bindings/include/fluxcore.h
	@mkdir -p $(BUILD)
	cp $< $@

# Installs the library, its header, fluxcore.pc (pkg-config) and the CMake package config
# (find_package(fluxcore)) under PREFIX.
PREFIX ?= /usr/local
install: lib
	install -d $(PREFIX)/lib/pkgconfig $(PREFIX)/lib/cmake/fluxcore $(PREFIX)/include
	install -m 755 $(BUILD)/libfluxcore.so $(PREFIX)/lib/libfluxcore.so.$(ABI_VERSION)
	ln -sf libfluxcore.so.$(ABI_VERSION) $(PREFIX)/lib/libfluxcore.so
	install -m 644 $(BUILD)/libfluxcore.a $(PREFIX)/lib/libfluxcore.a
	install -m 644 bindings/include/fluxcore.h $(PREFIX)/include/fluxcore.h
	sed -e 's|@PREFIX@|$(abspath $(PREFIX))|' -e 's|@ABI@|$(ABI_VERSION)|' bindings/pkgconfig/fluxcore.pc.in \
		> $(PREFIX)/lib/pkgconfig/fluxcore.pc
	for f in fluxcoreConfig fluxcoreConfigVersion; do \
		sed 's|@ABI@|$(ABI_VERSION)|' bindings/cmake/$$f.cmake.in > $(PREFIX)/lib/cmake/fluxcore/$$f.cmake; done

# Slurm and munge from Debian, for the Slurm example's test.
slurm-deps:
	bash scripts/install-slurm-deps.sh

# deploy/slurm's array job and merge on a single-node Slurm started for the test, compared
# byte for byte with `fluxcore fno` (scripts/slurm-local.sh).
slurm-test: build slurm-deps
	bash scripts/slurm-local.sh $(BUILD)

# The batch runner's targets: throughput against `bench fno`, and peak memory over a 2.1 GB
# input (not in CI: it writes GBs and takes minutes). GB=0 skips the memory run.
GB ?= 2.1
batch-bench: build
	bash bench/batch_bench.sh $(BUILD) $(GB)

# fluxcore serve against offline forwards (throughput, p50/p99), a soak of MINUTES
# (default 10) that samples the server's goroutines and memory, and the peak memory under
# a flood of large gRPC messages; none runs in CI.
serve-bench: build
	bash bench/serve_bench.sh $(BUILD)
serve-soak: build
	bash bench/serve_soak.sh $(BUILD) $(MINUTES)
serve-flood: build
	bash bench/serve_flood.sh $(BUILD)

# g++, cmake, pkg-config and NumPy from Debian, for the bindings' tests.
lib-deps:
	bash scripts/install-lib-deps.sh

# The C ABI: exports and SONAME, then scripts/lib-test.sh (abi_test plain and under
# ASan/UBSan, the C and C++ examples through CMake's find_package and pkg-config).
lib-test: lib lib-deps
	bash scripts/check-lib.sh $(BUILD)/libfluxcore.so bindings/include/fluxcore.h $(BUILD)/libfluxcore.a
	$(MAKE) --no-print-directory install PREFIX=$(BUILD)/prefix >/dev/null
	bash scripts/lib-test.sh $(BUILD)

# The Python package (bindings/python): unit tests in-tree, an offline pip install, the wheel.
python-test: lib lib-deps
	bash scripts/python-test.sh $(BUILD)

# What a call costs: from C (the minimal call and a warm small forward), then from Python.
lib-bench: lib
	$(CC) -O2 -Wall -Wextra -Werror -Ibindings/include bindings/tests/overhead.c -L$(BUILD) -lfluxcore -lm \
		-Wl,-rpath,'$$ORIGIN' -o $(BUILD)/overhead
	$(BUILD)/overhead engine/fno/testdata/golden
	/usr/bin/python3 bindings/python/bench_overhead.py

# A wheel of the Python package with the library inside it, in $(BUILD)/wheel.
wheel: lib lib-deps
	PIP_ROOT_USER_ACTION=ignore /usr/bin/python3 -m pip wheel --no-build-isolation --no-index --no-deps -w $(BUILD)/wheel ./bindings/python

# The same library and example, plus the kernels when a CUDA compiler is found, via CMake.
cmake-build:
	cmake -S . -B $(BUILD)/cmake
	cmake --build $(BUILD)/cmake
	cd $(BUILD)/cmake && ctest --output-on-failure

clean:
	rm -rf $(BUILD)
