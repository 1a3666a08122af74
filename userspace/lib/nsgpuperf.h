/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libnsgpuperf: what the nsgpuperf reader (and anything else in a container)
 * needs to read a GPU's counters through /dev/nsgpuperf.
 *
 *   device    the ioctls alone, with no allocation (ngp_device.h: what
 *             the perf_event_open shim uses too);
 *   session   open the device, check the ABI, find the GPUs this process can
 *             see (libdrm) and present them, list them with their names
 *             (libpci, pci.ids) and events;
 *   reader    one counter group per GPU (frequency, RC6, interrupts, every
 *             engine's busy/wait/sema), read as raw monotonic values;
 *   rates     two raw reads -> the figures intel_gpu_top shows, computed as
 *             it computes them (pure functions: no device needed);
 *   usage     this container's (or a sub-cgroup's) own engine busy time.
 *
 * Every function that can fail returns 0 or a negative errno and, where
 * it takes a struct ngp_error, fills it with a sentence that says what to
 * do.  Nothing here prints.  C11, no global state: one session per thread.
 */
#ifndef NSGPUPERF_LIB_H
#define NSGPUPERF_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/nsgpuperf.h>

#include "ngp_device.h"		/* the ioctls alone (the shim's layer) */

#define NGP_MAX_GPUS		16
#define NGP_MAX_ENGINES		32
#define NGP_MAX_GT		4
#define NGP_MAX_USAGE_CLASSES	8

/* ---- errors -------------------------------------------------------- */

/*
 * Exit codes of the nsgpuperf CLI (documented in nsgpuperf.1); the library
 * classifies each error into one of them.
 */
enum ngp_exit {
	NGP_EXIT_OK		= 0,
	NGP_EXIT_FAILURE	= 1,	/* anything not below */
	NGP_EXIT_USAGE		= 2,	/* bad command line */
	NGP_EXIT_NO_DEVICE	= 3,	/* node missing / module not loaded */
	NGP_EXIT_DENIED		= 4,	/* an access rule refused the open */
	NGP_EXIT_ABI		= 5,	/* module too old or too new */
	NGP_EXIT_NO_GPU		= 6,	/* no GPU in scope, or -d matched none */
	NGP_EXIT_NO_CONTAINER	= 7,	/* host: container (or grant) unknown */
	NGP_EXIT_PRIVILEGED	= 8,	/* host: privileged container */
};

struct ngp_error {
	int err;		/* negative errno, 0 if none */
	enum ngp_exit exit;	/* what the CLI exits with */
	char msg[512];		/* one or two sentences: what failed, what to do */
};

/* ---- session ------------------------------------------------------- */

struct ngp_gpu {
	uint32_t id;			/* the module's GPU id */
	uint32_t pmu_type;		/* perf_event_attr.type, 0 unbound */
	bool bound;			/* driver bound, counters can open */
	char pci_addr[NSGPUPERF_PCI_ADDR_LEN];	/* "0000:00:02.0" */
	char driver[NSGPUPERF_DRIVER_LEN];	/* "i915" */
	char pmu_name[NSGPUPERF_NAME_LEN];	/* "i915", "i915_0000_03_00.0" */
	char render_node[32];		/* "/dev/dri/renderD128", "" if none */
	char card_node[32];		/* "/dev/dri/card0", "" if none */
	uint16_t vendor_id, device_id;	/* PCI ids (libdrm), 0 unknown */
	char name[128];			/* pci.ids: "Intel Corporation ..." */
};

struct ngp_session {
	int fd;				/* the open /dev/nsgpuperf */
	char path[256];
	struct nsgpuperf_version version;
	int nr_gpus;
	struct ngp_gpu gpus[NGP_MAX_GPUS];
	char no_gpu_why[320];		/* nr_gpus 0: why, for the user */
};

/*
 * Open the device (path NULL: $NSGPUPERF_DEVICE, else NGP_DEFAULT_DEVICE),
 * check its ABI, present every DRM node libdrm finds that this process can
 * open, and list the GPUs in scope (s->gpus, matched to libdrm's devices by
 * PCI address for the nodes and ids, named from pci.ids).
 */
int ngp_session_open(struct ngp_session *s, const char *path,
		     struct ngp_error *e);
void ngp_session_close(struct ngp_session *s);

/*
 * The GPU a -d argument names: a PCI address ("0000:00:02.0", "00:02.0",
 * or intel_gpu_top's "pci:slot=0000:00:02.0"), a render or card node path
 * ("/dev/dri/renderD128", "renderD128") or NULL for the first GPU.
 */
const struct ngp_gpu *ngp_find_gpu(const struct ngp_session *s,
				   const char *spec, struct ngp_error *e);

/* ---- events and engines ---------------------------------------------- */

/* i915's engine classes, numbered as its uapi numbers them. */
enum ngp_class {
	NGP_CLASS_RENDER	= 0,	/* "Render/3D", rcs */
	NGP_CLASS_COPY		= 1,	/* "Blitter", bcs */
	NGP_CLASS_VIDEO		= 2,	/* "Video", vcs */
	NGP_CLASS_VIDEO_ENHANCE	= 3,	/* "VideoEnhance", vecs */
	NGP_CLASS_COMPUTE	= 4,	/* "Compute", ccs */
	NGP_NR_CLASSES
};

/* intel_gpu_top's names: "Render/3D", and -l's short ones: "RCS" */
const char *ngp_class_name(enum ngp_class c);
const char *ngp_class_short(enum ngp_class c);
/* fdinfo's names ("render", "copy", "video", "video-enhance", "compute") */
const char *ngp_class_fdinfo(enum ngp_class c);

enum ngp_sampler { NGP_BUSY, NGP_WAIT, NGP_SEMA, NGP_NR_SAMPLERS };

struct ngp_engine {
	char pmu_name[16];		/* "rcs0": its events' prefix */
	enum ngp_class class;
	unsigned int instance;
	/* index of each sampler's value in struct ngp_raw, -1 if absent */
	int idx[NGP_NR_SAMPLERS];
};

/* Where each counter of a reader's group sits in struct ngp_raw. */
struct ngp_layout {
	int nr_gt;
	int idx_act[NGP_MAX_GT], idx_req[NGP_MAX_GT], idx_rc6[NGP_MAX_GT];
	int idx_irq;				/* -1 if absent */
	int nr_engines;				/* sorted: class, instance */
	struct ngp_engine engines[NGP_MAX_ENGINES];
	int nr_values;
};

/* One group read: each counter's raw count, and the group's clock. */
struct ngp_raw {
	uint64_t time_enabled;		/* ns, the group's own clock */
	uint64_t values[NSGPUPERF_MAX_GROUP_EVENTS];
};

/* An open counter group on one GPU. */
struct ngp_reader {
	const struct ngp_gpu *gpu;
	int group_fd;
	struct ngp_layout layout;
};

/* The GPU's events (*events: malloc'ed, free() it); their count or -errno. */
int ngp_gpu_events(struct ngp_session *s, const struct ngp_gpu *gpu,
		   struct nsgpuperf_event_info **events, struct ngp_error *e);
/*
 * The layout of a group of every event intel_gpu_top reads, from the PMU's
 * event names (i915's, "-gt<N>" on multi-GT); configs (room for
 * NSGPUPERF_MAX_GROUP_EVENTS) gets them in group order.  The count.
 */
int ngp_layout_build(const struct nsgpuperf_event_info *events, int n,
		     struct ngp_layout *l, uint64_t *configs);

/* Open (and enable) the group: every event intel_gpu_top reads. */
int ngp_reader_open(struct ngp_session *s, const struct ngp_gpu *gpu,
		    struct ngp_reader *r, struct ngp_error *e);
int ngp_reader_read(struct ngp_reader *r, struct ngp_raw *raw,
		    struct ngp_error *e);
void ngp_reader_close(struct ngp_reader *r);

/* ---- rates --------------------------------------------------------- */

struct ngp_engine_rate {
	const struct ngp_engine *engine;
	double pct[NGP_NR_SAMPLERS];	/* 0..100, clamped */
	bool has[NGP_NR_SAMPLERS];
	uint64_t total_ns[NGP_NR_SAMPLERS];	/* since the group opened */
};

struct ngp_class_rate {
	enum ngp_class class;
	int nr_engines;			/* 0: the GPU has none of this class */
	double pct[NGP_NR_SAMPLERS];	/* mean over the class's engines */
	bool has[NGP_NR_SAMPLERS];
};

/* This scope's own usage, per engine class (NSGPUPERF_IOC_CGROUP_USAGE). */
struct ngp_usage {
	bool available;			/* false: show "n/a", never 0 */
	char why[160];			/* why not available, for the user */
	uint32_t scope;			/* NSGPUPERF_SCOPE_* */
	char scope_label[NSGPUPERF_PATH_LEN];	/* "container", "host" or the cgroup */
	bool incomplete;		/* some clients report nothing: n/a */
	uint32_t nr_clients;
	int nr_classes;
	struct {
		enum ngp_class class;	/* NGP_NR_CLASSES if not one of ours */
		char fdinfo_name[NSGPUPERF_CLASS_LEN];
		uint64_t busy_ns;	/* total, never decreasing */
		double pct;		/* over the period; mean per engine */
	} classes[NGP_MAX_USAGE_CLASSES];
};

/*
 * What one period shows, as intel_gpu_top computes it from two reads:
 * frequency = delta(count) / delta(t) (MHz; multi-GT: mean over the GTs),
 * interrupts = delta / delta(t) per second, rc6 and engine % =
 * delta(ns) / delta(t) * 100 clamped to 100, class % = mean over the
 * class's engines; delta(t) is the group's time_enabled.
 */
struct ngp_sample {
	double period_ms;
	double freq_req, freq_act;	/* MHz */
	double irq;			/* per second */
	double rc6;			/* % */
	bool has_freq_req, has_freq_act, has_irq, has_rc6;
	uint64_t rc6_total_ns, irq_total;	/* since the group opened */
	uint64_t enabled_ns;		/* cur->time_enabled: the totals' clock */
	int nr_engines;
	struct ngp_engine_rate engines[NGP_MAX_ENGINES];
	struct ngp_class_rate classes[NGP_NR_CLASSES];
	struct ngp_usage usage;		/* filled by ngp_usage_sample() */
};

void ngp_rates(const struct ngp_layout *l, const struct ngp_raw *prev,
	       const struct ngp_raw *cur, struct ngp_sample *out);

/* ---- usage --------------------------------------------------------- */

struct ngp_usage_state {
	int cgroup_fd;			/* -1: the session's own scope */
	char label[NSGPUPERF_PATH_LEN];	/* the narrowed cgroup, as given */
	uint64_t prev_ns[NGP_MAX_USAGE_CLASSES];
	char prev_name[NGP_MAX_USAGE_CLASSES][NSGPUPERF_CLASS_LEN];
	int prev_n;
	bool primed;
};

/*
 * Start tracking usage of the session's scope, or of the cgroup v2
 * directory cgroup_path (relative to the container's /sys/fs/cgroup, or
 * absolute) inside it.
 */
int ngp_usage_init(struct ngp_session *s, struct ngp_usage_state *u,
		   const char *cgroup_path, struct ngp_error *e);
/*
 * Fill out->usage for the period out describes (out->period_ms): busy %
 * per class from the sums' deltas, divided over the class's engines as
 * intel_gpu_top divides a client's busy.  Unavailable (6.1 GuC, host
 * policy, no scope) is reported in out->usage.available/why, not as an
 * error.
 */
int ngp_usage_sample(struct ngp_session *s, const struct ngp_gpu *gpu,
		     struct ngp_usage_state *u, struct ngp_sample *out,
		     struct ngp_error *e);
void ngp_usage_fini(struct ngp_usage_state *u);

/* ---- DRM clients (lib/clients.c, for the intel_gpu_top personality) ---- */

/*
 * The DRM clients of one GPU as intel_gpu_top finds them: every process
 * whose /proc/PID/fdinfo this process may read is scanned for fds of DRM
 * character devices (major 226) whose fdinfo names this GPU (drm-driver,
 * drm-pdev) and a drm-client-id.  In a container that is the container's
 * own processes.  Per client: busy time per engine class (drm-engine-<class>
 * in ns, the classes indexed as enum ngp_class) and memory per region
 * (drm-{total,shared,resident,purgeable,active}-<region>, "system0" and
 * "local0" only, as intel_gpu_top 2.x reads them).
 */
#define NGP_CLIENT_NAME_LEN	64
#define NGP_CLIENT_REGIONS	2	/* "system0", "local0" */

struct ngp_client_mem {
	uint64_t total, shared, resident, purgeable, active;	/* bytes */
};

struct ngp_client {
	uint64_t id;			/* drm-client-id */
	unsigned int minor;		/* of the DRM node the fd is on */
	pid_t pid;			/* the first process seen holding it */
	char comm[NGP_CLIENT_NAME_LEN];	/* /proc/PID/stat: from the first "("
					 * to the last ")" */
	unsigned int samples;		/* scans that saw it */
	bool has_engines;		/* fdinfo gave busy times */
	unsigned int capacity[NGP_NR_CLASSES];	/* 0: no such line */
	uint64_t last_ns[NGP_NR_CLASSES];	/* busy total at the last scan */
	uint64_t delta_ns[NGP_NR_CLASSES];	/* since the scan before */
	uint64_t delta_sum_ns;		/* over the classes */
	uint64_t total_sum_ns;		/* busy total over the classes */
	int nr_regions;			/* regions[0..nr_regions-1] printed */
	struct ngp_client_mem mem[NGP_CLIENT_REGIONS];
	bool seen;			/* by the current scan */
};

struct ngp_clients {
	char pdev[NSGPUPERF_PCI_ADDR_LEN];	/* the GPU's PCI address */
	char driver[NSGPUPERF_DRIVER_LEN];
	int nr, alloc;
	struct ngp_client *c;		/* alive clients, in the order found */
};

/*
 * Whether the GPU's DRM fdinfo carries client statistics (as
 * intel_gpu_top decides whether to show clients: by its own fd on the
 * render node): 1 with busy times, 2 with memory only, 0 none or no node.
 */
int ngp_clients_supported(const struct ngp_gpu *gpu);
void ngp_clients_init(struct ngp_clients *cl, const struct ngp_gpu *gpu);
/* Scan /proc once: clients gone are dropped, new ones added; 0 or -errno. */
int ngp_clients_scan(struct ngp_clients *cl);
void ngp_clients_fini(struct ngp_clients *cl);
/*
 * The clients of one pid summed into one, as intel_gpu_top shows them by
 * default: id (unsigned)-pid, busy and memory summed over its clients seen
 * more than once, samples 2 if any of them was, else 1.  out gets at most
 * max, in ascending pid order; how many.
 */
int ngp_clients_by_pid(const struct ngp_clients *cl, struct ngp_client *out,
		       int max);

#endif
