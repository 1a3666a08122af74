// SPDX-License-Identifier: GPL-2.0
/*
 * Running real tools in the test VM and reading intel_gpu_top's output;
 * see igt_top.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "igt_top.h"
#include "nsgp_usage.h"
#include "mock_i915_uapi.h"
#include "nsgp_test.h"

#define MAX_ERR		(64 * 1024)

/* A diagnostic line ("unexpected" shows it in make check's summary). */
static void __attribute__((format(printf, 1, 2))) unexpected(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# unexpected: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* ---- running a tool ---------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The child: its own process group, stdout/stderr to the pipes, exec. */
static void tool_child(const struct tool_cmd *c, int out, int err)
{
	const char *argv[64];
	int i = 0, j;

	setpgid(0, 0);
	if (dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	for (j = 0; c->env && c->env[j]; j++)
		putenv((char *)c->env[j]);
	if (c->map) {
		/* userns-exec waits for the tool: only the tool sees SIGINT */
		signal(SIGINT, SIG_IGN);
		argv[i++] = USERNS_EXEC;
		if (c->cgroup) {
			if (cg_enter(c->cgroup))
				_exit(126);
			argv[i++] = "--cgroupns";
		}
		argv[i++] = c->map;
	}
	for (j = 0; c->argv[j] && i < 63; j++)
		argv[i++] = c->argv[j];
	argv[i] = NULL;
	execv(argv[0], (char **)argv);
	dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int drain(int fd, char *buf, size_t *len, size_t max)
{
	ssize_t n = read(fd, buf + *len, max - *len);

	if (n <= 0)
		return -1;
	*len += n;
	buf[*len] = '\0';
	return 0;
}

int tool_run(struct tool_run *r, const struct tool_cmd *c)
{
	int opipe[2], epipe[2], open_fds = 2;
	double deadline = now_s() + (c->timeout_s ?: 120);
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->out = malloc(TOOL_MAX_OUT + 1);
	r->err = malloc(MAX_ERR + 1);
	if (!r->out || !r->err)
		return -ENOMEM;
	r->out[0] = r->err[0] = '\0';
	if (pipe2(opipe, O_CLOEXEC) || pipe2(epipe, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		tool_child(c, opipe[1], epipe[1]);
	setpgid(pid, pid);
	close(opipe[1]);
	close(epipe[1]);

	while (open_fds) {
		struct pollfd p[2] = {
			{ .fd = opipe[0], .events = POLLIN },
			{ .fd = epipe[0], .events = POLLIN },
		};

		if (now_s() > deadline && !r->timed_out) {
			kill(-pid, SIGKILL);
			r->timed_out = true;
		}
		if (poll(p, 2, 100) <= 0)
			continue;
		if (p[0].revents && p[0].fd >= 0 &&
		    (r->len == TOOL_MAX_OUT || drain(opipe[0], r->out, &r->len, TOOL_MAX_OUT))) {
			close(opipe[0]);
			opipe[0] = -1;
			open_fds--;
		}
		if (p[1].revents && p[1].fd >= 0 &&
		    (r->err_len == MAX_ERR || drain(epipe[0], r->err, &r->err_len, MAX_ERR))) {
			close(epipe[0]);
			epipe[0] = -1;
			open_fds--;
		}
		if (!r->stopped && c->stop && c->stop(r, c->arg)) {
			kill(-pid, c->stop_signal ?: SIGINT);
			r->stopped = true;
		}
	}
	waitpid(pid, &r->status, 0);
	top_parse_json(r);
	return 0;
}

void tool_free(struct tool_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

bool tool_exited(const struct tool_run *r, int code)
{
	return !r->timed_out && WIFEXITED(r->status) && WEXITSTATUS(r->status) == code;
}

/* ---- JSON, as much as intel_gpu_top prints ----------------------------- */

struct jp {
	const char *p, *end;
	struct top_sample *s;
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
	struct top_kv *kv;
	size_t n;

	jws(j);
	if (j->p >= j->end)
		return -1;
	if (j->s->n == TOP_MAX_KV)
		return -1;
	kv = &j->s->kv[j->s->n];
	if (*j->p == '{') {
		/* the object itself is an entry too: structure includes {} */
		snprintf(kv->path, sizeof(kv->path), "%s", path);
		snprintf(kv->val, sizeof(kv->val), "{");
		j->s->n++;
		return jobject(j, path);
	}
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

int top_parse_json(struct tool_run *r)
{
	struct jp j = { .p = r->out, .end = r->out + r->len };

	r->nr = 0;
	for (;;) {
		while (j.p < j.end && (isspace((unsigned char)*j.p) ||
				       *j.p == ',' || *j.p == '[' || *j.p == ']'))
			j.p++;
		if (j.p >= j.end || *j.p != '{' || r->nr == TOP_MAX_SAMPLES)
			return r->nr;
		j.s = &r->s[r->nr];
		j.s->n = 0;
		if (jobject(&j, ""))
			return r->nr;	/* incomplete: still being printed */
		r->nr++;
	}
}

const char *top_get(const struct top_sample *s, const char *path)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->kv[i].path, path))
			return s->kv[i].val;
	return NULL;
}

double top_getd(const struct top_sample *s, const char *path)
{
	const char *v = top_get(s, path);
	char *end;
	double d;

	if (!v)
		return NAN;
	d = strtod(v, &end);
	return end != v && !*end ? d : NAN;
}

bool top_json_stop(struct tool_run *r, void *arg)
{
	struct top_json_stop *st = arg;
	int nr = top_parse_json(r);

	while (st->seen < nr) {
		st->seen++;
		if (st->at)
			st->at(st->seen, st->arg);
		if (st->seen >= st->want)
			return true;
	}
	return false;
}

static bool is_client(const char *path)
{
	return !strncmp(path, "clients", 7) && (!path[7] || path[7] == '|');
}

bool top_same_structure(const struct top_sample *a, const struct top_sample *b)
{
	int i = 0, j = 0;

	for (;;) {
		while (i < a->n && is_client(a->kv[i].path))
			i++;
		while (j < b->n && is_client(b->kv[j].path))
			j++;
		if (i == a->n || j == b->n)
			break;
		if (strcmp(a->kv[i].path, b->kv[j].path) ||
		    (!strcmp(a->kv[i].val, "{") != !strcmp(b->kv[j].val, "{"))) {
			unexpected("structure differs: \"%s\"%s vs \"%s\"%s\n",
				   a->kv[i].path, strcmp(a->kv[i].val, "{") ? "" : " {}",
				   b->kv[j].path, strcmp(b->kv[j].val, "{") ? "" : " {}");
			return false;
		}
		i++;
		j++;
	}
	if (i != a->n || j != b->n) {
		unexpected("structure differs: \"%s\" vs \"%s\"\n",
			   i < a->n ? a->kv[i].path : "(end)",
			   j < b->n ? b->kv[j].path : "(end)");
		return false;
	}
	return true;
}

/* ---- intel_gpu_top -l ---------------------------------------------------- */

/* A row of numbers only; how many, or -1. */
static int number_row(const char *line, double *v, int max)
{
	char *end;
	int n = 0;

	for (;;) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '\n')
			return n;
		if (n == max)
			return -1;
		v[n++] = strtod(line, &end);
		if (end == line || (*end && !isspace((unsigned char)*end)))
			return -1;
		line = end;
	}
}

bool top_text_stop(struct tool_run *r, void *arg)
{
	struct top_text_stop *st = arg;
	const char *p = r->out;
	int rows = 0;

	/* complete lines beyond the two header lines */
	while ((p = strchr(p, '\n'))) {
		p++;
		rows++;
	}
	return rows - 2 >= st->want;
}

/* How many columns a group of -l's first header line spans. */
static int group_width(const char *name)
{
	if (!strcmp(name, "Freq") || !strcmp(name, "Power"))
		return 2;
	if (!strcmp(name, "IRQ") || !strcmp(name, "RC6"))
		return 1;
	return 3;	/* an engine: %, se, wa */
}

int top_parse_text(const char *out, struct top_text *t)
{
	char l1[1024], l2[1024], *save1, *save2, *g, *c;
	const char *p = out, *nl;
	int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < 2; i++) {
		nl = strchr(p, '\n');
		if (!nl || nl - p >= (int)sizeof(l1)) {
			unexpected("-l: no header line %d\n", i + 1);
			return -1;
		}
		snprintf(i ? l2 : l1, sizeof(l1), "%.*s", (int)(nl - p), p);
		p = nl + 1;
	}
	/* line 1: group names ("Freq MHz" and "Power W": two words) */
	c = strtok_r(l2, " \t", &save2);
	for (g = strtok_r(l1, " \t", &save1); g; g = strtok_r(NULL, " \t", &save1)) {
		int w = group_width(g);

		if (w == 2)
			strtok_r(NULL, " \t", &save1);	/* "MHz", "W" */
		for (i = 0; i < w; i++) {
			if (!c || t->ncols == TOP_TEXT_COLS) {
				unexpected("-l: header lines do not match\n");
				return -1;
			}
			snprintf(t->col[t->ncols++], sizeof(t->col[0]), "%s %s", g, c);
			c = strtok_r(NULL, " \t", &save2);
		}
	}
	if (c) {
		unexpected("-l: more columns than groups (\"%s\")\n", c);
		return -1;
	}
	while (*p && t->nrows < TOP_TEXT_ROWS) {
		nl = strchr(p, '\n');
		if (!nl)
			break;		/* incomplete */
		snprintf(l1, sizeof(l1), "%.*s", (int)(nl - p), p);
		p = nl + 1;
		if (number_row(l1, t->v[t->nrows], TOP_TEXT_COLS) != t->ncols) {
			unexpected("-l: not a row of %d numbers: %s\n", t->ncols, l1);
			return -1;
		}
		t->nrows++;
	}
	return 0;
}

int top_text_col(const struct top_text *t, const char *name)
{
	int i;

	for (i = 0; i < t->ncols; i++)
		if (!strcmp(t->col[i], name))
			return i;
	return -1;
}

/* ---- the mock, driven ------------------------------------------------------ */

#define CFG(cls, inst, smp)	((uint64_t)__I915_PMU_ENGINE(cls, inst, smp))

static const int engine_classes[] = MOCK_I915_ENGINE_CLASSES;
static const int engine_instances[] = MOCK_I915_ENGINE_INSTANCES;

int mock_rate(const char *pci, uint64_t config, double per_s)
{
	return mock_ctl(pci, "rate 0x%" PRIx64 " %.0f", config, per_s);
}

int mock_still(const char *pci)
{
	static const uint64_t others[] = {
		I915_PMU_ACTUAL_FREQUENCY, I915_PMU_REQUESTED_FREQUENCY,
		I915_PMU_INTERRUPTS, I915_PMU_RC6_RESIDENCY,
		I915_PMU_SOFTWARE_GT_AWAKE_TIME,
	};
	int e, s, ret = 0;

	for (e = 0; e < MOCK_I915_NUM_ENGINES; e++)
		for (s = I915_SAMPLE_BUSY; s <= I915_SAMPLE_SEMA; s++)
			ret = ret ?: mock_rate(pci, CFG(engine_classes[e],
						       engine_instances[e], s), 0);
	for (e = 0; e < (int)(sizeof(others) / sizeof(others[0])); e++)
		ret = ret ?: mock_rate(pci, others[e], 0);
	return ret;
}

const struct mock_drive mock_want = {
	.act_mhz = 1000, .req_mhz = 1300, .irq_per_s = 2000, .rc6_pct = 40,
	.rcs0_busy = 25, .bcs0_wait = 5, .vcs1_busy = 75, .vecs0_sema = 10,
}, mock_decoy = {
	.act_mhz = 300, .req_mhz = 350, .irq_per_s = 50, .rc6_pct = 90,
	.rcs0_busy = 60, .bcs0_wait = 30, .vcs1_busy = 15, .vecs0_sema = 45,
};

int drive_gpus(void)
{
	static const char *const gpus[] = { GPU0_PCI, GPU1_PCI, OTHER_PCI };
	unsigned int i;
	int ret;

	if (!pci_bound(GPU1_PCI))
		pci_bind(GPU1_PCI);
	for (i = 0; i < sizeof(gpus) / sizeof(gpus[0]); i++) {
		if (!pci_bound(gpus[i])) {
			fprintf(stderr, "# %s is not bound\n", gpus[i]);
			return -ENODEV;
		}
		ret = mock_drive(gpus[i], i == 1 ? &mock_want : &mock_decoy);
		if (ret)
			return ret;
	}
	drm_nodes_open_to_all();
	return 0;
}

int mock_drive(const char *pci, const struct mock_drive *d)
{
	int ret = mock_still(pci);

	ret = ret ?: mock_rate(pci, I915_PMU_ACTUAL_FREQUENCY, d->act_mhz);
	ret = ret ?: mock_rate(pci, I915_PMU_REQUESTED_FREQUENCY, d->req_mhz);
	ret = ret ?: mock_rate(pci, I915_PMU_INTERRUPTS, d->irq_per_s);
	ret = ret ?: mock_rate(pci, I915_PMU_RC6_RESIDENCY, d->rc6_pct * 1e7);
	ret = ret ?: mock_rate(pci, CFG(I915_ENGINE_CLASS_RENDER, 0, I915_SAMPLE_BUSY),
			       d->rcs0_busy * 1e7);
	ret = ret ?: mock_rate(pci, CFG(I915_ENGINE_CLASS_COPY, 0, I915_SAMPLE_WAIT),
			       d->bcs0_wait * 1e7);
	ret = ret ?: mock_rate(pci, CFG(I915_ENGINE_CLASS_VIDEO, 1, I915_SAMPLE_BUSY),
			       d->vcs1_busy * 1e7);
	ret = ret ?: mock_rate(pci, CFG(I915_ENGINE_CLASS_VIDEO_ENHANCE, 0,
					I915_SAMPLE_SEMA), d->vecs0_sema * 1e7);
	return ret;
}

bool pci_bound(const char *pci)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", pci);
	return access(path, F_OK) == 0;
}

/* ---- checking what intel_gpu_top showed ------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

bool top_within(const char *what, const double *values, int n, double want)
{
	double v[TOP_TEXT_ROWS], med, mean = 0;
	bool ok = true;
	int i, m = 0;

	for (i = 1; i < n && m < TOP_TEXT_ROWS; i++) {
		v[m] = values[i];
		if (isnan(v[m])) {
			unexpected("period %d: no %s\n", i, what);
			return false;
		}
		if (want == 0 ? v[m] != 0 : fabs(v[m] - want) > 0.10 * want)
			ok = false;
		mean += v[m];
		m++;
	}
	if (!m) {
		unexpected("%s: no period to check\n", what);
		return false;
	}
	mean /= m;
	qsort(v, m, sizeof(v[0]), cmp_double);
	med = v[m / 2];
	if (want != 0 && fabs(med - want) > 0.02 * want && fabs(mean - want) > 0.02 * want)
		ok = false;
	if (!ok) {
		unexpected("%s: median %f, mean %f (min %f, max %f), want %f; periods:", what,
			   med, mean, v[0], v[m - 1], want);
		for (i = 1; i < n; i++)
			fprintf(stderr, " %f", values[i]);
		fprintf(stderr, "\n");
	}
	return ok;
}

bool top_shows(const struct tool_run *r, const char *path, double want)
{
	double v[TOP_MAX_SAMPLES];
	int i;

	for (i = 0; i < r->nr; i++)
		v[i] = top_getd(&r->s[i], path);
	return top_within(path, v, r->nr, want);
}

/*
 * Expected busy/sema/wait % per engine as the view shows them: each
 * physical engine in uabi order, or each class, the average of its
 * engines ("Video": vcs0, vcs1).  Returns how many the view has.
 */
static int view_values(const struct mock_drive *d, enum top_engines names,
		       double want[MOCK_I915_NUM_ENGINES][3])
{
	static const int class_of[MOCK_I915_NUM_ENGINES] = { 0, 1, 2, 2, 3 };
	double v[MOCK_I915_NUM_ENGINES][3] = {};
	int count[MOCK_I915_NUM_ENGINES] = {}, nr = 0, e, s, i;

	v[0][0] = d->rcs0_busy;		/* busy, sema, wait */
	v[1][2] = d->bcs0_wait;
	v[3][0] = d->vcs1_busy;
	v[4][1] = d->vecs0_sema;
	memset(want, 0, sizeof(double) * MOCK_I915_NUM_ENGINES * 3);
	for (e = 0; e < MOCK_I915_NUM_ENGINES; e++) {
		i = names == TOP_CLASSES ? class_of[e] : e;
		for (s = 0; s < 3; s++)
			want[i][s] += v[e][s];
		count[i]++;
		nr = i + 1;
	}
	for (i = 0; i < nr; i++)
		for (s = 0; s < 3; s++)
			want[i][s] /= count[i];
	return nr;
}

static const char * const smp_names[] = { "busy", "sema", "wait" };

int top_check_json(const struct tool_run *r, const struct mock_drive *d,
		   enum top_engines names)
{
	static const char * const physical[MOCK_I915_NUM_ENGINES] = {
		"Render/3D/0", "Blitter/0", "Video/0", "Video/1", "VideoEnhance/0",
	};
	/* classes: each the average of its engines ("Video": vcs0, vcs1) */
	static const char * const classes[] = {
		"Render/3D", "Blitter", "Video", "VideoEnhance",
	};
	double want[MOCK_I915_NUM_ENGINES][3];
	int nr, fails = 0, e, s, i;
	const char *const *engines = names == TOP_CLASSES ? classes : physical;
	const struct top_sample *last;
	const char *unit;
	char path[96];

	if (r->nr < 2) {
		unexpected("-J: %d periods\n", r->nr);
		return 1;
	}
	last = &r->s[r->nr - 1];
	nr = view_values(d, names, want);
	fails += !top_shows(r, "frequency|actual", d->act_mhz);
	fails += !top_shows(r, "frequency|requested", d->req_mhz);
	fails += !top_shows(r, "interrupts|count", d->irq_per_s);
	fails += !top_shows(r, "rc6|value", d->rc6_pct);
	for (e = 0; e < nr; e++) {
		for (s = 0; s < 3; s++) {
			snprintf(path, sizeof(path), "engines|%s|%s", engines[e], smp_names[s]);
			fails += !top_shows(r, path, want[e][s]);
		}
	}
	/* these engines and no other */
	for (i = 0, e = 0; i < last->n; i++) {
		const char *p = last->kv[i].path;

		e += !strncmp(p, "engines|", 8) && strlen(p) > 5 &&
		     !strcmp(p + strlen(p) - 5, "|busy");
	}
	if (e != nr) {
		unexpected("-J: %d engines, want %d\n", e, nr);
		fails++;
	}
	unit = top_get(last, "frequency|unit");
	if (!unit || strcmp(unit, "MHz")) {
		unexpected("-J: frequency unit %s\n", unit ?: "missing");
		fails++;
	}
	return fails;
}

int top_check_text(const struct top_text *t, const struct mock_drive *d,
		   enum top_engines names)
{
	static const char * const physical[MOCK_I915_NUM_ENGINES] = {
		"RCS/0", "BCS/0", "VCS/0", "VCS/1", "VECS/0",
	};
	static const char * const classes[] = { "RCS", "BCS", "VCS", "VECS" };
	/* -l's order is busy, sema, wait too */
	static const char * const sub[] = { "%", "se", "wa" };
	const char *const *engines = names == TOP_CLASSES ? classes : physical;
	const struct {
		const char *col;
		double want;
	} dev[] = {
		{ "Freq req", d->req_mhz }, { "Freq act", d->act_mhz },
		{ "IRQ /s", d->irq_per_s }, { "RC6 %", d->rc6_pct },
	};
	double want[MOCK_I915_NUM_ENGINES][3];
	double vals[TOP_TEXT_ROWS];
	int fails = 0, e, s, i, c, row, nr, ndev = sizeof(dev) / sizeof(dev[0]);
	char name[64];

	nr = view_values(d, names, want);
	for (i = 0; i < ndev + nr * 3; i++) {
		double w;

		if (i < ndev) {
			snprintf(name, sizeof(name), "%s", dev[i].col);
			w = dev[i].want;
		} else {
			e = (i - ndev) / 3;
			s = (i - ndev) % 3;
			snprintf(name, sizeof(name), "%s %s", engines[e], sub[s]);
			w = want[e][s];
		}
		c = top_text_col(t, name);
		if (c < 0) {
			unexpected("-l: no column \"%s\"\n", name);
			fails++;
			continue;
		}
		for (row = 0; row < t->nrows; row++)
			vals[row] = t->v[row][c];
		fails += !top_within(name, vals, t->nrows, w);
	}
	/* these columns and no other */
	if (t->ncols != ndev + nr * 3) {
		unexpected("-l: %d columns, want %d\n", t->ncols, ndev + nr * 3);
		fails++;
	}
	return fails;
}
