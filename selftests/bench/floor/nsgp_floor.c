// SPDX-License-Identifier: GPL-2.0
/*
 * nsgp_floor: the floor of a group read through the exported perf API, for
 * `make bench` only (never loaded by the test suites, never installed).
 *
 * It opens CPU-wide kernel counters itself, from a work item as nsgpuperf
 * does, and a read() of /dev/nsgp_floor reads them all with nothing of
 * nsgpuperf around it: no session, group lock, GPU rwsem, read_format
 * layout.  Its `mode` parameter reaches the counters' CPU the ways
 * nsgpuperf's read_mode can, so the benchmark can split each design's gap
 * to a raw perf group read into what the kernel API costs and what
 * nsgpuperf adds:
 *   event  perf_event_read_value() per counter, from the caller
 *   work   the same loop in a work item on the counters' CPU
 *   ipi    one cross-CPU call running each active counter's PMU ->read()
 *
 * write(): u64 words { pmu type, cpu, config[1..64] } replaces the counters.
 * read(): u64 count[nr] in the order written.  Root only (the node is 0600).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/perf_event.h>
#include <linux/smp.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#define FLOOR_MAX	64

/*
 * PERF_EV_CAP_READ_SCOPE (6.12; i915 uses it from 6.15): the event reads
 * in place on any CPU.  Then nsgpuperf reads in place in every read_mode,
 * and so does this.
 */
#ifndef PERF_EV_CAP_READ_SCOPE
#define PERF_EV_CAP_READ_SCOPE	0
#endif

enum floor_mode { FLOOR_EVENT, FLOOR_WORK, FLOOR_IPI };

static const char * const floor_mode_names[] = {
	[FLOOR_EVENT]	= "event",
	[FLOOR_WORK]	= "work",
	[FLOOR_IPI]	= "ipi",
};

static int floor_mode = FLOOR_EVENT;

static int floor_mode_set(const char *val, const struct kernel_param *kp)
{
	int mode = sysfs_match_string(floor_mode_names, val);

	if (mode < 0)
		return mode;
	WRITE_ONCE(*(int *)kp->arg, mode);
	return 0;
}

static int floor_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  floor_mode_names[READ_ONCE(*(int *)kp->arg)]);
}

static const struct kernel_param_ops floor_mode_ops = {
	.set = floor_mode_set,
	.get = floor_mode_get,
};

module_param_cb(mode, &floor_mode_ops, &floor_mode, 0644);
MODULE_PARM_DESC(mode, "How a read reaches the counters' CPU: event (default), work, ipi");

/**
 * struct floor - the counters, one set for the module
 * @lock: serialises setup and reads
 * @nr: counters in @ev
 * @cpu: their CPU
 * @ev: the kernel counters
 * @val: read() layout
 * @missed: counters the cross-CPU call did not find active there
 */
static struct floor {
	struct mutex lock;	/* see above */
	unsigned int nr;
	int cpu;
	struct perf_event *ev[FLOOR_MAX];
	u64 val[FLOOR_MAX];
	DECLARE_BITMAP(missed, FLOOR_MAX);
} floor = {
	.lock = __MUTEX_INITIALIZER(floor.lock),
};

struct floor_create {
	struct work_struct work;
	struct perf_event_attr *attr;
	int cpu;
	struct perf_event *event;
};

static void floor_create_fn(struct work_struct *work)
{
	struct floor_create *fc = container_of(work, struct floor_create, work);

	fc->event = perf_event_create_kernel_counter(fc->attr, fc->cpu, NULL,
						     NULL, NULL);
}

static struct perf_event *floor_create(struct perf_event_attr *attr, int cpu)
{
	struct floor_create fc = { .attr = attr, .cpu = cpu };

	INIT_WORK_ONSTACK(&fc.work, floor_create_fn);
	schedule_work(&fc.work);
	flush_work(&fc.work);
	destroy_work_on_stack(&fc.work);
	return fc.event;
}

static void floor_release_locked(void)
{
	while (floor.nr)
		perf_event_release_kernel(floor.ev[--floor.nr]);
}

static int floor_read_loop(void *arg)
{
	u64 enabled, running;
	unsigned int i;

	for (i = 0; i < floor.nr; i++)
		floor.val[i] = perf_event_read_value(floor.ev[i], &enabled,
						     &running);
	return 0;
}

/* As nsgpuperf's counter.c: perf's own cross-CPU read, minus its times. */
static void floor_read_here(void *arg)
{
	struct perf_event *event;
	unsigned int i;

	for (i = 0; i < floor.nr; i++) {
		event = floor.ev[i];
		if (READ_ONCE(event->state) != PERF_EVENT_STATE_ACTIVE ||
		    READ_ONCE(event->oncpu) != smp_processor_id()) {
			__set_bit(i, floor.missed);
			continue;
		}
		event->pmu->read(event);
		floor.val[i] = local64_read(&event->count) +
			       atomic64_read(&event->child_count);
	}
}

static void floor_read_locked(void)
{
	u64 enabled, running;
	unsigned int i;

	if (floor.ev[0]->event_caps & PERF_EV_CAP_READ_SCOPE) {
		floor_read_loop(NULL);
		return;
	}
	switch (READ_ONCE(floor_mode)) {
	case FLOOR_WORK:
		if (floor.cpu == raw_smp_processor_id() ||
		    smp_call_on_cpu(floor.cpu, floor_read_loop, NULL, false))
			floor_read_loop(NULL);
		break;
	case FLOOR_IPI:
		bitmap_zero(floor.missed, FLOOR_MAX);
		if (smp_call_function_single(floor.cpu, floor_read_here, NULL, 1))
			bitmap_fill(floor.missed, floor.nr);
		for_each_set_bit(i, floor.missed, floor.nr)
			floor.val[i] = perf_event_read_value(floor.ev[i],
							     &enabled, &running);
		break;
	default:
		floor_read_loop(NULL);
		break;
	}
}

static ssize_t floor_read(struct file *file, char __user *ubuf, size_t count,
			  loff_t *ppos)
{
	size_t size;
	ssize_t ret;

	mutex_lock(&floor.lock);
	size = floor.nr * sizeof(u64);
	if (!floor.nr) {
		ret = -ENODATA;
	} else if (count < size) {
		ret = -ENOSPC;
	} else {
		floor_read_locked();
		ret = copy_to_user(ubuf, floor.val, size) ? -EFAULT : size;
	}
	mutex_unlock(&floor.lock);
	return ret;
}

static ssize_t floor_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	u64 words[2 + FLOOR_MAX];
	struct perf_event *event;
	unsigned int i, n;
	ssize_t ret = count;

	if (count % sizeof(u64) || count < 3 * sizeof(u64) ||
	    count > sizeof(words))
		return -EINVAL;
	if (copy_from_user(words, ubuf, count))
		return -EFAULT;
	n = count / sizeof(u64) - 2;
	if (words[0] > U32_MAX || words[1] >= nr_cpu_ids)
		return -EINVAL;
	attr.type = words[0];

	mutex_lock(&floor.lock);
	floor_release_locked();
	floor.cpu = words[1];
	for (i = 0; i < n; i++) {
		attr.config = words[2 + i];
		event = floor_create(&attr, floor.cpu);
		if (IS_ERR(event)) {
			ret = PTR_ERR(event);
			floor_release_locked();
			break;
		}
		floor.ev[floor.nr++] = event;
	}
	mutex_unlock(&floor.lock);
	return ret;
}

static const struct file_operations floor_fops = {
	.owner	= THIS_MODULE,
	.read	= floor_read,
	.write	= floor_write,
};

static struct miscdevice floor_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "nsgp_floor",
	.fops	= &floor_fops,
	.mode	= 0600,
};

static int __init floor_init(void)
{
	return misc_register(&floor_misc);
}

static void __exit floor_exit(void)
{
	misc_deregister(&floor_misc);
	mutex_lock(&floor.lock);
	floor_release_locked();
	mutex_unlock(&floor.lock);
}

module_init(floor_init);
module_exit(floor_exit);
MODULE_DESCRIPTION("nsgpuperf benchmark: floor of a group read through the perf API");
MODULE_LICENSE("GPL");
