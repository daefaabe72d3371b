# ring1 — the two commands a fresh Debian machine needs are `make run` and `make test`.
# Everything else is CMake (see CMakePresets.json); this file only strings the steps together.

JOBS ?= 2
RELEASE := build/release
RING1 := $(RELEASE)/ring1

.PHONY: deps build debug asan run test bench fuzz clean

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j$(JOBS)

debug: deps
	cmake --preset debug && cmake --build --preset debug -j$(JOBS)

asan: deps
	cmake --preset asan && cmake --build --preset asan -j$(JOBS) && ctest --preset asan

# Kit guests end by writing 0 to isa-debug-exit, which QEMU and ring1 report as exit status (0 << 1) | 1 = 1.
run: build
	@cd $(RELEASE)/examples && ../ring1 run rings.elf; s=$$?; [ $$s -eq 1 ] || { echo "ring1 exited $$s" >&2; exit $$s; }

test: build
	ctest --preset release

bench: build
	$(RELEASE)/bench/ring1-bench

fuzz: build
	$(RELEASE)/tests/difftest/ring1-difftest --unbounded --families all

clean:
	rm -rf build
