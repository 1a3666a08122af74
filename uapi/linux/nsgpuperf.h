/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nsgpuperf: GPU performance counters for processes in user namespaces.
 *
 * /dev/nsgpuperf is opened by a process that holds CAP_PERFMON (or
 * CAP_SYS_ADMIN) in its own user namespace, through a node whose owner uid
 * and gid are mapped into that namespace.  The open file is the capability:
 * it can be passed to other processes like a perf fd.  The opener's cgroup
 * is captured at open() and scopes everything the file shows.
 *
 * Every argument struct starts with __u32 size, which the caller sets to
 * sizeof() of the struct it was compiled with.  The kernel accepts older
 * (smaller) structs and newer (larger) ones as long as the bytes it does
 * not know are zero (E2BIG otherwise), like copy_struct_from_user().
 * Pointers are passed as __u64 so that 32-bit callers use the same layout.
 * Reserved fields and unknown flags must be zero (EINVAL otherwise).
 *
 * Common errors of every ioctl:
 *   ENOTTY  unknown ioctl number;
 *   EFAULT  an argument or array pointer is not accessible;
 *   EINVAL  size smaller than the first published layout, unknown flag,
 *           non-zero reserved field;
 *   E2BIG   size larger than the kernel knows and the extra bytes not zero.
 */
#ifndef _UAPI_LINUX_NSGPUPERF_H
#define _UAPI_LINUX_NSGPUPERF_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define NSGPUPERF_ABI_VERSION	1

#define NSGPUPERF_NAME_LEN	64
#define NSGPUPERF_PCI_ADDR_LEN	16
#define NSGPUPERF_DRIVER_LEN	16
#define NSGPUPERF_UNIT_LEN	16
#define NSGPUPERF_CLASS_LEN	16

/* Largest number of events in one group. */
#define NSGPUPERF_MAX_GROUP_EVENTS	64

/**
 * struct nsgpuperf_version - NSGPUPERF_IOC_VERSION
 * @size: in, sizeof(struct nsgpuperf_version)
 * @abi_version: out, NSGPUPERF_ABI_VERSION of the running module
 * @features: out, NSGPUPERF_FEAT_* the session may use (host policy)
 * @cgroup_id: out, id of the cgroup (v2) captured when the file was opened
 *
 * Never fails beyond the common errors.
 */
struct nsgpuperf_version {
	__u32 size;
	__u32 abi_version;
	__u64 features;
	__u64 cgroup_id;
};

/* The session may open device-wide counter groups. */
#define NSGPUPERF_FEAT_DEVICE_COUNTERS	_BITULL(0)
/* The session may query per-cgroup usage. */
#define NSGPUPERF_FEAT_CGROUP_USAGE	_BITULL(1)

/**
 * struct nsgpuperf_gpu_info - one GPU in scope, element of a GPU list
 * @id: GPU id used by the other calls; stable while the module is loaded
 * @flags: NSGPUPERF_GPU_*
 * @pmu_type: perf PMU type number (perf_event_attr.type), 0 while unbound
 * @render_minor: DRM render node minor (renderD<minor>), -1 if none
 * @card_minor: DRM primary node minor (card<minor>), -1 if none
 * @reserved: zero
 * @pci_addr: PCI address, e.g. "0000:00:02.0"
 * @driver: driver name, e.g. "i915"
 * @pmu_name: PMU name on the event_source bus, e.g. "i915"
 */
struct nsgpuperf_gpu_info {
	__u32 id;
	__u32 flags;
	__u32 pmu_type;
	__s32 render_minor;
	__s32 card_minor;
	__u32 reserved;
	char pci_addr[NSGPUPERF_PCI_ADDR_LEN];
	char driver[NSGPUPERF_DRIVER_LEN];
	char pmu_name[NSGPUPERF_NAME_LEN];
};

/* The GPU's driver is bound and its PMU registered: counters can open. */
#define NSGPUPERF_GPU_BOUND		_BITUL(0)

/**
 * struct nsgpuperf_gpu_list - NSGPUPERF_IOC_LIST_GPUS
 * @size: in, sizeof(struct nsgpuperf_gpu_list)
 * @flags: in, zero
 * @count: in, number of entries @gpus has room for (0 to ask for the count);
 *	out, number of GPUs in scope (may exceed the room given: call again)
 * @entry_size: in, sizeof(struct nsgpuperf_gpu_info) as the caller knows it;
 *	the kernel writes min(its own, this) bytes per entry and zeroes the rest
 * @gpus: in, user pointer to @count entries of @entry_size bytes
 *
 * Only the GPUs whose DRM render node the session's device cgroup allows
 * are listed.
 */
struct nsgpuperf_gpu_list {
	__u32 size;
	__u32 flags;
	__u32 count;
	__u32 entry_size;
	__u64 gpus;
};

/**
 * struct nsgpuperf_event_info - one event of a GPU's PMU
 * @config: perf_event_attr.config of the event
 * @flags: zero for now
 * @reserved: zero
 * @name: event name as in sysfs events/, e.g. "rcs0-busy"
 * @unit: event unit as in sysfs events/<name>.unit, e.g. "ns"; may be empty
 */
struct nsgpuperf_event_info {
	__u64 config;
	__u32 flags;
	__u32 reserved;
	char name[NSGPUPERF_NAME_LEN];
	char unit[NSGPUPERF_UNIT_LEN];
};

/**
 * struct nsgpuperf_event_list - NSGPUPERF_IOC_LIST_EVENTS
 * @size: in, sizeof(struct nsgpuperf_event_list)
 * @flags: in, zero
 * @gpu_id: in, a GPU id from NSGPUPERF_IOC_LIST_GPUS
 * @count: in, room in @events; out, number of events the PMU has
 * @entry_size: in, sizeof(struct nsgpuperf_event_info) as the caller knows it
 * @reserved: zero
 * @events: in, user pointer to @count entries of @entry_size bytes
 *
 * The events are taken from the PMU's own sysfs event attributes, so a
 * driver that adds events needs no change here.
 * Errors: ENODEV if @gpu_id is not a GPU in scope or its driver is unbound.
 */
struct nsgpuperf_event_list {
	__u32 size;
	__u32 flags;
	__u32 gpu_id;
	__u32 count;
	__u32 entry_size;
	__u32 reserved;
	__u64 events;
};

/**
 * struct nsgpuperf_group_open - NSGPUPERF_IOC_OPEN_GROUP
 * @size: in, sizeof(struct nsgpuperf_group_open)
 * @flags: in, NSGPUPERF_GROUP_*
 * @gpu_id: in, a GPU id from NSGPUPERF_IOC_LIST_GPUS
 * @nr_events: in, number of configs in @configs (0 to add them later with
 *	NSGPUPERF_GROUP_IOC_ADD), at most NSGPUPERF_MAX_GROUP_EVENTS
 * @read_format: in, PERF_FORMAT_* bits of <linux/perf_event.h> that shape
 *	read() on the group fd: GROUP, TOTAL_TIME_ENABLED, TOTAL_TIME_RUNNING
 *	and ID are supported; 0 means GROUP | TOTAL_TIME_ENABLED
 * @configs: in, user pointer to @nr_events __u64 perf configs
 * @ids: in, user pointer to @nr_events __u64 to receive each event's id
 *	(as PERF_FORMAT_ID reports it), or 0
 * @fd: out, the new group file descriptor (O_RDONLY | O_CLOEXEC)
 * @reserved: zero
 *
 * Returns the new fd (also in @fd).  read() on it returns the layout of
 * perf's read() of a group leader with the same read_format, values counted
 * since the group was enabled (like perf, they start at 0).
 *
 * Errors: ENODEV GPU not in scope or unbound; for a config the PMU
 * rejects, the errno perf_event_open() would give (i915: ENOENT for an
 * unknown counter, ENODEV for an engine the GPU lacks); E2BIG too many
 * events; EACCES host policy does not give device-wide counters to this
 * namespace; EMFILE the session's cgroup holds the most groups host policy
 * allows.
 */
struct nsgpuperf_group_open {
	__u32 size;
	__u32 flags;
	__u32 gpu_id;
	__u32 nr_events;
	__u64 read_format;
	__u64 configs;
	__u64 ids;
	__s32 fd;
	__u32 reserved;
};

/* Start disabled (like perf_event_attr.disabled); enable with the ioctl. */
#define NSGPUPERF_GROUP_DISABLED	_BITUL(0)

/**
 * struct nsgpuperf_group_add - NSGPUPERF_GROUP_IOC_ADD, on a group fd
 * @size: in, sizeof(struct nsgpuperf_group_add)
 * @flags: in, zero
 * @config: in, perf config of the event to add to the group
 * @id: out, the event's id
 *
 * Adds one event to an existing group, as perf_event_open() with a
 * group_fd does.  The new event's count starts at 0; the group's enabled
 * time is not reset.  Errors as NSGPUPERF_IOC_OPEN_GROUP.
 */
struct nsgpuperf_group_add {
	__u32 size;
	__u32 flags;
	__u64 config;
	__u64 id;
};

/**
 * struct nsgpuperf_engine_usage - one engine class of a cgroup usage reply
 * @busy_ns: total busy time in ns (fdinfo drm-engine-<class>), if
 *	NSGPUPERF_USAGE_HAS_BUSY
 * @cycles: busy cycles (xe: drm-cycles-<class>), if NSGPUPERF_USAGE_HAS_CYCLES
 * @total_cycles: GPU timestamp cycles (xe: drm-total-cycles-<class>), if
 *	NSGPUPERF_USAGE_HAS_CYCLES
 * @flags: out, NSGPUPERF_USAGE_HAS_*
 * @reserved: zero
 * @class_name: engine class as the driver names it in fdinfo, e.g. "render"
 *
 * Values are sums over the session's clients and never decrease between
 * two calls of the same session.
 */
struct nsgpuperf_engine_usage {
	__u64 busy_ns;
	__u64 cycles;
	__u64 total_cycles;
	__u32 flags;
	__u32 reserved;
	char class_name[NSGPUPERF_CLASS_LEN];
};

#define NSGPUPERF_USAGE_HAS_BUSY	_BITUL(0)
#define NSGPUPERF_USAGE_HAS_CYCLES	_BITUL(1)

/**
 * struct nsgpuperf_cgroup_usage - NSGPUPERF_IOC_CGROUP_USAGE
 * @size: in, sizeof(struct nsgpuperf_cgroup_usage)
 * @flags: in, zero
 * @gpu_id: in, a GPU id from NSGPUPERF_IOC_LIST_GPUS
 * @count: in, room in @classes; out, number of engine classes seen
 * @entry_size: in, sizeof(struct nsgpuperf_engine_usage) as the caller knows it
 * @nr_clients: out, DRM clients of this GPU whose task is in the session's
 *	cgroup subtree
 * @status: out, NSGPUPERF_USAGE_STATUS_*
 * @reserved: zero
 * @classes: in, user pointer to @count entries of @entry_size bytes
 *
 * Sums the DRM fdinfo usage statistics of the GPU's clients whose owning
 * task is in the cgroup captured at open(), or below it.
 *
 * Errors: ENODEV GPU not in scope or unbound; EACCES host policy turned
 * per-cgroup usage off.
 */
struct nsgpuperf_cgroup_usage {
	__u32 size;
	__u32 flags;
	__u32 gpu_id;
	__u32 count;
	__u32 entry_size;
	__u32 nr_clients;
	__u32 status;
	__u32 reserved;
	__u64 classes;
};

/*
 * Some clients in scope report no engine usage (i915 before 6.5 with GuC
 * submission): the sums are incomplete and must not be shown as zero.
 */
#define NSGPUPERF_USAGE_STATUS_INCOMPLETE	_BITUL(0)

#define NSGPUPERF_IOC_MAGIC	0xB7

#define NSGPUPERF_IOC_VERSION \
	_IOWR(NSGPUPERF_IOC_MAGIC, 0x00, struct nsgpuperf_version)
#define NSGPUPERF_IOC_LIST_GPUS \
	_IOWR(NSGPUPERF_IOC_MAGIC, 0x01, struct nsgpuperf_gpu_list)
#define NSGPUPERF_IOC_LIST_EVENTS \
	_IOWR(NSGPUPERF_IOC_MAGIC, 0x02, struct nsgpuperf_event_list)
#define NSGPUPERF_IOC_OPEN_GROUP \
	_IOWR(NSGPUPERF_IOC_MAGIC, 0x03, struct nsgpuperf_group_open)
#define NSGPUPERF_IOC_CGROUP_USAGE \
	_IOWR(NSGPUPERF_IOC_MAGIC, 0x04, struct nsgpuperf_cgroup_usage)

/* On a group fd; like PERF_EVENT_IOC_{ENABLE,DISABLE,RESET} on a leader. */
#define NSGPUPERF_GROUP_IOC_ENABLE	_IO(NSGPUPERF_IOC_MAGIC, 0x20)
#define NSGPUPERF_GROUP_IOC_DISABLE	_IO(NSGPUPERF_IOC_MAGIC, 0x21)
#define NSGPUPERF_GROUP_IOC_RESET	_IO(NSGPUPERF_IOC_MAGIC, 0x22)
#define NSGPUPERF_GROUP_IOC_ADD \
	_IOWR(NSGPUPERF_IOC_MAGIC, 0x23, struct nsgpuperf_group_add)

#endif /* _UAPI_LINUX_NSGPUPERF_H */
