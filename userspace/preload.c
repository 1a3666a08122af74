// SPDX-License-Identifier: GPL-2.0
/*
 * libnsgpuperf-preload.so: perf_event_open() for GPU PMUs through
 * /dev/nsgpuperf, so that unmodified tools (intel_gpu_top, perf, btop, and
 * everything built on igt's perf code) work in an unprivileged container.
 *
 * Load it with LD_PRELOAD=/path/libnsgpuperf-preload.so for one command, or
 * list it in /etc/ld.so.preload for every process of a container.
 *
 * glibc has no perf_event_open() wrapper: tools call
 * syscall(__NR_perf_event_open, ...), so syscall() is interposed (and
 * perf_event_open(), in case a libc ever exports one).  For an attr whose
 * type is the PMU of a GPU that nsgpuperf lists to this process, the call
 * becomes NSGPUPERF_IOC_PERF_OPEN on a fresh session of the device
 * ($NSGPUPERF_DEVICE, default /dev/nsgpuperf), with attr, pid, cpu,
 * group_fd and flags passed unchanged: the kernel checks them as perf does
 * and returns perf's errnos, and the fd it returns reads and answers
 * perf's ioctls as a perf event fd.  The session is closed again; the
 * event fd lives on its own.
 *
 * Everything else goes to the real syscall() untouched, with errno as the
 * caller left it: other syscalls, standard perf types (hardware, software,
 * tracepoint, cache, raw, breakpoint), PMUs nsgpuperf does not serve, and
 * every perf_event_open() when the device cannot be opened, so that a
 * process without the device behaves exactly as without this library.
 *
 * No state is kept between calls: no allocation, no locks, no stdio, no
 * caching; the only globals are the real functions, resolved once.  Safe
 * in threads and in forked children.  The device calls are libnsgpuperf's
 * lowest layer (lib/device.c), which keeps to the same rules.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/nsgpuperf.h>
#include <linux/perf_event.h>

#include "lib/ngp_device.h"

#define SHIM_EXPORT	__attribute__((visibility("default")))
/* GPUs looked at per call; a GPU past these is passed to the real syscall */
#define MAX_GPUS	32

/* Not served: hand the call to the real perf_event_open. */
#define NOT_SERVED	(-1L - 4095)

typedef long (*syscall_fn)(long, ...);
typedef int (*perf_event_open_fn)(struct perf_event_attr *, pid_t, int, int,
				  unsigned long);

static _Atomic(syscall_fn) real_syscall_fn;
static _Atomic(perf_event_open_fn) real_peo_fn;
/* real_peo_fn was looked up (it may be NULL: glibc exports none) */
static atomic_int real_peo_resolved;

SHIM_EXPORT long syscall(long nr, ...);
SHIM_EXPORT int perf_event_open(struct perf_event_attr *attr, pid_t pid,
				int cpu, int group_fd, unsigned long flags);

static syscall_fn real_syscall(void)
{
	syscall_fn fn = atomic_load_explicit(&real_syscall_fn,
					     memory_order_acquire);
	int saved;

	if (fn)
		return fn;
	/* Called before our constructor ran (another library's constructor). */
	saved = errno;
	fn = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
	errno = saved;
	atomic_store_explicit(&real_syscall_fn, fn, memory_order_release);
	return fn;
}

static perf_event_open_fn real_perf_event_open(void)
{
	perf_event_open_fn fn;
	int saved;

	if (atomic_load_explicit(&real_peo_resolved, memory_order_acquire))
		return atomic_load_explicit(&real_peo_fn, memory_order_relaxed);
	saved = errno;
	fn = (perf_event_open_fn)dlsym(RTLD_NEXT, "perf_event_open");
	errno = saved;
	atomic_store_explicit(&real_peo_fn, fn, memory_order_relaxed);
	atomic_store_explicit(&real_peo_resolved, 1, memory_order_release);
	return fn;
}

__attribute__((constructor)) static void shim_init(void)
{
	real_syscall();
	real_perf_event_open();
}

static long pass_syscall(long nr, long a, long b, long c, long d, long e,
			 long f)
{
	syscall_fn fn = real_syscall();

	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	return fn(nr, a, b, c, d, e, f);
}

/*
 * Whether 8 bytes at p (perf_event_attr's type and size, which perf reads
 * first) can be read, without faulting: rt_sigprocmask() copies the new
 * set in before it looks at "how", and an invalid "how" then makes it
 * return EINVAL without changing the mask.  A bad attr pointer thus gets
 * the real syscall's EFAULT instead of a SIGSEGV in here.
 */
static int attr_readable(const void *p)
{
	long ret = pass_syscall(SYS_rt_sigprocmask, -1, (long)p, 0, 8, 0, 0);

	return ret < 0 && errno == EINVAL;
}

/* Whether the session lists a GPU whose PMU has this type. */
static int type_served(int dev, __u32 type)
{
	struct nsgpuperf_gpu_info gpus[MAX_GPUS];
	int i, n = ngp_device_list_gpus(dev, gpus, MAX_GPUS);

	for (i = 0; i < n && i < MAX_GPUS; i++)
		if (gpus[i].pmu_type == type)
			return 1;
	return 0;
}

/*
 * The event fd, -errno from the kernel, or NOT_SERVED.  The device is
 * opened and closed here; errno is left changed.
 */
static long gpu_perf_open(struct perf_event_attr *attr, __u32 type, pid_t pid,
			  int cpu, int group_fd, unsigned long flags)
{
	struct nsgpuperf_version ver;
	struct nsgpuperf_perf_open po = {
		.size = sizeof(po),
		.flags = (__u32)flags,
		.attr = (uintptr_t)attr,
		.pid = pid,
		.cpu = cpu,
		.group_fd = group_fd,
	};
	long ret = NOT_SERVED;
	int dev = ngp_device_open(NULL);

	if (dev < 0)
		return NOT_SERVED;
	if (ngp_device_version(dev, &ver) || ver.abi_version < 3)
		goto out;
	if (ver.features & NSGPUPERF_FEAT_PRESENT_REQUIRED)
		ngp_device_present_render_nodes(dev);
	if (!type_served(dev, type))
		goto out;
	if (flags != po.flags) {
		/* perf's first check: flag bits it does not know */
		ret = -EINVAL;
		goto out;
	}
	ret = ioctl(dev, NSGPUPERF_IOC_PERF_OPEN, &po);
	if (ret < 0)
		ret = -errno;
out:
	close(dev);
	return ret;
}

static long shim_perf_event_open(struct perf_event_attr *attr, pid_t pid,
				 int cpu, int group_fd, unsigned long flags,
				 int *served)
{
	int saved = errno;
	__u32 type;
	long ret;

	*served = 0;
	if (!attr || !attr_readable(attr))
		goto pass;
	type = attr->type;
	if (type < PERF_TYPE_MAX)
		goto pass;
	ret = gpu_perf_open(attr, type, pid, cpu, group_fd, flags);
	if (ret == NOT_SERVED)
		goto pass;
	*served = 1;
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	errno = saved;
	return ret;
pass:
	errno = saved;
	return 0;
}

SHIM_EXPORT long syscall(long nr, ...)
{
	long a[6], ret;
	va_list ap;
	int i, served;

	/* As glibc's syscall(): six arguments, whatever the call takes. */
	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	if (nr == SYS_perf_event_open) {
		ret = shim_perf_event_open((struct perf_event_attr *)a[0],
					   (pid_t)a[1], (int)a[2], (int)a[3],
					   (unsigned long)a[4], &served);
		if (served)
			return ret;
	}
	return pass_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

SHIM_EXPORT int perf_event_open(struct perf_event_attr *attr, pid_t pid,
				int cpu, int group_fd, unsigned long flags)
{
	perf_event_open_fn fn;
	int served;
	long ret;

	ret = shim_perf_event_open(attr, pid, cpu, group_fd, flags, &served);
	if (served)
		return (int)ret;
	fn = real_perf_event_open();
	if (fn)
		return fn(attr, pid, cpu, group_fd, flags);
	return (int)pass_syscall(SYS_perf_event_open, (long)attr, pid, cpu,
				 group_fd, (long)flags, 0);
}
