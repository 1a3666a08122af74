// SPDX-License-Identifier: GPL-2.0
/*
 * The nsgpuperf reader's metrics, as root of a container: a user
 * namespace mapped 0 -> 100000 (no host capability), the nsgpuperf node
 * owned by 100000, its own cgroup (/sys/fs/cgroup/ct-exp) as the root of
 * its cgroup namespace, as LXC starts one.
 *
 * `nsgpuperf exporter --listen 127.0.0.1:PORT` is scraped over HTTP on the
 * VM's loopback: with Prometheus's Accept header (OpenMetrics, "# EOF")
 * and without (Prometheus text, which /tests/promtool, Debian's, checks
 * here in the VM).  Both GPUs are exported, each with its own driven
 * values: the counters' increase between scrapes, divided by the
 * counters' own clock (nsgpuperf_enabled_seconds_total), is the driven
 * rate within igt_top.h's tolerance, undriven ones exactly 0; the
 * frequency gauges are the driven MHz in hertz.  The container's own
 * usage per class is exactly the busy time its DRM clients added (a
 * client in a sibling cgroup adds more, which must not show), and grows
 * by exactly what a client started between two scrapes adds.
 *
 * `nsgpuperf --openmetrics -n 2` prints two OpenMetrics expositions and
 * exits 0; `nsgpuperf --textfile DIR -n 2` leaves DIR/nsgpuperf.prom, mode
 * 0644, that promtool accepts, and nothing else.  A second exporter on
 * the same port fails saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "igt_top.h"
#include "mock_i915_uapi.h"
#include "nsgp_test.h"
#include "nsgp_usage.h"

#define NGP_BIN		"/tests/nsgpuperf"
#define PROMTOOL	"/tests/promtool"
#define CT_NODE		"/tmp/ct-nsgpuperf-exp"
#define CT_CG		CG "/ct-exp"
#define CT_APP		CT_CG "/app"
#define SIB_CG		CG "/sib-exp"
#define PORT		9101
#define PERIOD		"200"		/* ms */
#define SCRAPES		6		/* the first is not a rate */
#define GAP_US		700000		/* between scrapes: several periods */
#define TEXTFILE_DIR	"/tmp/ngp-textfile"

#define PROM_ACCEPT \
	"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
#define CT_OPENMETRICS	"application/openmetrics-text; version=1.0.0; charset=utf-8"
#define CT_PROMETHEUS	"text/plain; version=0.0.4; charset=utf-8"


/* Busy time (ns) the DRM clients add: exact in binary, as seconds. */
#define CT_GPU1_RENDER	2000000000ull	/* 2 s */
#define CT_GPU1_VIDEO	500000000ull	/* 0.5 s */
#define CT_GPU1_MORE	750000000ull	/* 0.75 s, between scrapes */
#define CT_GPU0_RENDER	1250000000ull	/* 1.25 s */
#define SIB_RENDER	7000000000ull	/* the sibling's: must not show */
#define SIB_VIDEO	3000000000ull

/* ---- running nsgpuperf as container root --------------------------------- */

struct ct_run {
	pid_t pid;		/* userns-exec, leader of its process group */
	char out[64], err[64];	/* files with its stdout, stderr */
};

/*
 * Start nsgpuperf with args as root of a container rooted at CT_CG.
 * userns-exec ignores SIGTERM and returns the tool's exit status; the
 * tool waits for SIGTERM with it blocked, which keeps it pending though
 * its action is inherited as "ignore".
 */
static int ct_start(struct ct_run *r, const char *const *args)
{
	static int seq;
	const char *argv[32] = { USERNS_EXEC, "--cgroupns", CT_MAP, NGP_BIN };
	int i = 4;

	while (*args && i < 31)
		argv[i++] = *args++;
	argv[i] = NULL;
	snprintf(r->out, sizeof(r->out), "/tmp/exp-%d-%d.out", getpid(), seq);
	snprintf(r->err, sizeof(r->err), "/tmp/exp-%d-%d.err", getpid(), seq++);
	fflush(NULL);
	r->pid = fork();
	if (r->pid < 0)
		return -errno;
	if (!r->pid) {
		int o = open(r->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int e = open(r->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		setpgid(0, 0);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || cg_enter(CT_CG))
			_exit(126);
		signal(SIGTERM, SIG_IGN);
		setenv("NSGPUPERF_DEVICE", CT_NODE, 1);
		execv(argv[0], (char **)argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return 0;
}

/* A file's content, in a buffer the next call reuses: for a look. */
static char *peek(const char *path)
{
	static char buf[256 * 1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, len = 0;

	buf[0] = '\0';
	if (fd < 0)
		return buf;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* A file's content to keep (free it). */
static char *slurp(const char *path)
{
	return strdup(peek(path));
}

/* Wait for the process to end (SIGKILL after timeout_s); its wait status. */
static int ct_wait(struct ct_run *r, int timeout_s)
{
	int st, i;

	for (i = 0; i < timeout_s * 10; i++) {
		if (waitpid(r->pid, &st, WNOHANG) == r->pid)
			return st;
		usleep(100000);
	}
	kill(-r->pid, SIGKILL);
	waitpid(r->pid, &st, 0);
	return -1;
}

/* Wait until stderr has the line, or the process ended; true if it has. */
static bool ct_wait_for(struct ct_run *r, const char *what, int timeout_s)
{
	int i, st;

	for (i = 0; i < timeout_s * 10; i++) {
		if (strstr(peek(r->err), what))
			return true;
		if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
			r->pid = -1;
			return strstr(peek(r->err), what);
		}
		usleep(100000);
	}
	return false;
}

static void ct_cleanup(struct ct_run *r)
{
	if (r->pid > 0) {
		kill(-r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	unlink(r->out);
	unlink(r->err);
}

/* ---- HTTP --------------------------------------------------------------- */

struct scrape {
	int status;
	char type[128];
	char *body;		/* malloc'ed */
	double t;		/* when (CLOCK_MONOTONIC) */
};

static int http_get(const char *accept, struct scrape *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	size_t len = 0, cap = 256 * 1024;
	char req[512], *buf, *hdr, *p;
	struct timespec ts;
	ssize_t n;
	int fd;

	memset(s, 0, sizeof(*s));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		n = -errno;
		if (fd >= 0)
			close(fd);
		return n;
	}
	n = snprintf(req, sizeof(req),
		     "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%sConnection: close\r\n\r\n",
		     accept ? "Accept: " : "", accept ?: "", accept ? "\r\n" : "");
	buf = malloc(cap);
	if (!buf || write(fd, req, n) != n) {
		free(buf);
		close(fd);
		return -EIO;
	}
	while ((n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->t = ts.tv_sec + ts.tv_nsec / 1e9;
	hdr = strstr(buf, "\r\n\r\n");
	if (sscanf(buf, "HTTP/1.1 %d", &s->status) != 1 || !hdr) {
		free(buf);
		return -EPROTO;
	}
	*hdr = '\0';
	for (p = strstr(buf, "\r\n"); p; p = strstr(p + 2, "\r\n"))
		if (!strncasecmp(p + 2, "Content-Type: ", 14))
			snprintf(s->type, sizeof(s->type), "%.*s",
				 (int)strcspn(p + 16, "\r"), p + 16);
	s->body = strdup(hdr + 4);
	free(buf);
	return s->body ? 0 : -ENOMEM;
}

/* The value of the series (name{labels} exactly as printed), NAN if none. */
static double series(const char *body, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return NAN;
}

static double gpu_series(const char *body, const char *metric, const char *gpu,
			 const char *more)
{
	char name[256];

	snprintf(name, sizeof(name), "%s{gpu=\"%s\"%s}", metric, gpu, more ?: "");
	return series(body, name);
}

static double engine_series(const char *body, const char *sampler, const char *gpu,
			    const char *engine, const char *class)
{
	char name[256], more[96];

	snprintf(name, sizeof(name), "nsgpuperf_engine_%s_seconds_total", sampler);
	snprintf(more, sizeof(more), ",engine=\"%s\",class=\"%s\"", engine, class);
	return gpu_series(body, name, gpu, more);
}

static double usage_series(const char *body, const char *gpu, const char *class)
{
	char more[96];

	snprintf(more, sizeof(more), ",class=\"%s\",scope=\"container\"", class);
	return gpu_series(body, "nsgpuperf_cgroup_busy_seconds_total", gpu, more);
}

/* The GPU's info line: a name (pci.ids), its driver, PMU and render node. */
static bool info_line(const char *body, const char *gpu, const char *pmu,
		      const char *node)
{
	char head[96], tail[160];
	const char *p, *end;

	snprintf(head, sizeof(head), "nsgpuperf_gpu_info{gpu=\"%s\",name=\"", gpu);
	snprintf(tail, sizeof(tail), "\",driver=\"i915\",pmu=\"%s\",render_node=\"%s\"} 1\n",
		 pmu, node);
	p = strstr(body, head);
	if (!p)
		return false;
	end = strchr(p, '\n');
	p += strlen(head);
	/* a non-empty name, then the rest exactly */
	return end && strlen(tail) < (size_t)(end + 1 - p) &&
	       !strncmp(end + 1 - strlen(tail), tail, strlen(tail));
}

/* Run promtool check metrics on text: its exit status, output logged. */
static int promtool_check(struct __test_metadata *_metadata, const char *text)
{
	const char *in = "/tmp/exp-scrape.prom", *out = "/tmp/exp-promtool.out";
	bool said;
	int fd, st;
	pid_t pid;

	fd = open(in, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(fd);
	fflush(NULL);
	pid = fork();
	if (!pid) {
		int i = open(in, O_RDONLY), o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (i < 0 || o < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(o, 2) < 0)
			_exit(126);
		execl(PROMTOOL, PROMTOOL, "check", "metrics", NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	said = *peek(out);
	if (st || said)
		TH_LOG("promtool check metrics: status 0x%x: %s", st, peek(out));
	unlink(in);
	unlink(out);
	return said ? -1 : st;
}

/* Every "name{labels}" of an exposition, values and comments left out. */
static char *series_set(const char *body)
{
	char *set = calloc(1, strlen(body) + 1), *w = set;
	const char *p, *sp;

	for (p = body; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		size_t n = strcspn(p, "\n");

		if (*p == '#' || !n)
			continue;
		sp = memchr(p, ' ', n);
		/* the last space: label values may hold spaces */
		while (sp && memchr(sp + 1, ' ', n - (sp + 1 - p)))
			sp = memchr(sp + 1, ' ', n - (sp + 1 - p));
		memcpy(w, p, sp ? (size_t)(sp - p) : n);
		w += sp ? (size_t)(sp - p) : n;
		*w++ = '\n';
	}
	return set;
}

/* lo up: 127.0.0.1 and ::1 come with it. */
static int loopback_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr))
		ret = -errno;
	close(fd);
	return ret;
}

/* ---- the suite ------------------------------------------------------------ */

FIXTURE(exporter) {
	char node0[64], node1[64];
	struct client ct1, ct0, sib, more;
	struct ct_run run;
};

FIXTURE_SETUP(exporter)
{
	int fd;

	memset(&self->run, 0, sizeof(self->run));
	self->ct1.pid = self->ct0.pid = self->sib.pid = self->more.pid = -1;
	ASSERT_EQ(0, access(NGP_BIN, X_OK)) TH_LOG("%s missing in the VM", NGP_BIN);
	ASSERT_EQ(0, access(USERNS_EXEC, X_OK));
	ASSERT_EQ(0, loopback_up());
	ASSERT_EQ(0, drive_gpus());
	unlink(CT_NODE);
	ASSERT_EQ(0, nsgp_mknod(CT_NODE, CT_UID, CT_UID, 0600));
	mkdir(CT_CG, 0755);
	mkdir(CT_APP, 0755);
	mkdir(SIB_CG, 0755);

	fd = nsgp_open(NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, render_node(fd, GPU0_PCI, self->node0, sizeof(self->node0)));
	ASSERT_EQ(0, render_node(fd, GPU1_PCI, self->node1, sizeof(self->node1)));
	close(fd);
}

FIXTURE_TEARDOWN(exporter)
{
	ct_cleanup(&self->run);
	stop_client(&self->ct1);
	stop_client(&self->ct0);
	stop_client(&self->sib);
	stop_client(&self->more);
	mock_still(GPU0_PCI);
	mock_still(GPU1_PCI);
	mock_still(OTHER_PCI);
	unlink(CT_NODE);
	rmdir(CT_APP);
	rmdir(CT_CG);
	rmdir(SIB_CG);
}

/* The container's and a sibling's DRM clients, before anything reads. */
static void start_clients(struct __test_metadata *_metadata,
			  FIXTURE_DATA(exporter) *self)
{
	self->ct1 = start_client(CT_APP, self->node1, CT_GPU1_RENDER, CT_GPU1_VIDEO);
	self->ct0 = start_client(CT_APP, self->node0, CT_GPU0_RENDER, 0);
	self->sib = start_client(SIB_CG, self->node1, SIB_RENDER, SIB_VIDEO);
	ASSERT_LT(0, self->ct1.pid);
	ASSERT_LT(0, self->ct0.pid);
	ASSERT_LT(0, self->sib.pid);
}

/*
 * What one GPU's scrapes show against what it is driven to: counters'
 * increase over the counters' own clock, gauges as they are.  The number
 * of failed checks.
 */
static int check_rates(struct scrape *s, int n, const char *gpu,
		       const struct mock_drive *d)
{
	static const struct {
		const char *sampler, *engine, *class;
		int what;	/* index into the driven values below, -1: 0 */
	} eng[] = {
		{ "busy", "rcs0", "render", 0 }, { "wait", "rcs0", "render", -1 },
		{ "sema", "rcs0", "render", -1 }, { "busy", "bcs0", "copy", -1 },
		{ "wait", "bcs0", "copy", 1 }, { "busy", "vcs0", "video", -1 },
		{ "busy", "vcs1", "video", 2 }, { "sema", "vcs1", "video", -1 },
		{ "sema", "vecs0", "video-enhance", 3 }, { "busy", "vecs0", "video-enhance", -1 },
	};
	const double driven[] = { d->rcs0_busy, d->bcs0_wait, d->vcs1_busy, d->vecs0_sema };
	double v[SCRAPES], prev[SCRAPES], en[SCRAPES];
	char what[128];
	unsigned int e;
	int i, fails = 0;

	for (i = 0; i < n; i++)
		en[i] = gpu_series(s[i].body, "nsgpuperf_enabled_seconds_total", gpu, NULL);

#define RATE(expr, scale, wantv, label) do {					\
		for (i = 0; i < n; i++)						\
			prev[i] = (expr);					\
		for (v[0] = 0, i = 1; i < n; i++)				\
			v[i] = (prev[i] - prev[i - 1]) / (en[i] - en[i - 1]) * (scale); \
		snprintf(what, sizeof(what), "%s %s", gpu, label);		\
		fails += !top_within(what, v, n, wantv);			\
	} while (0)

	RATE(gpu_series(s[i].body, "nsgpuperf_rc6_residency_seconds_total", gpu, NULL),
	     100, d->rc6_pct, "rc6 %");
	RATE(gpu_series(s[i].body, "nsgpuperf_interrupts_total", gpu, NULL),
	     1, d->irq_per_s, "interrupts/s");
	for (e = 0; e < sizeof(eng) / sizeof(eng[0]); e++) {
		char label[64];

		snprintf(label, sizeof(label), "%s %s %%", eng[e].engine, eng[e].sampler);
		RATE(engine_series(s[i].body, eng[e].sampler, gpu, eng[e].engine, eng[e].class),
		     100, eng[e].what < 0 ? 0 : driven[eng[e].what], label);
	}
#undef RATE
	for (i = 0; i < n; i++)
		v[i] = gpu_series(s[i].body, "nsgpuperf_frequency_actual_hertz", gpu, NULL) / 1e6;
	snprintf(what, sizeof(what), "%s actual MHz", gpu);
	fails += !top_within(what, v, n, d->act_mhz);
	for (i = 0; i < n; i++)
		v[i] = gpu_series(s[i].body, "nsgpuperf_frequency_requested_hertz", gpu, NULL) / 1e6;
	snprintf(what, sizeof(what), "%s requested MHz", gpu);
	fails += !top_within(what, v, n, d->req_mhz);
	/* the counters' clock is in seconds: about the scrapes' interval */
	if (!(en[n - 1] - en[0] <= s[n - 1].t - s[0].t + 1.5 &&
	      en[n - 1] - en[0] >= s[n - 1].t - s[0].t - 1.5)) {
		fprintf(stderr, "# unexpected: %s enabled clock %f s over %f s of scrapes\n",
			gpu, en[n - 1] - en[0], s[n - 1].t - s[0].t);
		fails++;
	}
	return fails;
}

TEST_F_TIMEOUT(exporter, scrape, 300)
{
	const char *args[] = { "exporter", "--listen", "127.0.0.1:9101", "-s", PERIOD, NULL };
	struct scrape s[SCRAPES], om, last;
	char *a, *b;
	int i, st;

	start_clients(_metadata, self);
	ASSERT_EQ(0, ct_start(&self->run, args));
	ASSERT_TRUE(ct_wait_for(&self->run, "serving http://127.0.0.1:9101/metrics", 60))
		TH_LOG("stderr: %s", peek(self->run.err));
	TH_LOG("%s", peek(self->run.err));

	for (i = 0; i < SCRAPES; i++) {
		if (i)
			usleep(GAP_US);
		ASSERT_EQ(0, http_get(NULL, &s[i]));
		ASSERT_EQ(200, s[i].status);
		EXPECT_STREQ(CT_PROMETHEUS, s[i].type);
	}
	TH_LOG("a scrape (Prometheus text):\n%s", s[SCRAPES - 1].body);
	EXPECT_EQ(0, check_rates(s, SCRAPES, GPU1_PCI, &mock_want));
	EXPECT_EQ(0, check_rates(s, SCRAPES, GPU0_PCI, &mock_decoy));
	EXPECT_EQ(0, promtool_check(_metadata, s[SCRAPES - 1].body));

	/* both GPUs, as the container sees them; never the non-Intel one */
	EXPECT_TRUE(info_line(s[0].body, GPU1_PCI, "i915_0000_00_05.0", self->node1))
		TH_LOG("%s", s[0].body);
	EXPECT_TRUE(info_line(s[0].body, GPU0_PCI, "i915", self->node0))
		TH_LOG("%s", s[0].body);
	EXPECT_EQ(NULL, strstr(s[0].body, OTHER_PCI));

	/* the container's usage: its own clients' busy time, exactly */
	for (i = 0; i < SCRAPES; i++) {
		EXPECT_EQ(CT_GPU1_RENDER / 1e9, usage_series(s[i].body, GPU1_PCI, "render"));
		EXPECT_EQ(CT_GPU1_VIDEO / 1e9, usage_series(s[i].body, GPU1_PCI, "video"));
		EXPECT_EQ(CT_GPU0_RENDER / 1e9, usage_series(s[i].body, GPU0_PCI, "render"));
		EXPECT_EQ(0, usage_series(s[i].body, GPU0_PCI, "video"));
		EXPECT_EQ(1, gpu_series(s[i].body, "nsgpuperf_cgroup_usage_available",
					GPU1_PCI, ",scope=\"container\""));
		EXPECT_EQ(1, gpu_series(s[i].body, "nsgpuperf_cgroup_clients",
					GPU1_PCI, ",scope=\"container\""));
	}

	/* a client started between two scrapes: the total grows by its busy */
	self->more = start_client(CT_APP, self->node1, CT_GPU1_MORE, 0);
	ASSERT_LT(0, self->more.pid);
	usleep(GAP_US);
	ASSERT_EQ(0, http_get(NULL, &last));
	EXPECT_EQ((CT_GPU1_RENDER + CT_GPU1_MORE) / 1e9, usage_series(last.body, GPU1_PCI, "render"))
		TH_LOG("%s", last.body);
	EXPECT_EQ(2, gpu_series(last.body, "nsgpuperf_cgroup_clients", GPU1_PCI,
				",scope=\"container\""));
	EXPECT_EQ(CT_GPU0_RENDER / 1e9, usage_series(last.body, GPU0_PCI, "render"));

	/* as Prometheus asks: OpenMetrics, the same series */
	ASSERT_EQ(0, http_get(PROM_ACCEPT, &om));
	EXPECT_EQ(200, om.status);
	EXPECT_STREQ(CT_OPENMETRICS, om.type);
	EXPECT_NE(NULL, strstr(om.body, "# TYPE nsgpuperf_engine_busy_seconds counter\n"
			       "# UNIT nsgpuperf_engine_busy_seconds seconds\n"));
	EXPECT_NE(NULL, strstr(om.body, "# TYPE nsgpuperf_gpu info\n"));
	ASSERT_GT(strlen(om.body), 6);
	EXPECT_STREQ("# EOF\n", om.body + strlen(om.body) - 6);
	a = series_set(om.body);
	b = series_set(last.body);
	EXPECT_STREQ(b, a);
	TH_LOG("a scrape (OpenMetrics):\n%s", om.body);
	free(a);
	free(b);

	/* SIGTERM: a clean exit 0 */
	kill(-self->run.pid, SIGTERM);
	st = ct_wait(&self->run, 30);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("status 0x%x: %s", st, peek(self->run.err));
	self->run.pid = -1;

	for (i = 0; i < SCRAPES; i++)
		free(s[i].body);
	free(last.body);
	free(om.body);
}

/* A second exporter on a taken port: a message that says so, exit 1. */
TEST_F_TIMEOUT(exporter, address_in_use, 120)
{
	const char *args[] = { "exporter", "--listen", "127.0.0.1:9101", "-s", PERIOD, NULL };
	const char *bad[] = { "exporter", "--listen", "localhost:9101", NULL };
	struct ct_run second = { 0 };
	int st;

	ASSERT_EQ(0, ct_start(&self->run, args));
	ASSERT_TRUE(ct_wait_for(&self->run, "serving", 60)) TH_LOG("%s", peek(self->run.err));
	ASSERT_EQ(0, ct_start(&second, args));
	st = ct_wait(&second, 60);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 1) TH_LOG("status 0x%x", st);
	EXPECT_NE(NULL, strstr(peek(second.err), "127.0.0.1:9101: address already in use"))
		TH_LOG("%s", peek(second.err));
	second.pid = -1;
	ct_cleanup(&second);

	ASSERT_EQ(0, ct_start(&second, bad));
	st = ct_wait(&second, 60);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 2) TH_LOG("status 0x%x", st);
	EXPECT_NE(NULL, strstr(peek(second.err), "host names are not looked up"))
		TH_LOG("%s", peek(second.err));
	second.pid = -1;
	ct_cleanup(&second);
}

/* --openmetrics -n 2: two expositions on stdout, each ending in # EOF. */
TEST_F_TIMEOUT(exporter, openmetrics_stdout, 120)
{
	const char *args[] = { "--openmetrics", "-n", "2", "-s", PERIOD, "-d", GPU1_PCI, NULL };
	const char *second;
	char *out;
	int st;

	start_clients(_metadata, self);
	ASSERT_EQ(0, ct_start(&self->run, args));
	st = ct_wait(&self->run, 60);
	out = slurp(self->run.out);
	TH_LOG("stdout:\n%s\nstderr: %s", out, peek(self->run.err));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status 0x%x", st);
	self->run.pid = -1;
	second = strstr(out, "# EOF\n");
	ASSERT_NE(NULL, second);
	second += 6;
	EXPECT_NE(NULL, strstr(second, "# EOF\n"));
	EXPECT_STREQ("", strstr(second, "# EOF\n") ? strstr(second, "# EOF\n") + 6 : "x");
	/* the second covers one period: gauges are the driven frequency */
	EXPECT_TRUE(fabs(gpu_series(second, "nsgpuperf_frequency_actual_hertz", GPU1_PCI, NULL) -
			 mock_want.act_mhz * 1e6) <= 0.10 * mock_want.act_mhz * 1e6);
	EXPECT_EQ(CT_GPU1_RENDER / 1e9, usage_series(second, GPU1_PCI, "render"));
	EXPECT_LT(0, gpu_series(second, "nsgpuperf_enabled_seconds_total", GPU1_PCI, NULL));
	EXPECT_EQ(NULL, strstr(out, GPU0_PCI));
	free(out);
}

/* --textfile DIR -n 2: DIR/nsgpuperf.prom, whole, 0644, nothing else. */
TEST_F_TIMEOUT(exporter, textfile, 120)
{
	const char *args[] = { "--textfile", TEXTFILE_DIR, "-n", "2", "-s", PERIOD,
			       "-d", GPU1_PCI, NULL };
	char *text;
	struct stat st;
	int status, entries = 0;
	char cmd[128];
	FILE *ls;

	start_clients(_metadata, self);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", TEXTFILE_DIR);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, mkdir(TEXTFILE_DIR, 0755));
	/* the container's root owns it, as a bind mount into it would be */
	ASSERT_EQ(0, chown(TEXTFILE_DIR, CT_UID, CT_UID));
	ASSERT_EQ(0, ct_start(&self->run, args));
	status = ct_wait(&self->run, 60);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("status 0x%x: %s", status, peek(self->run.err));
	self->run.pid = -1;

	ASSERT_EQ(0, stat(TEXTFILE_DIR "/nsgpuperf.prom", &st));
	EXPECT_EQ(0644, st.st_mode & 07777);
	text = slurp(TEXTFILE_DIR "/nsgpuperf.prom");
	TH_LOG("%s", text);
	EXPECT_EQ(0, promtool_check(_metadata, text));
	EXPECT_EQ(CT_GPU1_RENDER / 1e9, usage_series(text, GPU1_PCI, "render"));
	EXPECT_EQ(NULL, strstr(text, "# EOF"));
	snprintf(cmd, sizeof(cmd), "ls -A %s", TEXTFILE_DIR);
	ls = popen(cmd, "r");
	ASSERT_NE(NULL, ls);
	while (fgets(cmd, sizeof(cmd), ls))
		entries++;
	pclose(ls);
	EXPECT_EQ(1, entries);
	free(text);

	/* a directory the container's root may not write to */
	ASSERT_EQ(0, chown(TEXTFILE_DIR, 0, 0));
	ASSERT_EQ(0, ct_start(&self->run, args));
	status = ct_wait(&self->run, 60);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1)
		TH_LOG("status 0x%x", status);
	self->run.pid = -1;
	EXPECT_NE(NULL, strstr(peek(self->run.err), "may write there"))
		TH_LOG("%s", peek(self->run.err));
	ASSERT_EQ(0, system("rm -rf " TEXTFILE_DIR));
}

TEST_HARNESS_MAIN
