// SPDX-License-Identifier: GPL-2.0
/*
 * The group read path and its tuning knob, nsgpuperf's read_mode parameter
 * (ipi, event, work).  Every mode reads exact values from either CPU.  Up
 * to 6.14 (i915's own one-CPU cpumask) the default reads a whole group with
 * one cross-CPU call on the PMU's CPU, counted in /proc/interrupts, also
 * while a CPU-bound task runs there; when the PMU's CPU goes offline and
 * its events move, every mode follows them.  From 6.15 every mode reads in
 * place.  Timing is left to `make bench` (load_bench).
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
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "kselftest_harness.h"
#include "nsgp_test.h"

#define READ_MODE	"/sys/module/nsgpuperf/parameters/read_mode"
#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"
#define NREADS		200
#define NMODES		3

static const char *const modes[NMODES] = { "ipi", "event", "work" };

struct group_read {
	uint64_t nr, time_enabled;
	uint64_t values[NSGPUPERF_MAX_GROUP_EVENTS];
};

/* ---- helpers ---------------------------------------------------------- */

/* i915 has its own one-CPU cpumask up to 6.14 (PERF_PMU_SCOPE_SYS_WIDE after). */
static bool has_own_cpumask(void)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return true;
	return ma < 6 || (ma == 6 && mi < 15);
}

static int read_mode(char *buf, size_t len)
{
	FILE *f = fopen(READ_MODE, "re");
	int ret = -1;

	if (!f)
		return -errno;
	if (fgets(buf, len, f)) {
		buf[strcspn(buf, "\n")] = 0;
		ret = 0;
	}
	fclose(f);
	return ret;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static void unpin(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	CPU_SET(1, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Function call interrupts (smp_call_function*) taken by cpu so far. */
static long long cal_irqs(int cpu)
{
	char line[512], *p, *end;
	long long v = -1;
	FILE *f = fopen("/proc/interrupts", "re");
	int i;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, "CAL:", 4))
			continue;
		p += 4;
		for (i = 0; i <= cpu; i++) {
			v = strtoll(p, &end, 10);
			if (end == p) {
				v = -1;
				break;
			}
			p = end;
		}
		break;
	}
	fclose(f);
	return v;
}

/* A CPU-bound child pinned to cpu. */
static pid_t busy_start(int cpu)
{
	volatile unsigned long spin = 0;
	pid_t pid = fork();

	if (pid)
		return pid;
	if (pin(cpu))
		_exit(1);
	for (;;)
		spin++;
}

static void busy_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* The first n configs of GPU0's PMU (repeated if it has fewer). */
static int gpu0_configs(int fd, int gpu, uint64_t *cfg, unsigned int n)
{
	struct nsgpuperf_event_info evs[64];
	struct nsgpuperf_event_list el = {
		.size = sizeof(el), .gpu_id = gpu, .count = 64,
		.entry_size = sizeof(evs[0]), .events = (uintptr_t)evs,
	};
	unsigned int i;

	if (ioctl(fd, NSGPUPERF_IOC_LIST_EVENTS, &el) || !el.count)
		return -1;
	for (i = 0; i < n; i++)
		cfg[i] = evs[i % el.count].config;
	return 0;
}

/* ---- fixture ---------------------------------------------------------- */

FIXTURE(rp) {
	int fd, gpu;
	char mode0[32];
	bool reloaded;	/* the mock was loaded with another pmu_cpu */
};

FIXTURE_SETUP(rp)
{
	if (!module_loaded("mock_i915"))
		ASSERT_EQ(0, module_load(MOCK_KO, NULL));
	self->fd = nsgp_open(NULL);
	ASSERT_GE(self->fd, 0);
	self->gpu = nsgp_find_gpu(self->fd, GPU0_PCI, NULL);
	ASSERT_GE(self->gpu, 0);
	ASSERT_EQ(0, read_mode(self->mode0, sizeof(self->mode0)));
	ASSERT_EQ(0, mock_live_events_all());
	ASSERT_EQ(2, sysconf(_SC_NPROCESSORS_ONLN));
}

FIXTURE_TEARDOWN(rp)
{
	write_str(READ_MODE, self->mode0);
	write_str(CPU1_ONLINE, "1");
	unpin();
	if (self->fd >= 0)
		close(self->fd);
	/* back to the mock the other suites expect */
	if (self->reloaded) {
		module_unload("mock_i915");
		module_load(MOCK_KO, NULL);
	}
}

TEST_F(rp, read_mode_param)
{
	char buf[32];
	unsigned int i;

	/* the default is the design make bench found best */
	EXPECT_STREQ("ipi", self->mode0);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, write_str(READ_MODE, modes[i]));
		ASSERT_EQ(0, read_mode(buf, sizeof(buf)));
		EXPECT_STREQ(modes[i], buf);
	}
	EXPECT_EQ(-EINVAL, write_str(READ_MODE, "auto"));
	EXPECT_EQ(-EINVAL, write_str(READ_MODE, "ipi2"));
	ASSERT_EQ(0, read_mode(buf, sizeof(buf)));
	EXPECT_STREQ("work", buf);
}

/* Every mode, read from each CPU, gives the driven deltas exactly. */
TEST_F(rp, every_mode_reads_exact_values_from_each_cpu)
{
	uint64_t cfg[] = { CFG_RCS0_BUSY, CFG_VCS1_BUSY, I915_PMU_INTERRUPTS,
			   I915_PMU_RC6_RESIDENCY, CFG_BCS0_BUSY };
	struct group_read a, b;
	unsigned int m, i, n = 5;
	int cpu, g;

	g = nsgp_open_group(self->fd, self->gpu, cfg, n, 0, 0, NULL);
	ASSERT_GE(g, 0);
	for (cpu = 0; cpu < 2; cpu++) {
		ASSERT_EQ(0, pin(cpu));
		for (m = 0; m < NMODES; m++) {
			ASSERT_EQ(0, write_str(READ_MODE, modes[m]));
			ASSERT_EQ((2 + n) * 8, read(g, &a, sizeof(a)));
			for (i = 0; i < n; i++)
				ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu %u",
						      (unsigned long long)cfg[i],
						      1000 * (cpu + 1) + 100 * m + i));
			ASSERT_EQ((2 + n) * 8, read(g, &b, sizeof(b)));
			for (i = 0; i < n; i++)
				EXPECT_EQ(1000 * (cpu + 1) + 100 * m + i,
					  b.values[i] - a.values[i])
					TH_LOG("cpu %d mode %s event %u", cpu, modes[m], i);
		}
	}
	close(g);
}

/*
 * Reading a 20-event group NREADS times from the other CPU while a
 * CPU-bound task runs on the PMU's: ipi costs the PMU's CPU one function
 * call interrupt per read, event one per event, work none (a kworker
 * there, which the task delays).  From 6.15 none, in every mode.
 */
TEST_F(rp, one_cross_cpu_call_per_group_read)
{
	int pmu_cpu = perf_pmu_cpu("i915"), other, g;
	long long before, calls[3];
	uint64_t cfg[20], buf[2 + 20];
	unsigned int m, i;
	pid_t busy;

	ASSERT_EQ(0, gpu0_configs(self->fd, self->gpu, cfg, 20));
	g = nsgp_open_group(self->fd, self->gpu, cfg, 20, 0, 0, NULL);
	ASSERT_GE(g, 0);
	other = pmu_cpu == 0 ? 1 : 0;
	ASSERT_EQ(0, pin(other));
	busy = busy_start(pmu_cpu);
	ASSERT_LT(0, busy);
	usleep(100000);
	for (m = 0; m < NMODES; m++) {
		ASSERT_EQ(0, write_str(READ_MODE, modes[m]));
		ASSERT_EQ((ssize_t)sizeof(buf), read(g, buf, sizeof(buf)));
		before = cal_irqs(pmu_cpu);
		for (i = 0; i < NREADS; i++)
			if (read(g, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				break;
		calls[m] = cal_irqs(pmu_cpu) - before;
		EXPECT_EQ(NREADS, (int)i);
	}
	busy_stop(busy);
	close(g);
	ASSERT_LE(0, before);
	TH_LOG("CPU %d function call interrupts per %d reads: ipi %lld, event %lld, work %lld",
	       pmu_cpu, NREADS, calls[0], calls[1], calls[2]);
	if (!has_own_cpumask()) {
		EXPECT_GT(NREADS / 2, calls[0]);
		EXPECT_GT(NREADS / 2, calls[1]);
		EXPECT_GT(NREADS / 2, calls[2]);
		return;
	}
	EXPECT_LE(NREADS, calls[0]);
	EXPECT_GE(NREADS + NREADS / 2, calls[0]);
	EXPECT_LE(19 * NREADS, calls[1]);
	EXPECT_GT(NREADS / 2, calls[2]);
}

/*
 * The PMU's CPU (the mock loaded with pmu_cpu=1) goes offline under an
 * open group and comes back.  Up to 6.14 the PMU moves its events to
 * another CPU, as i915 does; from 6.15 they read anywhere.  In every mode
 * the group keeps reading exact counts, wherever its events went.
 */
TEST_F(rp, pmu_cpu_offline_every_mode_follows_the_events)
{
	uint64_t cfg[] = { CFG_RCS0_BUSY, I915_PMU_INTERRUPTS, CFG_VECS0_SEMA };
	struct group_read r;
	unsigned int m, i, k;
	int g;

	ASSERT_EQ(0, access(CPU1_ONLINE, W_OK));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, module_unload("mock_i915"));
	self->reloaded = true;
	ASSERT_EQ(0, module_load(MOCK_KO, "pmu_cpu=1"));
	self->fd = nsgp_open(NULL);
	ASSERT_GE(self->fd, 0);
	self->gpu = nsgp_find_gpu(self->fd, GPU0_PCI, NULL);
	ASSERT_GE(self->gpu, 0);
	if (has_own_cpumask())
		ASSERT_EQ(1, perf_pmu_cpu("i915"));
	ASSERT_EQ(0, pin(0));

	g = nsgp_open_group(self->fd, self->gpu, cfg, 3, 0, 0, NULL);
	ASSERT_GE(g, 0);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu %u",
				      (unsigned long long)cfg[i], 10 + i));
	ASSERT_EQ(5 * 8, read(g, &r, sizeof(r)));
	ASSERT_EQ(10, r.values[0]);

	/* k = 1: CPU 1 offline; k = 2: back online */
	for (k = 1; k <= 2; k++) {
		ASSERT_EQ(0, write_str(CPU1_ONLINE, k == 1 ? "0" : "1"));
		if (k == 1 && has_own_cpumask())
			EXPECT_EQ(0, perf_pmu_cpu("i915"));
		for (m = 0; m < NMODES; m++) {
			ASSERT_EQ(0, write_str(READ_MODE, modes[m]));
			for (i = 0; i < 3; i++)
				ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 1000",
						      (unsigned long long)cfg[i]));
			memset(&r, 0xff, sizeof(r));
			ASSERT_EQ(5 * 8, read(g, &r, sizeof(r)));
			for (i = 0; i < 3; i++)
				EXPECT_EQ(10 + i + 1000 * ((k - 1) * NMODES + m + 1),
					  r.values[i])
					TH_LOG("cpu 1 %s, mode %s, event %u",
					       k == 1 ? "offline" : "online", modes[m], i);
		}
	}
	close(g);
	ASSERT_EQ(0, mock_live_events_all());
}

TEST_HARNESS_MAIN
