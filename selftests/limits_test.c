// SPDX-License-Identifier: GPL-2.0
/*
 * Limits a container cannot escape, memory it pays for:
 *
 * - max_groups_per_container counts every group of a container: child
 *   cgroups of its delegated subtree, nested user namespaces and new
 *   sessions all share it;
 * - what the kernel allocates for a caller is charged to the caller's
 *   memory cgroup, so memory.max bounds what a container can make the
 *   kernel hold: it runs out inside its limit, not in the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nsgp_test.h"
#include "nsgp_usage.h"

#define PARAM(name)	"/sys/module/nsgpuperf/parameters/" name
#define NODE		"/tmp/nsgpuperf-limits"
#define CT		CG "/ct3"
#define MEMCG		CG "/mem1"
#define CT_ROOT		100000

static const struct as_user ct_root = { -1, -1, "0 100000 65536", -1, false, NULL };
static const struct as_user ct_root_nested = {
	-1, -1, "0 100000 65536", -1, false, "0 0 65536"
};

/* Open groups on GPU0 through a new session until one fails. */
static int open_groups_until_refused(int max, int *err)
{
	uint64_t cfg = CFG_RCS0_BUSY;
	int fd = nsgp_open(NODE), n = 0, g;

	*err = 0;
	if (fd < 0) {
		*err = -fd;
		return -1;
	}
	while (n < max) {
		g = nsgp_open_group(fd, nsgp_find_gpu(fd, GPU0_PCI, NULL), &cfg,
				    1, 0, 0, NULL);
		if (g < 0) {
			*err = -g;
			break;
		}
		n++;	/* kept open */
	}
	return n;
}

struct tally {
	int groups, err_last, err_nested, groups_nested;
};

/* Container root: one session per child cgroup it makes. */
static int fill_child_cgroups(void *arg)
{
	struct tally *t = arg;
	char cg[64];
	int i, n, err;

	for (i = 0; i < 5; i++) {
		snprintf(cg, sizeof(cg), CT "/c%d", i);
		if (mkdir(cg, 0755) && errno != EEXIST)
			return 100 + i;
		if (cg_enter(cg))
			return 110 + i;
		n = open_groups_until_refused(100, &err);
		if (n < 0)
			return 120 + i;
		t->groups += n;
		t->err_last = err;
	}
	return 0;
}

static int fill_nested(void *arg)
{
	struct tally *t = arg;

	t->groups_nested = open_groups_until_refused(100, &t->err_nested);
	return 0;
}

static void chown_cgroup(const char *cg, uid_t uid)
{
	static const char * const files[] = {
		"", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control",
	};
	char path[128];
	unsigned int i;

	/* what LXC does to delegate a container's subtree */
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", cg, files[i]);
		chown(path, uid, uid);
	}
}

static void rm_children(const char *cg)
{
	char path[128];
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/c%d", cg, i);
		rmdir(path);
	}
	rmdir(cg);
}

FIXTURE(limits) {
	struct tally *t;
};

FIXTURE_SETUP(limits)
{
	ASSERT_EQ(0, nsgp_mknod(NODE, CT_ROOT, CT_ROOT, 0600));
	self->t = mmap(NULL, sizeof(*self->t), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->t);
	memset(self->t, 0, sizeof(*self->t));
	rm_children(CT);
	ASSERT_EQ(0, mkdir(CT, 0755));
	chown_cgroup(CT, CT_ROOT);
}

FIXTURE_TEARDOWN(limits)
{
	write_str(PARAM("max_groups_per_container"), "64");
	unlink(NODE);
	rm_children(CT);
	munmap(self->t, sizeof(*self->t));
}

/* Run fn as container root placed in CT, with CT as its cgroupns root. */
static int in_container(const struct as_user *who, int (*fn)(void *), void *arg)
{
	int st;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (cg_enter(CT) || unshare(CLONE_NEWCGROUP))
			_exit(99);
		_exit(run_as(who, fn, arg));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

TEST_F(limits, child_cgroups_and_nested_namespaces_share_the_limit)
{
	ASSERT_EQ(0, write_str(PARAM("max_groups_per_container"), "4"));
	/*
	 * Every group is still open while the next cgroup tries: the whole
	 * container got 4, not 4 per child cgroup.  (The fill runs in one
	 * process, so its groups live until it exits.)
	 */
	ASSERT_EQ(0, in_container(&ct_root, fill_child_cgroups, self->t));
	ASSERT_EQ(4, self->t->groups);
	ASSERT_EQ(EMFILE, self->t->err_last);
	ASSERT_EQ(0, mock_live_events_all());

	/* a nested user namespace counts against its container too */
	memset(self->t, 0, sizeof(*self->t));
	ASSERT_EQ(0, in_container(&ct_root_nested, fill_nested, self->t));
	ASSERT_EQ(4, self->t->groups_nested);
	ASSERT_EQ(EMFILE, self->t->err_nested);
}

/* Kernel slab that is not reclaimable, in KiB. */
static long long sunreclaim_kib(void)
{
	char line[128];
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %lld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

struct memrun {
	volatile int groups;
	volatile int err;
	volatile int done;
};

/* In the memory-limited cgroup: open groups until refused, report. */
static int fill_memory(void *arg)
{
	struct memrun *m = arg;
	uint64_t cfg = CFG_RCS0_BUSY;
	int fd = nsgp_open(NODE), gpu, g;

	if (fd < 0)
		return 100;
	gpu = nsgp_find_gpu(fd, GPU0_PCI, NULL);
	if (gpu < 0)
		return 101;
	for (;;) {
		g = nsgp_open_group(fd, gpu, &cfg, 1, 0, 0, NULL);
		if (g < 0) {
			m->err = -g;
			break;
		}
		m->groups++;
		if (m->groups >= 200000)
			break;
	}
	m->done = 1;
	return 0;
}

TEST_F(limits, memory_max_bounds_what_a_container_makes_the_kernel_hold)
{
	const long long max_kib = 16 * 1024;
	struct memrun *m;
	long long before, after, per_group_x100;
	uint64_t cfg = CFG_RCS0_BUSY;
	int fd, gpu, g[200], i, st;
	struct rlimit rl = { 1 << 20, 1 << 20 };
	pid_t pid;

	ASSERT_EQ(0, write_str(PARAM("max_groups_per_container"), "0"));
	/* the cost of a group in kernel memory, measured without a limit */
	fd = nsgp_open(NULL);
	ASSERT_GE(fd, 0);
	gpu = nsgp_find_gpu(fd, GPU0_PCI, NULL);
	before = sunreclaim_kib();
	for (i = 0; i < 200; i++) {
		g[i] = nsgp_open_group(fd, gpu, &cfg, 1, 0, 0, NULL);
		ASSERT_GE(g[i], 0);
	}
	after = sunreclaim_kib();
	for (i = 0; i < 200; i++)
		close(g[i]);
	close(fd);
	per_group_x100 = (after - before) * 100 / 200;
	TH_LOG("a group holds about %lld.%02lld KiB of unreclaimable slab",
	       per_group_x100 / 100, per_group_x100 % 100);
	ASSERT_GT(per_group_x100, 100);	/* at least 1 KiB: the group itself */

	ASSERT_EQ(0, write_str(CG "/cgroup.subtree_control", "+memory"));
	rmdir(MEMCG);
	ASSERT_EQ(0, mkdir(MEMCG, 0755));
	ASSERT_EQ(0, write_str(MEMCG "/memory.max", "16M"));
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, 0, sizeof(*m));

	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (setrlimit(RLIMIT_NOFILE, &rl) || cg_enter(MEMCG))
			_exit(99);
		_exit(run_as(&ct_root, fill_memory, m));
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	TH_LOG("container opened %d groups, then %s (%s)", m->groups,
	       m->done ? strerror(m->err) : "was killed",
	       WIFSIGNALED(st) ? "memcg OOM" : "exited");
	/* it stopped at its memory limit, not at our cap */
	ASSERT_LT(m->groups, 200000);
	ASSERT_TRUE(!m->done || m->err == ENOMEM || m->err == EMFILE);
	/* what it made the kernel hold fits (roughly) in its 16 MiB */
	ASSERT_LE((long long)m->groups * per_group_x100 / 100, max_kib * 5 / 4);
	ASSERT_GT(read_ll(MEMCG "/memory.peak") , 12 * 1024 * 1024);

	/* the host is fine: everything went with the container */
	for (i = 0; i < 200 && mock_live_events_all(); i++)
		usleep(10000);	/* a killed task's files may close late */
	ASSERT_EQ(0, mock_live_events_all());
	fd = nsgp_open(NULL);
	ASSERT_GE(fd, 0);
	g[0] = nsgp_open_group(fd, gpu, &cfg, 1, 0, 0, NULL);
	ASSERT_GE(g[0], 0);
	close(g[0]);
	close(fd);
	rmdir(MEMCG);
	munmap(m, sizeof(*m));
}

TEST_HARNESS_MAIN
