/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the nsgpuperf selftests: the device, the mock GPU's
 * debugfs controls, module (un)loading, PCI (un)binding, and running a
 * function as another user or inside new user namespaces.
 */
#ifndef NSGP_TEST_H
#define NSGP_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/nsgpuperf.h>
#include <i915_drm.h>

#define NSGP_DEV	"/dev/nsgpuperf"
/* The mock's GPUs: QEMU e1000s, vendor Intel (8086:100e) */
#define GPU0_PCI	"0000:00:02.0"	/* integrated slot: PMU "i915" */
#define GPU1_PCI	"0000:00:05.0"	/* "discrete": PMU "i915_0000_00_05.0" */
/* A QEMU edu (1234:11e8) the mock binds too: never an nsgpuperf GPU */
#define OTHER_PCI	"0000:00:06.0"	/* PMU "i915_0000_00_06.0" */
#define MOCK_KO		"/modules/mock_i915.ko"
#define NSGP_KO		"/modules/nsgpuperf.ko"

#define CFG_RCS0_BUSY	__I915_PMU_ENGINE(I915_ENGINE_CLASS_RENDER, 0, I915_SAMPLE_BUSY)
#define CFG_RCS0_WAIT	__I915_PMU_ENGINE(I915_ENGINE_CLASS_RENDER, 0, I915_SAMPLE_WAIT)
#define CFG_BCS0_BUSY	__I915_PMU_ENGINE(I915_ENGINE_CLASS_COPY, 0, I915_SAMPLE_BUSY)
#define CFG_VCS0_BUSY	__I915_PMU_ENGINE(I915_ENGINE_CLASS_VIDEO, 0, I915_SAMPLE_BUSY)
#define CFG_VCS1_BUSY	__I915_PMU_ENGINE(I915_ENGINE_CLASS_VIDEO, 1, I915_SAMPLE_BUSY)
#define CFG_VECS0_SEMA	__I915_PMU_ENGINE(I915_ENGINE_CLASS_VIDEO_ENHANCE, 0, I915_SAMPLE_SEMA)

/* Read one decimal number from a file; -1 (errno set) on failure. */
long long read_ll(const char *path);
/* Write a string to a file; 0 or -errno. */
int write_str(const char *path, const char *s);

/* Mock GPU controls (debugfs); 0 or -errno. */
int mock_ctl(const char *pci, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
long long mock_live_events(const char *pci);
/* Live events over every mock GPU, bound or not. */
long long mock_live_events_all(void);
/* Wait up to 2 s for every mock counter to close; the last count seen. */
long long settle_live_events(void);
/* mock_live_events_all() in the shape nsgp_settle() takes. */
long long nsgp_live_all(const char *unused);
/* Call fn(arg) every 10 ms, for up to ms, until it returns want; the
 * last value it returned. */
long long nsgp_settle(long long (*fn)(const char *), const char *arg,
		      long long want, int ms);

/*
 * How many times slower than the others this kernel runs the suites
 * (NSGPUPERF_TIMEOUT_SCALE, 1 but on the debug kernel): for the seconds a
 * suite gives a program it runs, as the harness' timeouts get.
 */
unsigned int nsgp_time_scale(void);
/* Seconds on CLOCK_MONOTONIC. */
double nsgp_now(void);
/*
 * Sleep @ms on CLOCK_MONOTONIC, all of it, through signals: a rate
 * measured over a sleep cut short means nothing.  0, or -errno if the
 * kernel refuses the sleep (a 32-bit task on a kernel without
 * COMPAT_32BIT_TIME gets ENOSYS, and nanosleep() never slept).
 */
int nsgp_sleep_ms(int ms);
/* xorshift32: a suite's reproducible pseudo-random numbers. */
uint32_t nsgp_rnd(uint32_t *state);

/* Kernel modules from /modules; 0 or -errno. */
int module_load(const char *ko_path, const char *params);
int module_unload(const char *name);
bool module_loaded(const char *name);
long long module_refcnt(const char *name);

/* PCI driver binding of a mock GPU; 0 or -errno. */
int pci_unbind(const char *pci);
int pci_bind(const char *pci);

/* Make the render nodes 0666, as udev does on a host. */
void drm_nodes_open_to_all(void);
/* Open the render node whose device is the GPU at pci: fd or -errno. */
int open_render(const char *pci);

/*
 * The device (NULL: /dev/nsgpuperf), as a reader opens it: then every
 * render node this process can open is presented to the session (sessions
 * of a non-initial user namespace see only presented GPUs).  fd or -errno.
 */
int nsgp_open(const char *path);
/* The device alone, nothing presented: fd or -errno. */
int nsgp_open_raw(const char *path);
/* Present one DRM fd: the GPU id or -errno. */
int nsgp_present(int fd, int drm_fd);
/* Present every render node this process can open: how many were taken. */
int nsgp_present_all(int fd);
/* Look up a GPU by PCI address; its id, or -errno. */
int nsgp_find_gpu(int fd, const char *pci, struct nsgpuperf_gpu_info *info);
/* Number of GPUs the session lists, or -errno. */
int nsgp_count_gpus(int fd);
/* Open a group; fd or -errno.  ids may be NULL. */
int nsgp_open_group(int fd, unsigned int gpu, const uint64_t *configs,
		    unsigned int n, uint64_t read_format, uint32_t flags,
		    uint64_t *ids);
/* Find an event's config by name; 0 and *config set, or -errno. */
int nsgp_event_config(int fd, unsigned int gpu, const char *name,
		      uint64_t *config, char *unit, size_t unit_len);

/* major:minor of /dev/nsgpuperf; 0 or -errno. */
int nsgp_devnum(unsigned int *maj, unsigned int *min);
/* Make a character node for /dev/nsgpuperf at path; 0 or -errno. */
int nsgp_mknod(const char *path, uid_t uid, gid_t gid, mode_t mode);

/*
 * Run fn(arg) in a child process after a series of identity changes, and
 * return its exit status (fn's return value), or -1 if it died.
 * The steps, in order, each optional:
 *   host_uid/host_gid (>= 0): setresgid/setresuid to them first;
 *   map (non-NULL): unshare a user namespace whose uid_map and gid_map the
 *     PARENT writes with this text (e.g. "0 100000 65536"), then become
 *     uid/gid 0 in it;
 *   ns_uid (>= 0): then setresuid/setresgid to this id inside it (drops
 *     capabilities when non-zero);
 *   self_map: then unshare another user namespace mapping root to the
 *     current uid/gid, as "unshare -U -r" does;
 *   nested_map (non-NULL): then unshare another user namespace whose maps
 *     the process that made the previous namespace writes with this text.
 */
struct as_user {
	int host_uid, host_gid;
	const char *map;
	int ns_uid;
	bool self_map;
	const char *nested_map;
};
int run_as(const struct as_user *who, int (*fn)(void *), void *arg);

/* perf_event_open() helpers for comparing with a raw perf group read. */
int perf_pmu_type(const char *pmu_name);
int perf_pmu_cpu(const char *pmu_name);
int perf_open(int type, uint64_t config, int cpu, int group_fd,
	      uint64_t read_format);

#endif
