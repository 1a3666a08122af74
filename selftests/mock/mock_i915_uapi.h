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
 *   <config> is the i915 perf config (decimal or 0x hex), GT bits included
 *   with two GTs; an unknown command or config fails with EINVAL.
 *   ".../<pci name>/live_events"  read: live perf events on this GPU's PMU
 *   ".../<pci name>/guc"          read/write 0 or 1: GuC submission mode
 *                                  (kernels < 6.5 then print no
 *                                  drm-engine-* fdinfo lines, as i915 did)
 *   ".../<pci name>/init_gate"    read/write 0 or 1: while 1, the PMU's
 *                                  event_init waits (up to 60 s) as xe's
 *                                  does while it wakes the GPU
 *   ".../<pci name>/init_waiters" read: event_init calls waiting there
 *   ".../<pci name>/fdinfo_padding" read/write N: the fdinfo of clients
 *                                  opened from now on ends with N more
 *                                  lines (about 24 bytes each), to make it
 *                                  larger than a reader expects
 *   MOCK_I915_DEBUGFS_DIR "/live_events"  read: live events, every GPU
 *   MOCK_I915_DEBUGFS_DIR "/pmu_cpu"      read/write (kernels < 6.15 only):
 *                                  the CPU of the PMUs' cpumask; a write
 *                                  moves it as CPU hotplug would (the
 *                                  cpumask also follows hotplug, as i915's)
 *
 * Per-client busy time (DRM fdinfo drm-engine-<class>): the
 * DRM_IOCTL_MOCK_I915_ADD_BUSY ioctl on a render or card node fd adds
 * busy_ns to that client's engine class.
 *
 * Per-client memory (DRM fdinfo drm-{total,shared,active,resident,
 * purgeable}-<region>, printed from 6.8 as i915 does): the
 * DRM_IOCTL_MOCK_I915_SET_MEMORY ioctl sets that client's byte counts in
 * one memory region of its GPU.
 *
 * Topology (module parameters, every GPU alike): "ccs=N" adds compute
 * engines ccs0..ccs<N-1> (N <= MOCK_I915_MAX_CCS); "gts=2" gives each GPU
 * a second GT, with i915's "-gt<N>" event names and GT config bits, on
 * kernels whose i915 has them (6.5+; elsewhere loading fails with EINVAL).
 * The default is the topology below: five engines, one GT.
 */
#ifndef MOCK_I915_UAPI_H
#define MOCK_I915_UAPI_H

#include <drm/drm.h>

#define MOCK_I915_DEBUGFS_DIR	"/sys/kernel/debug/mock_i915"
/* printf format of a GPU's debugfs directory, from its PCI name */
#define MOCK_I915_DEBUGFS_FMT	MOCK_I915_DEBUGFS_DIR "/%s"

/* engine_class: I915_ENGINE_CLASS_RENDER (0) .. _COMPUTE (4), an engine
 * class the GPU has; pad must be 0.
 */
struct mock_i915_add_busy {
	__u32 engine_class;
	__u32 pad;
	__u64 busy_ns;
};

/*
 * region: index into the GPU's memory regions in fdinfo order,
 * MOCK_I915_REGIONS_IGP at the integrated slot, else
 * MOCK_I915_REGIONS_DGFX; pad must be 0.  drm-total-<region> is
 * private_bytes + shared_bytes.
 */
struct mock_i915_set_memory {
	__u32 region;
	__u32 pad;
	__u64 private_bytes;
	__u64 shared_bytes;
	__u64 resident_bytes;
	__u64 purgeable_bytes;
	__u64 active_bytes;
};

#define DRM_MOCK_I915_SET_MEMORY	0x3e
#define DRM_MOCK_I915_ADD_BUSY		0x3f
#define DRM_IOCTL_MOCK_I915_ADD_BUSY	\
	DRM_IOW(DRM_COMMAND_BASE + DRM_MOCK_I915_ADD_BUSY, struct mock_i915_add_busy)
#define DRM_IOCTL_MOCK_I915_SET_MEMORY	\
	DRM_IOW(DRM_COMMAND_BASE + DRM_MOCK_I915_SET_MEMORY, \
		struct mock_i915_set_memory)

/*
 * The engines of every mock GPU in the default topology, in i915's uabi
 * order: names (as in the PMU's event names), uabi classes
 * (I915_ENGINE_CLASS_*) and instances.  "ccs=N" appends ccs0..ccs<N-1>
 * (class 4, instances 0..N-1).
 */
#define MOCK_I915_NUM_ENGINES		5
#define MOCK_I915_ENGINE_NAMES		{ "rcs0", "bcs0", "vcs0", "vcs1", "vecs0" }
#define MOCK_I915_ENGINE_CLASSES	{ 0, 1, 2, 2, 3 }
#define MOCK_I915_ENGINE_INSTANCES	{ 0, 0, 0, 1, 0 }
#define MOCK_I915_MAX_CCS		4
#define MOCK_I915_MAX_GTS		2

/* fdinfo engine classes (drm-engine-<name>), indexed by uabi class, and
 * their engine counts in the default topology (0: no fdinfo line)
 */
#define MOCK_I915_NUM_CLASSES		5
#define MOCK_I915_CLASS_NAMES		{ "render", "copy", "video", \
					  "video-enhance", "compute" }
#define MOCK_I915_CLASS_CAPACITY	{ 1, 1, 2, 1, 0 }

/* fdinfo memory regions, as i915 names them (intel_memory_region) */
#define MOCK_I915_REGIONS_IGP		{ "system0", "stolen-system0" }
#define MOCK_I915_REGIONS_DGFX		{ "system0", "local0", "stolen-local0" }
#define MOCK_I915_MAX_REGIONS		3

#endif /* MOCK_I915_UAPI_H */
