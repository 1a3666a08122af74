/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nsgpuperf internals shared between the module's source files.
 *
 * Lock order (outer first):
 *
 *   device_lock(pci device)	held by the driver core around the PCI bus
 *				notifier; taken by the init scan, for GPUs
 *				only
 *   nsgp_group.lock		one group's state (read/ioctl on a group fd)
 *   nsgp_gpu.ctr_lock		one GPU's counters: their list and reference
 *				counts, creation and release of its kernel
 *				counters (which may sleep long: xe wakes the
 *				GPU); bind and unbind of that GPU
 *   nsgp_lock			GPU registry and the per-GPU fields; held
 *				briefly, never across counter creation
 *   nsgp_gpu.sem		read: a reader uses the kernel counters of a
 *				GPU; write: the unbind path releases them
 *   nsgp_charge_lock		per-container group counts (leaf, never
 *				held while taking another of these)
 *   drm->filelist_mutex	a GPU's DRM clients, taken by usage calls
 *				with none of ours held
 *   task_lock, files->file_lock	a task's fd table, while looking for
 *				the holders of a client (none of ours held)
 *
 * Never take device_lock() while holding any of the others: the bus
 * notifier runs with it held and takes ctr_lock and nsgp_lock, and only
 * for a PCI device bound to a GPU driver (or one in the registry being
 * deleted).  No lock of ours is held while waiting for CPU hotplug or
 * across cpus_read_lock().
 */
#ifndef NSGP_H
#define NSGP_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <linux/bitops.h>

#include <linux/nsgpuperf.h>

/* Engine classes a usage reply holds. */
#define NSGP_USAGE_CLASSES	8

struct cgroup;
struct drm_device;
struct file;
struct pci_dev;
struct perf_event;
struct perf_event_attr;
struct user_namespace;
struct nsgpuperf_version;

/* Module parameters (host policy), main.c. */
extern bool nsgp_device_counters;
extern unsigned int nsgp_max_groups_per_container;
extern bool nsgp_cgroup_usage;

/* main.c: user copies of the size-first argument structs. */
int nsgp_copy_struct_in(void *dst, size_t ksize, size_t min_size,
			const void __user *uarg, u32 *usize);
int nsgp_copy_struct_out(void __user *uarg, u32 usize, const void *src,
			 size_t ksize);
int nsgp_check_entry_size(u32 count, u32 entry_size, size_t ksize);
int nsgp_copy_array_out(u64 uptr, u32 entry_size, const void *src,
			size_t ksize, u32 n);

/* access.c */
int nsgp_access_check(struct file *file);

/**
 * struct nsgp_gpu_scope - what a session decided about one GPU
 * @generation: the GPU generation (see struct nsgp_gpu) decided for
 * @decided: the device cgroup was consulted for @generation
 * @devcg_ok: ... and lets the session read the GPU's DRM node
 * @presented: a DRM node of the GPU in @generation was presented
 *	(NSGPUPERF_IOC_PRESENT_GPU)
 */
struct nsgp_gpu_scope {
	u64 generation;
	bool decided;
	bool devcg_ok;
	bool presented;
};

/**
 * struct nsgp_session - what an open /dev/nsgpuperf file captured at open()
 * @ref: held by the file and by each group opened through it
 * @user_ns: the opener's user namespace, referenced
 * @init_userns: @user_ns is the initial user namespace
 * @container_ns: topmost ancestor of @user_ns below the initial one (or
 *	the initial one): what the group limit counts against, referenced
 * @cgrp: the opener's own cgroup (v2), referenced
 * @cgroup_id: cgroup_id(@cgrp)
 * @scope: the usage scope's cgroup, referenced; NULL with
 *	NSGPUPERF_SCOPE_NONE
 * @scope_kind: NSGPUPERF_SCOPE_*
 * @scope_flags: NSGPUPERF_SCOPE_F_*
 * @scope_path: @scope as the opener's cgroup namespace names it
 * @gpus: GPU id -> struct nsgp_gpu_scope (under nsgp_lock)
 * @usage_lock: serializes the session's usage calls, protects @usage
 * @usage: per-GPU, per-scope running usage sums (usage.c)
 */
struct nsgp_session {
	struct kref ref;
	struct user_namespace *user_ns;
	bool init_userns;
	struct user_namespace *container_ns;
	struct cgroup *cgrp;
	u64 cgroup_id;
	struct cgroup *scope;
	u32 scope_kind;
	u32 scope_flags;
	char scope_path[NSGPUPERF_PATH_LEN];
	struct xarray gpus;
	struct mutex usage_lock;	/* see @usage_lock above */
	struct list_head usage;
};

struct nsgp_cg_charge;

/* session.c */
struct nsgp_session *nsgp_session_create(void);
void nsgp_session_get(struct nsgp_session *s);
void nsgp_session_put(struct nsgp_session *s);
struct user_namespace *nsgp_container_userns(struct user_namespace *ns);
bool nsgp_session_device_counters(const struct nsgp_session *s);
void nsgp_session_scope_info(const struct nsgp_session *s,
			     struct nsgpuperf_version *v);
struct nsgp_cg_charge *nsgp_cg_charge(struct nsgp_session *s);
void nsgp_cg_uncharge(struct nsgp_cg_charge *c);

/**
 * struct nsgp_gpu - one GPU (a PCI device bound to i915 or xe at some time)
 * @ref: held by the registry while listed, by each group and counter
 * @node: entry of the registry list
 * @id: stable for the module's lifetime
 * @pdev: the PCI device, referenced
 * @pci_addr: pci_name(@pdev)
 * @sem: see the lock order above
 * @generation: bumped (under nsgp_lock and @sem for write) at each unbind;
 *	groups opened in an older generation read -ENODEV forever
 * @listed: shown to sessions (see gpu.c)
 * @driver_bound: the GPU driver is bound
 * @pmu_ok: ... and its PMU was found: counters can open
 * @pmu_type: perf type of the PMU, valid if @pmu_ok
 * @pmu_name: name of the PMU on the event_source bus, valid if @pmu_ok
 * @driver: name of the bound driver
 * @render_minor: DRM render minor or -1
 * @card_minor: DRM primary minor or -1
 * @drm: the DRM device of the GPU while bound, referenced (drm_dev_get)
 * @events: events of the PMU read from sysfs at bind
 * @nr_events: entries in @events
 * @ctr_lock: see the lock order above
 * @counters: live struct nsgp_counter of the GPU, under @ctr_lock
 *
 * The other fields but @ref, @id, @pdev and @pci_addr are protected by
 * nsgp_lock; bind and unbind also hold @ctr_lock, so that @pmu_ok,
 * @pmu_type, @pmu_name and @generation are stable under either lock.
 */
struct nsgp_gpu {
	struct kref ref;
	struct list_head node;
	u32 id;
	struct pci_dev *pdev;
	char pci_addr[NSGPUPERF_PCI_ADDR_LEN];
	struct rw_semaphore sem;
	u64 generation;
	bool listed;
	bool driver_bound;
	bool pmu_ok;
	u32 pmu_type;
	char pmu_name[NSGPUPERF_NAME_LEN];
	char driver[NSGPUPERF_DRIVER_LEN];
	int render_minor;
	int card_minor;
	struct drm_device *drm;
	struct nsgpuperf_event_info *events;
	unsigned int nr_events;
	struct mutex ctr_lock;		/* see @ctr_lock above */
	struct list_head counters;
};

/* gpu.c */
extern struct mutex nsgp_lock;
int nsgp_gpu_init(void);
void nsgp_gpu_exit(void);
struct nsgp_gpu *nsgp_gpu_get(struct nsgp_session *s, u32 id);
struct nsgp_gpu *nsgp_gpu_get_by_pmu_type(struct nsgp_session *s, u32 type);
void nsgp_gpu_put(struct nsgp_gpu *gpu);
int nsgp_gpu_generation(struct nsgp_gpu *gpu, u64 *gen);
int nsgp_gpu_pmu_cpu(struct nsgp_gpu *gpu);
long nsgp_ioctl_list_gpus(struct nsgp_session *s, void __user *uarg);
long nsgp_ioctl_list_events(struct nsgp_session *s, void __user *uarg);
struct nsgp_gpu *nsgp_gpu_find_drm_locked(struct file *f,
					  bool (*is_node_of)(struct file *f,
							     struct drm_device *drm));

/* visibility.c: the one place that decides which GPUs a session sees. */
bool nsgp_session_sees_gpu(struct nsgp_session *s, const struct nsgp_gpu *gpu);
long nsgp_ioctl_present_gpu(struct nsgp_session *s, void __user *uarg);
/* usage.c */
long nsgp_ioctl_cgroup_usage(struct nsgp_session *s, void __user *uarg);
void nsgp_session_usage_free(struct nsgp_session *s);
/* gpu.c: decide, in the opener's context, which present GPUs it sees. */
void nsgp_gpus_scope_snapshot(struct nsgp_session *s);

/* counter.c */
struct nsgp_counter;
struct task_struct;
struct perf_event *nsgp_kernel_counter_create(struct perf_event_attr *attr,
					      int cpu,
					      struct task_struct *task);
int nsgp_counter_trial(struct nsgp_gpu *gpu, struct perf_event_attr *attr,
		       int cpu, struct task_struct *task, u32 *pmu_caps);
struct nsgp_counter *nsgp_counter_get(struct nsgp_gpu *gpu, u64 generation,
				      u64 config);
void nsgp_counter_put(struct nsgp_counter *ctr);
u64 nsgp_counter_read(struct nsgp_counter *ctr);
int nsgp_counter_read_cpu(struct nsgp_counter *ctr);
bool nsgp_counter_read_here(struct nsgp_counter *ctr, u64 *val);
void nsgp_counters_release_gpu_locked(struct nsgp_gpu *gpu);

/* group.c */
struct nsgp_event_file;

/* An event's clock when perf_event_open() was given no clockid. */
#define NSGP_CLOCK_DEFAULT	(-1)

/**
 * struct nsgp_event_spec - an event as NSGPUPERF_IOC_PERF_OPEN asks for it
 * @config: perf config
 * @read_format: PERF_FORMAT_* of read() on its fd
 * @cpu: perf_event_open()'s cpu
 * @clock: its clockid, or NSGP_CLOCK_DEFAULT
 * @disabled: attr.disabled
 */
struct nsgp_event_spec {
	u64 config;
	u64 read_format;
	int cpu;
	int clock;
	bool disabled;
};

long nsgp_ioctl_open_group(struct nsgp_session *s, void __user *uarg);
struct nsgp_event_file *nsgp_event_file_of(struct file *f);
struct file *nsgp_event_open(struct nsgp_session *s, struct nsgp_gpu *gpu,
			     struct nsgp_event_file *leader,
			     const struct nsgp_event_spec *spec);

/* perf_open.c */
long nsgp_ioctl_perf_open(struct nsgp_session *s, void __user *uarg);

#endif /* NSGP_H */
