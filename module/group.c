// SPDX-License-Identifier: GPL-2.0
/*
 * Counter groups: the file descriptors NSGPUPERF_IOC_OPEN_GROUP returns.
 *
 * A group holds references on shared kernel counters (counter.c) and gives
 * each of its events perf's semantics for one session: the value counts
 * from 0 while the group is enabled, from its open, reset or addition on.
 * Because the kernel counter is shared and never stops, each event keeps
 * the raw count at which the group last started counting it (@base) and
 * what it counted before its last disable (@count).  Times are kept with
 * ktime; the kernel counters are never multiplexed, so the time running
 * equals the time enabled.
 *
 * read() returns what perf's read() of a group leader returns for the same
 * read_format.  A group whose GPU driver unbound since it was opened fails
 * reads and ioctls that need its counters with -ENODEV, forever.
 */
#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/compat.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/moduleparam.h>
#include <linux/perf_event.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "nsgp.h"

#define NSGP_READ_FORMATS	(PERF_FORMAT_GROUP |			\
				 PERF_FORMAT_TOTAL_TIME_ENABLED |	\
				 PERF_FORMAT_TOTAL_TIME_RUNNING |	\
				 PERF_FORMAT_ID | PERF_FORMAT_LOST)

/* Event ids, unique for the module's lifetime (0 is never an id). */
static atomic64_t nsgp_next_event_id = ATOMIC64_INIT(0);

struct nsgp_event_file;

/**
 * struct nsgp_group_event - one event of a group
 * @ctr: its shared kernel counter; NULL once its fd closed
 * @file: the event fd standing for it, NULL for the group fd's leader and
 *	for events added with NSGPUPERF_GROUP_IOC_ADD
 * @id: its id (PERF_FORMAT_ID)
 * @base: raw count when it last started counting
 * @count: what it counted before that
 * @raw: scratch: last raw count read
 * @time: ns it counted, up to the group's @stamp (siblings)
 * @enabled: a sibling's own state (the leader's is the group's @enabled)
 * @cpu: perf_event_open()'s cpu, -1 for the module's own API
 * @clock: perf_event_open()'s clockid, NSGP_CLOCK_DEFAULT without one
 */
struct nsgp_group_event {
	struct nsgp_counter *ctr;
	struct nsgp_event_file *file;
	u64 id;
	u64 base;
	u64 count;
	u64 raw;
	u64 time;
	bool enabled;
	int cpu;
	int clock;
};

/**
 * struct nsgp_group - a counter group
 * @ref: held by each fd standing for one of its events
 * @lock: serialises reads and ioctls of the group
 * @session: the session it was opened through, referenced
 * @gpu: its GPU, referenced
 * @charge: its count in the per-container group limit
 * @generation: the GPU's generation at open
 * @enabled: the leader is enabled: siblings count only while it is
 * @leader_gone: the leader's fd closed; each sibling left is a group of
 *	its own, as perf makes them
 * @time: ns the leader was enabled, up to @stamp
 * @stamp: ktime (ns) up to which the times are accounted
 * @nr: events in @ev; the first is the leader
 * @ev: the events, in the order added
 * @buf: read() layout, built under @lock
 */
struct nsgp_group {
	struct kref ref;
	struct mutex lock;	/* see above */
	struct nsgp_session *session;
	struct nsgp_gpu *gpu;
	struct nsgp_cg_charge *charge;
	u64 generation;
	bool enabled;
	bool leader_gone;
	u64 time;
	u64 stamp;
	unsigned int nr;
	struct nsgp_group_event ev[NSGPUPERF_MAX_GROUP_EVENTS];
	u64 buf[3 + 3 * NSGPUPERF_MAX_GROUP_EVENTS];
};

/**
 * struct nsgp_event_file - what a group or event fd stands for
 * @g: the group, referenced
 * @idx: index of its event in @g->ev (under @g->lock: siblings move down
 *	when one before them closes); 0 for a group fd
 * @read_format: PERF_FORMAT_* of read() on the fd
 * @attached: its event is in the group (a file whose event could not be
 *	added only drops its reference on close)
 */
struct nsgp_event_file {
	struct nsgp_group *g;
	unsigned int idx;
	u64 read_format;
	bool attached;
};

/*
 * How a group read reaches counters whose PMU reads only on its own CPU
 * (i915 up to 6.14), from another CPU.  A tuning and benchmark knob, not
 * an interface: `make bench` compares the designs with the PMU's CPU idle
 * and busy, and the default is the one that wins there.
 *   ipi    one cross-CPU call reads the whole group (default): what perf
 *          does for a group read, whatever the PMU's CPU is running
 *   event  one perf_event_read_value() per event: one cross-CPU call each
 *   work   one work item on the PMU's CPU: waits for a kworker there, so
 *          a CPU-bound task on that CPU makes it slow
 * Counters that read on any CPU (6.15+) are read in place in every mode.
 */
enum {
	NSGP_READ_IPI,
	NSGP_READ_EVENT,
	NSGP_READ_WORK,
};

static const char * const nsgp_read_mode_names[] = {
	[NSGP_READ_IPI]		= "ipi",
	[NSGP_READ_EVENT]	= "event",
	[NSGP_READ_WORK]	= "work",
};

static int nsgp_read_mode = NSGP_READ_IPI;

static int nsgp_read_mode_set(const char *val, const struct kernel_param *kp)
{
	int mode = sysfs_match_string(nsgp_read_mode_names, val);

	if (mode < 0)
		return mode;
	WRITE_ONCE(*(int *)kp->arg, mode);
	return 0;
}

static int nsgp_read_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  nsgp_read_mode_names[READ_ONCE(*(int *)kp->arg)]);
}

static const struct kernel_param_ops nsgp_read_mode_ops = {
	.set = nsgp_read_mode_set,
	.get = nsgp_read_mode_get,
};

module_param_cb(read_mode, &nsgp_read_mode_ops, &nsgp_read_mode, 0644);
MODULE_PARM_DESC(read_mode,
		 "Tuning/benchmark knob: how a group read reaches a PMU that reads only on its own CPU (i915 up to 6.14): ipi (default: one cross-CPU call per group read), event (one per event), work (a work item on the PMU's CPU)");

/*
 * A range of a group's events to read, maybe on another CPU, and @stamp,
 * the ktime right after their last read.
 */
struct nsgp_read_range {
	struct nsgp_group *g;
	unsigned int first, last;
	u64 stamp;
	DECLARE_BITMAP(missed, NSGPUPERF_MAX_GROUP_EVENTS);
};

/* Process context, anywhere: one perf_event_read_value() per event. */
static int nsgp_group_read_range(void *arg)
{
	struct nsgp_read_range *r = arg;
	struct nsgp_group_event *e;
	unsigned int i;

	for (i = r->first; i < r->last; i++) {
		e = &r->g->ev[i];
		if (e->ctr)
			e->raw = nsgp_counter_read(e->ctr);
	}
	r->stamp = ktime_get_ns();
	return 0;
}

/*
 * Cross-CPU call on the counters' CPU, IRQs off: read what is active
 * here, note the rest in @missed for nsgp_group_read_raw() to read after.
 */
static void nsgp_group_read_here(void *arg)
{
	struct nsgp_read_range *r = arg;
	struct nsgp_group_event *e;
	unsigned int i;

	for (i = r->first; i < r->last; i++) {
		e = &r->g->ev[i];
		if (e->ctr && !nsgp_counter_read_here(e->ctr, &e->raw))
			__set_bit(i, r->missed);
	}
	r->stamp = ktime_get_ns();
}

/* The CPU to read a group's counters on, -1 for anywhere (see below). */
static int nsgp_group_read_cpu(struct nsgp_group *g, unsigned int first,
			       unsigned int last)
{
	unsigned int i;

	for (i = first; i < last; i++)
		if (g->ev[i].ctr)
			return nsgp_counter_read_cpu(g->ev[i].ctr);
	return -1;
}

/*
 * Read the raw counts of the live events among [@first, @last) into their
 * ->raw, or just check that the group is alive if the range is empty.
 * @stamp gets the ktime the counts stand for, taken with them (on their
 * CPU for a cross-CPU call), as perf takes an event's times with its
 * count: time taken later, after a preemption, would skew every rate
 * computed from the two.
 *
 * Where a read from another CPU is a cross-CPU call (i915 up to 6.14),
 * read_mode chooses how the range reaches the events' CPU (see above).
 * An event found elsewhere (its PMU moved to another CPU, or the CPU went
 * offline) is read with perf_event_read_value(), which follows it.
 */
static int nsgp_group_read_raw(struct nsgp_group *g, unsigned int first,
			       unsigned int last, u64 *stamp)
{
	struct nsgp_read_range r = { .g = g, .first = first, .last = last };
	int cpu, mode = READ_ONCE(nsgp_read_mode);
	unsigned int i;

	down_read(&g->gpu->sem);
	if (g->generation != g->gpu->generation) {
		up_read(&g->gpu->sem);
		return -ENODEV;
	}
	cpu = nsgp_group_read_cpu(g, first, last);
	if (cpu < 0 || mode == NSGP_READ_EVENT) {
		nsgp_group_read_range(&r);
	} else if (mode == NSGP_READ_WORK) {
		if (last - first == 1 || cpu == raw_smp_processor_id() ||
		    smp_call_on_cpu(cpu, nsgp_group_read_range, &r, false))
			nsgp_group_read_range(&r);	/* or its CPU is offline */
	} else {
		/* On this CPU, it runs here with IRQs off: no IPI. */
		if (smp_call_function_single(cpu, nsgp_group_read_here, &r, 1))
			bitmap_set(r.missed, first, last - first);
		for_each_set_bit(i, r.missed, last)
			if (g->ev[i].ctr)
				g->ev[i].raw = nsgp_counter_read(g->ev[i].ctr);
		if (!bitmap_empty(r.missed, last))
			r.stamp = ktime_get_ns();
	}
	up_read(&g->gpu->sem);
	*stamp = r.stamp;
	return 0;
}

/* Whether event @i is enabled: the leader's state is the group's. */
static bool nsgp_event_enabled(const struct nsgp_group *g, unsigned int i)
{
	if (!g->ev[i].ctr && i < g->nr)
		return false;		/* its fd closed */
	return i ? g->ev[i].enabled : g->enabled;
}

/*
 * Whether event @i counts: a sibling counts while it and its leader are
 * enabled, as in perf, where siblings are scheduled only with their
 * leader; once the leader's fd closed, while it is enabled.
 */
static bool nsgp_event_counting(const struct nsgp_group *g, unsigned int i)
{
	return nsgp_event_enabled(g, i) &&
	       (!i || g->enabled || g->leader_gone);
}

/*
 * The time enabled of event @i at @now, which is also its time running:
 * the kernel counters are never multiplexed.  It runs while the event
 * counts: perf does not advance a sibling's times while its leader is
 * disabled.  The leader's is the group's.
 */
static u64 nsgp_event_time(const struct nsgp_group *g, unsigned int i, u64 now)
{
	u64 delta = now - g->stamp;

	if (!i)
		return g->time + (g->enabled ? delta : 0);
	return g->ev[i].time + (nsgp_event_counting(g, i) ? delta : 0);
}

/* Account every event's time up to @now; no event's state changes. */
static void nsgp_group_advance_times(struct nsgp_group *g, u64 now)
{
	unsigned int i;

	for (i = 0; i < g->nr; i++)
		g->ev[i].time = nsgp_event_time(g, i, now);
	g->time += g->enabled ? now - g->stamp : 0;
	g->stamp = now;
}

/*
 * Start a change of which events count: bring the counts and times of
 * every event up to now, so that the change applies from now on.  Every
 * event that counts has ->count up to date and its ->raw taken now; end
 * the change with nsgp_group_change_end().
 */
static int nsgp_group_change_begin(struct nsgp_group *g)
{
	unsigned int i;
	u64 stamp;
	int ret;

	ret = nsgp_group_read_raw(g, 0, g->nr, &stamp);
	if (ret)
		return ret;
	for (i = 0; i < g->nr; i++)
		if (nsgp_event_counting(g, i))
			g->ev[i].count += g->ev[i].raw - g->ev[i].base;
	nsgp_group_advance_times(g, stamp);
	return 0;
}

/* Events that count after the change start from the raw count now. */
static void nsgp_group_change_end(struct nsgp_group *g)
{
	unsigned int i;

	for (i = 0; i < g->nr; i++)
		if (nsgp_event_counting(g, i))
			g->ev[i].base = g->ev[i].raw;
}

/*
 * The events an ioctl on event @i acts on: @i alone or, with
 * PERF_IOC_FLAG_GROUP, its group: every event, or @i alone once its
 * leader's fd closed (perf_event_for_each()).
 */
static void nsgp_ioctl_targets(const struct nsgp_group *g, unsigned int i,
			       bool group, unsigned int *first,
			       unsigned int *last)
{
	if (group && !g->leader_gone) {
		*first = 0;
		*last = max(g->nr, 1U);	/* the leader's state exists */
	} else {
		*first = i;
		*last = i + 1;
	}
}

/*
 * PERF_EVENT_IOC_ENABLE, _DISABLE or _RESET (@op) of event @i or, with
 * PERF_IOC_FLAG_GROUP (@group), of its whole group, as perf_ioctl() does.
 * Enabling or disabling the leader starts or stops every sibling's
 * counting, since siblings count only while their leader does.  A reset
 * restarts the counts at 0; the times go on.
 */
static int nsgp_group_apply(struct nsgp_group *g, unsigned int i, bool group,
			    unsigned int op)
{
	unsigned int first, last, j;
	int ret;

	ret = nsgp_group_change_begin(g);
	if (ret)
		return ret;
	nsgp_ioctl_targets(g, i, group, &first, &last);
	for (j = first; j < last; j++) {
		if (op == PERF_EVENT_IOC_RESET) {
			if (j < g->nr)
				g->ev[j].count = 0;
		} else if (!j) {
			/* the group's state, even before it has an event */
			g->enabled = op == PERF_EVENT_IOC_ENABLE;
		} else {
			g->ev[j].enabled = op == PERF_EVENT_IOC_ENABLE;
		}
	}
	nsgp_group_change_end(g);
	return 0;
}

/*
 * Add an event whose count starts at 0 and whose times start now, in
 * state @enabled (the first event, the leader, sets the group's).  @cpu
 * and @clock are what perf_event_open() was given, checked against the
 * leader's as perf does.
 */
static int nsgp_group_add(struct nsgp_group *g, u64 config, bool enabled,
			  int cpu, int clock, u64 *id)
{
	struct nsgp_group_event *e;
	struct nsgp_counter *ctr;
	u64 stamp;
	int ret;

	if (g->nr >= NSGPUPERF_MAX_GROUP_EVENTS)
		return -E2BIG;
	if (g->nr && (g->ev[0].cpu != cpu || g->ev[0].clock != clock))
		return -EINVAL;
	/*
	 * The others' states do not change, so only their times are brought
	 * up to now (no read): the new event's time starts here.
	 */
	nsgp_group_advance_times(g, ktime_get_ns());
	ctr = nsgp_counter_get(g->gpu, g->generation, config);
	if (IS_ERR(ctr))
		return PTR_ERR(ctr);
	e = &g->ev[g->nr];
	memset(e, 0, sizeof(*e));
	e->ctr = ctr;
	e->enabled = enabled;
	e->cpu = cpu;
	e->clock = clock;
	e->id = atomic64_inc_return(&nsgp_next_event_id);
	if (!g->nr)
		g->enabled = enabled;
	g->nr++;
	/* Also the check that the group is alive. */
	ret = nsgp_group_read_raw(g, g->nr - 1, g->nr, &stamp);
	if (ret) {
		g->nr--;
		nsgp_counter_put(ctr);
		e->ctr = NULL;
		return ret;
	}
	e->base = e->raw;
	*id = e->id;
	return 0;
}

/*
 * The fd of sibling @i closed: as perf_group_detach() does, it leaves the
 * group (later siblings move down).
 */
static void nsgp_group_remove_sibling(struct nsgp_group *g, unsigned int i)
{
	unsigned int j;

	/* No other event's state changes: nothing to read or account. */
	nsgp_counter_put(g->ev[i].ctr);
	for (j = i + 1; j < g->nr; j++) {
		g->ev[j - 1] = g->ev[j];
		if (g->ev[j - 1].file)
			g->ev[j - 1].file->idx = j - 1;
	}
	g->nr--;
}

/*
 * The leader's fd closed: each sibling left becomes a group of its own
 * and counts while it is enabled, as perf_group_detach() makes it.
 */
static void nsgp_group_remove_leader(struct nsgp_group *g)
{
	bool alive = !nsgp_group_change_begin(g);

	g->leader_gone = true;
	if (g->nr) {
		nsgp_counter_put(g->ev[0].ctr);
		g->ev[0].ctr = NULL;
	}
	if (alive)
		nsgp_group_change_end(g);
}

static void nsgp_group_free(struct kref *ref)
{
	struct nsgp_group *g = container_of(ref, struct nsgp_group, ref);
	unsigned int i;

	for (i = 0; i < g->nr; i++)
		if (g->ev[i].ctr)
			nsgp_counter_put(g->ev[i].ctr);
	if (!IS_ERR_OR_NULL(g->charge))
		nsgp_cg_uncharge(g->charge);
	nsgp_gpu_put(g->gpu);
	nsgp_session_put(g->session);
	mutex_destroy(&g->lock);
	kfree(g);
}

static int nsgp_event_file_release(struct inode *inode, struct file *file)
{
	struct nsgp_event_file *ef = file->private_data;
	struct nsgp_group *g = ef->g;

	mutex_lock(&g->lock);
	if (ef->attached && ef->idx)
		nsgp_group_remove_sibling(g, ef->idx);
	else if (ef->attached)
		nsgp_group_remove_leader(g);
	mutex_unlock(&g->lock);
	kref_put(&g->ref, nsgp_group_free);
	kfree(ef);
	return 0;
}

/* Words of one event's entry in a group read. */
static size_t nsgp_entry_words(u64 fmt)
{
	return 1 + !!(fmt & PERF_FORMAT_ID) + !!(fmt & PERF_FORMAT_LOST);
}

/* The events a read of event @i covers: its group, or itself alone. */
static void nsgp_read_members(const struct nsgp_group *g, unsigned int i,
			      u64 fmt, unsigned int *first,
			      unsigned int *last)
{
	if ((fmt & PERF_FORMAT_GROUP) && !g->leader_gone) {
		*first = 0;
		*last = g->nr;
	} else {
		*first = i;
		*last = min(i + 1, g->nr);
	}
}

/* Size of perf's read() layout of event @i with read_format @fmt. */
static size_t nsgp_read_size(const struct nsgp_group *g, unsigned int i,
			     u64 fmt)
{
	unsigned int first, last;
	size_t words = 0;

	if (fmt & PERF_FORMAT_TOTAL_TIME_ENABLED)
		words++;
	if (fmt & PERF_FORMAT_TOTAL_TIME_RUNNING)
		words++;
	if (fmt & PERF_FORMAT_GROUP) {
		nsgp_read_members(g, i, fmt, &first, &last);
		words += 1 + (last - first) * nsgp_entry_words(fmt);
	} else {
		words += nsgp_entry_words(fmt);
	}
	return words * sizeof(u64);
}

static u64 nsgp_event_value(const struct nsgp_group *g, unsigned int i)
{
	const struct nsgp_group_event *e = &g->ev[i];

	return e->count + (nsgp_event_counting(g, i) ? e->raw - e->base : 0);
}

/* Append event @i's entry: { value; [id;] [lost;] } */
static u64 *nsgp_put_entry(const struct nsgp_group *g, unsigned int i,
			   u64 fmt, u64 *p)
{
	bool exists = i < g->nr;

	*p++ = exists ? nsgp_event_value(g, i) : 0;
	if (fmt & PERF_FORMAT_ID)
		*p++ = exists ? g->ev[i].id : 0;
	if (fmt & PERF_FORMAT_LOST)
		*p++ = 0;	/* counting events lose nothing */
	return p;
}

/**
 * nsgp_event_read() - read() on a group or event fd
 * @file: the fd
 * @ubuf: user buffer
 * @count: its size
 * @ppos: ignored, as perf does
 *
 * perf's layouts: with PERF_FORMAT_GROUP, the group of the fd's event
 * (itself alone once its leader's fd closed) with the leader's times:
 * { u64 nr; [u64 time_enabled;] [u64 time_running;]
 *   { u64 value; [u64 id;] [u64 lost;] } cntr[nr]; }
 * without, the fd's event with its own times (value and id 0 for a group
 * fd whose group has no event yet):
 * { u64 value; [u64 time_enabled;] [u64 time_running;] [u64 id;]
 *   [u64 lost;] }
 *
 * Return: the layout's size, -ENOSPC if @count is smaller, -ENODEV if the
 * GPU unbound since the group was opened, -EFAULT.
 */
static ssize_t nsgp_event_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct nsgp_event_file *ef = file->private_data;
	struct nsgp_group *g = ef->g;
	u64 fmt = ef->read_format, stamp, t, *p;
	unsigned int i = ef->idx, j, first, last, times_of;
	size_t size;
	ssize_t ret;

	mutex_lock(&g->lock);
	size = nsgp_read_size(g, i, fmt);
	if (count < size) {
		ret = -ENOSPC;
		goto out;
	}
	nsgp_read_members(g, i, fmt, &first, &last);
	/* Also for an empty range: a dead group never reads again. */
	ret = nsgp_group_read_raw(g, first, last, &stamp);
	if (ret)
		goto out;

	/* A group read carries its leader's times, perf_read_group(). */
	times_of = (fmt & PERF_FORMAT_GROUP) && !g->leader_gone ? 0 : i;
	t = nsgp_event_time(g, times_of, stamp);
	p = g->buf;
	if (fmt & PERF_FORMAT_GROUP) {
		*p++ = last - first;
		if (fmt & PERF_FORMAT_TOTAL_TIME_ENABLED)
			*p++ = t;
		if (fmt & PERF_FORMAT_TOTAL_TIME_RUNNING)
			*p++ = t;
		for (j = first; j < last; j++)
			p = nsgp_put_entry(g, j, fmt, p);
	} else {
		*p++ = i < g->nr ? nsgp_event_value(g, i) : 0;
		if (fmt & PERF_FORMAT_TOTAL_TIME_ENABLED)
			*p++ = t;
		if (fmt & PERF_FORMAT_TOTAL_TIME_RUNNING)
			*p++ = t;
		if (fmt & PERF_FORMAT_ID)
			*p++ = i < g->nr ? g->ev[i].id : 0;
		if (fmt & PERF_FORMAT_LOST)
			*p++ = 0;
	}
	if (WARN_ON_ONCE((p - g->buf) * sizeof(u64) != size))
		ret = -EIO;
	else if (copy_to_user(ubuf, g->buf, size))
		ret = -EFAULT;
	else
		ret = size;
out:
	mutex_unlock(&g->lock);
	return ret;
}

static long nsgp_group_ioctl_add(struct nsgp_event_file *ef,
				 void __user *uarg)
{
	struct nsgp_group *g = ef->g;
	struct nsgpuperf_group_add a;
	u32 usize;
	int ret;

	ret = nsgp_copy_struct_in(&a, sizeof(a), NSGPUPERF_GROUP_ADD_SIZE_VER1,
				  uarg, &usize);
	if (ret)
		return ret;
	if (a.flags)
		return -EINVAL;
	if (!nsgp_session_device_counters(g->session))
		return -EACCES;
	mutex_lock(&g->lock);
	if (ef->idx || g->leader_gone)
		ret = -EINVAL;	/* only a group fd adds */
	else	/* siblings count with the leader; a first event is it */
		ret = nsgp_group_add(g, a.config, g->nr || g->enabled, -1,
				     NSGP_CLOCK_DEFAULT, &a.id);
	mutex_unlock(&g->lock);
	if (ret)
		return ret;
	/* The event stays in the group even if the id cannot be written. */
	return nsgp_copy_struct_out(uarg, usize, &a, sizeof(a));
}

/* PERF_EVENT_IOC_ID: the event's id, to a __u64 in userspace. */
static long nsgp_event_ioctl_id(struct nsgp_event_file *ef, void __user *uarg)
{
	struct nsgp_group *g = ef->g;
	u64 id = 0;

	mutex_lock(&g->lock);
	if (ef->idx < g->nr)
		id = g->ev[ef->idx].id;
	mutex_unlock(&g->lock);
	if (!id)
		return -EINVAL;		/* a group fd with no event yet */
	return put_user(id, (u64 __user *)uarg);
}

/*
 * PERF_EVENT_IOC_SET_OUTPUT, as perf_event_set_output() answers for an
 * event with no ring buffer: -1 (none) is fine, an event fd has no buffer
 * to share (EINVAL), any other fd is not an event (EBADF).  Like perf, the
 * argument is an unsigned long: a 32-bit caller's -1 is fd 0xffffffff.
 */
static long nsgp_event_ioctl_set_output(unsigned long arg)
{
	struct file *f;
	bool ours;

	if (arg == -1UL)
		return 0;
	f = fget((unsigned int)arg);
	if (!f)
		return -EBADF;
	ours = nsgp_event_file_of(f);
	fput(f);
	return ours ? -EINVAL : -EBADF;
}

/*
 * An ENABLE, DISABLE or RESET, under either ioctl magic.  perf ignores
 * argument bits but PERF_IOC_FLAG_GROUP; the module's own numbers refuse
 * them (@strict).
 */
static long nsgp_event_ioctl_state(struct nsgp_event_file *ef,
				   unsigned int op, unsigned long arg,
				   bool strict)
{
	struct nsgp_group *g = ef->g;
	long ret;

	if (strict && (arg & ~(unsigned long)PERF_IOC_FLAG_GROUP))
		return -EINVAL;
	mutex_lock(&g->lock);
	ret = nsgp_group_apply(g, ef->idx, arg & PERF_IOC_FLAG_GROUP, op);
	mutex_unlock(&g->lock);
	return ret;
}

/*
 * ioctls on a group or event fd: perf's, answered as perf_ioctl() answers
 * them for a counting event of a CPU-wide PMU, and the module's own (see
 * <linux/nsgpuperf.h>).  Errors: -ENODEV if the GPU unbound since the group
 * was opened, -EINVAL for an argument perf refuses, -ENOTTY otherwise.
 */
static long nsgp_event_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct nsgp_event_file *ef = file->private_data;

	switch (cmd) {
	case PERF_EVENT_IOC_ENABLE:
	case PERF_EVENT_IOC_DISABLE:
	case PERF_EVENT_IOC_RESET:
		return nsgp_event_ioctl_state(ef, cmd, arg, false);
	case NSGPUPERF_GROUP_IOC_ENABLE:
		return nsgp_event_ioctl_state(ef, PERF_EVENT_IOC_ENABLE, arg,
					      true);
	case NSGPUPERF_GROUP_IOC_DISABLE:
		return nsgp_event_ioctl_state(ef, PERF_EVENT_IOC_DISABLE, arg,
					      true);
	case NSGPUPERF_GROUP_IOC_RESET:
		return nsgp_event_ioctl_state(ef, PERF_EVENT_IOC_RESET, arg,
					      true);
	case PERF_EVENT_IOC_ID:
		return nsgp_event_ioctl_id(ef, (void __user *)arg);
	case PERF_EVENT_IOC_SET_OUTPUT:
		return nsgp_event_ioctl_set_output(arg);
	case PERF_EVENT_IOC_REFRESH:
	case PERF_EVENT_IOC_PERIOD:
	case PERF_EVENT_IOC_SET_FILTER:
	case PERF_EVENT_IOC_SET_BPF:
	case PERF_EVENT_IOC_PAUSE_OUTPUT:
		/* not a sampling, tracing or ring-buffer event */
		return -EINVAL;
	case PERF_EVENT_IOC_QUERY_BPF:
		/* perf's answer: without BPF_EVENTS, its stub's */
		return IS_ENABLED(CONFIG_BPF_EVENTS) ? -EINVAL : -EOPNOTSUPP;
	case PERF_EVENT_IOC_MODIFY_ATTRIBUTES:
		return -EOPNOTSUPP;
	}
	if ((cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) ==
	    (NSGPUPERF_GROUP_IOC_ADD & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)))
		return nsgp_group_ioctl_add(ef, (void __user *)arg);
	return -ENOTTY;
}

#ifdef CONFIG_COMPAT
/*
 * 32-bit callers: PERF_EVENT_IOC_ID and friends carry a pointer's size in
 * their number, 4 there; fix it up as perf_compat_ioctl() does.
 */
static long nsgp_event_compat_ioctl(struct file *file, unsigned int cmd,
				    unsigned long arg)
{
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(PERF_EVENT_IOC_SET_FILTER):
	case _IOC_NR(PERF_EVENT_IOC_ID):
	case _IOC_NR(PERF_EVENT_IOC_QUERY_BPF):
	case _IOC_NR(PERF_EVENT_IOC_MODIFY_ATTRIBUTES):
		if (_IOC_TYPE(cmd) == _IOC_TYPE(PERF_EVENT_IOC_ID) &&
		    _IOC_SIZE(cmd) == sizeof(compat_uptr_t)) {
			cmd &= ~IOCSIZE_MASK;
			cmd |= sizeof(void *) << IOCSIZE_SHIFT;
		}
		break;
	}
	return nsgp_event_ioctl(file, cmd, arg);
}
#else
#define nsgp_event_compat_ioctl NULL
#endif

static const struct file_operations nsgp_event_fops = {
	.owner		= THIS_MODULE,
	.release	= nsgp_event_file_release,
	.read		= nsgp_event_read,
	.unlocked_ioctl	= nsgp_event_ioctl,
	.compat_ioctl	= nsgp_event_compat_ioctl,
};

/**
 * nsgp_event_file_of() - the event a file stands for
 * @f: any file
 *
 * Return: its struct nsgp_event_file if @f is a group or event fd of
 * nsgpuperf, else NULL.
 */
struct nsgp_event_file *nsgp_event_file_of(struct file *f)
{
	return f->f_op == &nsgp_event_fops ? f->private_data : NULL;
}

/* A new group of the session on @gpu, with no event, disabled. */
static struct nsgp_group *nsgp_group_create(struct nsgp_session *s,
					    struct nsgp_gpu *gpu)
{
	struct nsgp_group *g;
	int ret;

	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		return ERR_PTR(-ENOMEM);
	kref_init(&g->ref);
	mutex_init(&g->lock);
	kref_get(&gpu->ref);
	g->gpu = gpu;
	nsgp_session_get(s);
	g->session = s;
	g->stamp = ktime_get_ns();
	/* From here on, nsgp_group_free() undoes everything. */
	ret = nsgp_gpu_generation(gpu, &g->generation);
	if (!ret) {
		g->charge = nsgp_cg_charge(s);
		if (IS_ERR(g->charge))
			ret = PTR_ERR(g->charge);
	}
	if (ret) {
		kref_put(&g->ref, nsgp_group_free);
		return ERR_PTR(ret);
	}
	return g;
}

/*
 * A file (@f_flags) for event @idx of @g with @read_format; takes over the
 * caller's reference on @g (dropped on failure).
 */
static struct file *nsgp_event_file_create(struct nsgp_group *g,
					   unsigned int idx, u64 read_format,
					   int f_flags)
{
	struct nsgp_event_file *ef;
	struct file *file;

	ef = kzalloc(sizeof(*ef), GFP_KERNEL_ACCOUNT);
	if (!ef) {
		file = ERR_PTR(-ENOMEM);
		goto err;
	}
	ef->g = g;
	ef->idx = idx;
	ef->read_format = read_format;
	file = anon_inode_getfile("[nsgpuperf-event]", &nsgp_event_fops, ef,
				  f_flags);
	if (!IS_ERR(file))
		return file;
	kfree(ef);
err:
	kref_put(&g->ref, nsgp_group_free);
	return file;
}

/**
 * nsgp_event_open() - the event behind NSGPUPERF_IOC_PERF_OPEN
 * @s: the session
 * @gpu: the GPU of the PMU, in the session's scope
 * @leader: the leader's fd to add the event to, or NULL for a new group
 * @spec: the event
 *
 * The caller checked the attr as perf and the PMU would.  The file is not
 * installed in a fd table yet.
 *
 * Return: the new file, or an ERR_PTR(): -EINVAL (@leader is not a group
 * leader, or its GPU, CPU or clock differ), -ENODEV (the GPU or the
 * leader's group unbound), -EMFILE (group limit), -E2BIG (group full),
 * -ENOMEM, or the PMU's error.
 */
struct file *nsgp_event_open(struct nsgp_session *s, struct nsgp_gpu *gpu,
			     struct nsgp_event_file *leader,
			     const struct nsgp_event_spec *spec)
{
	struct nsgp_event_file *ef;
	struct nsgp_group_event *e;
	struct nsgp_group *g;
	struct file *file;
	u64 id;
	int ret;

	if (leader) {
		g = leader->g;
		if (g->gpu != gpu)
			return ERR_PTR(-EINVAL);
		kref_get(&g->ref);
	} else {
		g = nsgp_group_create(s, gpu);
		if (IS_ERR(g))
			return ERR_CAST(g);
	}
	/* The file exists before the event: no event without its fd. */
	/* O_RDWR, as perf's event files */
	file = nsgp_event_file_create(g, 0, spec->read_format, O_RDWR);
	if (IS_ERR(file))
		return file;
	ef = file->private_data;

	mutex_lock(&g->lock);
	if (leader && (leader->idx || g->leader_gone || !g->nr))
		ret = -EINVAL;
	else
		ret = nsgp_group_add(g, spec->config, !spec->disabled,
				     spec->cpu, spec->clock, &id);
	if (!ret) {
		e = &g->ev[g->nr - 1];
		e->file = ef;
		ef->idx = g->nr - 1;
		ef->attached = true;
	}
	mutex_unlock(&g->lock);
	if (ret) {
		fput(file);
		return ERR_PTR(ret);
	}
	return file;
}

/**
 * nsgp_ioctl_open_group() - NSGPUPERF_IOC_OPEN_GROUP
 * @s: the session
 * @uarg: struct nsgpuperf_group_open
 *
 * Opens a group of @nr_events events on one GPU and returns its fd
 * (O_RDONLY | O_CLOEXEC), also written to @fd; the event ids are written
 * to @ids if it is not 0.  Duplicate configs are allowed: they share one
 * kernel counter.  Unless NSGPUPERF_GROUP_DISABLED is given the group
 * counts from now.
 *
 * Return: the fd, or -EINVAL (flag, reserved field, read_format), -E2BIG
 * (too many events), -EACCES (host policy), -ENODEV (GPU not in scope or
 * unbound), -EMFILE (group limit), the PMU's error for a config it
 * rejects, -EFAULT, -ENOMEM.
 */
long nsgp_ioctl_open_group(struct nsgp_session *s, void __user *uarg)
{
	struct nsgpuperf_group_open o;
	u64 *configs = NULL, *ids = NULL;
	struct nsgp_event_file *ef;
	struct nsgp_group *g;
	struct nsgp_gpu *gpu;
	struct file *file;
	unsigned int i;
	u32 usize;
	int fd, ret;

	ret = nsgp_copy_struct_in(&o, sizeof(o), NSGPUPERF_GROUP_OPEN_SIZE_VER1,
				  uarg, &usize);
	if (ret)
		return ret;
	if ((o.flags & ~NSGPUPERF_GROUP_DISABLED) || o.reserved ||
	    (o.read_format & ~(u64)NSGP_READ_FORMATS))
		return -EINVAL;
	if (o.nr_events > NSGPUPERF_MAX_GROUP_EVENTS)
		return -E2BIG;
	if (!o.read_format)
		o.read_format = PERF_FORMAT_GROUP |
				PERF_FORMAT_TOTAL_TIME_ENABLED;
	if (!nsgp_session_device_counters(s))
		return -EACCES;

	if (o.nr_events) {
		configs = memdup_array_user(u64_to_user_ptr(o.configs),
					    o.nr_events, sizeof(u64));
		if (IS_ERR(configs))
			return PTR_ERR(configs);
		ids = kcalloc(o.nr_events, sizeof(u64), GFP_KERNEL_ACCOUNT);
		if (!ids) {
			kfree(configs);
			return -ENOMEM;
		}
	}
	gpu = nsgp_gpu_get(s, o.gpu_id);
	if (IS_ERR(gpu)) {
		ret = PTR_ERR(gpu);
		goto out;
	}
	g = nsgp_group_create(s, gpu);
	nsgp_gpu_put(gpu);
	if (IS_ERR(g)) {
		ret = PTR_ERR(g);
		goto out;
	}
	file = nsgp_event_file_create(g, 0, o.read_format, O_RDONLY);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out;
	}
	ef = file->private_data;
	ef->attached = true;

	mutex_lock(&g->lock);
	/* The leader's state is the group's; siblings count with it. */
	g->enabled = !(o.flags & NSGPUPERF_GROUP_DISABLED);
	for (i = 0, ret = 0; i < o.nr_events && !ret; i++)
		ret = nsgp_group_add(g, configs[i], i || g->enabled, -1,
				     NSGP_CLOCK_DEFAULT, &ids[i]);
	mutex_unlock(&g->lock);
	if (ret)
		goto out_file;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto out_file;
	}
	o.fd = fd;
	if (o.ids && o.nr_events &&
	    copy_to_user(u64_to_user_ptr(o.ids), ids,
			 o.nr_events * sizeof(u64)))
		ret = -EFAULT;
	if (!ret)
		ret = nsgp_copy_struct_out(uarg, usize, &o, sizeof(o));
	if (ret) {
		put_unused_fd(fd);
		goto out_file;
	}
	fd_install(fd, file);
	ret = fd;
	goto out;

out_file:
	fput(file);
out:
	kfree(ids);
	kfree(configs);
	return ret;
}
