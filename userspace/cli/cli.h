/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nsgpuperf command: how its parts fit.
 *
 *   main.c        argv[0] / subcommand dispatch, common options, exit codes;
 *                 nsgpuperf [top] [-J|-c|--openmetrics|--textfile DIR]
 *                 [-s MS] [-n N] [-d DEV] [--cgroup PATH] [-p]
 *   sampler.c     session + one GPU's reader + usage: one sample per period
 *   list.c        nsgpuperf list [-J]
 *   top.c         the live view (ncurses), text lines when not a terminal
 *   json.c        intel_gpu_top's -J layouts (1.27, 1.28) and ours
 *   csv.c         -c
 *   openmetrics.c --openmetrics, --textfile DIR
 *   exporter.c    nsgpuperf exporter --listen ADDR:PORT (libmicrohttpd)
 *   igt.c         the intel_gpu_top personality
 *   host.c        nsgpuperf host grant|revoke|list|restore: the host side
 *                 (per-container nodes, their record, the udev rule)
 */
#ifndef NSGPUPERF_CLI_H
#define NSGPUPERF_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "nsgpuperf.h"

#define NGP_DEFAULT_PERIOD_MS	1000

struct cli_opts {
	const char *device;	/* -d: PCI address or DRM node, NULL: first */
	unsigned int period_ms;	/* -s */
	long count;		/* -n, -1: until killed */
	const char *cgroup;	/* --cgroup: narrow the usage scope */
	bool physical;		/* per engine, not per class */
};

/* sampler.c: a session, one GPU, its counter group and usage. */
struct cli_sampler {
	struct ngp_session session;
	const struct ngp_gpu *gpu;
	struct ngp_reader reader;
	struct ngp_usage_state usage;
	struct ngp_raw prev, cur;
	struct ngp_sample sample;
	unsigned int index;	/* samples taken */
	struct timespec due;	/* when the next sample is due (MONOTONIC) */
};

int cli_sampler_open(struct cli_sampler *cs, const struct cli_opts *o,
		     struct ngp_error *e);
/*
 * The next sample in cs->sample: the first at once (over the time since
 * open, as intel_gpu_top's first), then one per period_ms.  Periods are on
 * an absolute schedule (open + index * period): a caller that waited for
 * input until the sample was due does not wait again.
 */
int cli_sampler_next(struct cli_sampler *cs, const struct cli_opts *o,
		     struct ngp_error *e);
/* Milliseconds until the next sample is due, 0 if it is. */
long cli_sampler_due_ms(const struct cli_sampler *cs, const struct cli_opts *o);
void cli_sampler_close(struct cli_sampler *cs);

/* Print "prog: <message>" to stderr; returns the exit code to use. */
int cli_fail(const char *prog, const struct ngp_error *e);

/* json.c */
enum igt_layout {
	IGT_LAYOUT_1_27,	/* no "[", samples joined by ",\n{" */
	IGT_LAYOUT_1_28,	/* "[" first, "]" on SIGINT */
};

struct json_opts {
	enum igt_layout layout;
	bool physical;		/* engine names "Render/3D/0" */
	bool cgroup;		/* our schema: add the "cgroup" object */
};

void json_begin(FILE *f, const struct json_opts *jo);
void json_sample(FILE *f, const struct json_opts *jo,
		 const struct ngp_gpu *gpu, const struct ngp_sample *s,
		 unsigned int index);
void json_end(FILE *f, const struct json_opts *jo);	/* on SIGINT */

/*
 * The intel_gpu_top personality's samples: json_sample() with its
 * "clients" object (NULL: no object, as when the GPU's fdinfo has no
 * client statistics).  index 0 starts a new stream.
 */
struct json_clients {
	const struct ngp_client *c;	/* per pid, in display order */
	int nr;
	double period_us;		/* busy % = delta ns / period_us / 1e3 * 100 */
};

void json_sample_clients(FILE *f, const struct json_opts *jo,
			 const struct ngp_gpu *gpu, const struct ngp_sample *s,
			 unsigned int index, const struct json_clients *cl);
/* intel_gpu_top's engine class names for a layout ("[unknown]", ...) */
const char *json_class_name(enum igt_layout layout, int cls);

/* csv.c */
void csv_header(FILE *f, const struct cli_opts *o, const struct ngp_sample *s);
void csv_row(FILE *f, const struct cli_opts *o, const struct ngp_sample *s);

/* openmetrics.c: one exposition for n GPUs, ending in "# EOF" */
void om_write(FILE *f, const struct ngp_gpu *const *gpus,
	      const struct ngp_sample *const *samples, int n);
/* write DIR/nsgpuperf.prom atomically (temp file + rename) */
int om_write_textfile(const char *dir, const struct ngp_gpu *const *gpus,
		      const struct ngp_sample *const *samples, int n,
		      struct ngp_error *e);

/* top.c: the live view until q (text lines when stdout is no terminal) */
int top_view(struct cli_sampler *cs, const struct cli_opts *o);

/* subcommands: each returns the exit code */
int list_main(int argc, char **argv);
int exporter_main(int argc, char **argv);
int igt_main(int argc, char **argv);
int host_main(int argc, char **argv);

#endif
