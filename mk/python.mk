# SPDX-License-Identifier: MIT
# Python bindings (python/memmirror, pure Python over libmemmirror.so.0).
#
#   make check-python   the pytest suite, against $(BUILD)'s shared library
#   make bench-python   numpy consumer: mmr ring vs shared_memory vs pipe

PY_ENV = MEMMIRROR_LIBRARY=$(abspath $(BUILD))/libmemmirror.so.$(SOVERSION) \
	PYTHONPATH=$(abspath python) PYTHONDONTWRITEBYTECODE=1

.PHONY: check-python bench-python

CHECK_SUITES += check-python

check-python: $(SHARED_LIB)
	@if ! $(PYTHON) -c 'import numpy, pytest' 2>/dev/null; then \
		echo "SKIP python: $(PYTHON) lacks numpy or pytest (sh scripts/deps.sh lib installs them)"; \
		echo "0 passed, 0 failed, 1 skipped"; exit 0; fi; \
	$(PY_ENV) $(PYTHON) -m pytest -q -rs -p no:cacheprovider python/tests

bench-python: $(SHARED_LIB)
	$(PY_ENV) $(PYTHON) python/bench/ring_bench.py $(BENCH_ARGS)
