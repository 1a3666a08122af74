// SPDX-License-Identifier: GPL-2.0
/*
 * Which GPUs a session sees: the one place that decides it.
 *
 * Visibility follows the opener's device cgroup: a GPU is in scope when
 * devcgroup_check_permission() lets the caller read its DRM render node
 * (cgroup v1 "devices" rules and cgroup v2 BPF device programs alike, the
 * rule amdkfd uses).  It is decided at open() for the GPUs present then; a
 * GPU that appears later (or binds again, maybe with other minors) is
 * decided when first named, and only while the caller is still in the
 * cgroup the session was opened in.
 *
 * No device program at all (an unprivileged LXC container without device
 * rules) allows everything, so that alone would fail open.  A session of a
 * non-initial user namespace therefore also needs to have been shown an
 * open fd of the GPU's DRM node in the GPU's current generation
 * (NSGPUPERF_IOC_PRESENT_GPU): something the container really holds.
 */
#include <linux/cgroup.h>
#include <linux/device_cgroup.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>

#include "nsgp.h"

#define NSGP_DRM_MAJOR		226

static bool nsgp_devcg_allows(const struct nsgp_gpu *gpu)
{
	int minor = gpu->render_minor >= 0 ? gpu->render_minor : gpu->card_minor;

	if (minor < 0)
		return false;
	return devcgroup_check_permission(DEVCG_DEV_CHAR, NSGP_DRM_MAJOR, minor,
					  DEVCG_ACC_READ) == 0;
}

static bool nsgp_current_in_session_cgroup(const struct nsgp_session *s)
{
	bool same;

	rcu_read_lock();
	same = task_dfl_cgroup(current) == s->cgrp;
	rcu_read_unlock();
	return same;
}

static bool nsgp_gpu_has_nodes(const struct nsgp_gpu *gpu)
{
	return gpu->render_minor >= 0 || gpu->card_minor >= 0;
}

/*
 * The session's record of a GPU, made current: a record of an older
 * generation is forgotten once the GPU has nodes again (a rebind may give
 * it other minors, and a presented fd was of the old device).  NULL if
 * there is none and it could not be made.
 */
static struct nsgp_gpu_scope *nsgp_gpu_scope(struct nsgp_session *s,
					     const struct nsgp_gpu *gpu)
{
	struct nsgp_gpu_scope *e = xa_load(&s->gpus, gpu->id);

	lockdep_assert_held(&nsgp_lock);
	if (!e) {
		e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
		if (!e)
			return NULL;
		if (xa_err(xa_store(&s->gpus, gpu->id, e, GFP_KERNEL_ACCOUNT))) {
			kfree(e);
			return NULL;
		}
		e->generation = gpu->generation;
	}
	if (e->generation != gpu->generation && nsgp_gpu_has_nodes(gpu)) {
		e->generation = gpu->generation;
		e->decided = false;
		e->devcg_ok = false;
		e->presented = false;
	}
	return e;
}

/**
 * nsgp_session_sees_gpu() - is a GPU in a session's scope
 * @s: the session
 * @gpu: the GPU (its fields are stable: called with nsgp_lock held)
 *
 * Every path from userspace to a GPU goes through here.  Called in the
 * context of the task that issued the call; may sleep.  An unbound GPU
 * keeps the decision of its last generation (it is listed, without
 * counters) until it has nodes again.
 *
 * Return: true if the session may see and use the GPU.
 */
bool nsgp_session_sees_gpu(struct nsgp_session *s, const struct nsgp_gpu *gpu)
{
	struct nsgp_gpu_scope *e = nsgp_gpu_scope(s, gpu);

	if (!e)
		return false;	/* out of memory: fail closed */
	if (!e->decided) {
		/*
		 * Decide only in the cgroup the session was opened in, so that
		 * moving or passing the fd changes nothing; and only once the
		 * GPU has nodes.
		 */
		if (!nsgp_gpu_has_nodes(gpu) || !nsgp_current_in_session_cgroup(s))
			return false;
		e->devcg_ok = nsgp_devcg_allows(gpu);
		e->decided = true;
	}
	return e->devcg_ok && (s->init_userns || e->presented);
}

/* Is @f an open file of the DRM device @drm (any of its minors)? */
static bool nsgp_file_is_drm_node_of(struct file *f, struct drm_device *drm)
{
	struct inode *inode = file_inode(f);
	struct drm_file *dfile;

	if (!S_ISCHR(inode->i_mode) || imajor(inode) != NSGP_DRM_MAJOR)
		return false;
	/* i915 and xe open through drm_open(): private_data is a drm_file */
	if (!f->f_op || f->f_op->open != drm_open)
		return false;
	dfile = f->private_data;
	return dfile && dfile->minor && dfile->minor->dev == drm;
}

/**
 * nsgp_ioctl_present_gpu() - NSGPUPERF_IOC_PRESENT_GPU
 * @s: the session
 * @uarg: struct nsgpuperf_gpu_present
 *
 * Return: 0, -EBADF (not an fd), -ENODEV (not the DRM node of a GPU the
 * session's device cgroup lets it see), or a common error.
 */
long nsgp_ioctl_present_gpu(struct nsgp_session *s, void __user *uarg)
{
	struct nsgpuperf_gpu_present p;
	struct nsgp_gpu_scope *e;
	struct nsgp_gpu *gpu;
	struct file *f;
	bool visible = false;
	u32 usize;
	int ret;

	ret = nsgp_copy_struct_in(&p, sizeof(p), NSGPUPERF_GPU_PRESENT_SIZE_VER1,
				  uarg, &usize);
	if (ret)
		return ret;
	if (p.flags)
		return -EINVAL;
	f = fget(p.drm_fd);	/* O_PATH files are not returned */
	if (!f)
		return -EBADF;

	mutex_lock(&nsgp_lock);
	gpu = nsgp_gpu_find_drm_locked(f, nsgp_file_is_drm_node_of);
	if (gpu) {
		e = nsgp_gpu_scope(s, gpu);
		if (e)
			e->presented = true;
		visible = nsgp_session_sees_gpu(s, gpu);
		p.gpu_id = gpu->id;
	}
	mutex_unlock(&nsgp_lock);
	fput(f);
	if (!visible)
		return -ENODEV;
	return nsgp_copy_struct_out(uarg, usize, &p, sizeof(p));
}
