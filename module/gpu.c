// SPDX-License-Identifier: GPL-2.0
/*
 * GPU registry: the PCI devices bound to a GPU driver with a perf PMU
 * (i915, xe), their PMU, their events and their DRM minors.
 *
 * The PMU is found by name on the event_source bus.  That bus is not
 * exported; a software perf event created at init leads to it (its PMU's
 * device sits on it), and each PMU device's drvdata is its struct pmu.
 * PMU names follow the drivers: i915_<pci address, ':' -> '_'> for
 * discrete i915, plain "i915" for the integrated one (the rule moved from
 * "slot 0000:00:02.0" to "not DGFX" in 6.13: both are accepted), and
 * xe_<pci address, ':' -> '_'>.
 *
 * A PCI bus notifier follows drivers binding and unbinding.  Perf cannot
 * survive a PMU unregistering under a live event before 6.16, and i915
 * unregisters its PMU in its remove callback, so every kernel counter of a
 * GPU is released on BUS_NOTIFY_UNBIND_DRIVER, before the driver's remove
 * runs.  That notifier runs with the device lock held: nothing here takes
 * it then.  Since i915 registers its PMU before drm_dev_register() and may
 * unregister it again in a failing probe, the PMU is only looked up once
 * the bind succeeded (BUS_NOTIFY_BOUND_DRIVER).  Note that device_del()
 * sends BUS_NOTIFY_DEL_DEVICE before it unbinds the driver: that path
 * releases the counters too.
 *
 * An entry exists from the first bind of a GPU driver to the PCI device's
 * removal, so a GPU keeps its id across unbind and rebind.  It is listed
 * (and usable by id) while bound, and while unbound by hand (sysfs unbind)
 * as long as its driver module stays; an unbind because the driver module
 * is unloading hides it until a driver binds again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kdev_t.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/perf_event.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>

#include "nsgp.h"

/* Most events taken from one PMU's sysfs. */
#define NSGP_MAX_EVENTS		1024

/* The registry lock; see the lock order in nsgp.h. */
DEFINE_MUTEX(nsgp_lock);
static LIST_HEAD(nsgp_gpus);		/* under nsgp_lock */
static unsigned int nsgp_nr_gpus;	/* under nsgp_lock */
static u32 nsgp_next_gpu_id;		/* under nsgp_lock */
static bool nsgp_exiting;		/* under nsgp_lock: no new GPU binds */

/* The software PMU's device, referenced: its ->bus is event_source. */
static struct device *nsgp_sw_pmu_dev;

static struct device *nsgp_pmu_dev_get(const char *name)
{
	return bus_find_device_by_name(nsgp_sw_pmu_dev->bus, NULL, name);
}

/* drvdata of a PMU device, if it really is the device of that PMU. */
static struct pmu *nsgp_pmu_of(struct device *dev)
{
	struct pmu *pmu = dev_get_drvdata(dev);

	return pmu && pmu->dev == dev ? pmu : NULL;
}

/*
 * The attribute groups of a PMU device: those perf created it with, those
 * merged in after (pmu->attr_update) and the event_source bus's own.
 */
static const struct attribute_group *const *nsgp_pmu_groups(struct device *dev,
							    unsigned int i)
{
	struct pmu *pmu = nsgp_pmu_of(dev);

	switch (i) {
	case 0:
		return dev->groups;
	case 1:
		return pmu ? pmu->attr_update : NULL;
	case 2:
		return dev->bus ? dev->bus->dev_groups : NULL;
	}
	return NULL;
}

/*
 * Iterator over the attributes of the PMU device @dev that sysfs shows, in
 * the groups named @group (NULL: the unnamed groups, the device's own
 * directory).
 *
 * The caller keeps the PMU registered meanwhile: it holds the GPU's
 * ctr_lock with the GPU bound, so the driver cannot get past the unbind
 * notifier.
 */
struct nsgp_attr_iter {
	struct device *dev;
	const char *group;
	unsigned int list, grp, attr;
};

static bool nsgp_group_wanted(const struct attribute_group *grp,
			      const char *group)
{
	if (!group)
		return !grp->name;
	return grp->name && !strcmp(grp->name, group);
}

static struct device_attribute *nsgp_attr_next(struct nsgp_attr_iter *it)
{
	for (; it->list < 3; it->list++, it->grp = 0) {
		const struct attribute_group *const *groups =
			nsgp_pmu_groups(it->dev, it->list);

		for (; groups && groups[it->grp]; it->grp++, it->attr = 0) {
			const struct attribute_group *grp = groups[it->grp];

			if (!nsgp_group_wanted(grp, it->group) || !grp->attrs)
				continue;
			while (grp->attrs[it->attr]) {
				struct attribute *attr = grp->attrs[it->attr];
				int i = it->attr++;

				if (grp->is_visible &&
				    !grp->is_visible(&it->dev->kobj, attr, i))
					continue;
				return container_of(attr,
						    struct device_attribute,
						    attr);
			}
		}
	}
	return NULL;
}

/*
 * Show attribute @name of group @group into @page, a whole page as
 * sysfs_emit() requires, NUL-terminated and without trailing whitespace.
 * Returns the length, -ENOENT if there is no such attribute, or an error.
 */
static ssize_t nsgp_pmu_attr_show(struct device *dev, const char *group,
				  const char *name, char *page)
{
	struct nsgp_attr_iter it = { .dev = dev, .group = group };
	struct device_attribute *da;
	ssize_t n;

	while ((da = nsgp_attr_next(&it)))
		if (!strcmp(da->attr.name, name))
			break;
	if (!da || !da->show)
		return -ENOENT;
	n = da->show(dev, da, page);
	if (n < 0)
		return n;
	n = min_t(ssize_t, n, PAGE_SIZE - 1);
	page[n] = '\0';
	while (n && isspace(page[n - 1]))
		page[--n] = '\0';
	return n;
}

/*
 * Put @val into @config at the bits named by a sysfs format string such
 * as "config:12-19" or "config:0-7,32-35".
 */
static int nsgp_format_apply(char *fmt, u64 val, u64 *config)
{
	char *range;

	if (strncmp(fmt, "config:", 7))
		return -EOPNOTSUPP;	/* config1/config2: not for us */
	fmt += 7;
	while ((range = strsep(&fmt, ","))) {
		char *hi_s = range, *lo_s = strsep(&hi_s, "-");
		unsigned int lo, hi, b;

		if (kstrtouint(lo_s, 10, &lo))
			return -EINVAL;
		if (!hi_s)
			hi = lo;
		else if (kstrtouint(hi_s, 10, &hi))
			return -EINVAL;
		if (hi < lo || hi > 63)
			return -EINVAL;
		for (b = lo; b <= hi; b++, val >>= 1)
			if (val & 1)
				*config |= BIT_ULL(b);
	}
	return 0;
}

/*
 * Turn an event attribute ("config=0x100002", "event=0x01,gt=1") into a
 * config, looking up format/<term> for terms other than config.
 */
static int nsgp_event_config(struct device *dev, char *str, char *page,
			     u64 *config)
{
	char *term;
	int ret;

	*config = 0;
	while ((term = strsep(&str, ","))) {
		char *val_s = strim(term), *name = strsep(&val_s, "=");
		u64 val = 1;

		if (!*name)
			continue;
		if (val_s && kstrtou64(strim(val_s), 0, &val))
			return -EINVAL;
		if (!strcmp(name, "config")) {
			*config = val;
			continue;
		}
		ret = nsgp_pmu_attr_show(dev, "format", name, page);
		if (ret < 0)
			return ret;
		ret = nsgp_format_apply(page, val, config);
		if (ret)
			return ret;
	}
	return 0;
}

struct nsgp_event_scan {
	struct nsgpuperf_event_info *events;
	unsigned int nr, room;
	char *page, *page2;
};

static bool nsgp_is_event_name(const char *name)
{
	static const char * const suffixes[] = {
		".unit", ".scale", ".per-pkg", ".snapshot",
	};
	size_t len = strlen(name), i;

	if (!len || len >= NSGPUPERF_NAME_LEN)
		return false;
	for (i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t sl = strlen(suffixes[i]);

		if (len > sl && !strcmp(name + len - sl, suffixes[i]))
			return false;
	}
	return true;
}

static int nsgp_event_add(struct device *dev, struct device_attribute *da,
			  struct nsgp_event_scan *scan)
{
	struct nsgpuperf_event_info *ev;
	u64 config;
	ssize_t n;

	if (!nsgp_is_event_name(da->attr.name) || !da->show)
		return 0;
	if (scan->nr == scan->room) {
		unsigned int room = scan->room ? 2 * scan->room : 64;

		if (room > NSGP_MAX_EVENTS)
			return -E2BIG;
		ev = krealloc_array(scan->events, room, sizeof(*ev),
				    GFP_KERNEL);
		if (!ev)
			return -ENOMEM;
		scan->events = ev;
		scan->room = room;
	}
	n = da->show(dev, da, scan->page);
	if (n <= 0)
		return 0;
	scan->page[min_t(ssize_t, n, PAGE_SIZE - 1)] = '\0';
	if (nsgp_event_config(dev, scan->page, scan->page2, &config))
		return 0;	/* an encoding we cannot express: skip it */

	ev = &scan->events[scan->nr++];
	memset(ev, 0, sizeof(*ev));
	ev->config = config;
	strscpy(ev->name, da->attr.name, sizeof(ev->name));
	return 0;
}

/* Read the PMU's events (and their units) from its sysfs attributes. */
static int nsgp_pmu_read_events(struct device *dev,
				struct nsgpuperf_event_info **events,
				unsigned int *nr)
{
	struct nsgp_attr_iter it = { .dev = dev, .group = "events" };
	struct nsgp_event_scan scan = {};
	struct device_attribute *da;
	char unit_attr[NSGPUPERF_NAME_LEN + 8];
	unsigned int i;
	int ret = -ENOMEM;

	scan.page = (char *)__get_free_page(GFP_KERNEL);
	scan.page2 = (char *)__get_free_page(GFP_KERNEL);
	if (!scan.page || !scan.page2)
		goto out;
	ret = 0;
	while ((da = nsgp_attr_next(&it))) {
		ret = nsgp_event_add(dev, da, &scan);
		if (ret)
			goto out;
	}
	for (i = 0; i < scan.nr; i++) {
		struct nsgpuperf_event_info *ev = &scan.events[i];

		snprintf(unit_attr, sizeof(unit_attr), "%s.unit", ev->name);
		if (nsgp_pmu_attr_show(dev, "events", unit_attr, scan.page) > 0)
			strscpy(ev->unit, scan.page, sizeof(ev->unit));
	}
	*events = scan.events;
	*nr = scan.nr;
	scan.events = NULL;
out:
	kfree(scan.events);
	free_page((unsigned long)scan.page2);
	free_page((unsigned long)scan.page);
	return ret;
}

/**
 * nsgp_gpu_pmu_cpu() - the CPU to open a GPU's kernel counters on
 * @gpu: a GPU whose PMU is registered (its ctr_lock held)
 *
 * Up to 6.14 i915 accepts only the CPU of its "cpumask" attribute; from
 * 6.15 perf core provides that attribute for scoped PMUs.  Without one,
 * or without an online CPU in it, the first online CPU.  CPU hotplug can
 * change the answer at any time (see nsgp_counter_get()).
 *
 * Return: a CPU number, or a negative error.
 */
int nsgp_gpu_pmu_cpu(struct nsgp_gpu *gpu)
{
	cpumask_var_t mask;
	struct device *dev;
	struct pmu *pmu;
	char *page = NULL;
	int cpu = -1;

	lockdep_assert_held(&gpu->ctr_lock);
	if (!gpu->pmu_ok)
		return -ENODEV;
	dev = nsgp_pmu_dev_get(gpu->pmu_name);
	if (!dev)
		return -ENODEV;
	pmu = nsgp_pmu_of(dev);
	if (!pmu || pmu->type != gpu->pmu_type) {
		cpu = -ENODEV;
		goto out;
	}
	page = (char *)__get_free_page(GFP_KERNEL);
	if (!page || !zalloc_cpumask_var(&mask, GFP_KERNEL)) {
		cpu = -ENOMEM;
		goto out;
	}
	if (nsgp_pmu_attr_show(dev, NULL, "cpumask", page) > 0 &&
	    !cpulist_parse(page, mask)) {
		cpu = cpumask_first_and(mask, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = -1;
	}
	free_cpumask_var(mask);
	if (cpu < 0)
		cpu = cpumask_first(cpu_online_mask);
out:
	free_page((unsigned long)page);
	put_device(dev);
	return cpu;
}

/* A class device of the GPU with the DRM major is one of its minors. */
static int nsgp_drm_child(struct device *dev, void *data)
{
	struct nsgp_gpu *gpu = data;
	struct drm_minor *minor;

	if (!dev->devt || MAJOR(dev->devt) != DRM_MAJOR)
		return 0;
	/* drm_sysfs makes the minor the drvdata of its class device. */
	minor = dev_get_drvdata(dev);
	if (!minor || minor->kdev != dev || !minor->dev)
		return 0;
	if (minor->type == DRM_MINOR_PRIMARY)
		gpu->card_minor = MINOR(dev->devt);
	else if (minor->type == DRM_MINOR_RENDER)
		gpu->render_minor = MINOR(dev->devt);
	else
		return 0;
	if (!gpu->drm) {
		drm_dev_get(minor->dev);
		gpu->drm = minor->dev;
	}
	return 0;
}

/* Find the GPU's PMU device (referenced) and its name. */
static struct device *nsgp_gpu_find_pmu_locked(struct nsgp_gpu *gpu,
					       char *name, size_t len)
{
	struct nsgp_gpu *other;
	struct device *dev;

	snprintf(name, len, "%s_%s", gpu->driver, gpu->pci_addr);
	strreplace(name, ':', '_');
	dev = nsgp_pmu_dev_get(name);
	if (dev || strcmp(gpu->driver, "i915"))
		return dev;

	/*
	 * The integrated i915 registers plain "i915".  Integrated GPUs sit on
	 * the root bus (slot 00:02.0 in practice), discrete ones behind a
	 * port; and only one GPU may claim the name.
	 */
	if (!pci_is_root_bus(gpu->pdev->bus))
		return NULL;
	list_for_each_entry(other, &nsgp_gpus, node)
		if (other != gpu && other->pmu_ok &&
		    !strcmp(other->pmu_name, "i915"))
			return NULL;
	strscpy(name, "i915", len);
	return nsgp_pmu_dev_get(name);
}

static void nsgp_gpu_bind_locked(struct nsgp_gpu *gpu, const char *driver)
{
	char name[NSGPUPERF_NAME_LEN];
	struct nsgpuperf_event_info *events;
	unsigned int nr_events;
	struct device *dev;
	struct pmu *pmu;
	int ret;

	lockdep_assert_held(&gpu->ctr_lock);
	lockdep_assert_held(&nsgp_lock);
	if (gpu->driver_bound)
		return;
	gpu->listed = true;
	gpu->driver_bound = true;
	strscpy(gpu->driver, driver, sizeof(gpu->driver));
	device_for_each_child(&gpu->pdev->dev, gpu, nsgp_drm_child);

	dev = nsgp_gpu_find_pmu_locked(gpu, name, sizeof(name));
	if (!dev) {
		pr_info("GPU %u (%s, %s): no PMU found\n", gpu->id,
			gpu->pci_addr, driver);
		return;
	}
	pmu = nsgp_pmu_of(dev);
	ret = pmu ? nsgp_pmu_read_events(dev, &events, &nr_events) : -ENODEV;
	if (ret) {
		pr_warn("GPU %u (%s): PMU %s unusable: %d\n", gpu->id,
			gpu->pci_addr, name, ret);
		put_device(dev);
		return;
	}
	gpu->pmu_type = pmu->type;
	put_device(dev);
	strscpy(gpu->pmu_name, name, sizeof(gpu->pmu_name));
	gpu->events = events;
	gpu->nr_events = nr_events;
	gpu->pmu_ok = true;
	pr_info("GPU %u (%s, %s): PMU %s, type %u, %u events\n", gpu->id,
		gpu->pci_addr, driver, name, gpu->pmu_type, nr_events);
}

static void nsgp_gpu_unbind_locked(struct nsgp_gpu *gpu)
{
	lockdep_assert_held(&gpu->ctr_lock);
	lockdep_assert_held(&nsgp_lock);
	if (!gpu->driver_bound)
		return;

	/* Readers of this GPU's counters finish first; later ones see -ENODEV. */
	down_write(&gpu->sem);
	gpu->generation++;
	gpu->pmu_ok = false;
	gpu->driver_bound = false;
	nsgp_counters_release_gpu_locked(gpu);
	up_write(&gpu->sem);

	gpu->pmu_type = 0;
	gpu->pmu_name[0] = '\0';
	gpu->driver[0] = '\0';
	gpu->render_minor = -1;
	gpu->card_minor = -1;
	kfree(gpu->events);
	gpu->events = NULL;
	gpu->nr_events = 0;
	if (gpu->drm) {
		drm_dev_put(gpu->drm);
		gpu->drm = NULL;
	}
}

static void nsgp_gpu_release(struct kref *ref)
{
	struct nsgp_gpu *gpu = container_of(ref, struct nsgp_gpu, ref);

	WARN_ON_ONCE(gpu->drm || gpu->events || !list_empty(&gpu->counters));
	pci_dev_put(gpu->pdev);
	mutex_destroy(&gpu->ctr_lock);
	kfree(gpu);
}

void nsgp_gpu_put(struct nsgp_gpu *gpu)
{
	kref_put(&gpu->ref, nsgp_gpu_release);
}

static struct nsgp_gpu *nsgp_gpu_find_pdev_locked(struct pci_dev *pdev)
{
	struct nsgp_gpu *gpu;

	list_for_each_entry(gpu, &nsgp_gpus, node)
		if (gpu->pdev == pdev)
			return gpu;
	return NULL;
}

static struct nsgp_gpu *nsgp_gpu_add_locked(struct pci_dev *pdev)
{
	struct nsgp_gpu *gpu;

	gpu = kzalloc(sizeof(*gpu), GFP_KERNEL);
	if (!gpu)
		return NULL;
	kref_init(&gpu->ref);
	gpu->id = nsgp_next_gpu_id++;
	gpu->pdev = pci_dev_get(pdev);
	strscpy(gpu->pci_addr, pci_name(pdev), sizeof(gpu->pci_addr));
	init_rwsem(&gpu->sem);
	mutex_init(&gpu->ctr_lock);
	gpu->render_minor = -1;
	gpu->card_minor = -1;
	INIT_LIST_HEAD(&gpu->counters);
	list_add_tail(&gpu->node, &nsgp_gpus);
	nsgp_nr_gpus++;
	return gpu;
}

/* Called with the GPU's ctr_lock and nsgp_lock; drops the registry's ref. */
static void nsgp_gpu_remove_locked(struct nsgp_gpu *gpu)
{
	nsgp_gpu_unbind_locked(gpu);
	list_del_init(&gpu->node);
	nsgp_nr_gpus--;
	nsgp_gpu_put(gpu);
}

/*
 * The GPU driver bound to @pdev ("i915" or "xe") if it is Intel's, or
 * NULL.  Called with the device lock held, or under RCU as a hint only:
 * dev->driver may change under an unlocked reader, which then reads it
 * once, as dev_driver_string() does (a driver module's memory is freed
 * only after a grace period).
 */
static const char *nsgp_gpu_driver(struct pci_dev *pdev)
{
	struct device_driver *drv = READ_ONCE(pdev->dev.driver);

	/* i915 and xe only ever bind Intel devices: ignore any other. */
	if (pdev->vendor != PCI_VENDOR_ID_INTEL)
		return NULL;
	if (!drv || !drv->name)
		return NULL;
	if (!strcmp(drv->name, "i915"))
		return "i915";
	if (!strcmp(drv->name, "xe"))
		return "xe";
	return NULL;
}

/*
 * The registry entry of @pdev, referenced, or NULL.  With @add, one is
 * made if there is none (unless the module is exiting).
 */
static struct nsgp_gpu *nsgp_gpu_lookup(struct pci_dev *pdev, bool add)
{
	struct nsgp_gpu *gpu;

	mutex_lock(&nsgp_lock);
	gpu = nsgp_gpu_find_pdev_locked(pdev);
	if (!gpu && add && !nsgp_exiting) {
		gpu = nsgp_gpu_add_locked(pdev);
		if (!gpu)
			pr_warn("%s: out of memory, GPU ignored\n",
				pci_name(pdev));
	}
	if (gpu)
		kref_get(&gpu->ref);
	mutex_unlock(&nsgp_lock);
	return gpu;
}

/*
 * Take a GPU's ctr_lock, then nsgp_lock (the lock order).  Return whether
 * the GPU is still in the registry.
 */
static bool nsgp_gpu_lock(struct nsgp_gpu *gpu)
{
	mutex_lock(&gpu->ctr_lock);
	mutex_lock(&nsgp_lock);
	return !list_empty(&gpu->node);
}

static void nsgp_gpu_unlock(struct nsgp_gpu *gpu)
{
	mutex_unlock(&nsgp_lock);
	mutex_unlock(&gpu->ctr_lock);
}

/* @pdev's driver is bound (device lock held by the caller or the core). */
static void nsgp_pci_bound(struct pci_dev *pdev)
{
	const char *driver = nsgp_gpu_driver(pdev);
	struct nsgp_gpu *gpu;

	if (!driver)
		return;
	gpu = nsgp_gpu_lookup(pdev, true);
	if (!gpu)
		return;
	if (nsgp_gpu_lock(gpu) && !nsgp_exiting)
		nsgp_gpu_bind_locked(gpu, driver);
	nsgp_gpu_unlock(gpu);
	nsgp_gpu_put(gpu);
}

/* Before the driver's remove: its PMU is still registered. */
static void nsgp_pci_unbind(struct pci_dev *pdev)
{
	struct nsgp_gpu *gpu;

	if (!nsgp_gpu_driver(pdev))
		return;
	gpu = nsgp_gpu_lookup(pdev, false);
	if (!gpu)
		return;
	if (nsgp_gpu_lock(gpu)) {
		nsgp_gpu_unbind_locked(gpu);
		/* Unlisted while its driver module is gone. */
		if (pdev->dev.driver && pdev->dev.driver->owner &&
		    !module_is_live(pdev->dev.driver->owner))
			gpu->listed = false;
	}
	nsgp_gpu_unlock(gpu);
	nsgp_gpu_put(gpu);
}

/* Sent before device_del() unbinds the driver. */
static void nsgp_pci_del(struct pci_dev *pdev)
{
	struct nsgp_gpu *gpu = nsgp_gpu_lookup(pdev, false);

	if (!gpu)
		return;
	if (nsgp_gpu_lock(gpu))
		nsgp_gpu_remove_locked(gpu);
	nsgp_gpu_unlock(gpu);
	nsgp_gpu_put(gpu);
}

/*
 * Every driver (un)binding on the PCI bus comes here: only those of a GPU
 * driver take a lock of ours.
 */
static int nsgp_pci_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);

	switch (action) {
	case BUS_NOTIFY_BOUND_DRIVER:
		nsgp_pci_bound(pdev);
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
		nsgp_pci_unbind(pdev);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		nsgp_pci_del(pdev);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block nsgp_pci_nb = {
	.notifier_call = nsgp_pci_notify,
};

/*
 * Find the event_source bus through a software event.  The event is
 * CPU-wide, so it is created from the module's own kernel context.
 */
static int nsgp_find_event_source_bus(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_DUMMY,
		.disabled = 1,
	};
	struct perf_event *event;

	event = nsgp_kernel_counter_create(&attr,
					   cpumask_first(cpu_online_mask), NULL);
	if (IS_ERR(event)) {
		pr_err("cannot create a software perf event: %ld\n",
		       PTR_ERR(event));
		return PTR_ERR(event);
	}
	if (event->pmu->dev && event->pmu->dev->bus)
		nsgp_sw_pmu_dev = get_device(event->pmu->dev);
	perf_event_release_kernel(event);
	if (!nsgp_sw_pmu_dev) {
		pr_err("the software PMU has no device: no event_source bus\n");
		return -ENODEV;
	}
	return 0;
}

/**
 * nsgp_gpu_init() - find the PMU bus, follow and scan the PCI bus
 *
 * Return: 0 or a negative error.
 */
int nsgp_gpu_init(void)
{
	struct pci_dev *pdev = NULL;
	int ret;

	ret = nsgp_find_event_source_bus();
	if (ret)
		return ret;
	/* Notifier first, then the scan: binding is idempotent. */
	ret = bus_register_notifier(&pci_bus_type, &nsgp_pci_nb);
	if (ret) {
		put_device(nsgp_sw_pmu_dev);
		return ret;
	}
	for_each_pci_dev(pdev) {
		bool gpu_driver;

		/* Only a GPU's device lock: a hint first, then under the lock. */
		rcu_read_lock();
		gpu_driver = nsgp_gpu_driver(pdev);
		rcu_read_unlock();
		if (!gpu_driver)
			continue;
		/* Lock order: the device lock before ours. */
		device_lock(&pdev->dev);
		nsgp_pci_bound(pdev);
		device_unlock(&pdev->dev);
	}
	return 0;
}

/**
 * nsgp_gpu_exit() - forget every GPU
 *
 * Called when no file of the module is open, hence no group or counter.
 * A GPU's DRM device reference must be dropped while its driver is still
 * bound: the driver's own reference then keeps ours from being the last
 * one, whose release runs the driver module's code.  So, with the PCI
 * notifier still registered: no new GPU binds from now on, and each GPU
 * is removed under its locks, which an unbind notification waits for
 * before the driver's remove runs.  Only then does the notifier go.
 */
void nsgp_gpu_exit(void)
{
	struct nsgp_gpu *gpu;

	mutex_lock(&nsgp_lock);
	nsgp_exiting = true;
	mutex_unlock(&nsgp_lock);
	for (;;) {
		mutex_lock(&nsgp_lock);
		gpu = list_first_entry_or_null(&nsgp_gpus, struct nsgp_gpu,
					       node);
		if (gpu)
			kref_get(&gpu->ref);
		mutex_unlock(&nsgp_lock);
		if (!gpu)
			break;
		if (nsgp_gpu_lock(gpu))
			nsgp_gpu_remove_locked(gpu);
		nsgp_gpu_unlock(gpu);
		nsgp_gpu_put(gpu);
	}
	bus_unregister_notifier(&pci_bus_type, &nsgp_pci_nb);
	put_device(nsgp_sw_pmu_dev);
}

/**
 * nsgp_gpus_scope_snapshot() - decide a new session's scope
 * @s: the session, being created in the opener's context
 *
 * The device cgroup is checked now, for every GPU present, so that what the
 * session sees does not change when its fd moves to another task.
 */
void nsgp_gpus_scope_snapshot(struct nsgp_session *s)
{
	struct nsgp_gpu *gpu;

	mutex_lock(&nsgp_lock);
	list_for_each_entry(gpu, &nsgp_gpus, node)
		nsgp_session_sees_gpu(s, gpu);
	mutex_unlock(&nsgp_lock);
}

/* The first listed GPU in the session's scope that @match takes, referenced. */
static struct nsgp_gpu *nsgp_gpu_find_get(struct nsgp_session *s,
					  bool (*match)(const struct nsgp_gpu *gpu,
							u32 key),
					  u32 key, int err)
{
	struct nsgp_gpu *gpu, *found = ERR_PTR(err);

	mutex_lock(&nsgp_lock);
	list_for_each_entry(gpu, &nsgp_gpus, node) {
		if (gpu->listed && match(gpu, key) &&
		    nsgp_session_sees_gpu(s, gpu)) {
			kref_get(&gpu->ref);
			found = gpu;
			break;
		}
	}
	mutex_unlock(&nsgp_lock);
	return found;
}

static bool nsgp_gpu_has_id(const struct nsgp_gpu *gpu, u32 id)
{
	return gpu->id == id;
}

static bool nsgp_gpu_has_pmu_type(const struct nsgp_gpu *gpu, u32 type)
{
	return gpu->pmu_ok && gpu->pmu_type == type;
}

/**
 * nsgp_gpu_get() - look up a GPU in a session's scope
 * @s: the session
 * @id: GPU id
 *
 * Return: the GPU, referenced, or ERR_PTR(-ENODEV).
 */
struct nsgp_gpu *nsgp_gpu_get(struct nsgp_session *s, u32 id)
{
	return nsgp_gpu_find_get(s, nsgp_gpu_has_id, id, -ENODEV);
}

/**
 * nsgp_gpu_get_by_pmu_type() - the GPU in a session's scope with a PMU type
 * @s: the session
 * @type: perf_event_attr.type
 *
 * Return: the GPU, referenced, or ERR_PTR(-ENOENT): what perf gives for a
 * type no PMU has.
 */
struct nsgp_gpu *nsgp_gpu_get_by_pmu_type(struct nsgp_session *s, u32 type)
{
	return nsgp_gpu_find_get(s, nsgp_gpu_has_pmu_type, type, -ENOENT);
}

/**
 * nsgp_gpu_generation() - the current generation of a bound GPU
 * @gpu: the GPU
 * @gen: returns its generation
 *
 * Return: 0, or -ENODEV if its PMU is not usable.
 */
int nsgp_gpu_generation(struct nsgp_gpu *gpu, u64 *gen)
{
	int ret = -ENODEV;

	mutex_lock(&nsgp_lock);
	if (gpu->pmu_ok) {
		*gen = gpu->generation;
		ret = 0;
	}
	mutex_unlock(&nsgp_lock);
	return ret;
}

static void nsgp_gpu_fill_info(const struct nsgp_gpu *gpu,
			       struct nsgpuperf_gpu_info *info)
{
	memset(info, 0, sizeof(*info));
	info->id = gpu->id;
	info->flags = gpu->pmu_ok ? NSGPUPERF_GPU_BOUND : 0;
	info->pmu_type = gpu->pmu_ok ? gpu->pmu_type : 0;
	info->render_minor = gpu->render_minor;
	info->card_minor = gpu->card_minor;
	strscpy(info->pci_addr, gpu->pci_addr, sizeof(info->pci_addr));
	strscpy(info->driver, gpu->driver, sizeof(info->driver));
	strscpy(info->pmu_name, gpu->pmu_name, sizeof(info->pmu_name));
}

/**
 * nsgp_ioctl_list_gpus() - NSGPUPERF_IOC_LIST_GPUS
 * @s: the session
 * @uarg: struct nsgpuperf_gpu_list
 *
 * Lists the GPUs the session sees (nsgp_session_sees_gpu()), in id order.
 * A GPU is listed from its driver's first bind until the PCI device goes
 * or the driver module unloads; unbound, it has no NSGPUPERF_GPU_BOUND
 * flag, no PMU, no driver name and no minors.
 *
 * Return: 0 or a common error.
 */
long nsgp_ioctl_list_gpus(struct nsgp_session *s, void __user *uarg)
{
	struct nsgpuperf_gpu_info *info = NULL;
	struct nsgpuperf_gpu_list l;
	struct nsgp_gpu *gpu;
	u32 usize, room, n = 0;
	int ret;

	ret = nsgp_copy_struct_in(&l, sizeof(l), NSGPUPERF_GPU_LIST_SIZE_VER1,
				  uarg, &usize);
	if (ret)
		return ret;
	if (l.flags)
		return -EINVAL;
	ret = nsgp_check_entry_size(l.count, l.entry_size, sizeof(*info));
	if (ret)
		return ret;

	mutex_lock(&nsgp_lock);
	room = min(l.count, nsgp_nr_gpus);
	if (room) {
		info = kcalloc(room, sizeof(*info), GFP_KERNEL_ACCOUNT);
		if (!info) {
			mutex_unlock(&nsgp_lock);
			return -ENOMEM;
		}
	}
	list_for_each_entry(gpu, &nsgp_gpus, node) {
		if (!gpu->listed || !nsgp_session_sees_gpu(s, gpu))
			continue;
		if (n < room)
			nsgp_gpu_fill_info(gpu, &info[n]);
		n++;
	}
	mutex_unlock(&nsgp_lock);

	ret = nsgp_copy_array_out(l.gpus, l.entry_size, info, sizeof(*info),
				  min(room, n));
	if (!ret) {
		l.count = n;
		ret = nsgp_copy_struct_out(uarg, usize, &l, sizeof(l));
	}
	kfree(info);
	return ret;
}

/**
 * nsgp_ioctl_list_events() - NSGPUPERF_IOC_LIST_EVENTS
 * @s: the session
 * @uarg: struct nsgpuperf_event_list
 *
 * The events are those of the PMU's sysfs events/ directory, read when
 * the driver bound, with their units (events/<name>.unit).
 *
 * Return: 0, -ENODEV (GPU not in scope or unbound) or a common error.
 */
long nsgp_ioctl_list_events(struct nsgp_session *s, void __user *uarg)
{
	struct nsgpuperf_event_info *events = NULL;
	struct nsgpuperf_event_list l;
	struct nsgp_gpu *gpu;
	u32 usize, room = 0, total = 0;
	int ret;

	ret = nsgp_copy_struct_in(&l, sizeof(l), NSGPUPERF_EVENT_LIST_SIZE_VER1,
				  uarg, &usize);
	if (ret)
		return ret;
	if (l.flags || l.reserved)
		return -EINVAL;
	ret = nsgp_check_entry_size(l.count, l.entry_size, sizeof(*events));
	if (ret)
		return ret;
	gpu = nsgp_gpu_get(s, l.gpu_id);
	if (IS_ERR(gpu))
		return PTR_ERR(gpu);

	mutex_lock(&nsgp_lock);
	if (!gpu->pmu_ok) {
		ret = -ENODEV;
	} else {
		total = gpu->nr_events;
		room = min(l.count, total);
		if (room) {
			events = kmemdup(gpu->events, room * sizeof(*events),
					 GFP_KERNEL_ACCOUNT);
			if (!events)
				ret = -ENOMEM;
		}
	}
	mutex_unlock(&nsgp_lock);
	nsgp_gpu_put(gpu);
	if (ret)
		return ret;

	ret = nsgp_copy_array_out(l.events, l.entry_size, events,
				  sizeof(*events), room);
	if (!ret) {
		l.count = total;
		ret = nsgp_copy_struct_out(uarg, usize, &l, sizeof(l));
	}
	kfree(events);
	return ret;
}

/**
 * nsgp_gpu_find_drm_locked() - the listed, bound GPU whose DRM device a
 *	file belongs to
 * @f: the file
 * @is_node_of: tells whether @f is an open DRM node of a DRM device
 *
 * Called with nsgp_lock held.
 *
 * Return: the GPU (not referenced: valid while nsgp_lock is held) or NULL.
 */
struct nsgp_gpu *nsgp_gpu_find_drm_locked(struct file *f,
					  bool (*is_node_of)(struct file *f,
							     struct drm_device *drm))
{
	struct nsgp_gpu *gpu;

	lockdep_assert_held(&nsgp_lock);
	list_for_each_entry(gpu, &nsgp_gpus, node)
		if (gpu->listed && gpu->driver_bound && gpu->drm &&
		    is_node_of(f, gpu->drm))
			return gpu;
	return NULL;
}
