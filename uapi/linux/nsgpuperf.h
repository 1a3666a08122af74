/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nsgpuperf: GPU performance counters for processes in user namespaces.
 *
 * /dev/nsgpuperf is opened by a process that holds CAP_PERFMON (or
 * CAP_SYS_ADMIN) in its own user namespace, through a node whose owner uid
 * and gid are mapped into that namespace.  The open file is the capability:
 * it can be passed to other processes like a perf fd.  What the file shows
 * is decided from the opener's context at open():
 *
 * GPUs: those whose DRM render node the opener's device cgroup lets it
 * read (cgroup v1 "devices" rules, cgroup v2 BPF device programs).  A
 * session opened from a non-initial user namespace must, in addition,
 * present an open file descriptor of the GPU's DRM node
 * (NSGPUPERF_IOC_PRESENT_GPU) before the GPU is listed: a container that
 * cannot open the GPU does not see its counters, even where no device
 * program exists.  A GPU that unbinds and binds again must be presented
 * again.
 *
 * Usage scope: the root of the opener's cgroup namespace, i.e. the whole
 * container as it sees itself (the host, for the host's processes), see
 * NSGPUPERF_SCOPE_*.  A caller may narrow it to a cgroup inside that root
 * (struct nsgpuperf_cgroup_usage).
 *
 * Limits and memory: everything the kernel allocates for a caller is
 * charged to the caller's memory cgroup.  Live counter groups are limited
 * per container (module parameter max_groups_per_container), counted
 * against the topmost non-initial user namespace of the opener, so that
 * child cgroups, nested user namespaces and new sessions share one limit;
 * the host's own sessions share another.
 *
 * LSMs: perf's security_perf_event_open() hook sees the module's kernel
 * context, not the caller: an LSM mediates nsgpuperf through the device
 * node (file labels, open and ioctl), not the SELinux perf_event class.
 *
 * Every argument struct starts with __u32 size, which the caller sets to
 * sizeof() of the struct it was compiled with.  The kernel accepts any
 * size from the first published layout (NSGPUPERF_*_SIZE_VER1) on: fields
 * a smaller struct lacks are taken as zero on input and not written on
 * output; bytes of a larger struct that the kernel does not know must be
 * zero (E2BIG otherwise), like copy_struct_from_user().  Pointers are
 * passed as __u64 so that 32-bit callers use the same layout.  Reserved
 * fields and unknown flags must be zero (EINVAL otherwise).
 *
 * Common errors of every ioctl:
 *   ENOTTY  unknown ioctl number;
 *   EFAULT  an argument or array pointer is not accessible;
 *   EINVAL  size smaller than the first published layout, unknown flag,
 *           non-zero reserved field;
 *   E2BIG   size larger than the kernel knows and the extra bytes not zero;
 *   ENOMEM  the caller's memory cgroup (or the host) is out of memory.
 */
#ifndef _UAPI_LINUX_NSGPUPERF_H
#define _UAPI_LINUX_NSGPUPERF_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define NSGPUPERF_ABI_VERSION	3

#define NSGPUPERF_NAME_LEN	64
#define NSGPUPERF_PCI_ADDR_LEN	16
#define NSGPUPERF_DRIVER_LEN	16
#define NSGPUPERF_UNIT_LEN	16
#define NSGPUPERF_CLASS_LEN	16
#define NSGPUPERF_PATH_LEN	256

/* Largest number of events in one group. */
#define NSGPUPERF_MAX_GROUP_EVENTS	64

/**
 * struct nsgpuperf_version - NSGPUPERF_IOC_VERSION
 * @size: in, sizeof(struct nsgpuperf_version)
 * @abi_version: out, NSGPUPERF_ABI_VERSION of the running module
 * @features: out, NSGPUPERF_FEAT_* the session may use (host policy)
 * @cgroup_id: out, id of the opener's own cgroup (v2) at open()
 * @scope: out, NSGPUPERF_SCOPE_*: how the session's usage scope was chosen
 * @scope_flags: out, NSGPUPERF_SCOPE_F_*
 * @scope_cgroup_id: out, id of the scope's cgroup (v2), 0 with
 *	NSGPUPERF_SCOPE_NONE
 * @scope_path: out, path of the scope's cgroup as the opener's cgroup
 *	namespace shows it ("/" for a container's whole scope); empty with
 *	NSGPUPERF_SCOPE_NONE
 *
 * Never fails beyond the common errors.  Callers of the first layout
 * (NSGPUPERF_VERSION_SIZE_VER1) get the fields up to @cgroup_id.
 */
struct nsgpuperf_version {
	__u32 size;
	__u32 abi_version;
	__u64 features;
	__u64 cgroup_id;
	/* ABI 2 */
	__u32 scope;
	__u32 scope_flags;
	__u64 scope_cgroup_id;
	char scope_path[NSGPUPERF_PATH_LEN];
};

#define NSGPUPERF_VERSION_SIZE_VER1	24

/*
 * Usage scopes.  NONE: per-cgroup usage is unavailable to the session
 * (NSGPUPERF_IOC_CGROUP_USAGE fails with ENODATA) because the only scope
 * it could be given is the host's root cgroup: a process of a non-initial
 * user namespace whose cgroup is the v2 root (a cgroup-v1-only host, or a
 * process left there) never sees host-wide usage.
 * CGROUP_NS: the root of the opener's cgroup namespace: every process of
 * the container, whichever of its cgroups it sits in; for the host's own
 * processes, the host.
 * OWN_CGROUP: the opener is in a non-initial user namespace but shares the
 * host's cgroup namespace (a container without a cgroup namespace of its
 * own): its scope falls back to its own cgroup and what is below it.
 */
#define NSGPUPERF_SCOPE_NONE		0
#define NSGPUPERF_SCOPE_CGROUP_NS	1
#define NSGPUPERF_SCOPE_OWN_CGROUP	2

/* @scope_path did not fit and was cut. */
#define NSGPUPERF_SCOPE_F_PATH_TRUNCATED	_BITUL(0)

/* The session may open device-wide counter groups. */
#define NSGPUPERF_FEAT_DEVICE_COUNTERS	_BITULL(0)
/* The session may query per-cgroup usage. */
#define NSGPUPERF_FEAT_CGROUP_USAGE	_BITULL(1)
/* The session must present a GPU's DRM node to see it (non-initial userns). */
#define NSGPUPERF_FEAT_PRESENT_REQUIRED	_BITULL(2)

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
 * are listed, and for a session of a non-initial user namespace only
 * those it presented (NSGPUPERF_IOC_PRESENT_GPU) since their last bind.
 */
struct nsgpuperf_gpu_list {
	__u32 size;
	__u32 flags;
	__u32 count;
	__u32 entry_size;
	__u64 gpus;
};

#define NSGPUPERF_GPU_LIST_SIZE_VER1	24

/**
 * struct nsgpuperf_gpu_present - NSGPUPERF_IOC_PRESENT_GPU
 * @size: in, sizeof(struct nsgpuperf_gpu_present)
 * @flags: in, zero
 * @drm_fd: in, an open file descriptor of the GPU's DRM render or primary
 *	node (as opened by libdrm; O_PATH descriptors are not accepted)
 * @gpu_id: out, the id of the GPU it belongs to
 *
 * Proves to the session that its holder can open the GPU, which sessions
 * of a non-initial user namespace need before they see it.  The proof
 * lasts until the GPU's driver unbinds; the descriptor may be closed
 * afterwards.  Harmless (and needless) for the host's sessions.
 *
 * Errors: EBADF @drm_fd is not an open descriptor; ENODEV it is not the
 * DRM node of a GPU nsgpuperf serves, or the session's device cgroup does
 * not let it see that GPU.
 */
struct nsgpuperf_gpu_present {
	__u32 size;
	__u32 flags;
	__s32 drm_fd;
	__u32 gpu_id;
};

#define NSGPUPERF_GPU_PRESENT_SIZE_VER1	16

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

#define NSGPUPERF_EVENT_LIST_SIZE_VER1	32

/**
 * struct nsgpuperf_group_open - NSGPUPERF_IOC_OPEN_GROUP
 * @size: in, sizeof(struct nsgpuperf_group_open)
 * @flags: in, NSGPUPERF_GROUP_*
 * @gpu_id: in, a GPU id from NSGPUPERF_IOC_LIST_GPUS
 * @nr_events: in, number of configs in @configs (0 to add them later with
 *	NSGPUPERF_GROUP_IOC_ADD), at most NSGPUPERF_MAX_GROUP_EVENTS
 * @read_format: in, PERF_FORMAT_* bits of <linux/perf_event.h> that shape
 *	read() on the group fd: GROUP, TOTAL_TIME_ENABLED, TOTAL_TIME_RUNNING,
 *	ID and (ABI 3) LOST are supported; 0 means GROUP | TOTAL_TIME_ENABLED
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
 * namespace; EMFILE the session's container (see the top of this file)
 * holds the most groups host policy allows.
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

#define NSGPUPERF_GROUP_OPEN_SIZE_VER1	48

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

#define NSGPUPERF_GROUP_ADD_SIZE_VER1	24

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
 * @flags: in, NSGPUPERF_USAGE_*
 * @gpu_id: in, a GPU id from NSGPUPERF_IOC_LIST_GPUS
 * @count: in, room in @classes; out, number of engine classes seen
 * @entry_size: in, sizeof(struct nsgpuperf_engine_usage) as the caller knows it
 * @nr_clients: out, DRM clients of this GPU attributed to the scope
 * @status: out, NSGPUPERF_USAGE_STATUS_*
 * @reserved: zero
 * @classes: in, user pointer to @count entries of @entry_size bytes
 * @cgroup_fd: in, with NSGPUPERF_USAGE_CGROUP_FD: a descriptor of a cgroup
 *	v2 directory inside the session's scope, to narrow the scope to it
 * @reserved2: zero
 * @scope_cgroup_id: out, id of the cgroup whose subtree was summed
 *
 * Sums the DRM fdinfo usage statistics of the GPU's clients attributed to
 * the session's scope (see NSGPUPERF_SCOPE_*), or to the cgroup given.
 * A client is attributed to the cgroup of the process the driver names
 * for it (the opener before 6.7, the last ioctl caller from 6.7); when
 * that process is gone, to any process of the scope that holds the
 * client's file.  The host's root scope counts every client of the GPU.
 *
 * Sums are per session and per scope cgroup, and never decrease between
 * two calls.  The session remembers what it saw of each client while the
 * client exists on the GPU, in memory charged to the caller; a session
 * narrows to at most 16 different cgroups per GPU (ENOSPC past that).
 *
 * Errors: ENODEV GPU not in scope or unbound; EACCES host policy turned
 * per-cgroup usage off; ENODATA the session has no usage scope
 * (NSGPUPERF_SCOPE_NONE); EBADF @cgroup_fd is not a cgroup v2 directory;
 * EPERM @cgroup_fd is outside the session's scope; ENOSPC too many
 * narrowed scopes.
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
	/* ABI 2 */
	__s32 cgroup_fd;
	__u32 reserved2;
	__u64 scope_cgroup_id;
};

#define NSGPUPERF_CGROUP_USAGE_SIZE_VER1	40

/* @cgroup_fd narrows the scope. */
#define NSGPUPERF_USAGE_CGROUP_FD		_BITUL(0)

/*
 * Some clients in scope report no engine usage (i915 before 6.5 with GuC
 * submission), or their fdinfo could not be read whole: the sums are
 * incomplete and must not be shown as zero.
 */
#define NSGPUPERF_USAGE_STATUS_INCOMPLETE	_BITUL(0)

/**
 * struct nsgpuperf_perf_open - NSGPUPERF_IOC_PERF_OPEN (ABI 3)
 * @size: in, sizeof(struct nsgpuperf_perf_open)
 * @flags: in, perf_event_open()'s flags: PERF_FLAG_FD_CLOEXEC,
 *	PERF_FLAG_FD_NO_GROUP, PERF_FLAG_FD_OUTPUT (EINVAL with a @group_fd,
 *	as perf: it has no ring buffer); PERF_FLAG_PID_CGROUP and unknown
 *	bits: EINVAL
 * @attr: in, user pointer to a struct perf_event_attr whose @type is the
 *	PMU type of a GPU the session sees (struct nsgpuperf_gpu_info)
 * @pid: in, perf_event_open()'s pid: -1, as these PMUs count device-wide
 * @cpu: in, perf_event_open()'s cpu
 * @group_fd: in, -1, or the fd of a group leader this ioctl returned
 * @fd: out, the new fd
 * @reserved: zero
 *
 * perf_event_open(@attr, @pid, @cpu, @group_fd, @flags) for a GPU PMU, for
 * a caller that has no CAP_PERFMON in the initial user namespace: what an
 * LD_PRELOAD shim turns the syscall into.  The attr is taken as
 * perf_event_open() takes it (attr.size 0 is the first layout; a larger
 * struct than the kernel's must have a zero tail, else E2BIG with the
 * kernel's size written to attr.size) and checked as perf and the GPU's
 * PMU check it: the PMU's own event_init judges a copy of it, so a field
 * the PMU refuses (sampling, branch stack, a CPU outside its cpumask, an
 * unknown counter) gets the errno perf_event_open() gives the host's root.
 *
 * The new fd is a group leader (@group_fd -1 or PERF_FLAG_FD_NO_GROUP) or
 * a sibling added to @group_fd's group.  It reads as perf reads an event
 * with @attr.read_format (see below), starts disabled with @attr.disabled,
 * and is O_CLOEXEC with PERF_FLAG_FD_CLOEXEC.  The values come from the
 * same shared kernel counters as NSGPUPERF_IOC_OPEN_GROUP's and count
 * against the same limits: a new leader is a group.
 *
 * Errors, besides perf's for the attr: ENOENT @attr.type is not the PMU of
 * a GPU in scope (what perf gives for a type with no PMU); EACCES host
 * policy does not give device-wide counters to this namespace; EMFILE the
 * container holds the most groups allowed; EBADF @group_fd is not an open
 * fd, or not an event fd of nsgpuperf or perf (as perf); EINVAL @group_fd
 * is one of perf's own events (nsgpuperf cannot join groups perf keeps), a
 * sibling, or a leader on another GPU, CPU or clock, or @attr asks a
 * sibling to be pinned or exclusive; ENODEV the leader's GPU unbound;
 * E2BIG the group has NSGPUPERF_MAX_GROUP_EVENTS events.  perf's check of
 * sample register masks is not repeated (these PMUs refuse sampling).
 */
struct nsgpuperf_perf_open {
	__u32 size;
	__u32 flags;
	__u64 attr;
	__s32 pid;
	__s32 cpu;
	__s32 group_fd;
	__s32 fd;
	__u64 reserved;
};

#define NSGPUPERF_PERF_OPEN_SIZE_VER1	40

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
#define NSGPUPERF_IOC_PRESENT_GPU \
	_IOWR(NSGPUPERF_IOC_MAGIC, 0x05, struct nsgpuperf_gpu_present)
#define NSGPUPERF_IOC_PERF_OPEN \
	_IOWR(NSGPUPERF_IOC_MAGIC, 0x06, struct nsgpuperf_perf_open)

/*
 * Group fds (NSGPUPERF_IOC_OPEN_GROUP) and event fds (NSGPUPERF_IOC_PERF_OPEN)
 * speak perf: each fd stands for one event - a group fd for its group's
 * leader, the first event - and answers perf's ioctls as perf_ioctl()
 * answers them for a counting event of a CPU-wide PMU:
 *   PERF_EVENT_IOC_ENABLE, _DISABLE	the event; with PERF_IOC_FLAG_GROUP
 *					its whole group (a sibling's too)
 *   PERF_EVENT_IOC_RESET		its count (with the flag: every count
 *					of its group) restarts at 0; times go on
 *   PERF_EVENT_IOC_ID			writes the event's id to the __u64
 *					the argument points to
 *   PERF_EVENT_IOC_SET_OUTPUT		-1: 0; an event fd: EINVAL (it has
 *					no ring buffer); other fds: EBADF
 *   PERF_EVENT_IOC_REFRESH, _PERIOD, _SET_FILTER, _SET_BPF,
 *   _PAUSE_OUTPUT, _QUERY_BPF		EINVAL (not a sampling or tracing
 *					event), as perf
 *   PERF_EVENT_IOC_MODIFY_ATTRIBUTES	EOPNOTSUPP, as perf
 *   others				ENOTTY
 * As perf, ENABLE, DISABLE and RESET ignore argument bits other than
 * PERF_IOC_FLAG_GROUP (the module's own numbers below refuse them).
 * mmap() is not supported (ENODEV): these events do not sample.
 *
 * read() returns perf's layout for the fd's read_format (the group's
 * read_format for a group fd, attr.read_format for an event fd):
 * PERF_FORMAT_GROUP (the whole group, the leader's times),
 * TOTAL_TIME_ENABLED, TOTAL_TIME_RUNNING, ID and LOST (always 0) are
 * honoured; -ENOSPC if the buffer is too small, -ENODEV once the GPU
 * unbound.  Counts start at 0 when an event is created; a sibling counts
 * while it and its leader are enabled, and its times (enabled and running
 * are equal: nothing is multiplexed) run only while it counts, as perf's.
 * Closing a sibling removes it from its group; closing the leader's fd
 * makes each remaining sibling a group of its own, as perf does, except
 * that such a former sibling cannot lead new events (EINVAL).
 *
 * The NSGPUPERF_GROUP_IOC_* numbers below are the same calls under the
 * module's own ioctl magic (ENABLE, DISABLE, RESET) plus ADD.
 *
 * On a group fd, which stands for the group's leader (its first event), as
 * perf_ioctl() treats PERF_EVENT_IOC_{ENABLE,DISABLE,RESET}: with argument
 * 0 they act on the leader alone (ENABLE/DISABLE of the leader start and
 * stop the whole group's counting; RESET zeroes the leader's count only);
 * with PERF_IOC_FLAG_GROUP, on every event.  Other argument bits: EINVAL.
 */
#define NSGPUPERF_GROUP_IOC_ENABLE	_IO(NSGPUPERF_IOC_MAGIC, 0x20)
#define NSGPUPERF_GROUP_IOC_DISABLE	_IO(NSGPUPERF_IOC_MAGIC, 0x21)
#define NSGPUPERF_GROUP_IOC_RESET	_IO(NSGPUPERF_IOC_MAGIC, 0x22)
#define NSGPUPERF_GROUP_IOC_ADD \
	_IOWR(NSGPUPERF_IOC_MAGIC, 0x23, struct nsgpuperf_group_add)

#endif /* _UAPI_LINUX_NSGPUPERF_H */
