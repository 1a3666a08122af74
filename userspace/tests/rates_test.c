// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of libnsgpuperf's pure parts: the engine model built from
 * i915's event names, the rates intel_gpu_top would show for constructed
 * raw reads (units, clamping, missing counters, class means, multi-GT
 * means), -d parsing (ngp_find_gpu) on a constructed session, and the CSV
 * writer's shape.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "nsgpuperf.h"
#include "cli.h"

#define NEAR(a, b)	(fabs((a) - (b)) < 1e-9)

/* i915's names and configs, in the order its PMU lists them. */
static const char *const one_gt[] = {
	"actual-frequency", "requested-frequency", "interrupts", "rc6-residency",
	"software-gt-awake-time",
	"rcs0-busy", "rcs0-sema", "rcs0-wait", "bcs0-busy", "bcs0-sema", "bcs0-wait",
	"vcs0-busy", "vcs0-sema", "vcs0-wait", "vcs1-busy", "vcs1-sema", "vcs1-wait",
	"vecs0-busy", "vecs0-sema", "vecs0-wait",
};

static const char *const two_gt[] = {
	"actual-frequency-gt0", "requested-frequency-gt0", "interrupts",
	"rc6-residency-gt0", "software-gt-awake-time-gt0",
	"actual-frequency-gt1", "requested-frequency-gt1", "rc6-residency-gt1",
	"software-gt-awake-time-gt1",
	/* listed out of class order on purpose: the model sorts */
	"vcs1-busy", "vcs1-sema", "vcs1-wait", "rcs0-busy", "rcs0-sema", "rcs0-wait",
	"ccs1-busy", "ccs0-busy", "vcs0-busy", "vcs0-wait",
};

static int events(const char *const *names, int n, struct nsgpuperf_event_info *ev)
{
	int i;

	memset(ev, 0, sizeof(*ev) * n);
	for (i = 0; i < n; i++) {
		snprintf(ev[i].name, sizeof(ev[i].name), "%s", names[i]);
		ev[i].config = 0x1000 + i;
	}
	return n;
}

static int layout_of(const char *const *names, int n, struct ngp_layout *l,
		     uint64_t *configs)
{
	struct nsgpuperf_event_info ev[64];

	return ngp_layout_build(ev, events(names, n, ev), l, configs);
}

/* The engine of the layout named so, or NULL. */
static const struct ngp_engine *engine(const struct ngp_layout *l, const char *name)
{
	int i;

	for (i = 0; i < l->nr_engines; i++)
		if (!strcmp(l->engines[i].pmu_name, name))
			return &l->engines[i];
	return NULL;
}

TEST(layout_one_gt)
{
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS];
	struct ngp_layout l;
	int n = layout_of(one_gt, ARRAY_SIZE(one_gt), &l, cfg);
	const struct ngp_engine *e;

	/* 4 device counters + 5 engines x 3; not software-gt-awake-time */
	ASSERT_EQ(19, n);
	ASSERT_EQ(19, l.nr_values);
	ASSERT_EQ(1, l.nr_gt);
	ASSERT_EQ(0x1000 + 0, cfg[l.idx_act[0]]);
	ASSERT_EQ(0x1000 + 1, cfg[l.idx_req[0]]);
	ASSERT_EQ(0x1000 + 2, cfg[l.idx_irq]);
	ASSERT_EQ(0x1000 + 3, cfg[l.idx_rc6[0]]);
	ASSERT_EQ(5, l.nr_engines);
	ASSERT_STREQ("rcs0", l.engines[0].pmu_name);
	ASSERT_STREQ("bcs0", l.engines[1].pmu_name);
	ASSERT_STREQ("vcs0", l.engines[2].pmu_name);
	ASSERT_STREQ("vcs1", l.engines[3].pmu_name);
	ASSERT_STREQ("vecs0", l.engines[4].pmu_name);
	e = engine(&l, "vcs1");
	ASSERT_NE(NULL, e);
	EXPECT_EQ(NGP_CLASS_VIDEO, e->class);
	EXPECT_EQ(1, e->instance);
	EXPECT_EQ(0x1000 + 14, cfg[e->idx[NGP_BUSY]]);
	EXPECT_EQ(0x1000 + 15, cfg[e->idx[NGP_SEMA]]);
	EXPECT_EQ(0x1000 + 16, cfg[e->idx[NGP_WAIT]]);
	e = engine(&l, "vecs0");
	ASSERT_NE(NULL, e);
	EXPECT_EQ(NGP_CLASS_VIDEO_ENHANCE, e->class);
}

TEST(layout_two_gt)
{
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS];
	struct ngp_layout l;
	const struct ngp_engine *e;
	int n = layout_of(two_gt, ARRAY_SIZE(two_gt), &l, cfg);

	ASSERT_EQ(2, l.nr_gt);
	EXPECT_EQ(0x1000 + 0, cfg[l.idx_act[0]]);
	EXPECT_EQ(0x1000 + 5, cfg[l.idx_act[1]]);
	EXPECT_EQ(0x1000 + 6, cfg[l.idx_req[1]]);
	EXPECT_EQ(0x1000 + 7, cfg[l.idx_rc6[1]]);
	EXPECT_EQ(0x1000 + 2, cfg[l.idx_irq]);
	/* rcs0, vcs0, vcs1, ccs0, ccs1: sorted by class, then instance */
	ASSERT_EQ(5, l.nr_engines);
	EXPECT_STREQ("rcs0", l.engines[0].pmu_name);
	EXPECT_STREQ("vcs0", l.engines[1].pmu_name);
	EXPECT_STREQ("vcs1", l.engines[2].pmu_name);
	EXPECT_STREQ("ccs0", l.engines[3].pmu_name);
	EXPECT_STREQ("ccs1", l.engines[4].pmu_name);
	e = engine(&l, "vcs0");
	ASSERT_NE(NULL, e);
	EXPECT_EQ(-1, e->idx[NGP_SEMA]);
	EXPECT_EQ(0x1000 + 18, cfg[e->idx[NGP_WAIT]]);
	EXPECT_EQ(0x1000 + 17, cfg[e->idx[NGP_BUSY]]);
	e = engine(&l, "ccs1");
	ASSERT_NE(NULL, e);
	EXPECT_EQ(NGP_CLASS_COMPUTE, e->class);
	EXPECT_EQ(0x1000 + 15, cfg[e->idx[NGP_BUSY]]);
	EXPECT_EQ(6 + 1 + 3 + 3 + 1 + 1 + 2, n);
}

TEST(layout_unknown_names_ignored)
{
	static const char *const odd[] = {
		"rcs-busy", "xyz0-busy", "rcs0-idle", "actual-frequency-gt9",
		"-busy", "rcs0-busy",
	};
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS];
	struct ngp_layout l;

	ASSERT_EQ(1, layout_of(odd, ARRAY_SIZE(odd), &l, cfg));
	EXPECT_EQ(0, l.nr_gt);
	EXPECT_EQ(-1, l.idx_irq);
	ASSERT_EQ(1, l.nr_engines);
	EXPECT_EQ(0x1000 + 5, cfg[l.engines[0].idx[NGP_BUSY]]);
}

/* prev/cur from per-name deltas over dt ns. */
struct drive {
	const char *name;
	uint64_t delta;
};

static void reads(const struct ngp_layout *l, const uint64_t *cfg,
		  const char *const *names, int nnames, const struct drive *d,
		  int nd, uint64_t dt, struct ngp_raw *prev, struct ngp_raw *cur)
{
	int i, j;

	memset(prev, 0, sizeof(*prev));
	memset(cur, 0, sizeof(*cur));
	prev->time_enabled = 5000000000ULL;
	cur->time_enabled = prev->time_enabled + dt;
	for (i = 0; i < l->nr_values; i++) {
		prev->values[i] = cur->values[i] = 1000000ULL * (i + 1);
		for (j = 0; j < nd; j++) {
			int k;

			for (k = 0; k < nnames; k++)
				if (!strcmp(names[k], d[j].name) &&
				    cfg[i] == 0x1000 + (uint64_t)k)
					cur->values[i] += d[j].delta;
		}
	}
}

TEST(rates_units)
{
	static const struct drive d[] = {
		{ "actual-frequency", 500 },		/* MHz x s over 0.5 s */
		{ "requested-frequency", 650 },
		{ "interrupts", 1000 },
		{ "rc6-residency", 200000000 },		/* 0.2 s of 0.5 */
		{ "rcs0-busy", 125000000 },
		{ "bcs0-wait", 25000000 },
		{ "vcs1-busy", 375000000 },
		{ "vecs0-sema", 50000000 },
	};
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS];
	struct ngp_raw prev, cur;
	struct ngp_sample s;
	struct ngp_layout l;
	int i;

	layout_of(one_gt, ARRAY_SIZE(one_gt), &l, cfg);
	reads(&l, cfg, one_gt, ARRAY_SIZE(one_gt), d, ARRAY_SIZE(d), 500000000, &prev, &cur);
	ngp_rates(&l, &prev, &cur, &s);

	EXPECT_TRUE(NEAR(500.0, s.period_ms));
	EXPECT_TRUE(s.has_freq_act && s.has_freq_req && s.has_irq && s.has_rc6);
	EXPECT_TRUE(NEAR(1000.0, s.freq_act)) TH_LOG("act %f", s.freq_act);
	EXPECT_TRUE(NEAR(1300.0, s.freq_req)) TH_LOG("req %f", s.freq_req);
	EXPECT_TRUE(NEAR(2000.0, s.irq)) TH_LOG("irq %f", s.irq);
	EXPECT_TRUE(NEAR(40.0, s.rc6)) TH_LOG("rc6 %f", s.rc6);
	EXPECT_EQ(cur.values[l.idx_rc6[0]], s.rc6_total_ns);
	EXPECT_EQ(cur.values[l.idx_irq], s.irq_total);
	ASSERT_EQ(5, s.nr_engines);
	EXPECT_TRUE(NEAR(25.0, s.engines[0].pct[NGP_BUSY]));
	EXPECT_TRUE(NEAR(0.0, s.engines[0].pct[NGP_WAIT]));
	EXPECT_TRUE(NEAR(5.0, s.engines[1].pct[NGP_WAIT]));
	EXPECT_TRUE(NEAR(75.0, s.engines[3].pct[NGP_BUSY]));
	EXPECT_TRUE(NEAR(10.0, s.engines[4].pct[NGP_SEMA]));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(&l.engines[i], s.engines[i].engine);
	EXPECT_EQ(cur.values[l.engines[3].idx[NGP_BUSY]], s.engines[3].total_ns[NGP_BUSY]);

	/* class view: the mean over the class's engines (vcs0 0, vcs1 75) */
	EXPECT_EQ(1, s.classes[NGP_CLASS_RENDER].nr_engines);
	EXPECT_EQ(2, s.classes[NGP_CLASS_VIDEO].nr_engines);
	EXPECT_EQ(0, s.classes[NGP_CLASS_COMPUTE].nr_engines);
	EXPECT_TRUE(NEAR(37.5, s.classes[NGP_CLASS_VIDEO].pct[NGP_BUSY]))
		TH_LOG("video %f", s.classes[NGP_CLASS_VIDEO].pct[NGP_BUSY]);
	EXPECT_TRUE(NEAR(25.0, s.classes[NGP_CLASS_RENDER].pct[NGP_BUSY]));
	EXPECT_TRUE(NEAR(10.0, s.classes[NGP_CLASS_VIDEO_ENHANCE].pct[NGP_SEMA]));
	EXPECT_TRUE(s.classes[NGP_CLASS_VIDEO].has[NGP_BUSY]);
	EXPECT_FALSE(s.classes[NGP_CLASS_COMPUTE].has[NGP_BUSY]);
}

TEST(rates_clamped)
{
	static const struct drive d[] = {
		{ "rc6-residency", 600000000 },		/* 0.6 s in 0.5 s */
		{ "rcs0-busy", 510000000 },
		{ "vcs0-busy", 900000000 },
		{ "vcs1-busy", 300000000 },		/* class: (180 + 60) / 2 */
		{ "actual-frequency", 5000 },		/* not a %: not clamped */
	};
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS];
	struct ngp_raw prev, cur;
	struct ngp_sample s;
	struct ngp_layout l;

	layout_of(one_gt, ARRAY_SIZE(one_gt), &l, cfg);
	reads(&l, cfg, one_gt, ARRAY_SIZE(one_gt), d, ARRAY_SIZE(d), 500000000, &prev, &cur);
	ngp_rates(&l, &prev, &cur, &s);
	EXPECT_TRUE(NEAR(100.0, s.rc6));
	EXPECT_TRUE(NEAR(100.0, s.engines[0].pct[NGP_BUSY]));
	EXPECT_TRUE(NEAR(100.0, s.engines[2].pct[NGP_BUSY]));
	EXPECT_TRUE(NEAR(60.0, s.engines[3].pct[NGP_BUSY]));
	/* intel_gpu_top sums, divides, then clamps: (0.9 + 0.3) / 2 / 0.5 */
	EXPECT_TRUE(NEAR(100.0, s.classes[NGP_CLASS_VIDEO].pct[NGP_BUSY]));
	EXPECT_TRUE(NEAR(10000.0, s.freq_act));
}

TEST(rates_class_mean_not_clamped_each)
{
	/* vcs0 at 120% (clock skew) and vcs1 at 20%: igt's mean is 70 */
	static const struct drive d[] = {
		{ "vcs0-busy", 600000000 }, { "vcs1-busy", 100000000 },
	};
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS];
	struct ngp_raw prev, cur;
	struct ngp_sample s;
	struct ngp_layout l;

	layout_of(one_gt, ARRAY_SIZE(one_gt), &l, cfg);
	reads(&l, cfg, one_gt, ARRAY_SIZE(one_gt), d, ARRAY_SIZE(d), 500000000, &prev, &cur);
	ngp_rates(&l, &prev, &cur, &s);
	EXPECT_TRUE(NEAR(70.0, s.classes[NGP_CLASS_VIDEO].pct[NGP_BUSY]))
		TH_LOG("video %f", s.classes[NGP_CLASS_VIDEO].pct[NGP_BUSY]);
}

TEST(rates_missing_counters)
{
	static const char *const few[] = { "requested-frequency", "vcs0-busy", "vcs1-wait" };
	static const struct drive d[] = { { "requested-frequency", 100 }, { "vcs1-wait", 250000000 } };
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS];
	struct ngp_raw prev, cur;
	struct ngp_sample s;
	struct ngp_layout l;

	layout_of(few, ARRAY_SIZE(few), &l, cfg);
	ASSERT_EQ(1, l.nr_gt);
	EXPECT_EQ(-1, l.idx_act[0]);
	EXPECT_EQ(-1, l.idx_rc6[0]);
	EXPECT_EQ(-1, l.idx_irq);
	reads(&l, cfg, few, ARRAY_SIZE(few), d, ARRAY_SIZE(d), 1000000000, &prev, &cur);
	ngp_rates(&l, &prev, &cur, &s);
	EXPECT_FALSE(s.has_freq_act);
	EXPECT_FALSE(s.has_rc6);
	EXPECT_FALSE(s.has_irq);
	EXPECT_TRUE(s.has_freq_req);
	EXPECT_TRUE(NEAR(100.0, s.freq_req));
	ASSERT_EQ(2, s.nr_engines);
	EXPECT_TRUE(s.engines[0].has[NGP_BUSY]);
	EXPECT_FALSE(s.engines[0].has[NGP_WAIT]);
	EXPECT_FALSE(s.engines[1].has[NGP_BUSY]);
	EXPECT_TRUE(NEAR(25.0, s.engines[1].pct[NGP_WAIT]));
	/* the class has wait (from vcs1) and busy (from vcs0), as means of 2 */
	EXPECT_TRUE(s.classes[NGP_CLASS_VIDEO].has[NGP_WAIT]);
	EXPECT_FALSE(s.classes[NGP_CLASS_VIDEO].has[NGP_SEMA]);
	EXPECT_TRUE(NEAR(12.5, s.classes[NGP_CLASS_VIDEO].pct[NGP_WAIT]));
}

TEST(rates_multi_gt_mean)
{
	static const struct drive d[] = {
		{ "actual-frequency-gt0", 1000 }, { "actual-frequency-gt1", 500 },
		{ "requested-frequency-gt0", 1200 }, { "requested-frequency-gt1", 300 },
		{ "rc6-residency-gt0", 800000000 }, { "rc6-residency-gt1", 200000000 },
		{ "interrupts", 3000 },
	};
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS];
	struct ngp_raw prev, cur;
	struct ngp_sample s;
	struct ngp_layout l;

	layout_of(two_gt, ARRAY_SIZE(two_gt), &l, cfg);
	reads(&l, cfg, two_gt, ARRAY_SIZE(two_gt), d, ARRAY_SIZE(d), 1000000000, &prev, &cur);
	ngp_rates(&l, &prev, &cur, &s);
	EXPECT_TRUE(NEAR(750.0, s.freq_act)) TH_LOG("act %f", s.freq_act);
	EXPECT_TRUE(NEAR(750.0, s.freq_req)) TH_LOG("req %f", s.freq_req);
	EXPECT_TRUE(NEAR(50.0, s.rc6)) TH_LOG("rc6 %f", s.rc6);
	EXPECT_TRUE(NEAR(3000.0, s.irq));
}

TEST(rates_no_time_no_nan)
{
	static const struct drive d[] = { { "rcs0-busy", 1000 }, { "interrupts", 5 } };
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS];
	struct ngp_raw prev, cur;
	struct ngp_sample s;
	struct ngp_layout l;

	layout_of(one_gt, ARRAY_SIZE(one_gt), &l, cfg);
	reads(&l, cfg, one_gt, ARRAY_SIZE(one_gt), d, ARRAY_SIZE(d), 0, &prev, &cur);
	ngp_rates(&l, &prev, &cur, &s);
	EXPECT_EQ(0, s.period_ms);
	EXPECT_EQ(0, s.irq);
	EXPECT_EQ(0, s.engines[0].pct[NGP_BUSY]);
	EXPECT_FALSE(isnan(s.classes[NGP_CLASS_RENDER].pct[NGP_BUSY]));
	/* a counter that went back (a reset) gives no rate, not a huge one */
	reads(&l, cfg, one_gt, ARRAY_SIZE(one_gt), d, ARRAY_SIZE(d), 1000000000, &cur, &prev);
	prev.time_enabled = 1;
	cur.time_enabled = 1000000001;
	ngp_rates(&l, &prev, &cur, &s);
	EXPECT_EQ(0, s.engines[0].pct[NGP_BUSY]);
	EXPECT_EQ(0, s.irq);
}

/* ---- -d ------------------------------------------------------------------ */

static void two_gpus(struct ngp_session *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->nr_gpus = 2;
	strcpy(s->gpus[0].pci_addr, "0000:00:02.0");
	strcpy(s->gpus[0].render_node, "/dev/dri/renderD128");
	strcpy(s->gpus[0].card_node, "/dev/dri/card0");
	strcpy(s->gpus[1].pci_addr, "0000:00:05.0");
	strcpy(s->gpus[1].render_node, "/dev/dri/renderD129");
	strcpy(s->gpus[1].card_node, "/dev/dri/card1");
}

TEST(find_gpu_specs)
{
	static const struct {
		const char *spec;
		int gpu;
	} cases[] = {
		{ NULL, 0 }, { "", 0 },
		{ "0000:00:02.0", 0 }, { "0000:00:05.0", 1 }, { "00:05.0", 1 },
		{ "0000:00:05.0", 1 }, { "pci:slot=0000:00:05.0", 1 },
		{ "pci:slot=00:05.0", 1 }, { "/dev/dri/renderD129", 1 },
		{ "renderD128", 0 }, { "renderD129", 1 }, { "card1", 1 },
		{ "/dev/dri/card0", 0 }, { "drm:/dev/dri/card1", 1 },
		{ "0000:00:05.0", 1 },
	};
	struct ngp_session s;
	struct ngp_error e;
	unsigned int i;

	two_gpus(&s);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct ngp_gpu *g = ngp_find_gpu(&s, cases[i].spec, &e);

		EXPECT_EQ(&s.gpus[cases[i].gpu], g) TH_LOG("-d %s", cases[i].spec);
	}
}

TEST(find_gpu_no_match)
{
	static const char *const bad[] = {
		"0000:00:09.0", "00:02.1", "renderD130", "card", "/dev/dri/renderD12",
		"pci:slot=0000:00:06.0", "rcs0",
	};
	struct ngp_session s;
	struct ngp_error e;
	unsigned int i;

	two_gpus(&s);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&e, 0, sizeof(e));
		EXPECT_EQ(NULL, ngp_find_gpu(&s, bad[i], &e)) TH_LOG("-d %s", bad[i]);
		EXPECT_EQ(NGP_EXIT_NO_GPU, e.exit);
		EXPECT_NE(NULL, strstr(e.msg, "no GPU in scope matches")) TH_LOG("%s", e.msg);
		/* what is in scope, to pick from */
		EXPECT_NE(NULL, strstr(e.msg, "0000:00:05.0 (/dev/dri/renderD129)"));
	}
	s.nr_gpus = 0;
	strcpy(s.no_gpu_why, "the reason");
	EXPECT_EQ(NULL, ngp_find_gpu(&s, NULL, &e));
	EXPECT_EQ(NGP_EXIT_NO_GPU, e.exit);
	EXPECT_STREQ("no GPU in scope: the reason", e.msg);
}

/* ---- CSV ------------------------------------------------------------------ */

static int fields(const char *line)
{
	int n = 1;

	for (; *line && *line != '\n'; line++)
		n += *line == ',';
	return n;
}

TEST(csv_shape_and_na)
{
	static const struct drive d[] = { { "rcs0-busy", 250000000 } };
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS];
	struct cli_opts o = { .period_ms = 1000, .count = -1 };
	struct ngp_raw prev, cur;
	struct ngp_sample s;
	struct ngp_layout l;
	char *buf = NULL, *row;
	size_t len = 0;
	FILE *f;

	layout_of(one_gt, ARRAY_SIZE(one_gt), &l, cfg);
	reads(&l, cfg, one_gt, ARRAY_SIZE(one_gt), d, ARRAY_SIZE(d), 1000000000, &prev, &cur);
	ngp_rates(&l, &prev, &cur, &s);
	s.usage.available = true;
	strcpy(s.usage.scope_label, "container");
	s.usage.nr_clients = 2;
	s.usage.nr_classes = 1;
	s.usage.classes[0].class = NGP_CLASS_VIDEO;
	s.usage.classes[0].busy_ns = 123456789;
	s.usage.classes[0].pct = 12.5;

	f = open_memstream(&buf, &len);
	ASSERT_NE(NULL, f);
	csv_header(f, &o, &s);
	csv_row(f, &o, &s);
	s.usage.available = false;
	strcpy(s.usage.scope_label, "/a,b");
	csv_row(f, &o, &s);
	fclose(f);
	/* 5 + 4 classes x 3 + scope, clients + 4 x 2 */
	EXPECT_EQ(5 + 12 + 2 + 8, fields(buf)) TH_LOG("%s", buf);
	row = strchr(buf, '\n') + 1;
	EXPECT_EQ(fields(buf), fields(row));
	EXPECT_EQ(0, strncmp(buf, "period_ms,freq_req_mhz,freq_act_mhz,irq_per_s,rc6_pct,render_busy_pct,render_wait_pct,render_sema_pct,copy_busy_pct", 113));
	EXPECT_NE(NULL, strstr(buf, ",usage_scope,usage_clients,usage_render_pct,usage_copy_pct,usage_video_pct,usage_video-enhance_pct,usage_render_ns,"));
	EXPECT_NE(NULL, strstr(row, ",25.00,0.00,0.00,"));
	EXPECT_NE(NULL, strstr(row, ",container,2,0.00,0.00,12.50,0.00,0,0,123456789,0\n"));
	row = strchr(row, '\n') + 1;
	/* unavailable usage: n/a, never 0; a label with a comma is quoted */
	EXPECT_NE(NULL, strstr(row, ",\"/a,b\",n/a,n/a,n/a,n/a,n/a,n/a,n/a,n/a,n/a\n"));
	free(buf);
}

TEST_HARNESS_MAIN
