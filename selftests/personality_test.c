// SPDX-License-Identifier: GPL-2.0
/*
 * The intel_gpu_top personality (/tests/nsgpuperf run as intel_gpu_top)
 * against the real tools on the same driven mock GPU: Debian's
 * intel_gpu_top 1.27.1 and sid's 2.x, run as host root on the PMU, and
 * the personality run as root of a container - a user namespace mapped
 * 0 -> 100000, its nsgpuperf node owned by 100000 - with
 * NSGPUPERF_IGT_FORMAT=1.27 and 1.28.  The container's DRM clients (two
 * processes, one with two clients, on the driven GPU; one on the other
 * GPU) are processes in that namespace, so both tools see them.
 *
 * For -J (1.27.1's physical layout, 2.x's classes and -p), -l, -c, -L, -h
 * and a bad option: the same output byte for byte once every number is
 * masked ("N"), the same framing after the last sample on SIGINT, on
 * SIGTERM and after -n, the same exit; and the numbers: every driven value
 * within igt_top.h's tolerance for both, each client's busy time summed
 * over the periods exact (1.27.1 divides by the nominal period) or
 * within 50% (2.x divides by its measured scan interval).  Also: -d filters,
 * which intel_gpu_top is chosen (--igt-format, the environment, the
 * config file), and that the personality shows the container's own
 * clients, not the host's.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "igt_top.h"
#include "mock_i915_uapi.h"
#include "nsgp_test.h"
#include "nsgp_usage.h"

#define READER		"/tests/nsgpuperf"
#define PERS_DIR	"/tmp/pers"
#define PERS		PERS_DIR "/intel_gpu_top"	/* argv[0] picks it */
#define CT_NODE		"/tmp/pers-ct-node"
#define NSENTER		"/bin/nsenter"
#define FORMAT_FILE	"/tmp/pers-igt-format"
#define PERIOD		"400"	/* ms */
#define SAMPLES		5	/* -J periods compared; the first is not checked */
#define ROWS		22	/* -l rows: 1.27.1 repeats its headers after 18 */
#define TEXT_PERIOD	"300"	/* ms */
#define CHECK_ROWS	8	/* -l rows whose values are checked */
#define BUSY_AT		2	/* clients add busy time after this sample */
#define BUSY_NS		10000000ULL	/* one client command: 10 ms */
/*
 * 2.x divides a client's busy time by the time between its /proc scans,
 * measured, while the sum here weighs each period by the PMU's duration:
 * under TCG the two differ by a good part of a period, so the sum is only
 * known to be the driven time give or take half.
 */
#define BUSY_2X_OK(v, want)	((v) < 1.5 * (want) && (v) > 0.5 * (want))

enum who {
	REAL_127,	/* Debian's 1.27.1, host root */
	REAL_2X,	/* sid's, host root */
	PERS_127,	/* the personality, container root, 1.27 */
	PERS_128,	/* the personality, container root, 1.28 */
};

static const char * const who_names[] = {
	"intel_gpu_top 1.27.1 (host root)", "intel_gpu_top 2.x (host root)",
	"personality 1.27 (container root)", "personality 1.28 (container root)",
};

/* ---- the container and its DRM clients ------------------------------------- */

static pid_t holder;		/* a process in the container's user namespace */

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -EIO;
}

static pid_t ct_start(void)
{
	char path[64], c;
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		close(p[0]);
		if (unshare(CLONE_NEWUSER) || write(p[1], "u", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	if (write_file(path, CT_MAP))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	if (write_file(path, CT_MAP))
		return -1;
	return pid;
}

/* Become root of the container's user namespace (host uid 100000). */
static int ct_enter(pid_t ns_pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", ns_pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWUSER) || setresgid(0, 0, 0) ||
	    setresuid(0, 0, 0))
		return -1;
	close(fd);
	/* a uid change clears "dumpable": /proc/PID/fd* would be root's */
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

struct named_client {
	pid_t ns_pid;
	const char *pci, *name;
	int nfds;
	int fd[4];
};

static int named_client_setup(void *arg)
{
	struct named_client *nc = arg;
	int i;

	if ((nc->ns_pid && ct_enter(nc->ns_pid)) || prctl(PR_SET_NAME, nc->name))
		return 1;
	for (i = 0; i < nc->nfds && i < 4; i++)
		if ((nc->fd[i] = open_render(nc->pci)) < 0)
			return 2;
	return 0;
}

static int named_client_run(int go, void *arg)
{
	const struct named_client *nc = arg;
	char ch;

	while (read(go, &ch, 1) == 1 && ch != 'q') {
		unsigned int cls = ch == 'r' ? I915_ENGINE_CLASS_RENDER :
				   ch == 'c' ? I915_ENGINE_CLASS_COPY :
				   ch == 'v' ? I915_ENGINE_CLASS_VIDEO :
				   I915_ENGINE_CLASS_VIDEO_ENHANCE;

		if (add_busy(nc->fd[0], cls, BUSY_NS))
			return 4;
	}
	return 0;
}

/*
 * A DRM client process named name with nfds clients (fds) on the GPU at
 * pci, in the container (ns_pid) or on the host (0).  Commands: 'r', 'c',
 * 'v', 'e' add BUSY_NS to its first fd's render, copy, video or
 * video-enhance time; stop_client() ends it.
 */
static struct client client_start(pid_t ns_pid, const char *pci, const char *name,
				  int nfds)
{
	struct named_client nc = { ns_pid, pci, name, nfds, { -1, -1, -1, -1 } };

	return client_spawn(named_client_setup, named_client_run, &nc);
}

static void client_do(struct client *c, const char *cmds)
{
	if (c->pid > 0 && write(c->go, cmds, strlen(cmds)) < 0)
		c->pid = -1;
}

/* ---- running the tools ------------------------------------------------------ */

static int run(struct tool_run *r, enum who who, const char *const *args,
	       tool_stop_fn stop, void *arg, int sig, const char *const *extra_env)
{
	static const char * const env127[] = {
		"NSGPUPERF_DEVICE=" CT_NODE, "NSGPUPERF_IGT_FORMAT=1.27", NULL,
	};
	static const char * const env128[] = {
		"NSGPUPERF_DEVICE=" CT_NODE, "NSGPUPERF_IGT_FORMAT=1.28", NULL,
	};
	const char *argv[48], *env[8];
	char pid[16];
	struct tool_cmd c = {
		.argv = argv, .env = env, .stop = stop, .arg = arg, .stop_signal = sig,
		.timeout_s = 120,
	};
	int i = 0, e = 0;

	switch (who) {
	case REAL_127:
		argv[i++] = IGT_TOP;
		break;
	case REAL_2X:
		argv[i++] = SID_LOADER;
		argv[i++] = "--library-path";
		argv[i++] = SID_LIBS;
		argv[i++] = SID_TOP;
		break;
	default:
		/* host root enters the container: setns, then uid/gid 0 there */
		snprintf(pid, sizeof(pid), "%d", holder);
		argv[i++] = NSENTER;
		argv[i++] = "-t";
		argv[i++] = pid;
		argv[i++] = "-U";
		argv[i++] = "-S";
		argv[i++] = "0";
		argv[i++] = "-G";
		argv[i++] = "0";
		argv[i++] = "-F";
		argv[i++] = "--";
		argv[i++] = PERS;
		for (; (who == PERS_127 ? env127 : env128)[e]; e++)
			env[e] = (who == PERS_127 ? env127 : env128)[e];
		break;
	}
	while (*args && i < 46)
		argv[i++] = *args++;
	argv[i] = NULL;
	while (extra_env && *extra_env && e < 7)
		env[e++] = *extra_env++;
	env[e] = NULL;
	return tool_run(r, &c);
}

static void log_run(struct __test_metadata *_metadata, enum who who,
		    const struct tool_run *r)
{
	TH_LOG("%s: status 0x%x%s%s, %zu bytes, %d -J periods; stdout:\n%.3000s\nstderr:\n%.1000s",
	       who_names[who], r->status, r->stopped ? " (signalled)" : "",
	       r->timed_out ? " (timed out)" : "", r->len, r->nr, r->out, r->err);
}

/* ---- comparing --------------------------------------------------------------- */

/*
 * Every number as "N": digit runs with their "." and a leading "-",
 * inside strings too (client ids, pids, busy); with blanks (-l's
 * right-aligned columns), no blank at a line's start and one for a run.
 */
static char *mask(const char *in, size_t len, bool blanks)
{
	char *out = malloc(len + 1), *o = out;
	const char *end = in + len;

	while (in < end) {
		const char *p = in;

		if (blanks && *in == ' ') {
			while (in < end && *in == ' ')
				in++;
			if (o > out && o[-1] != '\n')
				*o++ = ' ';
			continue;
		}
		if (isdigit((unsigned char)*p) ||
		    (*p == '-' && p + 1 < end && isdigit((unsigned char)p[1]))) {
			p++;
			while (p < end && (isdigit((unsigned char)*p) ||
					   (*p == '.' && p + 1 < end && isdigit((unsigned char)p[1]))))
				p++;
			*o++ = 'N';
			in = p;
		} else {
			*o++ = *in++;
		}
	}
	*o = '\0';
	return out;
}

/* Where the n-th top-level JSON object ends ("\n}" at a line start). */
static size_t sample_end(const char *out, int n)
{
	const char *p = out;

	while (n-- > 0) {
		p = strstr(p, "\n}");
		if (!p)
			return 0;
		p += 2;
	}
	return p - out;
}

/* Where line n ends (its "\n" included), 0 if there are fewer. */
static size_t line_end(const char *out, int n)
{
	const char *p = out;

	while (n-- > 0) {
		p = strchr(p, '\n');
		if (!p)
			return 0;
		p++;
	}
	return p - out;
}

/* The same text once numbers are masked; logs both when not. */
static bool same_masked(struct __test_metadata *_metadata, const char *what,
			const char *a, size_t alen, const char *b, size_t blen, bool blanks)
{
	char *ma = mask(a, alen, blanks), *mb = mask(b, blen, blanks);
	bool same = !strcmp(ma, mb);
	size_t i = 0;

	if (!same) {
		while (ma[i] && ma[i] == mb[i])
			i++;
		TH_LOG("%s differs (numbers masked) at byte %zu:\nreal: ...%.300s\nours: ...%.300s",
		       what, i, ma + (i > 100 ? i - 100 : 0), mb + (i > 100 ? i - 100 : 0));
	}
	free(ma);
	free(mb);
	return same;
}

/*
 * The first n samples the same with numbers masked, and the same after
 * the last complete sample (1.27.1: nothing; 2.x on SIGINT: "]\n").
 */
static bool same_json(struct __test_metadata *_metadata, const struct tool_run *real,
		      const struct tool_run *ours, int n)
{
	size_t ra = sample_end(real->out, n), oa = sample_end(ours->out, n);
	size_t rl = sample_end(real->out, real->nr), ol = sample_end(ours->out, ours->nr);
	bool ok = ra && oa;

	ok = ok && same_masked(_metadata, "-J samples", real->out, ra, ours->out, oa, false);
	ok = ok && rl && ol && !strcmp(real->out + rl, ours->out + ol);
	if (!ok)
		TH_LOG("after the last sample: real \"%s\", ours \"%s\"",
		       rl ? real->out + rl : "?", ol ? ours->out + ol : "?");
	return ok;
}

/* A client's busy time (ns) over the periods after the first, by pid. */
static double client_busy_ns(const struct tool_run *r, pid_t pid, const char *cls,
			     bool by_duration, int *found)
{
	char pidstr[16], path[96];
	double sum = 0;
	int i, k;

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	*found = 0;
	for (i = 1; i < r->nr; i++) {
		const struct top_sample *s = &r->s[i];

		for (k = 0; k < s->n; k++) {
			const char *p = s->kv[k].path, *end;
			double pct, ms;

			if (strncmp(p, "clients|", 8) || strcmp(p + strlen(p) - 4, "|pid") ||
			    strcmp(s->kv[k].val, pidstr))
				continue;
			(*found)++;
			end = strchr(p + 8, '|');
			snprintf(path, sizeof(path), "clients|%.*s|engine-classes|%s|busy",
				 (int)(end - p - 8), p + 8, cls);
			pct = top_getd(s, path);
			ms = by_duration ? top_getd(s, "period|duration") : atoi(PERIOD);
			if (!isnan(pct))
				sum += pct / 100 * ms * 1e6;
		}
	}
	return sum;
}

static bool has_pid(const struct tool_run *r, pid_t pid)
{
	char needle[32];

	snprintf(needle, sizeof(needle), "\"pid\": \"%d\"", pid);
	return strstr(r->out, needle) != NULL;
}

/* ---- the fixture ---------------------------------------------------------------- */

FIXTURE(pers) {
	struct client a, b, d;	/* container: a, b (two clients), d on GPU0 */
	struct client late;	/* started after BUSY_AT */
};

FIXTURE_SETUP(pers)
{
	static const char * const need[] = {
		IGT_TOP, SID_LOADER, SID_TOP, READER, NSENTER,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(need); i++)
		ASSERT_EQ(0, access(need[i], X_OK)) TH_LOG("%s missing in the VM", need[i]);
	ASSERT_EQ(0, drive_gpus());
	ASSERT_EQ(0, nsgp_mknod(CT_NODE, CT_UID, CT_UID, 0600));
	mkdir(PERS_DIR, 0755);
	unlink(PERS);
	ASSERT_EQ(0, symlink(READER, PERS));
	holder = ct_start();
	ASSERT_LT(0, holder);
	self->a.pid = self->b.pid = self->d.pid = self->late.pid = -1;
}

FIXTURE_TEARDOWN(pers)
{
	stop_client(&self->a);
	stop_client(&self->b);
	stop_client(&self->d);
	stop_client(&self->late);
	if (holder > 0) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
		holder = 0;
	}
	mock_still(GPU0_PCI);
	mock_still(GPU1_PCI);
	mock_still(OTHER_PCI);
	unlink(CT_NODE);
	unlink(PERS);
	unlink(FORMAT_FILE);
}

static void start_clients(struct __test_metadata *_metadata, FIXTURE_DATA(pers) *self)
{
	self->a = client_start(holder, GPU1_PCI, "ngp-ct-a", 1);
	self->b = client_start(holder, GPU1_PCI, "ngp-ct-b", 2);
	self->d = client_start(holder, GPU0_PCI, "ngp-ct-decoy", 1);
	ASSERT_LT(0, self->a.pid);
	ASSERT_LT(0, self->b.pid);
	ASSERT_LT(0, self->d.pid);
}

/*
 * After sample BUSY_AT: a 20 ms render + 10 ms video, b 10 ms copy, and a
 * new client (its first sample has no "engine-classes").
 */
static FIXTURE_DATA(pers) *busy_self;

static void clients_busy_at(int nr, void *arg)
{
	(void)arg;
	if (nr == BUSY_AT && busy_self) {
		client_do(&busy_self->a, "rrv");
		client_do(&busy_self->b, "c");
		stop_client(&busy_self->late);
		busy_self->late = client_start(holder, GPU1_PCI, "ngp-ct-late", 1);
	}
}

/*
 * -J from a real tool and the personality, with the clients' busy time
 * added after BUSY_AT: same masked bytes and framing, the driven values
 * in both, each client's busy time.
 */
static void compare_json(struct __test_metadata *_metadata, FIXTURE_DATA(pers) *self,
			 enum who real_who, enum who ours_who, const char *extra,
			 enum top_engines names, bool clients)
{
	const char *args[] = { "-J", "-s", PERIOD, extra, NULL };
	struct top_json_stop js = { .want = SAMPLES, .at = clients_busy_at };
	struct tool_run r[2];
	enum who who[2] = { real_who, ours_who };
	bool exact = real_who == REAL_127;
	int i, found;

	if (clients)
		start_clients(_metadata, self);
	busy_self = clients ? self : NULL;
	for (i = 0; i < 2; i++) {
		js.seen = 0;
		stop_client(&self->late);	/* each run starts it anew */
		ASSERT_EQ(0, run(&r[i], who[i], args, top_json_stop, &js, 0, NULL));
		if (r[i].nr < SAMPLES || !tool_exited(&r[i], 0))
			log_run(_metadata, who[i], &r[i]);
		ASSERT_LE(SAMPLES, r[i].nr);
		EXPECT_TRUE(tool_exited(&r[i], 0));
		EXPECT_EQ(0, top_check_json(&r[i], &mock_want, names)) log_run(_metadata, who[i], &r[i]);
		if (clients) {
			double busy[3];

			busy[0] = client_busy_ns(&r[i], self->a.pid, "Render/3D", !exact, &found);
			EXPECT_EQ(r[i].nr - 1, found);
			busy[1] = client_busy_ns(&r[i], self->a.pid, "Video", !exact, &found);
			busy[2] = client_busy_ns(&r[i], self->b.pid, "Blitter", !exact, &found);
			EXPECT_EQ(r[i].nr - 1, found);
			/* 1.27.1 divides by the nominal period: exact to %f's 6 digits */
			EXPECT_TRUE(exact ? fabs(busy[0] - 2 * BUSY_NS) < 1000 :
				    BUSY_2X_OK(busy[0], 2 * BUSY_NS))
				TH_LOG("%s: a's render busy %.0f ns", who_names[who[i]], busy[0]);
			EXPECT_TRUE(exact ? fabs(busy[1] - BUSY_NS) < 1000 :
				    BUSY_2X_OK(busy[1], BUSY_NS))
				TH_LOG("%s: a's video busy %.0f ns", who_names[who[i]], busy[1]);
			EXPECT_TRUE(exact ? fabs(busy[2] - BUSY_NS) < 1000 :
				    BUSY_2X_OK(busy[2], BUSY_NS))
				TH_LOG("%s: b's copy busy %.0f ns", who_names[who[i]], busy[2]);
			/* the other GPU's client is not this GPU's */
			EXPECT_FALSE(has_pid(&r[i], self->d.pid));
			EXPECT_TRUE(has_pid(&r[i], self->late.pid));
		}
	}
	EXPECT_TRUE(same_json(_metadata, &r[0], &r[1], SAMPLES)) {
		log_run(_metadata, who[0], &r[0]);
		log_run(_metadata, who[1], &r[1]);
	}
	TH_LOG("%s, last sample:\n%.2500s", who_names[who[1]],
	       r[1].out + sample_end(r[1].out, r[1].nr - 1));
	busy_self = NULL;
	tool_free(&r[0]);
	tool_free(&r[1]);
}

/* Debian 12's layout: no "[", physical names, samples joined by ",\n{". */
TEST_F_TIMEOUT(pers, json_127, 300)
{
	compare_json(_metadata, self, REAL_127, PERS_127, NULL, TOP_PHYSICAL, true);
}

/* 2.x: "[", class names, clients' "memory" where fdinfo has it. */
TEST_F_TIMEOUT(pers, json_128, 300)
{
	compare_json(_metadata, self, REAL_2X, PERS_128, NULL, TOP_CLASSES, true);
}

TEST_F_TIMEOUT(pers, json_128_physical, 300)
{
	compare_json(_metadata, self, REAL_2X, PERS_128, "-p", TOP_PHYSICAL, true);
}

/* No client: an empty "clients"; 1.27.1 then drops the next comma. */
TEST_F_TIMEOUT(pers, json_127_no_clients, 300)
{
	compare_json(_metadata, self, REAL_127, PERS_127, NULL, TOP_PHYSICAL, false);
}

TEST_F_TIMEOUT(pers, json_128_no_clients, 300)
{
	compare_json(_metadata, self, REAL_2X, PERS_128, NULL, TOP_CLASSES, false);
}

/* -l / -c: the same lines with numbers masked, the driven values in both. */
static void compare_text(struct __test_metadata *_metadata, enum who real_who,
			 enum who ours_who, const char *opt, const char *extra,
			 enum top_engines names, int rows)
{
	const char *args[] = { opt, "-s", TEXT_PERIOD, extra, NULL };
	enum who who[2] = { real_who, ours_who };
	bool csv = !strcmp(opt, "-c");
	/* 1.27.1 prints its two header lines again before row 19 */
	int headers = real_who == REAL_127 && rows > 18 ? 4 : csv ? 1 : 2;
	struct top_text_stop ts = { .want = rows + headers - 2 };
	struct tool_run r[2];
	struct top_text t;
	size_t end[2];
	int i;

	for (i = 0; i < 2; i++) {
		char *first;

		ASSERT_EQ(0, run(&r[i], who[i], args, top_text_stop, &ts, 0, NULL));
		EXPECT_TRUE(tool_exited(&r[i], 0)) log_run(_metadata, who[i], &r[i]);
		end[i] = line_end(r[i].out, headers + rows);
		ASSERT_NE(0, end[i]) log_run(_metadata, who[i], &r[i]);
		if (csv)
			continue;
		/* the values: the first rows (each period within 10% under TCG) */
		first = strndup(r[i].out, line_end(r[i].out, 2 + (rows < CHECK_ROWS ? rows : CHECK_ROWS)));
		ASSERT_EQ(0, top_parse_text(first, &t)) log_run(_metadata, who[i], &r[i]);
		EXPECT_EQ(0, top_check_text(&t, &mock_want, names)) log_run(_metadata, who[i], &r[i]);
		free(first);
	}
	/* the header lines themselves: byte for byte */
	EXPECT_EQ(line_end(r[0].out, csv ? 1 : 2), line_end(r[1].out, csv ? 1 : 2));
	EXPECT_EQ(0, memcmp(r[0].out, r[1].out, line_end(r[0].out, csv ? 1 : 2)));
	EXPECT_TRUE(same_masked(_metadata, opt, r[0].out, end[0], r[1].out, end[1], !csv)) {
		log_run(_metadata, who[0], &r[0]);
		log_run(_metadata, who[1], &r[1]);
	}
	TH_LOG("%s %s %s, first lines:\n%.*s", who_names[who[1]], opt, extra ?: "",
	       (int)line_end(r[1].out, headers + 1), r[1].out);
	tool_free(&r[0]);
	tool_free(&r[1]);
}

/* 1.27.1: the two header lines again after 18 rows. */
TEST_F_TIMEOUT(pers, text_127, 300)
{
	compare_text(_metadata, REAL_127, PERS_127, "-l", NULL, TOP_PHYSICAL, ROWS);
}

/* 2.x on a pipe: the header lines once. */
TEST_F_TIMEOUT(pers, text_128, 300)
{
	compare_text(_metadata, REAL_2X, PERS_128, "-l", NULL, TOP_CLASSES, ROWS);
}

TEST_F_TIMEOUT(pers, text_128_physical, 300)
{
	compare_text(_metadata, REAL_2X, PERS_128, "-l", "-p", TOP_PHYSICAL, 4);
}

TEST_F_TIMEOUT(pers, csv_128, 300)
{
	compare_text(_metadata, REAL_2X, PERS_128, "-c", NULL, TOP_CLASSES, 4);
	compare_text(_metadata, REAL_2X, PERS_128, "-c", "-p", TOP_PHYSICAL, 4);
}

/* -L: the same list of cards, byte for byte. */
TEST_F_TIMEOUT(pers, list, 120)
{
	static const char * const args[] = { "-L", NULL };
	struct tool_run r[4];
	int i;

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, run(&r[i], i, args, NULL, NULL, 0, NULL));
		EXPECT_TRUE(tool_exited(&r[i], 0)) log_run(_metadata, i, &r[i]);
	}
	EXPECT_NE(NULL, strstr(r[0].out, "pci:vendor=8086,device=100E,card=1"));
	EXPECT_STREQ(r[0].out, r[2].out);
	EXPECT_STREQ(r[1].out, r[3].out);
	TH_LOG("-L:\n%s", r[2].out);
	for (i = 0; i < 4; i++)
		tool_free(&r[i]);
}

/* s with every occurrence of from replaced by to (argv[0] in -h). */
static char *replace(const char *s, const char *from, const char *to)
{
	size_t n = 0, fl = strlen(from), tl = strlen(to);
	const char *p;
	char *out, *o;

	for (p = s; (p = strstr(p, from)); p += fl)
		n++;
	out = o = malloc(strlen(s) + n * (tl > fl ? tl - fl : 0) + 1);
	while ((p = strstr(s, from))) {
		memcpy(o, s, p - s);
		o += p - s;
		memcpy(o, to, tl);
		o += tl;
		s = p + fl;
	}
	strcpy(o, s);
	return out;
}

/* -h, and a bad option: the same text (argv[0] aside) and exit code. */
TEST_F_TIMEOUT(pers, help_and_bad_option, 120)
{
	static const char * const help[] = { "-h", NULL };
	static const char * const bad[] = { "-x", NULL };
	const char *const *args[2] = { help, bad };
	int a, v;

	for (a = 0; a < 2; a++) {
		for (v = 0; v < 2; v++) {
			struct tool_run real, ours;
			char *out, *err;

			ASSERT_EQ(0, run(&real, v ? REAL_2X : REAL_127, args[a], NULL, NULL, 0, NULL));
			ASSERT_EQ(0, run(&ours, v ? PERS_128 : PERS_127, args[a], NULL, NULL, 0, NULL));
			out = replace(ours.out, PERS, v ? SID_TOP : IGT_TOP);
			err = replace(ours.err, PERS, v ? SID_TOP : IGT_TOP);
			EXPECT_STREQ(real.out, out);
			EXPECT_STREQ(real.err, err);
			EXPECT_EQ(real.status, ours.status);
			EXPECT_TRUE(tool_exited(&ours, a ? 1 : 0));
			free(out);
			free(err);
			tool_free(&real);
			tool_free(&ours);
		}
	}
}

/*
 * Ended mid-stream: SIGINT after 2 samples (1.27.1 adds nothing, 2.x
 * "]\n", exit 0); SIGTERM (nothing more, killed by it); -n 3 (2.x: "]\n").
 */
TEST_F_TIMEOUT(pers, signals_and_count, 300)
{
	static const char * const json[] = { "-J", "-s", "300", NULL };
	static const char * const count[] = { "-J", "-s", "300", "-n", "3", NULL };
	const int sigs[] = { SIGINT, SIGTERM };
	int v, s, i;

	for (v = 0; v < 2; v++) {
		for (s = 0; s < 3; s++) {
			struct top_json_stop js = { .want = 2 };
			struct tool_run r[2];
			size_t end[2];

			for (i = 0; i < 2; i++) {
				enum who who = (v ? REAL_2X : REAL_127) + 2 * i;

				js.seen = 0;
				if (s == 2 && !v)
					break;	/* 1.27.1 has no -n */
				if (s < 2) {
					ASSERT_EQ(0, run(&r[i], who, json, top_json_stop, &js,
							 sigs[s], NULL));
				} else {
					ASSERT_EQ(0, run(&r[i], who, count, NULL, NULL, 0, NULL));
				}
				end[i] = sample_end(r[i].out, r[i].nr);
				ASSERT_NE(0, end[i]) log_run(_metadata, who, &r[i]);
				if (s == 1) {
					EXPECT_TRUE(WIFSIGNALED(r[i].status) &&
						    WTERMSIG(r[i].status) == SIGTERM)
						log_run(_metadata, who, &r[i]);
				} else {
					EXPECT_TRUE(tool_exited(&r[i], 0)) log_run(_metadata, who, &r[i]);
				}
				if (s == 2)
					EXPECT_EQ(3, r[i].nr);
			}
			if (i < 2)
				continue;
			EXPECT_STREQ(r[0].out + end[0], r[1].out + end[1])
				TH_LOG("%s, %s: after the last sample", v ? "2.x" : "1.27.1",
				       s == 2 ? "-n 3" : strsignal(sigs[s]));
			EXPECT_STREQ(v && s != 1 ? "]\n" : "", r[1].out + end[1]);
			tool_free(&r[0]);
			tool_free(&r[1]);
		}
	}
}

/* -d: intel_gpu_top's filters pick the other GPU; a bad one fails alike. */
TEST_F_TIMEOUT(pers, device_filters, 300)
{
	static const char * const filters[] = {
		"pci:slot=" GPU0_PCI, "drm:/dev/dri/renderD128", "sys:/sys/devices/pci0000:00/" GPU0_PCI,
		"pci:vendor=8086,device=100e,card=0",
	};
	static const char * const bad[] = { "-J", "-d", "pci:slot=0000:00:09.0", NULL };
	/* GPU0 at rates a 300 ms period counts well (not 50 irq/s) */
	const struct mock_drive other = {
		.act_mhz = 300, .req_mhz = 350, .irq_per_s = 5000, .rc6_pct = 90,
		.rcs0_busy = 60, .bcs0_wait = 30, .vcs1_busy = 15, .vecs0_sema = 45,
	};
	struct tool_run r, real;
	unsigned int i;

	ASSERT_EQ(0, mock_drive(GPU0_PCI, &other));
	for (i = 0; i < ARRAY_SIZE(filters); i++) {
		const char *args[] = { "-J", "-s", "300", "-n", "3", "-d", filters[i], NULL };

		ASSERT_EQ(0, run(&r, PERS_128, args, NULL, NULL, 0, NULL));
		EXPECT_TRUE(tool_exited(&r, 0)) log_run(_metadata, PERS_128, &r);
		EXPECT_EQ(0, top_check_json(&r, &other, TOP_CLASSES))
			TH_LOG("-d %s", filters[i]);
		tool_free(&r);
	}
	ASSERT_EQ(0, run(&real, REAL_127, bad, NULL, NULL, 0, NULL));
	ASSERT_EQ(0, run(&r, PERS_127, bad, NULL, NULL, 0, NULL));
	EXPECT_STREQ(real.err, r.err);
	EXPECT_STREQ(real.out, r.out);
	EXPECT_EQ(real.status, r.status);
	tool_free(&real);
	tool_free(&r);
}

/* The container's clients, not the host's: the real tool as host root sees both. */
TEST_F_TIMEOUT(pers, own_clients_only, 300)
{
	static const char * const args[] = { "-J", "-s", "300", NULL };
	struct top_json_stop js = { .want = 3 };
	struct client host;
	struct tool_run real, ours;

	start_clients(_metadata, self);
	host = client_start(0, GPU1_PCI, "ngp-host", 1);
	ASSERT_LT(0, host.pid);
	ASSERT_EQ(0, run(&real, REAL_127, args, top_json_stop, &js, 0, NULL));
	js.seen = 0;
	ASSERT_EQ(0, run(&ours, PERS_127, args, top_json_stop, &js, 0, NULL));
	EXPECT_TRUE(has_pid(&real, host.pid));
	EXPECT_TRUE(has_pid(&real, self->a.pid));
	EXPECT_FALSE(has_pid(&ours, host.pid)) log_run(_metadata, PERS_127, &ours);
	EXPECT_TRUE(has_pid(&ours, self->a.pid)) log_run(_metadata, PERS_127, &ours);
	EXPECT_TRUE(has_pid(&ours, self->b.pid));
	stop_client(&host);
	tool_free(&real);
	tool_free(&ours);
}

/* Which intel_gpu_top: --igt-format, else the environment, else the file. */
TEST_F_TIMEOUT(pers, format_selection, 120)
{
	static const char * const h[] = { "-h", NULL };
	static const char * const h127[] = { "--igt-format=1.27", "-h", NULL };
	static const char * const file[] = { "NSGPUPERF_IGT_FORMAT=",
					     "NSGPUPERF_IGT_FORMAT_FILE=" FORMAT_FILE, NULL };
	static const char * const bad[] = { "NSGPUPERF_IGT_FORMAT=newest", NULL };
	struct tool_run r;

	/* the environment (1.28), overridden by the option */
	ASSERT_EQ(0, run(&r, PERS_128, h, NULL, NULL, 0, NULL));
	EXPECT_NE(NULL, strstr(r.out, "[-p]"));
	tool_free(&r);
	ASSERT_EQ(0, run(&r, PERS_128, h127, NULL, NULL, 0, NULL));
	EXPECT_EQ(NULL, strstr(r.out, "[-p]"));
	tool_free(&r);
	/* the file, when the environment says nothing; none: 1.27 */
	unlink(FORMAT_FILE);
	ASSERT_EQ(0, run(&r, PERS_127, h, NULL, NULL, 0, file));
	EXPECT_TRUE(tool_exited(&r, 0));
	EXPECT_EQ(NULL, strstr(r.out, "[-p]"));
	tool_free(&r);
	{
		int fd = open(FORMAT_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		ASSERT_LE(0, fd);
		ASSERT_EQ(5, write(fd, "1.28\n", 5));
		close(fd);
	}
	ASSERT_EQ(0, run(&r, PERS_127, h, NULL, NULL, 0, file));
	EXPECT_NE(NULL, strstr(r.out, "[-p]"));
	tool_free(&r);
	/* a value that names no release: said, exit 1 */
	ASSERT_EQ(0, run(&r, PERS_127, h, NULL, NULL, 0, bad));
	EXPECT_TRUE(tool_exited(&r, 1));
	EXPECT_NE(NULL, strstr(r.err, "give 1.27 or 1.28")) log_run(_metadata, PERS_127, &r);
	tool_free(&r);
}

TEST_HARNESS_MAIN
