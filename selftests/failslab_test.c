// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures under every call userspace can make on nsgpuperf:
 * open() of the device, close() of a session, group and event fd, read()
 * of a group and an event fd, each session ioctl, each group ioctl and the
 * perf ioctls of the fds NSGPUPERF_IOC_PERF_OPEN returns.  Each call is
 * made with valid arguments while the kernel fails the calling task's N-th
 * slab allocation (/proc/thread-self/fail-nth), for N = 1, 2, ... until
 * the call no longer reaches an N-th allocation.  After each one:
 *
 *  - the call failed cleanly (-1, ENOMEM), or it succeeded because the
 *    allocation was optional (kmemleak's own metadata, a cache) and then
 *    its result is exactly what the untouched call gives;
 *  - once its fds are closed, no kernel counter is left (the mock's live
 *    events), no module reference (nsgpuperf's, mock_i915's) and no group
 *    (the suite holds one group at a time and sets the host's group limit,
 *    max_groups_per_container, to 1: a group that is not freed, whatever
 *    it holds, makes the next group open fail with EMFILE);
 *  - the device still works end to end: a new session opens a group,
 *    enables it and reads the exact count the mock added.
 *
 * Memory leaked without a counter, a reference or a group (a session, a
 * usage record) is left to kmemleak: the VM's init scans at the end of
 * the boot (scanning here too cost 35-65 s on the debug kernel).
 *
 * Needs CONFIG_FAULT_INJECTION (fail-nth), CONFIG_FAILSLAB and
 * CONFIG_FAULT_INJECTION_DEBUG_FS (the debug kernel); skips elsewhere.
 * failslab is set so that fail-nth alone injects (lib/fault-inject.c: a
 * task's fail-nth is served before probability, task-filter and times are
 * looked at): probability 0 and times 0, task-filter on; no message
 * (verbose 0: the VM run fails on a stack dump); ignore-gfp-wait off, or
 * every GFP_KERNEL allocation - nearly all of ours - is exempt and never
 * counted.  Every knob is put back afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "kselftest_harness.h"
#include "mock_i915_uapi.h"
#include "nsgp_test.h"

#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAKE_IT_FAIL	"/proc/thread-self/make-it-fail"
#define MAX_GROUPS	"/sys/module/nsgpuperf/parameters/max_groups_per_container"
#define MAX_NTH		300	/* no call here allocates nearly that often */
#define SETTLE_MS	2000
#define DELTA		1000	/* what the mock adds to a counter for a check */
#define USAGE_BUSY	777777	/* the fixture's DRM client's render busy time */
#define FMT_GROUP_TE	(PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED)

/* failslab's knobs and their values while the suite runs (see the top). */
static const struct {
	const char *name, *value;
} knobs[] = {
	{ "probability", "0" },
	{ "times", "0" },
	{ "interval", "1" },
	{ "space", "0" },
	{ "task-filter", "Y" },
	{ "verbose", "0" },
	{ "ignore-gfp-wait", "N" },
	{ "cache-filter", "N" },
};

#define NR_KNOBS	ARRAY_SIZE(knobs)

FIXTURE(failslab) {
	int nth;		/* this thread's fail-nth */
	int drm;		/* a DRM client of GPU0, with busy time */
	int gpu0;
	int pmu_type, pmu_cpu;
	long long live0, ref_nsgp0, ref_mock0;
	bool knobs_set;
	char saved[NR_KNOBS][32];
	char saved_max_groups[32];
	/* what the session ioctls answer untouched */
	struct nsgpuperf_version version;
	struct nsgpuperf_gpu_info gpus[4];
	uint32_t nr_gpus;
	struct nsgpuperf_event_info events[128];
	uint32_t nr_events;
	struct nsgpuperf_cgroup_usage usage;
	struct nsgpuperf_engine_usage classes[16];
};

/*
 * One call under test, with everything it reads or writes: all of it is
 * written before the fault is armed, so that no page fault of ours (which
 * would allocate too) happens during the call.
 */
struct call {
	int sess, grp, ev, sib, out;	/* fds opened for or by the call */
	union {
		struct nsgpuperf_version version;
		struct nsgpuperf_gpu_list gl;
		struct nsgpuperf_event_list el;
		struct nsgpuperf_group_open go;
		struct nsgpuperf_cgroup_usage cu;
		struct nsgpuperf_gpu_present gp;
		struct nsgpuperf_perf_open po;
		struct nsgpuperf_group_add ga;
	} a;
	struct perf_event_attr attr;
	struct nsgpuperf_gpu_info gpus[4];
	struct nsgpuperf_event_info events[128];
	struct nsgpuperf_engine_usage classes[16];
	uint64_t configs[2], ids[2], id;
	uint64_t buf[16];
};

#define C_FDS(c)	{ &(c)->sess, &(c)->grp, &(c)->ev, &(c)->sib, &(c)->out }

typedef FIXTURE_DATA(failslab) fixture_t;
typedef struct __test_metadata meta_t;

/* What the call under test is, and on which of the call's fds. */
enum { DO_OPEN, DO_CLOSE, DO_READ, DO_IOCTL, DO_IOCTL_ARG, DO_IOCTL_ID };
enum { ON_SESS, ON_GRP, ON_EV, ON_SIB };

/*
 * An operation: prep() opens what the call needs, untouched (0 or a
 * negative errno); the call is @what on fd @on: open() of the device,
 * close(), read() into call.buf, ioctl @cmd with @arg (DO_IOCTL), with
 * &call.a (DO_IOCTL_ARG) or with &call.id (DO_IOCTL_ID).  check() judges
 * a call that succeeded: true if its result is right.
 */
struct op {
	const char *name;
	int (*prep)(fixture_t *self, struct call *c);
	int what, on;
	unsigned long cmd, arg;
	bool (*check)(meta_t *_metadata, fixture_t *self, struct call *c, long ret);
};

/* ---- fail-nth and failslab ---------------------------------------------- */

static int nth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/* What is left of the armed count: 0 once the fault was injected. */
static long nth_left(int fd)
{
	char buf[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void knobs_restore(fixture_t *self)
{
	char path[128];
	unsigned int i;

	if (!self->knobs_set)
		return;
	for (i = 0; i < NR_KNOBS; i++) {
		if (!self->saved[i][0])
			continue;
		snprintf(path, sizeof(path), FAILSLAB "%s", knobs[i].name);
		write_str(path, self->saved[i]);
	}
	if (self->saved_max_groups[0])
		write_str(MAX_GROUPS, self->saved_max_groups);
	self->knobs_set = false;
}

/* ---- checks shared by the operations ------------------------------------ */

static int mock_add(uint64_t config, uint64_t delta)
{
	return mock_ctl(GPU0_PCI, "add %llu %llu", (unsigned long long)config,
			(unsigned long long)delta);
}

/*
 * A group fd (read_format GROUP | TOTAL_TIME_ENABLED) of configs cfg[n]
 * counts: what the mock adds to each shows exactly in the next read.
 */
static bool group_counts(meta_t *_metadata, int fd, const uint64_t *cfg,
			 unsigned int n)
{
	uint64_t v0[2 + 8], v1[2 + 8];
	ssize_t want = (2 + n) * 8;
	unsigned int i;

	if (read(fd, v0, sizeof(v0)) != want || v0[0] != n) {
		TH_LOG("group read: errno %d, nr %llu, want %u", errno,
		       (unsigned long long)v0[0], n);
		return false;
	}
	for (i = 0; i < n; i++)
		if (mock_add(cfg[i], DELTA * (i + 1))) {
			TH_LOG("mock add failed");
			return false;
		}
	if (read(fd, v1, sizeof(v1)) != want || v1[0] != n) {
		TH_LOG("group read: errno %d", errno);
		return false;
	}
	for (i = 0; i < n; i++)
		if (v1[2 + i] - v0[2 + i] != DELTA * (i + 1)) {
			TH_LOG("event %u moved %llu, want %u", i,
			       (unsigned long long)(v1[2 + i] - v0[2 + i]),
			       DELTA * (i + 1));
			return false;
		}
	return true;
}

/* An event fd (read_format 0) of cfg counts exactly what the mock adds. */
static bool event_counts(meta_t *_metadata, int fd, uint64_t cfg)
{
	uint64_t v0, v1;

	if (read(fd, &v0, 8) != 8 || mock_add(cfg, DELTA) || read(fd, &v1, 8) != 8) {
		TH_LOG("event read or mock add failed: errno %d", errno);
		return false;
	}
	if (v1 - v0 != DELTA) {
		TH_LOG("event moved %llu, want %u", (unsigned long long)(v1 - v0), DELTA);
		return false;
	}
	return true;
}

/* An event fd of cfg is stopped: what the mock adds does not show. */
static bool event_stopped(meta_t *_metadata, int fd, uint64_t cfg)
{
	uint64_t v0, v1;

	if (read(fd, &v0, 8) != 8 || mock_add(cfg, DELTA) || read(fd, &v1, 8) != 8) {
		TH_LOG("event read or mock add failed: errno %d", errno);
		return false;
	}
	if (v1 != v0) {
		TH_LOG("disabled event moved %llu", (unsigned long long)(v1 - v0));
		return false;
	}
	return true;
}

/* A session fd works: it lists what the fixture's session listed and counts. */
static bool session_works(meta_t *_metadata, fixture_t *self, int sess)
{
	uint64_t cfg = CFG_RCS0_BUSY;
	bool ok;
	int g, n = nsgp_count_gpus(sess);

	if (n != (int)self->nr_gpus) {
		TH_LOG("session lists %d GPUs, want %u", n, self->nr_gpus);
		return false;
	}
	g = nsgp_open_group(sess, self->gpu0, &cfg, 1, 0, NSGPUPERF_GROUP_DISABLED, NULL);
	if (g < 0) {
		TH_LOG("OPEN_GROUP: %s%s", strerror(-g),
		       g == -EMFILE ? " (the group limit is 1: a group was left behind)" : "");
		return false;
	}
	ok = !ioctl(g, NSGPUPERF_GROUP_IOC_ENABLE, 0);
	if (!ok)
		TH_LOG("ENABLE: %s", strerror(errno));
	ok = ok && group_counts(_metadata, g, &cfg, 1);
	close(g);
	return ok;
}

/* The device works end to end for a new session. */
static bool device_works(meta_t *_metadata, fixture_t *self)
{
	int sess = nsgp_open(NULL);
	bool ok;

	if (sess < 0) {
		TH_LOG("open %s: %s", NSGP_DEV, strerror(-sess));
		return false;
	}
	ok = session_works(_metadata, self, sess);
	close(sess);
	return ok;
}

/* Nothing left behind once every fd is closed. */
static bool nothing_left(meta_t *_metadata, fixture_t *self)
{
	long long live = nsgp_settle(nsgp_live_all, NULL, self->live0, SETTLE_MS);
	long long rn = nsgp_settle(module_refcnt, "nsgpuperf", self->ref_nsgp0, SETTLE_MS);
	long long rm = nsgp_settle(module_refcnt, "mock_i915", self->ref_mock0, SETTLE_MS);

	if (live == self->live0 && rn == self->ref_nsgp0 && rm == self->ref_mock0)
		return true;
	TH_LOG("left behind: %lld live events (had %lld), refcnt nsgpuperf %lld (had %lld), mock_i915 %lld (had %lld)",
	       live, self->live0, rn, self->ref_nsgp0, rm, self->ref_mock0);
	return false;
}

/* ---- preparations -------------------------------------------------------- */

static int prep_none(fixture_t *self, struct call *c)
{
	(void)self;
	(void)c;
	return 0;
}

static int prep_session(fixture_t *self, struct call *c)
{
	(void)self;
	c->sess = nsgp_open(NULL);
	return c->sess < 0 ? c->sess : 0;
}

/* A session and a group of RCS0_BUSY and INTERRUPTS (flags: its flags). */
static int prep_group_flags(fixture_t *self, struct call *c, uint32_t flags)
{
	int ret = prep_session(self, c);

	if (ret)
		return ret;
	c->configs[0] = CFG_RCS0_BUSY;
	c->configs[1] = I915_PMU_INTERRUPTS;
	c->grp = nsgp_open_group(c->sess, self->gpu0, c->configs, 2, 0, flags, c->ids);
	return c->grp < 0 ? c->grp : 0;
}

static int prep_group(fixture_t *self, struct call *c)
{
	return prep_group_flags(self, c, 0);
}

static int prep_group_disabled(fixture_t *self, struct call *c)
{
	return prep_group_flags(self, c, NSGPUPERF_GROUP_DISABLED);
}

/* ... enabled, with counts for RESET to clear. */
static int prep_group_moved(fixture_t *self, struct call *c)
{
	int ret = prep_group_flags(self, c, 0);

	if (!ret)
		ret = mock_add(c->configs[0], DELTA);
	if (!ret)
		ret = mock_add(c->configs[1], DELTA);
	return ret;
}

/* A session and a group of RCS0_BUSY alone, for ADD. */
static int prep_group_one(fixture_t *self, struct call *c)
{
	int ret = prep_session(self, c);

	if (ret)
		return ret;
	c->configs[0] = CFG_RCS0_BUSY;
	c->configs[1] = CFG_VCS0_BUSY;	/* the one ADD adds */
	c->grp = nsgp_open_group(c->sess, self->gpu0, c->configs, 1, 0, 0, c->ids);
	if (c->grp < 0)
		return c->grp;
	c->a.ga = (struct nsgpuperf_group_add) { .size = sizeof(c->a.ga),
						 .config = c->configs[1] };
	return 0;
}

/* The argument of PERF_OPEN for config, read_format 0. */
static void fill_perf_open(fixture_t *self, struct call *c, uint64_t config,
			   bool disabled, int group_fd)
{
	memset(&c->attr, 0, sizeof(c->attr));
	c->attr.type = self->pmu_type;
	c->attr.size = sizeof(c->attr);
	c->attr.config = config;
	c->attr.disabled = disabled;
	c->a.po = (struct nsgpuperf_perf_open) {
		.size = sizeof(c->a.po), .flags = PERF_FLAG_FD_CLOEXEC,
		.attr = (uintptr_t)&c->attr, .pid = -1, .cpu = self->pmu_cpu,
		.group_fd = group_fd, .fd = -2,
	};
}

static int perf_open_fd(fixture_t *self, struct call *c, uint64_t config,
			bool disabled, int group_fd)
{
	int fd;

	fill_perf_open(self, c, config, disabled, group_fd);
	fd = ioctl(c->sess, NSGPUPERF_IOC_PERF_OPEN, &c->a.po);
	return fd < 0 ? -errno : fd;
}

/* A session and an event fd of BCS0_BUSY (the leader of its group). */
static int prep_event_flags(fixture_t *self, struct call *c, bool disabled)
{
	int ret = prep_session(self, c);

	if (ret)
		return ret;
	c->configs[0] = CFG_BCS0_BUSY;
	c->configs[1] = CFG_VCS1_BUSY;	/* a sibling's */
	c->ev = perf_open_fd(self, c, c->configs[0], disabled, -1);
	return c->ev < 0 ? c->ev : 0;
}

static int prep_event(fixture_t *self, struct call *c)
{
	return prep_event_flags(self, c, false);
}

static int prep_event_disabled(fixture_t *self, struct call *c)
{
	return prep_event_flags(self, c, true);
}

static int prep_event_moved(fixture_t *self, struct call *c)
{
	int ret = prep_event_flags(self, c, false);

	return ret ? ret : mock_add(c->configs[0], DELTA);
}

/* ... and a sibling of VCS1_BUSY in its group. */
static int prep_event_sibling(fixture_t *self, struct call *c)
{
	int ret = prep_event(self, c);

	if (ret)
		return ret;
	c->sib = perf_open_fd(self, c, c->configs[1], false, c->ev);
	return c->sib < 0 ? c->sib : 0;
}

/* A session and the PERF_OPEN argument of a sibling of a new leader. */
static int prep_sibling_arg(fixture_t *self, struct call *c)
{
	int ret = prep_event(self, c);

	if (ret)
		return ret;
	fill_perf_open(self, c, c->configs[1], false, c->ev);
	return 0;
}

static int prep_version(fixture_t *self, struct call *c)
{
	c->a.version.size = sizeof(c->a.version);
	return prep_session(self, c);
}

static int prep_list_gpus(fixture_t *self, struct call *c)
{
	c->a.gl = (struct nsgpuperf_gpu_list) {
		.size = sizeof(c->a.gl), .count = ARRAY_SIZE(c->gpus),
		.entry_size = sizeof(c->gpus[0]), .gpus = (uintptr_t)c->gpus,
	};
	return prep_session(self, c);
}

static int prep_list_events(fixture_t *self, struct call *c)
{
	c->a.el = (struct nsgpuperf_event_list) {
		.size = sizeof(c->a.el), .gpu_id = self->gpu0,
		.count = ARRAY_SIZE(c->events), .entry_size = sizeof(c->events[0]),
		.events = (uintptr_t)c->events,
	};
	return prep_session(self, c);
}

static int prep_open_group(fixture_t *self, struct call *c)
{
	c->configs[0] = CFG_RCS0_BUSY;
	c->configs[1] = I915_PMU_INTERRUPTS;
	c->a.go = (struct nsgpuperf_group_open) {
		.size = sizeof(c->a.go), .gpu_id = self->gpu0, .nr_events = 2,
		.configs = (uintptr_t)c->configs, .ids = (uintptr_t)c->ids, .fd = -2,
	};
	return prep_session(self, c);
}

static void fill_usage(fixture_t *self, struct nsgpuperf_cgroup_usage *u,
		       struct nsgpuperf_engine_usage *classes, unsigned int n)
{
	*u = (struct nsgpuperf_cgroup_usage) {
		.size = sizeof(*u), .gpu_id = self->gpu0, .count = n,
		.entry_size = sizeof(classes[0]), .classes = (uintptr_t)classes,
	};
}

static int prep_usage(fixture_t *self, struct call *c)
{
	fill_usage(self, &c->a.cu, c->classes, ARRAY_SIZE(c->classes));
	return prep_session(self, c);
}

static int prep_present(fixture_t *self, struct call *c)
{
	c->a.gp = (struct nsgpuperf_gpu_present) {
		.size = sizeof(c->a.gp), .drm_fd = self->drm,
	};
	/* a session that has presented nothing yet */
	c->sess = nsgp_open_raw(NULL);
	return c->sess < 0 ? c->sess : 0;
}

static int prep_perf_open(fixture_t *self, struct call *c)
{
	int ret = prep_session(self, c);

	c->configs[0] = CFG_BCS0_BUSY;
	fill_perf_open(self, c, c->configs[0], false, -1);
	return ret;
}

/* ---- the calls ----------------------------------------------------------- */

static int *call_fd(struct call *c, int on)
{
	switch (on) {
	case ON_SESS:
		return &c->sess;
	case ON_GRP:
		return &c->grp;
	case ON_EV:
		return &c->ev;
	default:
		return &c->sib;
	}
}

/* close() of *fd; the fd is gone whatever it returns. */
static long close_fd(int *fd)
{
	long ret = close(*fd);

	*fd = -1;
	return ret;
}

/* The call under test: nothing but the system call itself. */
static long do_call(const struct op *op, struct call *c)
{
	int *fd = call_fd(c, op->on);
	long ret;

	switch (op->what) {
	case DO_OPEN:
		ret = c->out = open(NSGP_DEV, O_RDONLY | O_CLOEXEC);
		break;
	case DO_CLOSE:
		ret = close_fd(fd);
		break;
	case DO_READ:
		ret = read(*fd, c->buf, sizeof(c->buf));
		break;
	case DO_IOCTL:
		ret = ioctl(*fd, op->cmd, op->arg);
		break;
	case DO_IOCTL_ID:
		ret = ioctl(*fd, op->cmd, &c->id);
		break;
	default:
		ret = ioctl(*fd, op->cmd, &c->a);
		if (ret >= 0 && (op->cmd == NSGPUPERF_IOC_OPEN_GROUP ||
				 op->cmd == NSGPUPERF_IOC_PERF_OPEN))
			c->out = ret;
		break;
	}
	return ret;
}

/* ---- what a successful call must have done --------------------------------- */

static bool check_zero(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	(void)self;
	(void)c;
	if (ret == 0)
		return true;
	TH_LOG("returned %ld, want 0", ret);
	return false;
}

static bool check_open(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	(void)ret;
	return session_works(_metadata, self, c->out);
}

/* The group outlives its session. */
static bool check_close_sess_grp(meta_t *_metadata, fixture_t *self, struct call *c,
				 long ret)
{
	return check_zero(_metadata, self, c, ret) &&
	       group_counts(_metadata, c->grp, c->configs, 2);
}

static bool check_version(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	if (!check_zero(_metadata, self, c, ret))
		return false;
	if (!memcmp(&c->a.version, &self->version, sizeof(self->version)))
		return true;
	TH_LOG("VERSION answered abi %u features %#llx scope %u '%s', want abi %u features %#llx scope %u '%s'",
	       c->a.version.abi_version, (unsigned long long)c->a.version.features,
	       c->a.version.scope, c->a.version.scope_path, self->version.abi_version,
	       (unsigned long long)self->version.features, self->version.scope,
	       self->version.scope_path);
	return false;
}

static bool check_list_gpus(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	if (!check_zero(_metadata, self, c, ret))
		return false;
	if (c->a.gl.count == self->nr_gpus &&
	    !memcmp(c->gpus, self->gpus, self->nr_gpus * sizeof(c->gpus[0])))
		return true;
	TH_LOG("LIST_GPUS: %u GPUs (want %u) or other entries", c->a.gl.count, self->nr_gpus);
	return false;
}

static bool check_list_events(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	if (!check_zero(_metadata, self, c, ret))
		return false;
	if (c->a.el.count == self->nr_events &&
	    !memcmp(c->events, self->events, self->nr_events * sizeof(c->events[0])))
		return true;
	TH_LOG("LIST_EVENTS: %u events (want %u) or other entries", c->a.el.count,
	       self->nr_events);
	return false;
}

static bool check_open_group(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	(void)self;
	if (c->a.go.fd != ret || !c->ids[0] || !c->ids[1] || c->ids[0] == c->ids[1]) {
		TH_LOG("OPEN_GROUP: fd %d (returned %ld), ids %llu %llu", c->a.go.fd, ret,
		       (unsigned long long)c->ids[0], (unsigned long long)c->ids[1]);
		return false;
	}
	return group_counts(_metadata, c->out, c->configs, 2);
}

static bool check_usage(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	const struct nsgpuperf_cgroup_usage *u = &c->a.cu, *w = &self->usage;

	if (!check_zero(_metadata, self, c, ret))
		return false;
	if (u->count == w->count && u->nr_clients == w->nr_clients &&
	    u->status == w->status && u->scope_cgroup_id == w->scope_cgroup_id &&
	    !memcmp(c->classes, self->classes, w->count * sizeof(c->classes[0])))
		return true;
	TH_LOG("CGROUP_USAGE: %u classes, %u clients, status %#x; want %u, %u, %#x (or other sums)",
	       u->count, u->nr_clients, u->status, w->count, w->nr_clients, w->status);
	return false;
}

static bool check_present(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	if (!check_zero(_metadata, self, c, ret))
		return false;
	if ((int)c->a.gp.gpu_id == self->gpu0)
		return true;
	TH_LOG("PRESENT_GPU: GPU %u, want %d", c->a.gp.gpu_id, self->gpu0);
	return false;
}

static bool check_perf_open(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	(void)self;
	if (c->a.po.fd != ret) {
		TH_LOG("PERF_OPEN: fd %d, returned %ld", c->a.po.fd, ret);
		return false;
	}
	return event_counts(_metadata, c->out, c->attr.config);
}

/* The new sibling counts, and so does its leader. */
static bool check_perf_open_sibling(meta_t *_metadata, fixture_t *self, struct call *c,
				    long ret)
{
	return check_perf_open(_metadata, self, c, ret) &&
	       event_counts(_metadata, c->ev, c->configs[0]);
}

static bool check_grp_read(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	(void)self;
	if (ret != 4 * 8 || c->buf[0] != 2) {
		TH_LOG("group read: %ld bytes, nr %llu", ret, (unsigned long long)c->buf[0]);
		return false;
	}
	return group_counts(_metadata, c->grp, c->configs, 2);
}

static bool check_grp_counts(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	return check_zero(_metadata, self, c, ret) &&
	       group_counts(_metadata, c->grp, c->configs, 2);
}

static bool check_grp_disabled(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	uint64_t v0[4], v1[4];

	if (!check_zero(_metadata, self, c, ret))
		return false;
	if (read(c->grp, v0, sizeof(v0)) != sizeof(v0) ||
	    mock_add(c->configs[0], DELTA) || mock_add(c->configs[1], DELTA) ||
	    read(c->grp, v1, sizeof(v1)) != sizeof(v1)) {
		TH_LOG("group read or mock add failed: errno %d", errno);
		return false;
	}
	if (!memcmp(v0, v1, sizeof(v0)))
		return true;
	TH_LOG("disabled group moved: %llu %llu -> %llu %llu", (unsigned long long)v0[2],
	       (unsigned long long)v0[3], (unsigned long long)v1[2], (unsigned long long)v1[3]);
	return false;
}

static bool check_grp_reset(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	uint64_t v[4];

	if (!check_zero(_metadata, self, c, ret))
		return false;
	if (read(c->grp, v, sizeof(v)) != sizeof(v) || v[2] || v[3]) {
		TH_LOG("after RESET: counts %llu %llu, want 0 0", (unsigned long long)v[2],
		       (unsigned long long)v[3]);
		return false;
	}
	return group_counts(_metadata, c->grp, c->configs, 2);
}

static bool check_grp_add(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	if (!check_zero(_metadata, self, c, ret))
		return false;
	if (!c->a.ga.id || c->a.ga.id == c->ids[0]) {
		TH_LOG("ADD: id %llu (the leader's %llu)", (unsigned long long)c->a.ga.id,
		       (unsigned long long)c->ids[0]);
		return false;
	}
	return group_counts(_metadata, c->grp, c->configs, 2);
}

static bool check_grp_id(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	if (!check_zero(_metadata, self, c, ret))
		return false;
	if (c->id == c->ids[0])
		return true;
	TH_LOG("ID: %llu, want the leader's %llu", (unsigned long long)c->id,
	       (unsigned long long)c->ids[0]);
	return false;
}

static bool check_ev_read(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	(void)self;
	if (ret != 8) {
		TH_LOG("event read: %ld bytes, want 8", ret);
		return false;
	}
	return event_counts(_metadata, c->ev, c->configs[0]);
}

static bool check_ev_counts(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	return check_zero(_metadata, self, c, ret) &&
	       event_counts(_metadata, c->ev, c->configs[0]);
}

static bool check_ev_disabled(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	return check_zero(_metadata, self, c, ret) &&
	       event_stopped(_metadata, c->ev, c->configs[0]);
}

static bool check_ev_reset(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	uint64_t v;

	if (!check_zero(_metadata, self, c, ret))
		return false;
	if (read(c->ev, &v, 8) != 8 || v) {
		TH_LOG("after RESET: count %llu, want 0", (unsigned long long)v);
		return false;
	}
	return event_counts(_metadata, c->ev, c->configs[0]);
}

static bool check_ev_id(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	uint64_t id = 0;

	if (!check_zero(_metadata, self, c, ret))
		return false;
	if (c->id && !ioctl(c->ev, PERF_EVENT_IOC_ID, &id) && id == c->id)
		return true;
	TH_LOG("ID: %llu, untouched %llu", (unsigned long long)c->id, (unsigned long long)id);
	return false;
}

/* The sibling left is a group of its own and counts. */
static bool check_close_leader(meta_t *_metadata, fixture_t *self, struct call *c,
			       long ret)
{
	return check_zero(_metadata, self, c, ret) &&
	       event_counts(_metadata, c->sib, c->configs[1]);
}

/* The leader left counts. */
static bool check_close_sib(meta_t *_metadata, fixture_t *self, struct call *c, long ret)
{
	return check_zero(_metadata, self, c, ret) &&
	       event_counts(_metadata, c->ev, c->configs[0]);
}

/* ---- the operations -------------------------------------------------------- */

#define IOC(cmd)	DO_IOCTL_ARG, ON_SESS, cmd, 0

static const struct op session_ops[] = {
	{ "open /dev/nsgpuperf", prep_none, DO_OPEN, 0, 0, 0, check_open },
	{ "close session", prep_session, DO_CLOSE, ON_SESS, 0, 0, check_zero },
	{ "close session, group open", prep_group, DO_CLOSE, ON_SESS, 0, 0,
	  check_close_sess_grp },
	{ "VERSION", prep_version, IOC(NSGPUPERF_IOC_VERSION), check_version },
	{ "LIST_GPUS", prep_list_gpus, IOC(NSGPUPERF_IOC_LIST_GPUS), check_list_gpus },
	{ "LIST_EVENTS", prep_list_events, IOC(NSGPUPERF_IOC_LIST_EVENTS), check_list_events },
	{ "OPEN_GROUP", prep_open_group, IOC(NSGPUPERF_IOC_OPEN_GROUP), check_open_group },
	{ "CGROUP_USAGE", prep_usage, IOC(NSGPUPERF_IOC_CGROUP_USAGE), check_usage },
	{ "PRESENT_GPU", prep_present, IOC(NSGPUPERF_IOC_PRESENT_GPU), check_present },
	{ "PERF_OPEN leader", prep_perf_open, IOC(NSGPUPERF_IOC_PERF_OPEN), check_perf_open },
	{ "PERF_OPEN sibling", prep_sibling_arg, IOC(NSGPUPERF_IOC_PERF_OPEN),
	  check_perf_open_sibling },
};

static const struct op group_ops[] = {
	{ "group read", prep_group, DO_READ, ON_GRP, 0, 0, check_grp_read },
	{ "GROUP_IOC_ENABLE", prep_group_disabled, DO_IOCTL, ON_GRP,
	  NSGPUPERF_GROUP_IOC_ENABLE, 0, check_grp_counts },
	{ "GROUP_IOC_DISABLE", prep_group, DO_IOCTL, ON_GRP,
	  NSGPUPERF_GROUP_IOC_DISABLE, 0, check_grp_disabled },
	{ "GROUP_IOC_RESET", prep_group_moved, DO_IOCTL, ON_GRP,
	  NSGPUPERF_GROUP_IOC_RESET, PERF_IOC_FLAG_GROUP, check_grp_reset },
	{ "GROUP_IOC_ADD", prep_group_one, DO_IOCTL_ARG, ON_GRP,
	  NSGPUPERF_GROUP_IOC_ADD, 0, check_grp_add },
	{ "group PERF_EVENT_IOC_ID", prep_group, DO_IOCTL_ID, ON_GRP,
	  PERF_EVENT_IOC_ID, 0, check_grp_id },
	{ "close group", prep_group, DO_CLOSE, ON_GRP, 0, 0, check_zero },
};

static const struct op event_ops[] = {
	{ "event read", prep_event, DO_READ, ON_EV, 0, 0, check_ev_read },
	{ "PERF_EVENT_IOC_ENABLE", prep_event_disabled, DO_IOCTL, ON_EV,
	  PERF_EVENT_IOC_ENABLE, 0, check_ev_counts },
	{ "PERF_EVENT_IOC_DISABLE", prep_event, DO_IOCTL, ON_EV,
	  PERF_EVENT_IOC_DISABLE, 0, check_ev_disabled },
	{ "PERF_EVENT_IOC_RESET", prep_event_moved, DO_IOCTL, ON_EV,
	  PERF_EVENT_IOC_RESET, 0, check_ev_reset },
	{ "PERF_EVENT_IOC_ID", prep_event, DO_IOCTL_ID, ON_EV,
	  PERF_EVENT_IOC_ID, 0, check_ev_id },
	{ "close event", prep_event, DO_CLOSE, ON_EV, 0, 0, check_zero },
	{ "close leader, sibling open", prep_event_sibling, DO_CLOSE, ON_EV, 0, 0,
	  check_close_leader },
	{ "close sibling", prep_event_sibling, DO_CLOSE, ON_SIB, 0, 0, check_close_sib },
};

/* ---- the fixture ----------------------------------------------------------- */

static int add_busy(int drm, uint64_t ns)
{
	struct mock_i915_add_busy b = {
		.engine_class = I915_ENGINE_CLASS_RENDER, .busy_ns = ns,
	};

	return ioctl(drm, DRM_IOCTL_MOCK_I915_ADD_BUSY, &b) ? -errno : 0;
}

/* What the session ioctls answer untouched, to compare with. */
static void reference_answers(meta_t *_metadata, fixture_t *self, int sess)
{
	struct nsgpuperf_gpu_list gl = {
		.size = sizeof(gl), .count = ARRAY_SIZE(self->gpus),
		.entry_size = sizeof(self->gpus[0]), .gpus = (uintptr_t)self->gpus,
	};
	struct nsgpuperf_event_list el = {
		.size = sizeof(el), .gpu_id = self->gpu0, .count = ARRAY_SIZE(self->events),
		.entry_size = sizeof(self->events[0]), .events = (uintptr_t)self->events,
	};

	self->version.size = sizeof(self->version);
	ASSERT_EQ(0, ioctl(sess, NSGPUPERF_IOC_VERSION, &self->version));
	ASSERT_EQ(0, ioctl(sess, NSGPUPERF_IOC_LIST_GPUS, &gl));
	ASSERT_LE(gl.count, ARRAY_SIZE(self->gpus));
	self->nr_gpus = gl.count;
	ASSERT_EQ(0, ioctl(sess, NSGPUPERF_IOC_LIST_EVENTS, &el));
	ASSERT_LE(el.count, ARRAY_SIZE(self->events));
	ASSERT_LT(0, el.count);
	self->nr_events = el.count;
	fill_usage(self, &self->usage, self->classes, ARRAY_SIZE(self->classes));
	ASSERT_EQ(0, ioctl(sess, NSGPUPERF_IOC_CGROUP_USAGE, &self->usage));
	ASSERT_LE(1, self->usage.nr_clients);
	ASSERT_LE(self->usage.count, ARRAY_SIZE(self->classes));
}

FIXTURE_SETUP(failslab)
{
	struct nsgpuperf_gpu_info info;
	char path[128];
	unsigned int i;
	int sess;

	self->nth = -1;
	self->drm = -1;
	self->knobs_set = false;
	if (access(FAIL_NTH, F_OK))
		SKIP(return, "no %s: kernel without CONFIG_FAULT_INJECTION", FAIL_NTH);
	if (access(FAILSLAB "ignore-gfp-wait", F_OK))
		SKIP(return, "no %s: kernel without CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS",
		     FAILSLAB);

	self->nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth);
	ASSERT_EQ(0, nth_arm(self->nth, 0));
	self->drm = open_render(GPU0_PCI);
	ASSERT_LE(0, self->drm);
	ASSERT_EQ(0, add_busy(self->drm, USAGE_BUSY));

	sess = nsgp_open(NULL);
	ASSERT_LE(0, sess);
	self->gpu0 = nsgp_find_gpu(sess, GPU0_PCI, &info);
	ASSERT_LE(0, self->gpu0);
	ASSERT_NE(0, info.flags & NSGPUPERF_GPU_BOUND);
	self->pmu_type = info.pmu_type;
	self->pmu_cpu = perf_pmu_cpu(info.pmu_name);
	reference_answers(_metadata, self, sess);
	close(sess);

	self->live0 = settle_live_events();
	ASSERT_EQ(0, self->live0);
	self->ref_nsgp0 = module_refcnt("nsgpuperf");
	self->ref_mock0 = module_refcnt("mock_i915");
	ASSERT_LE(0, self->ref_nsgp0);
	ASSERT_LE(0, self->ref_mock0);

	/* the knobs last: nothing that can abort the setup comes after */
	for (i = 0; i < NR_KNOBS; i++) {
		snprintf(path, sizeof(path), FAILSLAB "%s", knobs[i].name);
		if (read_str(path, self->saved[i], sizeof(self->saved[i])))
			self->saved[i][0] = '\0';
	}
	if (read_str(MAX_GROUPS, self->saved_max_groups, sizeof(self->saved_max_groups)))
		self->saved_max_groups[0] = '\0';
	self->knobs_set = true;
	for (i = 0; i < NR_KNOBS; i++) {
		snprintf(path, sizeof(path), FAILSLAB "%s", knobs[i].name);
		write_str(path, knobs[i].value);
	}
	write_str(MAKE_IT_FAIL, "1");
	write_str(MAX_GROUPS, "1");
}

FIXTURE_TEARDOWN(failslab)
{
	if (self->nth >= 0) {
		nth_arm(self->nth, 0);
		close(self->nth);
	}
	write_str(MAKE_IT_FAIL, "0");
	knobs_restore(self);
	if (self->drm >= 0)
		close(self->drm);
}

/* The knobs as the suite needs them (checked once per test). */
static void knobs_check(meta_t *_metadata)
{
	char path[128], val[32];
	unsigned int i;

	for (i = 0; i < NR_KNOBS; i++) {
		snprintf(path, sizeof(path), FAILSLAB "%s", knobs[i].name);
		ASSERT_EQ(0, read_str(path, val, sizeof(val))) TH_LOG("%s", path);
		ASSERT_STREQ(knobs[i].value, val) TH_LOG("%s", path);
	}
	ASSERT_EQ(1, read_ll(MAKE_IT_FAIL));
	ASSERT_EQ(1, read_ll(MAX_GROUPS));
}

static void close_all(struct call *c)
{
	int *fds[] = C_FDS(c);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close_fd(fds[i]);
}

/*
 * One operation, failing its N-th allocation for N = 1, 2, ... until the
 * call runs untouched.  Returns false on the first thing found wrong.
 */
static bool run_op(meta_t *_metadata, fixture_t *self, const struct op *op)
{
	static struct call c;	/* static: written in full, pages present */
	unsigned int n, nomem = 0, absorbed = 0;
	double t0 = nsgp_now();
	long ret, left;
	int err, i;

	for (n = 1; n <= MAX_NTH; n++) {
		int *fds[] = C_FDS(&c);

		memset(&c, 0, sizeof(c));
		for (i = 0; i < (int)ARRAY_SIZE(fds); i++)
			*fds[i] = -1;
		ret = op->prep(self, &c);
		if (ret) {
			TH_LOG("%s: preparing the call failed: %s", op->name, strerror(-ret));
			close_all(&c);
			return false;
		}

		if (nth_arm(self->nth, n)) {
			TH_LOG("%s: cannot arm fail-nth", op->name);
			close_all(&c);
			return false;
		}
		errno = 0;
		ret = do_call(op, &c);
		err = errno;
		left = nth_left(self->nth);
		nth_arm(self->nth, 0);

		if (left < 0) {
			TH_LOG("%s: cannot read fail-nth", op->name);
			close_all(&c);
			return false;
		}
		if (ret < 0 && left) {
			TH_LOG("%s: failed with no fault injected (N=%u): %s", op->name, n,
			       strerror(err));
			close_all(&c);
			return false;
		}
		if (ret < 0 && err != ENOMEM) {
			TH_LOG("%s: allocation %u failed: %s, want ENOMEM", op->name, n,
			       strerror(err));
			close_all(&c);
			return false;
		}
		if (ret < 0) {
			nomem++;
		} else {
			absorbed += !left;
			if (!op->check(_metadata, self, &c, ret)) {
				TH_LOG("%s: wrong result with allocation %u failing%s", op->name,
				       n, left ? " (not reached)" : "");
				close_all(&c);
				return false;
			}
		}
		close_all(&c);
		if (!nothing_left(_metadata, self) || !device_works(_metadata, self) ||
		    !nothing_left(_metadata, self)) {
			TH_LOG("%s: after allocation %u failed", op->name, n);
			return false;
		}
		if (left)
			break;
	}
	if (n > MAX_NTH) {
		TH_LOG("%s: still allocating at N=%u", op->name, MAX_NTH);
		return false;
	}
	TH_LOG("%-28s N=1..%-3u %3u ENOMEM, %3u succeeded despite the fault, N=%u not reached (%.1f s)",
	       op->name, n, nomem, absorbed, n, nsgp_now() - t0);
	return true;
}

static void run_ops(meta_t *_metadata, fixture_t *self, const struct op *ops,
		    unsigned int nr)
{
	unsigned int i;

	knobs_check(_metadata);
	ASSERT_TRUE(device_works(_metadata, self));
	for (i = 0; i < nr; i++)
		EXPECT_TRUE(run_op(_metadata, self, &ops[i])) TH_LOG("%s", ops[i].name);
}

TEST_F_TIMEOUT(failslab, device_and_session_calls, 600)
{
	run_ops(_metadata, self, session_ops, ARRAY_SIZE(session_ops));
}

TEST_F_TIMEOUT(failslab, group_fd_calls, 600)
{
	run_ops(_metadata, self, group_ops, ARRAY_SIZE(group_ops));
}

TEST_F_TIMEOUT(failslab, event_fd_calls, 600)
{
	run_ops(_metadata, self, event_ops, ARRAY_SIZE(event_ops));
}

TEST_HARNESS_MAIN
