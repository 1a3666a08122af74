// SPDX-License-Identifier: GPL-2.0
/*
 * -c: one header line, then one row per sample.  Columns, in order:
 *
 *   period_ms                 the sample's period (the group's clock)
 *   freq_req_mhz, freq_act_mhz, irq_per_s, rc6_pct
 *   <e>_busy_pct, <e>_wait_pct, <e>_sema_pct
 *                             per engine class the GPU has (<e>: render,
 *                             copy, video, video-enhance, compute; the mean
 *                             over the class's engines), or with -p per
 *                             engine (<e>: rcs0, bcs0, vcs1, ...)
 *   usage_scope               "container" ("host" for the host's own
 *                             processes), or the --cgroup given
 *   usage_clients             DRM clients of the GPU in that scope
 *   usage_<class>_pct         that scope's own busy % per class the GPU
 *                             has (mean per engine, as intel_gpu_top's
 *                             client view)
 *   usage_<class>_ns          that scope's total busy ns per class
 *
 * Numbers are plain decimals ("%.2f" for rates); a counter the GPU lacks
 * is empty; usage that is not available (no scope, host policy, 6.1 GuC)
 * is "n/a", never 0.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static const char *const smp_names[NGP_NR_SAMPLERS] = {
	[NGP_BUSY] = "busy", [NGP_WAIT] = "wait", [NGP_SEMA] = "sema",
};

/* A field, quoted when it holds a comma, a quote or a newline. */
static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void num(FILE *f, bool has, double v)
{
	fputc(',', f);
	if (has)
		fprintf(f, "%.2f", v);
}

void csv_header(FILE *f, const struct cli_opts *o, const struct ngp_sample *s)
{
	int i, c, k;

	fputs("period_ms,freq_req_mhz,freq_act_mhz,irq_per_s,rc6_pct", f);
	if (o->physical) {
		for (i = 0; i < s->nr_engines; i++)
			for (k = 0; k < NGP_NR_SAMPLERS; k++)
				fprintf(f, ",%s_%s_pct", s->engines[i].engine->pmu_name,
					smp_names[k]);
	} else {
		for (c = 0; c < NGP_NR_CLASSES; c++) {
			if (!s->classes[c].nr_engines)
				continue;
			for (k = 0; k < NGP_NR_SAMPLERS; k++)
				fprintf(f, ",%s_%s_pct", ngp_class_fdinfo(c), smp_names[k]);
		}
	}
	fputs(",usage_scope,usage_clients", f);
	for (c = 0; c < NGP_NR_CLASSES; c++)
		if (s->classes[c].nr_engines)
			fprintf(f, ",usage_%s_pct", ngp_class_fdinfo(c));
	for (c = 0; c < NGP_NR_CLASSES; c++)
		if (s->classes[c].nr_engines)
			fprintf(f, ",usage_%s_ns", ngp_class_fdinfo(c));
	fputc('\n', f);
}

/* This scope's usage of a class: its index in s->usage, or -1 (none yet). */
static int usage_class(const struct ngp_sample *s, int c)
{
	int j;

	for (j = 0; j < s->usage.nr_classes; j++)
		if ((int)s->usage.classes[j].class == c)
			return j;
	return -1;
}

void csv_row(FILE *f, const struct cli_opts *o, const struct ngp_sample *s)
{
	const struct ngp_usage *u = &s->usage;
	int i, c, k, j;

	fprintf(f, "%.2f", s->period_ms);
	num(f, s->has_freq_req, s->freq_req);
	num(f, s->has_freq_act, s->freq_act);
	num(f, s->has_irq, s->irq);
	num(f, s->has_rc6, s->rc6);
	if (o->physical) {
		for (i = 0; i < s->nr_engines; i++)
			for (k = 0; k < NGP_NR_SAMPLERS; k++)
				num(f, s->engines[i].has[k], s->engines[i].pct[k]);
	} else {
		for (c = 0; c < NGP_NR_CLASSES; c++) {
			if (!s->classes[c].nr_engines)
				continue;
			for (k = 0; k < NGP_NR_SAMPLERS; k++)
				num(f, s->classes[c].has[k], s->classes[c].pct[k]);
		}
	}
	fputc(',', f);
	csv_str(f, u->scope_label);
	if (u->available)
		fprintf(f, ",%" PRIu32, u->nr_clients);
	else
		fputs(",n/a", f);
	for (c = 0; c < NGP_NR_CLASSES; c++) {
		if (!s->classes[c].nr_engines)
			continue;
		j = usage_class(s, c);
		if (!u->available)
			fputs(",n/a", f);
		else
			fprintf(f, ",%.2f", j < 0 ? 0.0 : u->classes[j].pct);
	}
	for (c = 0; c < NGP_NR_CLASSES; c++) {
		if (!s->classes[c].nr_engines)
			continue;
		j = usage_class(s, c);
		if (!u->available)
			fputs(",n/a", f);
		else
			fprintf(f, ",%" PRIu64, j < 0 ? (uint64_t)0 : u->classes[j].busy_ns);
	}
	fputc('\n', f);
}
