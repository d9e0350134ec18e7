# SPDX-License-Identifier: GPL-2.0
# Kernel side of memmirror: the MREMAP_MIRROR series, a test kernel, and its checks.
# Included from the top-level Makefile (include kernel/kernel.mk), or run on its own
# from the repository root: make -f kernel/kernel.mk kernel-check
# See kernel/README.md.

KERNEL_LIB_TESTS ?= 1
# The scripts run their own make -j2 on the kernel: keep our jobserver out of it.
KERNEL_RUN := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL

.PHONY: kernel-lib-tests kernel-lib-tests32 kernel kernel-base kernel-debug kernel-tree kernel-export kernel-check \
	kernel-check-debug kernel-checkpatch kernel-man-patch kernel-tests kernel-bench kernel-bench-variants kernel-lsm-recheck-demo kernel-bisect kernel-rebase kernel-base-status kernel-base-check kernel-clean

# Patched kernel: build/kernel/bzImage and build/kernel/usr/include.
kernel:
	$(KERNEL_RUN) kernel/scripts/src.sh
	$(KERNEL_RUN) kernel/scripts/build.sh build/kernel-src build/kernel

# Unpatched kernel, same config: build/kernel-base/bzImage.
kernel-base:
	$(KERNEL_RUN) kernel/scripts/src.sh
	$(KERNEL_RUN) kernel/scripts/build.sh build/kernel-src-base build/kernel-base

# Patched kernel with kernel/config-debug (KASAN, lockdep, DEBUG_VM...): build/kernel-debug.
kernel-debug:
	$(KERNEL_RUN) kernel/scripts/src.sh
	$(KERNEL_RUN) kernel/scripts/build.sh build/kernel-src build/kernel-debug kernel/config-debug

# A git tree to hack in: the pristine source (tag "pristine") plus the series.
kernel-tree:
	$(KERNEL_RUN) kernel/scripts/src.sh
	@echo "kernel tree: build/kernel-src (branch series, pristine..series = kernel/patches);"
	@echo "commit there, then 'make kernel-export' to update kernel/patches"

# Re-export the commits of the tree into kernel/patches.
kernel-export:
	$(KERNEL_RUN) kernel/scripts/export.sh

kernel-tests: kernel
	$(KERNEL_RUN) kernel/scripts/tests.sh

# MREMAP_POPULATE against MADV_POPULATE_READ and touching, in the patched VM.
kernel-bench:
	$(KERNEL_RUN) kernel/scripts/bench.sh

# The same, on the series plus kernel/bench/experiments/review-experiments.patch: the
# copier (d) and other ways to populate ((e) through ->map_pages, (f) with
# vm_normal_page(), (g) v3's copier loop) side by side (issue 23, B6). A lock-hold
# run adds nothing there: LOCKHOLD_ARGS="1024 1" keeps it short.
kernel-bench-variants:
	BENCH_EXPERIMENT=kernel/bench/experiments/review-experiments.patch \
	LOCKHOLD_ARGS="$${LOCKHOLD_ARGS:-1024 1}" $(KERNEL_RUN) kernel/scripts/bench.sh

# The LSM recheck selftest passes with the recheck and fails without it (experiment kernel).
kernel-lsm-recheck-demo:
	$(KERNEL_RUN) kernel/scripts/lsm-recheck-demo.sh

kernel-checkpatch:
	$(KERNEL_RUN) kernel/scripts/checkpatch.sh

# kernel/man/mremap.2 as a patch against man-pages (Debian's manpages-dev), for linux-man.
kernel-man-patch:
	$(KERNEL_RUN) kernel/scripts/man-patch.sh

# Move the series to another version of Debian's kernel source (kernel/BASE):
# make kernel-rebase TO=6.12.119-1~deb12u1; after a conflict, CONTINUE=1.
kernel-rebase:
	$(KERNEL_RUN) TO="$(TO)" CONTINUE="$(CONTINUE)" kernel/scripts/rebase.sh

# The pinned base against the newest version Debian serves (a warning, never a failure).
kernel-base-status:
	@$(KERNEL_RUN) kernel/scripts/base-status.sh

# The pinned-base logic of src.sh, on fake tarballs (seconds, no kernel build).
kernel-base-check:
	$(KERNEL_RUN) kernel/tests/base.sh

# Every prefix of the series builds, with no warning in the files each patch touches,
# and passes (or skips) the selftests it has, booted in the VM (BISECT_TESTS=0: builds
# only; BISECT_FROM=N: from prefix N on).
kernel-bisect:
	$(KERNEL_RUN) kernel/scripts/bisect.sh

# Both kernels, the selftests on both, the library's tests and a short stress run
# (STRESS_S, default 20 s) on the patched one.
ifeq ($(KERNEL_LIB_TESTS),1)
kernel-check: kernel-lib-tests kernel-lib-tests32
	$(KERNEL_RUN) LIB_TESTS_DIR=$(CURDIR)/build/tests-static \
		LIB_TESTS32_DIR=$(CURDIR)/build/tests-static32 kernel/scripts/check.sh
else
kernel-check:
	$(KERNEL_RUN) kernel/scripts/check.sh
endif

# The library's static test programs, for the VMs (when the top Makefile has them).
kernel-lib-tests:
	@if [ -f tests/run.sh ] && $(MAKE) -C $(CURDIR) -n tests-static >/dev/null 2>&1; then \
		$(MAKE) -C $(CURDIR) tests-static; \
	else \
		echo "[kernel] no tests-static target or tests/run.sh: library tests not run"; \
	fi

# The same as i386 code, on x86-64 hosts only (gcc -m32): the library32 row.
# Elsewhere no build/tests-static32, and so no row.
kernel-lib-tests32:
	@rm -rf build/tests-static32
	@if [ "$$(uname -m)" != x86_64 ]; then \
		echo "[kernel] not an x86-64 host: no 32-bit library tests"; \
	elif [ -f tests/run.sh ] && $(MAKE) -C $(CURDIR) -n tests-static32 >/dev/null 2>&1; then \
		$(MAKE) -C $(CURDIR) tests-static32; \
	else \
		echo "[kernel] no tests-static32 target or tests/run.sh: 32-bit library tests not run"; \
	fi

# The debug kernel: selftests, the library, then the random stress (STRESS_S seconds,
# default 60, 30 in CI; STRESS_SEED=N replays a seed; STRESS_KNOWN=none checks every
# known issue). In CI (CI set) the library suite runs once, in kernel-check's patched
# VM, not again here (kernel/README.md, "CI").
KERNEL_DEBUG_LIB_TESTS ?= $(if $(CI),0,$(KERNEL_LIB_TESTS))
ifeq ($(KERNEL_DEBUG_LIB_TESTS),1)
kernel-check-debug: kernel-lib-tests
	$(KERNEL_RUN) LIB_TESTS_DIR=$(CURDIR)/build/tests-static kernel/scripts/check-debug.sh
else
kernel-check-debug:
	$(KERNEL_RUN) kernel/scripts/check-debug.sh
endif

kernel-clean:
	rm -rf build/kernel build/kernel-base build/kernel-debug build/kernel-o2 build/kernel-bisect build/kernel-bisect-tests build/kernel-tests build/kernel-bench build/kernel-bench-review-experiments build/kernel-o2-review-experiments build/kernel-src-review-experiments build/kernel-lsm-recheck-demo
