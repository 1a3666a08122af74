// SPDX-License-Identifier: GPL-2.0
/*
 * mock_i915.ko: PCI driver "i915" for QEMU's e1000 (vendor Intel) and edu
 * (vendor QEMU) devices, one mock GPU (PMU, DRM device, debugfs controls)
 * per bound device.  See mock_i915.h.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_managed.h>

#include "mock_compat.h"
#include "mock_i915.h"

#define MOCK_E1000_DEVICE_ID	0x100e	/* QEMU's e1000: Intel 82540EM */
#define MOCK_QEMU_VENDOR_ID	0x1234
#define MOCK_EDU_DEVICE_ID	0x11e8	/* QEMU's edu */

static int pmu_cpu = -1;
module_param(pmu_cpu, int, 0444);
MODULE_PARM_DESC(pmu_cpu,
		 "CPU of the PMU cpumask on kernels < 6.15 (default -1: first online CPU); it follows CPU hotplug, and debugfs mock_i915/pmu_cpu moves it");

static unsigned int ccs;
module_param(ccs, uint, 0444);
MODULE_PARM_DESC(ccs, "Compute engines ccs0.. of each GPU (0-4, default 0)");

static unsigned int gts = 1;
module_param(gts, uint, 0444);
MODULE_PARM_DESC(gts,
		 "GTs of each GPU (1, or 2 where i915's PMU has GT config bits: 6.5+)");

static const char * const mock_regions_igp[] = MOCK_I915_REGIONS_IGP;
static const char * const mock_regions_dgfx[] = MOCK_I915_REGIONS_DGFX;

static_assert(ARRAY_SIZE(mock_regions_dgfx) <= MOCK_I915_MAX_REGIONS);
static_assert(ARRAY_SIZE(mock_regions_igp) <= MOCK_I915_MAX_REGIONS);

static struct dentry *mock_debugfs_root;

/* ---- debugfs -------------------------------------------------------- */

static ssize_t mock_control_write(struct file *f, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	struct mock_gpu *gpu = f->private_data;
	char buf[128], cmd[8], *args, *arg2;
	u64 config, val;
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	args = strim(buf);

	/* "<cmd> <config> <value>" */
	arg2 = strsep(&args, " \t");
	if (!args || strscpy(cmd, arg2, sizeof(cmd)) < 0)
		return -EINVAL;
	args = skip_spaces(args);
	arg2 = strsep(&args, " \t");
	if (!args || kstrtou64(arg2, 0, &config))
		return -EINVAL;
	if (kstrtou64(skip_spaces(args), 0, &val))
		return -EINVAL;

	ret = mock_counter_command(gpu, cmd, config, val);
	return ret ? ret : len;
}

static const struct file_operations mock_control_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= mock_control_write,
	.llseek	= noop_llseek,
};

static int mock_live_events_get(void *data, u64 *val)
{
	*val = atomic_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(mock_live_events_fops, mock_live_events_get, NULL,
			 "%llu\n");

static int mock_guc_get(void *data, u64 *val)
{
	struct mock_gpu *gpu = data;

	*val = READ_ONCE(gpu->guc);
	return 0;
}

static int mock_guc_set(void *data, u64 val)
{
	struct mock_gpu *gpu = data;

	if (val > 1)
		return -EINVAL;
	WRITE_ONCE(gpu->guc, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(mock_guc_fops, mock_guc_get, mock_guc_set, "%llu\n");

static int mock_init_gate_get(void *data, u64 *val)
{
	struct mock_gpu *gpu = data;

	*val = READ_ONCE(gpu->init_gate);
	return 0;
}

static int mock_init_gate_set(void *data, u64 val)
{
	struct mock_gpu *gpu = data;

	if (val > 1)
		return -EINVAL;
	WRITE_ONCE(gpu->init_gate, val);
	if (!val)
		wake_up_all(&mock_init_gate_wq);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(mock_init_gate_fops, mock_init_gate_get,
			 mock_init_gate_set, "%llu\n");

#ifndef MOCK_PMU_SYS_WIDE
static int mock_pmu_cpu_get(void *data, u64 *val)
{
	*val = mock_pmu_get_cpu();
	return 0;
}

static int mock_pmu_cpu_set(void *data, u64 val)
{
	return mock_pmu_set_cpu(min_t(u64, val, UINT_MAX));
}
DEFINE_DEBUGFS_ATTRIBUTE(mock_pmu_cpu_fops, mock_pmu_cpu_get, mock_pmu_cpu_set,
			 "%llu\n");
#endif

static void mock_debugfs_add(struct mock_gpu *gpu)
{
	struct dentry *dir;

	dir = debugfs_create_dir(pci_name(gpu->pdev), mock_debugfs_root);
	debugfs_create_file("control", 0200, dir, gpu, &mock_control_fops);
	debugfs_create_file_unsafe("live_events", 0444, dir, &gpu->live_events,
				   &mock_live_events_fops);
	debugfs_create_file_unsafe("guc", 0644, dir, gpu, &mock_guc_fops);
	debugfs_create_file_unsafe("init_gate", 0644, dir, gpu,
				   &mock_init_gate_fops);
	debugfs_create_file_unsafe("init_waiters", 0444, dir,
				   &gpu->init_waiters, &mock_live_events_fops);
	debugfs_create_u32("fdinfo_padding", 0644, dir, &gpu->fdinfo_pad_lines);
	gpu->debugfs = dir;
}

/* ---- PCI driver ----------------------------------------------------- */

/* The engines (uabi order), GTs and memory regions of a new GPU. */
static void mock_gpu_topology(struct mock_gpu *gpu)
{
	static const char * const names[] = MOCK_I915_ENGINE_NAMES;
	static const u8 classes[] = MOCK_I915_ENGINE_CLASSES;
	static const u8 instances[] = MOCK_I915_ENGINE_INSTANCES;
	struct mock_engine *e;
	unsigned int i;

	BUILD_BUG_ON(ARRAY_SIZE(names) != MOCK_I915_NUM_ENGINES);
	BUILD_BUG_ON(ARRAY_SIZE(classes) != MOCK_I915_NUM_ENGINES);
	BUILD_BUG_ON(ARRAY_SIZE(instances) != MOCK_I915_NUM_ENGINES);
	for (i = 0; i < MOCK_I915_NUM_ENGINES + ccs; i++) {
		e = &gpu->engines[i];
		if (i < MOCK_I915_NUM_ENGINES) {
			strscpy(e->name, names[i], sizeof(e->name));
			e->class = classes[i];
			e->instance = instances[i];
		} else {
			e->instance = i - MOCK_I915_NUM_ENGINES;
			e->class = I915_ENGINE_CLASS_COMPUTE;
			snprintf(e->name, sizeof(e->name), "ccs%u", e->instance);
		}
		gpu->class_capacity[e->class]++;
	}
	gpu->nr_engines = i;
	gpu->nr_gts = gts;

	if (mock_is_igp(gpu->pdev)) {
		gpu->regions = mock_regions_igp;
		gpu->nr_regions = ARRAY_SIZE(mock_regions_igp);
	} else {
		gpu->regions = mock_regions_dgfx;
		gpu->nr_regions = ARRAY_SIZE(mock_regions_dgfx);
	}
}

static void mock_gpu_release(struct drm_device *drm, void *data)
{
	mock_pmu_free(data);
}

static int mock_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct mock_gpu *gpu;
	int ret;

	gpu = devm_drm_dev_alloc(&pdev->dev, &mock_drm_driver, struct mock_gpu,
				 drm);
	if (IS_ERR(gpu))
		return PTR_ERR(gpu);
	gpu->pdev = pdev;
	mock_gpu_topology(gpu);
	raw_spin_lock_init(&gpu->lock);
	atomic_set(&gpu->live_events, 0);
	atomic_set(&gpu->init_waiters, 0);
	pci_set_drvdata(pdev, gpu);

	ret = drmm_add_action_or_reset(&gpu->drm, mock_gpu_release, gpu);
	if (ret)
		return ret;

	/* As i915: the PMU first, then the DRM device. */
	ret = mock_pmu_register(gpu);
	if (ret)
		return ret;

	ret = drm_dev_register(&gpu->drm, 0);
	if (ret) {
		mock_pmu_unregister(gpu);
		return ret;
	}

	mock_debugfs_add(gpu);
	return 0;
}

static void mock_remove(struct pci_dev *pdev)
{
	struct mock_gpu *gpu = pci_get_drvdata(pdev);

	debugfs_remove_recursive(gpu->debugfs);
	gpu->debugfs = NULL;
	/* As i915_driver_unregister(): the PMU, then unplug the DRM device. */
	mock_pmu_unregister(gpu);
	drm_dev_unplug(&gpu->drm);
}

/*
 * No MODULE_DEVICE_TABLE: the tests load the mock by hand, and no real
 * e1000 NIC must ever get it loaded for it by udev.
 */
static const struct pci_device_id mock_pci_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_INTEL, MOCK_E1000_DEVICE_ID) },
	{ PCI_DEVICE(MOCK_QEMU_VENDOR_ID, MOCK_EDU_DEVICE_ID) },
	{ }
};

static struct pci_driver mock_pci_driver = {
	.name		= "i915",
	.id_table	= mock_pci_ids,
	.probe		= mock_probe,
	.remove		= mock_remove,
};

static int __init mock_init(void)
{
	int ret;

	if (ccs > MOCK_I915_MAX_CCS || !gts || gts > MOCK_KERNEL_MAX_GTS)
		return -EINVAL;
	ret = mock_pmu_init_cpumask(pmu_cpu);
	if (ret)
		return ret;

	mock_debugfs_root = debugfs_create_dir("mock_i915", NULL);
	debugfs_create_file_unsafe("live_events", 0444, mock_debugfs_root,
				   &mock_live_events_total,
				   &mock_live_events_fops);
#ifndef MOCK_PMU_SYS_WIDE
	debugfs_create_file_unsafe("pmu_cpu", 0644, mock_debugfs_root, NULL,
				   &mock_pmu_cpu_fops);
#endif

	ret = pci_register_driver(&mock_pci_driver);
	if (ret) {
		debugfs_remove_recursive(mock_debugfs_root);
		mock_pmu_exit();
	}
	return ret;
}

static void __exit mock_exit(void)
{
	pci_unregister_driver(&mock_pci_driver);
	debugfs_remove_recursive(mock_debugfs_root);
	mock_pmu_exit();
	/* the struct pmu of each GPU is freed after a grace period */
	rcu_barrier();
}

module_init(mock_init);
module_exit(mock_exit);

MODULE_DESCRIPTION("Mock i915 GPU (PMU, DRM fdinfo) for nsgpuperf selftests");
MODULE_LICENSE("GPL");
