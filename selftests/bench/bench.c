// SPDX-License-Identifier: GPL-2.0
/*
 * nsgpuperf benchmark (not a test: it prints figures).  Run as root in the
 * test VM, with nsgpuperf and the mock GPU loaded:
 *
 *   bench [-n READS] [-e EVENTS] [-s SESSIONS]
 *
 * 1. Read cost: READS (20000) group reads of the same EVENTS (20) events of
 *    GPU0 through a nsgpuperf group fd, and through a raw perf_event_open()
 *    group (PERF_FORMAT_GROUP | TOTAL_TIME_ENABLED, on the CPU of the PMU's
 *    cpumask) on the same PMU; ns per read and the ratio, unpinned and then
 *    pinned to the PMU's CPU and to another CPU.
 * 2. Memory: SESSIONS (1000) open sessions, each with one EVENTS-event
 *    group; kernel memory (/proc/meminfo Slab, SUnreclaim, KernelStack and
 *    /proc/slabinfo) before and after, per session.  The per-container
 *    group limit (max_groups_per_container, which child cgroups do not
 *    escape) is lifted for the run and restored after.
 *
 * Output lines start with "bench: ".  Exit status 0 unless something failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "nsgp_test.h"

#define FMT		(PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED)
#define GROUP_LIMIT	"/sys/module/nsgpuperf/parameters/max_groups_per_container"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#define FAIL(...) do { fprintf(stderr, "bench: error: " __VA_ARGS__); fputc('\n', stderr); \
		       return -1; } while (0)

/* ---- read cost ---------------------------------------------------------- */

struct readers {
	int nsgp;		/* nsgpuperf group fd */
	int raw[NSGPUPERF_MAX_GROUP_EVENTS];	/* raw perf group, raw[0] leads */
	unsigned int n;
	size_t size;		/* bytes of one group read */
};

/* ns per read of fd, over reads reads; -1 on a short or failed read. */
static double time_reads(int fd, size_t size, unsigned int reads)
{
	uint64_t buf[2 + NSGPUPERF_MAX_GROUP_EVENTS];
	unsigned int i;
	double t0;

	for (i = 0; i < 200; i++)	/* warm up */
		if (read(fd, buf, sizeof(buf)) != (ssize_t)size)
			return -1;
	t0 = now_ns();
	for (i = 0; i < reads; i++)
		if (read(fd, buf, sizeof(buf)) != (ssize_t)size)
			return -1;
	return (now_ns() - t0) / reads;
}

static int measure(const struct readers *r, unsigned int reads, const char *label)
{
	double mine = 1e300, raw = 1e300, t;
	int round;

	/* alternate, best of three rounds each: less noise from the host */
	for (round = 0; round < 3; round++) {
		t = time_reads(r->nsgp, r->size, reads);
		if (t < 0)
			FAIL("nsgpuperf group read failed: %s", strerror(errno));
		mine = t < mine ? t : mine;
		t = time_reads(r->raw[0], r->size, reads);
		if (t < 0)
			FAIL("raw perf group read failed: %s", strerror(errno));
		raw = t < raw ? t : raw;
	}
	printf("bench: %sevents=%u reads=%u nsgpuperf_read_ns=%.0f raw_perf_read_ns=%.0f "
	       "ratio=%.2f\n", label, r->n, reads, mine, raw, mine / raw);
	fflush(stdout);
	return 0;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int unpin(void)
{
	cpu_set_t set;
	long i, n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	for (i = 0; i < n; i++)
		CPU_SET(i, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int bench_reads(int dev, int gpu, const uint64_t *cfg, unsigned int n,
		       unsigned int reads)
{
	int type = perf_pmu_type("i915"), cpu = perf_pmu_cpu("i915");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t check[2 + NSGPUPERF_MAX_GROUP_EVENTS];
	struct readers r = { .n = n, .size = (2 + n) * 8 };
	char label[64];
	unsigned int i;
	int ret = 0;

	if (type <= 0)
		FAIL("no i915 PMU in /sys/bus/event_source/devices");
	r.nsgp = nsgp_open_group(dev, gpu, cfg, n, FMT, 0, NULL);
	if (r.nsgp < 0)
		FAIL("OPEN_GROUP of %u events: %s", n, strerror(-r.nsgp));
	for (i = 0; i < n; i++) {
		r.raw[i] = perf_open(type, cfg[i], cpu, i ? r.raw[0] : -1, FMT);
		if (r.raw[i] < 0)
			FAIL("perf_event_open config %#llx cpu %d: %s",
			     (unsigned long long)cfg[i], cpu, strerror(-r.raw[i]));
	}
	/* both read the same layout */
	if (read(r.nsgp, check, sizeof(check)) != (ssize_t)r.size || check[0] != n)
		FAIL("nsgpuperf read layout: expected %zu bytes, nr %u", r.size, n);
	if (read(r.raw[0], check, sizeof(check)) != (ssize_t)r.size || check[0] != n)
		FAIL("raw perf read layout: expected %zu bytes, nr %u", r.size, n);

	printf("bench: pmu=i915 pmu_cpu=%d online_cpus=%ld\n", cpu, ncpu);
	ret |= measure(&r, reads, "");
	if (!pin(cpu)) {
		snprintf(label, sizeof(label), "pinned_cpu=%d(pmu) ", cpu);
		ret |= measure(&r, reads, label);
	}
	if (ncpu > 1 && !pin(cpu == 0 ? 1 : 0)) {
		snprintf(label, sizeof(label), "pinned_cpu=%d(other) ", cpu == 0 ? 1 : 0);
		ret |= measure(&r, reads, label);
	}
	unpin();

	close(r.nsgp);
	for (i = n; i-- > 0;)
		close(r.raw[i]);
	return ret;
}

/* ---- memory per session ------------------------------------------------- */

struct mem {
	long long slab, sunreclaim, kernel_stack, page_tables;	/* kB */
	long long slabinfo;	/* bytes: active objects x object size */
};

static long long meminfo_kb(const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':') {
			v = strtoll(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long long slabinfo_bytes(void)
{
	char line[512], name[128];
	long long total = 0, active, num, objsize;
	FILE *f = fopen("/proc/slabinfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%127s %lld %lld %lld", name, &active, &num, &objsize) == 4)
			total += active * objsize;
	}
	fclose(f);
	return total;
}

static void snapshot(struct mem *m)
{
	/* let RCU-freed objects go, then drop clean caches, on both sides */
	sync();
	write_str("/proc/sys/vm/drop_caches", "3");
	usleep(200000);
	m->slab = meminfo_kb("Slab");
	m->sunreclaim = meminfo_kb("SUnreclaim");
	m->kernel_stack = meminfo_kb("KernelStack");
	m->page_tables = meminfo_kb("PageTables");
	m->slabinfo = slabinfo_bytes();
}

static int bench_memory(int gpu, const char *pci, const uint64_t *cfg, unsigned int n,
			unsigned int sessions)
{
	int *fds = calloc(2 * sessions, sizeof(int));
	struct rlimit rl = { 2 * sessions + 256, 2 * sessions + 256 };
	long long live = -1, limit = read_ll(GROUP_LIMIT);
	unsigned int i, made = 0;
	struct mem a, b, c;
	char old[32];
	int ret = 0;

	if (!fds)
		FAIL("out of memory");
	if (setrlimit(RLIMIT_NOFILE, &rl))
		FAIL("RLIMIT_NOFILE %u: %s", 2 * sessions + 256, strerror(errno));
	/* grow the fd table now, so that it is not counted per session */
	if (dup2(0, 2 * sessions + 200) < 0)
		FAIL("dup2: %s", strerror(errno));
	close(2 * sessions + 200);
	if (limit < 0 || write_str(GROUP_LIMIT, "0"))
		FAIL("cannot lift %s", GROUP_LIMIT);
	snprintf(old, sizeof(old), "%lld", limit);

	snapshot(&a);
	for (i = 0; i < sessions; i++) {
		fds[2 * i] = nsgp_open(NULL);
		if (fds[2 * i] < 0) {
			fprintf(stderr, "bench: error: session %u: %s\n", i, strerror(-fds[2 * i]));
			ret = -1;
			break;
		}
		fds[2 * i + 1] = nsgp_open_group(fds[2 * i], gpu, cfg, n, FMT, 0, NULL);
		if (fds[2 * i + 1] < 0) {
			fprintf(stderr, "bench: error: group of session %u: %s\n", i,
				strerror(-fds[2 * i + 1]));
			close(fds[2 * i]);
			ret = -1;
			break;
		}
		made++;
	}
	live = mock_live_events(pci);
	snapshot(&b);
	for (i = 0; i < made; i++) {
		close(fds[2 * i + 1]);
		close(fds[2 * i]);
	}
	snapshot(&c);
	write_str(GROUP_LIMIT, old);
	free(fds);
	if (!made)
		return -1;

	printf("bench: sessions=%u events_per_group=%u mock_live_events=%lld "
	       "slab_per_session_bytes=%.0f sunreclaim_per_session_bytes=%.0f "
	       "slabinfo_per_session_bytes=%.0f kernelstack_delta_kb=%lld "
	       "pagetables_delta_kb=%lld\n",
	       made, n, live, (b.slab - a.slab) * 1024.0 / made,
	       (b.sunreclaim - a.sunreclaim) * 1024.0 / made,
	       a.slabinfo >= 0 ? (double)(b.slabinfo - a.slabinfo) / made : -1.0,
	       b.kernel_stack - a.kernel_stack, b.page_tables - a.page_tables);
	printf("bench: after_close slab_delta_kb=%lld sunreclaim_delta_kb=%lld "
	       "slabinfo_delta_bytes=%lld\n", c.slab - a.slab, c.sunreclaim - a.sunreclaim,
	       a.slabinfo >= 0 ? c.slabinfo - a.slabinfo : -1LL);
	fflush(stdout);
	return ret;
}

int main(int argc, char **argv)
{
	struct nsgpuperf_event_info evs[256];
	struct nsgpuperf_event_list el = {
		.size = sizeof(el), .count = 256, .entry_size = sizeof(evs[0]),
		.events = (uintptr_t)evs,
	};
	unsigned int reads = 20000, nev = 20, sessions = 1000, i, distinct;
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS];
	int opt, dev, gpu, ret = 0;

	while ((opt = getopt(argc, argv, "n:e:s:")) != -1) {
		switch (opt) {
		case 'n': reads = strtoul(optarg, NULL, 0); break;
		case 'e': nev = strtoul(optarg, NULL, 0); break;
		case 's': sessions = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: %s [-n reads] [-e events] [-s sessions]\n",
				argv[0]);
			return 2;
		}
	}
	if (!nev || nev > NSGPUPERF_MAX_GROUP_EVENTS || !reads || !sessions) {
		fprintf(stderr, "bench: error: bad arguments\n");
		return 2;
	}

	dev = nsgp_open(NULL);
	if (dev < 0) {
		fprintf(stderr, "bench: error: open %s: %s\n", NSGP_DEV, strerror(-dev));
		return 1;
	}
	gpu = nsgp_find_gpu(dev, GPU0_PCI, NULL);
	if (gpu < 0) {
		fprintf(stderr, "bench: error: GPU %s not listed: %s\n", GPU0_PCI,
			strerror(-gpu));
		return 1;
	}
	el.gpu_id = gpu;
	if (ioctl(dev, NSGPUPERF_IOC_LIST_EVENTS, &el) || !el.count) {
		fprintf(stderr, "bench: error: LIST_EVENTS: %s\n", strerror(errno));
		return 1;
	}
	/* the PMU's first nev events; repeated if it has fewer */
	distinct = el.count < nev ? el.count : nev;
	for (i = 0; i < nev; i++)
		cfg[i] = evs[i % distinct].config;
	printf("bench: gpu=%s events=%u distinct=%u of %u\n", GPU0_PCI, nev, distinct,
	       el.count);

	if (bench_reads(dev, gpu, cfg, nev, reads))
		ret = 1;
	close(dev);
	if (bench_memory(gpu, GPU0_PCI, cfg, nev, sessions))
		ret = 1;
	printf("bench: %s\n", ret ? "FAILED" : "done");
	return ret;
}
