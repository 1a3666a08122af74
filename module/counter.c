// SPDX-License-Identifier: GPL-2.0
/*
 * Shared kernel counters: one perf event per (GPU, config), however many
 * groups of however many sessions read it.
 *
 * A counter is opened when a group first needs it and released, at once
 * and synchronously, when the last group using it goes: there is no
 * linger delay, so the GPU driver's module reference and any power the
 * open event keeps (an open xe counter keeps the GPU awake) go with the
 * last user.  When the GPU driver unbinds, every counter of that GPU is
 * released before the driver's remove runs (see gpu.c); the groups keep
 * their now dead counters and read -ENODEV.
 *
 * perf core applies perf_allow_cpu() to CPU-wide kernel counters too
 * (find_get_context()), which an unprivileged caller fails, so counters
 * are created from a work item, in the kernel's own context.
 */
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/perf_event.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "nsgp.h"

/**
 * struct nsgp_counter - one kernel counter of a GPU
 * @node: entry of the GPU's counter list while live
 * @gpu: the GPU, referenced
 * @config: perf config
 * @users: groups holding it (under the GPU's ctr_lock)
 * @event: the kernel perf event; NULL once released by an unbind
 *	(under the GPU's ctr_lock and its sem for write)
 */
struct nsgp_counter {
	struct list_head node;
	struct nsgp_gpu *gpu;
	u64 config;
	unsigned int users;
	struct perf_event *event;
};

struct nsgp_create_work {
	struct work_struct work;
	struct perf_event_attr *attr;
	int cpu;
	struct task_struct *task;
	struct perf_event *event;
};

static void nsgp_create_fn(struct work_struct *work)
{
	struct nsgp_create_work *cw =
		container_of(work, struct nsgp_create_work, work);

	cw->event = perf_event_create_kernel_counter(cw->attr, cw->cpu,
						     cw->task, NULL, NULL);
}

/**
 * nsgp_kernel_counter_create() - create a kernel perf event
 * @attr: its attributes
 * @cpu: its CPU
 * @task: its task, NULL for a CPU-wide event
 *
 * Runs perf_event_create_kernel_counter() in a work item and waits for it,
 * so that perf sees the kernel's credentials and not the caller's.
 * The caller must not hold a lock the work item's perf code may need.
 *
 * Return: the event or an ERR_PTR() (the PMU's event_init error).
 */
struct perf_event *nsgp_kernel_counter_create(struct perf_event_attr *attr,
					      int cpu, struct task_struct *task)
{
	struct nsgp_create_work cw = { .attr = attr, .cpu = cpu, .task = task };

	INIT_WORK_ONSTACK(&cw.work, nsgp_create_fn);
	queue_work(system_dfl_wq, &cw.work);
	flush_work(&cw.work);
	destroy_work_on_stack(&cw.work);
	return cw.event;
}

/* Attempts at creating a kernel counter while CPU hotplug moves its CPU. */
#define NSGP_CREATE_TRIES	8

/*
 * Create the kernel counter of @config on the CPU the GPU's PMU wants.
 *
 * Up to 6.14 i915 takes events only on the one CPU of its cpumask, which
 * its CPU hotplug callback moves when that CPU goes offline.  Between
 * reading the cpumask and the PMU's event_init, hotplug can make a valid
 * config fail: EINVAL (not the PMU's CPU any more) or ENODEV (perf: the
 * CPU is offline).  Holding cpus_read_lock() across the creation would
 * close that window but can deadlock: the work item's perf code takes the
 * hotplug lock itself (static keys), and a hotplug writer waiting for our
 * read lock blocks every new reader.  So retry instead, a bounded number
 * of times.
 */
static struct perf_event *nsgp_counter_create(struct nsgp_gpu *gpu, u64 config)
{
	struct perf_event_attr attr = {
		.type = gpu->pmu_type,
		.size = sizeof(attr),
		.config = config,
	};
	struct perf_event *event;
	int cpu, next, tries = 0;

	cpu = nsgp_gpu_pmu_cpu(gpu);
	for (;;) {
		if (cpu < 0)
			return ERR_PTR(cpu);
		event = nsgp_kernel_counter_create(&attr, cpu, NULL);
		if (!IS_ERR(event) ||
		    (PTR_ERR(event) != -EINVAL && PTR_ERR(event) != -ENODEV) ||
		    ++tries == NSGP_CREATE_TRIES)
			return event;
		next = nsgp_gpu_pmu_cpu(gpu);
		/* no such engine: the PMU's verdict on a CPU that stayed */
		if (next == cpu && cpu_online(cpu) && PTR_ERR(event) == -ENODEV)
			return event;
		/*
		 * EINVAL is a wrong CPU (the driver's attributes are all
		 * valid): its CPU may have gone and come back meanwhile, or
		 * its hotplug callback not have run yet.  Give it a moment.
		 */
		if (next == cpu)
			usleep_range(500, 1000);
		cpu = next;
	}
}

/**
 * nsgp_counter_get() - a reference on the GPU's counter for a config
 * @gpu: the GPU
 * @generation: generation of the group that wants it
 * @config: perf config
 *
 * Opens the kernel counter if no group uses this config yet.  Creation
 * holds the GPU's ctr_lock, not the registry's nsgp_lock: the driver
 * cannot unbind (and unregister the PMU) meanwhile, since its unbind
 * notifier takes ctr_lock, and other GPUs and the registry are not held
 * up by a slow event_init.
 *
 * Return: the counter, or an ERR_PTR(): -ENODEV if the GPU is unbound or
 * no longer in @generation, the PMU's error for a config it rejects
 * (-ENOENT, -EINVAL, ...), -ENOMEM.
 */
struct nsgp_counter *nsgp_counter_get(struct nsgp_gpu *gpu, u64 generation,
				      u64 config)
{
	struct perf_event *event;
	struct nsgp_counter *ctr;

	mutex_lock(&gpu->ctr_lock);
	if (!gpu->pmu_ok || gpu->generation != generation) {
		ctr = ERR_PTR(-ENODEV);
		goto out;
	}
	list_for_each_entry(ctr, &gpu->counters, node) {
		if (ctr->config == config) {
			ctr->users++;
			goto out;
		}
	}

	/* shared by every user, bounded by GPUs x events: not charged */
	ctr = kzalloc(sizeof(*ctr), GFP_KERNEL);
	if (!ctr) {
		ctr = ERR_PTR(-ENOMEM);
		goto out;
	}
	event = nsgp_counter_create(gpu, config);
	if (IS_ERR(event)) {
		kfree(ctr);
		ctr = ERR_CAST(event);
		goto out;
	}
	ctr->gpu = gpu;
	kref_get(&gpu->ref);
	ctr->config = config;
	ctr->users = 1;
	ctr->event = event;
	list_add_tail(&ctr->node, &gpu->counters);
out:
	mutex_unlock(&gpu->ctr_lock);
	return ctr;
}

/**
 * nsgp_counter_trial() - let a GPU's PMU judge an event it will not count
 * @gpu: the GPU
 * @attr: the event's attributes as a caller gave them (type: the PMU's)
 * @cpu: the caller's cpu
 * @task: the caller's task (pid), or NULL
 * @pmu_caps: gets the PMU's capabilities (PERF_PMU_CAP_*)
 *
 * Creates the event disabled, in the kernel's context, and releases it at
 * once: its event_init and perf's own allocation checks run on exactly
 * what the caller asked for, so the caller gets the errno
 * perf_event_open() would give it.  Under the GPU's ctr_lock, like every
 * counter of the GPU, so that the driver cannot unbind meanwhile.
 *
 * Return: 0 if the PMU takes the event, its error if not, -ENODEV if the
 * GPU is unbound.
 */
int nsgp_counter_trial(struct nsgp_gpu *gpu, struct perf_event_attr *attr,
		       int cpu, struct task_struct *task, u32 *pmu_caps)
{
	struct perf_event *event;
	int ret = -ENODEV;

	attr->disabled = 1;
	mutex_lock(&gpu->ctr_lock);
	if (gpu->pmu_ok && attr->type == gpu->pmu_type) {
		event = nsgp_kernel_counter_create(attr, cpu, task);
		ret = PTR_ERR_OR_ZERO(event);
		if (!ret) {
			*pmu_caps = event->pmu->capabilities;
			perf_event_release_kernel(event);
		}
	}
	mutex_unlock(&gpu->ctr_lock);
	return ret;
}

/**
 * nsgp_counter_put() - drop a group's reference on a counter
 * @ctr: the counter
 *
 * The last reference releases the kernel event now (no linger).
 */
void nsgp_counter_put(struct nsgp_counter *ctr)
{
	struct nsgp_gpu *gpu = ctr->gpu;

	mutex_lock(&gpu->ctr_lock);
	if (--ctr->users) {
		mutex_unlock(&gpu->ctr_lock);
		return;
	}
	/* Unless an unbind released it already, it is still listed. */
	if (ctr->event) {
		list_del(&ctr->node);
		perf_event_release_kernel(ctr->event);
	}
	mutex_unlock(&gpu->ctr_lock);
	kfree(ctr);
	nsgp_gpu_put(gpu);
}

/**
 * nsgp_counter_read_cpu() - where reading a counter is cheapest
 * @ctr: the counter
 *
 * Return: the CPU the event counts on when a read from another CPU costs a
 * cross-CPU call (i915 up to 6.14: its own one-CPU cpumask), or -1 when
 * any CPU reads it locally (PERF_PMU_SCOPE_SYS_WIDE, 6.15+).
 */
int nsgp_counter_read_cpu(struct nsgp_counter *ctr)
{
	if (!ctr->event || nsgp_event_reads_anywhere(ctr->event))
		return -1;
	return ctr->event->cpu;
}

/**
 * nsgp_counter_read() - the raw count of a counter
 * @ctr: a counter of the caller's generation
 *
 * The caller holds the GPU's sem for read and checked that the GPU is
 * still in the generation the counter was opened in, so the event is
 * live.  May sleep (and up to 6.14 call the PMU's CPU).
 *
 * Return: the count.
 */
u64 nsgp_counter_read(struct nsgp_counter *ctr)
{
	u64 enabled, running;

	if (WARN_ON_ONCE(!ctr->event))
		return 0;
	return perf_event_read_value(ctr->event, &enabled, &running);
}

/**
 * nsgp_counter_read_here() - the raw count of a counter, from IRQ context
 * @ctr: a counter of the caller's generation (see nsgp_counter_read())
 * @val: gets the count
 *
 * For a cross-CPU call (smp_call_function_single()) that reads a whole
 * group on the counters' CPU, where perf_event_read_value() cannot run: it
 * sleeps, and perf_event_read_local() is not exported.  This does what
 * perf's own cross-CPU read does for an event of a CPU context: if the
 * event is active on this CPU, the PMU's ->read() updates its count.  The
 * PMU is called as perf calls it: on the event's CPU with IRQs off, which
 * serialises it with every other ->read() and with perf's scheduling of
 * the event (for a CPU context both run only on that CPU, IRQs off).  Not
 * for events that read on any CPU (PERF_EV_CAP_READ_SCOPE): there perf
 * serialises ->read() with the context's lock, which this does not take.
 *
 * Return: true if read; false if the event is not active on this CPU (it
 * is moving to another, or the GPU unbound): use nsgp_counter_read().
 */
bool nsgp_counter_read_here(struct nsgp_counter *ctr, u64 *val)
{
	struct perf_event *event = ctr->event;

	lockdep_assert_irqs_disabled();
	if (!event || nsgp_event_reads_anywhere(event) ||
	    READ_ONCE(event->state) != PERF_EVENT_STATE_ACTIVE ||
	    READ_ONCE(event->oncpu) != smp_processor_id())
		return false;
	event->pmu->read(event);
	*val = local64_read(&event->count) +
	       atomic64_read(&event->child_count);
	return true;
}

/**
 * nsgp_counters_release_gpu_locked() - release every counter of a GPU
 * @gpu: the GPU, whose driver is about to unbind
 *
 * Called with the GPU's ctr_lock and its sem held for write.  The
 * counters stay allocated while groups hold them, with no event.
 */
void nsgp_counters_release_gpu_locked(struct nsgp_gpu *gpu)
{
	struct nsgp_counter *ctr, *tmp;

	lockdep_assert_held(&gpu->ctr_lock);
	list_for_each_entry_safe(ctr, tmp, &gpu->counters, node) {
		list_del_init(&ctr->node);
		perf_event_release_kernel(ctr->event);
		ctr->event = NULL;
	}
}
