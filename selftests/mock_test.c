// SPDX-License-Identifier: GPL-2.0
/*
 * The mock i915 GPU itself (selftests/mock): that it looks like i915 of the
 * running kernel where nsgpuperf and intel_gpu_top can notice - PCI vendor
 * Intel, PCI and DRM driver names, PMU names, sysfs events/format/cpumask,
 * config encoding, event_init errnos, group reads of exact driven values,
 * rates, live event and module reference accounting, per-client fdinfo
 * usage (with i915's GuC behaviour of that kernel) and memory stats,
 * unbind/bind (with events open where perf revokes them), the pmu_cpu
 * module parameter and the topology parameters (compute engines, two GTs)
 * down to nsgpuperf's event list and reads; and that nsgpuperf never
 * lists the non-Intel device the mock binds too.
 *
 * Runs as root in the test VM with mock_i915 and nsgpuperf loaded and all
 * three devices bound (see nsgp_test.h: GPU0_PCI, GPU1_PCI, OTHER_PCI).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "kselftest_harness.h"
#include "mock_i915_uapi.h"
#include "nsgp_test.h"

#define PMU0		"i915"
#define PMU1		"i915_0000_00_05.0"
#define PMU_OTHER	"i915_0000_00_06.0"
#define PMU_DIR		"/sys/bus/event_source/devices/"
#define FMT_GROUP	(PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | \
			 PERF_FORMAT_ID)
#define MAX_GROUP	8

/*
 * Multi-GT configs (i915_drm.h of kernel 6.5), which bookworm's libdrm
 * 2.4.114 lacks: upstream's names and definitions.
 */
#ifndef __I915_PMU_GT_SHIFT
#define __I915_PMU_GT_SHIFT		(60)
#define ___I915_PMU_OTHER(gt, x)	(((__u64)__I915_PMU_ENGINE(0xff, 0xff, 0xf) + 1 + (x)) | \
					 ((__u64)(gt) << __I915_PMU_GT_SHIFT))
#endif

static const char * const engine_names[] = MOCK_I915_ENGINE_NAMES;
static const int engine_classes[] = MOCK_I915_ENGINE_CLASSES;
static const int engine_instances[] = MOCK_I915_ENGINE_INSTANCES;
static const char * const class_names[] = MOCK_I915_CLASS_NAMES;
static const unsigned int class_capacity[] = MOCK_I915_CLASS_CAPACITY;

static const struct {
	const char *name;
	int sample;
} samples[] = {
	{ "busy", I915_SAMPLE_BUSY },
	{ "wait", I915_SAMPLE_WAIT },
	{ "sema", I915_SAMPLE_SEMA },
};

static const struct {
	const char *name;
	uint64_t config;
	const char *unit;	/* NULL: no .unit file */
} others[] = {
	{ "actual-frequency", I915_PMU_ACTUAL_FREQUENCY, "M" },
	{ "requested-frequency", I915_PMU_REQUESTED_FREQUENCY, "M" },
	{ "interrupts", I915_PMU_INTERRUPTS, NULL },
	{ "rc6-residency", I915_PMU_RC6_RESIDENCY, "ns" },
	{ "software-gt-awake-time", I915_PMU_SOFTWARE_GT_AWAKE_TIME, "ns" },
};

/* ---- helpers ---------------------------------------------------------- */

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* Kernels whose i915 has its own cpumask (before PERF_PMU_SCOPE_SYS_WIDE). */
static bool has_own_cpumask(void)
{
	return !kernel_at_least(6, 15);
}

/* Read a whole (small) file; its length or -errno. */
static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int pmu_attr(const char *pmu, const char *attr, char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), PMU_DIR "%s/%s", pmu, attr);
	return read_text(path, buf, len);
}

static bool pmu_exists(const char *pmu)
{
	char path[256];

	snprintf(path, sizeof(path), PMU_DIR "%s", pmu);
	return exists(path);
}

static int gpu_ctl(const char *pci, const char *cmd, uint64_t config, uint64_t val)
{
	return mock_ctl(pci, "%s 0x%" PRIx64 " %" PRIu64, cmd, config, val);
}

static uint64_t engine_config(int engine, int sample)
{
	return __I915_PMU_ENGINE(engine_classes[engine], engine_instances[engine],
				 sample);
}

/* Wait up to 3 s for a live event count (counters are closed lazily). */
static long long settle_live(const char *pci, long long want)
{
	long long n = -1;
	int i;

	for (i = 0; i < 300; i++) {
		n = pci ? mock_live_events(pci) : mock_live_events_all();
		if (n == want)
			break;
		usleep(10000);
	}
	return n;
}

static int pmu_cpu(const char *pmu)
{
	return perf_pmu_cpu(pmu);
}

struct group {
	int fd[MAX_GROUP];
	uint64_t id[MAX_GROUP];
	int n;
};

/* Open configs as one group on a PMU; 0 or -errno. */
static int group_open(struct group *g, const char *pmu, const uint64_t *cfg, int n)
{
	int type = perf_pmu_type(pmu), cpu = pmu_cpu(pmu), i;

	memset(g, 0, sizeof(*g));
	if (type < 0)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		g->fd[i] = perf_open(type, cfg[i], cpu, i ? g->fd[0] : -1, FMT_GROUP);
		if (g->fd[i] < 0) {
			int ret = g->fd[i];

			while (i--)
				close(g->fd[i]);
			return ret;
		}
		if (ioctl(g->fd[i], PERF_EVENT_IOC_ID, &g->id[i]))
			return -errno;
		g->n = i + 1;
	}
	return 0;
}

static void group_close(struct group *g)
{
	int i;

	for (i = g->n - 1; i >= 0; i--)
		close(g->fd[i]);
	g->n = 0;
}

/*
 * Read the group (PERF_FORMAT_GROUP | TOTAL_TIME_ENABLED | ID) into
 * values in the order opened; 0 or -errno.
 */
static int group_read(struct group *g, uint64_t *val, uint64_t *enabled)
{
	uint64_t buf[2 + 2 * MAX_GROUP];
	ssize_t n = read(g->fd[0], buf, sizeof(buf));
	int i;

	if (n < 0)
		return -errno;
	if (n != (ssize_t)((2 + 2 * g->n) * sizeof(uint64_t)) || buf[0] != (uint64_t)g->n)
		return -EPROTO;
	if (enabled)
		*enabled = buf[1];
	for (i = 0; i < g->n; i++) {
		if (buf[3 + 2 * i] != g->id[i])
			return -EPROTO;
		val[i] = buf[2 + 2 * i];
	}
	return 0;
}

static int read_one(int fd, uint64_t *val)
{
	uint64_t buf[4];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n != (ssize_t)sizeof(buf))
		return n < 0 ? -errno : -EPROTO;
	/* FMT_GROUP on a lone leader: nr, time_enabled, value, id */
	*val = buf[2];
	return 0;
}

/* The first DRM node of a GPU whose name starts with prefix; -errno. */
static int drm_node(const char *pci, const char *prefix, char *path, size_t len)
{
	char dir[128];
	struct dirent *e;
	DIR *d;
	int ret = -ENOENT;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/drm", pci);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!strncmp(e->d_name, prefix, strlen(prefix))) {
			ret = snprintf(path, len, "/dev/dri/%.32s", e->d_name) < (int)len ?
			      0 : -ENAMETOOLONG;
			break;
		}
	}
	closedir(d);
	return ret;
}

static int open_node(const char *pci, const char *prefix)
{
	char path[64];
	int ret = drm_node(pci, prefix, path, sizeof(path));

	if (ret)
		return ret;
	ret = open(path, O_RDWR | O_CLOEXEC);
	return ret < 0 ? -errno : ret;
}

static int fdinfo(int fd, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return read_text(path, buf, len);
}

/* The value of "key:\t<value>" in fdinfo text, copied; NULL if absent. */
static const char *fdinfo_val(const char *text, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ':') {
			const char *v = p + kl + 1, *end;

			if (*v != '\t')
				return NULL;	/* i915 separates with one tab */
			v++;
			end = strchrnul(v, '\n');
			snprintf(out, len, "%.*s", (int)(end - v), v);
			return out;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static int add_busy(int fd, uint32_t cls, uint32_t pad, uint64_t ns)
{
	struct mock_i915_add_busy b = { .engine_class = cls, .pad = pad, .busy_ns = ns };

	return ioctl(fd, DRM_IOCTL_MOCK_I915_ADD_BUSY, &b) ? -errno : 0;
}

static bool bound(const char *pci)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", pci);
	return exists(path);
}

/* A PCI device's sysfs attribute as a number ("vendor": 0x8086); -1. */
static long long pci_attr(const char *pci, const char *attr)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", pci, attr);
	return read_ll(path);
}

static int unload_mock(void)
{
	int i, ret = -EAGAIN;

	for (i = 0; i < 200 && ret == -EAGAIN; i++) {
		ret = module_unload("mock_i915");
		if (ret == -EAGAIN)
			usleep(10000);
	}
	return ret;
}

/* The mock as every suite expects it: loaded with default parameters. */
static bool mock_default(void)
{
	return module_loaded("mock_i915") &&
	       read_ll("/sys/module/mock_i915/parameters/ccs") == 0 &&
	       read_ll("/sys/module/mock_i915/parameters/gts") == 1 &&
	       read_ll("/sys/module/mock_i915/parameters/pmu_cpu") == -1;
}

/* ---- fixture: both GPUs bound, no live events, counters still --------- */

FIXTURE(mock) {
	int dummy;
};

FIXTURE_SETUP(mock)
{
	int i, e, s;

	if (!bound(GPU1_PCI))
		pci_bind(GPU1_PCI);
	ASSERT_TRUE(mock_default());
	ASSERT_TRUE(bound(GPU0_PCI));
	ASSERT_TRUE(bound(GPU1_PCI));
	ASSERT_TRUE(bound(OTHER_PCI));
	ASSERT_EQ(0, settle_live(NULL, 0));
	for (i = 0; i < 2; i++) {
		const char *pci = i ? GPU1_PCI : GPU0_PCI;

		for (e = 0; e < MOCK_I915_NUM_ENGINES; e++)
			for (s = 0; s < 3; s++)
				ASSERT_EQ(0, gpu_ctl(pci, "rate", engine_config(e, s), 0));
		for (e = 0; e < (int)ARRAY_SIZE(others); e++)
			ASSERT_EQ(0, gpu_ctl(pci, "rate", others[e].config, 0));
	}
}

FIXTURE_TEARDOWN(mock)
{
	char path[160];

	if (!mock_default()) {
		unload_mock();
		module_load(MOCK_KO, NULL);
	}
	if (!bound(GPU1_PCI))
		pci_bind(GPU1_PCI);
	snprintf(path, sizeof(path), MOCK_I915_DEBUGFS_FMT "/guc", GPU0_PCI);
	write_str(path, "0");
}

/* ---- PCI, DRM and PMU identity ---------------------------------------- */

TEST_F(mock, identity)
{
	const char *pcis[] = { GPU0_PCI, GPU1_PCI, OTHER_PCI };
	const char *pmus[] = { PMU0, PMU1, PMU_OTHER };
	/* Intel's, as every device i915 binds, but for the one to ignore */
	const long long vendor[] = { 0x8086, 0x8086, 0x1234 };
	char path[160], link[256], node[64];
	struct drm_version v;
	char name[16];
	int i, fd;
	ssize_t n;

	for (i = 0; i < 3; i++) {
		EXPECT_EQ(vendor[i], pci_attr(pcis[i], "vendor"));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", pcis[i]);
		n = readlink(path, link, sizeof(link) - 1);
		ASSERT_GT(n, 0);
		link[n] = '\0';
		ASSERT_STREQ("i915", strrchr(link, '/') + 1);

		/* i915's PMU name rule */
		ASSERT_TRUE(pmu_exists(pmus[i]));
		ASSERT_GT(perf_pmu_type(pmus[i]), 0);

		/* a card and a render node, DRM driver "i915" */
		ASSERT_EQ(0, drm_node(pcis[i], "card", node, sizeof(node)));
		ASSERT_EQ(0, drm_node(pcis[i], "renderD", node, sizeof(node)));
		fd = open(node, O_RDWR | O_CLOEXEC);
		ASSERT_GE(fd, 0);
		memset(&v, 0, sizeof(v));
		memset(name, 0, sizeof(name));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		ASSERT_EQ(0, ioctl(fd, DRM_IOCTL_VERSION, &v));
		ASSERT_STREQ("i915", name);
		close(fd);

		/* debugfs controls */
		snprintf(path, sizeof(path), MOCK_I915_DEBUGFS_FMT "/control", pcis[i]);
		ASSERT_TRUE(exists(path));
		ASSERT_EQ(0, mock_live_events(pcis[i]));
	}
}

TEST_F(mock, sysfs_events)
{
	const char *pmus[] = { PMU0, PMU1 };
	char attr[96], buf[64], want[64];
	unsigned int count;
	struct dirent *de;
	int p, e, s, o;
	DIR *d;

	for (p = 0; p < 2; p++) {
		ASSERT_LT(0, pmu_attr(pmus[p], "format/i915_eventid", buf, sizeof(buf)));
		ASSERT_STREQ("config:0-20\n", buf);

		for (e = 0; e < MOCK_I915_NUM_ENGINES; e++) {
			for (s = 0; s < 3; s++) {
				snprintf(attr, sizeof(attr), "events/%s-%s",
					 engine_names[e], samples[s].name);
				snprintf(want, sizeof(want), "config=0x%" PRIx64 "\n",
					 (uint64_t)__I915_PMU_ENGINE(engine_classes[e],
								     engine_instances[e],
								     samples[s].sample));
				ASSERT_LT(0, pmu_attr(pmus[p], attr, buf, sizeof(buf)));
				EXPECT_STREQ(want, buf) {
					TH_LOG("%s/%s", pmus[p], attr);
				}
				strcat(attr, ".unit");
				ASSERT_LT(0, pmu_attr(pmus[p], attr, buf, sizeof(buf)));
				EXPECT_STREQ("ns\n", buf);
			}
		}
		for (o = 0; o < (int)ARRAY_SIZE(others); o++) {
			snprintf(attr, sizeof(attr), "events/%s", others[o].name);
			snprintf(want, sizeof(want), "config=0x%" PRIx64 "\n",
				 (uint64_t)others[o].config);
			ASSERT_LT(0, pmu_attr(pmus[p], attr, buf, sizeof(buf)));
			EXPECT_STREQ(want, buf) {
				TH_LOG("%s/%s", pmus[p], attr);
			}
			strcat(attr, ".unit");
			if (others[o].unit) {
				snprintf(want, sizeof(want), "%s\n", others[o].unit);
				ASSERT_LT(0, pmu_attr(pmus[p], attr, buf, sizeof(buf)));
				EXPECT_STREQ(want, buf);
			} else {
				EXPECT_EQ(-ENOENT, pmu_attr(pmus[p], attr, buf, sizeof(buf)));
			}
		}

		/* nothing else: 15 engine + 5 other events, 19 units */
		snprintf(attr, sizeof(attr), PMU_DIR "%s/events", pmus[p]);
		d = opendir(attr);
		ASSERT_NE(NULL, d);
		count = 0;
		while ((de = readdir(d)))
			count += de->d_name[0] != '.';
		closedir(d);
		EXPECT_EQ(39, count);

		/* i915's own cpumask, one CPU, until 6.14; perf core's after */
		ASSERT_LT(0, pmu_attr(pmus[p], "cpumask", buf, sizeof(buf)));
		if (has_own_cpumask()) {
			EXPECT_EQ(NULL, strpbrk(buf, ",-"));
			EXPECT_EQ(0, atoi(buf));	/* first online CPU */
		}
	}
}

/* ---- counting --------------------------------------------------------- */

TEST_F(mock, group_exact_deltas)
{
	const uint64_t cfg[] = {
		engine_config(0, I915_SAMPLE_BUSY),	/* rcs0-busy */
		engine_config(3, I915_SAMPLE_BUSY),	/* vcs1-busy */
		engine_config(4, I915_SAMPLE_SEMA),	/* vecs0-sema */
		I915_PMU_INTERRUPTS,
		I915_PMU_RC6_RESIDENCY,
		I915_PMU_SOFTWARE_GT_AWAKE_TIME,
	};
	const int n = ARRAY_SIZE(cfg);
	uint64_t val[MAX_GROUP], enabled, enabled2;
	long long ref0, ref;
	struct group g;
	int i;

	/* absolute values before the group exists are not counted */
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, gpu_ctl(GPU0_PCI, "set", cfg[i], 1000000 + i));
	ref0 = module_refcnt("mock_i915");

	ASSERT_EQ(0, group_open(&g, PMU0, cfg, n));
	ASSERT_EQ(n, mock_live_events(GPU0_PCI));
	ASSERT_EQ(0, mock_live_events(GPU1_PCI));
	ASSERT_EQ(n, mock_live_events_all());
	/* perf holds a module reference per event (rmmod gets EBUSY) */
	ref = module_refcnt("mock_i915");
	ASSERT_EQ(ref0 + n, ref);

	ASSERT_EQ(0, group_read(&g, val, &enabled));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, val[i]);

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, gpu_ctl(GPU0_PCI, "set", cfg[i], 1000000 + i + 111 * (i + 1)));
	ASSERT_EQ(0, group_read(&g, val, &enabled2));
	for (i = 0; i < n; i++)
		EXPECT_EQ(111ULL * (i + 1), val[i]);
	ASSERT_LT(enabled, enabled2);

	/* "add" moves by a delta; the other GPU's counters are separate */
	ASSERT_EQ(0, gpu_ctl(GPU0_PCI, "add", cfg[0], 5));
	ASSERT_EQ(0, gpu_ctl(GPU1_PCI, "add", cfg[1], 77));
	ASSERT_EQ(0, group_read(&g, val, NULL));
	EXPECT_EQ(111 + 5, val[0]);
	EXPECT_EQ(222, val[1]);

	group_close(&g);
	ASSERT_EQ(0, settle_live(GPU0_PCI, 0));
	ASSERT_EQ(0, settle_live(NULL, 0));
	ASSERT_EQ(ref0, module_refcnt("mock_i915"));
}

TEST_F(mock, rate_frequency)
{
	const uint64_t cfg[] = {
		I915_PMU_ACTUAL_FREQUENCY, I915_PMU_REQUESTED_FREQUENCY,
		engine_config(2, I915_SAMPLE_BUSY),
	};
	uint64_t v0[3], v1[3], t0, t1;
	double secs, r;
	struct group g;

	ASSERT_EQ(0, gpu_ctl(GPU0_PCI, "rate", cfg[0], 1000));
	ASSERT_EQ(0, gpu_ctl(GPU0_PCI, "rate", cfg[1], 1300));
	ASSERT_EQ(0, gpu_ctl(GPU0_PCI, "rate", cfg[2], 250000000));	/* 25 % */
	ASSERT_EQ(0, group_open(&g, PMU0, cfg, 3));
	ASSERT_EQ(0, group_read(&g, v0, &t0));
	usleep(200000);
	ASSERT_EQ(0, group_read(&g, v1, &t1));
	secs = (t1 - t0) / 1e9;
	ASSERT_GT(secs, 0.15);

	r = (v1[0] - v0[0]) / secs;
	EXPECT_TRUE(r > 980 && r < 1020) TH_LOG("actual-frequency %.1f MHz", r);
	r = (v1[1] - v0[1]) / secs;
	EXPECT_TRUE(r > 1274 && r < 1326) TH_LOG("requested-frequency %.1f MHz", r);
	r = (double)(v1[2] - v0[2]) / (t1 - t0);
	EXPECT_TRUE(r > 0.245 && r < 0.255) TH_LOG("vcs0 busy %.3f", r);

	/* rate 0 stops the counter */
	ASSERT_EQ(0, gpu_ctl(GPU0_PCI, "rate", cfg[0], 0));
	ASSERT_EQ(0, group_read(&g, v0, NULL));
	usleep(50000);
	ASSERT_EQ(0, group_read(&g, v1, NULL));
	EXPECT_EQ(v0[0], v1[0]);
	EXPECT_LT(v0[1], v1[1]);
	group_close(&g);
	ASSERT_EQ(0, settle_live(NULL, 0));
}

/* ---- event_init: i915's checks and errnos ----------------------------- */

static int open_attr(struct perf_event_attr *attr, int pid, int cpu)
{
	int fd = syscall(SYS_perf_event_open, attr, pid, cpu, -1, 0);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return -errno;
}

static struct perf_event_attr *mkattr(struct perf_event_attr *a, int type,
				      uint64_t config)
{
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->size = sizeof(*a);
	a->config = config;
	return a;
}

TEST_F(mock, invalid_configs)
{
	int type = perf_pmu_type(PMU0), cpu = pmu_cpu(PMU0);
	struct perf_event_attr a;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	ASSERT_GT(type, 0);
#define ATTR(cfg) mkattr(&a, type, (cfg))

	/* the valid ones open */
	ASSERT_EQ(0, open_attr(ATTR(engine_config(3, I915_SAMPLE_WAIT)), -1, cpu));
	ASSERT_EQ(0, open_attr(ATTR(I915_PMU_SOFTWARE_GT_AWAKE_TIME), -1, cpu));

	/* engine the GPU lacks: ENODEV; unknown sample: ENOENT */
	EXPECT_EQ(-ENODEV, open_attr(ATTR(__I915_PMU_ENGINE(I915_ENGINE_CLASS_VIDEO, 2,
							    I915_SAMPLE_BUSY)), -1, cpu));
	EXPECT_EQ(-ENODEV, open_attr(ATTR(__I915_PMU_ENGINE(I915_ENGINE_CLASS_COMPUTE, 0,
							    I915_SAMPLE_BUSY)), -1, cpu));
	EXPECT_EQ(-ENOENT, open_attr(ATTR(__I915_PMU_ENGINE(0, 0, 3)), -1, cpu));
	/* unknown other counter, or a GT the device lacks (config bits 60+) */
	EXPECT_EQ(-ENOENT, open_attr(ATTR(__I915_PMU_OTHER(5)), -1, cpu));
	EXPECT_EQ(-ENOENT, open_attr(ATTR(__I915_PMU_OTHER(0x1000)), -1, cpu));
	EXPECT_EQ(-ENOENT, open_attr(ATTR((1ULL << 60) | I915_PMU_ACTUAL_FREQUENCY),
				     -1, cpu));
	EXPECT_EQ(-ENOENT, open_attr(ATTR((1ULL << 60) | engine_config(0, 0)), -1, cpu));

	/* sampling */
	ATTR(I915_PMU_INTERRUPTS);
	a.sample_period = 100000;
	EXPECT_EQ(-EINVAL, open_attr(&a, -1, cpu));
	/* branch stack */
	ATTR(I915_PMU_INTERRUPTS);
	a.sample_type = PERF_SAMPLE_BRANCH_STACK;
	a.branch_sample_type = PERF_SAMPLE_BRANCH_ANY;
	EXPECT_EQ(-EOPNOTSUPP, open_attr(&a, -1, cpu));
	/* a task event (cpu -1) */
	EXPECT_EQ(-EINVAL, open_attr(ATTR(I915_PMU_INTERRUPTS), 0, -1));
	/* a CPU outside i915's cpumask, on kernels that have one */
	if (has_own_cpumask() && ncpu > 1) {
		EXPECT_EQ(-EINVAL, open_attr(ATTR(I915_PMU_INTERRUPTS), -1,
					     (cpu + 1) % ncpu));
	} else if (ncpu > 1) {
		EXPECT_EQ(0, open_attr(ATTR(I915_PMU_INTERRUPTS), -1, (cpu + 1) % ncpu));
	}
#undef ATTR
	ASSERT_EQ(0, settle_live(NULL, 0));

	/* the control file takes only known commands and configs */
	EXPECT_EQ(-EINVAL, gpu_ctl(GPU0_PCI, "set", __I915_PMU_OTHER(5), 1));
	EXPECT_EQ(-EINVAL, gpu_ctl(GPU0_PCI, "set",
				   __I915_PMU_ENGINE(I915_ENGINE_CLASS_VIDEO, 2, 0), 1));
	EXPECT_EQ(-EINVAL, gpu_ctl(GPU0_PCI, "frob", I915_PMU_INTERRUPTS, 1));
	EXPECT_EQ(-EINVAL, mock_ctl(GPU0_PCI, "set 0x100002"));
	EXPECT_EQ(-EINVAL, mock_ctl(GPU0_PCI, "set x 1"));
	EXPECT_EQ(0, mock_ctl(GPU0_PCI, "set 1048578 7\n"));	/* decimal config */
}

/* ---- DRM fdinfo ------------------------------------------------------- */

TEST_F(mock, fdinfo_usage)
{
	char text[2048], val[64], key[64], want[64], id1[32];
	int fd, fd2, card, c, k;

	fd = open_node(GPU0_PCI, "renderD");
	ASSERT_GE(fd, 0);
	ASSERT_LT(0, fdinfo(fd, text, sizeof(text)));
	ASSERT_NE(NULL, fdinfo_val(text, "drm-driver", val, sizeof(val)));
	ASSERT_STREQ("i915", val);
	ASSERT_NE(NULL, fdinfo_val(text, "drm-pdev", val, sizeof(val)));
	ASSERT_STREQ(GPU0_PCI, val);
	ASSERT_NE(NULL, fdinfo_val(text, "drm-client-id", id1, sizeof(id1)));
	for (c = 0; c < MOCK_I915_NUM_CLASSES; c++) {
		snprintf(key, sizeof(key), "drm-engine-%s", class_names[c]);
		if (!class_capacity[c]) {
			/* a class without engines (compute by default): no line */
			EXPECT_EQ(NULL, fdinfo_val(text, key, val, sizeof(val)));
			EXPECT_EQ(-EINVAL, add_busy(fd, c, 0, 1));
			continue;
		}
		ASSERT_NE(NULL, fdinfo_val(text, key, val, sizeof(val)));
		ASSERT_STREQ("0 ns", val);
		snprintf(key, sizeof(key), "drm-engine-capacity-%s", class_names[c]);
		if (class_capacity[c] > 1) {
			ASSERT_NE(NULL, fdinfo_val(text, key, val, sizeof(val)));
			snprintf(want, sizeof(want), "%u", class_capacity[c]);
			ASSERT_STREQ(want, val);
		} else {
			ASSERT_EQ(NULL, fdinfo_val(text, key, val, sizeof(val)));
		}
	}

	/* each class moves on its own, by exactly what was added */
	for (c = 0; c < MOCK_I915_NUM_CLASSES; c++) {
		if (!class_capacity[c])
			continue;
		ASSERT_EQ(0, add_busy(fd, c, 0, 1000000ULL * (c + 1) + 7));
		ASSERT_LT(0, fdinfo(fd, text, sizeof(text)));
		for (k = 0; k < MOCK_I915_NUM_CLASSES; k++) {
			if (!class_capacity[k])
				continue;
			snprintf(key, sizeof(key), "drm-engine-%s", class_names[k]);
			snprintf(want, sizeof(want), "%llu ns",
				 k <= c ? 1000000ULL * (k + 1) + 7 : 0ULL);
			ASSERT_NE(NULL, fdinfo_val(text, key, val, sizeof(val)));
			EXPECT_STREQ(want, val);
		}
	}
	EXPECT_EQ(-EINVAL, add_busy(fd, MOCK_I915_NUM_CLASSES, 0, 1));
	EXPECT_EQ(-EINVAL, add_busy(fd, 0, 1, 1));

	/* another client: its own id and counts; the card node works too */
	fd2 = open_node(GPU0_PCI, "renderD");
	ASSERT_GE(fd2, 0);
	ASSERT_LT(0, fdinfo(fd2, text, sizeof(text)));
	ASSERT_NE(NULL, fdinfo_val(text, "drm-client-id", val, sizeof(val)));
	EXPECT_STRNE(id1, val);
	ASSERT_NE(NULL, fdinfo_val(text, "drm-engine-render", val, sizeof(val)));
	EXPECT_STREQ("0 ns", val);
	card = open_node(GPU0_PCI, "card");
	ASSERT_GE(card, 0);
	ASSERT_EQ(0, add_busy(card, I915_ENGINE_CLASS_COPY, 0, 42));
	ASSERT_LT(0, fdinfo(card, text, sizeof(text)));
	ASSERT_NE(NULL, fdinfo_val(text, "drm-engine-copy", val, sizeof(val)));
	EXPECT_STREQ("42 ns", val);
	ASSERT_NE(NULL, fdinfo_val(text, "drm-client-id", key, sizeof(key)));
	EXPECT_STRNE(id1, key);
	EXPECT_STRNE(val, key);

	/* the other GPU's clients say so */
	close(fd2);
	fd2 = open_node(GPU1_PCI, "renderD");
	ASSERT_GE(fd2, 0);
	ASSERT_LT(0, fdinfo(fd2, text, sizeof(text)));
	ASSERT_NE(NULL, fdinfo_val(text, "drm-pdev", val, sizeof(val)));
	EXPECT_STREQ(GPU1_PCI, val);
	close(fd2);
	close(card);
	close(fd);
}

static int set_memory(int fd, uint32_t region, uint32_t pad, uint64_t priv,
		      uint64_t shared, uint64_t resident, uint64_t purgeable,
		      uint64_t active)
{
	struct mock_i915_set_memory m = {
		.region = region, .pad = pad, .private_bytes = priv,
		.shared_bytes = shared, .resident_bytes = resident,
		.purgeable_bytes = purgeable, .active_bytes = active,
	};

	return ioctl(fd, DRM_IOCTL_MOCK_I915_SET_MEMORY, &m) ? -errno : 0;
}

/* Lines of fdinfo text that are DRM memory stats. */
static unsigned int memory_lines(const char *text)
{
	static const char * const stats[] = {
		"drm-total-", "drm-shared-", "drm-active-", "drm-resident-",
		"drm-purgeable-",
	};
	unsigned int n = 0, i;
	const char *p;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		for (i = 0; i < ARRAY_SIZE(stats); i++)
			n += !strncmp(p, stats[i], strlen(stats[i]));
	return n;
}

/*
 * i915's show_meminfo() (6.8+): per memory region, in region order and
 * before the engine lines, drm_print_memory_stats() with resident and
 * purgeable: drm-{total,shared,active,resident,purgeable}-<region>, sizes
 * in KiB or MiB when they divide evenly.  Before 6.8 no memory line.
 */
TEST_F(mock, fdinfo_memory)
{
	static const char * const stats[] = {
		"total", "shared", "active", "resident", "purgeable",
	};
	static const char * const igp[] = MOCK_I915_REGIONS_IGP;
	static const char * const dgfx[] = MOCK_I915_REGIONS_DGFX;
	/* region 0: private 3 MiB + shared 1 MiB, active 1.5 MiB, ... */
	static const char * const want0[] = {
		"4 MiB", "1 MiB", "1536 KiB", "4 KiB", "1000",
	};
	const char *const *regions[] = { igp, dgfx };
	const unsigned int nr_regions[] = { ARRAY_SIZE(igp), ARRAY_SIZE(dgfx) };
	const char *pcis[] = { GPU0_PCI, GPU1_PCI };
	bool prints = kernel_at_least(6, 8);
	char text[4096], key[64], val[64];
	int g, fd, fd2, st;
	unsigned int r;

	for (g = 0; g < 2; g++) {
		fd = open_node(pcis[g], "renderD");
		ASSERT_GE(fd, 0);
		fd2 = open_node(pcis[g], "renderD");
		ASSERT_GE(fd2, 0);
		ASSERT_EQ(0, set_memory(fd, 0, 0, 3 << 20, 1 << 20, 4096, 1000,
					3 << 19));
		if (nr_regions[g] > 1)
			ASSERT_EQ(0, set_memory(fd, nr_regions[g] - 1, 0, 8192, 0,
						0, 0, 0));
		EXPECT_EQ(-EINVAL, set_memory(fd, nr_regions[g], 0, 1, 0, 0, 0, 0));
		EXPECT_EQ(-EINVAL, set_memory(fd, 0, 1, 1, 0, 0, 0, 0));
		ASSERT_LT(0, fdinfo(fd, text, sizeof(text)));

		if (!prints) {
			EXPECT_EQ(0, memory_lines(text));
			close(fd2);
			close(fd);
			continue;
		}
		for (r = 0; r < nr_regions[g]; r++) {
			for (st = 0; st < (int)ARRAY_SIZE(stats); st++) {
				const char *want = "0";

				if (r == 0)
					want = want0[st];
				else if (r == nr_regions[g] - 1 && st == 0)
					want = "8 KiB";
				snprintf(key, sizeof(key), "drm-%s-%s", stats[st],
					 regions[g][r]);
				ASSERT_NE(NULL, fdinfo_val(text, key, val, sizeof(val)))
					TH_LOG("%s: no %s", pcis[g], key);
				EXPECT_STREQ(want, val) TH_LOG("%s: %s", pcis[g], key);
			}
		}
		/* no other memory line; memory before engines, as i915 prints */
		EXPECT_EQ(nr_regions[g] * ARRAY_SIZE(stats), memory_lines(text));
		EXPECT_LT(strstr(text, "drm-purgeable-"), strstr(text, "drm-engine-"));

		/* another client's memory is its own */
		ASSERT_LT(0, fdinfo(fd2, text, sizeof(text)));
		ASSERT_NE(NULL, fdinfo_val(text, "drm-total-system0", val, sizeof(val)));
		EXPECT_STREQ("0", val);
		close(fd2);
		close(fd);
	}
}

TEST_F(mock, fdinfo_guc)
{
	char path[160], text[2048], val[64];
	bool hides = !kernel_at_least(6, 5);
	int fd;

	snprintf(path, sizeof(path), MOCK_I915_DEBUGFS_FMT "/guc", GPU0_PCI);
	ASSERT_EQ(0, read_ll(path));
	ASSERT_EQ(0, write_str(path, "1"));
	ASSERT_EQ(1, read_ll(path));
	EXPECT_EQ(-EINVAL, write_str(path, "2"));

	fd = open_node(GPU0_PCI, "renderD");
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, add_busy(fd, I915_ENGINE_CLASS_RENDER, 0, 5));
	ASSERT_LT(0, fdinfo(fd, text, sizeof(text)));
	ASSERT_NE(NULL, fdinfo_val(text, "drm-driver", val, sizeof(val)));
	ASSERT_NE(NULL, fdinfo_val(text, "drm-client-id", val, sizeof(val)));
	/* i915 of 6.1 prints no engine lines with GuC submission; 6.5+ does */
	if (hides) {
		EXPECT_EQ(NULL, strstr(text, "drm-engine-"));
	} else {
		ASSERT_NE(NULL, fdinfo_val(text, "drm-engine-render", val, sizeof(val)));
		EXPECT_STREQ("5 ns", val);
	}
	ASSERT_EQ(0, write_str(path, "0"));
	ASSERT_LT(0, fdinfo(fd, text, sizeof(text)));
	ASSERT_NE(NULL, fdinfo_val(text, "drm-engine-render", val, sizeof(val)));
	EXPECT_STREQ("5 ns", val);
	close(fd);
}

/* ---- unbind / bind ---------------------------------------------------- */

/* Unbind with a DRM client open (and no perf event: see below). */
TEST_F(mock, unbind_with_client_open)
{
	const uint64_t cfg = engine_config(2, I915_SAMPLE_BUSY);
	int type = perf_pmu_type(PMU1), drm;
	struct group g;
	char path[160];
	uint64_t v;

	ASSERT_GT(type, 0);
	drm = open_node(GPU1_PCI, "renderD");
	ASSERT_GE(drm, 0);
	ASSERT_EQ(0, add_busy(drm, 0, 0, 1));

	ASSERT_EQ(0, pci_unbind(GPU1_PCI));
	ASSERT_FALSE(bound(GPU1_PCI));
	ASSERT_FALSE(pmu_exists(PMU1));
	snprintf(path, sizeof(path), MOCK_I915_DEBUGFS_FMT, GPU1_PCI);
	ASSERT_FALSE(exists(path));
	ASSERT_TRUE(pmu_exists(PMU0));
	/* no new event opens on the gone PMU */
	EXPECT_GT(0, perf_open(type, cfg, pmu_cpu(PMU0), -1, 0));
	/* the DRM device is unplugged: the client's ioctls fail, close works */
	EXPECT_EQ(-ENODEV, add_busy(drm, 0, 0, 1));
	close(drm);
	ASSERT_EQ(0, settle_live(NULL, 0));

	/* bind again: PMU, debugfs and counting are back */
	ASSERT_EQ(0, pci_bind(GPU1_PCI));
	ASSERT_TRUE(pmu_exists(PMU1));
	ASSERT_TRUE(exists(path));
	ASSERT_EQ(0, group_open(&g, PMU1, &cfg, 1));
	ASSERT_EQ(1, mock_live_events(GPU1_PCI));
	ASSERT_EQ(0, gpu_ctl(GPU1_PCI, "add", cfg, 7));
	ASSERT_EQ(0, read_one(g.fd[0], &v));
	EXPECT_EQ(7, v);
	group_close(&g);
	ASSERT_EQ(0, settle_live(GPU1_PCI, 0));
}

/*
 * A raw perf event open across the unbind.  Only where perf revokes the
 * events of an unregistering PMU (6.16+): before, perf_pmu_unregister()
 * frees the PMU's per-CPU context under the live event, and reading or
 * closing it is a use-after-free in perf core - what nsgpuperf closes its
 * events before the unbind to avoid.  There the test is skipped, and
 * reported as skipped.
 */
TEST_F(mock, unbind_revokes_open_event)
{
	const uint64_t cfg = engine_config(2, I915_SAMPLE_BUSY);
	int type = perf_pmu_type(PMU1), fd, ret;
	struct group g;
	uint64_t v, v2;

	if (!kernel_at_least(6, 16))
		SKIP(return, "perf < 6.16 frees the PMU context under a live event");

	ASSERT_GT(type, 0);
	ASSERT_EQ(0, group_open(&g, PMU1, &cfg, 1));
	fd = g.fd[0];
	ASSERT_EQ(0, gpu_ctl(GPU1_PCI, "add", cfg, 100));
	ASSERT_EQ(0, read_one(fd, &v));
	ASSERT_EQ(100, v);
	ASSERT_EQ(1, mock_live_events(GPU1_PCI));

	ASSERT_EQ(0, pci_unbind(GPU1_PCI));
	ASSERT_FALSE(pmu_exists(PMU1));
	/* revoked: the event let go of the GPU, and reads its last value */
	EXPECT_EQ(0, mock_live_events_all());
	ret = read_one(fd, &v);
	if (!ret)
		EXPECT_EQ(100, v);
	usleep(20000);
	if (!ret) {
		ASSERT_EQ(0, read_one(fd, &v2));
		EXPECT_EQ(v, v2);
	}
	close(fd);
	ASSERT_EQ(0, settle_live(NULL, 0));
	ASSERT_EQ(0, pci_bind(GPU1_PCI));
	ASSERT_TRUE(pmu_exists(PMU1));
}

TEST_F(mock, rebind_repeatedly)
{
	const uint64_t cfg = I915_PMU_INTERRUPTS;
	struct group g;
	uint64_t v;
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, pci_unbind(GPU1_PCI));
		ASSERT_FALSE(pmu_exists(PMU1));
		ASSERT_EQ(0, pci_bind(GPU1_PCI));
		ASSERT_TRUE(pmu_exists(PMU1));
	}
	/* counters start from zero on a new binding */
	ASSERT_EQ(0, group_open(&g, PMU1, &cfg, 1));
	ASSERT_EQ(0, gpu_ctl(GPU1_PCI, "add", cfg, 3));
	ASSERT_EQ(0, read_one(g.fd[0], &v));
	EXPECT_EQ(3, v);
	group_close(&g);
	ASSERT_EQ(0, settle_live(NULL, 0));
	/* GPU0 never moved */
	ASSERT_TRUE(pmu_exists(PMU0));
}

/* ---- the pmu_cpu module parameter: i915's own cpumask, up to 6.14 ---- */

TEST_F(mock, pmu_cpu_param)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int type, ret, fd;
	char buf[32];

	/* the VM has two CPUs and the module file; the mock must unload */
	ASSERT_GE(ncpu, 2);
	ASSERT_TRUE(exists(MOCK_KO));
	ret = unload_mock();
	ASSERT_EQ(0, ret);

	if (!has_own_cpumask()) {
		/* 6.15+: perf's system-wide scope, any online CPU opens */
		ASSERT_EQ(0, module_load(MOCK_KO, "pmu_cpu=1"));
		type = perf_pmu_type(PMU0);
		for (ret = 0; ret < 2; ret++) {
			fd = perf_open(type, I915_PMU_INTERRUPTS, ret, -1, 0);
			ASSERT_LE(0, fd);
			close(fd);
		}
		ASSERT_EQ(0, settle_live(NULL, 0));
		return;
	}

	EXPECT_EQ(-EINVAL, module_load(MOCK_KO, "pmu_cpu=4096"));
	ASSERT_EQ(0, module_load(MOCK_KO, "pmu_cpu=1"));
	ASSERT_LT(0, pmu_attr(PMU0, "cpumask", buf, sizeof(buf)));
	EXPECT_STREQ("1\n", buf);
	ASSERT_LT(0, pmu_attr(PMU1, "cpumask", buf, sizeof(buf)));
	EXPECT_STREQ("1\n", buf);
	type = perf_pmu_type(PMU0);
	fd = perf_open(type, I915_PMU_INTERRUPTS, 1, -1, 0);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EINVAL, perf_open(type, I915_PMU_INTERRUPTS, 0, -1, 0));
	ASSERT_EQ(0, settle_live(NULL, 0));

	/* back to the default: the first online CPU */
	ASSERT_EQ(0, unload_mock());
	ASSERT_EQ(0, module_load(MOCK_KO, NULL));
	ASSERT_LT(0, pmu_attr(PMU0, "cpumask", buf, sizeof(buf)));
	EXPECT_STREQ("0\n", buf);
}

/* ---- nsgpuperf: Intel devices only --------------------------------- */

/*
 * The mock binds the edu (vendor 1234) as "i915" too, with a PMU and DRM
 * nodes; real i915 and xe only bind Intel devices, and nsgpuperf takes
 * Intel devices only: it never lists this one, whether it was bound when
 * nsgpuperf loaded (init scan) or binds later (bus notifier).
 */
TEST_F(mock, non_intel_not_listed)
{
	struct nsgpuperf_gpu_info info;
	char node[64];
	int fd, i;

	ASSERT_TRUE(pmu_exists(PMU_OTHER));
	ASSERT_EQ(0, drm_node(OTHER_PCI, "renderD", node, sizeof(node)));

	for (i = 0; i < 3; i++) {
		if (i == 1) {
			/* the notifier: it binds again */
			ASSERT_EQ(0, pci_unbind(OTHER_PCI));
			ASSERT_EQ(0, pci_bind(OTHER_PCI));
			ASSERT_TRUE(pmu_exists(PMU_OTHER));
		} else if (i == 2) {
			/* the init scan: nsgpuperf loads with it bound */
			ASSERT_EQ(0, module_unload("nsgpuperf"));
			ASSERT_EQ(0, module_load(NSGP_KO, NULL));
		}
		fd = nsgp_open(NULL);
		ASSERT_GE(fd, 0);
		EXPECT_EQ(-ENODEV, nsgp_find_gpu(fd, OTHER_PCI, &info)) {
			TH_LOG("round %d: listed as GPU %u, PMU %s", i, info.id,
			       info.pmu_name);
		}
		EXPECT_EQ(2, nsgp_count_gpus(fd));
		EXPECT_LE(0, nsgp_find_gpu(fd, GPU0_PCI, NULL));
		EXPECT_LE(0, nsgp_find_gpu(fd, GPU1_PCI, NULL));
		close(fd);
	}
}

/* ---- topology parameters: compute engines, two GTs ---------------- */

struct topo_event {
	char name[48];
	uint64_t config;
	const char *unit;	/* NULL: none */
};

/* The events i915 shows for a topology, as create_event_attributes(). */
static int topo_events(struct topo_event *ev, int ccs, int gts)
{
	int n = 0, e, s, gt, o;

	for (gt = 0; gt < gts; gt++) {
		for (o = 0; o < (int)ARRAY_SIZE(others); o++) {
			bool global = others[o].config == I915_PMU_INTERRUPTS;

			if (gt && global)
				continue;
			if (gts > 1 && !global)
				snprintf(ev[n].name, sizeof(ev[n].name), "%s-gt%d",
					 others[o].name, gt);
			else
				snprintf(ev[n].name, sizeof(ev[n].name), "%s",
					 others[o].name);
			ev[n].config = ___I915_PMU_OTHER(gt, o);
			ev[n].unit = others[o].unit;
			n++;
		}
	}
	for (e = 0; e < MOCK_I915_NUM_ENGINES + ccs; e++) {
		for (s = 0; s < 3; s++) {
			int cls = e < MOCK_I915_NUM_ENGINES ? engine_classes[e] :
				  I915_ENGINE_CLASS_COMPUTE;
			int inst = e < MOCK_I915_NUM_ENGINES ? engine_instances[e] :
				   e - MOCK_I915_NUM_ENGINES;

			if (e < MOCK_I915_NUM_ENGINES)
				snprintf(ev[n].name, sizeof(ev[n].name), "%s-%s",
					 engine_names[e], samples[s].name);
			else
				snprintf(ev[n].name, sizeof(ev[n].name), "ccs%d-%s",
					 inst, samples[s].name);
			ev[n].config = __I915_PMU_ENGINE(cls, inst, samples[s].sample);
			ev[n].unit = "ns";
			n++;
		}
	}
	return n;
}

/*
 * "ccs=2 gts=2" (6.5+; before, i915 had no GT bits and gts=2 is refused):
 * the PMU shows ccs0/ccs1 and per-GT events under i915's names and
 * configs, counts each exactly and apart, refuses what i915 refuses;
 * fdinfo shows the compute class; nsgpuperf lists the events with the
 * same configs and units and reads them.
 */
TEST_F(mock, topology_params)
{
	const int ccs = 2, gts = kernel_at_least(6, 5) ? 2 : 1;
	const char *pmus[] = { PMU0, PMU1 };
	struct topo_event ev[64];
	int n, p, i, fd, nsgp, gpu, gfd, type, cpu;
	char attr[96], buf[64], want[64], text[2048], val[64], unit[16];
	struct perf_event_attr a;
	struct dirent *de;
	unsigned int count;
	uint64_t cfg[4], r[2 + 4], v[4];
	struct group g;
	DIR *d;

	ASSERT_EQ(0, unload_mock());
	EXPECT_EQ(-EINVAL, module_load(MOCK_KO, "ccs=5"));
	EXPECT_EQ(-EINVAL, module_load(MOCK_KO, "gts=0"));
	EXPECT_EQ(-EINVAL, module_load(MOCK_KO, "gts=3"));
	if (gts == 1)
		EXPECT_EQ(-EINVAL, module_load(MOCK_KO, "ccs=2 gts=2"));
	snprintf(buf, sizeof(buf), "ccs=%d gts=%d", ccs, gts);
	ASSERT_EQ(0, module_load(MOCK_KO, buf));

	n = topo_events(ev, ccs, gts);
	for (p = 0; p < 2; p++) {
		for (i = 0; i < n; i++) {
			snprintf(attr, sizeof(attr), "events/%.48s", ev[i].name);
			snprintf(want, sizeof(want), "config=0x%" PRIx64 "\n", ev[i].config);
			ASSERT_LT(0, pmu_attr(pmus[p], attr, buf, sizeof(buf)))
				TH_LOG("%s: no %s", pmus[p], attr);
			EXPECT_STREQ(want, buf) TH_LOG("%s/%s", pmus[p], attr);
			strcat(attr, ".unit");
			if (ev[i].unit) {
				snprintf(want, sizeof(want), "%s\n", ev[i].unit);
				ASSERT_LT(0, pmu_attr(pmus[p], attr, buf, sizeof(buf)));
				EXPECT_STREQ(want, buf);
			} else {
				EXPECT_EQ(-ENOENT, pmu_attr(pmus[p], attr, buf, sizeof(buf)));
			}
		}
		/* nothing else: the events and the units */
		snprintf(attr, sizeof(attr), PMU_DIR "%s/events", pmus[p]);
		d = opendir(attr);
		ASSERT_NE(NULL, d);
		count = 0;
		while ((de = readdir(d)))
			count += de->d_name[0] != '.';
		closedir(d);
		for (i = 0; i < n; i++)
			count -= 1 + !!ev[i].unit;
		EXPECT_EQ(0, count);
	}

	/* exact, separate counts: ccs1, GT1 next to GT0 */
	cfg[0] = __I915_PMU_ENGINE(I915_ENGINE_CLASS_COMPUTE, 1, I915_SAMPLE_BUSY);
	cfg[1] = ___I915_PMU_OTHER(gts - 1, 0);		/* actual-frequency */
	cfg[2] = ___I915_PMU_OTHER(gts - 1, 3);		/* rc6-residency */
	cfg[3] = I915_PMU_ACTUAL_FREQUENCY;		/* GT 0's */

	ASSERT_EQ(0, group_open(&g, PMU0, cfg, 4));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, gpu_ctl(GPU0_PCI, "add", cfg[i], 1000 * (i + 1) + i));
	ASSERT_EQ(0, group_read(&g, v, NULL));
	if (gts == 2) {
		for (i = 0; i < 4; i++)
			EXPECT_EQ(1000ULL * (i + 1) + i, v[i]);
	} else {
		/* one GT: cfg[1] is cfg[3]'s counter */
		EXPECT_EQ(1000ULL + 0, v[0]);
		EXPECT_EQ(2001ULL + 4003, v[1]);
		EXPECT_EQ(v[1], v[3]);
	}
	group_close(&g);
	ASSERT_EQ(0, settle_live(NULL, 0));

	/* what i915 refuses */
	type = perf_pmu_type(PMU0);
	cpu = pmu_cpu(PMU0);
#define ATTR(cfg) mkattr(&a, type, (cfg))
	EXPECT_EQ(-ENODEV, open_attr(ATTR(__I915_PMU_ENGINE(I915_ENGINE_CLASS_COMPUTE,
							    ccs, 0)), -1, cpu));
	EXPECT_EQ(-ENOENT, open_attr(ATTR(___I915_PMU_OTHER(gts, 0)), -1, cpu));
	EXPECT_EQ(-ENOENT, open_attr(ATTR(___I915_PMU_OTHER(1, 2)), -1, cpu));
	EXPECT_EQ(-ENOENT, open_attr(ATTR((1ULL << __I915_PMU_GT_SHIFT) |
					  cfg[0]), -1, cpu));
#undef ATTR
	EXPECT_EQ(-EINVAL, gpu_ctl(GPU0_PCI, "add", ___I915_PMU_OTHER(gts, 0), 1));

	/* fdinfo: the compute class, its capacity, its busy time */
	fd = open_node(GPU0_PCI, "renderD");
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, add_busy(fd, I915_ENGINE_CLASS_COMPUTE, 0, 12345));
	ASSERT_LT(0, fdinfo(fd, text, sizeof(text)));
	ASSERT_NE(NULL, fdinfo_val(text, "drm-engine-compute", val, sizeof(val)));
	EXPECT_STREQ("12345 ns", val);
	ASSERT_NE(NULL, fdinfo_val(text, "drm-engine-capacity-compute", val,
				   sizeof(val)));
	EXPECT_STREQ("2", val);
	close(fd);

	/* nsgpuperf: the same events and configs, and reads them */
	nsgp = nsgp_open(NULL);
	ASSERT_GE(nsgp, 0);
	gpu = nsgp_find_gpu(nsgp, GPU0_PCI, NULL);
	ASSERT_LE(0, gpu);
	for (i = 0; i < n; i++) {
		uint64_t c = ~0ULL;

		unit[0] = '\0';
		ASSERT_EQ(0, nsgp_event_config(nsgp, gpu, ev[i].name, &c, unit,
					       sizeof(unit)))
			TH_LOG("nsgpuperf does not list %s", ev[i].name);
		EXPECT_EQ(ev[i].config, c) TH_LOG("%s", ev[i].name);
		EXPECT_STREQ(ev[i].unit ? ev[i].unit : "", unit);
	}
	gfd = nsgp_open_group(nsgp, gpu, cfg, 3, 0, 0, NULL);
	ASSERT_LE(0, gfd);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, gpu_ctl(GPU0_PCI, "add", cfg[i], 70 + i));
	ASSERT_EQ((ssize_t)sizeof(uint64_t) * 5, read(gfd, r, sizeof(r)));
	ASSERT_EQ(3, r[0]);
	EXPECT_EQ(70, r[2]);
	EXPECT_EQ(71, r[3]);
	EXPECT_EQ(72, r[4]);
	close(gfd);
	close(nsgp);
	ASSERT_EQ(0, settle_live(NULL, 0));

	/* back to the default topology (the teardown does it too) */
	ASSERT_EQ(0, unload_mock());
	ASSERT_EQ(0, module_load(MOCK_KO, NULL));
}

TEST_HARNESS_MAIN
