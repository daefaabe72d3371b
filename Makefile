# ring1 — the two commands a fresh Debian machine needs are `make run` and `make test`.
# Everything else is CMake (see CMakePresets.json); this file only strings the steps together.

JOBS ?= 2
RELEASE := build/release
RING1 := $(RELEASE)/ring1

.PHONY: deps build debug asan run test bench bench-qemu experiment fuzz fuzz-images fuzz-hypercalls clean

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j$(JOBS)

debug: deps
	cmake --preset debug && cmake --build --preset debug -j$(JOBS)

asan: deps
	cmake --preset asan && cmake --build --preset asan -j$(JOBS) && ctest --preset asan

# The demo: the pv-pagetables kit kernel under the hypervisor (ring 1, hypercalls), then its report with the
# hypervisor's section. A kit kernel under the hypervisor ends with SHUTDOWN_poweroff when kmain returns 0, which
# ring1 reports as exit status 0 (natively the same kernel exits through isa-debug-exit: (0 << 1) | 1 = 1).
run: build
	@cd $(RELEASE)/examples && ../ring1 run pv-pagetables.elf --pv

test: build
	ctest --preset release

# Both tiers on ring1-bench's loops (guest MIPS, flat and paged, and the flush-heavy loop), then, where
# qemu-system-i386 is installed, the same kind of loops side by side with QEMU's TCG in one run
# (bench/speed-vs-qemu.py; BENCH_QEMU_ARGS go to it, e.g. "--reps 5" or "--loops rot,flush-paged").
BENCH_QEMU_ARGS ?=
bench: build
	$(RELEASE)/bench/ring1-bench
	@if command -v qemu-system-i386 >/dev/null; then echo; $(MAKE) --no-print-directory bench-qemu; \
	 else echo "(qemu-system-i386 not installed: no side-by-side table)"; fi

bench-qemu: build
	bench/speed-vs-qemu.py --build $(RELEASE) $(BENCH_QEMU_ARGS)

# The paper's memory-management experiment in every configuration (bench/experiment.sh): a table and a CSV;
# then `ring1 experiment` on the build's suite image: every counter per region to CSV, the ratios to native beside
# the paper's, and plots, in build/release/experiment-out (docs/experiment.md). EXPERIMENT_ARGS go to the
# latter (e.g. EXPERIMENT_ARGS="--pages 300 --batch 7").
EXPERIMENT_ARGS ?=
experiment: build
	bench/experiment.sh $(RING1) $(RELEASE)/examples/pv-pagetables.elf $(RELEASE)/experiment.csv $(RELEASE)/examples/events.elf
	@echo
	$(RING1) experiment --out $(RELEASE)/experiment-out $(EXPERIMENT_ARGS)

fuzz: build
	$(RELEASE)/tests/difftest/ring1-difftest --unbounded --families all

# Mutation fuzzing of the image loaders and of a PV guest's hypercalls (tests/fuzz), without a bound (Ctrl-C to
# stop); failing inputs are saved to build/release/fuzz-failures for tests/fuzz/regressions.
FUZZ := $(RELEASE)/tests/fuzz/ring1-fuzz
fuzz-images: build
	@mkdir -p $(RELEASE)/fuzz-failures
	$(FUZZ) images --seed $$(date +%s) --save $(RELEASE)/fuzz-failures $(RELEASE)/tests/cli/kernels \
	  $(RELEASE)/tests/cli/hello_multiboot.elf $(RELEASE)/tests/hypervisor/pv_hello.elf \
	  $(RELEASE)/tests/debugger/pv_rings.elf tests/fuzz/regressions/images

fuzz-hypercalls: build
	@mkdir -p $(RELEASE)/fuzz-failures
	$(FUZZ) hypercalls --seed $$(date +%s) --save $(RELEASE)/fuzz-failures \
	  --kernel $(RELEASE)/tests/hypervisor/pv_hello.elf tests/fuzz/regressions/hypercalls

clean:
	rm -rf build
