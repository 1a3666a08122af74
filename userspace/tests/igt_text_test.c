// SPDX-License-Identifier: GPL-2.0
/*
 * The intel_gpu_top personality's text against the real tools' on the
 * mock GPU (tests/data, captured in the test VM): -l's header lines and
 * columns (1.27.1 repeats the headers every 20 lines, 2.5 prints them once
 * on a pipe), -c's CSV (2.5), -L's card list and -h for each release.
 * Each capture's numbers are read back and igt_text.c must print the same
 * bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "igt.h"
#include "test_data.h"

/* The mock's engines: rcs0 bcs0 vcs0 vcs1 vecs0 [ccs0] */
static const struct ngp_engine engines[] = {
	{ "rcs0", NGP_CLASS_RENDER, 0, { 0 } },
	{ "bcs0", NGP_CLASS_COPY, 0, { 0 } },
	{ "vcs0", NGP_CLASS_VIDEO, 0, { 0 } },
	{ "vcs1", NGP_CLASS_VIDEO, 1, { 0 } },
	{ "vecs0", NGP_CLASS_VIDEO_ENHANCE, 0, { 0 } },
	{ "ccs0", NGP_CLASS_COMPUTE, 0, { 0 } },
};

/* A row of numbers (blank- or comma-separated) into a sample. */
static bool fill_row(const char *line, bool physical, int nr_engines,
		     struct ngp_sample *s)
{
	static const int order[] = { NGP_BUSY, NGP_SEMA, NGP_WAIT };
	double v[64];
	char *end;
	int n = 0, i, k, g;

	while (*line && *line != '\n' && n < 64) {
		while (*line == ' ' || *line == ',')
			line++;
		if (*line == '\n' || !*line)
			break;
		v[n++] = strtod(line, &end);
		if (end == line)
			return false;
		line = end;
	}
	memset(s, 0, sizeof(*s));
	s->has_freq_req = s->has_freq_act = s->has_irq = s->has_rc6 = true;
	s->freq_req = v[0];
	s->freq_act = v[1];
	s->irq = v[2];
	s->rc6 = v[3];
	s->nr_engines = nr_engines;
	for (i = 0; i < nr_engines; i++) {
		s->engines[i].engine = &engines[i];
		for (k = 0; k < NGP_NR_SAMPLERS; k++)
			s->engines[i].has[k] = true;
		s->classes[engines[i].class].nr_engines++;
	}
	for (i = 0; i < NGP_NR_CLASSES; i++)
		for (k = 0; k < NGP_NR_SAMPLERS; k++)
			s->classes[i].has[k] = s->classes[i].nr_engines > 0;
	for (i = 0, g = 4; g + 3 <= n; g += 3, i++) {
		double *pct;

		if (physical) {
			pct = s->engines[i].pct;
		} else {
			while (i < NGP_NR_CLASSES && !s->classes[i].nr_engines)
				i++;
			pct = s->classes[i].pct;
		}
		for (k = 0; k < 3; k++)
			pct[order[k]] = v[g + k];
	}
	return g == n;
}

struct text_capture {
	const char *file;
	enum igt_layout layout;
	bool physical, csv;
	int nr_engines;
};

FIXTURE(text) {
	int dummy;
};

FIXTURE_VARIANT(text) {
	struct text_capture c;
};

/* 1.27.1 -l: 24 rows, the two header lines again after 18 */
FIXTURE_VARIANT_ADD(text, igt127_l) {
	.c = { "igt127_l.txt", IGT_LAYOUT_1_27, true, false, 5 },
};

/* a compute engine: 1.27.1 calls it "UNKN/0" */
FIXTURE_VARIANT_ADD(text, igt127_l_compute) {
	.c = { "igt127_l_compute.txt", IGT_LAYOUT_1_27, true, false, 6 },
};

/* 2.5 -l on a pipe: 22 rows under one pair of header lines, classes */
FIXTURE_VARIANT_ADD(text, igt25_l) {
	.c = { "igt25_l.txt", IGT_LAYOUT_1_28, false, false, 5 },
};

FIXTURE_VARIANT_ADD(text, igt25_l_compute) {
	.c = { "igt25_l_compute.txt", IGT_LAYOUT_1_28, false, false, 6 },
};

FIXTURE_VARIANT_ADD(text, igt25_l_physical_compute) {
	.c = { "igt25_l_physical_compute.txt", IGT_LAYOUT_1_28, true, false, 6 },
};

FIXTURE_VARIANT_ADD(text, igt25_c) {
	.c = { "igt25_c.csv", IGT_LAYOUT_1_28, false, true, 5 },
};

FIXTURE_VARIANT_ADD(text, igt25_c_physical) {
	.c = { "igt25_c_physical.csv", IGT_LAYOUT_1_28, true, true, 5 },
};

FIXTURE_SETUP(text)
{
}

FIXTURE_TEARDOWN(text)
{
}

TEST_F(text, same_bytes)
{
	const struct text_capture *c = &variant->c;
	struct ngp_sample s;
	struct igt_text t;
	char *want, *got = NULL, *line;
	size_t wlen, glen;
	FILE *f;
	int rows = 0;

	want = slurp_data(c->file, &wlen);
	ASSERT_NE(NULL, want) TH_LOG("%s: %s", c->file, strerror(errno));
	f = open_memstream(&got, &glen);
	igt_text_init(&t, c->layout, c->physical, c->csv, false);
	for (line = want; *line; line = strchr(line, '\n') + 1) {
		if (fill_row(line, c->physical, c->nr_engines, &s)) {
			igt_text_sample(f, &t, &s);
			rows++;
		}
		if (!strchr(line, '\n'))
			break;
	}
	fclose(f);
	EXPECT_LT(1, rows);
	EXPECT_TRUE(wlen == glen && !memcmp(want, got, wlen))
		show_diff(_metadata, want, wlen, got, glen);
	free(want);
	free(got);
}

/* On a terminal 2.x repeats -l's headers as 1.27.1 does; never -c's. */
TEST(headers_on_a_terminal)
{
	struct ngp_sample s;
	struct igt_text t;
	char *out = NULL, *p;
	size_t len;
	int i, headers = 0;
	FILE *f = open_memstream(&out, &len);

	ASSERT_TRUE(fill_row("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", false, 5, &s));
	igt_text_init(&t, IGT_LAYOUT_1_28, false, false, true);
	for (i = 0; i < 40; i++)
		igt_text_sample(f, &t, &s);
	igt_text_init(&t, IGT_LAYOUT_1_28, false, true, true);
	for (i = 0; i < 40; i++)
		igt_text_sample(f, &t, &s);
	fclose(f);
	for (p = out; (p = strstr(p, "Freq MHz")); p++)
		headers++;
	/* -l: before rows 1, 19, 37; -c: once (its header has "Freq MHz" twice) */
	EXPECT_EQ(3 + 2, headers) TH_LOG("%s", out);
	free(out);
}

/* A value too wide for its column: X's, or cut, as snprintf() leaves it. */
TEST(overflow)
{
	struct ngp_sample s;
	struct igt_text t;
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	ASSERT_TRUE(fill_row("12345 123456 1 2 3 0 0 0 0 0 0 0 0 0 0 0 0 0 0", true, 5, &s));
	igt_text_init(&t, IGT_LAYOUT_1_27, true, false, false);
	igt_text_sample(f, &t, &s);
	fclose(f);
	EXPECT_NE(NULL, strstr(out, "\nXXXX 1234        1   2 "));
	free(out);
}

/* -L: the mock's three cards as 1.27.1 and 2.5 list them. */
TEST(list_cards)
{
	struct igt_card cards[] = {
		{ "card2", "renderD130", "0000:00:06.0", 0x1234, 0x11e8 },
		{ "card1", "renderD129", "0000:00:05.0", 0x8086, 0x100e },
		{ "card0", "renderD128", "0000:00:02.0", 0x8086, 0x100e },
		{ "", "renderD131", "0000:00:07.0", 0x8086, 0x100e },
	};
	char *want, *out = NULL;
	size_t wlen, len;
	FILE *f = open_memstream(&out, &len);

	igt_list_cards(f, cards, 4);
	fclose(f);
	want = slurp_data("igt_L.txt", &wlen);
	ASSERT_NE(NULL, want);
	EXPECT_TRUE(wlen == len && !memcmp(want, out, len))
		show_diff(_metadata, want, wlen, out, len);
	free(want);
	free(out);
}

TEST(format_names)
{
	EXPECT_EQ(IGT_LAYOUT_1_27, igt_parse_format("1.27"));
	EXPECT_EQ(IGT_LAYOUT_1_27, igt_parse_format("1.27.1\n"));
	EXPECT_EQ(IGT_LAYOUT_1_28, igt_parse_format("1.28"));
	EXPECT_EQ(IGT_LAYOUT_1_28, igt_parse_format("2.5"));
	EXPECT_EQ(IGT_LAYOUT_1_28, igt_parse_format("2.x"));
	EXPECT_EQ(-1, igt_parse_format("new"));
	EXPECT_EQ(-1, igt_parse_format("1.28 please"));
	EXPECT_EQ(-1, igt_parse_format(""));
}

TEST_HARNESS_MAIN
