// SPDX-License-Identifier: MIT
/*
 * memmirror._ring: the ring's per-record path for Python, in C.
 *
 * ctypes costs about 1 us a call and a numpy array made in Python another
 * 1-2 us; a record of 64 bytes moves in a few nanoseconds. This module
 * calls the library's inline fast path (mmr_ring_fast_*) and builds arrays
 * with numpy's C API, so a record costs one Python method call.
 *
 * Lifetime: the mmr_ring is destroyed when the object is closed and no
 * call that let go of the GIL (a wait, a large copy) is still running and
 * no array over the ring is alive (each holds an Export, which counts).
 * Until then close() only ends this process's ends of the ring.
 *
 * Ends: the producer end is claimed for this process by the first
 * producer call, the consumer end by the first consumer call; a child made
 * by fork() claims afresh (fork_gen), so nothing is set by hand.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <memmirror.h>

#ifndef PyDataType_ELSIZE
#define PyDataType_ELSIZE(d) ((d)->elsize)
#endif

enum { PROD = 0, CONS = 1 };

/* A wait gives the GIL back and looks at close() this often (ms). */
#define WAIT_SLICE_MS 100
/* A wait first polls for this long, yielding the CPU between looks, then
 * sleeps in the library (bench/RESULTS.md: a peer in the middle of a record
 * is usually back within that; the futex then costs both sides a call). */
#define WAIT_YIELD_US 200
/* Copies at least this big run without the GIL. */
#define NOGIL_COPY 65536

/* Bumped in every child made by fork(): ends claimed before it are the
 * parent's. */
static unsigned long fork_gen = 1;

static void after_fork_child(void)
{
	fork_gen++;
}

typedef struct {
	PyObject_HEAD
	mmr_ring *r;
	struct mmr_ring_fast f[2];
	unsigned long gen[2];	/* fork_gen when the end was claimed */
	unsigned long busy[2];	/* fork_gen while a thread waits on the end */
	size_t cap;
	unsigned yield_us;	/* how long a wait polls with sched_yield() */
	Py_ssize_t inflight;	/* calls running without the GIL */
	Py_ssize_t exports;	/* arrays over the ring alive */
	int closed;
	unsigned long shut;	/* fork_gen when shutdown() ended this process's ends */
	PyObject *weakrefs;
} RingObject;

typedef struct {
	PyObject_HEAD
	RingObject *ring;
} ExportObject;

static PyTypeObject RingType;
static PyTypeObject ExportType;

/* ---- errors ---- */

/* OSError (its errno subclass: BrokenPipeError for EPIPE) with the
 * library's message. */
static PyObject *ring_error(int err)
{
	const char *msg = mmr_last_error();
	PyObject *args;

	err = err < 0 ? -err : err;
	args = Py_BuildValue("(is)", err, msg && *msg ? msg : strerror(err));
	if (args) {
		PyErr_SetObject(PyExc_OSError, args);
		Py_DECREF(args);
	}
	return NULL;
}

static PyObject *eof_error(RingObject *s, size_t want)
{
	size_t avail = 0;

	mmr_ring_read_ptr(s->r, &avail);
	return PyErr_Format(PyExc_EOFError, "memmirror: end of stream: the producer "
			    "closed its end; %zu bytes left, %zu asked for", avail, want);
}

static int ring_live(RingObject *s)
{
	if (s->r && !s->closed)
		return 0;
	PyErr_SetString(PyExc_ValueError, "memmirror: the ring is closed");
	return -1;
}

static void ring_maybe_destroy(RingObject *s)
{
	if (s->r && s->closed && !s->inflight && !s->exports) {
		mmr_ring_destroy(s->r);
		s->r = NULL;
	}
}

/* ---- ends ---- */

static int ring_claim(RingObject *s, int e)
{
	unsigned role = e == PROD ? MMR_RING_PRODUCER : MMR_RING_CONSUMER;
	int ret;

	if (s->gen[e] == fork_gen)
		return 0;
	ret = mmr_ring_claim(s->r, role);
	if (!ret)
		ret = mmr_ring_fast_init(s->r, role, &s->f[e]);
	if (ret) {
		ring_error(ret);
		return -1;
	}
	s->gen[e] = fork_gen;
	return 0;
}

/* Live, and the end @e claimed: 0, or -1 with an exception. */
static int ring_enter(RingObject *s, int e)
{
	if (ring_live(s))
		return -1;
	if (e == PROD && s->shut == fork_gen) {
		PyErr_SetString(PyExc_BrokenPipeError, "memmirror: this process "
				"ended the ring's stream (shutdown()): no more producing");
		return -1;
	}
	return ring_claim(s, e);
}

/* ---- arrays ---- */

static void export_dealloc(ExportObject *x)
{
	RingObject *s = x->ring;

	s->exports--;
	ring_maybe_destroy(s);
	Py_DECREF(s);
	PyObject_Free(x);
}

static PyTypeObject ExportType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "memmirror._ring.Export",
	.tp_basicsize = sizeof(ExportObject),
	.tp_dealloc = (destructor)export_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Keeps a ring mapped while an array over it lives.",
};

/* A dtype argument: None is uint8; object dtypes would be pointers into
 * shared memory, so they are refused. New reference, or NULL. */
static PyArray_Descr *ring_dtype(PyObject *obj)
{
	PyArray_Descr *d = NULL;

	if (!obj || obj == Py_None)
		return PyArray_DescrFromType(NPY_UINT8);
	if (!PyArray_DescrConverter(obj, &d))
		return NULL;
	if (PyDataType_REFCHK(d) || PyDataType_ELSIZE(d) <= 0) {
		Py_DECREF(d);
		PyErr_SetString(PyExc_TypeError, "memmirror: the dtype must be plain "
				"data of a fixed size (no objects)");
		return NULL;
	}
	return d;
}

/* An array of @rows x @cols items of @d (stolen) over @p, kept mapped by
 * an Export; @rows < 0: one dimension. */
static PyObject *ring_array(RingObject *s, void *p, npy_intp rows, npy_intp cols,
			    PyArray_Descr *d, int writable)
{
	npy_intp dims[2] = { rows, cols };
	ExportObject *x;
	PyObject *a;

	if (rows < 0)
		dims[0] = cols;
	a = PyArray_NewFromDescr(&PyArray_Type, d, rows < 0 ? 1 : 2, dims, NULL, p,
				 writable ? NPY_ARRAY_CARRAY : NPY_ARRAY_CARRAY_RO, NULL);
	if (!a)
		return NULL;
	x = PyObject_New(ExportObject, &ExportType);
	if (!x) {
		Py_DECREF(a);
		return NULL;
	}
	Py_INCREF(s);
	x->ring = s;
	s->exports++;
	if (PyArray_SetBaseObject((PyArrayObject *)a, (PyObject *)x)) {
		Py_DECREF(a);
		return NULL;
	}
	return a;
}

/* ---- arguments ---- */

static int size_arg(PyObject *o, size_t *out, const char *what)
{
	size_t v;

	if (!PyLong_Check(o)) {
		PyObject *i = PyNumber_Index(o);

		if (!i)
			return -1;
		v = PyLong_AsSize_t(i);
		Py_DECREF(i);
	} else {
		v = PyLong_AsSize_t(o);
	}
	if (v == (size_t)-1 && PyErr_Occurred()) {
		if (PyErr_ExceptionMatches(PyExc_OverflowError) &&
		    PyLong_Check(o) && _PyLong_Sign(o) < 0) {
			PyErr_Clear();
			PyErr_Format(PyExc_ValueError, "memmirror: %s must not be "
				     "negative", what);
		}
		return -1;
	}
	*out = v;
	return 0;
}

/* None: no limit (-1.0); a number of seconds >= 0 otherwise. */
static int timeout_arg(PyObject *o, double *out)
{
	double t;

	if (!o || o == Py_None) {
		*out = -1.0;
		return 0;
	}
	t = PyFloat_AsDouble(o);
	if (t == -1.0 && PyErr_Occurred())
		return -1;
	if (!(t >= 0)) {
		PyErr_SetString(PyExc_ValueError, "memmirror: timeout must be None or "
				">= 0 seconds");
		return -1;
	}
	*out = t;
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- waiting ---- */

enum { W_READY = 0, W_EOF = 1, W_TIMEOUT = 2, W_ERROR = -1 };

/* Bytes end @e can take now, from the shared indices alone: no library
 * call, nothing written (runs without the GIL). */
static size_t ring_ready(const struct mmr_ring_fast *f, int e)
{
	uint64_t own = __atomic_load_n(f->own, __ATOMIC_RELAXED);
	uint64_t peer = __atomic_load_n(f->peer, __ATOMIC_ACQUIRE);
	uint64_t fill = e == CONS ? peer - own : own - peer;

	if (fill > f->cap)
		return 0;	/* garbage: the library's calls say why */
	return (size_t)(e == CONS ? fill : f->cap - fill);
}

/* Poll for @n bytes for up to @us microseconds, yielding the CPU. */
static int ring_yield_poll(const struct mmr_ring_fast *f, int e, size_t n, unsigned us)
{
	double end = now_s() + us * 1e-6;

	do {
		if (ring_ready(f, e) >= n)
			return 1;
		sched_yield();
	} while (now_s() < end);
	return ring_ready(f, e) >= n;
}

/*
 * Wait for @n bytes on end @e for @timeout seconds (< 0: no limit).
 * Without the GIL, in slices, so that close() from another thread and
 * signals (KeyboardInterrupt) end it. W_ERROR: an exception is set
 * (BrokenPipeError when the peer died or, for a producer, closed).
 */
static int ring_wait(RingObject *s, int e, size_t n, double timeout)
{
	double end = timeout > 0 ? now_s() + timeout : 0;
	int ret;

	if (s->busy[e] == fork_gen) {
		PyErr_Format(PyExc_RuntimeError, "memmirror: another thread already "
			     "waits as the ring's %s: one thread per end",
			     e == PROD ? "producer" : "consumer");
		return W_ERROR;
	}
	s->busy[e] = fork_gen;
	s->inflight++;
	if (timeout != 0 && s->yield_us) {
		int ready;

		Py_BEGIN_ALLOW_THREADS
		ready = ring_yield_poll(&s->f[e], e, n, s->yield_us);
		Py_END_ALLOW_THREADS
		if (ready && !s->closed) {
			ret = W_READY;
			goto out;
		}
	}
	for (;;) {
		int ms = WAIT_SLICE_MS;

		if (timeout == 0) {
			ms = 0;
		} else if (timeout > 0) {
			double left = end - now_s();

			if (left < WAIT_SLICE_MS / 1000.0)
				ms = left > 0 ? (int)(left * 1000) + 1 : 0;
		}
		Py_BEGIN_ALLOW_THREADS
		ret = e == CONS ? mmr_ring_wait_readable(s->r, n, ms) :
			mmr_ring_wait_writable(s->r, n, ms);
		Py_END_ALLOW_THREADS
		if (ret != -ETIMEDOUT)
			break;
		if (s->closed) {
			PyErr_SetString(PyExc_ValueError, "memmirror: the ring was "
					"closed while waiting");
			ret = W_ERROR;
			goto out;
		}
		if (PyErr_CheckSignals()) {
			ret = W_ERROR;
			goto out;
		}
		if (timeout == 0 || (timeout > 0 && now_s() >= end)) {
			ret = W_TIMEOUT;
			goto out;
		}
	}
	if (s->closed) {
		/* Whatever the wait saw, the object is gone for its callers. */
		PyErr_SetString(PyExc_ValueError, "memmirror: the ring was closed "
				"while waiting");
		ret = W_ERROR;
	} else if (ret == MMR_RING_EOF) {
		ret = W_EOF;
	} else if (ret < 0) {
		ret = (ring_error(ret), W_ERROR);
	}
out:
	s->busy[e] = 0;
	s->inflight--;
	ring_maybe_destroy(s);
	return ret;
}

/* ---- producer ---- */

/*
 * @n free bytes for @timeout seconds: the address, NULL on a timeout
 * (no exception) or an error (exception set). A full ring means the
 * consumer is behind: the producer sleeps until a quarter of the ring is
 * free, not just @n bytes, so that a fast producer of small records is
 * woken once per quarter and not once per record (measured in
 * bench/RESULTS.md: 64 B records, 1.7-1.9x).
 */
static void *ring_get_space(RingObject *s, size_t n, double timeout)
{
	size_t low = s->cap / 4 > n ? s->cap / 4 : n;

	for (;;) {
		void *p = mmr_ring_fast_reserve(&s->f[PROD], n);
		int w;

		if (p)
			return p;
		if (errno != EAGAIN)
			return ring_error(errno);
		w = ring_wait(s, PROD, timeout == 0 ? n : low, timeout);
		if (w == W_ERROR || w == W_TIMEOUT)
			return NULL;
		if (s->closed)
			return ring_live(s), NULL;
	}
}

static const void *ring_get_data(RingObject *s, size_t n, double timeout)
{
	for (;;) {
		const void *p = mmr_ring_fast_peek(&s->f[CONS], n);
		int w;

		if (p)
			return p;
		if (errno != EAGAIN)
			return ring_error(errno);
		w = ring_wait(s, CONS, n, timeout);
		if (w == W_EOF)
			return eof_error(s, n), NULL;
		if (w == W_ERROR || w == W_TIMEOUT)
			return NULL;
		if (s->closed)
			return ring_live(s), NULL;
	}
}

/* Publish (release) @n bytes of end @e; a misuse is refused by the
 * library, counted, and raised here. */
static int ring_advance(RingObject *s, int e, size_t n)
{
	struct mmr_ring_fast *f = &s->f[e];
	uint64_t own = *f->own, ok;
	int before;

	ok = e == PROD ? f->cap - (own - f->seen) : f->seen - own;
	if (n > ok) {
		f->seen = __atomic_load_n(f->peer, __ATOMIC_ACQUIRE);
		ok = e == PROD ? f->cap - (own - f->seen) : f->seen - own;
	}
	if (n <= ok && n <= f->cap) {
		if (e == PROD)
			mmr_ring_fast_produce(f, n);
		else
			mmr_ring_fast_consume(f, n);
		return 0;
	}
	before = mmr_ring_error(s->r);
	if (e == PROD)
		mmr_ring_produce(s->r, n);
	else
		mmr_ring_consume(s->r, n);
	if (mmr_ring_error(s->r) != before) {
		ring_error(EINVAL);
		return -1;
	}
	return 0;
}

static int parse_count(PyObject *count, PyObject *dtype, size_t *nbytes,
		       PyArray_Descr **d, size_t *items)
{
	size_t c, size;

	if (size_arg(count, &c, "count"))
		return -1;
	*d = ring_dtype(dtype);
	if (!*d)
		return -1;
	size = (size_t)PyDataType_ELSIZE(*d);
	if (c && size > SIZE_MAX / c) {
		Py_DECREF(*d);
		PyErr_SetString(PyExc_OverflowError, "memmirror: count * itemsize "
				"does not fit a size_t");
		return -1;
	}
	*nbytes = c * size;
	*items = c;
	return 0;
}

/* reserve()/peek(): common body. */
static PyObject *ring_span(RingObject *s, int e, PyObject *args, PyObject *kw)
{
	static char *kwl[] = { "count", "dtype", "timeout", NULL };
	PyObject *count, *dtype = NULL, *tmo = NULL;
	PyArray_Descr *d;
	size_t n, items;
	double timeout;
	void *p;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO", kwl, &count, &dtype, &tmo))
		return NULL;
	if (tmo) {
		if (timeout_arg(tmo, &timeout))
			return NULL;
	} else {
		timeout = 0;
	}
	if (ring_enter(s, e) || parse_count(count, dtype, &n, &d, &items))
		return NULL;
	if (n > s->cap) {
		Py_DECREF(d);
		/* The library says why, with the capacity. */
		return ring_error(e == PROD ? (mmr_ring_reserve(s->r, n), errno) :
				  (mmr_ring_peek(s->r, n), errno));
	}
	p = e == PROD ? ring_get_space(s, n, timeout) :
		(void *)ring_get_data(s, n, timeout);
	if (!p) {
		Py_DECREF(d);
		if (PyErr_Occurred())
			return NULL;
		Py_RETURN_NONE;
	}
	return ring_array(s, p, -1, (npy_intp)items, d, e == PROD);
}

PyDoc_STRVAR(reserve_doc,
"reserve($self, /, count, dtype=None, timeout=0)\n--\n\n"
"Producer: room for @count items of @dtype, as one writable array over\n"
"the ring (contiguous even across its end). Fill it, then produce(nbytes).\n"
"None while there is less room after @timeout seconds (0: do not wait,\n"
"None: wait as long as it takes). BrokenPipeError once the consumer\n"
"closed its end or died; OSError EINVAL if it can never fit.");

static PyObject *ring_reserve(RingObject *s, PyObject *args, PyObject *kw)
{
	return ring_span(s, PROD, args, kw);
}

PyDoc_STRVAR(peek_doc,
"peek($self, /, count, dtype=None, timeout=0)\n--\n\n"
"Consumer: the next @count items of @dtype, as one read-only array over\n"
"the ring, no copy. Use it, then consume(nbytes). None while fewer are\n"
"there after @timeout seconds (0: do not wait, None: no limit).\n"
"EOFError when the producer closed its end and fewer are left;\n"
"BrokenPipeError when it died without closing (once fewer are left).");

static PyObject *ring_peek(RingObject *s, PyObject *args, PyObject *kw)
{
	return ring_span(s, CONS, args, kw);
}

static PyObject *ring_move(RingObject *s, int e, PyObject *arg)
{
	size_t n;

	if (ring_enter(s, e) || size_arg(arg, &n, "nbytes") || ring_advance(s, e, n))
		return NULL;
	Py_RETURN_NONE;
}

PyDoc_STRVAR(produce_doc,
"produce($self, nbytes, /)\n--\n\n"
"Producer: publish @nbytes written at the start of the last reserved span.\n"
"More than was free is refused: OSError EINVAL, counted in errors.");

static PyObject *ring_produce(RingObject *s, PyObject *arg)
{
	return ring_move(s, PROD, arg);
}

PyDoc_STRVAR(consume_doc,
"consume($self, nbytes, /)\n--\n\n"
"Consumer: give back @nbytes read at the start of the last span. More than\n"
"was filled is refused: OSError EINVAL, counted in errors.");

static PyObject *ring_consume(RingObject *s, PyObject *arg)
{
	return ring_move(s, CONS, arg);
}

static PyObject *ring_whole_span(RingObject *s, int e, PyObject *args, PyObject *kw)
{
	static char *kwl[] = { "dtype", NULL };
	PyObject *dtype = NULL;
	PyArray_Descr *d;
	size_t avail = 0, size;
	void *p;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O", kwl, &dtype))
		return NULL;
	if (ring_enter(s, e) || !(d = ring_dtype(dtype)))
		return NULL;
	p = e == PROD ? mmr_ring_write_ptr(s->r, &avail) :
		(void *)mmr_ring_read_ptr(s->r, &avail);
	size = (size_t)PyDataType_ELSIZE(d);
	return ring_array(s, p, -1, p ? (npy_intp)(avail / size) : 0, d, e == PROD);
}

PyDoc_STRVAR(write_span_doc,
"write_span($self, /, dtype=None)\n--\n\n"
"Producer: every contiguous free byte (whole items), as a writable array\n"
"(maybe empty). Fill a part, then produce(nbytes).");

static PyObject *ring_write_span(RingObject *s, PyObject *args, PyObject *kw)
{
	return ring_whole_span(s, PROD, args, kw);
}

PyDoc_STRVAR(read_span_doc,
"read_span($self, /, dtype=None)\n--\n\n"
"Consumer: every filled byte (whole items), as one read-only array over\n"
"the ring, contiguous across its end (maybe empty). Then consume(nbytes).");

static PyObject *ring_read_span(RingObject *s, PyObject *args, PyObject *kw)
{
	return ring_whole_span(s, CONS, args, kw);
}

/* ---- records in batches ---- */

static PyObject *ring_records(RingObject *s, int e, PyObject *args, PyObject *kw)
{
	static char *kwl[] = { "size", "dtype", "max", "timeout", NULL };
	PyObject *sz, *dtype = NULL, *mx = NULL, *tmo = NULL;
	size_t size, want = SIZE_MAX, count, isz;
	PyArray_Descr *d;
	double timeout = 0;
	void *p;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOO", kwl, &sz, &dtype, &mx, &tmo))
		return NULL;
	if (size_arg(sz, &size, "size") ||
	    (mx && mx != Py_None && size_arg(mx, &want, "max")) ||
	    (tmo && timeout_arg(tmo, &timeout)))
		return NULL;
	if (ring_enter(s, e) || !(d = ring_dtype(dtype)))
		return NULL;
	isz = (size_t)PyDataType_ELSIZE(d);
	if (!size || size % isz || !want) {
		Py_DECREF(d);
		return PyErr_Format(PyExc_ValueError, "memmirror: size %zu must be a "
				    "multiple of the item size %zu, and max > 0", size, isz);
	}
	for (;;) {
		int w;

		count = want;
		p = e == PROD ? mmr_ring_reserve_records(s->r, size, &count) :
			(void *)mmr_ring_peek_records(s->r, size, &count);
		if (p)
			break;
		if (errno != EAGAIN) {
			Py_DECREF(d);
			return ring_error(errno);
		}
		w = ring_wait(s, e, size, timeout);
		if (w == W_READY && !s->closed)
			continue;
		Py_DECREF(d);
		if (w == W_EOF)
			return eof_error(s, size);
		if (w == W_ERROR)
			return NULL;
		if (s->closed)
			return ring_live(s), NULL;
		Py_RETURN_NONE;
	}
	return ring_array(s, p, (npy_intp)count, (npy_intp)(size / isz), d, e == PROD);
}

PyDoc_STRVAR(reserve_records_doc,
"reserve_records($self, /, size, dtype=None, max=None, timeout=0)\n--\n\n"
"Producer: room for as many records of @size bytes as are free and\n"
"contiguous (at most @max), as one writable 2-D array (records, items).\n"
"Fill k rows, then produce(k * size). None after @timeout with no room.");

static PyObject *ring_reserve_records(RingObject *s, PyObject *args, PyObject *kw)
{
	return ring_records(s, PROD, args, kw);
}

PyDoc_STRVAR(peek_records_doc,
"peek_records($self, /, size, dtype=None, max=None, timeout=0)\n--\n\n"
"Consumer: every complete record of @size bytes there is (at most @max),\n"
"as one read-only 2-D array (records, items) over the ring, no copy, across\n"
"its end too. Then consume(array.nbytes). None after @timeout with none;\n"
"EOFError at the end of the stream.");

static PyObject *ring_peek_records(RingObject *s, PyObject *args, PyObject *kw)
{
	return ring_records(s, CONS, args, kw);
}

/* ---- whole records by copy ---- */

static void ring_copy(RingObject *s, void *dst, const void *src, size_t n)
{
	if (n < NOGIL_COPY) {
		memcpy(dst, src, n);
		return;
	}
	s->inflight++;
	Py_BEGIN_ALLOW_THREADS
	memcpy(dst, src, n);
	Py_END_ALLOW_THREADS
	s->inflight--;
	ring_maybe_destroy(s);	/* closed meanwhile: the caller sees it */
}

static PyObject *timed_out(const char *fn, size_t n)
{
	return PyErr_Format(PyExc_TimeoutError, "memmirror: Ring.%s: %zu bytes "
			    "not ready in time", fn, n);
}

PyDoc_STRVAR(send_doc,
"send($self, /, data, timeout=None)\n--\n\n"
"Producer: copy @data (any contiguous buffer: bytes, numpy array) into the\n"
"ring as one record and publish it, waiting up to @timeout seconds for\n"
"room (None: no limit). TimeoutError, BrokenPipeError (the consumer is\n"
"gone), OSError EINVAL (larger than the capacity).");

static PyObject *ring_send(RingObject *s, PyObject *args, PyObject *kw)
{
	static char *kwl[] = { "data", "timeout", NULL };
	PyObject *tmo = NULL, *ret = NULL;
	double timeout;
	Py_buffer b;
	void *p;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "y*|O", kwl, &b, &tmo))
		return NULL;
	if (timeout_arg(tmo, &timeout) || ring_enter(s, PROD))
		goto out;
	if ((size_t)b.len > s->cap) {
		mmr_ring_reserve(s->r, (size_t)b.len);
		ring_error(EINVAL);
		goto out;
	}
	p = ring_get_space(s, (size_t)b.len, timeout);
	if (!p) {
		if (!PyErr_Occurred())
			timed_out("send", (size_t)b.len);
		goto out;
	}
	ring_copy(s, p, b.buf, (size_t)b.len);
	if (ring_live(s) || ring_advance(s, PROD, (size_t)b.len))
		goto out;
	ret = Py_None;
	Py_INCREF(ret);
out:
	PyBuffer_Release(&b);
	return ret;
}

PyDoc_STRVAR(recv_into_doc,
"recv_into($self, /, buffer, timeout=None)\n--\n\n"
"Consumer: copy the next len(buffer) bytes (one record) into @buffer (a\n"
"writable contiguous buffer: bytearray, numpy array) and release them,\n"
"waiting up to @timeout seconds (None: no limit). Returns the bytes\n"
"copied. EOFError at the end of the stream, BrokenPipeError when the\n"
"producer died, TimeoutError.");

static PyObject *ring_recv_into(RingObject *s, PyObject *args, PyObject *kw)
{
	static char *kwl[] = { "buffer", "timeout", NULL };
	PyObject *tmo = NULL, *ret = NULL;
	const void *p;
	double timeout;
	Py_buffer b;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "w*|O", kwl, &b, &tmo))
		return NULL;
	if (timeout_arg(tmo, &timeout) || ring_enter(s, CONS))
		goto out;
	if ((size_t)b.len > s->cap) {
		mmr_ring_peek(s->r, (size_t)b.len);
		ring_error(EINVAL);
		goto out;
	}
	p = ring_get_data(s, (size_t)b.len, timeout);
	if (!p) {
		if (!PyErr_Occurred())
			timed_out("recv_into", (size_t)b.len);
		goto out;
	}
	ring_copy(s, b.buf, p, (size_t)b.len);
	if (ring_live(s) || ring_advance(s, CONS, (size_t)b.len))
		goto out;
	ret = PyLong_FromSsize_t(b.len);
out:
	PyBuffer_Release(&b);
	return ret;
}

PyDoc_STRVAR(recv_doc,
"recv($self, /, nbytes, timeout=None)\n--\n\n"
"Consumer: the next @nbytes (one record) as bytes, released from the ring,\n"
"waiting up to @timeout seconds. EOFError, BrokenPipeError, TimeoutError\n"
"as recv_into().");

static PyObject *ring_recv(RingObject *s, PyObject *args, PyObject *kw)
{
	static char *kwl[] = { "nbytes", "timeout", NULL };
	PyObject *nb, *tmo = NULL, *ret;
	const void *p;
	double timeout;
	size_t n;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O", kwl, &nb, &tmo))
		return NULL;
	if (size_arg(nb, &n, "nbytes") || timeout_arg(tmo, &timeout) ||
	    ring_enter(s, CONS))
		return NULL;
	if (n > s->cap) {
		mmr_ring_peek(s->r, n);
		return ring_error(EINVAL);
	}
	p = ring_get_data(s, n, timeout);
	if (!p)
		return PyErr_Occurred() ? NULL : timed_out("recv", n);
	ret = PyBytes_FromStringAndSize(p, (Py_ssize_t)n);
	if (ret && ring_advance(s, CONS, n))
		Py_CLEAR(ret);
	return ret;
}

/* ---- waits ---- */

static PyObject *ring_wait_method(RingObject *s, int e, PyObject *args, PyObject *kw)
{
	static char *kwl[] = { "nbytes", "timeout", NULL };
	PyObject *nb = NULL, *tmo = NULL;
	double timeout;
	size_t n = 1;
	int w;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO", kwl, &nb, &tmo))
		return NULL;
	if ((nb && size_arg(nb, &n, "nbytes")) || timeout_arg(tmo, &timeout) ||
	    ring_enter(s, e))
		return NULL;
	w = ring_wait(s, e, n, timeout);
	if (w == W_EOF)
		return eof_error(s, n);
	if (w == W_ERROR)
		return NULL;
	return PyBool_FromLong(w == W_READY);
}

PyDoc_STRVAR(wait_readable_doc,
"wait_readable($self, /, nbytes=1, timeout=None)\n--\n\n"
"Consumer: sleep until @nbytes can be read (True), or @timeout seconds\n"
"pass (False; None: no limit). EOFError when the producer closed its end\n"
"and fewer are left; BrokenPipeError when it died without closing (seen\n"
"within 100 ms); every byte produced before stays readable.");

static PyObject *ring_wait_readable(RingObject *s, PyObject *args, PyObject *kw)
{
	return ring_wait_method(s, CONS, args, kw);
}

PyDoc_STRVAR(wait_writable_doc,
"wait_writable($self, /, nbytes=1, timeout=None)\n--\n\n"
"Producer: sleep until @nbytes are free (True), or @timeout seconds pass\n"
"(False). BrokenPipeError when the consumer closed its end or died.");

static PyObject *ring_wait_writable(RingObject *s, PyObject *args, PyObject *kw)
{
	return ring_wait_method(s, PROD, args, kw);
}

/* ---- life ---- */

PyDoc_STRVAR(close_doc,
"close($self, /)\n--\n\n"
"End this process's ends of the ring (the consumer then drains and gets\n"
"EOFError, the producer BrokenPipeError) and drop this object's hold on it:\n"
"it is unmapped now, or when the last array over it and the last call\n"
"running in another thread are done. Closing twice does nothing.");

static PyObject *ring_close(RingObject *s, PyObject *unused)
{
	(void)unused;
	if (s->closed || !s->r)
		Py_RETURN_NONE;
	s->closed = 1;
	if (s->gen[PROD] == fork_gen || s->gen[CONS] == fork_gen)
		mmr_ring_close(s->r);	/* EPERM: another holder took them */
	s->gen[PROD] = s->gen[CONS] = 0;
	ring_maybe_destroy(s);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(shutdown_doc,
"shutdown($self, /)\n--\n\n"
"End this process's ends of the ring but keep the object: a consumer\n"
"thread sharing it drains what is left, then gets EOFError; producing\n"
"raises BrokenPipeError after it (socket.shutdown() for rings).");

static PyObject *ring_shutdown(RingObject *s, PyObject *unused)
{
	(void)unused;
	if (ring_live(s))
		return NULL;
	if (s->gen[PROD] == fork_gen || s->gen[CONS] == fork_gen)
		mmr_ring_close(s->r);
	s->shut = fork_gen;
	Py_RETURN_NONE;
}

static PyObject *ring_new_from(PyTypeObject *type, mmr_ring *r)
{
	RingObject *s = (RingObject *)type->tp_alloc(type, 0);

	if (!s) {
		mmr_ring_destroy(r);
		return NULL;
	}
	s->r = r;
	s->cap = mmr_ring_capacity(r);
	s->yield_us = WAIT_YIELD_US;
	s->f[PROD].role = s->f[CONS].role = 0;
	return (PyObject *)s;
}

static PyObject *ring_tp_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	static char *kwl[] = { "min_size", "flags", NULL };
	PyObject *size;
	unsigned int flags = 0;
	size_t n;
	mmr_ring *r;
	int ret;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|I", kwl, &size, &flags))
		return NULL;
	if (size_arg(size, &n, "min_size"))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = mmr_ring_create(&r, n, flags);
	Py_END_ALLOW_THREADS
	if (ret)
		return ring_error(ret);
	return ring_new_from(type, r);
}

PyDoc_STRVAR(from_fd_doc,
"from_fd($type, fd, flags=0, /)\n--\n\n"
"Attach the ring behind @fd (mmr_ring_open_fd(); the fd is duplicated,\n"
"the caller keeps it). A ring attached this way has no poll fd.");

static PyObject *ring_from_fd(PyTypeObject *type, PyObject *args)
{
	unsigned int flags = 0;
	mmr_ring *r;
	int fd, ret;

	if (!PyArg_ParseTuple(args, "i|I", &fd, &flags))
		return NULL;
	ret = mmr_ring_open_fd(&r, fd, flags);
	if (ret)
		return ring_error(ret);
	return ring_new_from(type, r);
}

PyDoc_STRVAR(from_socket_doc,
"from_socket($type, sock, flags=0, /)\n--\n\n"
"Take a ring sent by send_to() over the UNIX socket fd @sock\n"
"(mmr_ring_recv(): the ring with its poll eventfds).");

static PyObject *ring_from_socket(PyTypeObject *type, PyObject *args)
{
	unsigned int flags = 0;
	mmr_ring *r;
	int fd, ret;

	if (!PyArg_ParseTuple(args, "i|I", &fd, &flags))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = mmr_ring_recv(fd, &r, flags);
	Py_END_ALLOW_THREADS
	if (ret)
		return ring_error(ret);
	return ring_new_from(type, r);
}

PyDoc_STRVAR(send_to_doc,
"send_to($self, sock, /)\n--\n\n"
"Send the ring over the UNIX socket fd @sock (mmr_ring_send()): the\n"
"receiver's from_socket() attaches it, poll eventfds included.");

static PyObject *ring_send_to(RingObject *s, PyObject *arg)
{
	int fd = PyObject_AsFileDescriptor(arg), ret;

	if (fd < 0 || ring_live(s))
		return NULL;
	ret = mmr_ring_send(fd, s->r);
	if (ret)
		return ring_error(ret);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(poll_fd_doc,
"poll_fd($self, end, /)\n--\n\n"
"For loop.add_reader() and select: claim @end (\"producer\" or\n"
"\"consumer\") for this process and return the eventfd (owned by the ring)\n"
"that becomes readable when poll_arm()'s threshold is met or the peer\n"
"closes. The object must hold that end only.");

static int end_arg(PyObject *o, int *e)
{
	const char *name = PyUnicode_Check(o) ? PyUnicode_AsUTF8(o) : NULL;

	if (name && !strcmp(name, "producer"))
		*e = PROD;
	else if (name && !strcmp(name, "consumer"))
		*e = CONS;
	else {
		if (!PyErr_Occurred())
			PyErr_SetString(PyExc_ValueError, "memmirror: end must be "
					"\"producer\" or \"consumer\"");
		return -1;
	}
	return 0;
}

static PyObject *ring_poll_fd(RingObject *s, PyObject *arg)
{
	int e, ret;

	if (end_arg(arg, &e) || ring_enter(s, e))
		return NULL;
	ret = mmr_ring_poll_fd(s->r);
	if (ret < 0)
		return ring_error(ret);
	return PyLong_FromLong(ret);
}

PyDoc_STRVAR(poll_arm_doc,
"poll_arm($self, end, nbytes=1, /)\n--\n\n"
"True when @nbytes are ready for @end now; False when armed: wait for the\n"
"poll fd to become readable, then call again. EOFError / BrokenPipeError\n"
"as the waits.");

static PyObject *ring_poll_arm(RingObject *s, PyObject *args)
{
	PyObject *end, *nb = NULL;
	size_t n = 1;
	int e, ret;

	if (!PyArg_ParseTuple(args, "O|O", &end, &nb))
		return NULL;
	if (end_arg(end, &e) || (nb && size_arg(nb, &n, "nbytes")) || ring_enter(s, e))
		return NULL;
	ret = mmr_ring_poll_arm(s->r, n);
	if (ret == -EAGAIN)
		Py_RETURN_FALSE;
	if (ret == MMR_RING_EOF)
		return eof_error(s, n);
	if (ret < 0)
		return ring_error(ret);
	Py_RETURN_TRUE;
}

PyDoc_STRVAR(set_spin_doc,
"set_spin($self, checks, /)\n--\n\n"
"How many times a wait looks at the ring before it sleeps (the library's\n"
"default: 256; 0 sleeps at once).");

static PyObject *ring_set_spin(RingObject *s, PyObject *arg)
{
	unsigned long v = PyLong_AsUnsignedLong(arg);

	if (v == (unsigned long)-1 && PyErr_Occurred())
		return NULL;
	if (ring_live(s))
		return NULL;
	if (v > UINT32_MAX)
		return PyErr_Format(PyExc_OverflowError, "memmirror: checks too large");
	mmr_ring_set_spin(s->r, (unsigned)v);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(set_yield_doc,
"set_yield($self, microseconds, /)\n--\n\n"
"How long a wait first polls the ring, yielding the CPU between looks,\n"
"before it sleeps (default 200; 0 sleeps at once, after the library's spin).");

static PyObject *ring_set_yield(RingObject *s, PyObject *arg)
{
	unsigned long v = PyLong_AsUnsignedLong(arg);

	if (v == (unsigned long)-1 && PyErr_Occurred())
		return NULL;
	if (v > 1000000)
		return PyErr_Format(PyExc_ValueError, "memmirror: at most 1000000 us");
	s->yield_us = (unsigned)v;
	Py_RETURN_NONE;
}

static PyObject *ring_get_capacity(RingObject *s, void *unused)
{
	(void)unused;
	if (ring_live(s))
		return NULL;
	return PyLong_FromSize_t(s->cap);
}

static PyObject *ring_get_fd(RingObject *s, void *unused)
{
	int fd;

	(void)unused;
	if (ring_live(s))
		return NULL;
	fd = mmr_ring_fd(s->r);
	if (fd < 0)
		Py_RETURN_NONE;
	return PyLong_FromLong(fd);
}

static PyObject *ring_get_errors(RingObject *s, void *unused)
{
	(void)unused;
	if (ring_live(s))
		return NULL;
	return PyLong_FromLong(mmr_ring_error(s->r));
}

static PyObject *ring_get_closed(RingObject *s, void *unused)
{
	(void)unused;
	return PyBool_FromLong(s->closed || !s->r);
}

static PyObject *ring_get_ends(RingObject *s, void *unused)
{
	(void)unused;
	return Py_BuildValue("(OO)", s->gen[PROD] == fork_gen ? Py_True : Py_False,
			     s->gen[CONS] == fork_gen ? Py_True : Py_False);
}

static void ring_dealloc(RingObject *s)
{
	if (s->weakrefs)
		PyObject_ClearWeakRefs((PyObject *)s);
	if (s->r)
		mmr_ring_destroy(s->r);
	Py_TYPE(s)->tp_free((PyObject *)s);
}

#define KW (METH_VARARGS | METH_KEYWORDS)
static PyMethodDef ring_methods[] = {
	{ "reserve", (PyCFunction)(void (*)(void))ring_reserve, KW, reserve_doc },
	{ "produce", (PyCFunction)ring_produce, METH_O, produce_doc },
	{ "write_span", (PyCFunction)(void (*)(void))ring_write_span, KW, write_span_doc },
	{ "reserve_records", (PyCFunction)(void (*)(void))ring_reserve_records, KW,
	  reserve_records_doc },
	{ "send", (PyCFunction)(void (*)(void))ring_send, KW, send_doc },
	{ "peek", (PyCFunction)(void (*)(void))ring_peek, KW, peek_doc },
	{ "consume", (PyCFunction)ring_consume, METH_O, consume_doc },
	{ "read_span", (PyCFunction)(void (*)(void))ring_read_span, KW, read_span_doc },
	{ "peek_records", (PyCFunction)(void (*)(void))ring_peek_records, KW,
	  peek_records_doc },
	{ "recv_into", (PyCFunction)(void (*)(void))ring_recv_into, KW, recv_into_doc },
	{ "recv", (PyCFunction)(void (*)(void))ring_recv, KW, recv_doc },
	{ "wait_readable", (PyCFunction)(void (*)(void))ring_wait_readable, KW,
	  wait_readable_doc },
	{ "wait_writable", (PyCFunction)(void (*)(void))ring_wait_writable, KW,
	  wait_writable_doc },
	{ "close", (PyCFunction)ring_close, METH_NOARGS, close_doc },
	{ "shutdown", (PyCFunction)ring_shutdown, METH_NOARGS, shutdown_doc },
	{ "from_fd", (PyCFunction)ring_from_fd, METH_VARARGS | METH_CLASS, from_fd_doc },
	{ "from_socket", (PyCFunction)ring_from_socket, METH_VARARGS | METH_CLASS,
	  from_socket_doc },
	{ "send_to", (PyCFunction)ring_send_to, METH_O, send_to_doc },
	{ "poll_fd", (PyCFunction)ring_poll_fd, METH_O, poll_fd_doc },
	{ "poll_arm", (PyCFunction)ring_poll_arm, METH_VARARGS, poll_arm_doc },
	{ "set_spin", (PyCFunction)ring_set_spin, METH_O, set_spin_doc },
	{ "set_yield", (PyCFunction)ring_set_yield, METH_O, set_yield_doc },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef ring_getset[] = {
	{ "capacity", (getter)ring_get_capacity, NULL, "Data bytes of the ring.", NULL },
	{ "fd", (getter)ring_get_fd, NULL,
	  "The shared object's fd (owned by the ring), or None.", NULL },
	{ "errors", (getter)ring_get_errors, NULL,
	  "Misuses refused so far, by either side (mmr_ring_error()).", NULL },
	{ "closed", (getter)ring_get_closed, NULL, "True after close().", NULL },
	{ "ends", (getter)ring_get_ends, NULL,
	  "(producer, consumer): the ends this process holds through this object "
	  "(claimed by the first call of each side).", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

PyDoc_STRVAR(ring_doc,
"RingCore(min_size, flags=0)\n--\n\nThe C core of memmirror.Ring (see there).");

static PyTypeObject RingType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "memmirror._ring.RingCore",
	.tp_basicsize = sizeof(RingObject),
	.tp_dealloc = (destructor)ring_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_doc = ring_doc,
	.tp_weaklistoffset = offsetof(RingObject, weakrefs),
	.tp_methods = ring_methods,
	.tp_getset = ring_getset,
	.tp_new = ring_tp_new,
};

/* ---- module ---- */

static int add_constants(PyObject *m)
{
#define C(name, value) if (PyModule_AddObject(m, name, PyLong_FromUnsignedLong(value))) return -1
	C("HUGE_2MB", MMR_HUGE_2MB);
	C("HUGE_1GB", MMR_HUGE_1GB);
	C("HUGE", MMR_HUGE);
	C("THP", MMR_THP);
	C("POPULATE", MMR_POPULATE);
	C("FIXED", MMR_FIXED);
	C("FIXED_NOREPLACE", MMR_FIXED_NOREPLACE);
	C("REQUIRE_SEALED", MMR_REQUIRE_SEALED);
	C("ACCEPT_UNSEALED", MMR_ACCEPT_UNSEALED);
	C("RING_PRODUCER", MMR_RING_PRODUCER);
	C("RING_CONSUMER", MMR_RING_CONSUMER);
	C("RING_THREAD", MMR_RING_THREAD);
	C("BACKEND_MASK", MMR_BACKEND_MASK);
	C("BACKEND_COUNT", MMR_BACKEND_COUNT);
	C("RING_EOF", MMR_RING_EOF);
#undef C
	return PyModule_AddStringConstant(m, "HEADER_VERSION", MMR_VERSION_STRING);
}

static PyObject *mod_library_version(PyObject *m, PyObject *unused)
{
	(void)m;
	(void)unused;
	return PyUnicode_FromString(mmr_version());
}

static PyMethodDef mod_methods[] = {
	{ "library_version", mod_library_version, METH_NOARGS,
	  "mmr_version(): the version of libmemmirror running." },
	{ NULL, NULL, 0, NULL }
};

static struct PyModuleDef ring_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "memmirror._ring",
	.m_doc = "The ring's per-record path in C (memmirror.Ring builds on it).",
	.m_size = -1,
	.m_methods = mod_methods,
};

PyMODINIT_FUNC PyInit__ring(void)
{
	PyObject *m;

	import_array();
	if (PyType_Ready(&RingType) || PyType_Ready(&ExportType))
		return NULL;
	if (pthread_atfork(NULL, NULL, after_fork_child)) {
		PyErr_SetString(PyExc_ImportError, "memmirror: pthread_atfork failed");
		return NULL;
	}
	m = PyModule_Create(&ring_module);
	if (!m)
		return NULL;
	Py_INCREF(&RingType);
	if (PyModule_AddObject(m, "RingCore", (PyObject *)&RingType) || add_constants(m)) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
