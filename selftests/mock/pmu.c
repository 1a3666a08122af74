// SPDX-License-Identifier: GPL-2.0
/*
 * The mock GPU's perf PMU, built to behave like i915_pmu.c of each kernel:
 * same name rule, config encoding (include/uapi/drm/i915_drm.h, GT bits
 * included), sysfs events/format/cpumask with the event names of
 * create_event_attributes(), event_init checks and errnos, per-event
 * drm_dev reference, delta-since-start counting and the "closed" flag that
 * freezes counts and refuses new events once the device unbinds.
 *
 * Counter values are computed when read: base + rate * (now - since).
 */
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/perf_event.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/topology.h>
#include <linux/wait.h>

#include <drm/drm_drv.h>
#include <uapi/drm/i915_drm.h>

#include "mock_compat.h"
#include "mock_i915.h"

struct mock_event_attr {
	struct device_attribute attr;
	u64 config;
};

struct mock_str_attr {
	struct device_attribute attr;
	const char *str;
};

struct mock_pmu {
	struct pmu base;
	struct mock_gpu *gpu;
	bool closed;
	char name[32];
	struct hlist_node cpuhp;	/* up to 6.14: CPU hotplug instance */
	/* sysfs events/, built at registration as i915 does */
	struct attribute_group events_group;
	const struct attribute_group *attr_groups[4];
	struct attribute **attrs;		/* NULL-terminated */
	struct mock_event_attr *event_attrs;
	struct mock_str_attr *unit_attrs;
	unsigned int nr_events, nr_units;
	struct rcu_head rcu;
};

atomic_t mock_live_events_total = ATOMIC_INIT(0);
DECLARE_WAIT_QUEUE_HEAD(mock_init_gate_wq);

#define MOCK_PMU_INTERRUPTS	2	/* the counter of ___I915_PMU_OTHER(gt, 2) */

/*
 * The counter behind an i915 config, or i915's errno for it (as
 * engine_event_init() and config_status()): an engine class/instance the
 * GPU lacks is ENODEV; an unknown sample or other counter, a GT the
 * device lacks, GT bits on an engine config and interrupts of a GT but 0
 * are ENOENT.
 */
int mock_counter_index(struct mock_gpu *gpu, u64 config)
{
	unsigned int class, instance, sample, gt, i;
	u64 counter;

	if (config < __I915_PMU_OTHER(0)) {
		class = (config >> I915_PMU_CLASS_SHIFT) & 0xff;
		instance = (config >> I915_PMU_SAMPLE_BITS) & 0xff;
		sample = config & I915_PMU_SAMPLE_MASK;
		for (i = 0; i < gpu->nr_engines; i++)
			if (gpu->engines[i].class == class &&
			    gpu->engines[i].instance == instance)
				break;
		if (i == gpu->nr_engines)
			return -ENODEV;
		if (sample > I915_SAMPLE_SEMA)
			return -ENOENT;
		return i * MOCK_NUM_SAMPLES + sample;
	}
	gt = config >> __I915_PMU_GT_SHIFT;
	counter = config & ~(~0ULL << __I915_PMU_GT_SHIFT);
	if (gt >= gpu->nr_gts || counter < __I915_PMU_OTHER(0))
		return -ENOENT;
	counter -= __I915_PMU_OTHER(0);
	if (counter >= MOCK_NUM_OTHERS || (gt && counter == MOCK_PMU_INTERRUPTS))
		return -ENOENT;
	return MOCK_MAX_ENGINES * MOCK_NUM_SAMPLES + gt * MOCK_NUM_OTHERS + counter;
}

static u64 mock_counter_value(const struct mock_counter *c, ktime_t now)
{
	if (!c->rate)
		return c->base;
	return c->base + mul_u64_u64_div_u64(c->rate,
					     ktime_to_ns(ktime_sub(now, c->since)),
					     NSEC_PER_SEC);
}

u64 mock_counter_read(struct mock_gpu *gpu, int idx)
{
	unsigned long flags;
	u64 val;

	raw_spin_lock_irqsave(&gpu->lock, flags);
	val = mock_counter_value(&gpu->ctr[idx], ktime_get());
	raw_spin_unlock_irqrestore(&gpu->lock, flags);
	return val;
}

int mock_counter_command(struct mock_gpu *gpu, const char *cmd, u64 config,
			 u64 val)
{
	int idx = mock_counter_index(gpu, config), ret = 0;
	struct mock_counter *c;
	unsigned long flags;
	ktime_t now;
	u64 cur;

	if (idx < 0)
		return -EINVAL;
	c = &gpu->ctr[idx];
	raw_spin_lock_irqsave(&gpu->lock, flags);
	now = ktime_get();
	cur = mock_counter_value(c, now);
	if (!strcmp(cmd, "set")) {
		c->base = val;
	} else if (!strcmp(cmd, "add")) {
		c->base = cur + val;
	} else if (!strcmp(cmd, "rate")) {
		c->base = cur;
		c->rate = val;
	} else {
		ret = -EINVAL;
	}
	if (!ret)
		c->since = now;
	raw_spin_unlock_irqrestore(&gpu->lock, flags);
	return ret;
}

/* ---- sysfs: events/, format/, cpumask, as i915 shows them ------------ */

static ssize_t mock_event_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct mock_event_attr *ea = container_of(attr, struct mock_event_attr, attr);

	return sysfs_emit(buf, "config=0x%llx\n", ea->config);
}

static ssize_t mock_str_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct mock_str_attr *sa = container_of(attr, struct mock_str_attr, attr);

	return sysfs_emit(buf, "%s\n", sa->str);
}

#define MOCK_STR_ATTR(_name, _str)					\
	(&((struct mock_str_attr[]) { {					\
		.attr = { .attr = { .name = _name, .mode = 0444 },	\
			  .show = mock_str_show },			\
		.str = (_str),						\
	} })[0].attr.attr)

/* i915's counters other than engines, in its order, and their units. */
static const struct {
	const char *name;
	const char *unit;	/* NULL: no .unit */
	bool global;		/* one event for the device, GT 0 only */
} mock_others[MOCK_NUM_OTHERS] = {
	{ "actual-frequency", "M" },
	{ "requested-frequency", "M" },
	{ "interrupts", NULL, true },
	{ "rc6-residency", "ns" },
	{ "software-gt-awake-time", "ns" },
};

static const struct {
	unsigned int sample;
	const char *name;
} mock_samples[] = {
	{ I915_SAMPLE_BUSY, "busy" },
	{ I915_SAMPLE_SEMA, "sema" },
	{ I915_SAMPLE_WAIT, "wait" },
};

static void mock_pmu_free_attrs(struct mock_pmu *pmu)
{
	unsigned int i;

	for (i = 0; i < pmu->nr_events; i++)
		kfree(pmu->event_attrs[i].attr.attr.name);
	for (i = 0; i < pmu->nr_units; i++)
		kfree(pmu->unit_attrs[i].attr.attr.name);
	kfree(pmu->event_attrs);
	kfree(pmu->unit_attrs);
	kfree(pmu->attrs);
}

/* Takes the kasprintf()ed @name; false if it is NULL. */
static bool mock_add_event(struct mock_pmu *pmu, char *name, u64 config)
{
	struct mock_event_attr *ea = &pmu->event_attrs[pmu->nr_events];

	if (!name)
		return false;
	sysfs_attr_init(&ea->attr.attr);
	ea->attr.attr.name = name;
	ea->attr.attr.mode = 0444;
	ea->attr.show = mock_event_show;
	ea->config = config;
	pmu->attrs[pmu->nr_events + pmu->nr_units] = &ea->attr.attr;
	pmu->nr_events++;
	return true;
}

static bool mock_add_unit(struct mock_pmu *pmu, char *name, const char *unit)
{
	struct mock_str_attr *sa = &pmu->unit_attrs[pmu->nr_units];

	if (!name)
		return false;
	sysfs_attr_init(&sa->attr.attr);
	sa->attr.attr.name = name;
	sa->attr.attr.mode = 0444;
	sa->attr.show = mock_str_show;
	sa->str = unit;
	pmu->attrs[pmu->nr_events + pmu->nr_units] = &sa->attr.attr;
	pmu->nr_units++;
	return true;
}

/*
 * As i915's create_event_attributes(): per GT the non-engine counters
 * ("<name>-gt<N>" when the device has more than one GT, except the global
 * "interrupts", which GT 0 alone has), then per engine its three samples,
 * "<engine>-<sample>", each with its unit.
 */
static int mock_pmu_create_attrs(struct mock_pmu *pmu)
{
	struct mock_gpu *gpu = pmu->gpu;
	unsigned int max = gpu->nr_gts * MOCK_NUM_OTHERS +
			   gpu->nr_engines * ARRAY_SIZE(mock_samples);
	bool multi_gt = gpu->nr_gts > 1;
	unsigned int gt, i, e;

	pmu->event_attrs = kcalloc(max, sizeof(*pmu->event_attrs), GFP_KERNEL);
	pmu->unit_attrs = kcalloc(max, sizeof(*pmu->unit_attrs), GFP_KERNEL);
	pmu->attrs = kcalloc(2 * max + 1, sizeof(*pmu->attrs), GFP_KERNEL);
	if (!pmu->event_attrs || !pmu->unit_attrs || !pmu->attrs)
		goto err;

	for (gt = 0; gt < gpu->nr_gts; gt++) {
		for (i = 0; i < MOCK_NUM_OTHERS; i++) {
			const char *name = mock_others[i].name;
			bool plain = mock_others[i].global || !multi_gt;

			if (gt && mock_others[i].global)
				continue;
			if (!mock_add_event(pmu, plain ?
					    kstrdup(name, GFP_KERNEL) :
					    kasprintf(GFP_KERNEL, "%s-gt%u", name, gt),
					    ___I915_PMU_OTHER(gt, i)))
				goto err;
			if (!mock_others[i].unit)
				continue;
			if (!mock_add_unit(pmu, plain ?
					   kasprintf(GFP_KERNEL, "%s.unit", name) :
					   kasprintf(GFP_KERNEL, "%s-gt%u.unit",
						     name, gt),
					   mock_others[i].unit))
				goto err;
		}
	}

	for (e = 0; e < gpu->nr_engines; e++) {
		const struct mock_engine *eng = &gpu->engines[e];

		for (i = 0; i < ARRAY_SIZE(mock_samples); i++) {
			if (!mock_add_event(pmu, kasprintf(GFP_KERNEL, "%s-%s",
							   eng->name,
							   mock_samples[i].name),
					    __I915_PMU_ENGINE(eng->class,
							      eng->instance,
							      mock_samples[i].sample)))
				goto err;
			if (!mock_add_unit(pmu, kasprintf(GFP_KERNEL, "%s-%s.unit",
							  eng->name,
							  mock_samples[i].name),
					   "ns"))
				goto err;
		}
	}

	pmu->events_group.name = "events";
	pmu->events_group.attrs = pmu->attrs;
	return 0;

err:
	mock_pmu_free_attrs(pmu);
	return -ENOMEM;
}

static struct attribute *mock_pmu_format_attrs[] = {
	MOCK_STR_ATTR("i915_eventid", "config:0-20"),
	NULL,
};

static const struct attribute_group mock_pmu_format_group = {
	.name = "format",
	.attrs = mock_pmu_format_attrs,
};

#ifndef MOCK_PMU_SYS_WIDE
/* i915's cpumask: one CPU for every i915 PMU, chosen at load. */
static cpumask_t mock_pmu_cpumask;

static ssize_t cpumask_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return cpumap_print_to_pagebuf(true, buf, &mock_pmu_cpumask);
}

static DEVICE_ATTR_RO(cpumask);

static struct attribute *mock_pmu_cpumask_attrs[] = {
	&dev_attr_cpumask.attr,
	NULL,
};

static const struct attribute_group mock_pmu_cpumask_group = {
	.attrs = mock_pmu_cpumask_attrs,
};
#endif

#ifndef MOCK_PMU_SYS_WIDE
static enum cpuhp_state mock_cpuhp_state = CPUHP_INVALID;

/* As i915: the first CPU to come online while none is chosen. */
static int mock_pmu_cpu_online(unsigned int cpu, struct hlist_node *node)
{
	if (cpumask_empty(&mock_pmu_cpumask))
		cpumask_set_cpu(cpu, &mock_pmu_cpumask);
	return 0;
}

/*
 * As i915 (up to 6.14): when the chosen CPU goes offline, the cpumask
 * moves and every instance's events migrate.  i915 looks only among the
 * CPU's SMT siblings and is left with an empty cpumask without one (no
 * event opens until a CPU comes online); the mock then takes any other
 * online CPU, as perf core does for scoped PMUs from 6.15, so that hotplug
 * in a VM without SMT moves the cpumask as on real hardware.
 */
static int mock_pmu_cpu_offline(unsigned int cpu, struct hlist_node *node)
{
	struct mock_pmu *pmu = hlist_entry_safe(node, struct mock_pmu, cpuhp);
	unsigned int target;

	/* Removing an instance runs this too: ignore it, as i915 does. */
	if (READ_ONCE(pmu->closed))
		return 0;
	if (cpumask_test_and_clear_cpu(cpu, &mock_pmu_cpumask)) {
		target = cpumask_any_but(topology_sibling_cpumask(cpu), cpu);
		if (target >= nr_cpu_ids)
			target = cpumask_any_but(cpu_online_mask, cpu);
		if (target < nr_cpu_ids)
			cpumask_set_cpu(target, &mock_pmu_cpumask);
	}
	target = cpumask_first(&mock_pmu_cpumask);
	if (target < nr_cpu_ids && target != cpu)
		perf_pmu_migrate_context(&pmu->base, cpu, target);
	return 0;
}

/*
 * Test control: move the cpumask to @cpu, as a hotplug would have.  Events
 * stay on their CPU (they still count there) until it goes offline.
 */
int mock_pmu_set_cpu(unsigned int cpu)
{
	int ret = -EINVAL;

	cpus_read_lock();
	if (cpu < nr_cpu_ids && cpu_online(cpu)) {
		cpumask_clear(&mock_pmu_cpumask);
		cpumask_set_cpu(cpu, &mock_pmu_cpumask);
		ret = 0;
	}
	cpus_read_unlock();
	return ret;
}

int mock_pmu_get_cpu(void)
{
	return cpumask_first(&mock_pmu_cpumask);
}
#endif

/*
 * pmu_cpu < 0: the first online CPU, as i915's CPU hotplug callback picks
 * it.  Up to 6.14 the mock follows CPU hotplug as i915 does.
 */
int mock_pmu_init_cpumask(int cpu)
{
	if (cpu < 0)
		cpu = cpumask_first(cpu_online_mask);
	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -EINVAL;
#ifndef MOCK_PMU_SYS_WIDE
	cpumask_clear(&mock_pmu_cpumask);
	cpumask_set_cpu(cpu, &mock_pmu_cpumask);
	cpu = cpuhp_setup_state_multi(CPUHP_AP_ONLINE_DYN, "mock_i915:online",
				      mock_pmu_cpu_online,
				      mock_pmu_cpu_offline);
	if (cpu < 0)
		return cpu;
	mock_cpuhp_state = cpu;
#endif
	return 0;
}

void mock_pmu_exit(void)
{
#ifndef MOCK_PMU_SYS_WIDE
	if (mock_cpuhp_state != CPUHP_INVALID)
		cpuhp_remove_multi_state(mock_cpuhp_state);
	mock_cpuhp_state = CPUHP_INVALID;
#endif
}

/* ---- perf callbacks ------------------------------------------------- */

static struct mock_pmu *event_to_pmu(struct perf_event *event)
{
	return container_of(event->pmu, struct mock_pmu, base);
}

static void mock_pmu_event_destroy(struct perf_event *event)
{
	struct mock_gpu *gpu = event_to_pmu(event)->gpu;

	WARN_ON(event->parent);
	atomic_dec(&gpu->live_events);
	atomic_dec(&mock_live_events_total);
	drm_dev_put(&gpu->drm);
}

static int mock_pmu_event_init(struct perf_event *event)
{
	struct mock_pmu *pmu = event_to_pmu(event);
	int idx;

	if (READ_ONCE(pmu->closed))
		return -ENODEV;

	if (event->attr.type != event->pmu->type)
		return -ENOENT;

	/* Test control: hold event_init, as xe does while it wakes the GPU. */
	if (READ_ONCE(pmu->gpu->init_gate)) {
		atomic_inc(&pmu->gpu->init_waiters);
		wait_event_timeout(mock_init_gate_wq,
				   !READ_ONCE(pmu->gpu->init_gate), 60 * HZ);
		atomic_dec(&pmu->gpu->init_waiters);
	}

	/* unsupported modes and filters */
	if (event->attr.sample_period)
		return -EINVAL;

	if (has_branch_stack(event))
		return -EOPNOTSUPP;

	if (event->cpu < 0)
		return -EINVAL;

#ifndef MOCK_PMU_SYS_WIDE
	if (!cpumask_test_cpu(event->cpu, &mock_pmu_cpumask))
		return -EINVAL;
#endif

	idx = mock_counter_index(pmu->gpu, event->attr.config);
	if (idx < 0)
		return idx;

	if (!event->parent) {
		drm_dev_get(&pmu->gpu->drm);
		atomic_inc(&pmu->gpu->live_events);
		atomic_inc(&mock_live_events_total);
		event->destroy = mock_pmu_event_destroy;
	}
	return 0;
}

static u64 mock_pmu_event_value(struct perf_event *event)
{
	struct mock_pmu *pmu = event_to_pmu(event);

	return mock_counter_read(pmu->gpu,
				 mock_counter_index(pmu->gpu, event->attr.config));
}

static void mock_pmu_event_read(struct perf_event *event)
{
	struct hw_perf_event *hwc = &event->hw;
	u64 prev, new;

	if (READ_ONCE(event_to_pmu(event)->closed)) {
		event->hw.state = PERF_HES_STOPPED;
		return;
	}

	do {
		prev = local64_read(&hwc->prev_count);
		new = mock_pmu_event_value(event);
	} while (local64_cmpxchg(&hwc->prev_count, prev, new) != prev);

	local64_add(new - prev, &event->count);
}

static void mock_pmu_event_start(struct perf_event *event, int flags)
{
	if (READ_ONCE(event_to_pmu(event)->closed))
		return;

	/* Count from now: the delta since start is what a reader sees. */
	local64_set(&event->hw.prev_count, mock_pmu_event_value(event));
	event->hw.state = 0;
}

static void mock_pmu_event_stop(struct perf_event *event, int flags)
{
	if (!READ_ONCE(event_to_pmu(event)->closed) && (flags & PERF_EF_UPDATE))
		mock_pmu_event_read(event);
	event->hw.state = PERF_HES_STOPPED;
}

static int mock_pmu_event_add(struct perf_event *event, int flags)
{
	if (READ_ONCE(event_to_pmu(event)->closed))
		return -ENODEV;

	if (flags & PERF_EF_START)
		mock_pmu_event_start(event, flags);

	return 0;
}

static void mock_pmu_event_del(struct perf_event *event, int flags)
{
	mock_pmu_event_stop(event, PERF_EF_UPDATE);
}

static int mock_pmu_event_event_idx(struct perf_event *event)
{
	return 0;
}

/* i915's is_igp(): the integrated GPU sits at 0000:00:02.0. */
bool mock_is_igp(struct pci_dev *pdev)
{
	return pci_domain_nr(pdev->bus) == 0 && pdev->bus->number == 0 &&
	       PCI_SLOT(pdev->devfn) == 2 && PCI_FUNC(pdev->devfn) == 0;
}

/* Called before drm_dev_register(), as i915 does. */
int mock_pmu_register(struct mock_gpu *gpu)
{
	struct mock_pmu *pmu;
	int ret;

	pmu = kzalloc(sizeof(*pmu), GFP_KERNEL);
	if (!pmu)
		return -ENOMEM;
	pmu->gpu = gpu;
	ret = mock_pmu_create_attrs(pmu);
	if (ret) {
		kfree(pmu);
		return ret;
	}
	pmu->attr_groups[0] = &mock_pmu_format_group;
	pmu->attr_groups[1] = &pmu->events_group;
#ifndef MOCK_PMU_SYS_WIDE
	pmu->attr_groups[2] = &mock_pmu_cpumask_group;
#endif

	if (mock_is_igp(gpu->pdev)) {
		strscpy(pmu->name, "i915", sizeof(pmu->name));
	} else {
		/* tools/perf reserves colons as special */
		snprintf(pmu->name, sizeof(pmu->name), "i915_%s",
			 pci_name(gpu->pdev));
		strreplace(pmu->name, ':', '_');
	}

	pmu->base.attr_groups	= pmu->attr_groups;
	pmu->base.module	= THIS_MODULE;
	pmu->base.task_ctx_nr	= perf_invalid_context;
#ifdef MOCK_PMU_SYS_WIDE
	pmu->base.scope		= PERF_PMU_SCOPE_SYS_WIDE;
#endif
	pmu->base.event_init	= mock_pmu_event_init;
	pmu->base.add		= mock_pmu_event_add;
	pmu->base.del		= mock_pmu_event_del;
	pmu->base.start		= mock_pmu_event_start;
	pmu->base.stop		= mock_pmu_event_stop;
	pmu->base.read		= mock_pmu_event_read;
	pmu->base.event_idx	= mock_pmu_event_event_idx;

	ret = perf_pmu_register(&pmu->base, pmu->name, -1);
	if (ret) {
		mock_pmu_free_attrs(pmu);
		kfree(pmu);
		return ret;
	}
#ifndef MOCK_PMU_SYS_WIDE
	ret = cpuhp_state_add_instance_nocalls(mock_cpuhp_state, &pmu->cpuhp);
	if (ret) {
		mock_perf_pmu_unregister(&pmu->base);
		mock_pmu_free_attrs(pmu);
		kfree(pmu);
		return ret;
	}
#endif
	gpu->pmu = pmu;
	return 0;
}

/*
 * On unbind: mark closed (event_init fails, counts freeze), let running
 * callbacks finish, unregister.  Live events keep the struct pmu and the
 * counters alive through their drm_dev references.
 *
 * Before 6.16 perf_pmu_unregister() frees the PMU's per-CPU contexts
 * whatever events are still open on it: a later read or close of one is
 * a use-after-free, in per-CPU memory, which KASAN does not watch.  (From
 * 6.16 it revokes them first.)  So the mock says when events outlive
 * the unregistration: the test VM fails a run on that line.  No test may
 * leave a raw perf event open across an unbind; nsgpuperf releases its
 * counters before the driver's remove runs.
 */
void mock_pmu_unregister(struct mock_gpu *gpu)
{
	struct mock_pmu *pmu = gpu->pmu;
	int live;

	if (!pmu)
		return;
	WRITE_ONCE(pmu->closed, true);
	synchronize_rcu();
#ifndef MOCK_PMU_SYS_WIDE
	cpuhp_state_remove_instance_nocalls(mock_cpuhp_state, &pmu->cpuhp);
#endif
	mock_perf_pmu_unregister(&pmu->base);
	live = atomic_read(&gpu->live_events);
	if (live)
		pr_err("mock_i915: PMU %s unregistered under %d open events\n",
		       pmu->name, live);
}

/*
 * At the last drm_dev_put().  That is an event's ->destroy() when events
 * outlived the unbind, and perf core still reads event->pmu after
 * ->destroy() returns (module_put(event->pmu->module)): free after a grace
 * period, not at once.
 */
static void mock_pmu_free_rcu(struct rcu_head *rcu)
{
	struct mock_pmu *pmu = container_of(rcu, struct mock_pmu, rcu);

	mock_pmu_free_attrs(pmu);
	kfree(pmu);
}

void mock_pmu_free(struct mock_gpu *gpu)
{
	if (gpu->pmu)
		call_rcu(&gpu->pmu->rcu, mock_pmu_free_rcu);
	gpu->pmu = NULL;
}
