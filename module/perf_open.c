// SPDX-License-Identifier: GPL-2.0
/*
 * NSGPUPERF_IOC_PERF_OPEN: perf_event_open() for a GPU's PMU, on behalf of
 * a caller perf itself refuses (no CAP_PERFMON in the initial user
 * namespace), so that a shim can hand unmodified tools a working fd.
 *
 * The caller must get what perf_event_open() would give the host's root:
 * the same fd semantics (group.c) and the same errno for what perf or the
 * PMU refuses.  The checks perf makes in the syscall itself are made here,
 * in the syscall's order; the PMU's event_init and perf's allocation
 * checks are run for real, on a disabled copy of the caller's event
 * created and released at once (nsgp_counter_trial()), so that each
 * kernel's and each driver's own rules apply without a copy of them here.
 * Permission checks are not repeated: the session is the permission.
 * Counting then uses the GPU's shared kernel counters, as groups do.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/perf_event.h>
#include <linux/pid.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <linux/time.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "nsgp.h"

/* perf_event_open()'s flags (kernel/events/core.c's PERF_FLAG_ALL). */
#define NSGP_PERF_FLAGS		(PERF_FLAG_FD_NO_GROUP | PERF_FLAG_FD_OUTPUT | \
				 PERF_FLAG_PID_CGROUP | PERF_FLAG_FD_CLOEXEC)

/*
 * perf_copy_attr(): the attr as the syscall takes it.  Permission checks
 * are left out (the session is the permission), and so is the
 * architecture's check of sample register masks, which perf does not
 * export: these PMUs refuse sampling anyway.
 */
static int nsgp_perf_copy_attr(struct perf_event_attr __user *uattr,
			       struct perf_event_attr *attr)
{
	u32 size;
	int ret;

	memset(attr, 0, sizeof(*attr));
	if (get_user(size, &uattr->size))
		return -EFAULT;
	if (!size)
		size = PERF_ATTR_SIZE_VER0;	/* perf's ABI quirk */
	if (size < PERF_ATTR_SIZE_VER0 || size > PAGE_SIZE)
		goto err_size;
	ret = copy_struct_from_user(attr, sizeof(*attr), uattr, size);
	if (ret == -E2BIG)
		goto err_size;
	if (ret)
		return ret;
	attr->size = size;

	if (attr->__reserved_1 || attr->__reserved_2 || attr->__reserved_3)
		return -EINVAL;
	if (attr->sample_type & ~(PERF_SAMPLE_MAX - 1))
		return -EINVAL;
	if (attr->read_format & ~(PERF_FORMAT_MAX - 1))
		return -EINVAL;
	if (attr->sample_type & PERF_SAMPLE_BRANCH_STACK) {
		u64 mask = attr->branch_sample_type;

		if (mask & ~(PERF_SAMPLE_BRANCH_MAX - 1))
			return -EINVAL;
		if (!(mask & ~PERF_SAMPLE_BRANCH_PLM_ALL))
			return -EINVAL;
	}
	if (attr->sample_type & PERF_SAMPLE_STACK_USER &&
	    (attr->sample_stack_user >= USHRT_MAX ||
	     !IS_ALIGNED(attr->sample_stack_user, sizeof(u64))))
		return -EINVAL;
	if ((attr->sample_type & PERF_SAMPLE_WEIGHT) &&
	    (attr->sample_type & PERF_SAMPLE_WEIGHT_STRUCT))
		return -EINVAL;
	if (!attr->inherit && attr->inherit_thread)
		return -EINVAL;
	if (attr->remove_on_exec && attr->enable_on_exec)
		return -EINVAL;
	if (attr->sigtrap && !attr->remove_on_exec)
		return -EINVAL;
	return 0;

err_size:
	if (put_user((u32)sizeof(*attr), &uattr->size))
		return -EFAULT;
	return -E2BIG;
}

/* perf_event_set_clock(): which clocks an event may use on this PMU. */
static int nsgp_perf_check_clock(int clockid, u32 pmu_caps)
{
	switch (clockid) {
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
		return 0;	/* NMI-safe */
	case CLOCK_REALTIME:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		return pmu_caps & PERF_PMU_CAP_NO_NMI ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/*
 * perf_fget_light() of a group_fd: EBADF for a closed fd or one that is
 * no event; a real perf event cannot lead a GPU event of ours (EINVAL,
 * what perf gives for a group across PMU contexts).
 */
static int nsgp_perf_group_fd(int group_fd, struct file **filep,
			      struct nsgp_event_file **leader)
{
	struct file *f = fget(group_fd);

	if (!f)
		return -EBADF;
	*leader = nsgp_event_file_of(f);
	if (!*leader) {
		bool perf = !strcmp(f->f_path.dentry->d_name.name,
				    "[perf_event]");

		fput(f);
		return perf ? -EINVAL : -EBADF;
	}
	*filep = f;
	return 0;
}

/* find_lively_task_by_vpid(): pid 0 is the caller. */
static struct task_struct *nsgp_perf_task(pid_t pid)
{
	struct task_struct *task;

	rcu_read_lock();
	task = pid ? pid_task(find_vpid(pid), PIDTYPE_PID) : current;
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	return task ?: ERR_PTR(-ESRCH);
}

/**
 * nsgp_ioctl_perf_open() - NSGPUPERF_IOC_PERF_OPEN
 * @s: the session
 * @uarg: struct nsgpuperf_perf_open
 *
 * Return: the new fd, or perf_event_open()'s error for the same arguments,
 * or -ENOENT (attr.type is no GPU PMU in scope), -EACCES (host policy),
 * -EMFILE (group limit), -EINVAL (PERF_FLAG_PID_CGROUP, a reserved field),
 * -EFAULT.
 */
long nsgp_ioctl_perf_open(struct nsgp_session *s, void __user *uarg)
{
	struct perf_event_attr attr, trial;
	struct nsgp_event_file *leader = NULL;
	struct task_struct *task = NULL;
	struct nsgpuperf_perf_open o;
	struct file *group = NULL, *file;
	struct nsgp_event_spec spec;
	struct nsgp_gpu *gpu;
	u32 usize, pmu_caps = 0;
	int fd, ret;

	ret = nsgp_copy_struct_in(&o, sizeof(o), NSGPUPERF_PERF_OPEN_SIZE_VER1,
				  uarg, &usize);
	if (ret)
		return ret;
	if (o.reserved)
		return -EINVAL;

	/* sys_perf_event_open()'s checks, in its order */
	if (o.flags & ~NSGP_PERF_FLAGS)
		return -EINVAL;
	ret = nsgp_perf_copy_attr(u64_to_user_ptr(o.attr), &attr);
	if (ret)
		return ret;
	/*
	 * perf's checks of the sampling rate are left to the trial below:
	 * the rate limit is not exported, and a GPU PMU refuses every
	 * sampling event with the same EINVAL.
	 */
	if ((o.flags & PERF_FLAG_PID_CGROUP) && (o.pid == -1 || o.cpu == -1))
		return -EINVAL;

	/* Ours: which GPU, and may this session count it at all */
	gpu = nsgp_gpu_get_by_pmu_type(s, attr.type);
	if (IS_ERR(gpu))
		return PTR_ERR(gpu);
	if (!nsgp_session_device_counters(s)) {
		ret = -EACCES;
		goto out_gpu;
	}

	if (o.group_fd != -1) {
		ret = nsgp_perf_group_fd(o.group_fd, &group, &leader);
		if (ret)
			goto out_gpu;
		if (o.flags & PERF_FLAG_FD_NO_GROUP)
			leader = NULL;
	}
	if (o.pid != -1 && !(o.flags & PERF_FLAG_PID_CGROUP)) {
		task = nsgp_perf_task(o.pid);
		if (IS_ERR(task)) {
			ret = PTR_ERR(task);
			task = NULL;
			goto out_group;
		}
	}

	/*
	 * The PMU's and perf's allocation checks, on the event itself; the
	 * AUX bits, which a kernel counter may not have, are checked after
	 * as perf_event_alloc() checks them.
	 */
	trial = attr;
	trial.aux_output = 0;
	nsgp_attr_clear_aux_action(&trial);
	ret = nsgp_counter_trial(gpu, &trial, o.cpu, task, &pmu_caps);
	if (ret)
		goto out_task;
	if (attr.aux_output && !(pmu_caps & PERF_PMU_CAP_AUX_OUTPUT)) {
		ret = -EOPNOTSUPP;
		goto out_task;
	}
	ret = nsgp_attr_check_aux_action(&attr, pmu_caps);
	if (ret)
		goto out_task;
	/* A cgroup event on an uncore PMU, which perf refuses from 6.2 */
	if (o.flags & PERF_FLAG_PID_CGROUP) {
		ret = -EINVAL;
		goto out_task;
	}
	if (attr.use_clockid) {
		ret = nsgp_perf_check_clock(attr.clockid, pmu_caps);
		if (ret)
			goto out_task;
	}
	/* Only a group leader can be exclusive or pinned. */
	if (leader && (attr.exclusive || attr.pinned)) {
		ret = -EINVAL;
		goto out_task;
	}
	/*
	 * perf_event_set_output() to a group_fd with no ring buffer, and an
	 * AUX event with no AUX leader (a GPU PMU has no AUX area): EINVAL.
	 */
	if ((group && (o.flags & PERF_FLAG_FD_OUTPUT)) || attr.aux_output ||
	    nsgp_attr_has_aux_action(&attr)) {
		ret = -EINVAL;
		goto out_task;
	}

	spec = (struct nsgp_event_spec) {
		.config = attr.config,
		.read_format = attr.read_format,
		.cpu = o.cpu,
		.clock = attr.use_clockid ? attr.clockid : NSGP_CLOCK_DEFAULT,
		.disabled = attr.disabled,
	};
	fd = get_unused_fd_flags(O_RDWR | (o.flags & PERF_FLAG_FD_CLOEXEC ?
					   O_CLOEXEC : 0));
	if (fd < 0) {
		ret = fd;
		goto out_task;
	}
	file = nsgp_event_open(s, gpu, leader, &spec);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		ret = PTR_ERR(file);
		goto out_task;
	}
	o.fd = fd;
	ret = nsgp_copy_struct_out(uarg, usize, &o, sizeof(o));
	if (ret) {
		put_unused_fd(fd);
		fput(file);
		goto out_task;
	}
	fd_install(fd, file);
	ret = fd;

out_task:
	if (task)
		put_task_struct(task);
out_group:
	if (group)
		fput(group);
out_gpu:
	nsgp_gpu_put(gpu);
	return ret;
}
