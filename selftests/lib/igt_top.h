/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running real tools (intel_gpu_top, perf) in the test VM, as host root or
 * as root of a container's user namespace, and reading what they print;
 * driving the mock GPUs to known rates and checking intel_gpu_top's view
 * of them.
 *
 * intel_gpu_top -J prints one JSON object per period: 1.27.1 with no "["
 * and objects joined by ",\n{", 2.x inside "[" ... "]" ("]" on SIGINT).
 * The parser flattens each object: "engines|Render/3D/0|busy" -> "25.0".
 *
 * Tolerance (top_shows()): the mock computes each counter from ktime at
 * read time, and the period intel_gpu_top divides by is the group's
 * time_enabled from the same read, so a value is exact but for the time
 * between perf taking its timestamp and the mock reading ktime inside one
 * read, twice a period.  In QEMU TCG on a loaded host a vCPU can lose
 * milliseconds there, so the median over the periods must be within 2% of
 * the driven rate and every period within 10% (a wrong counter, GPU or
 * scale is off by far more); counters not driven must be exactly 0.
 */
#ifndef IGT_TOP_H
#define IGT_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IGT_TOP			"/usr/bin/intel_gpu_top"	/* bookworm's */
/* sid's, with sid's own loader and libraries (selftests/vm/run.sh) */
#define SID_LOADER		"/sid/lib/ld-linux-x86-64.so.2"
#define SID_LIBS		"/sid/lib"
#define SID_TOP			"/sid/bin/intel_gpu_top"
#define USERNS_EXEC		"/tests/userns-exec"
/* A container whose root is host uid 100000, as LXC maps it */
#define CT_MAP			"0 100000 65536"
#define CT_UID			100000

#define TOOL_MAX_OUT		(512 * 1024)
#define TOP_MAX_SAMPLES		16
#define TOP_MAX_KV		256

/* One printed period, flattened. */
struct top_kv {
	char path[96];
	char val[32];
};

struct top_sample {
	struct top_kv kv[TOP_MAX_KV];
	int n;
};

/* What a tool printed and how it ended. */
struct tool_run {
	char *out;		/* stdout, NUL-terminated */
	size_t len;
	char *err;		/* stderr, NUL-terminated */
	size_t err_len;
	int status;		/* waitpid() status */
	bool stopped;		/* signalled by the stop rule */
	bool timed_out;		/* SIGKILLed at the deadline */
	struct top_sample s[TOP_MAX_SAMPLES];
	int nr;			/* complete -J periods parsed */
};

/* Called after each chunk of output; true: SIGINT the tool, as a user. */
typedef bool (*tool_stop_fn)(struct tool_run *r, void *arg);

struct tool_cmd {
	const char *const *argv;	/* argv[0]: the program's path */
	const char *const *env;		/* extra "NAME=value"s, NULL-ended */
	const char *map;		/* non-NULL: as root of a new user
					 * namespace with this uid/gid map */
	const char *cgroup;		/* with map: in this cgroup (v2 path),
					 * made the root of a new cgroup
					 * namespace, as LXC does */
	tool_stop_fn stop;
	void *arg;
	int stop_signal;		/* what stop sends; 0: SIGINT */
	int timeout_s;			/* SIGKILL after; 0: 120 */
};

/*
 * Run a command to its end (or until stop says so), capturing stdout and
 * stderr.  With a map it runs under USERNS_EXEC, which ignores the SIGINT
 * the tool gets and returns the tool's exit status.  0, or -errno if it
 * could not be started.
 */
int tool_run(struct tool_run *r, const struct tool_cmd *c);
void tool_free(struct tool_run *r);
/* Exited with this code (not killed, not timed out). */
bool tool_exited(const struct tool_run *r, int code);

/* ---- intel_gpu_top -J ---------------------------------------------- */

/* Parse the complete top-level objects of r->out into r->s; r->nr. */
int top_parse_json(struct tool_run *r);
const char *top_get(const struct top_sample *s, const char *path);
/* A number at path, NAN if absent or not a number. */
double top_getd(const struct top_sample *s, const char *path);

/* A stop rule for -J: stop after want periods, calling at() after each. */
struct top_json_stop {
	int want;
	void (*at)(int nr, void *arg);
	void *arg;
	int seen;
};
bool top_json_stop(struct tool_run *r, void *arg);

/*
 * Whether two -J periods have the same structure: the same keys, nesting
 * and order, values aside; clients ("clients|<id>|...") are left out,
 * being whoever runs.  false and a line on stderr naming the difference.
 */
bool top_same_structure(const struct top_sample *a, const struct top_sample *b);

/* ---- intel_gpu_top -l ---------------------------------------------- */

/* A stop rule for -l: stop once it printed want data rows. */
struct top_text_stop {
	int want;
};
bool top_text_stop(struct tool_run *r, void *arg);

/*
 * -l's output as columns: its two header lines name them ("Freq MHz req",
 * "Freq MHz act", "IRQ /s", "RC6 %", "RCS/0 %", "RCS/0 se", "RCS/0 wa",
 * ...), each data row is one period.
 */
#define TOP_TEXT_COLS	64
#define TOP_TEXT_ROWS	32
struct top_text {
	char col[TOP_TEXT_COLS][32];
	int ncols;
	double v[TOP_TEXT_ROWS][TOP_TEXT_COLS];
	int nrows;
};
/* 0, or -1 and a line on stderr when the output is not -l's layout. */
int top_parse_text(const char *out, struct top_text *t);
/* The column named so, or -1. */
int top_text_col(const struct top_text *t, const char *name);

/* ---- the mock, driven -------------------------------------------------- */

/* What a GPU is driven to, in the units intel_gpu_top shows. */
struct mock_drive {
	double act_mhz, req_mhz, irq_per_s, rc6_pct;
	double rcs0_busy, bcs0_wait, vcs1_busy, vecs0_sema;	/* % */
};

/*
 * What the suites that run tools drive: mock_want on GPU1 (the GPU
 * intel_gpu_top picks by itself, and the one the suites point at), and
 * mock_decoy on the others, so that a tool reading the wrong GPU shows it.
 */
extern const struct mock_drive mock_want, mock_decoy;

/*
 * Both mock GPUs (and the non-Intel one) bound, driven to mock_want (GPU1)
 * and mock_decoy (GPU0, OTHER), their DRM nodes open to every uid (as a
 * container's render node is passed in).  0, or -ENODEV naming the GPU
 * that is not bound on stderr, or mock_drive()'s error.
 */
int drive_gpus(void);

/* Set one counter's rate per second; 0 or -errno. */
int mock_rate(const char *pci, uint64_t config, double per_s);
/* Stop every counter of a GPU; 0 or -errno. */
int mock_still(const char *pci);
/* Stop every counter, then drive these; 0 or -errno. */
int mock_drive(const char *pci, const struct mock_drive *d);
bool pci_bound(const char *pci);

/*
 * The value at the path over values[1..n-1] (the first period covers only
 * the time between two back-to-back reads and is not checked): median or
 * mean within 2% and each within 10% of want; want 0: each exactly 0.
 * The mean too, because a driver late at a period's end moves counts to
 * the next period: the two err in opposite ways and their mean holds,
 * while the median of two periods is the higher one.  Logs what it saw
 * when not.
 */
bool top_within(const char *what, const double *values, int n, double want);
/* top_within() over a -J path of every period. */
bool top_shows(const struct tool_run *r, const char *path, double want);

/* How intel_gpu_top names the engines. */
enum top_engines {
	TOP_PHYSICAL,	/* "Render/3D/0", "Video/1" (-l: "RCS/0"): 1.27.1, 2.x -p */
	TOP_CLASSES,	/* "Render/3D", "Video" (-l: "RCS"): 2.x, class averages */
};

/*
 * Every device value of every -J period is what d drives: frequency,
 * IRQ/s, RC6 and busy/sema/wait of each engine (undriven ones exactly 0),
 * these engines and no other, frequency unit MHz.  The number of failed
 * checks (each logged).
 */
int top_check_json(const struct tool_run *r, const struct mock_drive *d,
		   enum top_engines names);
/* The same for -l's columns ("RCS/0 %", or "RCS %" for classes). */
int top_check_text(const struct top_text *t, const struct mock_drive *d,
		   enum top_engines names);

#endif
