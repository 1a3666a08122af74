/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels nsgpuperf builds for (6.1, 6.12,
 * 7.x) lives here, keyed on LINUX_VERSION_CODE or, where distributions
 * backport the API, on a NSGP_HAVE_* feature test that Kbuild greps from
 * the kernel's headers; no other file tests the kernel version.
 *
 * Differences that need no code because the types follow each other:
 * - 6.4 made struct device::bus and the bus_*() helpers take a
 *   const struct bus_type *; the module only ever passes a device's own
 *   ->bus back to bus_find_device_by_name(), so both spellings work.
 * - 6.12 removed no_llseek; the module's files leave .llseek unset.
 */
#ifndef NSGP_COMPAT_H
#define NSGP_COMPAT_H

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/perf_event.h>
#include <linux/rcupdate.h>
#include <linux/version.h>
#include <linux/workqueue.h>

#include <drm/drm_file.h>

/*
 * capable_wrt_inode_uidgid(): since 6.3 its first argument is the mount's
 * struct mnt_idmap (file_mnt_idmap()); before, the mount's
 * struct user_namespace (file_mnt_user_ns()).
 */
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
static inline bool nsgp_capable_wrt_file(struct file *file, int cap)
{
	return capable_wrt_inode_uidgid(file_mnt_idmap(file), file_inode(file),
					cap);
}
#else
static inline bool nsgp_capable_wrt_file(struct file *file, int cap)
{
	return capable_wrt_inode_uidgid(file_mnt_user_ns(file),
					file_inode(file), cap);
}
#endif

/*
 * drm_file::pid: the opening thread's struct pid until 6.7; since then an
 * __rcu pointer to the tgid of the last ioctl caller.  Call under RCU.
 */
#if KERNEL_VERSION(6, 7, 0) <= LINUX_VERSION_CODE
static inline struct pid *nsgp_drm_file_pid(struct drm_file *dfile)
{
	return rcu_dereference(dfile->pid);
}
#else
static inline struct pid *nsgp_drm_file_pid(struct drm_file *dfile)
{
	return dfile->pid;
}
#endif

/*
 * A reference on a file that may be on its way to release: struct file's
 * atomic_long_t f_count became file_ref_t f_ref in 6.13.
 */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
static inline bool nsgp_get_file_live(struct file *f)
{
	return file_ref_get(&f->f_ref);
}
#else
static inline bool nsgp_get_file_live(struct file *f)
{
	return atomic_long_inc_not_zero(&f->f_count);
}
#endif

/*
 * PERF_EV_CAP_READ_SCOPE (6.12, used by i915 from 6.15): the event reads
 * locally on any CPU of its scope; before, a read from another CPU than the
 * event's is a cross-CPU call.
 */
#ifdef PERF_EV_CAP_READ_SCOPE
static inline bool nsgp_event_reads_anywhere(const struct perf_event *event)
{
	return event->event_caps & PERF_EV_CAP_READ_SCOPE;
}
#else
static inline bool nsgp_event_reads_anywhere(const struct perf_event *event)
{
	return false;
}
#endif

/*
 * AUX pause and resume (6.13, in Debian's 6.12): perf_event_attr's
 * aux_action bits and the checks perf_event_alloc() makes of them, which
 * a kernel counter never reaches (perf_event_create_kernel_counter()
 * refuses every AUX bit with EINVAL).  Before, the bits are reserved and
 * perf_copy_attr() refuses them.
 */
#ifdef PERF_PMU_CAP_AUX_PAUSE
static inline bool nsgp_attr_has_aux_action(const struct perf_event_attr *a)
{
	return a->aux_action;
}

static inline void nsgp_attr_clear_aux_action(struct perf_event_attr *a)
{
	a->aux_action = 0;
}

static inline int nsgp_attr_check_aux_action(const struct perf_event_attr *a,
					     u32 pmu_caps)
{
	if (a->aux_output && (a->aux_pause || a->aux_resume))
		return -EOPNOTSUPP;
	if (a->aux_pause && a->aux_resume)
		return -EINVAL;
	if (a->aux_start_paused && !(pmu_caps & PERF_PMU_CAP_AUX_PAUSE))
		return -EOPNOTSUPP;
	return 0;
}
#else
static inline bool nsgp_attr_has_aux_action(const struct perf_event_attr *a)
{
	return false;
}

static inline void nsgp_attr_clear_aux_action(struct perf_event_attr *a)
{
}

static inline int nsgp_attr_check_aux_action(const struct perf_event_attr *a,
					     u32 pmu_caps)
{
	return 0;
}
#endif

/*
 * system_dfl_wq: the unbound system workqueue's name since 6.17 (Debian's
 * 6.12 has it too); 7.x warns, once per work function, about work queued
 * on system_unbound_wq.  Before, only the old name exists.
 */
#ifndef NSGP_HAVE_SYSTEM_DFL_WQ
#define system_dfl_wq system_unbound_wq
#endif

#endif /* NSGP_COMPAT_H */
