# SPDX-License-Identifier: MIT
# Ring buffer: the GNU Radio peer for `mmr bench ring`.
#
#   make bench-peers    install gnuradio-dev if missing (apt-get), then build
#                       $(BUILD)/bench-gnuradio, which `mmr bench ring` runs
#   make bench-ring     build everything and run `mmr bench ring`

CXX ?= c++
GR_PKG := gnuradio-runtime

.PHONY: bench-peers bench-ring

bench-peers: $(BUILD)/bench-gnuradio

$(BUILD)/bench-gnuradio: bench/peers/gnuradio_ring.cc
	@pkg-config --exists $(GR_PKG) || { \
		echo "gnuradio-dev is missing: installing it with apt-get"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			gnuradio-dev libfmt-dev libspdlog-dev pkg-config; }
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -O2 -g -pthread $$(pkg-config --cflags $(GR_PKG)) -o $@ $< \
		$$(pkg-config --libs $(GR_PKG)) -lfmt -lspdlog -pthread

bench-ring: $(BUILD)/mmr
	$(BUILD)/mmr bench ring
