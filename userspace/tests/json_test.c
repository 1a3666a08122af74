// SPDX-License-Identifier: GPL-2.0
/*
 * json.c against what the real intel_gpu_top printed.
 *
 * tests/data/igt127_*.json and igt25_*.json are the stdout of Debian's
 * intel_gpu_top 1.27.1 and sid's 2.5, run as root on the mock GPU in the
 * test VM (-J, -J -p, with and without DRM clients, with a compute
 * engine, ended by SIGINT or -n).  Each is read back into struct
 * ngp_sample and clients - the numbers - and json.c must print the same
 * bytes: indentation, key order, number formats, string members, commas
 * (1.27.1's missing one after an empty "clients"), "[" and "]".
 *
 * Then: the output parses as JSON (jq) - 2.x's stream as it is, 1.27.1's
 * joined as its consumers do (in "[" "]"), our schema with its "cgroup"
 * object against tests/data/ours.json and by value.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "cli.h"
#include "test_data.h"

/* ---- reading intel_gpu_top's JSON back ------------------------------------ */

struct jnode {
	char key[64];
	char val[64];		/* a number's or a string's text */
	bool obj;
	int n;
	struct jnode *kids;
};

static void jfree(struct jnode *j)
{
	int i;

	for (i = 0; i < j->n; i++)
		jfree(&j->kids[i]);
	free(j->kids);
}

static const char *ws(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* intel_gpu_top's strings have no escapes */
static const char *jstr(const char *p, char *out, size_t len)
{
	const char *q = strchr(p + 1, '"');

	if (*p != '"' || !q || (size_t)(q - p - 1) >= len)
		return NULL;
	snprintf(out, len, "%.*s", (int)(q - p - 1), p + 1);
	return q + 1;
}

static const char *jobj(const char *p, struct jnode *o)
{
	o->obj = true;
	p = ws(p + 1);
	while (*p != '}') {
		struct jnode *k;

		o->kids = realloc(o->kids, (o->n + 1) * sizeof(*o->kids));
		k = &o->kids[o->n++];
		memset(k, 0, sizeof(*k));
		p = jstr(ws(p), k->key, sizeof(k->key));
		if (!p || *(p = ws(p)) != ':')
			return NULL;
		p = ws(p + 1);
		if (*p == '{')
			p = jobj(p, k);
		else if (*p == '"')
			p = jstr(p, k->val, sizeof(k->val));
		else {
			size_t n = strcspn(p, ",}\n");

			snprintf(k->val, sizeof(k->val), "%.*s", (int)n, p);
			p += n;
		}
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == ',')
			p = ws(p + 1);
		else if (*p != '}')
			return NULL;
	}
	return p + 1;
}

static const struct jnode *get(const struct jnode *o, const char *key)
{
	int i;

	for (i = 0; o && i < o->n; i++)
		if (!strcmp(o->kids[i].key, key))
			return &o->kids[i];
	return NULL;
}

static double num(const struct jnode *o, const char *key)
{
	const struct jnode *k = get(o, key);

	return k ? strtod(k->val, NULL) : NAN;
}

/* The top-level objects of a stream ("[", "]", "," and blanks between). */
static int parse_stream(const char *p, struct jnode *out, int max)
{
	int n = 0;

	for (;;) {
		while (*p && (isspace((unsigned char)*p) || *p == ',' || *p == '[' || *p == ']'))
			p++;
		if (*p != '{' || n == max)
			return n;
		memset(&out[n], 0, sizeof(out[n]));
		p = jobj(p, &out[n]);
		if (!p)
			return -1;
		n++;
	}
}

/* ---- ... into struct ngp_sample ------------------------------------------ */

#define MAX_SAMPLES	8
#define MAX_CLIENTS	8
#define CLIENT_PERIOD_US 1e6	/* client busy % = ns / 1e7 */

static int class_of(const char *name)
{
	static const char *const names[] = {
		"Render/3D", "Blitter", "Video", "VideoEnhance",
	};
	size_t n = strcspn(name, "/");
	int i;

	if (name[n] == '/' && !strncmp(name, "Render/3D", 9))
		n = 9;
	for (i = 0; i < 4; i++)
		if (strlen(names[i]) == n && !strncmp(name, names[i], n))
			return i;
	return NGP_CLASS_COMPUTE;	/* "Compute", "[unknown]" */
}

struct replay {
	struct ngp_engine engines[NGP_MAX_ENGINES];
	struct ngp_sample s;
	struct ngp_client clients[MAX_CLIENTS];
	struct json_clients cl;
	bool has_clients;
};

static void fill(struct replay *r, const struct jnode *o)
{
	const struct jnode *e = get(o, "engines"), *c = get(o, "clients"), *k;
	struct ngp_sample *s = &r->s;
	int i, j, cls;

	memset(r, 0, sizeof(*r));
	s->period_ms = num(get(o, "period"), "duration");
	if ((k = get(o, "frequency"))) {
		s->has_freq_req = s->has_freq_act = true;
		s->freq_req = num(k, "requested");
		s->freq_act = num(k, "actual");
	}
	if ((k = get(o, "interrupts"))) {
		s->has_irq = true;
		s->irq = num(k, "count");
	}
	if ((k = get(o, "rc6"))) {
		s->has_rc6 = true;
		s->rc6 = num(k, "value");
	}
	for (i = 0; e && i < e->n; i++) {
		const struct jnode *g = &e->kids[i];
		const char *slash = strrchr(g->key, '/');
		double pct[NGP_NR_SAMPLERS] = {
			[NGP_BUSY] = num(g, "busy"), [NGP_WAIT] = num(g, "wait"),
			[NGP_SEMA] = num(g, "sema"),
		};

		cls = class_of(g->key);
		/* "Render/3D/0", "Video/1": physical; "Render/3D", "Video": classes */
		if (slash && strcmp(g->key, "Render/3D") && isdigit((unsigned char)slash[1])) {
			struct ngp_engine *en = &r->engines[s->nr_engines];

			en->class = cls;
			en->instance = atoi(slash + 1);
			s->engines[s->nr_engines].engine = en;
			memcpy(s->engines[s->nr_engines].pct, pct, sizeof(pct));
			s->nr_engines++;
			s->classes[cls].nr_engines++;
		} else {
			s->classes[cls].nr_engines = 1;
			memcpy(s->classes[cls].pct, pct, sizeof(pct));
		}
	}
	r->has_clients = c != NULL;
	r->cl.c = r->clients;
	r->cl.period_us = CLIENT_PERIOD_US;
	for (i = 0; c && i < c->n && i < MAX_CLIENTS; i++) {
		const struct jnode *g = &c->kids[i], *m = get(g, "memory");
		const struct jnode *ec = get(g, "engine-classes");
		struct ngp_client *cl = &r->clients[r->cl.nr++];

		cl->id = strtoull(g->key, NULL, 10);
		snprintf(cl->comm, sizeof(cl->comm), "%s", get(g, "name")->val);
		cl->pid = atoi(get(g, "pid")->val);
		cl->samples = ec ? 2 : 1;
		for (j = 0; m && j < m->n && j < NGP_CLIENT_REGIONS; j++) {
			cl->nr_regions = j + 1;
			cl->mem[j].total = strtoull(get(&m->kids[j], "total")->val, NULL, 10);
			cl->mem[j].shared = strtoull(get(&m->kids[j], "shared")->val, NULL, 10);
			cl->mem[j].resident = strtoull(get(&m->kids[j], "resident")->val, NULL, 10);
			cl->mem[j].purgeable = strtoull(get(&m->kids[j], "purgeable")->val, NULL, 10);
			cl->mem[j].active = strtoull(get(&m->kids[j], "active")->val, NULL, 10);
		}
		for (j = 0; ec && j < ec->n && j < NGP_NR_CLASSES; j++)
			cl->delta_ns[j] = llround(num(&ec->kids[j], "busy") *
						  CLIENT_PERIOD_US * 1e3 / 100);
	}
}

/* Print a replay of a capture: the bytes json.c writes for it. */
static char *replay(const char *text, enum igt_layout layout, bool physical,
		    bool end, size_t *len)
{
	struct json_opts jo = { .layout = layout, .physical = physical };
	struct jnode o[MAX_SAMPLES];
	struct ngp_gpu gpu = { .pci_addr = "0000:00:05.0" };
	struct replay *r = calloc(1, sizeof(*r));
	char *out = NULL;
	FILE *f = open_memstream(&out, len);
	int n, i;

	n = parse_stream(text, o, MAX_SAMPLES);
	json_begin(f, &jo);
	for (i = 0; i < n; i++) {
		fill(r, &o[i]);
		json_sample_clients(f, &jo, &gpu, &r->s, i, r->has_clients ? &r->cl : NULL);
		jfree(&o[i]);
	}
	if (end)
		json_end(f, &jo);
	fclose(f);
	free(r);
	return n > 0 ? out : (free(out), NULL);
}

struct capture {
	const char *file;
	enum igt_layout layout;
	bool physical;
	bool end;		/* the tool printed its end ("]") */
};

FIXTURE(capture) {
	char *want, *got;
	size_t wlen, glen;
};

FIXTURE_VARIANT(capture) {
	struct capture c;
};

/* Debian's 1.27.1: physical names, no "[", ends on SIGINT with "}" */
FIXTURE_VARIANT_ADD(capture, igt127_clients) {
	.c = { "igt127_clients.json", IGT_LAYOUT_1_27, true, false },
};

/* an empty "clients": the next sample starts with no comma */
FIXTURE_VARIANT_ADD(capture, igt127_noclients) {
	.c = { "igt127_noclients.json", IGT_LAYOUT_1_27, true, false },
};

/* a compute engine: "[unknown]/0" */
FIXTURE_VARIANT_ADD(capture, igt127_compute) {
	.c = { "igt127_compute.json", IGT_LAYOUT_1_27, true, false },
};

/* sid's 2.5: "[", class names, clients' "memory", "]" on SIGINT */
FIXTURE_VARIANT_ADD(capture, igt25_clients) {
	.c = { "igt25_clients.json", IGT_LAYOUT_1_28, false, true },
};

FIXTURE_VARIANT_ADD(capture, igt25_physical) {
	.c = { "igt25_physical.json", IGT_LAYOUT_1_28, true, true },
};

/* 2.5 puts the comma an empty "clients" made 1.27.1 drop */
FIXTURE_VARIANT_ADD(capture, igt25_noclients) {
	.c = { "igt25_noclients.json", IGT_LAYOUT_1_28, false, true },
};

FIXTURE_VARIANT_ADD(capture, igt25_compute) {
	.c = { "igt25_compute.json", IGT_LAYOUT_1_28, false, true },
};

FIXTURE_VARIANT_ADD(capture, igt25_compute_physical) {
	.c = { "igt25_compute_physical.json", IGT_LAYOUT_1_28, true, true },
};

/* -n 1: one sample, then "]" */
FIXTURE_VARIANT_ADD(capture, igt25_n1) {
	.c = { "igt25_n1.json", IGT_LAYOUT_1_28, false, true },
};

/* the integrated GPU: only a "system" memory region */
FIXTURE_VARIANT_ADD(capture, igt25_igp) {
	.c = { "igt25_igp.json", IGT_LAYOUT_1_28, false, true },
};

FIXTURE_SETUP(capture)
{
	char path[512];

	self->want = slurp(data_path(variant->c.file, path, sizeof(path)), &self->wlen);
	ASSERT_NE(NULL, self->want) TH_LOG("%s: %s", path, strerror(errno));
	self->got = replay(self->want, variant->c.layout, variant->c.physical,
			   variant->c.end, &self->glen);
	ASSERT_NE(NULL, self->got) TH_LOG("%s: no sample read back", path);
}

FIXTURE_TEARDOWN(capture)
{
	free(self->want);
	free(self->got);
}

TEST_F(capture, same_bytes)
{
	EXPECT_TRUE(self->wlen == self->glen && !memcmp(self->want, self->got, self->wlen))
		show_diff(_metadata, self->want, self->wlen, self->got, self->glen);
}

/* ---- JSON parsers ----------------------------------------------------------- */

/* jq's exit code for a file: 0 valid and the filter true. */
static int jq(const char *text, size_t len, const char *filter)
{
	char path[] = "/tmp/json_test.XXXXXX", cmd[1024];
	int fd = mkstemp(path), ret;

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "jq -e '%s' %s >/dev/null 2>&1", filter, path);
	ret = system(cmd);
	unlink(path);
	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

static char *capture_replay(const char *file, enum igt_layout layout, bool physical,
			    bool end, size_t *len)
{
	char path[512], *text, *out;
	size_t n;

	text = slurp(data_path(file, path, sizeof(path)), &n);
	if (!text)
		return NULL;
	out = replay(text, layout, physical, end, len);
	free(text);
	return out;
}

/* 1.27.1's stream as its consumers join it: in "[" "]". */
static char *wrapped(const char *s, size_t len, size_t *out_len)
{
	char *w = malloc(len + 3);

	w[0] = '[';
	memcpy(w + 1, s, len);
	w[len + 1] = ']';
	w[len + 2] = '\0';
	*out_len = len + 2;
	return w;
}

TEST(jq_igt128)
{
	size_t len;
	char *out = capture_replay("igt25_clients.json", IGT_LAYOUT_1_28, false, true, &len);

	ASSERT_NE(NULL, out);
	ASSERT_EQ(0, system("jq --version >/dev/null")) TH_LOG("jq missing (scripts/deps.sh)");
	EXPECT_EQ(0, jq(out, len, "length == 4 and .[1].clients[\"4294967139\"].pid == \"157\""));
	/* the class view, each engine object opened with "busy" first */
	EXPECT_EQ(0, jq(out, len, ".[0].engines[\"Video\"] | keys_unsorted == "
			"[\"busy\",\"sema\",\"wait\",\"unit\"]"));
	free(out);
	out = capture_replay("igt25_noclients.json", IGT_LAYOUT_1_28, false, true, &len);
	EXPECT_EQ(0, jq(out, len, "length == 3 and (.[2].clients | length) == 0"));
	free(out);
}

TEST(jq_igt127_joined)
{
	size_t len, wlen;
	char *out = capture_replay("igt127_clients.json", IGT_LAYOUT_1_27, true, false, &len);
	char *w;

	ASSERT_NE(NULL, out);
	w = wrapped(out, len, &wlen);
	EXPECT_EQ(0, jq(w, wlen, "length == 4 and .[0].engines[\"Render/3D/0\"].busy > 24"));
	/* not JSON as printed: objects joined by "," */
	EXPECT_NE(0, jq(out, len, "true"));
	free(w);
	free(out);
}

/* 1.27.1's bug, kept: after an empty "clients" no comma, even joined. */
TEST(jq_igt127_empty_clients_no_comma)
{
	size_t len, wlen;
	char *out = capture_replay("igt127_noclients.json", IGT_LAYOUT_1_27, true, false, &len);
	char *w;

	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "\t}\n}\n{\n"));
	w = wrapped(out, len, &wlen);
	EXPECT_NE(0, jq(w, wlen, "true"));
	free(w);
	free(out);
}

/* ---- our schema: IGT_LAYOUT_1_28 + "cgroup" -------------------------------- */

static const struct ngp_engine mock_engines[] = {
	{ "rcs0", NGP_CLASS_RENDER, 0, { 0 } },
	{ "bcs0", NGP_CLASS_COPY, 0, { 0 } },
	{ "vcs0", NGP_CLASS_VIDEO, 0, { 0 } },
	{ "vcs1", NGP_CLASS_VIDEO, 1, { 0 } },
	{ "vecs0", NGP_CLASS_VIDEO_ENHANCE, 0, { 0 } },
};

/* A sample of the mock's five engines with round figures. */
static void ours_sample(struct ngp_sample *s, bool available)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->period_ms = 1000.25;
	s->has_freq_req = s->has_freq_act = s->has_irq = s->has_rc6 = true;
	s->freq_req = 1300;
	s->freq_act = 999.5;
	s->irq = 2000;
	s->rc6 = 40;
	s->nr_engines = 5;
	for (i = 0; i < 5; i++) {
		s->engines[i].engine = &mock_engines[i];
		s->engines[i].pct[NGP_BUSY] = i * 10 + 0.125;
		s->engines[i].pct[NGP_WAIT] = i;
		s->engines[i].pct[NGP_SEMA] = 100 - i;
		s->classes[mock_engines[i].class].nr_engines++;
	}
	s->classes[NGP_CLASS_RENDER].pct[NGP_BUSY] = 0.125;
	s->classes[NGP_CLASS_COPY].pct[NGP_BUSY] = 10.125;
	s->classes[NGP_CLASS_VIDEO].pct[NGP_BUSY] = 25.125;
	s->classes[NGP_CLASS_VIDEO_ENHANCE].pct[NGP_BUSY] = 40.125;
	s->usage.available = available;
	s->usage.nr_clients = 2;
	snprintf(s->usage.scope_label, sizeof(s->usage.scope_label), "%s",
		 available ? "container" : "/sys/fs/cgroup/app");
	if (!available)
		snprintf(s->usage.why, sizeof(s->usage.why),
			 "the kernel reports no per-client engine time under GuC submission");
	s->usage.nr_classes = 2;
	s->usage.classes[0].class = NGP_CLASS_RENDER;
	s->usage.classes[0].pct = 12.5;
	s->usage.classes[1].class = NGP_CLASS_VIDEO;
	s->usage.classes[1].pct = 3.25;
}

TEST(ours_golden)
{
	struct json_opts jo = { .layout = IGT_LAYOUT_1_28, .cgroup = true };
	struct ngp_gpu gpu = { .pci_addr = "0000:00:02.0" };
	struct ngp_sample s;
	char path[512], *out = NULL, *want;
	size_t len, wlen;
	FILE *f = open_memstream(&out, &len);

	json_begin(f, &jo);
	ours_sample(&s, true);
	json_sample(f, &jo, &gpu, &s, 0);
	ours_sample(&s, false);
	json_sample(f, &jo, &gpu, &s, 1);
	json_end(f, &jo);
	fclose(f);

	want = slurp(data_path("ours.json", path, sizeof(path)), &wlen);
	ASSERT_NE(NULL, want) TH_LOG("%s: %s", path, strerror(errno));
	EXPECT_TRUE(wlen == len && !memcmp(want, out, len))
		show_diff(_metadata, want, wlen, out, len);
	EXPECT_EQ(0, jq(out, len, "length == 2"));
	EXPECT_EQ(0, jq(out, len, ".[0].cgroup.scope == \"container\" and "
			".[0].cgroup.nr_clients == 2 and .[0].cgroup.available and "
			".[0].cgroup[\"engine-classes\"][\"Render/3D\"].busy == 12.5 and "
			".[0].cgroup[\"engine-classes\"].Video.busy == 3.25 and "
			".[0].cgroup[\"engine-classes\"].Blitter.busy == 0 and "
			"(.[0].cgroup | has(\"reason\") | not)"));
	/* unavailable: "n/a", never 0, and why */
	EXPECT_EQ(0, jq(out, len, ".[1].cgroup.available == false and "
			"([.[1].cgroup[\"engine-classes\"][].busy] | unique == [\"n/a\"]) and "
			"(.[1].cgroup.reason | test(\"GuC\"))"));
	/* the class view, no clients */
	EXPECT_EQ(0, jq(out, len, ".[0].engines.Video.busy == 25.125 and "
			"(.[0] | has(\"clients\") | not) and "
			"(.[0] | keys_unsorted) == [\"period\",\"frequency\",\"interrupts\","
			"\"rc6\",\"engines\",\"cgroup\"]"));
	free(want);
	free(out);
}

/* Strings stay JSON and ASCII whatever a client calls itself. */
TEST(client_names_ascii)
{
	struct json_opts jo = { .layout = IGT_LAYOUT_1_28 };
	struct ngp_gpu gpu = { .pci_addr = "0000:00:02.0" };
	struct ngp_client c = { .id = 7, .pid = 42, .samples = 2 };
	struct json_clients cl = { .c = &c, .nr = 1, .period_us = 1e6 };
	struct ngp_sample s;
	char *out = NULL, *p;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	ours_sample(&s, true);
	snprintf(c.comm, sizeof(c.comm), "a\"b\\c\t\xc3\xa9");
	c.delta_ns[NGP_CLASS_RENDER] = 250000000;
	json_begin(f, &jo);
	json_sample_clients(f, &jo, &gpu, &s, 0, &cl);
	json_end(f, &jo);
	fclose(f);
	for (p = out; *p; p++)
		ASSERT_TRUE((*p >= 0x20 && *p < 0x7f) || *p == '\n' || *p == '\t');
	EXPECT_EQ(0, jq(out, len, ".[0].clients[\"7\"].name == \"a\\\"b\\\\c***\" and "
			".[0].clients[\"7\"].pid == \"42\" and "
			".[0].clients[\"7\"][\"engine-classes\"][\"Render/3D\"].busy == \"25.000000\""));
	free(out);
}

TEST_HARNESS_MAIN
