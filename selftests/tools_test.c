// SPDX-License-Identifier: GPL-2.0
/*
 * The real tools, unchanged, as root of a container: bookworm's
 * intel_gpu_top (intel-gpu-tools 1.27.1), sid's newest (2.x, run with
 * sid's own loader and libraries) and perf (linux-perf), in a user
 * namespace mapped 0 -> 100000 with no host capability, the nsgpuperf node
 * owned by 100000 (as make demo does).
 *
 * Without the shim each fails with perf's permission error (the baseline).
 * With it (LD_PRELOAD of libnsgpuperf-preload.so, NSGPUPERF_DEVICE the
 * container's node) intel_gpu_top's -J and -l show the values driven
 * through the mock (frequency, RC6, IRQ/s, each engine's busy/sema/wait)
 * within igt_top.h's tolerance, -J has the same structure as the same
 * binary run as host root on the PMU, -L lists what it lists for host
 * root; perf stat counts the driven GPU rates, and perf's other events
 * behave exactly as without the shim (same lines modulo numbers, same exit
 * code), whether perf_event_paranoid refuses them or not.
 *
 * The tools pick their GPU themselves: intel_gpu_top the "discrete" one
 * (GPU1, driven to want) over the integrated one (GPU0, driven to decoy
 * values); perf's "i915" PMU is GPU0's.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include "kselftest_harness.h"
#include "igt_top.h"
#include "mock_i915_uapi.h"
#include "nsgp_test.h"

#define PERIOD		"500"	/* ms */
#define SAMPLES		6	/* -J periods; the first is not checked */
#define ROWS		6	/* -l rows; the first is not checked */
#define CT_NODE		"/tmp/ct-nsgpuperf"
#define SHIM		"/tests/libnsgpuperf-preload.so"
#define PERF		"/usr/bin/perf"
#define PMU_ERROR	"Failed to initialize PMU! (Permission denied)"
#define PARANOID	"/proc/sys/kernel/perf_event_paranoid"

enum who {
	HOST,		/* host root, on the PMU itself */
	CT,		/* container root, no shim */
	CT_SHIM,	/* container root with the shim */
};

static const char * const who_names[] = { "host root", "container root",
					  "container root + shim" };
static const char * const shim_env[] = {
	"LD_PRELOAD=" SHIM, "NSGPUPERF_DEVICE=" CT_NODE, NULL,
};

enum top_version {
	IGT_127,	/* bookworm's */
	IGT_SID,	/* sid's */
};


/*
 * Run a tool as who; args: its arguments after the program, NULL-ended.
 * sid's intel_gpu_top runs through sid's loader.
 */
static int run(struct tool_run *r, enum who who, const char *prog,
	       const char *const *args, tool_stop_fn stop, void *arg)
{
	const char *argv[32];
	struct tool_cmd c = {
		.argv = argv, .stop = stop, .arg = arg,
		.map = who == HOST ? NULL : CT_MAP,
		.env = who == CT_SHIM ? shim_env : NULL,
	};
	int i = 0;

	if (!strcmp(prog, SID_TOP)) {
		argv[i++] = SID_LOADER;
		argv[i++] = "--library-path";
		argv[i++] = SID_LIBS;
	}
	argv[i++] = prog;
	while (*args && i < 31)
		argv[i++] = *args++;
	argv[i] = NULL;
	return tool_run(r, &c);
}

static const char *top_prog(enum top_version v)
{
	return v == IGT_SID ? SID_TOP : IGT_TOP;
}

/* A file's first line(s), for the log. */
static void show_file(struct __test_metadata *_metadata, const char *path)
{
	char buf[512];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	TH_LOG("%s: %s", path, buf);
}

static void log_run(struct __test_metadata *_metadata, const char *what,
		    enum who who, const struct tool_run *r)
{
	TH_LOG("%s as %s: status 0x%x%s%s, %zu bytes out, %d -J periods; stdout head:\n%.600s\n"
	       "stderr:\n%.600s", what, who_names[who], r->status,
	       r->stopped ? " (SIGINTed)" : "", r->timed_out ? " (timed out)" : "",
	       r->len, r->nr, r->out, r->err);
}

/* perf's static keys are held for the VM's life: tools/hold_perf_keys.c */

FIXTURE(tools) {
	int dummy;
};

FIXTURE_SETUP(tools)
{
	static const char * const need[] = {
		IGT_TOP, SID_LOADER, SID_TOP, PERF, USERNS_EXEC,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(need); i++)
		ASSERT_EQ(0, access(need[i], X_OK)) TH_LOG("%s missing in the VM", need[i]);
	ASSERT_EQ(0, access(SHIM, R_OK)) TH_LOG("%s missing in the VM", SHIM);
	ASSERT_EQ(0, drive_gpus());
	unlink(CT_NODE);
	ASSERT_EQ(0, nsgp_mknod(CT_NODE, CT_UID, CT_UID, 0600));
}

FIXTURE_TEARDOWN(tools)
{
	mock_still(GPU0_PCI);
	mock_still(GPU1_PCI);
	mock_still(OTHER_PCI);
	unlink(CT_NODE);
}

/* ---- intel_gpu_top ------------------------------------------------------ */

static void top_baseline(struct __test_metadata *_metadata, enum top_version v)
{
	static const char * const json[] = { "-J", "-s", PERIOD, NULL };
	static const char * const text[] = { "-l", "-s", PERIOD, NULL };
	struct top_json_stop js = { .want = 2 };
	struct top_text_stop ts = { .want = 2 };
	struct tool_run r;

	ASSERT_EQ(0, run(&r, CT, top_prog(v), json, top_json_stop, &js));
	log_run(_metadata, "-J", CT, &r);
	EXPECT_FALSE(tool_exited(&r, 0));
	EXPECT_NE(NULL, strstr(r.err, PMU_ERROR));
	EXPECT_EQ(0, r.nr);
	tool_free(&r);

	ASSERT_EQ(0, run(&r, CT, top_prog(v), text, top_text_stop, &ts));
	log_run(_metadata, "-l", CT, &r);
	EXPECT_FALSE(tool_exited(&r, 0));
	EXPECT_NE(NULL, strstr(r.err, PMU_ERROR));
	tool_free(&r);
}

static void top_json(struct __test_metadata *_metadata, enum top_version v,
		     const char *extra, enum top_engines names)
{
	const char *args[] = { "-J", "-s", PERIOD, extra, NULL };
	struct top_json_stop js = { .want = SAMPLES };
	struct tool_run host, ct;

	/* the oracle: the same binary as host root, on the PMU */
	ASSERT_EQ(0, run(&host, HOST, top_prog(v), args, top_json_stop, &js));
	if (!tool_exited(&host, 0) || host.nr < SAMPLES)
		log_run(_metadata, "-J", HOST, &host);
	ASSERT_LE(SAMPLES, host.nr);
	EXPECT_EQ(0, top_check_json(&host, &mock_want, names));

	js.seen = 0;
	ASSERT_EQ(0, run(&ct, CT_SHIM, top_prog(v), args, top_json_stop, &js));
	if (!tool_exited(&ct, 0) || ct.nr < SAMPLES)
		log_run(_metadata, "-J", CT_SHIM, &ct);
	ASSERT_LE(SAMPLES, ct.nr);
	EXPECT_TRUE(tool_exited(&ct, 0));
	EXPECT_EQ(0, top_check_json(&ct, &mock_want, names));
	EXPECT_TRUE(top_same_structure(&host.s[host.nr - 1], &ct.s[ct.nr - 1]));
	TH_LOG("-J as %s: %d periods, last: %s/%s MHz, %s irq/s, rc6 %s%%",
	       who_names[CT_SHIM], ct.nr, top_get(&ct.s[ct.nr - 1], "frequency|actual"),
	       top_get(&ct.s[ct.nr - 1], "frequency|requested"),
	       top_get(&ct.s[ct.nr - 1], "interrupts|count"),
	       top_get(&ct.s[ct.nr - 1], "rc6|value"));
	tool_free(&host);
	tool_free(&ct);
}

/* The header lines: everything up to the second newline. */
static size_t header_len(const char *out)
{
	const char *nl = strchr(out, '\n');

	nl = nl ? strchr(nl + 1, '\n') : NULL;
	return nl ? (size_t)(nl - out) : 0;
}

/* The last complete line of some output. */
static const char *last_line(const char *out, char *buf, size_t len)
{
	const char *end = strrchr(out, '\n'), *start = end;

	buf[0] = '\0';
	if (!end)
		return buf;
	while (start > out && start[-1] != '\n')
		start--;
	snprintf(buf, len, "%.*s", (int)(end - start), start);
	return buf;
}

static void top_text(struct __test_metadata *_metadata, enum top_version v,
		     const char *extra, enum top_engines names)
{
	const char *args[] = { "-l", "-s", PERIOD, extra, NULL };
	struct top_text_stop ts = { .want = ROWS };
	struct tool_run host, ct;
	struct top_text t;
	char line[512];
	size_t hl;

	/* the oracle: the same binary as host root, on the PMU */
	ASSERT_EQ(0, run(&host, HOST, top_prog(v), args, top_text_stop, &ts));
	ASSERT_EQ(0, top_parse_text(host.out, &t)) log_run(_metadata, "-l", HOST, &host);
	EXPECT_LE(ROWS, t.nrows);
	EXPECT_EQ(0, top_check_text(&t, &mock_want, names)) log_run(_metadata, "-l", HOST, &host);

	ASSERT_EQ(0, run(&ct, CT_SHIM, top_prog(v), args, top_text_stop, &ts));
	if (!tool_exited(&ct, 0))
		log_run(_metadata, "-l", CT_SHIM, &ct);
	EXPECT_TRUE(tool_exited(&ct, 0));
	ASSERT_EQ(0, top_parse_text(ct.out, &t)) log_run(_metadata, "-l", CT_SHIM, &ct);
	EXPECT_LE(ROWS, t.nrows);
	EXPECT_EQ(0, top_check_text(&t, &mock_want, names)) log_run(_metadata, "-l", CT_SHIM, &ct);
	/* the same header lines (columns) as for host root */
	hl = header_len(host.out);
	EXPECT_NE(0, hl);
	EXPECT_TRUE(hl == header_len(ct.out) && !memcmp(host.out, ct.out, hl)) {
		log_run(_metadata, "-l", HOST, &host);
		log_run(_metadata, "-l", CT_SHIM, &ct);
	}
	TH_LOG("-l as %s: %d rows, header and last:\n%.*s\n%s", who_names[CT_SHIM],
	       t.nrows, (int)hl, ct.out, last_line(ct.out, line, sizeof(line)));
	tool_free(&host);
	tool_free(&ct);
}

static void top_list(struct __test_metadata *_metadata, enum top_version v)
{
	static const char * const args[] = { "-L", NULL };
	struct tool_run host, ct;

	ASSERT_EQ(0, run(&host, HOST, top_prog(v), args, NULL, NULL));
	ASSERT_EQ(0, run(&ct, CT_SHIM, top_prog(v), args, NULL, NULL));
	log_run(_metadata, "-L", CT_SHIM, &ct);
	EXPECT_TRUE(tool_exited(&host, 0));
	EXPECT_TRUE(tool_exited(&ct, 0));
	/* both Intel mock GPUs, not the edu */
	EXPECT_NE(NULL, strstr(ct.out, "8086:100e"));
	EXPECT_STREQ(host.out, ct.out);
	tool_free(&host);
	tool_free(&ct);
}

TEST_F(tools, versions)
{
	static const char * const args[] = { "version", NULL };
	struct tool_run r;

	show_file(_metadata, "/etc/tool-versions");
	show_file(_metadata, "/sid/VERSIONS");
	ASSERT_EQ(0, run(&r, HOST, PERF, args, NULL, NULL));
	TH_LOG("perf version: %s", r.out);
	EXPECT_TRUE(tool_exited(&r, 0));
	tool_free(&r);
}

TEST_F(tools, igt127_baseline_no_shim)
{
	top_baseline(_metadata, IGT_127);
}

TEST_F(tools, igt127_json)
{
	top_json(_metadata, IGT_127, NULL, TOP_PHYSICAL);
}

TEST_F(tools, igt127_text)
{
	top_text(_metadata, IGT_127, NULL, TOP_PHYSICAL);
}

TEST_F(tools, igt127_list)
{
	top_list(_metadata, IGT_127);
}

TEST_F(tools, sid_baseline_no_shim)
{
	top_baseline(_metadata, IGT_SID);
}

TEST_F(tools, sid_json_classes)
{
	top_json(_metadata, IGT_SID, NULL, TOP_CLASSES);
}

TEST_F(tools, sid_json_physical)
{
	top_json(_metadata, IGT_SID, "-p", TOP_PHYSICAL);
}

TEST_F(tools, sid_text_classes)
{
	top_text(_metadata, IGT_SID, NULL, TOP_CLASSES);
}

TEST_F(tools, sid_text_physical)
{
	top_text(_metadata, IGT_SID, "-p", TOP_PHYSICAL);
}

TEST_F(tools, sid_list)
{
	top_list(_metadata, IGT_SID);
}

/* ---- perf ------------------------------------------------------------------ */

/*
 * perf's output with every number as "N" (digits with their "." and ","
 * separators; not digits inside a name: "i915", "rcs0") and runs of
 * blanks as one: what stays the same run to run.
 */
static void mask_numbers(const char *in, char *out, size_t len)
{
	size_t o = 0;
	char prev = ' ';

	while (*in && o + 2 < len) {
		if (isdigit((unsigned char)*in) && !isalnum((unsigned char)prev) &&
		    prev != '_') {
			while (isdigit((unsigned char)*in) ||
			       ((*in == '.' || *in == ',') && isdigit((unsigned char)in[1])))
				in++;
			out[o++] = prev = 'N';
		} else if (*in == ' ' || *in == '\t') {
			while (*in == ' ' || *in == '\t')
				in++;
			out[o++] = prev = ' ';
		} else {
			out[o++] = prev = *in++;
		}
	}
	out[o] = '\0';
}

/*
 * perf stat -x, line: "count,unit,event,run_time,pct,..."; the count per
 * second of run time, or NAN.
 */
static double csv_rate(const char *out, const char *event, char *count_out, size_t len)
{
	const char *line = out;
	char field[6][64];

	while (line && *line) {
		const char *nl = strchr(line, '\n'), *p = line;
		int f = 0;

		memset(field, 0, sizeof(field));
		while (f < 6 && p < (nl ?: line + strlen(line))) {
			size_t n = strcspn(p, ",\n");

			snprintf(field[f++], sizeof(field[0]), "%.*s", (int)n, p);
			p += n + (p[n] == ',');
			if (p[-1] != ',')
				break;
		}
		if (f >= 4 && !strcmp(field[2], event)) {
			double count = strtod(field[0], NULL);
			double run_ns = strtod(field[3], NULL);

			snprintf(count_out, len, "%s", field[0]);
			return run_ns > 0 ? count / (run_ns / 1e9) : NAN;
		}
		line = nl ? nl + 1 : NULL;
	}
	return NAN;
}

static bool near(double v, double want)
{
	return fabs(v - want) <= 0.02 * want;
}

/* perf stat on the "i915" PMU (GPU0), CPU-wide, for a second. */
TEST_F(tools, perf_i915)
{
	static const char * const csv[] = {
		"stat", "-x,", "-e", "i915/rcs0-busy/,i915/actual-frequency/", "-a",
		"--", "sleep", "1", NULL,
	};
	static const char * const human[] = {
		"stat", "-e", "i915/rcs0-busy/,i915/actual-frequency/", "-a",
		"--", "sleep", "1", NULL,
	};
	char masked_host[4096], masked_ct[4096], count[64];
	struct tool_run host, ct, r;
	double busy, freq;

	ASSERT_EQ(0, access("/sys/bus/event_source/devices/i915/events/rcs0-busy", F_OK));

	/* baseline: container root alone is refused (perf_event_paranoid) */
	ASSERT_EQ(0, run(&r, CT, PERF, csv, NULL, NULL));
	log_run(_metadata, "perf stat", CT, &r);
	EXPECT_FALSE(tool_exited(&r, 0));
	EXPECT_TRUE(isnan(csv_rate(r.err, "i915/rcs0-busy/", count, sizeof(count))));
	EXPECT_NE(NULL, strstr(r.err, "perf_event_paranoid"));
	tool_free(&r);

	/* the driven rates, as host root on the PMU and through the shim */
	ASSERT_EQ(0, run(&host, HOST, PERF, csv, NULL, NULL));
	ASSERT_EQ(0, run(&ct, CT_SHIM, PERF, csv, NULL, NULL));
	log_run(_metadata, "perf stat -x,", HOST, &host);
	log_run(_metadata, "perf stat -x,", CT_SHIM, &ct);
	EXPECT_TRUE(tool_exited(&host, 0));
	EXPECT_TRUE(tool_exited(&ct, 0));
	/* rcs0-busy: ns busy per ns; actual-frequency: MHz x s */
	busy = csv_rate(host.err, "i915/rcs0-busy/", count, sizeof(count));
	EXPECT_TRUE(near(busy, mock_decoy.rcs0_busy * 1e7)) TH_LOG("host busy %f/s", busy);
	busy = csv_rate(ct.err, "i915/rcs0-busy/", count, sizeof(count));
	EXPECT_TRUE(near(busy, mock_decoy.rcs0_busy * 1e7)) TH_LOG("shim busy %f/s", busy);
	freq = csv_rate(ct.err, "i915/actual-frequency/", count, sizeof(count));
	EXPECT_TRUE(near(freq, mock_decoy.act_mhz)) TH_LOG("shim freq %f/s", freq);
	TH_LOG("through the shim: rcs0-busy %.0f ns/s, actual-frequency %.1f MHz", busy, freq);
	tool_free(&host);
	tool_free(&ct);

	/* what a user reads: the same lines as host root's */
	ASSERT_EQ(0, run(&host, HOST, PERF, human, NULL, NULL));
	ASSERT_EQ(0, run(&ct, CT_SHIM, PERF, human, NULL, NULL));
	mask_numbers(host.err, masked_host, sizeof(masked_host));
	mask_numbers(ct.err, masked_ct, sizeof(masked_ct));
	EXPECT_STREQ(masked_host, masked_ct) {
		log_run(_metadata, "perf stat", HOST, &host);
		log_run(_metadata, "perf stat", CT_SHIM, &ct);
	}
	EXPECT_TRUE(tool_exited(&ct, 0));
	tool_free(&host);
	tool_free(&ct);
}

static const char *join(const char *const *args, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (; *args && o < len; args++)
		o += snprintf(buf + o, len - o, "%s%s", o ? " " : "", *args);
	return buf;
}

/*
 * perf's other events through the shim: the same lines (numbers aside)
 * and exit code as without it, for each perf_event_paranoid a container
 * may meet: Debian's default (refused) and -1 (counted).
 */
TEST_F(tools, perf_other_events_untouched)
{
	static const char * const cmds[][12] = {
		{ "stat", "-e", "cycles", "--", "true", NULL },
		{ "stat", "-e", "task-clock,context-switches", "--", "true", NULL },
		{ "stat", "-e", "cpu-clock,cs", "-a", "--", "sleep", "0.2", NULL },
		{ "stat", "-x,", "-e", "instructions,page-faults", "--", "true", NULL },
	};
	static const char * const paranoid[] = { NULL, "-1" };
	char masked[2][8192], old[16] = "", line[256];
	unsigned int i, p;
	int fd;

	fd = open(PARANOID, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, old, sizeof(old) - 1));
	close(fd);
	old[strcspn(old, "\n")] = '\0';
	TH_LOG("perf_event_paranoid: %s", old);

	for (p = 0; p < ARRAY_SIZE(paranoid); p++) {
		if (paranoid[p])
			ASSERT_EQ(0, write_str(PARANOID, paranoid[p]));
		for (i = 0; i < ARRAY_SIZE(cmds); i++) {
			struct tool_run r[2];

			ASSERT_EQ(0, run(&r[0], CT, PERF, cmds[i], NULL, NULL));
			ASSERT_EQ(0, run(&r[1], CT_SHIM, PERF, cmds[i], NULL, NULL));
			mask_numbers(r[0].err, masked[0], sizeof(masked[0]));
			mask_numbers(r[1].err, masked[1], sizeof(masked[1]));
			EXPECT_STREQ(masked[0], masked[1]);
			EXPECT_EQ(r[0].status, r[1].status);
			EXPECT_STREQ(r[0].out, r[1].out);
			TH_LOG("paranoid %s, perf %s: status 0x%x, stderr:\n%.400s",
			       paranoid[p] ?: old, join(cmds[i], line, sizeof(line)),
			       r[1].status, r[1].err);
			tool_free(&r[0]);
			tool_free(&r[1]);
		}
	}
	write_str(PARANOID, old);
}

TEST_HARNESS_MAIN
