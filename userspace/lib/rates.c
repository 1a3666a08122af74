// SPDX-License-Identifier: GPL-2.0
/*
 * libnsgpuperf rates: two raw group reads -> what intel_gpu_top shows for
 * the period between them, computed as its pmu_calc() does:
 *
 *   v = (cur - prev) / d / t * s,  clamped to 100 when s is 100
 *
 * with t the period in seconds from the group's own clock (time_enabled,
 * as intel_gpu_top takes the group read's timestamp): frequency d = 1,
 * s = 1 (MHz, i915 counts MHz x s); interrupts d = 1, s = 1 (per second);
 * RC6 and engine busy/wait/sema d = 1e9, s = 100 (%).  On a multi-GT GPU
 * intel_gpu_top (2.x) averages the GTs' frequency and RC6 counts before
 * that; its class view sums a class's engines and divides by their number
 * (__pmu_normalize) before the same computation.
 */
#include <string.h>

#include "ngp_internal.h"

static uint64_t delta(const struct ngp_raw *prev, const struct ngp_raw *cur, int idx)
{
	if (idx < 0 || idx >= NSGPUPERF_MAX_GROUP_EVENTS)
		return 0;
	/* counters never go back; a read after a reset would: no rate */
	return cur->values[idx] >= prev->values[idx] ?
	       cur->values[idx] - prev->values[idx] : 0;
}

static double calc(double d_count, double d, double t, double s)
{
	double v;

	if (t <= 0)
		return 0;
	v = d_count / d / t * s;
	if (s == 100.0 && v > 100.0)
		v = 100.0;
	return v;
}

/* Mean over the GTs that have the counter of its delta (and its value). */
static bool gt_mean(const int *idx, int nr_gt, const struct ngp_raw *prev,
		    const struct ngp_raw *cur, double *d_mean, uint64_t *cur_mean)
{
	uint64_t sum_d = 0, sum_c = 0;
	int g, n = 0;

	for (g = 0; g < nr_gt; g++) {
		if (idx[g] < 0)
			continue;
		sum_d += delta(prev, cur, idx[g]);
		sum_c += cur->values[idx[g]];
		n++;
	}
	if (!n)
		return false;
	*d_mean = (double)sum_d / n;
	if (cur_mean)
		*cur_mean = sum_c / n;
	return true;
}

void ngp_rates(const struct ngp_layout *l, const struct ngp_raw *prev,
	       const struct ngp_raw *cur, struct ngp_sample *out)
{
	double t, d;
	int i, s, c;

	memset(out, 0, sizeof(*out));
	t = cur->time_enabled > prev->time_enabled ?
	    (double)(cur->time_enabled - prev->time_enabled) / 1e9 : 0;
	out->period_ms = t * 1e3;
	out->enabled_ns = cur->time_enabled;

	if (gt_mean(l->idx_act, l->nr_gt, prev, cur, &d, NULL)) {
		out->has_freq_act = true;
		out->freq_act = calc(d, 1, t, 1);
	}
	if (gt_mean(l->idx_req, l->nr_gt, prev, cur, &d, NULL)) {
		out->has_freq_req = true;
		out->freq_req = calc(d, 1, t, 1);
	}
	if (gt_mean(l->idx_rc6, l->nr_gt, prev, cur, &d, &out->rc6_total_ns)) {
		out->has_rc6 = true;
		out->rc6 = calc(d, 1e9, t, 100);
	}
	if (l->idx_irq >= 0) {
		out->has_irq = true;
		out->irq = calc((double)delta(prev, cur, l->idx_irq), 1, t, 1);
		out->irq_total = cur->values[l->idx_irq];
	}

	out->nr_engines = l->nr_engines;
	for (c = 0; c < NGP_NR_CLASSES; c++)
		out->classes[c].class = c;
	for (i = 0; i < l->nr_engines; i++) {
		const struct ngp_engine *en = &l->engines[i];
		struct ngp_engine_rate *er = &out->engines[i];
		struct ngp_class_rate *cr = en->class < NGP_NR_CLASSES ?
					    &out->classes[en->class] : NULL;

		er->engine = en;
		if (cr)
			cr->nr_engines++;
		for (s = 0; s < NGP_NR_SAMPLERS; s++) {
			if (en->idx[s] < 0)
				continue;
			er->has[s] = true;
			er->total_ns[s] = cur->values[en->idx[s]];
			d = (double)delta(prev, cur, en->idx[s]);
			er->pct[s] = calc(d, 1e9, t, 100);
			if (cr) {
				cr->has[s] = true;
				/* the class's sum for now, its mean below */
				cr->pct[s] += d;
			}
		}
	}
	for (c = 0; c < NGP_NR_CLASSES; c++) {
		struct ngp_class_rate *cr = &out->classes[c];

		for (s = 0; s < NGP_NR_SAMPLERS; s++)
			cr->pct[s] = cr->nr_engines ?
				     calc(cr->pct[s] / cr->nr_engines, 1e9, t, 100) : 0;
	}
}
