// SPDX-License-Identifier: GPL-2.0
/*
 * -J: intel_gpu_top's JSON, byte for byte, and ours.
 *
 * intel_gpu_top prints JSON through a small state machine (open object,
 * member, close object) that remembers only how many members the current
 * object has so far; a new object or member is preceded by ",\n" when
 * that count is not 0.  Its quirks follow from that and are reproduced by
 * the same machine here (struct jw):
 *
 *   - tab indentation, one member per line, each nested object opened on
 *     its key's line ("\t\"engines\": {"), numbers as C's "%f", the client
 *     "pid" and every client number as JSON strings;
 *   - a sample is "\n{\n" ... "\n}": the stream starts with an empty line;
 *   - IGT_LAYOUT_1_27 (intel-gpu-tools <= 1.27.1, Debian 12): no "[";
 *     samples joined by ",\n{" - except after a sample whose last object
 *     ("clients" with no client) was empty: closing an object does not
 *     count as a member, so the next sample starts "\n{" with no comma;
 *     nothing after the last sample, not even a newline;
 *   - IGT_LAYOUT_1_28 (the 2.x releases, checked against 2.5): "[\n"
 *     first, samples always joined by ",\n{" (2.5 counts a closed object
 *     as a member), "]\n" right after the last "}" when the tool ends on
 *     SIGINT or after -n samples.  Default engine names are classes
 *     ("Render/3D", "Video": the class mean), physical with -p.  Clients
 *     carry a "memory" object ("system", "local") when their fdinfo has
 *     memory statistics.
 *
 * Our schema (nsgpuperf -J; json_opts.cgroup): IGT_LAYOUT_1_28 with no
 * "clients" (we do not scan /proc) and, last in each sample:
 *
 *	"cgroup": {
 *		"scope": "container",		the usage scope: "container" ("host"
 *						for the host's processes), or
 *						the sub-cgroup given (--cgroup)
 *		"nr_clients": 2,		DRM clients in the scope
 *		"available": true,		false: busy figures are "n/a"
 *		"reason": "...",		only when not available: why
 *		"engine-classes": {		every class the GPU has
 *			"Render/3D": {
 *				"busy": 12.500000,	% of the period, mean per
 *							engine of the class, or
 *							"n/a" (never 0 for
 *							unknown)
 *				"unit": "%"
 *			},
 *			...
 *		}
 *	}
 *
 * Usage is "n/a" when the kernel or the host's policy gives none (6.1
 * with GuC submission) or when some client in scope reports nothing.
 * Strings we print are pure ASCII: client names keep intel_gpu_top's
 * '*' for a non-printable byte, and a '"' or '\' in a name is escaped
 * (intel_gpu_top prints them raw, which is not JSON).
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* intel_gpu_top's JSON printer state; see the comment at the top. */
struct jw {
	FILE *f;
	unsigned int level;
	unsigned int members;	/* of the object being printed */
	bool close_counts;	/* 2.x: a closed object counts as a member */
};

/* Kept between samples: whether the next one starts with a comma. */
static unsigned int stream_members;

static const char *const indent[] = {
	"", "\t", "\t\t", "\t\t\t", "\t\t\t\t", "\t\t\t\t\t",
};

static void jw_open(struct jw *w, const char *name)
{
	unsigned int prev = w->members;

	assert(w->level < sizeof(indent) / sizeof(indent[0]));
	w->members = 0;
	if (name)
		fprintf(w->f, "%s%s\"%s\": {\n", prev ? ",\n" : "", indent[w->level], name);
	else
		fprintf(w->f, "%s\n%s{\n", prev ? "," : "", indent[w->level]);
	w->level++;
}

static void jw_close(struct jw *w)
{
	assert(w->level > 0);
	fprintf(w->f, "\n%s}", indent[--w->level]);
	if (w->close_counts)
		w->members = 1;
}

static void jw_key(struct jw *w, const char *key)
{
	fprintf(w->f, "%s%s\"%s\": ", w->members ? ",\n" : "", indent[w->level], key);
	w->members++;
}

static void jw_num(struct jw *w, const char *key, double v)
{
	jw_key(w, key);
	fprintf(w->f, "%f", v);
}

static void jw_int(struct jw *w, const char *key, unsigned long long v)
{
	jw_key(w, key);
	fprintf(w->f, "%llu", v);
}

static void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	fputs(v ? "true" : "false", w->f);
}

/* A JSON string: ASCII, '"' and '\' escaped, the rest of C0 as '*'. */
static void jw_str(struct jw *w, const char *key, const char *val)
{
	const unsigned char *p;

	jw_key(w, key);
	fputc('"', w->f);
	for (p = (const unsigned char *)val; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', w->f);
		fputc(*p < 0x20 || *p > 0x7e ? '*' : *p, w->f);
	}
	fputc('"', w->f);
}

/* A string member of a number, as intel_gpu_top prints client figures. */
static void jw_strf(struct jw *w, const char *key, double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%f", v);
	jw_str(w, key, buf);
}

static void jw_strull(struct jw *w, const char *key, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", v);
	jw_str(w, key, buf);
}

const char *json_class_name(enum igt_layout layout, int cls)
{
	static const char *const names[NGP_NR_CLASSES] = {
		"Render/3D", "Blitter", "Video", "VideoEnhance", "Compute",
	};

	/* 1.27.1 predates compute engines */
	if (cls < 0 || cls >= NGP_NR_CLASSES || (layout == IGT_LAYOUT_1_27 && cls > 3))
		return "[unknown]";
	return names[cls];
}

/* "busy", "sema", "wait", "unit": intel_gpu_top's order */
static void engine_group(struct jw *w, const char *name, const double *pct)
{
	jw_open(w, name);
	jw_num(w, "busy", pct[NGP_BUSY]);
	jw_num(w, "sema", pct[NGP_SEMA]);
	jw_num(w, "wait", pct[NGP_WAIT]);
	jw_key(w, "unit");
	fputs("\"%\"", w->f);
	jw_close(w);
}

static void unit(struct jw *w, const char *u)
{
	jw_key(w, "unit");
	fprintf(w->f, "\"%s\"", u);
}

static void engines(struct jw *w, const struct json_opts *jo, const struct ngp_sample *s)
{
	char name[64];
	int i;

	if (jo->physical) {
		if (!s->nr_engines)
			return;
		jw_open(w, "engines");
		for (i = 0; i < s->nr_engines; i++) {
			const struct ngp_engine *e = s->engines[i].engine;

			snprintf(name, sizeof(name), "%s/%u",
				 json_class_name(jo->layout, e->class), e->instance);
			engine_group(w, name, s->engines[i].pct);
		}
		jw_close(w);
		return;
	}
	for (i = 0; i < NGP_NR_CLASSES && !s->classes[i].nr_engines; i++)
		;
	if (i == NGP_NR_CLASSES)
		return;
	jw_open(w, "engines");
	for (i = 0; i < NGP_NR_CLASSES; i++)
		if (s->classes[i].nr_engines)
			engine_group(w, json_class_name(jo->layout, i), s->classes[i].pct);
	jw_close(w);
}

/* The highest engine class the GPU has, -1 if none. */
static int max_class(const struct ngp_sample *s)
{
	int i, max = -1;

	for (i = 0; i < NGP_NR_CLASSES; i++)
		if (s->classes[i].nr_engines)
			max = i;
	for (i = 0; i < s->nr_engines; i++)
		if ((int)s->engines[i].engine->class > max)
			max = s->engines[i].engine->class;
	return max;
}

static bool has_class(const struct ngp_sample *s, int cls)
{
	int i;

	if (s->classes[cls].nr_engines)
		return true;
	for (i = 0; i < s->nr_engines; i++)
		if ((int)s->engines[i].engine->class == cls)
			return true;
	return false;
}

static void client(struct jw *w, const struct json_opts *jo, const struct ngp_sample *s,
		   const struct ngp_client *c, double period_us)
{
	static const char *const regions[NGP_CLIENT_REGIONS] = { "system", "local" };
	char buf[NGP_CLIENT_NAME_LEN];
	int i, max = max_class(s);

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)c->id);
	jw_open(w, buf);
	snprintf(buf, sizeof(buf), "%s", c->comm);
	/* 2.x reads the name up to the first ')', 1.27.1 to the last */
	if (jo->layout != IGT_LAYOUT_1_27 && strchr(buf, ')'))
		*strchr(buf, ')') = '\0';
	buf[23] = '\0';		/* its print_name[24] */
	jw_str(w, "name", buf);
	jw_strull(w, "pid", (unsigned long long)c->pid);
	if (jo->layout != IGT_LAYOUT_1_27 && c->nr_regions) {
		jw_open(w, "memory");
		for (i = 0; i < c->nr_regions && i < NGP_CLIENT_REGIONS; i++) {
			jw_open(w, regions[i]);
			jw_strull(w, "total", c->mem[i].total);
			jw_strull(w, "shared", c->mem[i].shared);
			jw_strull(w, "resident", c->mem[i].resident);
			jw_strull(w, "purgeable", c->mem[i].purgeable);
			jw_strull(w, "active", c->mem[i].active);
			jw_close(w);
		}
		jw_close(w);
	}
	if (c->samples > 1) {
		jw_open(w, "engine-classes");
		for (i = 0; i <= max; i++) {
			/* 1.27.1 reads no compute busy; 2.x names a gap "(null)" */
			bool counted = jo->layout != IGT_LAYOUT_1_27 || i < 4;

			if (jo->layout == IGT_LAYOUT_1_27)
				jw_open(w, json_class_name(jo->layout, i));
			else
				jw_open(w, has_class(s, i) ? json_class_name(jo->layout, i) : "(null)");
			jw_strf(w, "busy", counted ? (double)c->delta_ns[i] / period_us / 1e3 * 100 : 0);
			jw_key(w, "unit");
			fputs("\"%\"", w->f);
			jw_close(w);
		}
		jw_close(w);
	}
	jw_close(w);
}

static void cgroup(struct jw *w, const struct json_opts *jo, const struct ngp_sample *s)
{
	const struct ngp_usage *u = &s->usage;
	bool ok = u->available && !u->incomplete;
	int i, k;

	jw_open(w, "cgroup");
	jw_str(w, "scope", u->scope_label[0] ? u->scope_label : "container");
	jw_int(w, "nr_clients", u->nr_clients);
	jw_bool(w, "available", ok);
	if (!ok)
		jw_str(w, "reason", u->why[0] ? u->why :
		       u->incomplete ? "some clients in scope report no engine usage" :
		       "usage unavailable");
	jw_open(w, "engine-classes");
	for (i = 0; i < NGP_NR_CLASSES; i++) {
		double pct = 0;

		if (!has_class(s, i))
			continue;
		for (k = 0; k < u->nr_classes; k++)
			if ((int)u->classes[k].class == i)
				pct = u->classes[k].pct;
		jw_open(w, json_class_name(jo->layout, i));
		if (ok)
			jw_num(w, "busy", pct);
		else
			jw_str(w, "busy", "n/a");
		unit(w, "%");
		jw_close(w);
	}
	jw_close(w);
	jw_close(w);
}

void json_begin(FILE *f, const struct json_opts *jo)
{
	stream_members = 0;
	if (jo->layout != IGT_LAYOUT_1_27) {
		fputs("[\n", f);
		fflush(f);
	}
}

void json_sample_clients(FILE *f, const struct json_opts *jo,
			 const struct ngp_gpu *gpu, const struct ngp_sample *s,
			 unsigned int index, const struct json_clients *cl)
{
	struct jw w = {
		.f = f, .members = index ? stream_members : 0,
		.close_counts = jo->layout != IGT_LAYOUT_1_27,
	};
	int i;

	(void)gpu;
	jw_open(&w, NULL);

	jw_open(&w, "period");
	jw_num(&w, "duration", s->period_ms);
	unit(&w, "ms");
	jw_close(&w);

	if (s->has_freq_req || s->has_freq_act) {
		jw_open(&w, "frequency");
		jw_num(&w, "requested", s->has_freq_req ? s->freq_req : 0);
		jw_num(&w, "actual", s->has_freq_act ? s->freq_act : 0);
		unit(&w, "MHz");
		jw_close(&w);
	}
	if (s->has_irq) {
		jw_open(&w, "interrupts");
		jw_num(&w, "count", s->irq);
		unit(&w, "irq/s");
		jw_close(&w);
	}
	if (s->has_rc6) {
		jw_open(&w, "rc6");
		jw_num(&w, "value", s->rc6);
		unit(&w, "%");
		jw_close(&w);
	}
	engines(&w, jo, s);
	if (cl && max_class(s) >= 0) {
		jw_open(&w, "clients");
		for (i = 0; i < cl->nr; i++)
			client(&w, jo, s, &cl->c[i], cl->period_us);
		jw_close(&w);
	}
	if (jo->cgroup)
		cgroup(&w, jo, s);
	jw_close(&w);
	stream_members = w.members;
	fflush(f);
}

void json_sample(FILE *f, const struct json_opts *jo, const struct ngp_gpu *gpu,
		 const struct ngp_sample *s, unsigned int index)
{
	json_sample_clients(f, jo, gpu, s, index, NULL);
}

void json_end(FILE *f, const struct json_opts *jo)
{
	if (jo->layout != IGT_LAYOUT_1_27) {
		fputs("]\n", f);
		fflush(f);
	}
}
