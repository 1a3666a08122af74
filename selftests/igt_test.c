// SPDX-License-Identifier: GPL-2.0
/*
 * Debian's real intel_gpu_top (intel-gpu-tools 1.27.1, bookworm) against
 * the mock GPU.  Run as root with no device option, it must find a mock
 * GPU by itself - it takes PCI vendor 8086 only: the first "discrete" GPU,
 * else the integrated one at 0000:00:02.0, never the non-Intel edu the
 * mock also binds - and show the values driven through the mock:
 * frequencies, interrupt rate, RC6, each engine's busy/wait/sema
 * percentages (PMU), and a client's busy time (DRM fdinfo).
 *
 * intel_gpu_top -J prints one JSON object per period (1.27.1: no "[",
 * objects joined by ",\n{"); the first covers only the time between two
 * back-to-back reads and is not checked.
 *
 * Tolerance: the mock computes each counter from ktime at read time, and
 * the period intel_gpu_top divides by is the group's time_enabled from the
 * same read, so a value is exact but for the time between perf taking its
 * timestamp and the mock reading ktime inside one read, twice a period.
 * In QEMU TCG on a loaded host a vCPU can lose milliseconds there, so the
 * median over the periods must be within 2% of the driven rate and every
 * period within 10% (a wrong counter, GPU or scale is off by far more);
 * counters not driven must be exactly 0.  A client's busy time is a
 * difference of fdinfo values that intel_gpu_top scales by its nominal
 * period, so summed over the periods it is exact (to printf's 6 decimals).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mock_i915_uapi.h"
#include "nsgp_test.h"

#define IGT_TOP		"/usr/bin/intel_gpu_top"
#define IGT_ERR		"/tmp/intel_gpu_top.err"
#define PERIOD_MS	500
#define SAMPLES		7	/* printed periods; the first is not checked */
#define BUSY_AT		2	/* the client adds its busy time after this */
#define CLIENT_BUSY_NS	200000000ULL
#define MAX_OUT		(512 * 1024)
#define MAX_SAMPLES	16
#define MAX_KV		256

/* One printed period, flattened: "engines|Render/3D/0|busy" -> "25.0". */
struct kv {
	char path[96];
	char val[32];
};

struct sample {
	struct kv kv[MAX_KV];
	int n;
};

struct top_run {
	char *out;
	size_t len;
	int status;		/* waitpid() status */
	struct sample s[MAX_SAMPLES];
	int nr;			/* complete periods parsed */
	char err[512];		/* its stderr */
};

/* ---- JSON, as much as intel_gpu_top prints ---------------------------- */

struct jp {
	const char *p, *end;
	struct sample *s;
};

static void jws(struct jp *j)
{
	while (j->p < j->end && isspace((unsigned char)*j->p))
		j->p++;
}

/* A string without escapes (intel_gpu_top prints none); 0 or -1. */
static int jstr(struct jp *j, char *out, size_t len)
{
	const char *q;

	if (j->p >= j->end || *j->p != '"')
		return -1;
	q = memchr(j->p + 1, '"', j->end - j->p - 1);
	if (!q || (size_t)(q - j->p - 1) >= len)
		return -1;
	memcpy(out, j->p + 1, q - j->p - 1);
	out[q - j->p - 1] = '\0';
	j->p = q + 1;
	return 0;
}

static int jvalue(struct jp *j, const char *path);

static int jobject(struct jp *j, const char *path)
{
	char key[64], sub[96];

	j->p++;			/* '{' */
	for (;;) {
		jws(j);
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return 0;
		}
		if (jstr(j, key, sizeof(key)))
			return -1;
		jws(j);
		if (j->p >= j->end || *j->p != ':')
			return -1;
		j->p++;
		if (snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "|" : "",
			     key) >= (int)sizeof(sub))
			return -1;
		if (jvalue(j, sub))
			return -1;
		jws(j);
		if (j->p < j->end && *j->p == ',')
			j->p++;
		else if (j->p >= j->end || *j->p != '}')
			return -1;
	}
}

static int jvalue(struct jp *j, const char *path)
{
	struct kv *kv;
	size_t n;

	jws(j);
	if (j->p >= j->end)
		return -1;
	if (*j->p == '{')
		return jobject(j, path);
	if (j->s->n == MAX_KV)
		return -1;
	kv = &j->s->kv[j->s->n];
	if (*j->p == '"') {
		if (jstr(j, kv->val, sizeof(kv->val)))
			return -1;
	} else {
		n = strcspn(j->p, ",} \t\n");
		if (!n || n >= sizeof(kv->val) || j->p + n > j->end)
			return -1;
		memcpy(kv->val, j->p, n);
		kv->val[n] = '\0';
		j->p += n;
	}
	snprintf(kv->path, sizeof(kv->path), "%s", path);
	j->s->n++;
	return 0;
}

/*
 * Parse the complete top-level objects of the output, whatever joins them
 * (",\n" in 1.27.1, a "[" ... "]" array in later versions).
 */
static int parse_samples(struct top_run *r)
{
	struct jp j = { .p = r->out, .end = r->out + r->len };

	r->nr = 0;
	for (;;) {
		while (j.p < j.end && (isspace((unsigned char)*j.p) ||
				       *j.p == ',' || *j.p == '[' || *j.p == ']'))
			j.p++;
		if (j.p >= j.end || *j.p != '{' || r->nr == MAX_SAMPLES)
			return r->nr;
		j.s = &r->s[r->nr];
		j.s->n = 0;
		if (jobject(&j, ""))
			return r->nr;	/* incomplete: still being printed */
		r->nr++;
	}
}

static const char *get(const struct sample *s, const char *path)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->kv[i].path, path))
			return s->kv[i].val;
	return NULL;
}

static double getd(const struct sample *s, const char *path)
{
	const char *v = get(s, path);
	char *end;
	double d;

	if (!v)
		return NAN;
	d = strtod(v, &end);
	return end != v && !*end ? d : NAN;
}

/* ---- running intel_gpu_top ------------------------------------------- */

typedef void (*at_sample_fn)(int nr, void *arg);

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Run "intel_gpu_top -J -s PERIOD_MS" - no device option - until it has
 * printed want periods (calling at() after each), then SIGINT it as a user
 * would.  0, or -errno if it could not be run.
 */
static int top_run(struct top_run *r, int want, at_sample_fn at, void *arg)
{
	char period[16];
	int pfd[2], efd, seen = 0;
	double deadline = now_s() + 120;
	bool stopped = false;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->out = malloc(MAX_OUT + 1);
	if (!r->out || pipe2(pfd, O_CLOEXEC))
		return -errno;
	snprintf(period, sizeof(period), "%d", PERIOD_MS);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		efd = open(IGT_ERR, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (dup2(pfd[1], 1) < 0 || efd < 0 || dup2(efd, 2) < 0)
			_exit(126);
		execl(IGT_TOP, IGT_TOP, "-J", "-s", period, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);

	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t n;

		if (now_s() > deadline) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(pfd[0], r->out + r->len, MAX_OUT - r->len);
		if (n <= 0)
			break;		/* EOF: it exited */
		r->len += n;
		r->out[r->len] = '\0';
		while (seen < parse_samples(r) && !stopped) {
			seen++;
			if (at)
				at(seen, arg);
			if (seen >= want) {
				kill(pid, SIGINT);
				stopped = true;
			}
		}
		if (r->len == MAX_OUT) {
			kill(pid, SIGKILL);
			break;
		}
	}
	close(pfd[0]);
	waitpid(pid, &r->status, 0);
	parse_samples(r);

	efd = open(IGT_ERR, O_RDONLY | O_CLOEXEC);
	if (efd >= 0) {
		ssize_t n = read(efd, r->err, sizeof(r->err) - 1);

		r->err[n > 0 ? n : 0] = '\0';
		close(efd);
	}
	return 0;
}

static void top_free(struct top_run *r)
{
	free(r->out);
	r->out = NULL;
}

/* ---- the mock: driven rates ------------------------------------------ */

#define CFG(cls, inst, smp)	((uint64_t)__I915_PMU_ENGINE(cls, inst, smp))

/* What a GPU is driven to, in the units intel_gpu_top shows. */
struct drive {
	double act_mhz, req_mhz, irq_per_s, rc6_pct;
	double rcs0_busy, bcs0_wait, vcs1_busy, vecs0_sema;	/* % */
};

static const char * const engine_names[] = MOCK_I915_ENGINE_NAMES;
static const int engine_classes[] = MOCK_I915_ENGINE_CLASSES;
static const int engine_instances[] = MOCK_I915_ENGINE_INSTANCES;

/* intel_gpu_top 1.27.1's names of the default engines, in uabi order */
static const char * const top_engines[MOCK_I915_NUM_ENGINES] = {
	"Render/3D/0", "Blitter/0", "Video/0", "Video/1", "VideoEnhance/0",
};

static int rate(const char *pci, uint64_t config, double per_s)
{
	return mock_ctl(pci, "rate 0x%" PRIx64 " %.0f", config, per_s);
}

/* Stop every counter of a GPU. */
static int still(const char *pci)
{
	static const uint64_t others[] = {
		I915_PMU_ACTUAL_FREQUENCY, I915_PMU_REQUESTED_FREQUENCY,
		I915_PMU_INTERRUPTS, I915_PMU_RC6_RESIDENCY,
		I915_PMU_SOFTWARE_GT_AWAKE_TIME,
	};
	int e, s, ret = 0;

	for (e = 0; e < MOCK_I915_NUM_ENGINES; e++)
		for (s = I915_SAMPLE_BUSY; s <= I915_SAMPLE_SEMA; s++)
			ret = ret ?: rate(pci, CFG(engine_classes[e],
						  engine_instances[e], s), 0);
	for (e = 0; e < (int)ARRAY_SIZE(others); e++)
		ret = ret ?: rate(pci, others[e], 0);
	return ret;
}

static int drive(const char *pci, const struct drive *d)
{
	int ret = still(pci);

	ret = ret ?: rate(pci, I915_PMU_ACTUAL_FREQUENCY, d->act_mhz);
	ret = ret ?: rate(pci, I915_PMU_REQUESTED_FREQUENCY, d->req_mhz);
	ret = ret ?: rate(pci, I915_PMU_INTERRUPTS, d->irq_per_s);
	ret = ret ?: rate(pci, I915_PMU_RC6_RESIDENCY, d->rc6_pct * 1e7);
	ret = ret ?: rate(pci, CFG(I915_ENGINE_CLASS_RENDER, 0, I915_SAMPLE_BUSY),
			  d->rcs0_busy * 1e7);
	ret = ret ?: rate(pci, CFG(I915_ENGINE_CLASS_COPY, 0, I915_SAMPLE_WAIT),
			  d->bcs0_wait * 1e7);
	ret = ret ?: rate(pci, CFG(I915_ENGINE_CLASS_VIDEO, 1, I915_SAMPLE_BUSY),
			  d->vcs1_busy * 1e7);
	ret = ret ?: rate(pci, CFG(I915_ENGINE_CLASS_VIDEO_ENHANCE, 0,
				   I915_SAMPLE_SEMA), d->vecs0_sema * 1e7);
	return ret;
}

static bool bound(const char *pci)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", pci);
	return access(path, F_OK) == 0;
}

static int open_render(const char *pci)
{
	char path[128];
	int i, fd;

	/* the render node whose device is pci */
	for (i = 128; i < 192; i++) {
		char link[256], node[64];
		ssize_t n;

		snprintf(path, sizeof(path), "/sys/class/drm/renderD%d/device", i);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(strrchr(link, '/') + 1, pci))
			continue;
		snprintf(node, sizeof(node), "/dev/dri/renderD%d", i);
		fd = open(node, O_RDWR | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	return -ENOENT;
}

/* ---- checking what it showed ------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The value at path over the periods 1.. (not 0): median within 2% and
 * each within 10% of want; want 0: each exactly 0.  Logs what it saw.
 */
static bool shows(struct __test_metadata *_metadata, const struct top_run *r,
		  const char *path, double want)
{
	double v[MAX_SAMPLES], med;
	int i, n = 0;
	bool ok = true;

	for (i = 1; i < r->nr; i++) {
		v[n] = getd(&r->s[i], path);
		if (isnan(v[n])) {
			TH_LOG("period %d: no %s", i, path);
			return false;
		}
		if (want == 0 ? v[n] != 0 : fabs(v[n] - want) > 0.10 * want)
			ok = false;
		n++;
	}
	if (!n)
		return false;
	qsort(v, n, sizeof(v[0]), cmp_double);
	med = v[n / 2];
	if (want != 0 && fabs(med - want) > 0.02 * want)
		ok = false;
	if (!ok)
		TH_LOG("%s: median %f (min %f, max %f), want %f", path, med, v[0],
		       v[n - 1], want);
	return ok;
}

static void check_device(struct __test_metadata *_metadata,
			 const struct top_run *r, const struct drive *d)
{
	const double busy[MOCK_I915_NUM_ENGINES][3] = {
		/* busy, sema, wait */
		{ d->rcs0_busy, 0, 0 },
		{ 0, 0, d->bcs0_wait },
		{ 0, 0, 0 },
		{ d->vcs1_busy, 0, 0 },
		{ 0, d->vecs0_sema, 0 },
	};
	static const char * const smp[] = { "busy", "sema", "wait" };
	char path[96];
	int e, s, i, nr_engines = 0;
	const char *unit;

	EXPECT_TRUE(shows(_metadata, r, "frequency|actual", d->act_mhz));
	EXPECT_TRUE(shows(_metadata, r, "frequency|requested", d->req_mhz));
	EXPECT_TRUE(shows(_metadata, r, "interrupts|count", d->irq_per_s));
	EXPECT_TRUE(shows(_metadata, r, "rc6|value", d->rc6_pct));
	for (e = 0; e < MOCK_I915_NUM_ENGINES; e++) {
		for (s = 0; s < 3; s++) {
			snprintf(path, sizeof(path), "engines|%s|%s", top_engines[e],
				 smp[s]);
			EXPECT_TRUE(shows(_metadata, r, path, busy[e][s])) {
				TH_LOG("engine %s", engine_names[e]);
			}
		}
	}
	/* these engines and no other */
	for (i = 0; i < r->s[r->nr - 1].n; i++) {
		const char *p = r->s[r->nr - 1].kv[i].path;

		nr_engines += !strncmp(p, "engines|", 8) &&
			      !strcmp(p + strlen(p) - 5, "|busy");
	}
	EXPECT_EQ(MOCK_I915_NUM_ENGINES, nr_engines);
	unit = get(&r->s[r->nr - 1], "frequency|unit");
	ASSERT_NE(NULL, unit);
	EXPECT_STREQ("MHz", unit);
}

/* The client with this pid: its busy time summed over the periods. */
static void check_client(struct __test_metadata *_metadata,
			 const struct top_run *r, pid_t pid, uint64_t want_ns)
{
	char pidstr[16], id[32] = "", path[96];
	const struct sample *last = &r->s[r->nr - 1];
	double sum = 0, pct;
	int i, clients = 0;

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	for (i = 0; i < last->n; i++) {
		const char *p = last->kv[i].path, *end;

		if (strncmp(p, "clients|", 8) || strcmp(p + strlen(p) - 4, "|pid"))
			continue;
		clients++;
		if (strcmp(last->kv[i].val, pidstr))
			continue;
		end = strchr(p + 8, '|');
		snprintf(id, sizeof(id), "%.*s", (int)(end - p - 8), p + 8);
	}
	/* ours alone: a client of the other GPU is not shown */
	EXPECT_EQ(1, clients);
	ASSERT_STRNE("", id) TH_LOG("no client with pid %d", pid);
	snprintf(path, sizeof(path), "clients|%s|name", id);
	ASSERT_NE(NULL, get(last, path));
	EXPECT_STREQ("igt_test", get(last, path));

	snprintf(path, sizeof(path), "clients|%s|engine-classes|Render/3D|busy", id);
	for (i = 1; i < r->nr; i++) {
		pct = getd(&r->s[i], path);
		if (!isnan(pct))
			sum += pct;
	}
	/* pct = ns / period_us / 1e3 * 100 */
	sum = sum / 100 * PERIOD_MS * 1e6;
	EXPECT_TRUE(fabs(sum - want_ns) < 1000)
		TH_LOG("client busy %.0f ns, want %" PRIu64, sum, want_ns);
}

struct busy_at {
	int fd, at, ret;
};

static void add_busy_at(int nr, void *arg)
{
	struct busy_at *b = arg;
	struct mock_i915_add_busy a = {
		.engine_class = I915_ENGINE_CLASS_RENDER, .busy_ns = CLIENT_BUSY_NS,
	};

	if (nr == b->at)
		b->ret = ioctl(b->fd, DRM_IOCTL_MOCK_I915_ADD_BUSY, &a) ? -errno : 0;
}

static void run_and_check(struct __test_metadata *_metadata, const char *pci,
			  const char *decoy_pci, const struct drive *want)
{
	struct busy_at b = { .at = BUSY_AT, .ret = -EINPROGRESS };
	struct top_run r;
	int decoy;

	b.fd = open_render(pci);
	ASSERT_LE(0, b.fd);
	decoy = open_render(decoy_pci);
	ASSERT_LE(0, decoy);

	ASSERT_EQ(0, top_run(&r, SAMPLES, add_busy_at, &b));
	if (r.nr < SAMPLES || !WIFEXITED(r.status) || WEXITSTATUS(r.status))
		TH_LOG("intel_gpu_top: status 0x%x, %d periods, stderr: %s",
		       r.status, r.nr, r.err);
	ASSERT_LE(SAMPLES, r.nr);
	EXPECT_TRUE(WIFEXITED(r.status) && !WEXITSTATUS(r.status));
	EXPECT_EQ(0, b.ret);

	/* a line of what it showed, for the log */
	TH_LOG("%s: %d periods, last: %s/%s MHz, %s irq/s, rc6 %s%%, rcs0 %s%%, vcs1 %s%%",
	       pci, r.nr, get(&r.s[r.nr - 1], "frequency|actual"),
	       get(&r.s[r.nr - 1], "frequency|requested"),
	       get(&r.s[r.nr - 1], "interrupts|count"),
	       get(&r.s[r.nr - 1], "rc6|value"),
	       get(&r.s[r.nr - 1], "engines|Render/3D/0|busy"),
	       get(&r.s[r.nr - 1], "engines|Video/1|busy"));
	check_device(_metadata, &r, want);
	check_client(_metadata, &r, getpid(), CLIENT_BUSY_NS);
	top_free(&r);
	close(decoy);
	close(b.fd);
}

/* ---- fixture: every mock GPU bound and still -------------------------- */

FIXTURE(igt) {
	int dummy;
};

FIXTURE_SETUP(igt)
{
	ASSERT_EQ(0, access(IGT_TOP, X_OK)) TH_LOG("%s missing in the VM", IGT_TOP);
	if (!bound(GPU1_PCI))
		pci_bind(GPU1_PCI);
	ASSERT_TRUE(bound(GPU0_PCI));
	ASSERT_TRUE(bound(GPU1_PCI));
	ASSERT_TRUE(bound(OTHER_PCI));
	ASSERT_EQ(0, still(GPU0_PCI));
	ASSERT_EQ(0, still(GPU1_PCI));
	ASSERT_EQ(0, still(OTHER_PCI));
}

FIXTURE_TEARDOWN(igt)
{
	if (!bound(GPU1_PCI))
		pci_bind(GPU1_PCI);
	still(GPU0_PCI);
	still(GPU1_PCI);
	still(OTHER_PCI);
}

/* With an integrated and a discrete Intel GPU it shows the discrete one. */
TEST_F(igt, default_device_discrete)
{
	const struct drive want = {
		.act_mhz = 1000, .req_mhz = 1300, .irq_per_s = 2000, .rc6_pct = 40,
		.rcs0_busy = 25, .bcs0_wait = 5, .vcs1_busy = 75, .vecs0_sema = 10,
	}, decoy = {
		.act_mhz = 300, .req_mhz = 350, .irq_per_s = 50, .rc6_pct = 90,
		.rcs0_busy = 60, .bcs0_wait = 30, .vcs1_busy = 15, .vecs0_sema = 45,
	};

	ASSERT_EQ(0, drive(GPU1_PCI, &want));
	ASSERT_EQ(0, drive(GPU0_PCI, &decoy));
	ASSERT_EQ(0, drive(OTHER_PCI, &decoy));
	run_and_check(_metadata, GPU1_PCI, GPU0_PCI, &want);
}

/*
 * With the discrete GPU unbound it shows the integrated one, although the
 * non-Intel "i915" at another slot (a discrete one by slot) is bound.
 */
TEST_F(igt, default_device_integrated)
{
	const struct drive want = {
		.act_mhz = 650, .req_mhz = 900, .irq_per_s = 500, .rc6_pct = 70,
		.rcs0_busy = 80, .bcs0_wait = 12, .vcs1_busy = 33, .vecs0_sema = 4,
	}, decoy = {
		.act_mhz = 1500, .req_mhz = 1600, .irq_per_s = 9000, .rc6_pct = 5,
		.rcs0_busy = 10, .bcs0_wait = 50, .vcs1_busy = 90, .vecs0_sema = 40,
	};

	ASSERT_EQ(0, pci_unbind(GPU1_PCI));
	ASSERT_EQ(0, drive(GPU0_PCI, &want));
	ASSERT_EQ(0, drive(OTHER_PCI, &decoy));
	run_and_check(_metadata, GPU0_PCI, OTHER_PCI, &want);
}

TEST_HARNESS_MAIN
