// SPDX-License-Identifier: GPL-2.0
/*
 * The mock GPU's DRM driver "i915": a card and a render node whose open
 * files are DRM clients with per-engine-class busy time and per-region
 * memory, printed in fdinfo as i915 prints them, and mock ioctls for a
 * client to add busy time and set its memory.
 */
#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_print.h>
#include <uapi/drm/i915_drm.h>

#include "mock_compat.h"
#include "mock_i915.h"

struct mock_client {
	u32 id;		/* i915's own id, before 6.5 */
	atomic64_t busy_ns[MOCK_I915_NUM_CLASSES];
	spinlock_t mem_lock;	/* mem */
	struct mock_i915_set_memory mem[MOCK_I915_MAX_REGIONS];
	u32 pad_lines;	/* the GPU's fdinfo_padding when it opened */
};

/* i915_drm_client.c's uabi_class_names */
static const char * const mock_class_names[] = MOCK_I915_CLASS_NAMES;

static int mock_drm_open(struct drm_device *drm, struct drm_file *file)
{
	struct mock_gpu *gpu = to_mock_gpu(drm);
	struct mock_client *client;

	client = kzalloc(sizeof(*client), GFP_KERNEL);
	if (!client)
		return -ENOMEM;
	spin_lock_init(&client->mem_lock);
	raw_spin_lock_irq(&gpu->lock);
	client->id = gpu->next_client_id++;
	client->pad_lines = READ_ONCE(gpu->fdinfo_pad_lines);
	raw_spin_unlock_irq(&gpu->lock);
	file->driver_priv = client;
	return 0;
}

static void mock_drm_postclose(struct drm_device *drm, struct drm_file *file)
{
	kfree(file->driver_priv);
}

static int mock_add_busy_ioctl(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	struct mock_i915_add_busy *arg = data;
	struct mock_client *client = file->driver_priv;
	struct mock_gpu *gpu = to_mock_gpu(drm);

	if (arg->pad || arg->engine_class >= MOCK_I915_NUM_CLASSES ||
	    !gpu->class_capacity[arg->engine_class])
		return -EINVAL;
	atomic64_add(arg->busy_ns, &client->busy_ns[arg->engine_class]);
	return 0;
}

static int mock_set_memory_ioctl(struct drm_device *drm, void *data,
				 struct drm_file *file)
{
	struct mock_i915_set_memory *arg = data;
	struct mock_client *client = file->driver_priv;

	if (arg->pad || arg->region >= to_mock_gpu(drm)->nr_regions)
		return -EINVAL;
	spin_lock(&client->mem_lock);
	client->mem[arg->region] = *arg;
	spin_unlock(&client->mem_lock);
	return 0;
}

static const struct drm_ioctl_desc mock_ioctls[] = {
	DRM_IOCTL_DEF_DRV(MOCK_I915_SET_MEMORY, mock_set_memory_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(MOCK_I915_ADD_BUSY, mock_add_busy_ioctl,
			  DRM_RENDER_ALLOW),
};

/*
 * i915_drm_client_fdinfo(): the memory of each region (6.8+: show_meminfo()
 * with the stats i915 supports), then per class with engines the busy
 * time, and the capacity where a class has more than one engine.
 */
static void mock_fdinfo_client(struct drm_printer *p, struct mock_gpu *gpu,
			       struct mock_client *client)
{
	unsigned int i;

#ifdef MOCK_FDINFO_MEMORY
	for (i = 0; i < gpu->nr_regions; i++) {
		struct drm_memory_stats stats;

		spin_lock(&client->mem_lock);
		stats = (struct drm_memory_stats) {
			.private = client->mem[i].private_bytes,
			.shared = client->mem[i].shared_bytes,
			.resident = client->mem[i].resident_bytes,
			.purgeable = client->mem[i].purgeable_bytes,
			.active = client->mem[i].active_bytes,
		};
		spin_unlock(&client->mem_lock);
		drm_print_memory_stats(p, &stats, MOCK_MEMORY_STATUS,
				       gpu->regions[i]);
	}
#endif

	BUILD_BUG_ON(ARRAY_SIZE(mock_class_names) != MOCK_I915_NUM_CLASSES);
	for (i = 0; i < MOCK_I915_NUM_CLASSES; i++) {
		unsigned int capacity = gpu->class_capacity[i];

		if (capacity)
			drm_printf(p, "drm-engine-%s:\t%llu ns\n",
				   mock_class_names[i],
				   (u64)atomic64_read(&client->busy_ns[i]));
		if (capacity > 1)
			drm_printf(p, "drm-engine-capacity-%s:\t%u\n",
				   mock_class_names[i], capacity);
	}
	/* a client whose fdinfo is larger than a reader's buffer */
	for (i = 0; i < client->pad_lines; i++)
		drm_printf(p, "drm-mock-padding-%u:\t0\n", i);
}

#ifdef MOCK_DRM_SHOW_FDINFO
/* 6.5+: drm_show_fdinfo() printed drm-driver, drm-client-id, drm-pdev. */
static void mock_drm_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	mock_fdinfo_client(p, to_mock_gpu(file->minor->dev), file->driver_priv);
}

#define MOCK_FOPS_SHOW_FDINFO	drm_show_fdinfo
#define MOCK_DRIVER_SHOW_FDINFO	.show_fdinfo = mock_drm_show_fdinfo,
#else
/* Before 6.5 i915 printed every key itself, and no engines under GuC. */
static void mock_fops_show_fdinfo(struct seq_file *m, struct file *f)
{
	struct drm_file *file = f->private_data;
	struct mock_client *client = file->driver_priv;
	struct mock_gpu *gpu = to_mock_gpu(file->minor->dev);
	struct pci_dev *pdev = gpu->pdev;
	struct drm_printer p = drm_seq_file_printer(m);

	seq_printf(m, "drm-driver:\t%s\n", gpu->drm.driver->name);
	seq_printf(m, "drm-pdev:\t%04x:%02x:%02x.%d\n",
		   pci_domain_nr(pdev->bus), pdev->bus->number,
		   PCI_SLOT(pdev->devfn), PCI_FUNC(pdev->devfn));
	seq_printf(m, "drm-client-id:\t%u\n", client->id);

	if (MOCK_GUC_HIDES_ENGINES && READ_ONCE(gpu->guc))
		return;

	mock_fdinfo_client(&p, gpu, client);
}

#define MOCK_FOPS_SHOW_FDINFO	mock_fops_show_fdinfo
#define MOCK_DRIVER_SHOW_FDINFO
#endif

static const struct file_operations mock_drm_fops = {
	.owner		= THIS_MODULE,
	.open		= drm_open,
	.release	= drm_release,
	.unlocked_ioctl	= drm_ioctl,
	.compat_ioctl	= drm_compat_ioctl,
	.poll		= drm_poll,
	.read		= drm_read,
	.llseek		= noop_llseek,
	.show_fdinfo	= MOCK_FOPS_SHOW_FDINFO,
	MOCK_DRM_FOP_FLAGS
};

const struct drm_driver mock_drm_driver = {
	.driver_features	= DRIVER_RENDER,
	.open			= mock_drm_open,
	.postclose		= mock_drm_postclose,
	MOCK_DRIVER_SHOW_FDINFO
	.ioctls			= mock_ioctls,
	.num_ioctls		= ARRAY_SIZE(mock_ioctls),
	.fops			= &mock_drm_fops,
	.name			= "i915",
	.desc			= "Intel Graphics",
	MOCK_DRM_DRIVER_DATE
	.major			= 1,
	.minor			= 6,
	.patchlevel		= 0,
};
