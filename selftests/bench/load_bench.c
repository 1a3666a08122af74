// SPDX-License-Identifier: GPL-2.0
/*
 * Group read latency with the PMU's CPU busy (not a test: it prints
 * figures).  Run as root in the test VM, with nsgpuperf and the mock GPU
 * loaded and nsgp_floor.ko in /modules:
 *
 *   load_bench [-n READS] [-r ROUNDS] [-e EVENTS[,EVENTS...]]
 *
 * Up to 6.14 i915's PMU reads only on the one CPU of its cpumask; a reader
 * elsewhere reaches it by a cross-CPU call or a work item there.  This
 * times single group reads of the same EVENTS (20 and 4) events of GPU0,
 * from the other CPU, in four conditions:
 *   quiet        nothing else runs
 *   quiet_local  the reader runs on the PMU's CPU itself
 *   busy         a CPU-bound task (nice 0) pinned to the PMU's CPU
 *   busy_nice-5  the same at nice -5 (a kworker at nice 0 gets less)
 * and through these readers:
 *   raw          a perf_event_open() group (PERF_FORMAT_GROUP), one read
 *   floor/MODE   nsgp_floor.ko: the same counters as kernel counters read
 *                by the exported perf API and nothing else (its `mode`)
 *   nsgp/MODE    a nsgpuperf group fd with read_mode=MODE
 * where MODE is event (perf_event_read_value() per event: one cross-CPU
 * call each), work (a work item on the PMU's CPU) or ipi (one cross-CPU
 * call for the group).
 *
 * Every reader is timed in each of ROUNDS (3) rounds of READS (2000) reads,
 * the readers interleaved in batches of 100 reads within a round; the
 * figures pool the rounds: median and p99 in microseconds, the spread of
 * the per-round p99 (noise), and both ratios to raw perf.  Output lines start with "load_bench: ".
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "nsgp_test.h"

#define FMT		(PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED)
#define FLOOR_KO	"/modules/nsgp_floor.ko"
#define FLOOR_DEV	"/dev/nsgp_floor"
#define FLOOR_MODE	"/sys/module/nsgp_floor/parameters/mode"
#define NSGP_MODE	"/sys/module/nsgpuperf/parameters/read_mode"
#define MAX_EV		NSGPUPERF_MAX_GROUP_EVENTS
#define BATCH		100	/* reads of one reader in a row */

#define FAIL(...) do { fprintf(stderr, "load_bench: error: " __VA_ARGS__); \
		       fputc('\n', stderr); return -1; } while (0)

static const char *const modes[] = { "event", "work", "ipi" };
#define NMODES		(sizeof(modes) / sizeof(modes[0]))
#define NREADERS	(1 + 2 * NMODES)

struct reader {
	char name[16];
	int fd;
	size_t size;		/* bytes of one read */
	const char *mode_path;	/* parameter to write first, or NULL */
	const char *mode;
	double *us;		/* samples, pooled over rounds */
	unsigned int n;
	double p99_lo, p99_hi;	/* spread of the per-round p99 */
	double med, p99;
};

struct cond {
	const char *name;
	int nice;		/* of the busy task; > 19: none */
	bool local;		/* reader on the PMU's CPU */
};

static const struct cond conds[] = {
	{ "quiet", 99, false },
	{ "quiet_local", 99, true },
	{ "busy", 0, false },
	{ "busy_nice-5", -5, false },
};

/* ---- time --------------------------------------------------------------- */

static double tsc_per_us;
static char default_mode[32];	/* nsgpuperf's read_mode at start */

static double mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The TSC against CLOCK_MONOTONIC; 0 or -1. */
static int calibrate(void)
{
	unsigned long long t0;
	double m0, m1;

	m0 = mono_us();
	t0 = __builtin_ia32_rdtsc();
	usleep(200000);
	m1 = mono_us();
	tsc_per_us = (__builtin_ia32_rdtsc() - t0) / (m1 - m0);
	return tsc_per_us > 1 ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Quantile q of a sorted array. */
static double quantile(const double *v, unsigned int n, double q)
{
	unsigned int i = (unsigned int)(q * (n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

/* ---- CPUs and the busy task -------------------------------------------- */

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* A CPU-bound child on cpu at nice; its pid, or -1. */
static pid_t busy_start(int cpu, int nice)
{
	pid_t pid = fork();
	volatile unsigned long spin = 0;

	if (pid)
		return pid;
	if (pin(cpu) || setpriority(PRIO_PROCESS, 0, nice))
		_exit(1);
	for (;;)
		spin++;
}

static void busy_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ---- readers ------------------------------------------------------------ */

/* Time reads single reads of r into r->us[r->n...]. */
static int time_batch(struct reader *r, unsigned int reads)
{
	uint64_t buf[2 + MAX_EV];
	unsigned long long t;
	unsigned int i;

	if (r->mode_path && write_str(r->mode_path, r->mode))
		FAIL("cannot set %s to %s", r->mode_path, r->mode);
	for (i = 0; i < 5; i++)		/* warm up */
		if (read(r->fd, buf, sizeof(buf)) != (ssize_t)r->size)
			FAIL("%s: read: %s", r->name, strerror(errno));
	for (i = 0; i < reads; i++) {
		t = __builtin_ia32_rdtsc();
		if (read(r->fd, buf, sizeof(buf)) != (ssize_t)r->size)
			FAIL("%s: read: %s", r->name, strerror(errno));
		r->us[r->n++] = (__builtin_ia32_rdtsc() - t) / tsc_per_us;
	}
	return 0;
}

/* The p99 of the round that ends at r->n. */
static void round_done(struct reader *r, unsigned int first)
{
	double p99;

	qsort(r->us + first, r->n - first, sizeof(double), cmp_double);
	p99 = quantile(r->us + first, r->n - first, 0.99);
	if (!first || p99 < r->p99_lo)
		r->p99_lo = p99;
	if (!first || p99 > r->p99_hi)
		r->p99_hi = p99;
}

static int run_cond(const struct cond *c, struct reader *rd, unsigned int nev,
		    int pmu_cpu, int other, unsigned int reads, unsigned int rounds)
{
	unsigned int round, k, b, first;
	pid_t busy = -1;
	int ret = 0;

	if (pin(c->local ? pmu_cpu : other))
		FAIL("cannot pin to CPU %d: %s", c->local ? pmu_cpu : other, strerror(errno));
	if (c->nice <= 19) {
		busy = busy_start(pmu_cpu, c->nice);
		if (busy < 0)
			FAIL("fork: %s", strerror(errno));
		usleep(300000);
		if (waitpid(busy, NULL, WNOHANG) == busy)
			FAIL("busy task failed to start (nice %d)", c->nice);
	}
	for (k = 0; k < NREADERS; k++)
		rd[k].n = 0;
	/*
	 * Each round interleaves the readers in batches, rotating the order,
	 * so that a burst of noise from the host falls on all of them.
	 */
	for (round = 0; round < rounds && !ret; round++) {
		first = rd[0].n;
		for (b = 0; b < reads / BATCH && !ret; b++)
			for (k = 0; k < NREADERS && !ret; k++)
				ret = time_batch(&rd[(k + b) % NREADERS], BATCH);
		for (k = 0; k < NREADERS && !ret; k++)
			round_done(&rd[k], first);
	}
	busy_stop(busy);
	if (ret)
		return ret;

	for (k = 0; k < NREADERS; k++) {
		qsort(rd[k].us, rd[k].n, sizeof(double), cmp_double);
		rd[k].med = quantile(rd[k].us, rd[k].n, 0.5);
		rd[k].p99 = quantile(rd[k].us, rd[k].n, 0.99);
	}
	for (k = 0; k < NREADERS; k++)
		printf("load_bench: events=%u cond=%s reader=%s reads=%u median_us=%.1f "
		       "p99_us=%.1f p99_rounds_us=%.1f..%.1f median_x_raw=%.2f p99_x_raw=%.2f\n",
		       nev, c->name, rd[k].name, rd[k].n, rd[k].med, rd[k].p99,
		       rd[k].p99_lo, rd[k].p99_hi, rd[k].med / rd[0].med,
		       rd[k].p99 / rd[0].p99);
	fflush(stdout);
	return 0;
}

static int bench(int dev, int gpu, const uint64_t *cfg, unsigned int nev,
		 unsigned int reads, unsigned int rounds)
{
	int type = perf_pmu_type("i915"), pmu_cpu = perf_pmu_cpu("i915");
	int other = pmu_cpu == 0 ? 1 : 0, raw[MAX_EV], floor_fd = -1;
	uint64_t setup[2 + MAX_EV], check[2 + MAX_EV];
	struct reader rd[NREADERS];
	unsigned int i, k;
	int ret = -1;

	memset(rd, 0, sizeof(rd));
	for (i = 0; i < nev; i++)
		raw[i] = -1;
	for (k = 0; k < NREADERS; k++) {
		rd[k].fd = -1;
		rd[k].us = calloc((size_t)reads * rounds, sizeof(double));
		if (!rd[k].us) {
			fprintf(stderr, "load_bench: error: out of memory\n");
			goto out;
		}
	}

	for (i = 0; i < nev; i++) {
		raw[i] = perf_open(type, cfg[i], pmu_cpu, i ? raw[0] : -1, FMT);
		if (raw[i] < 0) {
			fprintf(stderr, "load_bench: error: perf_event_open %#llx: %s\n",
				(unsigned long long)cfg[i], strerror(-raw[i]));
			goto out;
		}
	}
	snprintf(rd[0].name, sizeof(rd[0].name), "raw");
	rd[0].fd = raw[0];
	rd[0].size = (2 + nev) * 8;

	floor_fd = open(FLOOR_DEV, O_RDWR | O_CLOEXEC);
	setup[0] = type;
	setup[1] = pmu_cpu;
	memcpy(setup + 2, cfg, nev * sizeof(*cfg));
	if (floor_fd < 0 ||
	    write(floor_fd, setup, (2 + nev) * 8) != (ssize_t)((2 + nev) * 8)) {
		fprintf(stderr, "load_bench: error: %s setup: %s\n", FLOOR_DEV,
			strerror(errno));
		goto out;
	}
	for (i = 0; i < NMODES; i++) {
		struct reader *f = &rd[1 + i], *m = &rd[1 + NMODES + i];

		snprintf(f->name, sizeof(f->name), "floor/%s", modes[i]);
		f->fd = floor_fd;
		f->size = nev * 8;
		f->mode_path = FLOOR_MODE;
		f->mode = modes[i];
		snprintf(m->name, sizeof(m->name), "nsgp/%s", modes[i]);
		m->fd = nsgp_open_group(dev, gpu, cfg, nev, FMT, 0, NULL);
		if (m->fd < 0) {
			fprintf(stderr, "load_bench: error: OPEN_GROUP: %s\n",
				strerror(-m->fd));
			goto out;
		}
		m->size = (2 + nev) * 8;
		m->mode_path = NSGP_MODE;
		m->mode = modes[i];
	}
	if (read(rd[1 + NMODES].fd, check, sizeof(check)) != (ssize_t)rd[1 + NMODES].size ||
	    check[0] != nev) {
		fprintf(stderr, "load_bench: error: nsgpuperf read layout\n");
		goto out;
	}

	printf("load_bench: events=%u pmu_cpu=%d reader_cpu=%d reads=%u rounds=%u\n",
	       nev, pmu_cpu, other, reads, rounds);
	ret = 0;
	for (k = 0; k < sizeof(conds) / sizeof(conds[0]) && !ret; k++)
		ret = run_cond(&conds[k], rd, nev, pmu_cpu, other, reads, rounds);
out:
	write_str(NSGP_MODE, default_mode);
	for (k = 0; k < NREADERS; k++) {
		if (k > NMODES && rd[k].fd >= 0)
			close(rd[k].fd);
		free(rd[k].us);
	}
	if (floor_fd >= 0)
		close(floor_fd);
	for (i = nev; i-- > 0;)
		if (raw[i] >= 0)
			close(raw[i]);
	return ret;
}

static char *read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = 0;
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
	return buf;
}

int main(int argc, char **argv)
{
	struct nsgpuperf_event_info evs[256];
	struct nsgpuperf_event_list el = {
		.size = sizeof(el), .count = 256, .entry_size = sizeof(evs[0]),
		.events = (uintptr_t)evs,
	};
	unsigned int reads = 2000, rounds = 3, sizes[8] = { 20, 4 }, nsizes = 2, i;
	char cs[64], *tok, *save;
	uint64_t cfg[MAX_EV];
	int opt, dev, gpu, ret = 0;

	while ((opt = getopt(argc, argv, "n:r:e:")) != -1) {
		switch (opt) {
		case 'n': reads = strtoul(optarg, NULL, 0); break;
		case 'r': rounds = strtoul(optarg, NULL, 0); break;
		case 'e':
			nsizes = 0;
			for (tok = strtok_r(optarg, ",", &save); tok && nsizes < 8;
			     tok = strtok_r(NULL, ",", &save))
				sizes[nsizes++] = strtoul(tok, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-n reads] [-r rounds] [-e events,...]\n",
				argv[0]);
			return 2;
		}
	}
	for (i = 0; i < nsizes; i++)
		if (!sizes[i] || sizes[i] > MAX_EV)
			nsizes = 0;
	reads -= reads % BATCH;
	if (!reads || !rounds || !nsizes) {
		fprintf(stderr, "load_bench: error: bad arguments\n");
		return 2;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "load_bench: error: needs two CPUs\n");
		return 1;
	}
	if (calibrate()) {
		fprintf(stderr, "load_bench: error: no usable TSC\n");
		return 1;
	}
	if (access(NSGP_MODE, W_OK)) {
		fprintf(stderr, "load_bench: error: %s: %s\n", NSGP_MODE, strerror(errno));
		return 1;
	}
	ret = module_load(FLOOR_KO, NULL);
	if (ret && ret != -EEXIST) {
		fprintf(stderr, "load_bench: error: insmod %s: %s\n", FLOOR_KO, strerror(-ret));
		return 1;
	}
	ret = 0;

	dev = nsgp_open(NULL);
	if (dev < 0) {
		fprintf(stderr, "load_bench: error: open %s: %s\n", NSGP_DEV, strerror(-dev));
		return 1;
	}
	gpu = nsgp_find_gpu(dev, GPU0_PCI, NULL);
	if (gpu < 0) {
		fprintf(stderr, "load_bench: error: GPU %s: %s\n", GPU0_PCI, strerror(-gpu));
		return 1;
	}
	el.gpu_id = gpu;
	if (ioctl(dev, NSGPUPERF_IOC_LIST_EVENTS, &el) || !el.count) {
		fprintf(stderr, "load_bench: error: LIST_EVENTS: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < MAX_EV; i++)
		cfg[i] = evs[i % el.count].config;
	printf("load_bench: gpu=%s pmu_events=%u default_read_mode=%s clocksource=%s "
	       "tsc_mhz=%.0f\n", GPU0_PCI, el.count,
	       read_line(NSGP_MODE, default_mode, sizeof(default_mode)),
	       read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
			 cs, sizeof(cs)), tsc_per_us);
	fflush(stdout);

	for (i = 0; i < nsizes && !ret; i++)
		ret = bench(dev, gpu, cfg, sizes[i], reads, rounds);
	close(dev);
	module_unload("nsgp_floor");
	printf("load_bench: %s\n", ret ? "FAILED" : "done");
	return ret ? 1 : 0;
}
