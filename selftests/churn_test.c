// SPDX-License-Identifier: GPL-2.0
/*
 * Everything at once, for a bounded time: the random-ioctl fuzzer
 * (lib/nsgp_fuzz.c) in several processes, readers of groups on both GPUs
 * (NSGPUPERF_IOC_OPEN_GROUP and NSGPUPERF_IOC_PERF_OPEN), a counter driver,
 * and meanwhile a churner that unbinds and rebinds the GPUs through sysfs
 * and one that unloads and reloads the GPU driver (mock_i915).
 *
 * Before 6.16 perf core cannot survive a read of an event whose PMU
 * unregistered (use-after-free): nsgpuperf must have released its kernel
 * counters of a GPU before the driver's remove unregisters the PMU.  Under
 * KASAN that is what this hunts; everywhere it checks that every syscall
 * either succeeds or fails with an errno of the list allowed for that call
 * (anything else is reported with the call), that a live group's values
 * never go back and a dead one stays dead, and that at the end, everything
 * closed, no kernel counter and no module reference is left and both GPUs
 * are back and usable.
 *
 * The duration: NSGPUPERF_CHURN_SECS, or "churn_test --secs=N" in the
 * suites file (default 20 s).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
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
#include "nsgp_fuzz.h"
#include "nsgp_test.h"

#define SECS_ENV	"NSGPUPERF_CHURN_SECS"
#define SECS_DEFAULT	20
#define SECS_MAX	3600

#define FZ_PROCS	3
#define FZ_THREADS	2
#define FZ_SEED		0xc4a5e123u
#define RD_PROCS	2
#define RD_THREADS	2
#define RD_GROUPS	2	/* OPEN_GROUP groups a reader holds */
#define RD_MAX_EV	4
#define NR_FAILS	6	/* failure messages kept per role */
/* A role still running this long after the deadline is stuck. */
#define HANG_SECS	60
#define SETTLE_MS	3000

static const uint64_t pool[] = {
	CFG_RCS0_BUSY, CFG_RCS0_WAIT, CFG_BCS0_BUSY, CFG_VCS0_BUSY, CFG_VCS1_BUSY,
	CFG_VECS0_SEMA, I915_PMU_INTERRUPTS, I915_PMU_RC6_RESIDENCY,
};
static const char *const gpu_pci[2] = { GPU0_PCI, GPU1_PCI };

/* ---- shared state ------------------------------------------------------- */

enum { R_FUZZ, R_READ, R_BIND, R_MOD, R_DRIVER, R_NR };
static const char *const role_names[R_NR] = {
	"fuzzer", "readers", "bind churner", "module churner", "counter driver",
};

struct fails {
	uint64_t n;
	char first[NR_FAILS][200];
};

struct rd_stats {
	uint64_t sessions, presents, present_refused, opens, open_gone, reads, deaths;
	uint64_t voluntary_closes, perf_opens, perf_gone, perf_reads, perf_deaths;
	uint64_t gpu_away;
};

struct shared {
	struct nsgp_fuzz_stats fz[FZ_PROCS];
	struct rd_stats rd[RD_PROCS * RD_THREADS];
	struct {
		uint64_t unbinds, unbind_refused, binds, bind_refused;
		double secs;		/* in unbind + bind */
	} bind;
	struct {
		uint64_t cycles, rmmods, rmmod_busy, unbinds, insmods;
		double secs;		/* from the unbinds to the end of insmod */
	} mod;
	struct {
		uint64_t adds, add_gone;
	} drv;
	struct fails fails[R_NR];
};

static struct shared *sh;
static double deadline;

static void msleep(unsigned int ms)
{
	usleep(ms * 1000);
}

static void fail(int role, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(int role, const char *fmt, ...)
{
	uint64_t i = __atomic_fetch_add(&sh->fails[role].n, 1, __ATOMIC_RELAXED);
	va_list ap;

	if (i >= NR_FAILS)
		return;
	va_start(ap, fmt);
	vsnprintf(sh->fails[role].first[i], sizeof(sh->fails[role].first[i]), fmt, ap);
	va_end(ap);
}

/* -err is 0 or in the 0-terminated list: else a failure of @role. */
static bool allowed(int role, int err, const int *ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool allowed(int role, int err, const int *ok, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	if (!err)
		return true;
	for (; *ok; ok++)
		if (*ok == err)
			return true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fail(role, "%s: errno %d (%s)", what, err, strerror(err));
	return false;
}

#define OK(...)		((const int[]){ __VA_ARGS__, 0 })

/* ---- the duration ------------------------------------------------------- */

/* The duration in seconds, -1 if the one given is not valid. */
static int churn_secs(void)
{
	const char *s = getenv(SECS_ENV);
	char *end;
	long v;

	if (!s || !*s)
		return SECS_DEFAULT;
	v = strtol(s, &end, 10);
	return *end || v <= 0 || v > SECS_MAX ? -1 : v;
}

/* The harness' bound: the churn, the processes' exit, the checks. */
static int churn_timeout(void)
{
	int secs = churn_secs();

	return 2 * (secs > 0 ? secs : SECS_DEFAULT) + HANG_SECS + 120;
}

/* ---- readers ------------------------------------------------------------ */

struct rgroup {
	int fd, sib;		/* sib: a PERF_OPEN sibling, else -1 */
	unsigned int gpu, nr;
	bool perf;
	uint64_t cfg[RD_MAX_EV], prev[RD_MAX_EV], prev_te;
};

struct reader {
	int who;
	uint32_t seed;
	uint32_t gpu_id[2];
	int sess;
	struct rd_stats *st;
	struct rgroup g[RD_GROUPS + 1];	/* the last one: PERF_OPEN */
};

static void rg_close(struct reader *r, struct rgroup *g)
{
	if (g->sib >= 0 && close(g->sib))
		fail(R_READ, "r%d close sibling: errno %d", r->who, errno);
	if (g->fd >= 0 && close(g->fd))
		fail(R_READ, "r%d close group: errno %d", r->who, errno);
	g->fd = g->sib = -1;
}

/*
 * A session as a reader opens one: the device, then each render node
 * presented (the mock's edu node is no nsgpuperf GPU: ENODEV).
 */
static int rd_session(struct reader *r)
{
	char path[64];
	int fd, i, drm, ret;

	fd = nsgp_open_raw(NULL);
	if (fd < 0) {
		fail(R_READ, "r%d open %s: errno %d", r->who, NSGP_DEV, -fd);
		return -1;
	}
	r->st->sessions++;
	for (i = 128; i < 192; i++) {
		snprintf(path, sizeof(path), "/dev/dri/renderD%d", i);
		drm = open(path, O_RDWR | O_CLOEXEC);
		/* nodes come and go with the driver */
		if (drm < 0) {
			allowed(R_READ, errno, OK(ENOENT, ENXIO, ENODEV), "r%d open %s",
				r->who, path);
			continue;
		}
		ret = nsgp_present(fd, drm);
		close(drm);
		if (ret >= 0)
			r->st->presents++;
		else if (allowed(R_READ, -ret, OK(ENODEV), "r%d PRESENT_GPU %s", r->who, path))
			r->st->present_refused++;
	}
	return fd;
}

static void rd_open_group(struct reader *r, struct rgroup *g)
{
	unsigned int i;
	int fd;

	g->gpu = nsgp_rnd(&r->seed) % 2;
	g->nr = 1 + nsgp_rnd(&r->seed) % RD_MAX_EV;
	for (i = 0; i < g->nr; i++)
		g->cfg[i] = pool[nsgp_rnd(&r->seed) % ARRAY_SIZE(pool)];
	fd = nsgp_open_group(r->sess, r->gpu_id[g->gpu], g->cfg, g->nr, 0, 0, NULL);
	if (fd < 0) {
		/* the GPU is unbound, or its driver module unloading */
		if (allowed(R_READ, -fd, OK(ENODEV), "r%d OPEN_GROUP gpu%u x%u", r->who,
			    g->gpu, g->nr))
			r->st->open_gone++;
		return;
	}
	r->st->opens++;
	g->fd = fd;
	g->perf = false;
	memset(g->prev, 0, sizeof(g->prev));
	g->prev_te = 0;
}

static int perf_open_ioc(int sess, uint32_t type, uint64_t config, int cpu, int group_fd)
{
	struct perf_event_attr attr = {
		.type = type, .size = sizeof(attr), .config = config,
		.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED,
	};
	struct nsgpuperf_perf_open po = {
		.size = sizeof(po), .flags = PERF_FLAG_FD_CLOEXEC, .attr = (uintptr_t)&attr,
		.pid = -1, .cpu = cpu, .group_fd = group_fd, .fd = -1,
	};
	int fd = ioctl(sess, NSGPUPERF_IOC_PERF_OPEN, &po);

	return fd < 0 ? -errno : fd;
}

/* A leader and a sibling through the perf_event_open() path. */
static void rd_perf_open(struct reader *r, struct rgroup *g)
{
	struct nsgpuperf_gpu_info info;
	int id, fd, cpu;

	g->gpu = nsgp_rnd(&r->seed) % 2;
	id = nsgp_find_gpu(r->sess, gpu_pci[g->gpu], &info);
	if (id < 0 || !(info.flags & NSGPUPERF_GPU_BOUND)) {
		/* unlisted while its driver module is away, unbound by hand */
		if (id < 0)
			allowed(R_READ, -id, OK(ENODEV), "r%d LIST_GPUS for %s", r->who,
				gpu_pci[g->gpu]);
		r->st->gpu_away++;
		return;
	}
	if (id != (int)r->gpu_id[g->gpu])
		fail(R_READ, "r%d GPU %s has id %d, was %u", r->who, gpu_pci[g->gpu], id,
		     r->gpu_id[g->gpu]);
	cpu = perf_pmu_cpu(info.pmu_name);
	g->nr = 2;
	g->cfg[0] = pool[nsgp_rnd(&r->seed) % ARRAY_SIZE(pool)];
	g->cfg[1] = pool[nsgp_rnd(&r->seed) % ARRAY_SIZE(pool)];
	/*
	 * Since the listing the GPU may have unbound (no PMU of that type:
	 * ENOENT; the PMU gone under the trial: ENODEV).
	 */
	fd = perf_open_ioc(r->sess, info.pmu_type, g->cfg[0], cpu, -1);
	if (fd < 0) {
		if (allowed(R_READ, -fd, OK(ENOENT, ENODEV), "r%d PERF_OPEN gpu%u type %u",
			    r->who, g->gpu, info.pmu_type))
			r->st->perf_gone++;
		return;
	}
	g->fd = fd;
	g->perf = true;
	memset(g->prev, 0, sizeof(g->prev));
	g->prev_te = 0;
	/*
	 * The same, and the type may now be the other GPU's (perf reuses
	 * the lowest free type): a leader on another GPU is EINVAL.
	 */
	fd = perf_open_ioc(r->sess, info.pmu_type, g->cfg[1], cpu, g->fd);
	if (fd < 0) {
		if (allowed(R_READ, -fd, OK(ENOENT, ENODEV, EINVAL),
			    "r%d PERF_OPEN sibling gpu%u type %u", r->who, g->gpu,
			    info.pmu_type))
			r->st->perf_gone++;
		g->nr = 1;
		r->st->perf_opens++;
		return;
	}
	g->sib = fd;
	r->st->perf_opens++;
}

/* Read a group: values never go back while it lives; dead, it stays dead. */
static void rd_read(struct reader *r, struct rgroup *g)
{
	uint64_t buf[2 + RD_MAX_EV];
	ssize_t n, want = (2 + g->nr) * 8;
	unsigned int i;

	n = read(g->fd, buf, sizeof(buf));
	if (n < 0) {
		if (!allowed(R_READ, errno, OK(ENODEV), "r%d read %s group of %u on gpu%u",
			     r->who, g->perf ? "perf" : "nsgpuperf", g->nr, g->gpu)) {
			rg_close(r, g);
			return;
		}
		if (g->perf)
			r->st->perf_deaths++;
		else
			r->st->deaths++;
		/* its GPU unbound: dead for good, whatever binds since */
		n = read(g->fd, buf, sizeof(buf));
		if (n >= 0 || errno != ENODEV)
			fail(R_READ, "r%d dead group read again: %zd errno %d", r->who, n,
			     n < 0 ? errno : 0);
		if (ioctl(g->fd, PERF_EVENT_IOC_ENABLE, 0) != -1 || errno != ENODEV)
			fail(R_READ, "r%d dead group ENABLE: errno %d", r->who, errno);
		rg_close(r, g);
		return;
	}
	if (g->perf)
		r->st->perf_reads++;
	else
		r->st->reads++;
	if (n != want || buf[0] != g->nr) {
		fail(R_READ, "r%d read %zd bytes, nr %llu, expected %zd, %u", r->who, n,
		     (unsigned long long)buf[0], want, g->nr);
		rg_close(r, g);
		return;
	}
	if (buf[1] < g->prev_te)
		fail(R_READ, "r%d time_enabled went back %llu -> %llu", r->who,
		     (unsigned long long)g->prev_te, (unsigned long long)buf[1]);
	g->prev_te = buf[1];
	for (i = 0; i < g->nr; i++) {
		if (buf[2 + i] < g->prev[i])
			fail(R_READ, "r%d %s event %u (%#llx) on gpu%u went back %llu -> %llu",
			     r->who, g->perf ? "perf" : "group", i,
			     (unsigned long long)g->cfg[i], g->gpu,
			     (unsigned long long)g->prev[i], (unsigned long long)buf[2 + i]);
		g->prev[i] = buf[2 + i];
	}
}

static void *reader_thread(void *p)
{
	struct reader *r = p;
	struct rgroup *g;
	unsigned int i, op;

	r->sess = -1;
	for (i = 0; i <= RD_GROUPS; i++)
		r->g[i].fd = r->g[i].sib = -1;
	while (nsgp_now() < deadline) {
		op = nsgp_rnd(&r->seed) % 64;
		if (r->sess < 0 || op == 0) {
			/* groups outlive the session they came from */
			if (r->sess >= 0 && close(r->sess))
				fail(R_READ, "r%d close session: errno %d", r->who, errno);
			r->sess = rd_session(r);
			continue;
		}
		g = &r->g[op % (RD_GROUPS + 1)];
		if (g->fd < 0) {
			if (g == &r->g[RD_GROUPS])
				rd_perf_open(r, g);
			else
				rd_open_group(r, g);
			if (g->fd < 0)
				msleep(1);	/* GPU away: not a busy loop */
			continue;
		}
		if (op == 1) {
			r->st->voluntary_closes++;
			rg_close(r, g);
			continue;
		}
		rd_read(r, g);
	}
	for (i = 0; i <= RD_GROUPS; i++)
		rg_close(r, &r->g[i]);
	if (r->sess >= 0 && close(r->sess))
		fail(R_READ, "r%d close session: errno %d", r->who, errno);
	return NULL;
}

static int reader_process(int proc, const uint32_t *gpu_id)
{
	struct reader rd[RD_THREADS];
	pthread_t th[RD_THREADS];
	int t;

	for (t = 0; t < RD_THREADS; t++) {
		memset(&rd[t], 0, sizeof(rd[t]));
		rd[t].who = proc * RD_THREADS + t;
		rd[t].seed = 0x2545f491u * (rd[t].who + 1);
		rd[t].gpu_id[0] = gpu_id[0];
		rd[t].gpu_id[1] = gpu_id[1];
		rd[t].st = &sh->rd[rd[t].who];
		if (pthread_create(&th[t], NULL, reader_thread, &rd[t]))
			return 2;
	}
	for (t = 0; t < RD_THREADS; t++)
		pthread_join(th[t], NULL);
	return 0;
}

/* ---- churners ----------------------------------------------------------- */

/*
 * sysfs unbind: ENODEV when the GPU is not bound to the driver (unbound
 * already) or the driver's files are on their way out; ENOENT while its
 * module is unloaded (no /sys/bus/pci/drivers/i915).
 */
static bool unbind_ok(int role, const char *pci, int *err)
{
	*err = -pci_unbind(pci);
	return allowed(role, *err, OK(ENODEV, ENOENT), "unbind %s", pci);
}

/* sysfs bind: also EBUSY when bound already (a module load bound it). */
static bool bind_ok(int role, const char *pci, int *err)
{
	*err = -pci_bind(pci);
	return allowed(role, *err, OK(EBUSY, ENODEV, ENOENT), "bind %s", pci);
}

/*
 * The churners keep the GPUs bound for twice as long as their last
 * unbind and bind (or unload and load) took: on a slow kernel too the
 * readers and fuzzers mostly find them there, and then see them go.
 */
static unsigned int stay_ms(double secs, unsigned int min_ms)
{
	unsigned int ms = secs * 2000;

	return ms > min_ms ? ms : min_ms;
}

static int bind_churner(void)
{
	uint32_t seed = 0xb1d0b1d0u;
	unsigned int g;
	double t;
	int err;

	while (nsgp_now() < deadline) {
		g = nsgp_rnd(&seed) % 2;
		t = nsgp_now();
		if (unbind_ok(R_BIND, gpu_pci[g], &err)) {
			if (err)
				sh->bind.unbind_refused++;
			else
				sh->bind.unbinds++;
		}
		msleep(nsgp_rnd(&seed) % 20);
		if (bind_ok(R_BIND, gpu_pci[g], &err)) {
			if (err)
				sh->bind.bind_refused++;
			else
				sh->bind.binds++;
		}
		t = nsgp_now() - t;
		sh->bind.secs += t;
		msleep(stay_ms(t, 20) + nsgp_rnd(&seed) % 150);
	}
	return 0;
}

/*
 * rmmod is refused (EWOULDBLOCK) while anything holds the module: a live
 * kernel counter (perf holds its PMU's module), an open DRM node.  So
 * each cycle unbinds both GPUs (nsgpuperf releases their counters) and
 * tries rmmod a while, the other churner and the readers racing it.
 */
static int module_churner(void)
{
	uint32_t seed = 0x3d0d3d0du;
	double t = 0;
	bool gone;
	int i, err, ret;

	while (nsgp_now() < deadline) {
		msleep(stay_ms(t, 300) + nsgp_rnd(&seed) % 1200);
		sh->mod.cycles++;
		t = nsgp_now();
		gone = false;
		for (i = 0; i < 50 && !gone && nsgp_now() < deadline; i++) {
			if (unbind_ok(R_MOD, GPU0_PCI, &err) && !err)
				sh->mod.unbinds++;
			if (unbind_ok(R_MOD, GPU1_PCI, &err) && !err)
				sh->mod.unbinds++;
			ret = module_unload("mock_i915");
			if (!ret) {
				gone = true;
				sh->mod.rmmods++;
			} else if (allowed(R_MOD, -ret, OK(EWOULDBLOCK), "rmmod mock_i915")) {
				sh->mod.rmmod_busy++;
				msleep(2);
			}
		}
		if (!gone) {
			t = 0;
			continue;
		}
		msleep(nsgp_rnd(&seed) % 50);
		ret = module_load(MOCK_KO, NULL);
		if (ret) {
			fail(R_MOD, "insmod %s: errno %d (%s)", MOCK_KO, -ret, strerror(-ret));
			return 1;
		}
		sh->mod.insmods++;
		t = nsgp_now() - t;
		sh->mod.secs += t;
	}
	return 0;
}

/* Keep the counters moving: the mock's "add", while its GPUs come and go. */
static int counter_driver(void)
{
	uint32_t seed = 0xadd0add0u;
	unsigned int g;
	int ret;

	while (nsgp_now() < deadline) {
		g = nsgp_rnd(&seed) % 2;
		ret = mock_ctl(gpu_pci[g], "add %llu %u",
			       (unsigned long long)pool[nsgp_rnd(&seed) % ARRAY_SIZE(pool)],
			       1 + nsgp_rnd(&seed) % 1000);
		/*
		 * The control file is gone (ENOENT) or going (EIO) with the GPU,
		 * or debugfs refuses to open it while its module is going (ENXIO).
		 */
		if (!ret)
			sh->drv.adds++;
		else if (allowed(R_DRIVER, -ret, OK(ENOENT, EIO, ENXIO), "mock add on %s",
				 gpu_pci[g]))
			sh->drv.add_gone++;
		if (nsgp_rnd(&seed) % 8 == 0)
			msleep(1);
	}
	return 0;
}

/* ---- the test ----------------------------------------------------------- */

FIXTURE(churn) {
	uint32_t gpu_id[2];
	long long live0, nsgp_ref0, mock_ref0;
};

/* Both GPUs bound to the mock again, whatever the churn left. */
static void restore(void)
{
	if (!module_loaded("mock_i915"))
		module_load(MOCK_KO, NULL);
	pci_bind(GPU0_PCI);
	pci_bind(GPU1_PCI);
}

FIXTURE_SETUP(churn)
{
	int fd, a, b;

	restore();
	fd = nsgp_open(NULL);
	ASSERT_GE(fd, 0);
	a = nsgp_find_gpu(fd, GPU0_PCI, NULL);
	b = nsgp_find_gpu(fd, GPU1_PCI, NULL);
	close(fd);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	self->gpu_id[0] = a;
	self->gpu_id[1] = b;
	/* the baselines, nothing of ours open */
	self->live0 = mock_live_events_all();
	ASSERT_EQ(0, self->live0);
	self->nsgp_ref0 = nsgp_settle(module_refcnt, "nsgpuperf", 0, SETTLE_MS);
	self->mock_ref0 = nsgp_settle(module_refcnt, "mock_i915", 0, SETTLE_MS);
	ASSERT_GE(self->nsgp_ref0, 0);
	ASSERT_GE(self->mock_ref0, 0);
}

FIXTURE_TEARDOWN(churn)
{
	restore();
}

struct child {
	pid_t pid;
	int role;
	int idx;
};

/* A child that will not exit: what its threads are blocked on. */
static void log_stacks(struct __test_metadata *_metadata, pid_t pid)
{
	char path[320], buf[2048];
	struct dirent *e;
	ssize_t n;
	DIR *d;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		TH_LOG("task %s of %d:\n%s", e->d_name, pid, buf);
	}
	closedir(d);
}

TEST_F_TIMEOUT(churn, everything_at_once, churn_timeout())
{
	struct nsgp_fuzz_opts fo = {
		.seed = FZ_SEED, .threads = FZ_THREADS, .iters = 0,
		.gpu0 = self->gpu_id[0], .gpu1 = self->gpu_id[1], .churn = true,
	};
	struct child ch[FZ_PROCS + RD_PROCS + 3];
	struct nsgpuperf_gpu_info info;
	unsigned int nch = 0, i, k, alive;
	int secs = churn_secs(), st, fd, g[2];
	uint64_t calls = 0, gone = 0, fz_groups = 0, buf[3];
	struct rd_stats rt = { 0 };
	double start, end;
	pid_t pid;

	ASSERT_GT(secs, 0) TH_LOG("%s=%s: not a duration of 1 to %d s", SECS_ENV,
				  getenv(SECS_ENV), SECS_MAX);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	/* PRESENT_GPU of no fd: a DRM file would hold the driver's module */
	fo.ro = nsgp_fuzz_ro_page(self->gpu_id[0], -1);
	ASSERT_NE(NULL, fo.ro);

	TH_LOG("%d s: %d fuzzing processes x %d threads, %d reader processes x %d threads, "
	       "a counter driver, a bind churner, a module churner", secs, FZ_PROCS,
	       FZ_THREADS, RD_PROCS, RD_THREADS);
	start = nsgp_now();
	deadline = start + secs;
	fo.deadline = time(NULL) + secs;
	fflush(NULL);
	for (i = 0; i < FZ_PROCS + RD_PROCS + 3; i++) {
		struct child c = { .role = i < FZ_PROCS ? R_FUZZ :
					  i < FZ_PROCS + RD_PROCS ? R_READ :
					  i == FZ_PROCS + RD_PROCS ? R_DRIVER :
					  i == FZ_PROCS + RD_PROCS + 1 ? R_BIND : R_MOD };

		c.idx = c.role == R_FUZZ ? (int)i : c.role == R_READ ? (int)i - FZ_PROCS : 0;
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			switch (c.role) {
			case R_FUZZ:
				_exit(nsgp_fuzz_process(c.idx, &fo, &sh->fz[c.idx]));
			case R_READ:
				_exit(reader_process(c.idx, self->gpu_id));
			case R_DRIVER:
				_exit(counter_driver());
			case R_BIND:
				_exit(bind_churner());
			default:
				_exit(module_churner());
			}
		}
		c.pid = pid;
		ch[nch++] = c;
	}

	/* every child exits soon after the deadline, or it is stuck */
	do {
		alive = 0;
		for (i = 0; i < nch; i++) {
			if (!ch[i].pid)
				continue;
			pid = waitpid(ch[i].pid, &st, WNOHANG);
			if (!pid) {
				alive++;
				continue;
			}
			EXPECT_EQ(ch[i].pid, pid);
			EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
				TH_LOG("%s %d: status %#x", role_names[ch[i].role], ch[i].idx, st);
			ch[i].pid = 0;
		}
		if (alive)
			msleep(50);
	} while (alive && nsgp_now() < deadline + HANG_SECS);
	end = nsgp_now();
	for (i = 0; i < nch; i++) {
		if (!ch[i].pid)
			continue;
		EXPECT_EQ(0, ch[i].pid) TH_LOG("%s %d still running %d s after the deadline",
					       role_names[ch[i].role], ch[i].idx, HANG_SECS);
		log_stacks(_metadata, ch[i].pid);
		kill(ch[i].pid, SIGKILL);
		waitpid(ch[i].pid, &st, 0);
	}

	/* ---- what each part did -------------------------------------------- */
	for (i = 0; i < FZ_PROCS; i++) {
		struct nsgp_fuzz_stats *f = &sh->fz[i];

		TH_LOG("fuzzer %u: %llu calls (%llu known ok, %llu known refused, %llu unknown, "
		       "%llu reads), %llu groups opened, %llu refused with the GPU gone, "
		       "%llu failures", i, (unsigned long long)f->calls,
		       (unsigned long long)f->known_ok, (unsigned long long)f->known_err,
		       (unsigned long long)f->unknown, (unsigned long long)f->reads,
		       (unsigned long long)f->groups_opened, (unsigned long long)f->gone,
		       (unsigned long long)f->fails);
		for (k = 0; k < f->nr_kinds; k++)
			TH_LOG("  %llux %s", (unsigned long long)f->kind[k].n, f->kind[k].msg);
		EXPECT_EQ(0, f->fails);
		calls += f->calls;
		gone += f->gone;
		fz_groups += f->groups_opened;
	}
	for (i = 0; i < RD_PROCS * RD_THREADS; i++) {
		struct rd_stats *r = &sh->rd[i];

		TH_LOG("reader %u: %llu sessions (%llu GPUs presented, %llu refused), "
		       "%llu groups opened (%llu refused: GPU gone), %llu reads, %llu found dead, "
		       "%llu closed alive; perf path: %llu opened (%llu refused), %llu reads, "
		       "%llu found dead; GPU away %llu times", i,
		       (unsigned long long)r->sessions, (unsigned long long)r->presents,
		       (unsigned long long)r->present_refused, (unsigned long long)r->opens,
		       (unsigned long long)r->open_gone, (unsigned long long)r->reads,
		       (unsigned long long)r->deaths, (unsigned long long)r->voluntary_closes,
		       (unsigned long long)r->perf_opens, (unsigned long long)r->perf_gone,
		       (unsigned long long)r->perf_reads, (unsigned long long)r->perf_deaths,
		       (unsigned long long)r->gpu_away);
		rt.opens += r->opens;
		rt.reads += r->reads;
		rt.deaths += r->deaths;
		rt.perf_reads += r->perf_reads;
		rt.perf_deaths += r->perf_deaths;
	}
	TH_LOG("counter driver: %llu adds, %llu refused (GPU away)",
	       (unsigned long long)sh->drv.adds, (unsigned long long)sh->drv.add_gone);
	TH_LOG("bind churner: %llu unbinds (%llu refused), %llu binds (%llu refused), "
	       "%.1f s in them",
	       (unsigned long long)sh->bind.unbinds, (unsigned long long)sh->bind.unbind_refused,
	       (unsigned long long)sh->bind.binds, (unsigned long long)sh->bind.bind_refused,
	       sh->bind.secs);
	TH_LOG("module churner: %llu cycles, %llu rmmod + insmod, %llu rmmod refused "
	       "(in use), %llu unbinds of its own, %.1f s from unbinds to loaded",
	       (unsigned long long)sh->mod.cycles, (unsigned long long)sh->mod.rmmods,
	       (unsigned long long)sh->mod.rmmod_busy, (unsigned long long)sh->mod.unbinds,
	       sh->mod.secs);
	TH_LOG("%.1f s in all; fuzzer: %llu calls, %llu refused with the GPU gone",
	       end - start, (unsigned long long)calls, (unsigned long long)gone);
	for (i = 0; i < R_NR; i++) {
		for (k = 0; k < sh->fails[i].n && k < NR_FAILS; k++)
			TH_LOG("%s: %s", role_names[i], sh->fails[i].first[k]);
		EXPECT_EQ(0, sh->fails[i].n) TH_LOG("%s: failures", role_names[i]);
	}

	/* each part did real work, and the churn reached the readers */
	EXPECT_GT(calls, 1000);
	EXPECT_GT(fz_groups, 0);
	EXPECT_GT(gone, 0);
	EXPECT_GT(rt.opens, 0);
	EXPECT_GT(rt.reads, 0);
	EXPECT_GT(rt.perf_reads, 0);
	EXPECT_GT(rt.deaths + rt.perf_deaths, 0);
	EXPECT_GT(sh->drv.adds, 0);
	EXPECT_GT(sh->bind.unbinds, 0);
	EXPECT_GT(sh->bind.binds, 0);
	EXPECT_EQ(sh->mod.rmmods, sh->mod.insmods);
	EXPECT_GT(sh->mod.rmmods, 0);

	/* ---- everything closed: nothing left, both GPUs back and usable ----- */
	restore();
	EXPECT_EQ(self->live0, nsgp_settle(nsgp_live_all, NULL, self->live0, SETTLE_MS));
	EXPECT_EQ(0, mock_live_events(GPU0_PCI));
	EXPECT_EQ(0, mock_live_events(GPU1_PCI));
	EXPECT_EQ(self->nsgp_ref0, nsgp_settle(module_refcnt, "nsgpuperf", self->nsgp_ref0, SETTLE_MS));
	EXPECT_EQ(self->mock_ref0, nsgp_settle(module_refcnt, "mock_i915", self->mock_ref0, SETTLE_MS));

	fd = nsgp_open(NULL);
	ASSERT_GE(fd, 0);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ((int)self->gpu_id[i], nsgp_find_gpu(fd, gpu_pci[i], &info))
			TH_LOG("%s keeps its id", gpu_pci[i]);
		ASSERT_TRUE(info.flags & NSGPUPERF_GPU_BOUND) TH_LOG("%s bound", gpu_pci[i]);
		ASSERT_EQ(perf_pmu_type(info.pmu_name), (int)info.pmu_type)
			TH_LOG("%s: PMU %s", gpu_pci[i], info.pmu_name);
		g[i] = nsgp_open_group(fd, self->gpu_id[i], &pool[i], 1, 0, 0, NULL);
		ASSERT_GE(g[i], 0) TH_LOG("%s: OPEN_GROUP: %s", gpu_pci[i], strerror(-g[i]));
	}
	for (i = 0; i < 2; i++) {
		/* a moving counter: exactly what the GPU counted since the open */
		ASSERT_EQ(0, mock_ctl(gpu_pci[i], "add %llu %u", (unsigned long long)pool[i],
				      1000 + i));
		ASSERT_EQ(3 * 8, read(g[i], buf, sizeof(buf)));
		ASSERT_EQ(1, buf[0]);
		EXPECT_EQ(1000 + i, buf[2]) TH_LOG("%s", gpu_pci[i]);
		close(g[i]);
	}
	close(fd);
	EXPECT_EQ(self->live0, nsgp_settle(nsgp_live_all, NULL, self->live0, SETTLE_MS));
	EXPECT_EQ(self->nsgp_ref0, nsgp_settle(module_refcnt, "nsgpuperf", self->nsgp_ref0, SETTLE_MS));
	munmap(sh, sizeof(*sh));
}

/*
 * "churn_test --secs=N" (the suites file's way to pass the duration): the
 * harness knows no such option, and reads its timeout before main(), so
 * it goes to the environment and the test runs again without it.
 */
int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--secs=", 7))
			continue;
		setenv(SECS_ENV, argv[i] + 7, 1);
		memmove(&argv[i], &argv[i + 1], (argc - i) * sizeof(argv[0]));
		execv("/proc/self/exe", argv);
		perror("churn_test: exec /proc/self/exe");
		return 1;
	}
	return test_harness_run(argc, argv);
}
