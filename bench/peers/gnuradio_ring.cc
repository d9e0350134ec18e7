// SPDX-License-Identifier: MIT
/*
 * GNU Radio's double-mapped stream buffer (gr::buffer, vmcircbuf) measured
 * the way `mmr bench ring` measures mmr_ring: one producer thread copies
 * records in, one consumer thread parses them in place.
 *
 * usage: bench-gnuradio CAPACITY ROUNDS REC:COUNT...
 * prints JSON lines: {"create_ns": x, "first_create_ns": y} then
 * {"rec": n, "gbps": g} per record size (median of ROUNDS).
 */
#include <gnuradio/buffer.h>
#include "../parse.h"
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <gnuradio/buffer_reader.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

static uint64_t now_ns()
{
	return std::chrono::duration_cast<std::chrono::nanoseconds>(
		std::chrono::steady_clock::now().time_since_epoch()).count();
}

static gr::buffer_sptr make(int nitems)
{
	return gr::make_buffer(nitems, 1, 1, 1, {}, {});
}

/* As mmr bench ring does: producer on CPU 0, consumer on CPU 1. */
static void pin(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static uint64_t stream(int cap, size_t rec, unsigned long n)
{
	gr::buffer_sptr buf = make(cap);
	gr::buffer_reader_sptr rd = gr::buffer_add_reader(buf, 0);
	std::vector<unsigned char> src(rec, 0x5a);
	std::atomic<bool> go{ false };
	uint64_t sum = 0, t0, t1;

	std::thread prod([&] {
		pin(0);
		while (!go.load())
			;
		for (unsigned long i = 0; i < n; i++) {
			while (buf->space_available() < (int)rec)
				;
			memcpy(buf->write_pointer(), src.data(), rec);
			buf->update_write_pointer((int)rec);
		}
	});
	pin(1);
	t0 = now_ns();
	go.store(true);
	for (unsigned long i = 0; i < n; i++) {
		while (rd->items_available() < (int)rec)
			;
		sum ^= bench_parse((const unsigned char *)rd->read_pointer(), rec);
		rd->update_read_pointer((int)rec);
	}
	t1 = now_ns();
	prod.join();
	if (sum == 42)
		fprintf(stderr, "(unlikely)\n");
	return t1 - t0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s CAPACITY ROUNDS REC:COUNT...\n", argv[0]);
		return 2;
	}
	int cap = atoi(argv[1]), rounds = atoi(argv[2]);
	const int mib = 1 << 20, iters = 100;
	std::vector<uint64_t> v;
	uint64_t t0 = now_ns();

	{	/* the first buffer of a process: the factory is looked up */
		gr::buffer_sptr b = make(mib);
	}
	uint64_t first = now_ns() - t0;
	for (int r = 0; r < rounds; r++) {
		t0 = now_ns();
		for (int i = 0; i < iters; i++) {
			gr::buffer_sptr b = make(mib);
			gr::buffer_reader_sptr rd = gr::buffer_add_reader(b, 0);
		}
		v.push_back((now_ns() - t0) / iters);
	}
	std::sort(v.begin(), v.end());
	printf("{\"create_ns\": %llu, \"first_create_ns\": %llu}\n",
	       (unsigned long long)v[v.size() / 2], (unsigned long long)first);
	fflush(stdout);
	for (int a = 3; a < argc; a++) {
		size_t rec;
		unsigned long n;

		if (sscanf(argv[a], "%zu:%lu", &rec, &n) != 2)
			continue;
		v.clear();
		for (int r = 0; r < rounds; r++)
			v.push_back(stream(cap, rec, n));
		std::sort(v.begin(), v.end());
		printf("{\"rec\": %zu, \"gbps\": %.3f}\n", rec,
		       (double)rec * (double)n / (double)v[v.size() / 2]);
		fflush(stdout);
	}
	return 0;
}
