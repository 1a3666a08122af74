// SPDX-License-Identifier: GPL-2.0
/*
 * nsgpuperf under concurrency: processes x threads opening sessions and
 * groups with overlapping configs on both GPUs, reading, adding events and
 * closing, while the mock counters move; then many readers of one shared
 * group fd while events are added to it.  Every syscall result is checked
 * and every failure reported; at the end no kernel counter and no module
 * reference may be left.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "kselftest_harness.h"
#include "nsgp_test.h"

#define CHURN_SECS	5	/* the churn phase */
#define CHURN_PROCS	3
#define CHURN_THREADS	3
#define CHURN_GROUPS	2	/* groups one thread holds at most */
#define CHURN_MAX_EV	8	/* events one churn group grows to at most */
#define CHURN_MIN_OPS	40	/* per worker, however slow the kernel */
#define SHARED_SECS	3	/* the shared-fd phase */
#define SHARED_READERS	6	/* threads reading one group fd */
#define SHARED_ADDS	8	/* events added to it while they read */
#define SETTLE_MS	2000

static const uint64_t pool[] = {
	CFG_RCS0_BUSY, CFG_RCS0_WAIT, CFG_BCS0_BUSY, CFG_VCS0_BUSY, CFG_VCS1_BUSY,
	CFG_VECS0_SEMA, I915_PMU_INTERRUPTS, I915_PMU_RC6_RESIDENCY,
};
static const char *const gpu_pci[2] = { GPU0_PCI, GPU1_PCI };

/* Failures of one worker, in memory shared with the test process. */
struct report {
	uint64_t ops, reads, opens, adds, errors;
	char first[3][200];
};

static void failed(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failed(struct report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->errors < ARRAY_SIZE(r->first)) {
		va_start(ap, fmt);
		vsnprintf(r->first[r->errors], sizeof(r->first[0]), fmt, ap);
		va_end(ap);
	}
	r->errors++;
}

static int report_log(struct __test_metadata *_metadata, const char *who,
		      const struct report *r)
{
	unsigned int k;

	TH_LOG("%s: %llu ops, %llu reads, %llu group opens, %llu adds, %llu errors", who,
	       (unsigned long long)r->ops, (unsigned long long)r->reads,
	       (unsigned long long)r->opens, (unsigned long long)r->adds,
	       (unsigned long long)r->errors);
	for (k = 0; k < r->errors && k < ARRAY_SIZE(r->first); k++)
		TH_LOG("  %s", r->first[k]);
	return 0;
}

/* ---- the counter driver: "add" on the mock while the workers run ------- */

struct driver {
	volatile int stop;
	uint32_t seed;
	const uint64_t *cfgs;	/* exact totals are kept for these, GPU0 only */
	unsigned int nr_cfgs;
	uint64_t total[16];
	uint64_t adds, errors;
	int first_err;
};

static void *driver_thread(void *p)
{
	struct driver *d = p;

	while (!d->stop) {
		unsigned int g = nsgp_rnd(&d->seed) % 2, delta = 1 + nsgp_rnd(&d->seed) % 1000, i;
		uint64_t cfg;
		int ret;

		if (d->cfgs && g == 0) {
			i = nsgp_rnd(&d->seed) % d->nr_cfgs;
			cfg = d->cfgs[i];
		} else {
			i = ~0u;
			cfg = pool[nsgp_rnd(&d->seed) % ARRAY_SIZE(pool)];
		}
		ret = mock_ctl(gpu_pci[g], "add %llu %u", (unsigned long long)cfg, delta);
		if (ret) {
			if (!d->errors++)
				d->first_err = ret;
			continue;
		}
		if (i != ~0u)
			d->total[i] += delta;
		d->adds++;
	}
	return NULL;
}

/* ---- churn --------------------------------------------------------------- */

struct cgroup_state {		/* one group a churn thread holds */
	int fd;
	unsigned int gpu, nr;
	bool enabled;
	bool frozen;	/* disabled and read since: nothing may move */
	uint64_t cfg[CHURN_MAX_EV], id[CHURN_MAX_EV];
	uint64_t prev[CHURN_MAX_EV], prev_te;
};

struct churn {
	struct report *r;
	uint32_t seed;
	int who;
	uint32_t gpu_id[2];
	double deadline;
};

static void churn_read(struct churn *c, struct cgroup_state *g)
{
	uint64_t buf[2 + CHURN_MAX_EV];
	ssize_t n;
	unsigned int i;

	c->r->reads++;
	n = read(g->fd, buf, sizeof(buf));
	if (n != (ssize_t)(2 + g->nr) * 8) {
		failed(c->r, "w%d read of %u events: %zd errno %d", c->who, g->nr, n, errno);
		return;
	}
	if (buf[0] != g->nr)
		failed(c->r, "w%d read nr %llu, expected %u", c->who,
		       (unsigned long long)buf[0], g->nr);
	if (buf[1] < g->prev_te)
		failed(c->r, "w%d time_enabled went back %llu -> %llu", c->who,
		       (unsigned long long)g->prev_te, (unsigned long long)buf[1]);
	if (g->frozen && buf[1] != g->prev_te)
		failed(c->r, "w%d disabled group's time_enabled moved %llu -> %llu", c->who,
		       (unsigned long long)g->prev_te, (unsigned long long)buf[1]);
	g->prev_te = buf[1];
	for (i = 0; i < g->nr && i < buf[0]; i++) {
		if (g->frozen && buf[2 + i] != g->prev[i])
			failed(c->r, "w%d disabled group's event %u moved %llu -> %llu", c->who,
			       i, (unsigned long long)g->prev[i],
			       (unsigned long long)buf[2 + i]);
		if (buf[2 + i] < g->prev[i])
			failed(c->r, "w%d event %u (%#llx) went back %llu -> %llu", c->who, i,
			       (unsigned long long)g->cfg[i], (unsigned long long)g->prev[i],
			       (unsigned long long)buf[2 + i]);
		g->prev[i] = buf[2 + i];
	}
}

static void churn_open(struct churn *c, int sess, struct cgroup_state *g)
{
	unsigned int i, j;
	uint32_t flags = nsgp_rnd(&c->seed) % 4 ? 0 : NSGPUPERF_GROUP_DISABLED;

	memset(g, 0, sizeof(*g));
	g->gpu = nsgp_rnd(&c->seed) % 2;
	g->nr = 1 + nsgp_rnd(&c->seed) % 4;
	for (i = 0; i < g->nr; i++)
		g->cfg[i] = pool[nsgp_rnd(&c->seed) % ARRAY_SIZE(pool)];
	c->r->opens++;
	g->fd = nsgp_open_group(sess, c->gpu_id[g->gpu], g->cfg, g->nr, 0, flags, g->id);
	if (g->fd < 0) {
		failed(c->r, "w%d OPEN_GROUP gpu%u x%u: %s", c->who, g->gpu, g->nr,
		       strerror(-g->fd));
		g->fd = -1;
		return;
	}
	g->enabled = !flags;
	g->frozen = !!flags;	/* opened disabled: zeros, and no time */
	for (i = 0; i < g->nr; i++) {
		if (!g->id[i])
			failed(c->r, "w%d event %u got id 0", c->who, i);
		for (j = 0; j < i; j++)
			if (g->id[i] == g->id[j])
				failed(c->r, "w%d events %u and %u share id %llu", c->who, j, i,
				       (unsigned long long)g->id[i]);
	}
}

static void churn_op(struct churn *c, int *sess, struct cgroup_state *gs)
{
	struct cgroup_state *g = &gs[nsgp_rnd(&c->seed) % CHURN_GROUPS];
	unsigned int op = nsgp_rnd(&c->seed) % 16;

	c->r->ops++;
	if (*sess < 0 || op == 0) {
		/* a new session; groups outlive the one they came from */
		if (*sess >= 0 && close(*sess))
			failed(c->r, "w%d close session: errno %d", c->who, errno);
		*sess = nsgp_open(NULL);
		if (*sess < 0) {
			failed(c->r, "w%d open %s: %s", c->who, NSGP_DEV, strerror(-*sess));
			*sess = -1;
			return;
		}
		if (nsgp_count_gpus(*sess) != 2)
			failed(c->r, "w%d session lists %d GPUs", c->who, nsgp_count_gpus(*sess));
		return;
	}
	if (g->fd < 0) {
		churn_open(c, *sess, g);
		return;
	}
	if (op <= 8) {
		churn_read(c, g);
	} else if (op <= 10 && g->nr < CHURN_MAX_EV) {
		struct nsgpuperf_group_add add = {
			.size = sizeof(add), .config = pool[nsgp_rnd(&c->seed) % ARRAY_SIZE(pool)],
		};

		c->r->adds++;
		if (ioctl(g->fd, NSGPUPERF_GROUP_IOC_ADD, &add)) {
			failed(c->r, "w%d GROUP_IOC_ADD %#llx to %u events: errno %d", c->who,
			       (unsigned long long)add.config, g->nr, errno);
			return;
		}
		if (!add.id)
			failed(c->r, "w%d added event got id 0", c->who);
		g->cfg[g->nr] = add.config;
		g->id[g->nr] = add.id;
		g->prev[g->nr] = 0;
		g->nr++;
	} else if (op == 11) {
		if (ioctl(g->fd, g->enabled ? NSGPUPERF_GROUP_IOC_DISABLE
					    : NSGPUPERF_GROUP_IOC_ENABLE, 0)) {
			failed(c->r, "w%d %s: errno %d", c->who,
			       g->enabled ? "DISABLE" : "ENABLE", errno);
			return;
		}
		g->enabled = !g->enabled;
		g->frozen = false;
		if (!g->enabled) {
			/* what it counted until now; then nothing may move */
			churn_read(c, g);
			g->frozen = true;
		}
	} else if (op == 12) {
		/* as perf's: the leader alone, or the group with the flag */
		unsigned long flag = nsgp_rnd(&c->seed) % 2 ? PERF_IOC_FLAG_GROUP : 0;

		if (ioctl(g->fd, NSGPUPERF_GROUP_IOC_RESET, flag))
			failed(c->r, "w%d RESET: errno %d", c->who, errno);
		if (flag)
			memset(g->prev, 0, sizeof(g->prev));
		else
			g->prev[0] = 0;
	} else {
		if (close(g->fd))
			failed(c->r, "w%d close group: errno %d", c->who, errno);
		g->fd = -1;
	}
}

static void *churn_thread(void *p)
{
	struct churn *c = p;
	struct cgroup_state gs[CHURN_GROUPS];
	int sess = -1;
	unsigned int i;

	for (i = 0; i < CHURN_GROUPS; i++)
		gs[i].fd = -1;
	/* a slow kernel (the debug one, a loaded host) stretches the phase
	 * rather than leaving a worker with nothing done */
	while (nsgp_now() < c->deadline || c->r->ops < CHURN_MIN_OPS)
		churn_op(c, &sess, gs);
	for (i = 0; i < CHURN_GROUPS; i++)
		if (gs[i].fd >= 0 && close(gs[i].fd))
			failed(c->r, "w%d close group: errno %d", c->who, errno);
	if (sess >= 0 && close(sess))
		failed(c->r, "w%d close session: errno %d", c->who, errno);
	return NULL;
}

static int churn_process(int proc, struct report *reports, const uint32_t *gpu_id,
			 double deadline)
{
	struct churn c[CHURN_THREADS];
	pthread_t th[CHURN_THREADS];
	int t;

	for (t = 0; t < CHURN_THREADS; t++) {
		c[t].r = &reports[proc * CHURN_THREADS + t];
		c[t].seed = 0x1234567u * (proc * CHURN_THREADS + t + 1);
		c[t].who = proc * CHURN_THREADS + t;
		c[t].gpu_id[0] = gpu_id[0];
		c[t].gpu_id[1] = gpu_id[1];
		c[t].deadline = deadline;
		if (pthread_create(&th[t], NULL, churn_thread, &c[t]))
			return 2;
	}
	for (t = 0; t < CHURN_THREADS; t++)
		pthread_join(th[t], NULL);
	return 0;
}

/* No state of its own: a fixture only for TEST_F_TIMEOUT. */
FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(stress)
{
}

static void gpu_ids(struct __test_metadata *_metadata, uint32_t *ids)
{
	int fd = nsgp_open(NULL), a, b;

	ASSERT_GE(fd, 0);
	a = nsgp_find_gpu(fd, GPU0_PCI, NULL);
	b = nsgp_find_gpu(fd, GPU1_PCI, NULL);
	close(fd);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ids[0] = a;
	ids[1] = b;
}

TEST_F_TIMEOUT(stress, churn_processes_threads_both_gpus, 30 + 4 * CHURN_SECS)
{
	const int nw = CHURN_PROCS * CHURN_THREADS;
	struct driver d = { .seed = 0xd00d };
	struct report *rep;
	pid_t pids[CHURN_PROCS];
	pthread_t drv;
	uint32_t gpu_id[2];
	double start;
	char who[32];
	int p, w, st;

	gpu_ids(_metadata, gpu_id);
	ASSERT_EQ(0, nsgp_settle(nsgp_live_all, NULL, 0, SETTLE_MS));
	rep = mmap(NULL, nw * sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	memset(rep, 0, nw * sizeof(*rep));

	ASSERT_EQ(0, pthread_create(&drv, NULL, driver_thread, &d));
	start = nsgp_now();
	fflush(NULL);
	for (p = 0; p < CHURN_PROCS; p++) {
		pids[p] = fork();
		ASSERT_GE(pids[p], 0);
		if (!pids[p])
			_exit(churn_process(p, rep, gpu_id, start + CHURN_SECS));
	}
	for (p = 0; p < CHURN_PROCS; p++) {
		ASSERT_EQ(pids[p], waitpid(pids[p], &st, 0));
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
			TH_LOG("churn process %d: status %#x", p, st);
	}
	d.stop = 1;
	pthread_join(drv, NULL);
	TH_LOG("%.1f s; driver: %llu adds, %llu failed (first: %d)", nsgp_now() - start,
	       (unsigned long long)d.adds, (unsigned long long)d.errors, d.first_err);
	EXPECT_EQ(0, d.errors);
	EXPECT_GT(d.adds, 0);
	for (w = 0; w < nw; w++) {
		snprintf(who, sizeof(who), "worker %d", w);
		report_log(_metadata, who, &rep[w]);
		EXPECT_EQ(0, rep[w].errors) TH_LOG("%s", who);
		/* each worker did real work */
		EXPECT_GT(rep[w].opens, 0) TH_LOG("%s", who);
		EXPECT_GT(rep[w].reads, 0) TH_LOG("%s", who);
	}
	munmap(rep, nw * sizeof(*rep));

	/* no leak: every counter closed, no module reference left */
	ASSERT_EQ(0, nsgp_settle(nsgp_live_all, NULL, 0, SETTLE_MS));
	ASSERT_EQ(0, nsgp_settle(module_refcnt, "nsgpuperf", 0, SETTLE_MS));
	ASSERT_EQ(0, nsgp_settle(module_refcnt, "mock_i915", 0, SETTLE_MS));
}

/* ---- one group fd, many readers ----------------------------------------- */

struct shared {
	int fd;
	volatile int stop;
	unsigned int base_nr;
};

struct reader {
	struct shared *sh;
	struct report r;
	int who;
};

static void reader_loop(struct shared *sh, struct report *r, int who)
{
	uint64_t buf[2 + NSGPUPERF_MAX_GROUP_EVENTS], prev[NSGPUPERF_MAX_GROUP_EVENTS];
	uint64_t prev_nr = 0, prev_te = 0;
	unsigned int i;
	ssize_t n;

	memset(prev, 0, sizeof(prev));
	while (!sh->stop) {
		r->reads++;
		n = read(sh->fd, buf, sizeof(buf));
		if (n < 16 || n != (ssize_t)(2 + buf[0]) * 8) {
			failed(r, "r%d read: %zd errno %d (nr %llu)", who, n, errno,
			       n >= 8 ? (unsigned long long)buf[0] : 0ULL);
			continue;
		}
		if (buf[0] < prev_nr || buf[0] < sh->base_nr ||
		    buf[0] > sh->base_nr + SHARED_ADDS)
			failed(r, "r%d nr %llu after %llu", who, (unsigned long long)buf[0],
			       (unsigned long long)prev_nr);
		if (buf[1] < prev_te)
			failed(r, "r%d time_enabled went back %llu -> %llu", who,
			       (unsigned long long)prev_te, (unsigned long long)buf[1]);
		for (i = 0; i < prev_nr && i < buf[0]; i++)
			if (buf[2 + i] < prev[i])
				failed(r, "r%d event %u went back %llu -> %llu", who, i,
				       (unsigned long long)prev[i],
				       (unsigned long long)buf[2 + i]);
		for (i = 0; i < buf[0]; i++)
			prev[i] = buf[2 + i];
		prev_nr = buf[0];
		prev_te = buf[1];
	}
}

static void *reader_thread(void *p)
{
	struct reader *rd = p;

	reader_loop(rd->sh, &rd->r, rd->who);
	return NULL;
}

TEST_F_TIMEOUT(stress, many_readers_one_group_fd, 30 + 4 * SHARED_SECS)
{
	static const uint64_t cfg[] = { CFG_RCS0_BUSY, CFG_VCS0_BUSY, I915_PMU_INTERRUPTS,
					CFG_BCS0_BUSY };
	struct driver d = { .seed = 0xfeed, .cfgs = cfg, .nr_cfgs = ARRAY_SIZE(cfg) };
	struct reader rd[SHARED_READERS];
	struct shared *sh;
	struct report *child_rep;
	pthread_t th[SHARED_READERS], drv;
	uint64_t buf[2 + NSGPUPERF_MAX_GROUP_EVENTS];
	uint32_t gpu_id[2];
	unsigned int added, i;
	double end;
	char who[32];
	pid_t child;
	int sess, st;

	gpu_ids(_metadata, gpu_id);
	ASSERT_EQ(0, nsgp_settle(nsgp_live_all, NULL, 0, SETTLE_MS));
	sh = mmap(NULL, sizeof(*sh) + sizeof(*child_rep), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh) + sizeof(*child_rep));
	child_rep = (struct report *)(sh + 1);

	sess = nsgp_open(NULL);
	ASSERT_GE(sess, 0);
	sh->base_nr = ARRAY_SIZE(cfg);
	sh->fd = nsgp_open_group(sess, gpu_id[0], cfg, ARRAY_SIZE(cfg), 0, 0, NULL);
	ASSERT_GE(sh->fd, 0);
	close(sess);	/* the group fd alone keeps everything alive */

	/* a reader in another process shares the same open file */
	fflush(NULL);
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		reader_loop(sh, child_rep, SHARED_READERS);
		_exit(0);
	}
	for (i = 0; i < SHARED_READERS; i++) {
		memset(&rd[i].r, 0, sizeof(rd[i].r));
		rd[i].sh = sh;
		rd[i].who = i;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, reader_thread, &rd[i]));
	}
	ASSERT_EQ(0, pthread_create(&drv, NULL, driver_thread, &d));

	/* events join the group while it is being read */
	end = nsgp_now() + SHARED_SECS;
	for (added = 0; added < SHARED_ADDS; added++) {
		struct nsgpuperf_group_add add = {
			.size = sizeof(add), .config = pool[added % ARRAY_SIZE(pool)],
		};

		usleep(SHARED_SECS * 1000000 / (SHARED_ADDS + 2));
		EXPECT_EQ(0, ioctl(sh->fd, NSGPUPERF_GROUP_IOC_ADD, &add))
			TH_LOG("add #%u: errno %d", added, errno);
	}
	while (nsgp_now() < end)
		usleep(10000);
	d.stop = 1;
	pthread_join(drv, NULL);
	sh->stop = 1;
	for (i = 0; i < SHARED_READERS; i++)
		pthread_join(th[i], NULL);
	ASSERT_EQ(child, waitpid(child, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	TH_LOG("driver: %llu adds, %llu failed (first: %d)", (unsigned long long)d.adds,
	       (unsigned long long)d.errors, d.first_err);
	EXPECT_EQ(0, d.errors);
	for (i = 0; i <= SHARED_READERS; i++) {
		const struct report *r = i < SHARED_READERS ? &rd[i].r : child_rep;

		snprintf(who, sizeof(who), "reader %u%s", i,
			 i < SHARED_READERS ? "" : " (other process)");
		report_log(_metadata, who, r);
		EXPECT_EQ(0, r->errors) TH_LOG("%s", who);
		EXPECT_GT(r->reads, 0) TH_LOG("%s", who);
	}

	/*
	 * Never more than the driver added.  (An add that lands while perf
	 * reschedules the CPU's events for a newly added counter is not
	 * counted, by the mock as by i915: its start() re-reads "prev".)
	 */
	ASSERT_EQ((ssize_t)(2 + ARRAY_SIZE(cfg) + SHARED_ADDS) * 8,
		  read(sh->fd, buf, sizeof(buf)));
	ASSERT_EQ(ARRAY_SIZE(cfg) + SHARED_ADDS, buf[0]);
	for (i = 0; i < ARRAY_SIZE(cfg); i++)
		EXPECT_LE(buf[2 + i], d.total[i]) TH_LOG("event %u (%#llx)", i,
							 (unsigned long long)cfg[i]);
	/* once the group is stable, every add counts exactly */
	for (i = 0; i < ARRAY_SIZE(cfg); i++)
		ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu %u",
				      (unsigned long long)cfg[i], 1000 * (i + 1)));
	{
		uint64_t after[2 + NSGPUPERF_MAX_GROUP_EVENTS];

		ASSERT_EQ((ssize_t)(2 + ARRAY_SIZE(cfg) + SHARED_ADDS) * 8,
			  read(sh->fd, after, sizeof(after)));
		for (i = 0; i < ARRAY_SIZE(cfg); i++)
			EXPECT_EQ(1000 * (i + 1), after[2 + i] - buf[2 + i]);
	}

	close(sh->fd);
	munmap(sh, sizeof(*sh) + sizeof(*child_rep));
	ASSERT_EQ(0, nsgp_settle(nsgp_live_all, NULL, 0, SETTLE_MS));
	ASSERT_EQ(0, nsgp_settle(module_refcnt, "nsgpuperf", 0, SETTLE_MS));
	ASSERT_EQ(0, nsgp_settle(module_refcnt, "mock_i915", 0, SETTLE_MS));
}

TEST_HARNESS_MAIN
