# SPDX-License-Identifier: MIT
# Python bindings: python/memmirror (ctypes for regions and mirrors, the C
# extension memmirror._ring for the ring's per-record path).
#
#   make python         the extension, built in place beside the package
#                       (linked to $(BUILD)'s shared library, found by rpath)
#   make check-python   the pytest suite
#   make bench-python   Ring vs a numpy shared_memory ring, os.pipe, Queue
#   make check-python-asan  the ring tests, extension under ASan/UBSan
#
# pip builds the same extension through setup.py / pyproject.toml.

PY_CFG := $(shell $(PYTHON) -c 'import sysconfig, numpy; \
	print(sysconfig.get_config_var("EXT_SUFFIX"), sysconfig.get_paths()["include"], \
	numpy.get_include())' 2>/dev/null)
PY_EXT = python/memmirror/_ring$(word 1,$(PY_CFG))
PY_EXT_CFLAGS = -std=c11 -D_GNU_SOURCE $(MMR_WARN) -fPIC -pthread -fno-strict-aliasing \
	-Iinclude -I$(word 2,$(PY_CFG)) -I$(word 3,$(PY_CFG)) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)

PY_ENV = PYTHONPATH=$(abspath python) PYTHONDONTWRITEBYTECODE=1

.PHONY: python check-python bench-python

CHECK_SUITES += check-python

python: $(PY_EXT)

$(PY_EXT): python/memmirror/_ring.c include/memmirror.h $(VERSION_HEADER) $(SHARED_LIB)
	@if [ -z "$(word 3,$(PY_CFG))" ]; then \
		echo "memmirror: $(PYTHON) lacks numpy or its headers (sh scripts/deps.sh lib)" >&2; exit 1; fi
	@$(if $(Q),echo "  PYEXT   $@")
	$(Q)$(CC) $(PY_EXT_CFLAGS) -shared -o $@ $< -L$(BUILD) -lmemmirror \
		-Wl,-rpath,$(abspath $(BUILD)) $(LDLIBS)

check-python: $(SHARED_LIB)
	@if ! $(PYTHON) -c 'import numpy, pytest' 2>/dev/null; then \
		echo "SKIP python: $(PYTHON) lacks numpy or pytest (sh scripts/deps.sh lib installs them)"; \
		echo "0 passed, 0 failed, 1 skipped"; exit 0; fi; \
	$(MAKE) --no-print-directory python && \
	$(PY_ENV) $(PYTHON) -m pytest -q -rs -p no:cacheprovider python/tests

bench-python: python
	$(PY_ENV) $(PYTHON) python/bench/ring_bench.py $(BENCH_ARGS)

# make install: the package's files and the extension, linked for $(LIBDIR)
# (an rpath only where the loader does not look by itself). PYTHON_INSTALL=no
# leaves it out (the Debian package builds it with pybuild, with dist-info).
PYTHON_INSTALL ?= yes
PY_INST_EXT = $(BUILD)/python-install/_ring$(word 1,$(PY_CFG))
PY_INST_RPATH = $(if $(filter /usr/lib /usr/lib/% /lib /lib/%,$(LIBDIR)),,-Wl,-rpath,$(LIBDIR))

ifeq ($(PYTHON_INSTALL),yes)
install: install-python
endif

.PHONY: install-python
install-python: $(PY_INST_EXT)
	install -d $(DESTDIR)$(PYTHONDIR)/memmirror
	install -m 644 $(PY_FILES) python/memmirror/py.typed $(DESTDIR)$(PYTHONDIR)/memmirror/
	install -m 755 $(PY_INST_EXT) $(DESTDIR)$(PYTHONDIR)/memmirror/

$(PY_INST_EXT): python/memmirror/_ring.c include/memmirror.h $(VERSION_HEADER) $(SHARED_LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(PY_EXT_CFLAGS) -shared -o $@ $< -L$(BUILD) -lmemmirror $(PY_INST_RPATH) $(LDLIBS)

clean: clean-python
.PHONY: clean-python
clean-python:
	rm -rf python/memmirror/_ring*.so $(BUILD)/python-install $(BUILD)/setuptools \
		python/memmirror.egg-info

# The ring's tests against the extension built with ASan/UBSan (the
# interpreter preloads the runtimes); not part of make check (30-40 s more).
PY_ASAN_DIR = $(BUILD)/python-asan
.PHONY: check-python-asan
check-python-asan: $(SHARED_LIB)
	rm -rf $(PY_ASAN_DIR) && mkdir -p $(PY_ASAN_DIR)
	cp -r python/memmirror python/tests $(PY_ASAN_DIR)/
	rm -f $(PY_ASAN_DIR)/memmirror/*.so
	$(CC) $(PY_EXT_CFLAGS) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=all -shared -o $(PY_ASAN_DIR)/memmirror/_ring$(word 1,$(PY_CFG)) \
		python/memmirror/_ring.c -L$(BUILD) -lmemmirror -Wl,-rpath,$(abspath $(BUILD)) $(LDLIBS)
	cd $(PY_ASAN_DIR) && LD_PRELOAD="$$($(CC) -print-file-name=libasan.so):$$($(CC) -print-file-name=libubsan.so)" \
		ASAN_OPTIONS=detect_leaks=0 PYTHONDONTWRITEBYTECODE=1 $(PYTHON) -m pytest -q -p no:cacheprovider \
		tests/test_ring.py tests/test_ring_lifecycle.py tests/test_ring_threads.py \
		tests/test_ring_asyncio.py tests/test_badinput.py
