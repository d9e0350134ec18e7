# SPDX-License-Identifier: MIT
# Ring buffer: the peers that `mmr bench ring` runs beside mmr_ring, each a
# program of its own so that mmr links none of their libraries.
#
#   make bench-peers    all of them: GNU Radio (its packages come from
#                       scripts/deps.sh gnuradio) and the C peers
#   make bench-peers-c  $(BUILD)/bench-zmq (ZeroMQ ipc://), bench-ck
#                       (Concurrency Kit ck_ring), bench-dpdk (DPDK rte_ring):
#                       their packages come from scripts/deps.sh bench
# A build installs nothing: a missing package is named, with the command
# that installs it, and the build stops.
#   make bench-ring     build everything and run `mmr bench ring`

CXX ?= c++
GR_PKG := gnuradio-runtime

.PHONY: bench-peers bench-peers-c bench-ring

BENCH_PEERS_C := $(BUILD)/bench-zmq $(BUILD)/bench-ck $(BUILD)/bench-dpdk
bench-peers: $(BUILD)/bench-gnuradio $(BENCH_PEERS_C)
bench-peers-c: $(BENCH_PEERS_C)

PEER_CFLAGS = -std=c11 -D_GNU_SOURCE $(MMR_WARN) -pthread $(CPPFLAGS) $(CFLAGS)
PEER_DEPS := bench/peers/peer_stream.h bench/parse.h bench/wait_sum.h scripts/deps.sh

# deps.sh --check says nothing when the packages are there.
$(BUILD)/bench-zmq: bench/peers/zmq_ipc.c $(PEER_DEPS)
	@sh scripts/deps.sh --check bench
	@mkdir -p $(dir $@)
	$(CC) $(PEER_CFLAGS) $$(pkg-config --cflags libzmq) -o $@ $< $$(pkg-config --libs libzmq) $(LDFLAGS)

$(BUILD)/bench-ck: bench/peers/ck_ring.c $(PEER_DEPS)
	@sh scripts/deps.sh --check bench
	@mkdir -p $(dir $@)
	$(CC) $(PEER_CFLAGS) -o $@ $< -lck $(LDFLAGS)

# rte_ring on memory of ours: librte_ring and the EAL library it links,
# not the whole of DPDK that pkg-config --libs lists; no EAL init.
$(BUILD)/bench-dpdk: bench/peers/dpdk_ring.c $(PEER_DEPS)
	@sh scripts/deps.sh --check bench
	@mkdir -p $(dir $@)
	$(CC) $(PEER_CFLAGS) $$(pkg-config --cflags libdpdk) -o $@ $< -lrte_ring -lrte_eal $(LDFLAGS)

$(BUILD)/bench-gnuradio: bench/peers/gnuradio_ring.cc
	@pkg-config --exists $(GR_PKG) || sh scripts/deps.sh --check gnuradio
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -O2 -g -pthread $$(pkg-config --cflags $(GR_PKG)) -o $@ $< \
		$$(pkg-config --libs $(GR_PKG)) -lfmt -lspdlog -pthread

bench-ring: $(BUILD)/mmr
	$(BUILD)/mmr bench ring
