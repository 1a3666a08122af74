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
				 PERF_FORMAT_ID)

/* Event ids, unique for the module's lifetime (0 is never an id). */
static atomic64_t nsgp_next_event_id = ATOMIC64_INIT(0);

struct nsgp_group_event {
	struct nsgp_counter *ctr;
	u64 id;
	u64 base;
	u64 count;
	u64 raw;	/* scratch: last raw count read */
	bool off;	/* a sibling disabled with PERF_IOC_FLAG_GROUP */
};

/**
 * struct nsgp_group - a counter group
 * @lock: serialises reads and ioctls of the group
 * @session: the session it was opened through, referenced
 * @gpu: its GPU, referenced
 * @charge: its count in the per-cgroup group limit
 * @generation: the GPU's generation at open
 * @read_format: PERF_FORMAT_* of read()
 * @enabled: counting
 * @time_enabled: ns enabled before @enabled_at
 * @enabled_at: ktime (ns) of the last enable
 * @nr: events in @ev
 * @ev: the events, in the order added
 * @buf: read() layout, built under @lock
 */
struct nsgp_group {
	struct mutex lock;	/* see above */
	struct nsgp_session *session;
	struct nsgp_gpu *gpu;
	struct nsgp_cg_charge *charge;
	u64 generation;
	u64 read_format;
	bool enabled;
	u64 time_enabled;
	u64 enabled_at;
	unsigned int nr;
	struct nsgp_group_event ev[NSGPUPERF_MAX_GROUP_EVENTS];
	u64 buf[3 + 2 * NSGPUPERF_MAX_GROUP_EVENTS];
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

/* A range of a group's events to read, maybe on another CPU. */
struct nsgp_read_range {
	struct nsgp_group *g;
	unsigned int first, last;
	DECLARE_BITMAP(missed, NSGPUPERF_MAX_GROUP_EVENTS);
};

/* Process context, anywhere: one perf_event_read_value() per event. */
static int nsgp_group_read_range(void *arg)
{
	struct nsgp_read_range *r = arg;
	unsigned int i;

	for (i = r->first; i < r->last; i++)
		r->g->ev[i].raw = nsgp_counter_read(r->g->ev[i].ctr);
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
		if (!nsgp_counter_read_here(e->ctr, &e->raw))
			__set_bit(i, r->missed);
	}
}

/*
 * Read the raw counts of events [@first, @last) into their ->raw, or just
 * check that the group is alive if the range is empty.
 *
 * Where a read from another CPU is a cross-CPU call (i915 up to 6.14),
 * read_mode chooses how the range reaches the events' CPU (see above).
 * An event found elsewhere (its PMU moved to another CPU, or the CPU went
 * offline) is read with perf_event_read_value(), which follows it.
 */
static int nsgp_group_read_raw(struct nsgp_group *g, unsigned int first,
			       unsigned int last)
{
	struct nsgp_read_range r = { .g = g, .first = first, .last = last };
	int cpu = -1, mode = READ_ONCE(nsgp_read_mode);
	unsigned int i;

	down_read(&g->gpu->sem);
	if (g->generation != g->gpu->generation) {
		up_read(&g->gpu->sem);
		return -ENODEV;
	}
	if (last > first)
		cpu = nsgp_counter_read_cpu(g->ev[first].ctr);
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
			g->ev[i].raw = nsgp_counter_read(g->ev[i].ctr);
	}
	up_read(&g->gpu->sem);
	return 0;
}

/*
 * Whether event @i counts: a sibling counts while it is enabled and the
 * leader is; the leader's state is the group's (@enabled), as in perf,
 * where siblings are scheduled only with their leader.
 */
static bool nsgp_event_counting(const struct nsgp_group *g, unsigned int i)
{
	return g->enabled && !g->ev[i].off;
}

/*
 * PERF_EVENT_IOC_ENABLE (@enable) or _DISABLE of the leader and, with
 * PERF_IOC_FLAG_GROUP (@group), of every sibling too, as perf_ioctl() does
 * (perf_event_for_each()).  Events that start counting take their base
 * now, those that stop keep what they counted.  The time enabled is the
 * leader's.
 */
static int nsgp_group_set_state(struct nsgp_group *g, bool enable, bool group)
{
	bool changes = false;
	unsigned int i;
	int ret;

	for (i = 0; i < g->nr; i++) {
		bool off = group && i ? !enable : g->ev[i].off;

		if (nsgp_event_counting(g, i) != (enable && !off))
			changes = true;
	}
	/* Raw counts are needed to start or stop; a dead group fails anyway. */
	ret = nsgp_group_read_raw(g, 0, changes ? g->nr : 0);
	if (ret)
		return ret;
	for (i = 0; i < g->nr; i++) {
		struct nsgp_group_event *e = &g->ev[i];
		bool off = group && i ? !enable : e->off;
		bool was = nsgp_event_counting(g, i), will = enable && !off;

		if (was && !will)
			e->count += e->raw - e->base;
		else if (!was && will)
			e->base = e->raw;
		e->off = off;
	}
	if (g->enabled && !enable)
		g->time_enabled += ktime_get_ns() - g->enabled_at;
	else if (!g->enabled && enable)
		g->enabled_at = ktime_get_ns();
	g->enabled = enable;
	return 0;
}

static int nsgp_group_enable(struct nsgp_group *g)
{
	return nsgp_group_set_state(g, true, false);
}

/*
 * Like PERF_EVENT_IOC_RESET: the count of the leader, or with @group of
 * every event, restarts at 0; the times do not.
 */
static int nsgp_group_reset(struct nsgp_group *g, bool group)
{
	unsigned int i, n = group ? g->nr : min(g->nr, 1U);
	int ret;

	ret = nsgp_group_read_raw(g, 0, g->enabled ? n : 0);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		g->ev[i].count = 0;
		if (nsgp_event_counting(g, i))
			g->ev[i].base = g->ev[i].raw;
	}
	return 0;
}

/* Add an event; its count starts at 0. */
static int nsgp_group_add(struct nsgp_group *g, u64 config, u64 *id)
{
	struct nsgp_group_event *e;
	struct nsgp_counter *ctr;
	int ret;

	if (g->nr >= NSGPUPERF_MAX_GROUP_EVENTS)
		return -E2BIG;
	ctr = nsgp_counter_get(g->gpu, g->generation, config);
	if (IS_ERR(ctr))
		return PTR_ERR(ctr);
	e = &g->ev[g->nr];
	memset(e, 0, sizeof(*e));
	e->ctr = ctr;
	/* A new sibling is enabled: it counts while the leader does. */
	if (g->enabled) {
		ret = nsgp_group_read_raw(g, g->nr, g->nr + 1);
		if (ret) {
			nsgp_counter_put(ctr);
			e->ctr = NULL;
			return ret;
		}
		e->base = e->raw;
	}
	e->id = atomic64_inc_return(&nsgp_next_event_id);
	*id = e->id;
	g->nr++;
	return 0;
}

static void nsgp_group_free(struct nsgp_group *g)
{
	unsigned int i;

	for (i = 0; i < g->nr; i++)
		nsgp_counter_put(g->ev[i].ctr);
	if (!IS_ERR_OR_NULL(g->charge))
		nsgp_cg_uncharge(g->charge);
	nsgp_gpu_put(g->gpu);
	nsgp_session_put(g->session);
	mutex_destroy(&g->lock);
	kfree(g);
}

static int nsgp_group_release(struct inode *inode, struct file *file)
{
	nsgp_group_free(file->private_data);
	return 0;
}

/* Size of the read() layout for the group's read_format. */
static size_t nsgp_group_read_size(const struct nsgp_group *g)
{
	u64 fmt = g->read_format;
	size_t words = 0;

	if (fmt & PERF_FORMAT_TOTAL_TIME_ENABLED)
		words++;
	if (fmt & PERF_FORMAT_TOTAL_TIME_RUNNING)
		words++;
	if (fmt & PERF_FORMAT_GROUP)
		words += 1 + g->nr * ((fmt & PERF_FORMAT_ID) ? 2 : 1);
	else
		words += 1 + !!(fmt & PERF_FORMAT_ID);
	return words * sizeof(u64);
}

static u64 nsgp_group_value(const struct nsgp_group *g, unsigned int i)
{
	const struct nsgp_group_event *e = &g->ev[i];

	return e->count + (nsgp_event_counting(g, i) ? e->raw - e->base : 0);
}

/**
 * nsgp_group_read() - read() on a group fd
 * @file: the group file
 * @ubuf: user buffer
 * @count: its size
 * @ppos: ignored, as perf does
 *
 * With PERF_FORMAT_GROUP:
 * { u64 nr; [u64 time_enabled;] [u64 time_running;]
 *   { u64 value; [u64 id;] } cntr[nr]; }
 * without, the first event only, as perf reads a group leader (value and
 * id 0 while the group has no event):
 * { u64 value; [u64 time_enabled;] [u64 time_running;] [u64 id;] }
 *
 * Return: the layout's size, -ENOSPC if @count is smaller, -ENODEV if the
 * GPU unbound since the group was opened, -EFAULT.
 */
static ssize_t nsgp_group_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct nsgp_group *g = file->private_data;
	u64 fmt = g->read_format, te, *p;
	unsigned int i;
	size_t size;
	ssize_t ret;

	mutex_lock(&g->lock);
	size = nsgp_group_read_size(g);
	if (count < size) {
		ret = -ENOSPC;
		goto out;
	}
	/* Also when disabled: a dead group never reads again. */
	ret = nsgp_group_read_raw(g, 0, g->enabled ? g->nr : 0);
	if (ret)
		goto out;

	te = g->time_enabled;
	if (g->enabled)
		te += ktime_get_ns() - g->enabled_at;
	p = g->buf;
	if (fmt & PERF_FORMAT_GROUP) {
		*p++ = g->nr;
		if (fmt & PERF_FORMAT_TOTAL_TIME_ENABLED)
			*p++ = te;
		if (fmt & PERF_FORMAT_TOTAL_TIME_RUNNING)
			*p++ = te;
		for (i = 0; i < g->nr; i++) {
			*p++ = nsgp_group_value(g, i);
			if (fmt & PERF_FORMAT_ID)
				*p++ = g->ev[i].id;
		}
	} else {
		/* No event yet: value 0, id 0 (never an event's id). */
		*p++ = g->nr ? nsgp_group_value(g, 0) : 0;
		if (fmt & PERF_FORMAT_TOTAL_TIME_ENABLED)
			*p++ = te;
		if (fmt & PERF_FORMAT_TOTAL_TIME_RUNNING)
			*p++ = te;
		if (fmt & PERF_FORMAT_ID)
			*p++ = g->nr ? g->ev[0].id : 0;
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

static long nsgp_group_ioctl_add(struct nsgp_group *g, void __user *uarg)
{
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
	ret = nsgp_group_add(g, a.config, &a.id);
	mutex_unlock(&g->lock);
	if (ret)
		return ret;
	/* The event stays in the group even if the id cannot be written. */
	return nsgp_copy_struct_out(uarg, usize, &a, sizeof(a));
}

/*
 * ioctls on a group fd, which stands for the group's leader (its first
 * event) as perf's PERF_EVENT_IOC_ENABLE, _DISABLE and _RESET see it: with
 * argument 0 they act on the leader alone; with PERF_IOC_FLAG_GROUP on
 * every event.  Enabling or disabling the leader starts or stops the
 * counting of the whole group either way, since siblings count only while
 * their leader does; a sibling disabled with the flag stays disabled until
 * enabled with the flag.  RESET without the flag zeroes the leader only.
 * Errors: -ENODEV if the GPU unbound since the group was opened, -EINVAL
 * for another argument, -ENOTTY for another ioctl.
 */
static long nsgp_group_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct nsgp_group *g = file->private_data;
	long ret;

	switch (cmd) {
	case NSGPUPERF_GROUP_IOC_ENABLE:
	case NSGPUPERF_GROUP_IOC_DISABLE:
	case NSGPUPERF_GROUP_IOC_RESET:
		if (arg & ~(unsigned long)PERF_IOC_FLAG_GROUP)
			return -EINVAL;
		break;
	default:
		if ((cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) ==
		    (NSGPUPERF_GROUP_IOC_ADD & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)))
			return nsgp_group_ioctl_add(g, (void __user *)arg);
		return -ENOTTY;
	}

	mutex_lock(&g->lock);
	if (cmd == NSGPUPERF_GROUP_IOC_RESET)
		ret = nsgp_group_reset(g, arg & PERF_IOC_FLAG_GROUP);
	else
		ret = nsgp_group_set_state(g, cmd == NSGPUPERF_GROUP_IOC_ENABLE,
					   arg & PERF_IOC_FLAG_GROUP);
	mutex_unlock(&g->lock);
	return ret;
}

static const struct file_operations nsgp_group_fops = {
	.owner		= THIS_MODULE,
	.release	= nsgp_group_release,
	.read		= nsgp_group_read,
	.unlocked_ioctl	= nsgp_group_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

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
 * unbound), -EMFILE (cgroup group limit), the PMU's error for a config it
 * rejects, -EFAULT, -ENOMEM.
 */
long nsgp_ioctl_open_group(struct nsgp_session *s, void __user *uarg)
{
	struct nsgpuperf_group_open o;
	struct nsgp_group *g = NULL;
	struct nsgp_gpu *gpu;
	u64 *configs = NULL, *ids = NULL;
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

	gpu = nsgp_gpu_get(s, o.gpu_id);
	if (IS_ERR(gpu))
		return PTR_ERR(gpu);
	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g) {
		nsgp_gpu_put(gpu);
		return -ENOMEM;
	}
	mutex_init(&g->lock);
	g->gpu = gpu;
	nsgp_session_get(s);
	g->session = s;
	g->read_format = o.read_format;
	/* From here on, nsgp_group_free() undoes everything. */

	ret = nsgp_gpu_generation(gpu, &g->generation);
	if (ret)
		goto err;
	if (o.nr_events) {
		configs = memdup_array_user(u64_to_user_ptr(o.configs),
					    o.nr_events, sizeof(u64));
		if (IS_ERR(configs)) {
			ret = PTR_ERR(configs);
			configs = NULL;
			goto err;
		}
		ids = kcalloc(o.nr_events, sizeof(u64), GFP_KERNEL_ACCOUNT);
		if (!ids) {
			ret = -ENOMEM;
			goto err;
		}
	}
	g->charge = nsgp_cg_charge(s);
	if (IS_ERR(g->charge)) {
		ret = PTR_ERR(g->charge);
		goto err;
	}
	for (i = 0; i < o.nr_events; i++) {
		ret = nsgp_group_add(g, configs[i], &ids[i]);
		if (ret)
			goto err;
	}
	if (!(o.flags & NSGPUPERF_GROUP_DISABLED)) {
		ret = nsgp_group_enable(g);
		if (ret)
			goto err;
	}

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err;
	}
	file = anon_inode_getfile("[nsgpuperf-group]", &nsgp_group_fops, g,
				  O_RDONLY | O_CLOEXEC);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		ret = PTR_ERR(file);
		goto err;
	}
	/* g belongs to file now: fput() frees it. */
	o.fd = fd;
	ret = 0;
	if (o.ids && o.nr_events &&
	    copy_to_user(u64_to_user_ptr(o.ids), ids,
			 o.nr_events * sizeof(u64)))
		ret = -EFAULT;
	if (!ret)
		ret = nsgp_copy_struct_out(uarg, usize, &o, sizeof(o));
	kfree(ids);
	kfree(configs);
	if (ret) {
		fput(file);
		put_unused_fd(fd);
		return ret;
	}
	fd_install(fd, file);
	return fd;

err:
	kfree(ids);
	kfree(configs);
	nsgp_group_free(g);
	return ret;
}
