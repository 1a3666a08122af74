/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The test interface of the mock i915 GPU (mock_i915.ko), shared by the
 * module and the selftests.  Builds in userspace with <drm/drm.h> from the
 * kernel uapi headers or libdrm-dev.
 *
 * Counters (per GPU, debugfs, root only):
 *   MOCK_I915_DEBUGFS_DIR "/<pci name>/control"   write, one command a write:
 *     "set <config> <value>"       the event's absolute counter := value
 *     "add <config> <delta>"       the event's counter += delta
 *     "rate <config> <per_second>" the counter advances by per_second each
 *                                  second from now on (0 stops); frequency
 *                                  counters count MHz x seconds, as i915's
 *   <config> is the i915 perf config (decimal or 0x hex); an unknown command
 *   or config fails with EINVAL.
 *   ".../<pci name>/live_events"  read: live perf events on this GPU's PMU
 *   ".../<pci name>/guc"          read/write 0 or 1: GuC submission mode
 *                                  (kernels < 6.5 then print no
 *                                  drm-engine-* fdinfo lines, as i915 did)
 *   ".../<pci name>/init_gate"    read/write 0 or 1: while 1, the PMU's
 *                                  event_init waits (up to 60 s) as xe's
 *                                  does while it wakes the GPU
 *   ".../<pci name>/init_waiters" read: event_init calls waiting there
 *   MOCK_I915_DEBUGFS_DIR "/live_events"  read: live events, every GPU
 *   MOCK_I915_DEBUGFS_DIR "/pmu_cpu"      read/write (kernels < 6.15 only):
 *                                  the CPU of the PMUs' cpumask; a write
 *                                  moves it as CPU hotplug would (the
 *                                  cpumask also follows hotplug, as i915's)
 *
 * Per-client busy time (DRM fdinfo drm-engine-<class>): the
 * DRM_IOCTL_MOCK_I915_ADD_BUSY ioctl on a render or card node fd adds
 * busy_ns to that client's engine class.
 */
#ifndef MOCK_I915_UAPI_H
#define MOCK_I915_UAPI_H

#include <drm/drm.h>

#define MOCK_I915_DEBUGFS_DIR	"/sys/kernel/debug/mock_i915"
/* printf format of a GPU's debugfs directory, from its PCI name */
#define MOCK_I915_DEBUGFS_FMT	MOCK_I915_DEBUGFS_DIR "/%s"

/* engine_class: I915_ENGINE_CLASS_RENDER (0), _COPY (1), _VIDEO (2),
 * _VIDEO_ENHANCE (3); pad must be 0.
 */
struct mock_i915_add_busy {
	__u32 engine_class;
	__u32 pad;
	__u64 busy_ns;
};

#define DRM_MOCK_I915_ADD_BUSY		0x3f
#define DRM_IOCTL_MOCK_I915_ADD_BUSY	\
	DRM_IOW(DRM_COMMAND_BASE + DRM_MOCK_I915_ADD_BUSY, struct mock_i915_add_busy)

/*
 * The engines of every mock GPU, in i915's uabi order: names (as in the
 * PMU's event names), uabi classes (I915_ENGINE_CLASS_*) and instances.
 */
#define MOCK_I915_NUM_ENGINES		5
#define MOCK_I915_ENGINE_NAMES		{ "rcs0", "bcs0", "vcs0", "vcs1", "vecs0" }
#define MOCK_I915_ENGINE_CLASSES	{ 0, 1, 2, 2, 3 }
#define MOCK_I915_ENGINE_INSTANCES	{ 0, 0, 0, 1, 0 }

/* fdinfo engine classes (drm-engine-<name>), indexed by uabi class */
#define MOCK_I915_NUM_CLASSES		4
#define MOCK_I915_CLASS_NAMES		{ "render", "copy", "video", "video-enhance" }
#define MOCK_I915_CLASS_CAPACITY	{ 1, 1, 2, 1 }

#endif /* MOCK_I915_UAPI_H */
