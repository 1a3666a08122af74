/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference of the mock i915 lives here, as i915
 * itself (and the kernel around it) behaves on each kernel; no other file
 * of the mock tests LINUX_VERSION_CODE.
 *
 * - 6.5: DRM core prints the common fdinfo keys (drm_show_fdinfo()) and
 *   calls drm_driver.show_fdinfo(drm_printer, drm_file); drm_file has a
 *   client_id.  Before, i915 printed everything from its own
 *   file_operations.show_fdinfo(seq_file, file), with its own u32 client
 *   ids, and printed no engine lines at all with GuC submission.
 * - 6.5: i915's PMU configs carry a GT id in bits 60+ (__I915_PMU_GT_SHIFT,
 *   a feature test below), and a device with two GTs names its per-GT
 *   events "<name>-gt<N>".  Before, i915 knew no GT bits: a config using
 *   them was unknown (ENOENT), which is what decoding them with one GT
 *   gives, so the upstream names are defined for that decoding and a
 *   second GT is refused.
 * - 6.8: i915 prints per-region memory stats in fdinfo with DRM core's
 *   drm_print_memory_stats() (helper from 6.5; i915 commit 968853033d8a,
 *   "drm/i915: Implement fdinfo memory stats printing").
 * - 6.14: the helper prints drm-active-<region> only for drivers that say
 *   they track it (bebf2ebd70f2, "drm: make drm-active- stats optional"),
 *   and i915 says so.
 * - 6.12: drm_open() wants FOP_UNSIGNED_OFFSET in the driver's fops (it
 *   set FMODE_UNSIGNED_OFFSET itself before).
 * - 6.14: drm_driver.date is gone.
 * - 6.15: i915 drops its cpumask (and the event_init check against it)
 *   for PERF_PMU_SCOPE_SYS_WIDE; perf core then provides "cpumask".
 * - 6.16: perf_pmu_unregister() returns int and revokes live events.
 *
 * Needing no code: i915's PMU name rule moved from is_igp() to IS_DGFX()
 * in 6.13, which for the mock (integrated = slot 0000:00:02.0) names the
 * same.
 */
#ifndef MOCK_COMPAT_H
#define MOCK_COMPAT_H

#include <linux/perf_event.h>
#include <linux/printk.h>
#include <linux/version.h>
#include <uapi/drm/i915_drm.h>

#if KERNEL_VERSION(6, 5, 0) <= LINUX_VERSION_CODE
#define MOCK_DRM_SHOW_FDINFO	1
#define MOCK_GUC_HIDES_ENGINES	0
#else
#define MOCK_GUC_HIDES_ENGINES	1
#endif

#ifdef __I915_PMU_GT_SHIFT
#define MOCK_KERNEL_MAX_GTS	2
#else
#define MOCK_KERNEL_MAX_GTS	1
#define __I915_PMU_GT_SHIFT	(60)
#define ___I915_PMU_OTHER(gt, x)	(__I915_PMU_OTHER(x) | \
					 ((__u64)(gt) << __I915_PMU_GT_SHIFT))
#endif

#if KERNEL_VERSION(6, 8, 0) <= LINUX_VERSION_CODE
#define MOCK_FDINFO_MEMORY	1
#endif

/* The drm_gem_object_status bits i915 passes to drm_print_memory_stats(). */
#if KERNEL_VERSION(6, 14, 0) <= LINUX_VERSION_CODE
#define MOCK_MEMORY_STATUS	(DRM_GEM_OBJECT_RESIDENT | \
				 DRM_GEM_OBJECT_PURGEABLE | DRM_GEM_OBJECT_ACTIVE)
#else
#define MOCK_MEMORY_STATUS	(DRM_GEM_OBJECT_RESIDENT | DRM_GEM_OBJECT_PURGEABLE)
#endif

#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
#define MOCK_DRM_FOP_FLAGS	.fop_flags = FOP_UNSIGNED_OFFSET,
#else
#define MOCK_DRM_FOP_FLAGS
#endif

#if KERNEL_VERSION(6, 14, 0) <= LINUX_VERSION_CODE
#define MOCK_DRM_DRIVER_DATE
#else
#define MOCK_DRM_DRIVER_DATE	.date = "20201103",
#endif

#if KERNEL_VERSION(6, 15, 0) <= LINUX_VERSION_CODE
#define MOCK_PMU_SYS_WIDE	1
#endif

static inline void mock_perf_pmu_unregister(struct pmu *pmu)
{
#if KERNEL_VERSION(6, 16, 0) <= LINUX_VERSION_CODE
	int ret = perf_pmu_unregister(pmu);

	if (ret)
		pr_err("mock_i915: perf_pmu_unregister(%s): %d\n", pmu->name, ret);
#else
	perf_pmu_unregister(pmu);
#endif
}

#endif /* MOCK_COMPAT_H */
