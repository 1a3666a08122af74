// SPDX-License-Identifier: GPL-2.0
/*
 * The nsgpuperf reader (/tests/nsgpuperf, dynamic, as users run it) on the
 * mock GPUs, as host root and as root of a container: a process the test
 * puts in its cgroup (rct1), makes the root of a new cgroup namespace with
 * /sys/fs/cgroup mounted from inside it (as LXC does), moves to a leaf
 * (.lxc, as lxc-attach) and runs as root of a user namespace mapped
 * 0 -> 100000 with no host capability, on a node owned by 100000.
 *
 * - list -J: exactly both mock GPUs (not the non-Intel one), each with the
 *   module's PCI address, PMU name and driver, libdrm's render node, the
 *   pci.ids name, and as many events as its PMU has in sysfs;
 * - -c -n 3: the values driven through the mock (frequency, IRQ/s, RC6,
 *   busy/wait/sema per class and, with -p, per engine) within igt_top.h's
 *   tolerance, on the GPU -d names (PCI address or render node);
 * - the container's share: the busy time of its own clients (whichever of
 *   its cgroups they sit in), never a sibling container's; host root's
 *   scope counts every client; --cgroup narrows; "n/a" when usage is off
 *   by host policy or unavailable (6.1 GuC), never 0;
 * - denied: node missing (exit 3), node owner not mapped (4), no
 *   CAP_PERFMON (4), file mode (4: the node's owner unmapped, or a
 *   container user on its root's node), a GPU not in scope (6), each with
 *   the message that says which (EACCES, the file mode, apart from EPERM,
 *   nsgpuperf's rule).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "igt_top.h"
#include "mock_i915_uapi.h"
#include "nsgp_test.h"
#include "nsgp_usage.h"

#define READER		"/tests/nsgpuperf"
#define CT_NODE		"/tmp/reader-ct-node"
#define CT1		CG "/rct1"
#define CT2		CG "/rct2"
#define PERIOD		"1000"		/* ms */
#define ROWS		3		/* -n */
#define CGROUP_USAGE	"/sys/module/nsgpuperf/parameters/cgroup_usage"

/* Who runs the reader, and in what. */
struct who {
	const char *name;
	const char *map;	/* NULL: host root */
	int ns_uid;		/* in the user namespace; -1: its root */
	const char *enter;	/* cgroup to enter (host root, first) */
	bool cgroupns;		/* then make it a cgroup namespace's root */
	const char *leaf;	/* then move to this cgroup */
	const char *only_node;	/* a /dev/dri with just this ("": empty) */
	const char *device;	/* NSGPUPERF_DEVICE, NULL: the default */
};

static const struct who host = {
	.name = "host root", .ns_uid = -1,
};

static const struct who ct = {
	.name = "container root", .map = CT_MAP, .ns_uid = -1, .enter = CT1,
	.cgroupns = true, .leaf = CT1 "/.lxc", .device = CT_NODE,
};

static const struct who sibling = {
	.name = "sibling container root", .map = CT_MAP, .ns_uid = -1,
	.enter = CT2, .cgroupns = true, .leaf = CT2 "/.lxc", .device = CT_NODE,
};


static const char * const ct_cgroups[] = {
	CT1, CT1 "/init.scope", CT1 "/.lxc", CT2, CT2 "/init.scope", CT2 "/.lxc",
};

static double now_ns(void);

/* ---- running the reader ------------------------------------------------ */

struct exec_arg {
	const char *const *argv;
	const char *device;
	int out, err;
};

/* The last step, in the final identity: stdout/stderr to the files, exec. */
static int exec_reader(void *p)
{
	struct exec_arg *a = p;

	if (a->device)
		setenv("NSGPUPERF_DEVICE", a->device, 1);
	else
		unsetenv("NSGPUPERF_DEVICE");
	if (dup2(a->out, 1) < 0 || dup2(a->err, 2) < 0)
		return 126;
	execv(a->argv[0], (char **)a->argv);
	dprintf(2, "exec %s: %s\n", a->argv[0], strerror(errno));
	return 127;
}

/* A mount namespace whose /dev/dri holds only node ("": nothing). */
static int only_node(const char *node)
{
	const char *dir = "/tmp/reader-dri";
	char target[64];
	int fd;

	mkdir(dir, 0755);
	if (mount("tmpfs", dir, "tmpfs", 0, "mode=0755"))
		return -1;
	if (*node) {
		snprintf(target, sizeof(target), "%s/%s", dir, strrchr(node, '/') + 1);
		fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
		if (fd < 0)
			return -1;
		close(fd);
		if (mount(node, target, NULL, MS_BIND, NULL))
			return -1;
	}
	return mount(dir, "/dev/dri", NULL, MS_BIND | MS_REC, NULL);
}

/* The container's steps as host root, then its user namespace and exec. */
static int reader_child(const struct who *w, struct exec_arg *a)
{
	struct as_user as = { -1, -1, w->map, w->ns_uid, false, NULL };
	const char *step;
	char leaf[128];

	step = "mount namespace";
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		goto fail;
	step = "cgroup";
	if (w->enter && cg_enter(w->enter))
		goto fail;
	if (w->cgroupns) {
		step = "cgroup namespace";
		if (unshare(CLONE_NEWCGROUP))
			goto fail;
		/* the container's /sys/fs/cgroup shows its own root */
		step = "cgroup2 mount";
		if (umount2(CG, MNT_DETACH) || mount("cgroup2", CG, "cgroup2", 0, NULL))
			goto fail;
	}
	if (w->leaf) {
		/* inside its cgroup namespace, the container sees itself as / */
		snprintf(leaf, sizeof(leaf), "%s%s", CG,
			 w->cgroupns ? w->leaf + strlen(w->enter) : w->leaf + strlen(CG));
		step = leaf;
		if (cg_enter(leaf))
			goto fail;
	}
	step = "/dev/dri";
	if (w->only_node && only_node(w->only_node))
		goto fail;
	if (!w->map)
		return exec_reader(a);
	return run_as(&as, exec_reader, a);
fail:
	dprintf(a->err, "reader_test: %s: %s\n", step, strerror(errno));
	return 120;
}

static char *slurp(int fd, size_t *len)
{
	struct stat st;
	char *buf;

	if (fstat(fd, &st))
		return NULL;
	buf = malloc(st.st_size + 1);
	if (!buf)
		return NULL;
	*len = pread(fd, buf, st.st_size, 0);
	if ((ssize_t)*len < 0)
		*len = 0;
	buf[*len] = '\0';
	return buf;
}

/*
 * Run the reader with args (NULL-ended) as w, to its end (60 s at most):
 * r->out, r->err, r->status as tool_run() gives them, -J periods parsed.
 */
static int reader_run_sig(struct tool_run *r, const struct who *w,
			  const char *const *args, int sig, double after_s);

static int reader_run(struct tool_run *r, const struct who *w, const char *const *args)
{
	return reader_run_sig(r, w, args, 0, 0);
}

/* How many times needle occurs in what fd (a memfd) holds so far. */
static int occurrences(int fd, const char *needle)
{
	static char buf[1 << 16];
	ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);
	const char *p = buf;
	int n = 0;

	if (len <= 0)
		return 0;
	buf[len] = '\0';
	while ((p = strstr(p, needle))) {
		n++;
		p++;
	}
	return n;
}

/*
 * The same, sending sig (host root: to the reader itself) after after_s,
 * and once a -J output holds a 4th period (3 complete ones): on a slow
 * kernel or a loaded host the reader can take seconds to start.
 */
static int reader_run_sig(struct tool_run *r, const struct who *w,
			  const char *const *args, int sig, double after_s)
{
	const char *argv[32] = { READER };
	struct exec_arg a = { .argv = argv, .device = w->device };
	int i = 1, st = 0;
	time_t deadline = time(NULL) + 60;
	double start = now_ns();
	pid_t pid;

	memset(r, 0, sizeof(*r));
	while (*args && i < 31)
		argv[i++] = *args++;
	a.out = memfd_create("out", 0);
	a.err = memfd_create("err", 0);
	if (a.out < 0 || a.err < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(reader_child(w, &a));
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (sig && now_ns() - start > after_s * 1e9 &&
		    (occurrences(a.out, "\"period\":") >= 4 || time(NULL) > deadline - 20)) {
			kill(pid, sig);
			r->stopped = true;
			sig = 0;
		}
		if (time(NULL) > deadline && !r->timed_out) {
			kill(pid, SIGKILL);
			r->timed_out = true;
		}
		usleep(20000);
	}
	r->status = st;
	r->out = slurp(a.out, &r->len);
	r->err = slurp(a.err, &r->err_len);
	close(a.out);
	close(a.err);
	if (!r->out || !r->err)
		return -ENOMEM;
	top_parse_json(r);
	return 0;
}

static void log_run(struct __test_metadata *_metadata, const char *what,
		    const struct who *w, const struct tool_run *r)
{
	TH_LOG("%s as %s: status 0x%x%s; stdout:\n%.1500s\nstderr:\n%.600s", what,
	       w->name, r->status, r->timed_out ? " (timed out)" : "", r->out, r->err);
}

/* ---- list -J: a small JSON reader (objects and arrays, flattened) ----- */

#define JMAX	512
struct jdoc {
	char path[JMAX][96];
	char val[JMAX][128];
	int n;
};

struct jcur {
	const char *p;
	struct jdoc *d;
};

static void jskip(struct jcur *c)
{
	while (isspace((unsigned char)*c->p))
		c->p++;
}

static int jstring(struct jcur *c, char *out, size_t len)
{
	size_t o = 0;

	if (*c->p != '"')
		return -1;
	for (c->p++; *c->p && *c->p != '"'; c->p++) {
		char ch = *c->p;

		if (ch == '\\') {
			c->p++;
			if (*c->p == 'u') {
				ch = (char)strtol((char[]){ c->p[1], c->p[2], c->p[3], c->p[4], 0 },
						  NULL, 16);
				c->p += 4;
			} else {
				ch = *c->p;
			}
		}
		if (o + 1 < len)
			out[o++] = ch;
	}
	if (*c->p != '"')
		return -1;
	c->p++;
	out[o] = '\0';
	return 0;
}

static int jparse(struct jcur *c, const char *path);

static int jadd(struct jcur *c, const char *path, const char *val)
{
	if (c->d->n == JMAX)
		return -1;
	snprintf(c->d->path[c->d->n], sizeof(c->d->path[0]), "%s", path);
	snprintf(c->d->val[c->d->n], sizeof(c->d->val[0]), "%s", val);
	c->d->n++;
	return 0;
}

static int jparse(struct jcur *c, const char *path)
{
	char key[96], sub[96 + 100], val[128];
	int i = 0;
	size_t n;

	jskip(c);
	if (*c->p == '{' || *c->p == '[') {
		char close = *c->p == '{' ? '}' : ']';
		bool obj = *c->p == '{';

		if (jadd(c, path, obj ? "{" : "["))
			return -1;
		c->p++;
		for (;;) {
			jskip(c);
			if (*c->p == close) {
				c->p++;
				return 0;
			}
			if (obj) {
				if (jstring(c, key, sizeof(key)))
					return -1;
				jskip(c);
				if (*c->p++ != ':')
					return -1;
			} else {
				snprintf(key, sizeof(key), "%d", i++);
			}
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "|" : "", key);
			if (jparse(c, sub))
				return -1;
			jskip(c);
			if (*c->p == ',')
				c->p++;
			else if (*c->p != close)
				return -1;
		}
	}
	if (*c->p == '"') {
		if (jstring(c, val, sizeof(val)))
			return -1;
		return jadd(c, path, val);
	}
	n = strcspn(c->p, ",}] \t\n");
	if (!n || n >= sizeof(val))
		return -1;
	snprintf(val, sizeof(val), "%.*s", (int)n, c->p);
	c->p += n;
	/* bare words: numbers, true, false, null; quoted ones start with " */
	return jadd(c, path, val);
}

/* Parse a whole document; 0, or -1 if it is not JSON (or trails junk). */
static int jdoc_parse(const char *text, struct jdoc *d)
{
	struct jcur c = { text, d };

	d->n = 0;
	if (jparse(&c, ""))
		return -1;
	jskip(&c);
	return *c.p ? -1 : 0;
}

static const char *jget(const struct jdoc *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *jget(const struct jdoc *d, const char *fmt, ...)
{
	char path[160];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	for (i = 0; i < d->n; i++)
		if (!strcmp(d->path[i], path))
			return d->val[i];
	return NULL;
}

/* Elements of the array at path. */
static int jlen(const struct jdoc *d, const char *path)
{
	int n = 0;

	while (*path ? jget(d, "%s|%d", path, n) : jget(d, "%d", n))
		n++;
	return n;
}

/* ---- CSV ------------------------------------------------------------------ */

#define CSV_COLS	64
#define CSV_ROWS	8
struct csv {
	char col[CSV_COLS][48];
	int ncols;
	char v[CSV_ROWS][CSV_COLS][48];
	int nrows;
};

/* Split a line at commas (quoted fields as CSV quotes them). */
static int csv_split(const char *line, char out[][48], int max)
{
	int n = 0;
	size_t o;

	while (n < max) {
		o = 0;
		if (*line == '"') {
			for (line++; *line && !(*line == '"' && line[1] != '"'); line++) {
				if (*line == '"')
					line++;
				if (o + 1 < 48)
					out[n][o++] = *line;
			}
			if (*line == '"')
				line++;
		} else {
			for (; *line && *line != ',' && *line != '\n'; line++)
				if (o + 1 < 48)
					out[n][o++] = *line;
		}
		out[n++][o] = '\0';
		if (*line != ',')
			return n;
		line++;
	}
	return -1;
}

static int csv_parse(const char *out, struct csv *t)
{
	const char *p = out;
	int n;

	memset(t, 0, sizeof(*t));
	t->ncols = csv_split(p, t->col, CSV_COLS);
	if (t->ncols <= 0 || !(p = strchr(p, '\n')))
		return -1;
	for (p++; *p && t->nrows < CSV_ROWS; p = strchr(p, '\n') + 1) {
		if (!strchr(p, '\n'))
			return -1;	/* no partial rows: each is flushed whole */
		n = csv_split(p, t->v[t->nrows], CSV_COLS);
		if (n != t->ncols)
			return -1;
		t->nrows++;
	}
	return 0;
}

static int csv_col(const struct csv *t, const char *name)
{
	int i;

	for (i = 0; i < t->ncols; i++)
		if (!strcmp(t->col[i], name))
			return i;
	return -1;
}

/* A column over the rows as numbers (NAN where not one). */
static int csv_values(const struct csv *t, const char *name, double *v)
{
	int c = csv_col(t, name), i;
	char *end;

	for (i = 0; i < t->nrows; i++) {
		v[i] = NAN;
		if (c >= 0) {
			v[i] = strtod(t->v[i][c], &end);
			if (end == t->v[i][c] || *end)
				v[i] = NAN;
		}
	}
	return c;
}

/* Every row after the first shows want there (igt_top.h's tolerance). */
static bool csv_shows(const struct csv *t, const char *name, double want)
{
	double v[CSV_ROWS];

	if (csv_values(t, name, v) < 0) {
		fprintf(stderr, "# unexpected: no CSV column %s\n", name);
		return false;
	}
	return top_within(name, v, t->nrows, want);
}

/* Every row has exactly this text in the column. */
static bool csv_all(const struct csv *t, const char *name, const char *want)
{
	int c = csv_col(t, name), i;

	if (c < 0 || !t->nrows) {
		fprintf(stderr, "# unexpected: no CSV column %s or no rows\n", name);
		return false;
	}
	for (i = 0; i < t->nrows; i++)
		if (strcmp(t->v[i][c], want)) {
			fprintf(stderr, "# unexpected: %s row %d: \"%s\", want \"%s\"\n",
				name, i, t->v[i][c], want);
			return false;
		}
	return true;
}

/* ---- clients that keep an engine class busy at a rate ------------------ */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * A DRM client in cgroup cg that adds busy time to render and video as an
 * engine busy render_pct / video_pct of the time would (each a % of one
 * engine), every 2 ms, until stopped (stop_client()).
 */
struct rate_client {
	const char *cg, *node;
	double render_pct, video_pct;
	int drm;
};

static int rate_client_setup(void *arg)
{
	struct rate_client *rc = arg;

	if (cg_enter(rc->cg))
		return 1;
	rc->drm = open(rc->node, O_RDWR | O_CLOEXEC);
	return rc->drm < 0 ? 2 : 0;
}

static int rate_client_run(int go, void *arg)
{
	const struct rate_client *rc = arg;
	struct pollfd p = { .fd = go, .events = POLLIN };
	double t0 = now_ns(), added_r = 0, added_v = 0, el;

	while (poll(&p, 1, 2) == 0) {
		el = now_ns() - t0;
		if (add_busy(rc->drm, I915_ENGINE_CLASS_RENDER,
			     (uint64_t)(el * rc->render_pct / 100 - added_r)) ||
		    add_busy(rc->drm, I915_ENGINE_CLASS_VIDEO,
			     (uint64_t)(el * rc->video_pct / 100 - added_v)))
			return 3;
		added_r += (uint64_t)(el * rc->render_pct / 100 - added_r);
		added_v += (uint64_t)(el * rc->video_pct / 100 - added_v);
	}
	return 0;
}

static struct client rate_client(const char *cg, const char *node,
				 double render_pct, double video_pct)
{
	struct rate_client rc = { cg, node, render_pct, video_pct, -1 };

	return client_spawn(rate_client_setup, rate_client_run, &rc);
}

static int reload_mock(const char *params);

/* ---- the fixture ------------------------------------------------------------ */

FIXTURE(reader) {
	struct nsgpuperf_gpu_info gpu[2];
	char node[2][32];
	char usage_policy[8];
};

FIXTURE_SETUP(reader)
{
	unsigned int i;
	int fd;

	ASSERT_EQ(0, access(READER, X_OK)) TH_LOG("%s missing in the VM", READER);
	ASSERT_EQ(0, access(USERNS_EXEC, X_OK));
	ASSERT_EQ(0, drive_gpus());
	fd = nsgp_open(NULL);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, nsgp_find_gpu(fd, GPU0_PCI, &self->gpu[0]));
	ASSERT_LE(0, nsgp_find_gpu(fd, GPU1_PCI, &self->gpu[1]));
	close(fd);
	for (i = 0; i < 2; i++)
		snprintf(self->node[i], sizeof(self->node[i]), "/dev/dri/renderD%d",
			 self->gpu[i].render_minor);
	for (i = 0; i < ARRAY_SIZE(ct_cgroups); i++)
		mkdir(ct_cgroups[i], 0755);
	unlink(CT_NODE);
	ASSERT_EQ(0, nsgp_mknod(CT_NODE, CT_UID, CT_UID, 0600));
	fd = open(CGROUP_USAGE, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, self->usage_policy, sizeof(self->usage_policy) - 1));
	close(fd);
	self->usage_policy[strcspn(self->usage_policy, "\n")] = '\0';
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

FIXTURE_TEARDOWN(reader)
{
	char path[128];
	int i;

	/* the mock as every suite expects it: default topology */
	if (read_ll("/sys/module/mock_i915/parameters/ccs") != 0 ||
	    read_ll("/sys/module/mock_i915/parameters/gts") != 1)
		reload_mock(NULL);
	if (!module_loaded("nsgpuperf"))
		module_load(NSGP_KO, NULL);

	write_str(CGROUP_USAGE, self->usage_policy);
	snprintf(path, sizeof(path), MOCK_I915_DEBUGFS_FMT "/guc", GPU1_PCI);
	write_str(path, "0");
	mock_still(GPU0_PCI);
	mock_still(GPU1_PCI);
	unlink(CT_NODE);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	for (i = ARRAY_SIZE(ct_cgroups) - 1; i >= 0; i--)
		rmdir(ct_cgroups[i]);
}

/* ---- list -J -------------------------------------------------------------- */

/* Events of a PMU in sysfs: its events/ entries but the .unit ones. */
static int sysfs_events(const char *pmu)
{
	char path[160];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/events", pmu);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && !strstr(de->d_name, "."))
			n++;
	closedir(d);
	return n;
}

static void check_list(struct __test_metadata *_metadata,
		       FIXTURE_DATA(reader) *self, const struct who *w)
{
	static const char * const args[] = { "list", "-J", NULL };
	struct jdoc *d = calloc(1, sizeof(*d));
	struct tool_run r;
	int i, g, found[2] = { -1, -1 };
	char num[16];

	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, reader_run(&r, w, args));
	EXPECT_TRUE(tool_exited(&r, 0)) log_run(_metadata, "list -J", w, &r);
	ASSERT_EQ(0, jdoc_parse(r.out, d)) log_run(_metadata, "list -J (not JSON)", w, &r);
	EXPECT_STREQ(w->device ?: NSGP_DEV, jget(d, "device"));
	/* both mock GPUs, not the edu the mock also binds */
	ASSERT_EQ(2, jlen(d, "gpus")) log_run(_metadata, "list -J", w, &r);
	for (i = 0; i < 2; i++)
		for (g = 0; g < 2; g++)
			if (!strcmp(jget(d, "gpus|%d|pci_address", i) ?: "", self->gpu[g].pci_addr))
				found[g] = i;
	ASSERT_LE(0, found[0]);
	ASSERT_LE(0, found[1]);
	for (g = 0; g < 2; g++) {
		const struct nsgpuperf_gpu_info *gi = &self->gpu[g];
		int events = sysfs_events(gi->pmu_name);

		i = found[g];
		ASSERT_LT(0, events);
		EXPECT_STREQ(gi->pmu_name, jget(d, "gpus|%d|pmu", i));
		EXPECT_STREQ(gi->driver, jget(d, "gpus|%d|driver", i));
		EXPECT_STREQ(self->node[g], jget(d, "gpus|%d|render_node", i));
		EXPECT_STREQ("true", jget(d, "gpus|%d|bound", i));
		snprintf(num, sizeof(num), "%d", events);
		EXPECT_STREQ(num, jget(d, "gpus|%d|event_count", i));
		snprintf(num, sizeof(num), "gpus|%d|events", i);
		EXPECT_EQ(events, jlen(d, num));
		snprintf(num, sizeof(num), "%u", gi->pmu_type);
		EXPECT_STREQ(num, jget(d, "gpus|%d|pmu_type", i));
		/* libdrm's ids, pci.ids' name for 8086:100e */
		EXPECT_STREQ("8086", jget(d, "gpus|%d|vendor_id", i));
		EXPECT_STREQ("100e", jget(d, "gpus|%d|device_id", i));
		EXPECT_STREQ("Intel Corporation 82540EM Gigabit Ethernet Controller",
			     jget(d, "gpus|%d|name", i));
		/* the PMU's own names, e.g. rcs0-busy */
		EXPECT_NE(NULL, strstr(r.out, "\"name\": \"rcs0-busy\""));
	}
	TH_LOG("list -J as %s: %d GPUs, %s %s %s", w->name, jlen(d, "gpus"),
	       jget(d, "gpus|0|pci_address"), jget(d, "gpus|0|pmu"),
	       jget(d, "gpus|0|render_node"));
	tool_free(&r);
	free(d);
}

TEST_F(reader, list_json_host_root)
{
	check_list(_metadata, self, &host);
}

TEST_F(reader, list_json_container_root)
{
	check_list(_metadata, self, &ct);
}

/* The table: a header and one row per GPU, with the same facts. */
TEST_F(reader, list_table)
{
	static const char * const args[] = { "list", NULL };
	struct tool_run r;
	int g;

	ASSERT_EQ(0, reader_run(&r, &ct, args));
	EXPECT_TRUE(tool_exited(&r, 0)) log_run(_metadata, "list", &ct, &r);
	EXPECT_EQ(0, strncmp(r.out, "GPU ", 4));
	for (g = 0; g < 2; g++) {
		const char *at = strstr(r.out, self->gpu[g].pci_addr);
		char line[256];

		ASSERT_NE(NULL, at) log_run(_metadata, "list", &ct, &r);
		while (at > r.out && at[-1] != '\n')
			at--;
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(at, "\n"), at);
		EXPECT_NE(NULL, strstr(line, self->gpu[g].pmu_name));
		EXPECT_NE(NULL, strstr(line, self->node[g]));
		EXPECT_NE(NULL, strstr(line, " yes "));
	}
	tool_free(&r);
}

/* ---- -c: the driven values ------------------------------------------------ */

/* The class view of a drive (igt_top.h's: each class the mean of its engines). */
static int check_csv_device(const struct csv *t, const struct mock_drive *d, bool physical)
{
	int fails = 0;

	fails += !csv_shows(t, "freq_req_mhz", d->req_mhz);
	fails += !csv_shows(t, "freq_act_mhz", d->act_mhz);
	fails += !csv_shows(t, "irq_per_s", d->irq_per_s);
	fails += !csv_shows(t, "rc6_pct", d->rc6_pct);
	if (physical) {
		fails += !csv_shows(t, "rcs0_busy_pct", d->rcs0_busy);
		fails += !csv_shows(t, "rcs0_wait_pct", 0);
		fails += !csv_shows(t, "bcs0_wait_pct", d->bcs0_wait);
		fails += !csv_shows(t, "bcs0_busy_pct", 0);
		fails += !csv_shows(t, "vcs0_busy_pct", 0);
		fails += !csv_shows(t, "vcs1_busy_pct", d->vcs1_busy);
		fails += !csv_shows(t, "vecs0_sema_pct", d->vecs0_sema);
		fails += !csv_shows(t, "vecs0_busy_pct", 0);
		fails += csv_col(t, "render_busy_pct") >= 0;
	} else {
		fails += !csv_shows(t, "render_busy_pct", d->rcs0_busy);
		fails += !csv_shows(t, "render_sema_pct", 0);
		fails += !csv_shows(t, "copy_wait_pct", d->bcs0_wait);
		fails += !csv_shows(t, "video_busy_pct", d->vcs1_busy / 2);
		fails += !csv_shows(t, "video_wait_pct", 0);
		fails += !csv_shows(t, "video-enhance_sema_pct", d->vecs0_sema);
		fails += !csv_shows(t, "video-enhance_busy_pct", 0);
		/* the mock has no compute engine by default */
		fails += csv_col(t, "compute_busy_pct") >= 0;
		fails += csv_col(t, "rcs0_busy_pct") >= 0;
	}
	return fails;
}

static void csv_device(struct __test_metadata *_metadata, const struct who *w,
		       const char *dev, const struct mock_drive *d, bool physical)
{
	const char *args[] = { "-c", "-n", "3", "-s", PERIOD, "-d", dev,
			       physical ? "-p" : NULL, NULL };
	struct tool_run r;
	struct csv t;

	ASSERT_EQ(0, reader_run(&r, w, args));
	EXPECT_TRUE(tool_exited(&r, 0)) log_run(_metadata, "-c", w, &r);
	ASSERT_EQ(0, csv_parse(r.out, &t)) log_run(_metadata, "-c (not CSV)", w, &r);
	EXPECT_EQ(ROWS, t.nrows);
	EXPECT_EQ(0, check_csv_device(&t, d, physical)) log_run(_metadata, "-c", w, &r);
	TH_LOG("-c -d %s%s as %s:\n%s", dev, physical ? " -p" : "", w->name, r.out);
	tool_free(&r);
}

TEST_F(reader, csv_driven_host_root)
{
	csv_device(_metadata, &host, GPU1_PCI, &mock_want, false);
	csv_device(_metadata, &host, self->node[0], &mock_decoy, false);
}

TEST_F(reader, csv_driven_container_root)
{
	csv_device(_metadata, &ct, "00:05.0", &mock_want, false);
	csv_device(_metadata, &ct, "pci:slot=" GPU1_PCI, &mock_want, true);
	csv_device(_metadata, &ct, strrchr(self->node[0], '/') + 1, &mock_decoy, false);
}

/* ---- the container's share ------------------------------------------------ */

static void run_csv(struct __test_metadata *_metadata, const struct who *w,
		    const char *const *extra, struct csv *t)
{
	const char *args[16] = { "-c", "-n", "3", "-s", PERIOD, "-d", GPU1_PCI };
	struct tool_run r;
	int i = 7;

	while (extra && *extra)
		args[i++] = *extra++;
	args[i] = NULL;
	ASSERT_EQ(0, reader_run(&r, w, args));
	EXPECT_TRUE(tool_exited(&r, 0)) log_run(_metadata, "-c", w, &r);
	ASSERT_EQ(0, csv_parse(r.out, t)) log_run(_metadata, "-c (not CSV)", w, &r);
	ASSERT_EQ(ROWS, t->nrows) log_run(_metadata, "-c", w, &r);
	TH_LOG("-c as %s, usage columns: %s", w->name,
	       strstr(r.out, "usage_scope") ?: r.out);
	tool_free(&r);
}

/* Fixed busy time: the scope's sums, exactly, and no % (nothing added). */
TEST_F(reader, share_totals)
{
	static const char * const lxc[] = { "--cgroup", ".lxc", NULL };
	static const char * const init[] = { "--cgroup", "/init.scope", NULL };
	struct client own1, own2, other;
	struct csv t;

	own1 = start_client(CT1 "/init.scope", self->node[1], 1000, 500);
	own2 = start_client(CT1 "/.lxc", self->node[1], 2000, 0);
	other = start_client(CT2 "/init.scope", self->node[1], 40000, 7000);
	ASSERT_LT(0, own1.pid);
	ASSERT_LT(0, own2.pid);
	ASSERT_LT(0, other.pid);

	run_csv(_metadata, &ct, NULL, &t);
	EXPECT_TRUE(csv_all(&t, "usage_scope", "container"));
	EXPECT_TRUE(csv_all(&t, "usage_clients", "2"));
	EXPECT_TRUE(csv_all(&t, "usage_render_ns", "3000"));
	EXPECT_TRUE(csv_all(&t, "usage_video_ns", "500"));
	EXPECT_TRUE(csv_all(&t, "usage_copy_ns", "0"));
	EXPECT_TRUE(csv_all(&t, "usage_render_pct", "0.00"));

	run_csv(_metadata, &sibling, NULL, &t);
	EXPECT_TRUE(csv_all(&t, "usage_clients", "1"));
	EXPECT_TRUE(csv_all(&t, "usage_render_ns", "40000"));
	EXPECT_TRUE(csv_all(&t, "usage_video_ns", "7000"));

	/* narrowed inside the container, by its own path */
	run_csv(_metadata, &ct, lxc, &t);
	EXPECT_TRUE(csv_all(&t, "usage_scope", ".lxc"));
	EXPECT_TRUE(csv_all(&t, "usage_clients", "1"));
	EXPECT_TRUE(csv_all(&t, "usage_render_ns", "2000"));
	run_csv(_metadata, &ct, init, &t);
	EXPECT_TRUE(csv_all(&t, "usage_render_ns", "1000"));
	EXPECT_TRUE(csv_all(&t, "usage_video_ns", "500"));

	/* the host's root scope counts every client */
	run_csv(_metadata, &host, NULL, &t);
	EXPECT_TRUE(csv_all(&t, "usage_clients", "3"));
	EXPECT_TRUE(csv_all(&t, "usage_render_ns", "43000"));
	EXPECT_TRUE(csv_all(&t, "usage_video_ns", "7500"));

	stop_client(&own1);
	stop_client(&own2);
	stop_client(&other);
}

/*
 * Busy at a rate: the container's % per class is its own clients' (video:
 * the mean over the GPU's two video engines), never the sibling's.
 */
TEST_F(reader, share_rates)
{
	struct client own1, own2, other;
	struct csv t;

	own1 = rate_client(CT1 "/init.scope", self->node[1], 20, 30);
	own2 = rate_client(CT1 "/.lxc", self->node[1], 10, 20);
	other = rate_client(CT2 "/init.scope", self->node[1], 40, 80);
	ASSERT_LT(0, own1.pid);
	ASSERT_LT(0, own2.pid);
	ASSERT_LT(0, other.pid);

	run_csv(_metadata, &ct, NULL, &t);
	EXPECT_TRUE(csv_shows(&t, "usage_render_pct", 30));
	EXPECT_TRUE(csv_shows(&t, "usage_video_pct", 25));
	EXPECT_TRUE(csv_shows(&t, "usage_copy_pct", 0));
	EXPECT_TRUE(csv_all(&t, "usage_clients", "2"));
	/* the device-wide counters are the mock's, not the clients' */
	EXPECT_TRUE(csv_shows(&t, "render_busy_pct", mock_want.rcs0_busy));

	run_csv(_metadata, &sibling, NULL, &t);
	EXPECT_TRUE(csv_shows(&t, "usage_render_pct", 40));
	EXPECT_TRUE(csv_shows(&t, "usage_video_pct", 40));

	run_csv(_metadata, &host, NULL, &t);
	EXPECT_TRUE(csv_shows(&t, "usage_render_pct", 70));
	EXPECT_TRUE(csv_shows(&t, "usage_video_pct", 65));

	EXPECT_EQ(0, stop_client(&own1));
	EXPECT_EQ(0, stop_client(&own2));
	EXPECT_EQ(0, stop_client(&other));
}

static bool kernel_before(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	uname(&u);
	sscanf(u.release, "%d.%d", &ma, &mi);
	return ma < major || (ma == major && mi < minor);
}

/* Usage off by host policy, or unavailable (6.1 GuC): "n/a", never 0. */
TEST_F(reader, share_unavailable_is_na)
{
	char path[128];
	struct client own;
	struct csv t;

	own = start_client(CT1 "/init.scope", self->node[1], 1000, 0);
	ASSERT_LT(0, own.pid);

	ASSERT_EQ(0, write_str(CGROUP_USAGE, "N"));
	run_csv(_metadata, &ct, NULL, &t);
	EXPECT_TRUE(csv_all(&t, "usage_render_pct", "n/a"));
	EXPECT_TRUE(csv_all(&t, "usage_render_ns", "n/a"));
	EXPECT_TRUE(csv_all(&t, "usage_clients", "n/a"));
	/* the device-wide counters still are */
	EXPECT_TRUE(csv_shows(&t, "rc6_pct", mock_want.rc6_pct));
	ASSERT_EQ(0, write_str(CGROUP_USAGE, self->usage_policy));

	/* GuC submission: before 6.5 i915 prints no engine lines */
	snprintf(path, sizeof(path), MOCK_I915_DEBUGFS_FMT "/guc", GPU1_PCI);
	ASSERT_EQ(0, write_str(path, "1"));
	run_csv(_metadata, &ct, NULL, &t);
	write_str(path, "0");
	if (kernel_before(6, 5)) {
		EXPECT_TRUE(csv_all(&t, "usage_render_pct", "n/a"));
		EXPECT_TRUE(csv_all(&t, "usage_video_pct", "n/a"));
		EXPECT_TRUE(csv_all(&t, "usage_render_ns", "n/a"));
	} else {
		EXPECT_TRUE(csv_all(&t, "usage_render_ns", "1000"));
		EXPECT_TRUE(csv_all(&t, "usage_render_pct", "0.00"));
	}
	stop_client(&own);
}

/* ---- -J: intel_gpu_top 2.x's layout plus "cgroup" ---------------------- */

/*
 * -J -n 3 as w on GPU1: valid JSON as a whole ("[" ... "]"), three
 * periods with the driven values, names as intel_gpu_top 2.x's (classes,
 * or physical with -p).
 */
static void json_run(struct __test_metadata *_metadata, const struct who *w,
		     bool physical, struct tool_run *r, struct jdoc **doc)
{
	const char *args[] = { "-J", "-n", "3", "-s", PERIOD, "-d", GPU1_PCI,
			       physical ? "-p" : NULL, NULL };
	struct jdoc *d = calloc(1, sizeof(*d));

	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, reader_run(r, w, args));
	EXPECT_TRUE(tool_exited(r, 0)) log_run(_metadata, "-J", w, r);
	/* a whole document: "[" first, "]" after the last period */
	EXPECT_EQ(0, jdoc_parse(r->out, d)) log_run(_metadata, "-J (not JSON)", w, r);
	EXPECT_EQ(3, jlen(d, "")) log_run(_metadata, "-J", w, r);
	if (doc)
		*doc = d;
	else
		free(d);
}

TEST_F(reader, json_driven)
{
	const struct who *whom[] = { &host, &ct };
	struct tool_run r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(whom); i++) {
		json_run(_metadata, whom[i], false, &r, NULL);
		ASSERT_EQ(3, r.nr);
		EXPECT_EQ(0, top_check_json(&r, &mock_want, TOP_CLASSES))
			log_run(_metadata, "-J", whom[i], &r);
		EXPECT_STREQ(whom[i] == &host ? "host" : "container",
			     top_get(&r.s[2], "cgroup|scope"));
		EXPECT_STREQ("true", top_get(&r.s[2], "cgroup|available"));
		tool_free(&r);

		json_run(_metadata, whom[i], true, &r, NULL);
		ASSERT_EQ(3, r.nr);
		EXPECT_EQ(0, top_check_json(&r, &mock_want, TOP_PHYSICAL))
			log_run(_metadata, "-J -p", whom[i], &r);
		if (i)
			TH_LOG("-J -p as %s, its end:\n%s", whom[i]->name,
			       r.out + (r.len > 1400 ? r.len - 1400 : 0));
		tool_free(&r);
	}
}

/*
 * Stopped mid-stream, as intel_gpu_top 2.x: SIGINT ends the array ("]",
 * a whole document), SIGTERM prints nothing more; both exit 0.  The
 * signal comes once 3 periods are out (after 1.5 s left 2 on a loaded
 * host, none on the debug kernel).
 */
TEST_F(reader, json_stopped_by_signal)
{
	static const char * const args[] = { "-J", "-s", "300", "-d", GPU1_PCI, NULL };
	struct jdoc *d = calloc(1, sizeof(*d));
	struct tool_run r;

	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, reader_run_sig(&r, &host, args, SIGINT, 1.5));
	EXPECT_TRUE(tool_exited(&r, 0)) log_run(_metadata, "-J, SIGINT", &host, &r);
	EXPECT_LE(3, r.nr);
	ASSERT_LE(2, r.len);
	EXPECT_STREQ("}]\n", r.out + r.len - 3);
	EXPECT_EQ(0, jdoc_parse(r.out, d));
	EXPECT_EQ(r.nr, jlen(d, ""));
	tool_free(&r);

	ASSERT_EQ(0, reader_run_sig(&r, &host, args, SIGTERM, 1.5));
	EXPECT_TRUE(tool_exited(&r, 0)) log_run(_metadata, "-J, SIGTERM", &host, &r);
	EXPECT_LE(3, r.nr);
	ASSERT_LE(2, r.len);
	EXPECT_STREQ("\n}", r.out + r.len - 2);
	tool_free(&r);
	free(d);
}

/* The container's share in -J: its own clients' busy, "n/a" when off. */
TEST_F(reader, json_share)
{
	struct client own, other;
	struct jdoc *d = NULL;
	struct tool_run r;
	double rc6[3];
	int i;

	own = rate_client(CT1 "/init.scope", self->node[1], 30, 50);
	other = rate_client(CT2 "/init.scope", self->node[1], 40, 80);
	ASSERT_LT(0, own.pid);
	ASSERT_LT(0, other.pid);

	json_run(_metadata, &ct, false, &r, NULL);
	ASSERT_EQ(3, r.nr);
	EXPECT_TRUE(top_shows(&r, "cgroup|engine-classes|Render/3D|busy", 30));
	EXPECT_TRUE(top_shows(&r, "cgroup|engine-classes|Video|busy", 25));
	EXPECT_TRUE(top_shows(&r, "cgroup|engine-classes|Blitter|busy", 0));
	EXPECT_STREQ("1", top_get(&r.s[2], "cgroup|nr_clients"));
	tool_free(&r);

	json_run(_metadata, &sibling, false, &r, NULL);
	ASSERT_EQ(3, r.nr);
	EXPECT_TRUE(top_shows(&r, "cgroup|engine-classes|Render/3D|busy", 40));
	EXPECT_TRUE(top_shows(&r, "cgroup|engine-classes|Video|busy", 40));
	tool_free(&r);

	ASSERT_EQ(0, write_str(CGROUP_USAGE, "N"));
	/* the reason is longer than igt_top's parser takes: ours reads it */
	json_run(_metadata, &ct, false, &r, &d);
	ASSERT_NE(NULL, d);
	for (i = 0; i < 3; i++) {
		EXPECT_STREQ("false", jget(d, "%d|cgroup|available", i));
		EXPECT_STREQ("n/a", jget(d, "%d|cgroup|engine-classes|Render/3D|busy", i));
		EXPECT_STREQ("n/a", jget(d, "%d|cgroup|engine-classes|Video|busy", i));
		EXPECT_NE(NULL, strstr(jget(d, "%d|cgroup|reason", i) ?: "", "cgroup_usage"));
		/* the device-wide counters still are */
		rc6[i] = strtod(jget(d, "%d|rc6|value", i) ?: "nan", NULL);
	}
	EXPECT_TRUE(top_within("rc6|value", rc6, 3, mock_want.rc6_pct));
	free(d);
	tool_free(&r);
	write_str(CGROUP_USAGE, self->usage_policy);

	EXPECT_EQ(0, stop_client(&own));
	EXPECT_EQ(0, stop_client(&other));
}

/* ---- i915's other topologies: two GTs, compute engines ------------------ */

#define GT_OTHER(gt, x)	(((uint64_t)__I915_PMU_ENGINE(0xff, 0xff, 0xf) + 1 + (x)) | \
			 ((uint64_t)(gt) << 60))
#define CFG_CCS1_BUSY	__I915_PMU_ENGINE(I915_ENGINE_CLASS_COMPUTE, 1, I915_SAMPLE_BUSY)

static int reload_mock(const char *params)
{
	int i, ret = -EAGAIN;

	for (i = 0; i < 200 && (ret == -EAGAIN || ret == -EWOULDBLOCK); i++) {
		ret = module_unload("mock_i915");
		if (ret == -EAGAIN || ret == -EWOULDBLOCK)
			usleep(10000);
	}
	if (ret)
		return ret;
	ret = module_load(MOCK_KO, params);
	drm_nodes_open_to_all();
	return ret;
}

/*
 * The mock with "ccs=2 gts=2" (gts=2 needs 6.5+, as i915's GT bits): the
 * reader finds i915's "-gt<N>" names and shows the GTs' mean frequency and
 * RC6, as intel_gpu_top 2.x; the compute class is the mean of ccs0, ccs1.
 */
TEST_F(reader, multi_gt_and_compute)
{
	const bool two = !kernel_before(6, 5);
	const char *args[] = { "-c", "-n", "3", "-s", PERIOD, "-d", GPU1_PCI, NULL, NULL };
	struct tool_run r;
	struct csv t;
	int gt;

	ASSERT_EQ(0, reload_mock(two ? "ccs=2 gts=2" : "ccs=2"));
	ASSERT_EQ(0, mock_still(GPU1_PCI));
	for (gt = 0; gt < (two ? 2 : 1); gt++) {
		/* GT0: 1000/1200 MHz, RC6 60%; GT1: 500/300 MHz, 20% */
		ASSERT_EQ(0, mock_rate(GPU1_PCI, GT_OTHER(gt, 0), gt ? 500 : 1000));
		ASSERT_EQ(0, mock_rate(GPU1_PCI, GT_OTHER(gt, 1), gt ? 300 : 1200));
		ASSERT_EQ(0, mock_rate(GPU1_PCI, GT_OTHER(gt, 3), (gt ? 20 : 60) * 1e7));
	}
	ASSERT_EQ(0, mock_rate(GPU1_PCI, CFG_CCS1_BUSY, 50 * 1e7));

	ASSERT_EQ(0, reader_run(&r, &ct, args));
	EXPECT_TRUE(tool_exited(&r, 0)) log_run(_metadata, "-c", &ct, &r);
	ASSERT_EQ(0, csv_parse(r.out, &t)) log_run(_metadata, "-c (not CSV)", &ct, &r);
	EXPECT_TRUE(csv_shows(&t, "freq_act_mhz", two ? 750 : 1000));
	EXPECT_TRUE(csv_shows(&t, "freq_req_mhz", two ? 750 : 1200));
	EXPECT_TRUE(csv_shows(&t, "rc6_pct", two ? 40 : 60));
	EXPECT_TRUE(csv_shows(&t, "compute_busy_pct", 25));
	EXPECT_TRUE(csv_shows(&t, "render_busy_pct", 0));
	TH_LOG("%s GT(s), ccs=2:\n%s", two ? "two" : "one", r.out);
	tool_free(&r);

	args[7] = "-p";
	ASSERT_EQ(0, reader_run(&r, &ct, args));
	ASSERT_EQ(0, csv_parse(r.out, &t)) log_run(_metadata, "-c -p (not CSV)", &ct, &r);
	EXPECT_TRUE(csv_shows(&t, "ccs1_busy_pct", 50));
	EXPECT_TRUE(csv_shows(&t, "ccs0_busy_pct", 0));
	EXPECT_TRUE(csv_shows(&t, "freq_act_mhz", two ? 750 : 1000));
	tool_free(&r);

	mock_still(GPU1_PCI);
	ASSERT_EQ(0, reload_mock(NULL));
}

/* ---- denied -------------------------------------------------------------- */

static void expect_fail(struct __test_metadata *_metadata, const struct who *w,
			const char *const *args, int code, const char *const *says,
			const char *const *not_says)
{
	struct tool_run r;

	ASSERT_EQ(0, reader_run(&r, w, args));
	EXPECT_TRUE(tool_exited(&r, code)) log_run(_metadata, args[0], w, &r);
	for (; says && *says; says++)
		EXPECT_NE(NULL, strstr(r.err, *says))
			TH_LOG("stderr lacks \"%s\": %s", *says, r.err);
	for (; not_says && *not_says; not_says++)
		EXPECT_EQ(NULL, strstr(r.err, *not_says))
			TH_LOG("stderr has \"%s\": %s", *not_says, r.err);
	EXPECT_EQ(0, r.len) TH_LOG("stdout: %s", r.out);
	TH_LOG("as %s, exit %d: %s", w->name, WEXITSTATUS(r.status), r.err);
	tool_free(&r);
}

TEST_F(reader, denied_node_missing)
{
	static const char * const args[] = { "-c", "-n", "1", NULL };
	static const char * const says[] = { "/tmp/no-such-node", "no such device node",
					     "modprobe nsgpuperf", NULL };
	struct who w = ct;

	w.device = "/tmp/no-such-node";
	expect_fail(_metadata, &w, args, 3, says, NULL);
	w = host;
	w.device = "/tmp/no-such-node";
	expect_fail(_metadata, &w, args, 3, says, NULL);
}

TEST_F(reader, denied_owner_not_mapped)
{
	static const char * const args[] = { "list", NULL };
	static const char * const says[] = { "permission denied", "owner",
					     "not mapped into this user namespace",
					     "nsgpuperf's access rule (EPERM", NULL };
	static const char * const not_says[] = { "no CAP_PERFMON", "file mode", NULL };

	/* the file mode lets anyone open: the module's owner rule refuses */
	unlink(CT_NODE);
	ASSERT_EQ(0, nsgp_mknod(CT_NODE, 0, 0, 0666));
	expect_fail(_metadata, &ct, args, 4, says, not_says);
}

TEST_F(reader, denied_no_cap_perfmon)
{
	static const char * const args[] = { "-c", "-n", "1", NULL };
	static const char * const says[] = { "permission denied", "no CAP_PERFMON",
					     "nsgpuperf's access rule (EPERM", NULL };
	static const char * const not_says[] = { "not mapped", "file mode", NULL };
	struct who w = ct;

	/* a container user (uid 1000 in it) on a node its root owns */
	unlink(CT_NODE);
	ASSERT_EQ(0, nsgp_mknod(CT_NODE, CT_UID, CT_UID, 0666));
	w.name = "container uid 1000";
	w.ns_uid = 1000;
	expect_fail(_metadata, &w, args, 4, says, not_says);
}

TEST_F(reader, denied_file_mode)
{
	static const char * const args[] = { "list", "-J", NULL };
	static const char * const says[] = { "file mode (0600", "not by nsgpuperf (EACCES",
					     "nsgpuperf host grant", NULL };
	static const char * const not_says[] = { "access rule", NULL };

	/* owned by host root: unmapped in the container */
	unlink(CT_NODE);
	ASSERT_EQ(0, nsgp_mknod(CT_NODE, 0, 0, 0600));
	expect_fail(_metadata, &ct, args, 4, says, not_says);
}

TEST_F(reader, denied_file_mode_not_owner)
{
	static const char * const args[] = { "list", NULL };
	static const char * const says[] = { "file mode (0600", "this process is uid 1000",
					     "only the node's owner (the container's root)",
					     "not by nsgpuperf (EACCES", NULL };
	static const char * const not_says[] = { "access rule", NULL };
	struct who w = ct;

	/* a container user on the node its root owns, 0600: EACCES, no log */
	unlink(CT_NODE);
	ASSERT_EQ(0, nsgp_mknod(CT_NODE, CT_UID, CT_UID, 0600));
	w.name = "container uid 1000";
	w.ns_uid = 1000;
	expect_fail(_metadata, &w, args, 4, says, not_says);
}

TEST_F(reader, gpu_not_in_scope)
{
	static const char * const says[] = { "-d " GPU1_PCI ": no GPU in scope matches",
					     NULL };
	static const char * const edu_says[] = { "no GPU in scope matches", NULL };
	static const char * const none_says[] = { "no GPU in scope",
						  "no DRM device is visible here", NULL };
	const char *args[] = { "-c", "-n", "1", "-d", GPU1_PCI, NULL };
	struct jdoc *d = calloc(1, sizeof(*d));
	const char *list[] = { "list", "-J", NULL };
	struct tool_run r;
	struct who w = ct;

	ASSERT_NE(NULL, d);
	/* a container that holds only GPU0's render node */
	w.name = "container root holding GPU0";
	w.only_node = self->node[0];
	expect_fail(_metadata, &w, args, 6, says, NULL);
	ASSERT_EQ(0, reader_run(&r, &w, list));
	EXPECT_TRUE(tool_exited(&r, 0));
	ASSERT_EQ(0, jdoc_parse(r.out, d)) log_run(_metadata, "list -J", &w, &r);
	EXPECT_EQ(1, jlen(d, "gpus"));
	EXPECT_STREQ(GPU0_PCI, jget(d, "gpus|0|pci_address"));
	tool_free(&r);
	free(d);

	/* the mock's non-Intel device is never an nsgpuperf GPU */
	args[4] = OTHER_PCI;
	expect_fail(_metadata, &ct, args, 6, edu_says, NULL);

	/* no GPU at all */
	w.name = "container root holding no GPU";
	w.only_node = "";
	args[4] = GPU0_PCI;
	expect_fail(_metadata, &w, args, 6, none_says, NULL);
}

/* The module not loaded: the default node is gone, a container's is stale. */
TEST_F(reader, module_not_loaded)
{
	static const char * const args[] = { "list", NULL };
	static const char * const host_says[] = { NSGP_DEV ": no such device node",
						  "module is not loaded", "modprobe nsgpuperf",
						  NULL };
	static const char * const ct_says[] = { CT_NODE ": the node has no driver behind it",
						"modprobe nsgpuperf", NULL };
	int i;

	unlink(CT_NODE);
	ASSERT_EQ(0, nsgp_mknod(CT_NODE, CT_UID, CT_UID, 0600));
	/* counters close a moment after their last reader */
	for (i = 0; i < 50 && module_unload("nsgpuperf") == -EWOULDBLOCK; i++)
		usleep(100000);
	ASSERT_FALSE(module_loaded("nsgpuperf"));
	expect_fail(_metadata, &host, args, 3, host_says, NULL);
	expect_fail(_metadata, &ct, args, 3, ct_says, NULL);
	ASSERT_EQ(0, module_load(NSGP_KO, NULL));
}

/* Not an nsgpuperf node, or a module too old for NSGPUPERF_IOC_VERSION. */
TEST_F(reader, not_the_abi)
{
	static const char * const args[] = { "list", "-J", NULL };
	static const char * const says[] = { "/dev/null: does not answer NSGPUPERF_IOC_VERSION",
					     "needs ABI 2 or newer", NULL };
	struct who w = host;

	w.device = "/dev/null";
	expect_fail(_metadata, &w, args, 5, says, NULL);
}

/* Without -c on a pipe: the live view prints one line per sample. */
TEST_F(reader, text_lines_when_not_a_terminal)
{
	static const char * const args[] = { "-n", "2", "-s", "200", "-d", GPU1_PCI, NULL };
	struct tool_run r;
	const char *p;
	int lines = 0;

	ASSERT_EQ(0, reader_run(&r, &ct, args));
	EXPECT_TRUE(tool_exited(&r, 0)) log_run(_metadata, "top", &ct, &r);
	for (p = r.out; (p = strstr(p, GPU1_PCI)); p++)
		lines++;
	EXPECT_EQ(2, lines) log_run(_metadata, "top", &ct, &r);
	tool_free(&r);
}

/* --help: exit 0, its usage on stdout; bad options: exit 2 */
TEST_F(reader, usage_errors)
{
	static const char * const help[] = { "--help", NULL };
	static const char * const bad[][4] = {
		{ "-x", NULL }, { "-n", "0", NULL },
		{ "-s", "soon", NULL }, { "list", "extra", NULL },
	};
	struct tool_run r;
	unsigned int i;

	ASSERT_EQ(0, reader_run(&r, &host, help));
	EXPECT_TRUE(tool_exited(&r, 0)) log_run(_metadata, "--help", &host, &r);
	EXPECT_NE(NULL, strstr(r.out, "usage: nsgpuperf"));
	tool_free(&r);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(0, reader_run(&r, &host, bad[i]));
		EXPECT_TRUE(tool_exited(&r, 2)) log_run(_metadata, bad[i][0], &host, &r);
		tool_free(&r);
	}
}

TEST_HARNESS_MAIN
