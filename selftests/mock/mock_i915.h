/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mock_i915.ko: a mock Intel GPU that looks like i915 wherever nsgpuperf
 * or intel_gpu_top can notice, for tests in QEMU.  It binds, as PCI driver
 * "i915", QEMU's e1000 (vendor Intel, as every device i915 binds) and
 * QEMU's edu (vendor 1234: a non-Intel "i915" that consumers must ignore),
 * and per device registers:
 *
 * - a perf PMU with i915's name rule ("i915" at 0000:00:02.0, else
 *   "i915_<pci name, ':' -> '_'>"), config encoding (GT bits included),
 *   sysfs events/ (named per engine and, with two GTs, per GT), format/ and
 *   cpumask (up to 6.14), event_init checks and errnos, and
 *   closed-on-unbind behaviour;
 * - a DRM device named "i915" (card and render node) with i915's per-client
 *   fdinfo usage and memory stats;
 * - debugfs controls to drive the counters, and ioctls for client busy
 *   time and memory (mock_i915_uapi.h).
 *
 * The topology (compute engines, GTs) is set by module parameters.
 *
 * The counters are computed at read time from ktime: exact and
 * deterministic, no sampling timer.
 */
#ifndef MOCK_I915_H
#define MOCK_I915_H

#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <drm/drm_device.h>

#include "mock_i915_uapi.h"

#define MOCK_NUM_SAMPLES	3	/* I915_SAMPLE_BUSY, _WAIT, _SEMA */
#define MOCK_NUM_OTHERS		5	/* ___I915_PMU_OTHER(gt, 0..4) */
#define MOCK_MAX_ENGINES	(MOCK_I915_NUM_ENGINES + MOCK_I915_MAX_CCS)
#define MOCK_NUM_COUNTERS	(MOCK_MAX_ENGINES * MOCK_NUM_SAMPLES + \
				 MOCK_I915_MAX_GTS * MOCK_NUM_OTHERS)

/* One engine: its PMU name prefix and uabi class/instance. */
struct mock_engine {
	char name[8];
	u8 class;
	u8 instance;
};

struct mock_counter {
	u64 base;	/* value at @since */
	u64 rate;	/* advance per second */
	ktime_t since;
};

struct mock_pmu;

struct mock_gpu {
	struct drm_device drm;
	struct pci_dev *pdev;
	struct mock_pmu *pmu;	/* freed after the last drm_dev_put */

	/* topology, fixed at probe */
	struct mock_engine engines[MOCK_MAX_ENGINES];
	unsigned int nr_engines;
	unsigned int nr_gts;
	unsigned int class_capacity[MOCK_I915_NUM_CLASSES];
	const char * const *regions;	/* fdinfo memory region names */
	unsigned int nr_regions;

	/*
	 * counters, next_client_id.  Raw: perf calls the PMU's read, add and
	 * del under its raw context lock, where a spinlock_t sleeps on
	 * PREEMPT_RT ("scheduling while atomic"; i915 moved its pmu->lock
	 * to raw_spinlock_t for the same splat).
	 */
	raw_spinlock_t lock;
	struct mock_counter ctr[MOCK_NUM_COUNTERS];
	u32 next_client_id;	/* i915's own client ids, before 6.5 */
	bool guc;
	u32 fdinfo_pad_lines;	/* debugfs: extra fdinfo lines per client */

	atomic_t live_events;
	struct dentry *debugfs;

	bool init_gate;		/* test control: event_init waits while set */
	atomic_t init_waiters;	/* event_init calls waiting at the gate */
};

static inline struct mock_gpu *to_mock_gpu(struct drm_device *drm)
{
	return container_of(drm, struct mock_gpu, drm);
}

/* pmu.c */
extern atomic_t mock_live_events_total;
extern struct wait_queue_head mock_init_gate_wq;
bool mock_is_igp(struct pci_dev *pdev);
int mock_pmu_init_cpumask(int cpu);
void mock_pmu_exit(void);
int mock_pmu_set_cpu(unsigned int cpu);
int mock_pmu_get_cpu(void);
int mock_pmu_register(struct mock_gpu *gpu);
void mock_pmu_unregister(struct mock_gpu *gpu);
void mock_pmu_free(struct mock_gpu *gpu);
int mock_counter_index(struct mock_gpu *gpu, u64 config);
u64 mock_counter_read(struct mock_gpu *gpu, int idx);
int mock_counter_command(struct mock_gpu *gpu, const char *cmd, u64 config,
			 u64 val);

/* drm.c */
extern const struct drm_driver mock_drm_driver;

#endif /* MOCK_I915_H */
