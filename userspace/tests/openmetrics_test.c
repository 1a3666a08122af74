// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics writer and the exporter's HTTP side, on fixed samples:
 * exact bytes against golden files in tests/data in both formats;
 * `promtool check metrics` (Debian's prometheus, unpacked by
 * scripts/deps.sh; $NGP_PROMTOOL) on the Prometheus text and a strict
 * OpenMetrics parser (python3-prometheus-client) on the OpenMetrics text,
 * with the values it parses compared to the samples'; label escaping;
 * unavailable usage left out, never 0; --textfile's atomic replace under a
 * concurrent reader and its errors; --listen's syntax; the HTTP server
 * scraped over loopback (IPv4, IPv6, every address) with and without
 * OpenMetrics in Accept.
 *
 * NGP_UPDATE_GOLDEN=1 rewrites the golden files (and fails, so that a
 * rewrite is never a pass: review the diff).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "cli.h"
#include "openmetrics.h"
#include "test_data.h"

#define PROMETHEUS_ACCEPT \
	"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

/* ---- fixed samples ------------------------------------------------- */

struct fix {
	struct ngp_gpu gpu[2];
	struct ngp_layout layout[2];
	struct ngp_sample sample[2];
	const struct ngp_gpu *gp[2];
	const struct ngp_sample *sp[2];
};

static void engine(struct ngp_layout *l, struct ngp_sample *s, const char *name,
		   enum ngp_class class, unsigned int inst, uint64_t busy,
		   uint64_t wait, uint64_t sema)
{
	struct ngp_engine *e = &l->engines[l->nr_engines++];
	struct ngp_engine_rate *r = &s->engines[s->nr_engines++];

	snprintf(e->pmu_name, sizeof(e->pmu_name), "%s", name);
	e->class = class;
	e->instance = inst;
	r->engine = e;
	r->has[NGP_BUSY] = r->has[NGP_WAIT] = r->has[NGP_SEMA] = true;
	r->total_ns[NGP_BUSY] = busy;
	r->total_ns[NGP_WAIT] = wait;
	r->total_ns[NGP_SEMA] = sema;
}

/*
 * GPU 0: integrated, everything there, this container's usage known.
 * GPU 1: discrete, no RC6 or interrupts event, one engine that has busy
 * only, no actual frequency, usage unavailable (6.1 with GuC).
 */
static void fixture(struct fix *x)
{
	struct ngp_gpu *g;
	struct ngp_sample *s;
	struct ngp_usage *u;

	memset(x, 0, sizeof(*x));
	g = &x->gpu[0];
	s = &x->sample[0];
	snprintf(g->pci_addr, sizeof(g->pci_addr), "0000:00:02.0");
	snprintf(g->driver, sizeof(g->driver), "i915");
	snprintf(g->pmu_name, sizeof(g->pmu_name), "i915");
	snprintf(g->render_node, sizeof(g->render_node), "/dev/dri/renderD128");
	snprintf(g->name, sizeof(g->name),
		 "Intel Corporation Alder Lake-P GT2 [Iris Xe Graphics]");
	g->bound = true;
	s->period_ms = 1000;
	s->enabled_ns = 12345678901ull;
	s->has_freq_req = s->has_freq_act = s->has_irq = s->has_rc6 = true;
	s->freq_req = 1300;
	s->freq_act = 999.5;
	s->rc6_total_ns = 5000000001ull;
	s->irq_total = 123456;
	engine(&x->layout[0], s, "rcs0", NGP_CLASS_RENDER, 0, 3000000000ull, 250000000, 0);
	engine(&x->layout[0], s, "bcs0", NGP_CLASS_COPY, 0, 0, 1, 2);
	engine(&x->layout[0], s, "vcs0", NGP_CLASS_VIDEO, 0, 1, 0, 0);
	engine(&x->layout[0], s, "vcs1", NGP_CLASS_VIDEO, 1, 9000000000ull, 0, 0);
	engine(&x->layout[0], s, "vecs0", NGP_CLASS_VIDEO_ENHANCE, 0, 0, 0, 1200000000ull);
	u = &s->usage;
	u->available = true;
	u->scope = NSGPUPERF_SCOPE_CGROUP_NS;
	snprintf(u->scope_label, sizeof(u->scope_label), "container");
	u->nr_clients = 2;
	u->nr_classes = 4;
	snprintf(u->classes[0].fdinfo_name, sizeof(u->classes[0].fdinfo_name), "render");
	u->classes[0].class = NGP_CLASS_RENDER;
	u->classes[0].busy_ns = 1500000000ull;
	snprintf(u->classes[1].fdinfo_name, sizeof(u->classes[1].fdinfo_name), "copy");
	u->classes[1].class = NGP_CLASS_COPY;
	snprintf(u->classes[2].fdinfo_name, sizeof(u->classes[2].fdinfo_name), "video");
	u->classes[2].class = NGP_CLASS_VIDEO;
	u->classes[2].busy_ns = 250000000;
	snprintf(u->classes[3].fdinfo_name, sizeof(u->classes[3].fdinfo_name), "video-enhance");
	u->classes[3].class = NGP_CLASS_VIDEO_ENHANCE;

	g = &x->gpu[1];
	s = &x->sample[1];
	snprintf(g->pci_addr, sizeof(g->pci_addr), "0000:03:00.0");
	snprintf(g->driver, sizeof(g->driver), "i915");
	snprintf(g->pmu_name, sizeof(g->pmu_name), "i915_0000_03_00.0");
	snprintf(g->render_node, sizeof(g->render_node), "/dev/dri/renderD129");
	snprintf(g->name, sizeof(g->name), "Intel Corporation DG2 [Arc A380]");
	g->bound = true;
	s->period_ms = 1000;
	s->enabled_ns = 2000000000ull;
	s->has_freq_req = true;
	s->freq_req = 2450;
	engine(&x->layout[1], s, "rcs0", NGP_CLASS_RENDER, 0, 500000000, 0, 0);
	s->engines[0].has[NGP_WAIT] = s->engines[0].has[NGP_SEMA] = false;
	u = &s->usage;
	u->available = false;
	snprintf(u->why, sizeof(u->why),
		 "i915 before 6.5 with GuC submission reports no per-client usage");

	x->gp[0] = &x->gpu[0];
	x->gp[1] = &x->gpu[1];
	x->sp[0] = &x->sample[0];
	x->sp[1] = &x->sample[1];
}

/* ---- helpers ------------------------------------------------------- */

/* What om_write_format() writes, NUL-terminated (free it). */
static char *render(enum om_format fmt, const struct fix *x, int n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	om_write_format(f, fmt, x->gp, x->sp, n);
	fclose(f);
	return buf;
}

static int spit(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(s, f);
	return fclose(f);
}

/* Compare with tests/data/<name>; log the first differing line. */
static bool golden(struct __test_metadata *_metadata, const char *name,
		   const char *got)
{
	const char *dir = getenv("NGP_TESTDATA") ?: "tests/data";
	char path[512];
	const char *a, *b;
	char *want;
	int line = 1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (getenv("NGP_UPDATE_GOLDEN")) {
		spit(path, got);
		TH_LOG("%s rewritten: review it, then run without NGP_UPDATE_GOLDEN", path);
		return false;
	}
	want = slurp(path, NULL);
	if (!want) {
		TH_LOG("%s: %s", path, strerror(errno));
		return false;
	}
	for (a = want, b = got; *a && *a == *b; a++, b++)
		line += *a == '\n';
	if (*a || *b) {
		while (a > want && a[-1] != '\n')
			a--, b--;
		TH_LOG("%s differs at line %d:\n  want: %.*s\n  got:  %.*s", path, line,
		       (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
		free(want);
		return false;
	}
	free(want);
	return true;
}

/* Run argv with stdin from a string; its output in *out (free it), status. */
static int run_filter(const char *const *argv, const char *in, char **out)
{
	char tmpl[] = "/tmp/ngp-om-XXXXXX";
	char outp[64];
	int fd = mkstemp(tmpl), st;
	pid_t pid;

	*out = NULL;
	if (fd < 0)
		return -1;
	if (write(fd, in, strlen(in)) != (ssize_t)strlen(in)) {
		close(fd);
		return -1;
	}
	close(fd);
	snprintf(outp, sizeof(outp), "%s.out", tmpl);
	fflush(NULL);
	pid = fork();
	if (!pid) {
		int i = open(tmpl, O_RDONLY), o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (i < 0 || o < 0)
			_exit(126);
		dup2(i, 0);
		dup2(o, 1);
		dup2(o, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = -1;
	*out = slurp(outp, NULL);
	unlink(tmpl);
	unlink(outp);
	return st;
}

static const char *promtool(void)
{
	const char *p = getenv("NGP_PROMTOOL");

	return p && *p ? p : "promtool";
}

/* promtool check metrics on text: true if it says nothing and exits 0. */
static bool promtool_ok(struct __test_metadata *_metadata, const char *text)
{
	const char *argv[] = { promtool(), "check", "metrics", NULL };
	char *out;
	int st;

	if (access(argv[0], X_OK)) {
		TH_LOG("promtool not found at %s (NGP_PROMTOOL): scripts/deps.sh unpacks it into the cache",
		       argv[0]);
		return false;
	}
	st = run_filter(argv, text, &out);
	if (st != 0 || (out && *out)) {
		TH_LOG("promtool check metrics: status 0x%x: %s", st, out ?: "");
		free(out);
		return false;
	}
	free(out);
	return true;
}

/*
 * python3-prometheus-client's OpenMetrics parser (strict: metadata,
 * suffixes, units, escaping, "# EOF"); each sample as one line
 * "name{k=v,...} value" with the labels sorted.
 */
static const char om_parse_py[] =
	"import sys\n"
	"from prometheus_client.openmetrics.parser import text_string_to_metric_families\n"
	"for fam in text_string_to_metric_families(sys.stdin.read()):\n"
	"    for s in fam.samples:\n"
	"        l = ','.join('%s=%s' % kv for kv in sorted(s.labels.items()))\n"
	"        print('%s:%s:%s{%s} %r' % (fam.type, fam.unit, s.name, l, float(s.value)))\n";

static int om_parse(const char *text, char **out)
{
	const char *py = getenv("NGP_PYTHON") ?: "/usr/bin/python3";
	const char *argv[] = { py, "-c", om_parse_py, NULL };

	return run_filter(argv, text, out);
}

/* ---- the writer ---------------------------------------------------- */

TEST(golden_openmetrics)
{
	struct fix x;
	char *got;

	fixture(&x);
	got = render(OM_OPENMETRICS, &x, 2);
	ASSERT_NE(NULL, got);
	EXPECT_TRUE(golden(_metadata, "openmetrics.golden", got));
	free(got);
}

TEST(golden_prometheus)
{
	struct fix x;
	char *got;

	fixture(&x);
	got = render(OM_PROMETHEUS, &x, 2);
	ASSERT_NE(NULL, got);
	EXPECT_TRUE(golden(_metadata, "prometheus.golden", got));
	free(got);
}

/* om_write() is the OpenMetrics one, ending in "# EOF". */
TEST(om_write_is_openmetrics)
{
	char *buf = NULL, *want;
	size_t len = 0;
	struct fix x;
	FILE *f;

	fixture(&x);
	f = open_memstream(&buf, &len);
	ASSERT_NE(NULL, f);
	om_write(f, x.gp, x.sp, 2);
	fclose(f);
	want = render(OM_OPENMETRICS, &x, 2);
	EXPECT_STREQ(want, buf);
	ASSERT_GT(len, 6);
	EXPECT_STREQ("# EOF\n", buf + len - 6);
	free(want);
	free(buf);
}

TEST(promtool_accepts_prometheus_text)
{
	struct fix x;
	char *got;

	fixture(&x);
	got = render(OM_PROMETHEUS, &x, 2);
	EXPECT_TRUE(promtool_ok(_metadata, got));
	free(got);
	got = render(OM_PROMETHEUS, &x, 1);
	EXPECT_TRUE(promtool_ok(_metadata, got));
	free(got);
}

/* The checker can fail: an OpenMetrics "info" type is not this format. */
TEST(promtool_rejects_openmetrics_info)
{
	const char *argv[] = { promtool(), "check", "metrics", NULL };
	struct fix x;
	char *got, *out;

	fixture(&x);
	got = render(OM_OPENMETRICS, &x, 2);
	ASSERT_EQ(0, access(argv[0], X_OK)) TH_LOG("promtool not found at %s", argv[0]);
	EXPECT_NE(0, run_filter(argv, got, &out));
	EXPECT_NE(NULL, strstr(out ?: "", "unknown metric type \"info\"")) TH_LOG("%s", out);
	free(out);
	free(got);
}

/* The strict parser takes the OpenMetrics text and finds the samples' values. */
TEST(openmetrics_parser)
{
	static const char *const want[] = {
		"info::nsgpuperf_gpu_info{driver=i915,gpu=0000:00:02.0,name=Intel Corporation Alder Lake-P GT2 [Iris Xe Graphics],pmu=i915,render_node=/dev/dri/renderD128} 1.0",
		"counter:seconds:nsgpuperf_enabled_seconds_total{gpu=0000:00:02.0} 12.345678901",
		"gauge:hertz:nsgpuperf_frequency_requested_hertz{gpu=0000:00:02.0} 1300000000.0",
		"gauge:hertz:nsgpuperf_frequency_requested_hertz{gpu=0000:03:00.0} 2450000000.0",
		"gauge:hertz:nsgpuperf_frequency_actual_hertz{gpu=0000:00:02.0} 999500000.0",
		"counter:seconds:nsgpuperf_rc6_residency_seconds_total{gpu=0000:00:02.0} 5.000000001",
		"counter::nsgpuperf_interrupts_total{gpu=0000:00:02.0} 123456.0",
		"counter:seconds:nsgpuperf_engine_busy_seconds_total{class=render,engine=rcs0,gpu=0000:00:02.0} 3.0",
		"counter:seconds:nsgpuperf_engine_busy_seconds_total{class=video,engine=vcs1,gpu=0000:00:02.0} 9.0",
		"counter:seconds:nsgpuperf_engine_busy_seconds_total{class=render,engine=rcs0,gpu=0000:03:00.0} 0.5",
		"counter:seconds:nsgpuperf_engine_wait_seconds_total{class=render,engine=rcs0,gpu=0000:00:02.0} 0.25",
		"counter:seconds:nsgpuperf_engine_sema_seconds_total{class=video-enhance,engine=vecs0,gpu=0000:00:02.0} 1.2",
		"gauge::nsgpuperf_cgroup_usage_available{gpu=0000:00:02.0,scope=container} 1.0",
		"gauge::nsgpuperf_cgroup_usage_available{gpu=0000:03:00.0,reason=i915 before 6.5 with GuC submission reports no per-client usage} 0.0",
		"gauge::nsgpuperf_cgroup_clients{gpu=0000:00:02.0,scope=container} 2.0",
		"counter:seconds:nsgpuperf_cgroup_busy_seconds_total{class=render,gpu=0000:00:02.0,scope=container} 1.5",
		"counter:seconds:nsgpuperf_cgroup_busy_seconds_total{class=video,gpu=0000:00:02.0,scope=container} 0.25",
		"counter:seconds:nsgpuperf_cgroup_busy_seconds_total{class=copy,gpu=0000:00:02.0,scope=container} 0.0",
	};
	struct fix x;
	char *got, *out, *line;
	unsigned int i;
	int st, lines = 0;

	fixture(&x);
	got = render(OM_OPENMETRICS, &x, 2);
	st = om_parse(got, &out);
	ASSERT_EQ(0, st) TH_LOG("OpenMetrics parser: %s", out ?: "");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char needle[512];

		snprintf(needle, sizeof(needle), "%s\n", want[i]);
		EXPECT_NE(NULL, strstr(out, needle)) TH_LOG("missing: %s", want[i]);
	}
	/* nothing for GPU 1's RC6, interrupts, actual frequency, usage */
	for (line = out; (line = strstr(line, "0000:03:00.0")); line++)
		lines++;
	/* info, enabled, requested, busy, available */
	EXPECT_EQ(5, lines) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "nsgpuperf_interrupts_total{gpu=0000:03:00.0}"));
	free(out);

	/* and it is strict: a counter sample without _total fails */
	free(got);
	got = strdup("# TYPE a_seconds counter\n# UNIT a_seconds seconds\na_seconds 1\n# EOF\n");
	EXPECT_NE(0, om_parse(got, &out)) TH_LOG("parser took a bad counter: %s", out);
	free(out);
	free(got);
}

TEST(label_escaping)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "a\"b", "a\\\"b" },
		{ "back\\slash", "back\\\\slash" },
		{ "two\nlines", "two\\nlines" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		/* bad UTF-8: a stray byte, a cut sequence, overlong, surrogate */
		{ "x\xffy", "x\xef\xbf\xbdy" },
		{ "\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "tab\tok", "tab\tok" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		ASSERT_NE(NULL, f);
		om_label_value(f, cases[i].in);
		fclose(f);
		EXPECT_STREQ(cases[i].out, buf) TH_LOG("case %u", i);
		free(buf);
	}
}

/* A GPU name with every special character, through both parsers. */
TEST(escaped_name_parses)
{
	struct fix x;
	char *got, *out;
	int st;

	fixture(&x);
	snprintf(x.gpu[0].name, sizeof(x.gpu[0].name), "Weird \"GPU\" \\ name\nline 2 \xff");
	got = render(OM_PROMETHEUS, &x, 1);
	EXPECT_NE(NULL, strstr(got,
		"name=\"Weird \\\"GPU\\\" \\\\ name\\nline 2 \xef\xbf\xbd\""));
	EXPECT_TRUE(promtool_ok(_metadata, got));
	free(got);
	got = render(OM_OPENMETRICS, &x, 1);
	st = om_parse(got, &out);
	EXPECT_EQ(0, st) TH_LOG("%s", out ?: "");
	EXPECT_NE(NULL, strstr(out ?: "", "name=Weird \"GPU\" \\ name\nline 2 \xef\xbf\xbd,"))
		TH_LOG("%s", out ?: "");
	free(out);
	free(got);
}

/* Unavailable or incomplete usage: no usage series at all, never a 0. */
TEST(usage_unavailable_is_left_out)
{
	enum om_format fmt;
	struct fix x;
	char *got;

	for (fmt = OM_OPENMETRICS; fmt <= OM_PROMETHEUS; fmt++) {
		fixture(&x);
		x.sample[0].usage.available = false;
		snprintf(x.sample[0].usage.why, sizeof(x.sample[0].usage.why),
			 "the host turned per-cgroup usage off");
		got = render(fmt, &x, 2);
		EXPECT_EQ(NULL, strstr(got, "nsgpuperf_cgroup_busy_seconds")) TH_LOG("%s", got);
		EXPECT_EQ(NULL, strstr(got, "nsgpuperf_cgroup_clients")) TH_LOG("%s", got);
		EXPECT_NE(NULL, strstr(got,
			"nsgpuperf_cgroup_usage_available{gpu=\"0000:00:02.0\",scope=\"container\",reason=\"the host turned per-cgroup usage off\"} 0\n"))
			TH_LOG("%s", got);
		if (fmt == OM_PROMETHEUS)
			EXPECT_TRUE(promtool_ok(_metadata, got));
		free(got);

		fixture(&x);
		x.sample[0].usage.incomplete = true;
		got = render(fmt, &x, 2);
		EXPECT_EQ(NULL, strstr(got, "nsgpuperf_cgroup_busy_seconds")) TH_LOG("%s", got);
		EXPECT_NE(NULL, strstr(got,
			"nsgpuperf_cgroup_usage_available{gpu=\"0000:00:02.0\",scope=\"container\",reason=\"some clients report no usage\"} 0\n"))
			TH_LOG("%s", got);
		free(got);
	}
}

/* No GPU at all: a valid, empty exposition. */
TEST(empty)
{
	struct fix x;
	char *got;

	fixture(&x);
	got = render(OM_OPENMETRICS, &x, 0);
	EXPECT_STREQ("# EOF\n", got);
	free(got);
	got = render(OM_PROMETHEUS, &x, 0);
	EXPECT_STREQ("", got);
	free(got);
}

/* ---- --textfile ---------------------------------------------------- */

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/*
 * A reader in another process reads the file in a loop while it is
 * replaced hundreds of times by two expositions of different sizes: every
 * read is one of them, whole.
 */
TEST(textfile_atomic)
{
	char dir[] = "/tmp/ngp-textfile-XXXXXX", path[256];
	struct ngp_error e = { 0 };
	char *a, *b, *got;
	struct stat st;
	struct fix x;
	int i, status, pipefd[2];
	pid_t reader;

	fixture(&x);
	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nsgpuperf.prom", dir);
	a = render(OM_PROMETHEUS, &x, 2);
	b = render(OM_PROMETHEUS, &x, 1);
	ASSERT_EQ(0, om_write_textfile(dir, x.gp, x.sp, 2, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, pipe(pipefd));

	reader = fork();
	if (!reader) {
		int reads = 0, bad = 0;
		char c;

		close(pipefd[1]);
		fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
		/* until the writer closes the pipe */
		while (read(pipefd[0], &c, 1) < 0 && errno == EAGAIN) {
			char *s = slurp(path, NULL);

			if (!s || (strcmp(s, a) && strcmp(s, b))) {
				if (bad++ < 3)
					fprintf(stderr, "# reader saw %zu bytes: %.80s...\n",
						s ? strlen(s) : 0, s ? s : "(no file)");
			}
			free(s);
			reads++;
		}
		fprintf(stderr, "# reader: %d reads, %d not whole\n", reads, bad);
		_exit(bad ? 1 : reads < 10 ? 2 : 0);
	}
	close(pipefd[0]);
	for (i = 0; i < 400; i++) {
		ASSERT_EQ(0, om_write_textfile(dir, x.gp, x.sp, i % 2 ? 2 : 1, &e))
			TH_LOG("%s", e.msg);
	}
	close(pipefd[1]);
	ASSERT_EQ(reader, waitpid(reader, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("reader status 0x%x", status);

	got = slurp(path, NULL);
	EXPECT_STREQ(a, got);
	free(got);
	/* readable by a node_exporter of another user; no temporary left */
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0644, st.st_mode & 07777);
	EXPECT_EQ(1, count_entries(dir));
	EXPECT_TRUE(promtool_ok(_metadata, a));
	unlink(path);
	rmdir(dir);
	free(a);
	free(b);
}

/* Replacing means a new inode each time: never written in place. */
TEST(textfile_replaces_not_rewrites)
{
	char dir[] = "/tmp/ngp-textfile-XXXXXX", path[256];
	struct ngp_error e = { 0 };
	struct stat st1, st2;
	struct fix x;
	int fd;

	fixture(&x);
	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nsgpuperf.prom", dir);
	ASSERT_EQ(0, om_write_textfile(dir, x.gp, x.sp, 2, &e));
	/* a reader holding the old file keeps the old, whole content */
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st1));
	ASSERT_EQ(0, om_write_textfile(dir, x.gp, x.sp, 1, &e));
	ASSERT_EQ(0, stat(path, &st2));
	EXPECT_NE(st1.st_ino, st2.st_ino);
	EXPECT_NE(st1.st_size, st2.st_size);
	close(fd);
	unlink(path);
	rmdir(dir);
}

TEST(textfile_errors)
{
	char dir[] = "/tmp/ngp-textfile-XXXXXX", file[256], sub[256];
	struct ngp_error e = { 0 };
	struct fix x;
	int status;
	pid_t pid;

	fixture(&x);
	ASSERT_NE(NULL, mkdtemp(dir));

	snprintf(sub, sizeof(sub), "%s/missing", dir);
	EXPECT_EQ(-ENOENT, om_write_textfile(sub, x.gp, x.sp, 1, &e));
	EXPECT_NE(NULL, strstr(e.msg, "create it")) TH_LOG("%s", e.msg);
	EXPECT_NE(NULL, strstr(e.msg, sub)) TH_LOG("%s", e.msg);
	EXPECT_EQ(NGP_EXIT_FAILURE, e.exit);

	snprintf(file, sizeof(file), "%s/file", dir);
	ASSERT_EQ(0, spit(file, "x"));
	EXPECT_EQ(-ENOTDIR, om_write_textfile(file, x.gp, x.sp, 1, &e));
	EXPECT_NE(NULL, strstr(e.msg, "takes a directory")) TH_LOG("%s", e.msg);

	/* not writable: as nobody in a directory of root's (0755) */
	snprintf(sub, sizeof(sub), "%s/ro", dir);
	ASSERT_EQ(0, mkdir(sub, 0755));
	ASSERT_EQ(0, chmod(dir, 0755));
	pid = fork();
	if (!pid) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(3);
		if (om_write_textfile(sub, x.gp, x.sp, 1, &e) != -EACCES)
			_exit(1);
		fprintf(stderr, "# %s\n", e.msg);
		_exit(strstr(e.msg, "may write there") && strstr(e.msg, sub) ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("as nobody: %d", WEXITSTATUS(status));
	EXPECT_EQ(0, count_entries(sub));

	unlink(file);
	rmdir(sub);
	rmdir(dir);
}

/* ---- --listen ------------------------------------------------------ */

TEST(listen_syntax)
{
	static const struct {
		const char *spec;
		int family;	/* 0: any; -1: an error */
		unsigned int port;
		const char *addr, *msg;
	} cases[] = {
		{ "127.0.0.1:9101", AF_INET, 9101, "127.0.0.1", NULL },
		{ "0.0.0.0:80", AF_INET, 80, "0.0.0.0", NULL },
		{ "[::1]:9101", AF_INET6, 9101, "::1", NULL },
		{ "[::]:9101", AF_INET6, 9101, "::", NULL },
		{ "[fe80::1]:1", AF_INET6, 1, "fe80::1", NULL },
		{ ":9101", 0, 9101, NULL, NULL },
		{ ":0", 0, 0, NULL, NULL },
		{ "9101", -1, 0, NULL, "no port" },
		{ "localhost:9101", -1, 0, NULL, "host names are not looked up" },
		{ "::1:9101", -1, 0, NULL, "IPv6 address goes in brackets" },
		{ "[::1]9101", -1, 0, NULL, "give ADDR:PORT" },
		{ "[::1:9101", -1, 0, NULL, "give ADDR:PORT" },
		{ "[127.0.0.1]:9101", -1, 0, NULL, "not an IPv6 address" },
		{ "127.0.0.1:", -1, 0, NULL, "port is a number" },
		{ "127.0.0.1:65536", -1, 0, NULL, "port is a number" },
		{ "127.0.0.1:+1", -1, 0, NULL, "port is a number" },
		{ "127.0.0.1:9101x", -1, 0, NULL, "port is a number" },
		{ "", -1, 0, NULL, "give ADDR:PORT" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ngp_error e = { 0 };
		struct om_listen l;
		char host[64] = "";
		int ret = om_parse_listen(cases[i].spec, &l, &e);

		if (cases[i].family < 0) {
			EXPECT_EQ(-EINVAL, ret) TH_LOG("%s was taken", cases[i].spec);
			EXPECT_EQ(NGP_EXIT_USAGE, e.exit);
			EXPECT_NE(NULL, strstr(e.msg, cases[i].msg))
				TH_LOG("%s: %s", cases[i].spec, e.msg);
			EXPECT_NE(NULL, strstr(e.msg, "127.0.0.1:9101, [::1]:9101, or :9101"))
				TH_LOG("%s: %s", cases[i].spec, e.msg);
			continue;
		}
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", cases[i].spec, e.msg);
		EXPECT_EQ(cases[i].family == 0, l.any) TH_LOG("%s", cases[i].spec);
		if (cases[i].family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&l.addr;

			EXPECT_EQ(AF_INET, a->sin_family);
			EXPECT_EQ(cases[i].port, ntohs(a->sin_port));
			inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		} else if (cases[i].family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&l.addr;

			EXPECT_EQ(AF_INET6, a->sin6_family);
			EXPECT_EQ(cases[i].port, ntohs(a->sin6_port));
			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		}
		if (cases[i].addr)
			EXPECT_STREQ(cases[i].addr, host) TH_LOG("%s", cases[i].spec);
	}
}

TEST(negotiate)
{
	static const struct {
		const char *accept;
		enum om_format want;
	} cases[] = {
		/* Prometheus 2.x's scrape */
		{ PROMETHEUS_ACCEPT, OM_OPENMETRICS },
		/* Prometheus 3.x's default scrape protocols */
		{ "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
		  "application/openmetrics-text;version=0.0.1;q=0.4,"
		  "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
		  "text/plain;version=0.0.4;q=0.2,*/*;q=0.1", OM_OPENMETRICS },
		/* Prometheus with scrape_protocols: [PrometheusText0.0.4] */
		{ "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", OM_PROMETHEUS },
		{ "application/openmetrics-text; version=1.0.0; charset=utf-8", OM_OPENMETRICS },
		{ "Application/OpenMetrics-Text", OM_OPENMETRICS },
		{ "text/plain, application/openmetrics-text;q=0.9", OM_PROMETHEUS },
		{ "application/openmetrics-text;q=0", OM_PROMETHEUS },
		{ "*/*", OM_PROMETHEUS },		/* curl */
		{ "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", OM_PROMETHEUS },
		{ "", OM_PROMETHEUS },
		{ NULL, OM_PROMETHEUS },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		EXPECT_EQ(cases[i].want, om_negotiate(cases[i].accept))
			TH_LOG("Accept: %s", cases[i].accept ?: "(none)");
}

/* ---- the HTTP server ----------------------------------------------- */

struct http_reply {
	int status;
	char content_type[128];
	long content_length;
	char *body;		/* after the headers (free it) */
};

/* One HTTP/1.1 request over a fresh connection to addr. */
static int http_get(int family, const char *addr, unsigned int port,
		    const char *method, const char *path, const char *accept,
		    struct http_reply *r)
{
	struct sockaddr_storage sa = { 0 };
	char req[1024], *buf = NULL, *hdr_end, *p;
	size_t len = 0, cap = 0;
	socklen_t sl;
	ssize_t n;
	int fd;

	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&sa;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, addr, &a->sin_addr);
		sl = sizeof(*a);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sl)) {
		n = -errno;
		close(fd);
		return n;
	}
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: test\r\n%s%s%sConnection: close\r\n\r\n",
		     method, path, accept ? "Accept: " : "", accept ?: "", accept ? "\r\n" : "");
	if (write(fd, req, n) != n) {
		close(fd);
		return -EIO;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap += 65536;
			buf = realloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	if (sscanf(buf, "HTTP/1.1 %d", &r->status) != 1) {
		free(buf);
		return -EPROTO;
	}
	hdr_end = strstr(buf, "\r\n\r\n");
	if (!hdr_end) {
		free(buf);
		return -EPROTO;
	}
	*hdr_end = '\0';
	for (p = strstr(buf, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		if (!strncasecmp(p + 2, "Content-Type: ", 14))
			snprintf(r->content_type, sizeof(r->content_type), "%.*s",
				 (int)strcspn(p + 16, "\r"), p + 16);
		if (!strncasecmp(p + 2, "Content-Length: ", 16))
			r->content_length = strtol(p + 18, NULL, 10);
	}
	r->body = strdup(hdr_end + 4);
	free(buf);
	return 0;
}

FIXTURE(http) {
	struct fix x;
	struct om_http *h;
	unsigned int port;
};

static void http_up(struct __test_metadata *_metadata, FIXTURE_DATA(http) *self,
		    const char *spec)
{
	struct ngp_error e = { 0 };
	struct om_listen l;
	int fd;

	ASSERT_EQ(0, om_parse_listen(spec, &l, &e)) TH_LOG("%s", e.msg);
	fd = om_listen_socket(&l, &e);
	ASSERT_LE(0, fd) TH_LOG("%s", e.msg);
	self->port = om_socket_port(fd);
	ASSERT_NE(0, self->port);
	self->h = om_http_start(fd, &e);
	ASSERT_NE(NULL, self->h) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, om_http_publish(self->h, self->x.gp, self->x.sp, 2));
}

FIXTURE_SETUP(http)
{
	fixture(&self->x);
	self->h = NULL;
}

FIXTURE_TEARDOWN(http)
{
	om_http_stop(self->h);
}

/* Scraped as Prometheus scrapes, and as curl does. */
TEST_F(http, scrape_ipv4)
{
	char *om = render(OM_OPENMETRICS, &self->x, 2);
	char *prom = render(OM_PROMETHEUS, &self->x, 2);
	struct http_reply r;

	http_up(_metadata, self, "127.0.0.1:0");
	ASSERT_EQ(0, http_get(AF_INET, "127.0.0.1", self->port, "GET", "/metrics",
			      PROMETHEUS_ACCEPT, &r));
	EXPECT_EQ(200, r.status);
	EXPECT_STREQ(OM_CONTENT_TYPE_OPENMETRICS, r.content_type);
	EXPECT_STREQ(om, r.body);
	EXPECT_EQ((long)strlen(om), r.content_length);
	free(r.body);

	ASSERT_EQ(0, http_get(AF_INET, "127.0.0.1", self->port, "GET", "/metrics", NULL, &r));
	EXPECT_EQ(200, r.status);
	EXPECT_STREQ(OM_CONTENT_TYPE_PROMETHEUS, r.content_type);
	EXPECT_STREQ(prom, r.body);
	EXPECT_TRUE(promtool_ok(_metadata, r.body));
	free(r.body);

	ASSERT_EQ(0, http_get(AF_INET, "127.0.0.1", self->port, "GET", "/metrics", "*/*", &r));
	EXPECT_STREQ(OM_CONTENT_TYPE_PROMETHEUS, r.content_type);
	free(r.body);

	/* HEAD: the headers alone */
	ASSERT_EQ(0, http_get(AF_INET, "127.0.0.1", self->port, "HEAD", "/metrics", NULL, &r));
	EXPECT_EQ(200, r.status);
	EXPECT_STREQ(OM_CONTENT_TYPE_PROMETHEUS, r.content_type);
	EXPECT_STREQ("", r.body);
	free(r.body);

	ASSERT_EQ(0, http_get(AF_INET, "127.0.0.1", self->port, "GET", "/", NULL, &r));
	EXPECT_EQ(200, r.status);
	EXPECT_NE(NULL, strstr(r.body, "href=\"/metrics\""));
	free(r.body);

	ASSERT_EQ(0, http_get(AF_INET, "127.0.0.1", self->port, "GET", "/metric", NULL, &r));
	EXPECT_EQ(404, r.status);
	free(r.body);

	ASSERT_EQ(0, http_get(AF_INET, "127.0.0.1", self->port, "POST", "/metrics", NULL, &r));
	EXPECT_EQ(405, r.status);
	free(r.body);
	free(om);
	free(prom);
}

/* A scrape after a publish sees the new exposition. */
TEST_F(http, publish_replaces)
{
	char *one;
	struct http_reply r;

	http_up(_metadata, self, "127.0.0.1:0");
	ASSERT_EQ(0, om_http_publish(self->h, self->x.gp, self->x.sp, 1));
	one = render(OM_PROMETHEUS, &self->x, 1);
	ASSERT_EQ(0, http_get(AF_INET, "127.0.0.1", self->port, "GET", "/metrics", NULL, &r));
	EXPECT_STREQ(one, r.body);
	free(r.body);
	free(one);
}

TEST_F(http, scrape_ipv6)
{
	char *om = render(OM_OPENMETRICS, &self->x, 2);
	struct http_reply r;

	http_up(_metadata, self, "[::1]:0");
	ASSERT_EQ(0, http_get(AF_INET6, "::1", self->port, "GET", "/metrics",
			      PROMETHEUS_ACCEPT, &r));
	EXPECT_EQ(200, r.status);
	EXPECT_STREQ(om, r.body);
	free(r.body);
	/* bound to ::1 alone */
	EXPECT_EQ(-ECONNREFUSED, http_get(AF_INET, "127.0.0.1", self->port, "GET",
					  "/metrics", NULL, &r));
	free(om);
}

/* ":PORT" is every address, IPv4 and IPv6. */
TEST_F(http, scrape_any)
{
	struct http_reply r;

	http_up(_metadata, self, ":0");
	ASSERT_EQ(0, http_get(AF_INET, "127.0.0.1", self->port, "GET", "/metrics", NULL, &r));
	EXPECT_EQ(200, r.status);
	free(r.body);
	ASSERT_EQ(0, http_get(AF_INET6, "::1", self->port, "GET", "/metrics", NULL, &r));
	EXPECT_EQ(200, r.status);
	free(r.body);
}

TEST_F(http, address_in_use)
{
	struct ngp_error e = { 0 };
	struct om_listen l;
	char spec[64];

	http_up(_metadata, self, "127.0.0.1:0");
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", self->port);
	ASSERT_EQ(0, om_parse_listen(spec, &l, &e));
	EXPECT_EQ(-EADDRINUSE, om_listen_socket(&l, &e));
	EXPECT_NE(NULL, strstr(e.msg, "already in use")) TH_LOG("%s", e.msg);
	EXPECT_NE(NULL, strstr(e.msg, "choose another port")) TH_LOG("%s", e.msg);
	EXPECT_NE(NULL, strstr(e.msg, spec)) TH_LOG("%s", e.msg);
	/* every address includes 127.0.0.1 */
	snprintf(spec, sizeof(spec), ":%u", self->port);
	ASSERT_EQ(0, om_parse_listen(spec, &l, &e));
	EXPECT_EQ(-EADDRINUSE, om_listen_socket(&l, &e));
}

TEST(address_not_here)
{
	struct ngp_error e = { 0 };
	struct om_listen l;

	/* TEST-NET-1: on no interface of this machine */
	ASSERT_EQ(0, om_parse_listen("192.0.2.1:9101", &l, &e));
	EXPECT_EQ(-EADDRNOTAVAIL, om_listen_socket(&l, &e));
	EXPECT_NE(NULL, strstr(e.msg, "no such address here")) TH_LOG("%s", e.msg);
}

TEST_HARNESS_MAIN
