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
 * - 6.12: drm_open() wants FOP_UNSIGNED_OFFSET in the driver's fops (it
 *   set FMODE_UNSIGNED_OFFSET itself before).
 * - 6.14: drm_driver.date is gone.
 * - 6.15: i915 drops its cpumask (and the event_init check against it)
 *   for PERF_PMU_SCOPE_SYS_WIDE; perf core then provides "cpumask".
 * - 6.16: perf_pmu_unregister() returns int and revokes live events.
 *
 * Needing no code: i915's PMU name rule moved from is_igp() to IS_DGFX()
 * in 6.13, which for the mock (integrated = slot 0000:00:02.0) names the
 * same; the multi-GT config bits (6.5) change neither names nor configs of
 * a single-GT device, and reject a non-zero GT with ENOENT either way.
 */
#ifndef MOCK_COMPAT_H
#define MOCK_COMPAT_H

#include <linux/perf_event.h>
#include <linux/printk.h>
#include <linux/version.h>

#if KERNEL_VERSION(6, 5, 0) <= LINUX_VERSION_CODE
#define MOCK_DRM_SHOW_FDINFO	1
#define MOCK_GUC_HIDES_ENGINES	0
#else
#define MOCK_GUC_HIDES_ENGINES	1
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
