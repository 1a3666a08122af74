// SPDX-License-Identifier: GPL-2.0
/*
 * nsgpuperf: GPU performance counters for processes in user namespaces.
 *
 * Module entry points, host policy parameters, the /dev/nsgpuperf character
 * device and its ioctl dispatch, and the helpers that copy the size-first
 * argument structs of <linux/nsgpuperf.h> in and out.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/cleanup.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/ioctl.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include "nsgp.h"

bool nsgp_device_counters = true;
module_param_named(device_counters, nsgp_device_counters, bool, 0644);
MODULE_PARM_DESC(device_counters,
		 "Sessions opened from a non-initial user namespace may open device-wide GPU counter groups (default: Y; N makes NSGPUPERF_IOC_OPEN_GROUP, NSGPUPERF_IOC_PERF_OPEN and NSGPUPERF_GROUP_IOC_ADD fail with EACCES for them; it does not revoke groups already open, which keep counting until closed)");

unsigned int nsgp_max_groups_per_container = 64;
module_param_named(max_groups_per_container, nsgp_max_groups_per_container,
		   uint, 0644);
MODULE_PARM_DESC(max_groups_per_container,
		 "Most live counter groups one container may hold, counted over its topmost non-initial user namespace so that child cgroups, nested namespaces and new sessions share it (the host's own sessions share one count); more fail with EMFILE (default: 64; 0: no limit)");

bool nsgp_cgroup_usage = true;
module_param_named(cgroup_usage, nsgp_cgroup_usage, bool, 0644);
MODULE_PARM_DESC(cgroup_usage,
		 "Sessions may query the GPU usage of their scope: their container, or the host for the host's sessions (default: Y)");

/*
 * The device number is fixed so that the line a container's config holds
 * (lxc.cgroup2.devices.allow = c 120:0 rw, and host nodes made for it)
 * stays valid across reboots, module reloads and kernel updates, which a
 * dynamic misc minor does not.  120 is in a range the kernel leaves to
 * local use and never hands out dynamically (Documentation/admin-guide/
 * devices.txt: 60-63, 120-127).
 */
#define NSGP_DEFAULT_MAJOR	120

static unsigned int nsgp_major = NSGP_DEFAULT_MAJOR;
module_param_named(major, nsgp_major, uint, 0444);
MODULE_PARM_DESC(major,
		 "Character major of /dev/nsgpuperf, minor 0 (default: 120, from the range left to local use; 0: a dynamic one, which can change between boots and then breaks device numbers written into container configs)");

/* Largest argument struct size accepted from userspace. */
#define NSGP_MAX_USIZE		PAGE_SIZE

/**
 * nsgp_copy_struct_in() - copy a size-first argument struct from userspace
 * @dst: kernel struct
 * @ksize: sizeof(*@dst)
 * @min_size: size of the struct's first published layout
 *	(NSGPUPERF_*_SIZE_VER1): older callers pass that
 * @uarg: user pointer to the struct, whose first __u32 is its size
 * @usize: returns the size userspace gave
 *
 * A smaller struct than @ksize (but not than @min_size) leaves the fields
 * it lacks zero; a larger one is accepted if the bytes beyond @ksize are
 * zero.
 *
 * Return: 0, -EFAULT, -EINVAL (size below @min_size) or -E2BIG (non-zero
 * tail, or absurdly large size).
 */
int nsgp_copy_struct_in(void *dst, size_t ksize, size_t min_size,
			const void __user *uarg, u32 *usize)
{
	u32 size;

	if (get_user(size, (const u32 __user *)uarg))
		return -EFAULT;
	if (size < min_size)
		return -EINVAL;
	if (size > NSGP_MAX_USIZE)
		return -E2BIG;
	*usize = size;
	return copy_struct_from_user(dst, ksize, uarg, size);
}

/**
 * nsgp_copy_struct_out() - copy a struct back to userspace
 * @uarg: user pointer
 * @usize: size userspace gave (from nsgp_copy_struct_in())
 * @src: kernel struct
 * @ksize: its size
 *
 * Writes min(@usize, @ksize) bytes: an older caller gets the fields of its
 * layout; the tail of a larger user struct was checked to be zero and
 * stays so.
 *
 * Return: 0 or -EFAULT.
 */
int nsgp_copy_struct_out(void __user *uarg, u32 usize, const void *src,
			 size_t ksize)
{
	if (copy_to_user(uarg, src, min_t(size_t, usize, ksize)))
		return -EFAULT;
	return 0;
}

/**
 * nsgp_check_entry_size() - validate the entry size of an output array
 * @count: number of entries the caller has room for
 * @entry_size: size of one entry as the caller knows it
 * @ksize: size of the kernel's entry struct (its first published layout)
 *
 * Return: 0, or -EINVAL if entries would be smaller than the first layout
 * or larger than a page.
 */
int nsgp_check_entry_size(u32 count, u32 entry_size, size_t ksize)
{
	if (!count)
		return 0;
	if (entry_size < ksize || entry_size > NSGP_MAX_USIZE)
		return -EINVAL;
	return 0;
}

/**
 * nsgp_copy_array_out() - copy an array of entries to userspace
 * @uptr: user address of the array
 * @entry_size: size of one user entry (checked by nsgp_check_entry_size())
 * @src: kernel entries
 * @ksize: size of one kernel entry
 * @n: entries to copy
 *
 * Each user entry gets min(@entry_size, @ksize) bytes and the rest zeroed.
 *
 * Return: 0 or -EFAULT.
 */
int nsgp_copy_array_out(u64 uptr, u32 entry_size, const void *src,
			size_t ksize, u32 n)
{
	size_t len = min_t(size_t, entry_size, ksize);
	u32 i;

	for (i = 0; i < n; i++) {
		char __user *dst = u64_to_user_ptr(uptr + (u64)i * entry_size);

		if (copy_to_user(dst, (const char *)src + i * ksize, len))
			return -EFAULT;
		if (entry_size > len && clear_user(dst + len, entry_size - len))
			return -EFAULT;
	}
	return 0;
}

/**
 * nsgp_ioctl_version() - NSGPUPERF_IOC_VERSION
 * @s: the session
 * @uarg: struct nsgpuperf_version
 *
 * Reports the ABI version, the features host policy gives this session,
 * the opener's cgroup and the session's usage scope.
 *
 * Return: 0 or a common error.
 */
static long nsgp_ioctl_version(struct nsgp_session *s, void __user *uarg)
{
	struct nsgpuperf_version *v __free(kfree) = NULL;
	u32 usize;
	int ret;

	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	ret = nsgp_copy_struct_in(v, sizeof(*v), NSGPUPERF_VERSION_SIZE_VER1,
				  uarg, &usize);
	if (ret)
		return ret;
	/* every field but the size is output */
	memset(v, 0, sizeof(*v));
	v->size = usize;
	v->abi_version = NSGPUPERF_ABI_VERSION;
	if (nsgp_session_device_counters(s))
		v->features |= NSGPUPERF_FEAT_DEVICE_COUNTERS;
	if (READ_ONCE(nsgp_cgroup_usage))
		v->features |= NSGPUPERF_FEAT_CGROUP_USAGE;
	if (!s->init_userns)
		v->features |= NSGPUPERF_FEAT_PRESENT_REQUIRED;
	v->cgroup_id = s->cgroup_id;
	nsgp_session_scope_info(s, v);
	return nsgp_copy_struct_out(uarg, usize, v, sizeof(*v));
}

/*
 * An ioctl number without its size bits: a caller built against a newer
 * header passes a larger struct, hence a different _IOC_SIZE; the struct's
 * own size field is what counts.
 */
#define NSGP_IOC_BASE(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

static long nsgp_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct nsgp_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (NSGP_IOC_BASE(cmd)) {
	case NSGP_IOC_BASE(NSGPUPERF_IOC_VERSION):
		return nsgp_ioctl_version(s, uarg);
	case NSGP_IOC_BASE(NSGPUPERF_IOC_LIST_GPUS):
		return nsgp_ioctl_list_gpus(s, uarg);
	case NSGP_IOC_BASE(NSGPUPERF_IOC_LIST_EVENTS):
		return nsgp_ioctl_list_events(s, uarg);
	case NSGP_IOC_BASE(NSGPUPERF_IOC_OPEN_GROUP):
		return nsgp_ioctl_open_group(s, uarg);
	case NSGP_IOC_BASE(NSGPUPERF_IOC_CGROUP_USAGE):
		return nsgp_ioctl_cgroup_usage(s, uarg);
	case NSGP_IOC_BASE(NSGPUPERF_IOC_PRESENT_GPU):
		return nsgp_ioctl_present_gpu(s, uarg);
	case NSGP_IOC_BASE(NSGPUPERF_IOC_PERF_OPEN):
		return nsgp_ioctl_perf_open(s, uarg);
	default:
		return -ENOTTY;
	}
}

static int nsgp_dev_open(struct inode *inode, struct file *file)
{
	struct nsgp_session *s;
	int ret;

	ret = nsgp_access_check(file);
	if (ret)
		return ret;
	s = nsgp_session_create();
	if (IS_ERR(s))
		return PTR_ERR(s);
	file->private_data = s;
	return 0;
}

static int nsgp_dev_release(struct inode *inode, struct file *file)
{
	nsgp_session_put(file->private_data);
	return 0;
}

static const struct file_operations nsgp_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= nsgp_dev_open,
	.release	= nsgp_dev_release,
	.unlocked_ioctl	= nsgp_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct class nsgp_class = {
	.name	= "nsgpuperf",
};

static struct cdev nsgp_cdev;
static dev_t nsgp_devt;

/* The node is made by devtmpfs/udev: 0600, root's (the class sets no mode). */
static int __init nsgp_chrdev_register(void)
{
	struct device *dev;
	int ret;

	if (nsgp_major > 0) {
		nsgp_devt = MKDEV(nsgp_major, 0);
		ret = register_chrdev_region(nsgp_devt, 1, "nsgpuperf");
	} else {
		ret = alloc_chrdev_region(&nsgp_devt, 0, 1, "nsgpuperf");
	}
	if (ret) {
		if (nsgp_major > 0)
			pr_err("character major %u is taken (see /proc/devices): load with major=<a free one from 60-63 or 120-127>\n",
			       nsgp_major);
		return ret;
	}
	cdev_init(&nsgp_cdev, &nsgp_dev_fops);
	nsgp_cdev.owner = THIS_MODULE;
	ret = cdev_add(&nsgp_cdev, nsgp_devt, 1);
	if (ret)
		goto err_region;
	ret = class_register(&nsgp_class);
	if (ret)
		goto err_cdev;
	dev = device_create(&nsgp_class, NULL, nsgp_devt, NULL, "nsgpuperf");
	if (IS_ERR(dev)) {
		ret = PTR_ERR(dev);
		goto err_class;
	}
	return 0;

err_class:
	class_unregister(&nsgp_class);
err_cdev:
	cdev_del(&nsgp_cdev);
err_region:
	unregister_chrdev_region(nsgp_devt, 1);
	return ret;
}

static void nsgp_chrdev_unregister(void)
{
	device_destroy(&nsgp_class, nsgp_devt);
	class_unregister(&nsgp_class);
	cdev_del(&nsgp_cdev);
	unregister_chrdev_region(nsgp_devt, 1);
}

/* The first published layouts stay what the uapi header says. */
static void __init nsgp_abi_checks(void)
{
	BUILD_BUG_ON(NSGPUPERF_VERSION_SIZE_VER1 !=
		     offsetofend(struct nsgpuperf_version, cgroup_id));
	BUILD_BUG_ON(NSGPUPERF_GPU_LIST_SIZE_VER1 !=
		     offsetofend(struct nsgpuperf_gpu_list, gpus));
	BUILD_BUG_ON(NSGPUPERF_GPU_PRESENT_SIZE_VER1 !=
		     offsetofend(struct nsgpuperf_gpu_present, gpu_id));
	BUILD_BUG_ON(NSGPUPERF_EVENT_LIST_SIZE_VER1 !=
		     offsetofend(struct nsgpuperf_event_list, events));
	BUILD_BUG_ON(NSGPUPERF_GROUP_OPEN_SIZE_VER1 !=
		     offsetofend(struct nsgpuperf_group_open, reserved));
	BUILD_BUG_ON(NSGPUPERF_GROUP_ADD_SIZE_VER1 !=
		     offsetofend(struct nsgpuperf_group_add, id));
	BUILD_BUG_ON(NSGPUPERF_CGROUP_USAGE_SIZE_VER1 !=
		     offsetofend(struct nsgpuperf_cgroup_usage, classes));
}

static int __init nsgp_init(void)
{
	int ret;

	nsgp_abi_checks();

	ret = nsgp_gpu_init();
	if (ret)
		return ret;
	ret = nsgp_chrdev_register();
	if (ret) {
		nsgp_gpu_exit();
		return ret;
	}
	return 0;
}

static void __exit nsgp_exit(void)
{
	nsgp_chrdev_unregister();
	nsgp_gpu_exit();
}

module_init(nsgp_init);
module_exit(nsgp_exit);

MODULE_DESCRIPTION("GPU performance counters for processes in user namespaces");
MODULE_AUTHOR("nsgpuperf developers");
MODULE_LICENSE("GPL");
