// SPDX-License-Identifier: GPL-2.0
/*
 * One GPU's samples: a session, the GPU -d names, its counter group and
 * this scope's usage.  The first sample comes at once (covering the time
 * since the group opened, as intel_gpu_top's first does), then one per
 * period on a fixed schedule (absolute deadlines: no drift).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int cli_fail(const char *prog, const struct ngp_error *e)
{
	fprintf(stderr, "%s: %s\n", prog, e->msg[0] ? e->msg : strerror(-e->err));
	return e->exit ? (int)e->exit : NGP_EXIT_FAILURE;
}

static void add_ms(struct timespec *t, unsigned int ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

int cli_sampler_open(struct cli_sampler *cs, const struct cli_opts *o,
		     struct ngp_error *e)
{
	struct ngp_sample scratch;
	int ret;

	memset(cs, 0, sizeof(*cs));
	cs->reader.group_fd = -1;
	cs->usage.cgroup_fd = -1;
	ret = ngp_session_open(&cs->session, NULL, e);
	if (ret)
		return ret;
	cs->gpu = ngp_find_gpu(&cs->session, o->device, e);
	if (!cs->gpu) {
		ret = e ? e->err : -ENODEV;
		goto err_session;
	}
	ret = ngp_usage_init(&cs->session, &cs->usage, o->cgroup, e);
	if (ret)
		goto err_session;
	ret = ngp_reader_open(&cs->session, cs->gpu, &cs->reader, e);
	if (ret)
		goto err_usage;
	ret = ngp_reader_read(&cs->reader, &cs->prev, e);
	if (ret)
		goto err_reader;
	/* the usage baseline, so that the first sample has a period too */
	ngp_rates(&cs->reader.layout, &cs->prev, &cs->prev, &scratch);
	ret = ngp_usage_sample(&cs->session, cs->gpu, &cs->usage, &scratch, e);
	if (ret)
		goto err_reader;
	/* the first sample a whole period after the baseline, as intel_gpu_top */
	clock_gettime(CLOCK_MONOTONIC, &cs->due);
	add_ms(&cs->due, o->period_ms);
	return 0;

err_reader:
	ngp_reader_close(&cs->reader);
err_usage:
	ngp_usage_fini(&cs->usage);
err_session:
	ngp_session_close(&cs->session);
	return ret;
}

static int ngp_fail_eintr(struct ngp_error *e)
{
	if (e) {
		e->err = -EINTR;
		e->exit = NGP_EXIT_FAILURE;
		snprintf(e->msg, sizeof(e->msg), "interrupted");
	}
	return -EINTR;
}

int cli_sampler_next(struct cli_sampler *cs, const struct cli_opts *o,
		     struct ngp_error *e)
{
	struct timespec now;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &now);
	/* fell far behind (stopped, a slow terminal): no burst of samples */
	if (now.tv_sec > cs->due.tv_sec + 1)
		cs->due = now;
	ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &cs->due, NULL);
	if (ret == EINTR)	/* the caller checks its stop flag, calls again */
		return ngp_fail_eintr(e);
	ret = ngp_reader_read(&cs->reader, &cs->cur, e);
	if (ret)
		return ret;
	ngp_rates(&cs->reader.layout, &cs->prev, &cs->cur, &cs->sample);
	ret = ngp_usage_sample(&cs->session, cs->gpu, &cs->usage, &cs->sample, e);
	if (ret)
		return ret;
	cs->prev = cs->cur;
	cs->index++;
	add_ms(&cs->due, o->period_ms);
	return 0;
}

long cli_sampler_due_ms(const struct cli_sampler *cs, const struct cli_opts *o)
{
	struct timespec now;
	long long ns;

	(void)o;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (cs->due.tv_sec - now.tv_sec) * 1000000000LL + cs->due.tv_nsec - now.tv_nsec;
	return ns > 0 ? (long)((ns + 999999) / 1000000) : 0;
}

void cli_sampler_close(struct cli_sampler *cs)
{
	ngp_reader_close(&cs->reader);
	ngp_usage_fini(&cs->usage);
	ngp_session_close(&cs->session);
}
