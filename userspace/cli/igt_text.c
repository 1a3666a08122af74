// SPDX-License-Identifier: GPL-2.0
/*
 * intel_gpu_top's -l and -c lines, as 1.27.1 and 2.x print them.
 *
 * -l: two header lines - each group's name right-aligned over its
 * columns ("Freq MHz", "IRQ", "RC6", "RCS/0" or "RCS"), then each column's
 * unit ("req", "act", "/s", "%", "se", "wa") - and one line per sample of
 * "%*.*f " fields (frequency %4.0f, IRQ/s %8.0f, RC6 %3.0f, busy %7.2f,
 * sema and wait %3.0f), every field followed by a blank, the line's too.
 * 1.27.1 repeats the two header lines every 20 lines; 2.x prints them once
 * unless the output is a terminal.  A value too wide for its field is
 * "XXXX" when it is one character too wide, else cut (snprintf()).
 *
 * -c (2.x): "Freq MHz req,Freq MHz act,IRQ /s,RC6 %,RCS %,RCS se,..."
 * once, then the values as "%f", comma-separated.
 */
#include <string.h>

#include "igt.h"

#define HEADER_REPEAT	20
#define MAX_GROUPS	(4 + NGP_MAX_ENGINES)

struct item {
	bool present;
	unsigned int width, prec;
	double v;
	const char *unit;
};

struct group {
	char name[32];
	struct item it[3];
	int n;
};

static const char *short_name(enum igt_layout layout, int cls)
{
	static const char *const names[] = { "RCS", "BCS", "VCS", "VECS", "CCS" };

	if (cls < 0 || cls >= NGP_NR_CLASSES || (layout == IGT_LAYOUT_1_27 && cls > 3))
		return "UNKN";
	return names[cls];
}

static void engine_group(struct group *g, const char *name, const double *pct,
			 const bool *has)
{
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->it[0] = (struct item){ has[NGP_BUSY], 6, 2, pct[NGP_BUSY], "%" };
	g->it[1] = (struct item){ has[NGP_SEMA], 3, 0, pct[NGP_SEMA], "se" };
	g->it[2] = (struct item){ has[NGP_WAIT], 3, 0, pct[NGP_WAIT], "wa" };
	g->n = 3;
}

/* The groups a sample shows, in intel_gpu_top's order. */
static int groups(const struct igt_text *t, const struct ngp_sample *s, struct group *g)
{
	char name[32];
	int n = 0, i;

	snprintf(g[n].name, sizeof(g[n].name), "Freq MHz");
	g[n].it[0] = (struct item){ s->has_freq_req, 4, 0, s->freq_req, "req" };
	g[n].it[1] = (struct item){ s->has_freq_act, 4, 0, s->freq_act, "act" };
	g[n++].n = 2;
	snprintf(g[n].name, sizeof(g[n].name), "IRQ");
	g[n].it[0] = (struct item){ s->has_irq, 8, 0, s->irq, "/s" };
	g[n++].n = 1;
	snprintf(g[n].name, sizeof(g[n].name), "RC6");
	g[n].it[0] = (struct item){ s->has_rc6, 3, 0, s->rc6, "%" };
	g[n++].n = 1;
	if (t->physical) {
		for (i = 0; i < s->nr_engines && n < MAX_GROUPS; i++) {
			const struct ngp_engine *e = s->engines[i].engine;

			snprintf(name, sizeof(name), "%s/%u", short_name(t->layout, e->class),
				 e->instance);
			engine_group(&g[n++], name, s->engines[i].pct, s->engines[i].has);
		}
	} else {
		for (i = 0; i < NGP_NR_CLASSES; i++)
			if (s->classes[i].nr_engines)
				engine_group(&g[n++], short_name(t->layout, i),
					     s->classes[i].pct, s->classes[i].has);
	}
	return n;
}

static bool any_present(const struct group *g)
{
	int i;

	for (i = 0; i < g->n; i++)
		if (g->it[i].present)
			return true;
	return false;
}

static unsigned int field_width(const struct item *it)
{
	return it->width + (it->prec ? 1 : 0);
}

static void text_header(FILE *f, const struct group *g, int n, int which)
{
	unsigned int tot;
	int i, k;

	for (i = 0; i < n; i++) {
		if (!any_present(&g[i]))
			continue;
		if (which == 2) {
			for (k = 0; k < g[i].n; k++)
				if (g[i].it[k].present)
					fprintf(f, "%*s ", field_width(&g[i].it[k]), g[i].it[k].unit);
			continue;
		}
		/* the group's name over its columns, if its first one shows */
		if (!g[i].it[0].present)
			continue;
		for (tot = 0, k = 0; k < g[i].n; k++)
			if (g[i].it[k].present)
				tot += 1 + field_width(&g[i].it[k]);
		fprintf(f, "%*s ", tot - 1, g[i].name);
	}
	fputc('\n', f);
}

static void text_data(FILE *f, const struct group *g, int n)
{
	char buf[64];
	int i, k;

	for (i = 0; i < n; i++) {
		if (!any_present(&g[i]))
			continue;
		for (k = 0; k < g[i].n; k++) {
			const struct item *it = &g[i].it[k];
			unsigned int w = field_width(it);
			int len;

			if (!it->present)
				continue;
			/* intel_gpu_top's buffer is the field's width + 1 */
			len = snprintf(buf, w + 1, "%*.*f", w, it->prec, it->v);
			if (len < 0 || len == (int)w + 1) {
				memset(buf, 'X', w);
				buf[w] = '\0';
			}
			fprintf(f, "%s ", buf);
		}
	}
	fputc('\n', f);
}

static void csv_line(FILE *f, const struct group *g, int n, bool header)
{
	bool first = true;
	int i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < g[i].n; k++) {
			if (!g[i].it[k].present)
				continue;
			if (!first)
				fputc(',', f);
			first = false;
			if (header)
				fprintf(f, "%s %s", g[i].name, g[i].it[k].unit);
			else
				fprintf(f, "%f", g[i].it[k].v);
		}
	}
	fputc('\n', f);
}

void igt_text_init(struct igt_text *t, enum igt_layout layout, bool physical,
		   bool csv, bool tty)
{
	memset(t, 0, sizeof(*t));
	t->layout = layout;
	t->physical = physical;
	t->csv = csv;
	/* 2.x repeats -l's headers on a terminal only, never -c's */
	t->repeat = !csv && (layout == IGT_LAYOUT_1_27 || tty);
	t->lines = HEADER_REPEAT;
}

void igt_text_sample(FILE *f, struct igt_text *t, const struct ngp_sample *s)
{
	struct group g[MAX_GROUPS];
	int n = groups(t, s, g);
	unsigned int nr_headers = t->csv ? 1 : 2;

	if (t->repeat || !t->header_done) {
		unsigned int which;

		while ((which = t->lines % HEADER_REPEAT + 1) <= nr_headers) {
			if (t->csv)
				csv_line(f, g, n, true);
			else
				text_header(f, g, n, which);
			t->lines++;
		}
		t->header_done = true;
	}
	if (t->csv)
		csv_line(f, g, n, false);
	else
		text_data(f, g, n);
	t->lines++;
	fflush(f);
}
