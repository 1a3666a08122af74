// SPDX-License-Identifier: GPL-2.0
/*
 * The mock GPU's DRM driver "i915": a card and a render node whose open
 * files are DRM clients with per-engine-class busy time, printed in
 * fdinfo as i915 prints it, and a mock ioctl for a client to add busy time
 * to itself.
 */
#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_print.h>
#include <uapi/drm/i915_drm.h>

#include "mock_compat.h"
#include "mock_i915.h"

struct mock_client {
	u32 id;		/* i915's own id, before 6.5 */
	atomic64_t busy_ns[MOCK_I915_NUM_CLASSES];
};

static const char * const mock_class_names[] = MOCK_I915_CLASS_NAMES;
static const unsigned int mock_class_capacity[] = MOCK_I915_CLASS_CAPACITY;

static int mock_drm_open(struct drm_device *drm, struct drm_file *file)
{
	struct mock_gpu *gpu = to_mock_gpu(drm);
	struct mock_client *client;

	client = kzalloc(sizeof(*client), GFP_KERNEL);
	if (!client)
		return -ENOMEM;
	spin_lock_irq(&gpu->lock);
	client->id = gpu->next_client_id++;
	spin_unlock_irq(&gpu->lock);
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

	if (arg->pad || arg->engine_class >= MOCK_I915_NUM_CLASSES)
		return -EINVAL;
	atomic64_add(arg->busy_ns, &client->busy_ns[arg->engine_class]);
	return 0;
}

static const struct drm_ioctl_desc mock_ioctls[] = {
	DRM_IOCTL_DEF_DRV(MOCK_I915_ADD_BUSY, mock_add_busy_ioctl,
			  DRM_RENDER_ALLOW),
};

/*
 * i915_drm_client_fdinfo()'s engine part: per class with engines, the
 * busy time, and the capacity where a class has more than one engine.
 */
static int mock_fdinfo_engines(struct mock_client *client, char *buf,
			       size_t size)
{
	int len = 0;
	unsigned int i;

	BUILD_BUG_ON(ARRAY_SIZE(mock_class_names) != MOCK_I915_NUM_CLASSES);
	BUILD_BUG_ON(ARRAY_SIZE(mock_class_capacity) != MOCK_I915_NUM_CLASSES);
	for (i = 0; i < MOCK_I915_NUM_CLASSES; i++) {
		if (!mock_class_capacity[i])
			continue;
		len += scnprintf(buf + len, size - len, "drm-engine-%s:\t%llu ns\n",
				 mock_class_names[i],
				 (u64)atomic64_read(&client->busy_ns[i]));
		if (mock_class_capacity[i] > 1)
			len += scnprintf(buf + len, size - len,
					 "drm-engine-capacity-%s:\t%u\n",
					 mock_class_names[i],
					 mock_class_capacity[i]);
	}
	return len;
}

#ifdef MOCK_DRM_SHOW_FDINFO
/* 6.5+: drm_show_fdinfo() printed drm-driver, drm-client-id, drm-pdev. */
static void mock_drm_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	char buf[256];

	mock_fdinfo_engines(file->driver_priv, buf, sizeof(buf));
	drm_printf(p, "%s", buf);
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
	char buf[256];

	seq_printf(m, "drm-driver:\t%s\n", gpu->drm.driver->name);
	seq_printf(m, "drm-pdev:\t%04x:%02x:%02x.%d\n",
		   pci_domain_nr(pdev->bus), pdev->bus->number,
		   PCI_SLOT(pdev->devfn), PCI_FUNC(pdev->devfn));
	seq_printf(m, "drm-client-id:\t%u\n", client->id);

	if (MOCK_GUC_HIDES_ENGINES && READ_ONCE(gpu->guc))
		return;

	mock_fdinfo_engines(client, buf, sizeof(buf));
	seq_puts(m, buf);
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
