// SPDX-License-Identifier: GPL-2.0
/* The ioctl table and the random-ioctl fuzzer; see nsgp_fuzz.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "nsgp_fuzz.h"
#include "nsgp_test.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define PG		NSGP_PG
#define FMT_GROUP_TE	(PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED)
#define FMT_ALL		(FMT_GROUP_TE | PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID)

const struct nsgp_ioc nsgp_iocs[I_NR] = {
	[I_VERSION] = { "VERSION", NSGPUPERF_IOC_VERSION,
			sizeof(struct nsgpuperf_version), false,
			NSGPUPERF_VERSION_SIZE_VER1 },
	[I_LIST_GPUS] = { "LIST_GPUS", NSGPUPERF_IOC_LIST_GPUS,
			  sizeof(struct nsgpuperf_gpu_list), false,
			  NSGPUPERF_GPU_LIST_SIZE_VER1 },
	[I_LIST_EVENTS] = { "LIST_EVENTS", NSGPUPERF_IOC_LIST_EVENTS,
			    sizeof(struct nsgpuperf_event_list), false,
			    NSGPUPERF_EVENT_LIST_SIZE_VER1 },
	[I_OPEN_GROUP] = { "OPEN_GROUP", NSGPUPERF_IOC_OPEN_GROUP,
			   sizeof(struct nsgpuperf_group_open), false,
			   NSGPUPERF_GROUP_OPEN_SIZE_VER1 },
	[I_CGROUP_USAGE] = { "CGROUP_USAGE", NSGPUPERF_IOC_CGROUP_USAGE,
			     sizeof(struct nsgpuperf_cgroup_usage), false,
			     NSGPUPERF_CGROUP_USAGE_SIZE_VER1 },
	[I_PRESENT_GPU] = { "PRESENT_GPU", NSGPUPERF_IOC_PRESENT_GPU,
			    sizeof(struct nsgpuperf_gpu_present), false,
			    NSGPUPERF_GPU_PRESENT_SIZE_VER1 },
	[I_GROUP_ADD] = { "GROUP_IOC_ADD", NSGPUPERF_GROUP_IOC_ADD,
			  sizeof(struct nsgpuperf_group_add), true,
			  NSGPUPERF_GROUP_ADD_SIZE_VER1 },
};

struct fz {
	uint32_t s;
	int tid;
	uint32_t gpu0, gpu1;
	char *arg;		/* one page, then an inaccessible page */
	char *data;		/* FZ_DATA bytes, then an inaccessible page */
	const char *ro;		/* read-only page, some valid structs in it */
	int sess[2];
	int grp[4];
	struct nsgp_fuzz_stats *out;
	pthread_mutex_t *lock;
	time_t deadline;
	unsigned int iters;
	bool churn;
	uint64_t calls, known_ok, known_err, unknown, reads, groups_opened, gone, fails;
};

#define FZ_DATA		(64 * 1024)

static uint32_t rnd(struct fz *z)
{
	/* xorshift32 */
	z->s ^= z->s << 13;
	z->s ^= z->s >> 17;
	z->s ^= z->s << 5;
	return z->s;
}

static uint64_t rnd64(struct fz *z)
{
	return (uint64_t)rnd(z) << 32 | rnd(z);
}

static void fz_fail(struct fz *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fz_fail(struct fz *z, const char *fmt, ...)
{
	struct nsgp_fuzz_stats *o = z->out;
	char msg[160], *m;
	unsigned int k;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m = strchr(msg, ' ') ? strchr(msg, ' ') + 1 : msg;	/* "t<N> " aside */
	z->fails++;
	pthread_mutex_lock(z->lock);
	o->fails++;
	for (k = 0; k < o->nr_kinds; k++)
		if (!strcmp(o->kind[k].msg, m))
			break;
	if (k == o->nr_kinds && k < ARRAY_SIZE(o->kind))
		snprintf(o->kind[o->nr_kinds++].msg, sizeof(o->kind[0].msg), "%s", m);
	if (k < ARRAY_SIZE(o->kind))
		o->kind[k].n++;
	pthread_mutex_unlock(z->lock);
}

static uint32_t fz_u32(struct fz *z, uint32_t good)
{
	switch (rnd(z) % 10) {
	case 0: return 0;
	case 1: return 0xffffffffu;
	case 2: return 1u << (rnd(z) % 32);
	case 3: return rnd(z);
	case 4: return rnd(z) % 80;
	default: return good;
	}
}

/*
 * A pointer for an array of `need` bytes: mostly valid (inside data when it
 * fits), else NULL, unmapped, read-only, straddling into the guard page, a
 * kernel or non-canonical address, or small garbage below mmap_min_addr.
 * Never a random user address: the kernel could then legitimately write
 * into this process' own memory.
 */
static uint64_t fz_ptr(struct fz *z, uint64_t need)
{
	switch (rnd(z) % 12) {
	case 0: return 0;
	case 1: return (uintptr_t)z->data + FZ_DATA + (rnd(z) % PG);	/* guard */
	case 2: return (uintptr_t)z->ro + (rnd(z) % PG);
	case 3: return (uintptr_t)z->data + FZ_DATA - 1 - (rnd(z) % 256);
	case 4: return KERNEL_PTR + (rnd(z) % (1 << 20));
	case 5: return (rnd64(z) | (1ULL << 63));
	case 6: return rnd(z) % 0x10000;
	default:
		if (need > FZ_DATA)
			return (uintptr_t)z->data + FZ_DATA;	/* guard */
		return (uintptr_t)z->data + ((rnd(z) % (FZ_DATA - need + 1)) & ~7UL);
	}
}

static const uint64_t fz_cfgs[] = {
	CFG_RCS0_BUSY, CFG_RCS0_WAIT, CFG_BCS0_BUSY, CFG_VCS0_BUSY, CFG_VCS1_BUSY,
	CFG_VECS0_SEMA, I915_PMU_ACTUAL_FREQUENCY, I915_PMU_REQUESTED_FREQUENCY,
	I915_PMU_INTERRUPTS, I915_PMU_RC6_RESIDENCY,
};

static uint64_t fz_config(struct fz *z)
{
	switch (rnd(z) % 8) {
	case 0: return rnd64(z);
	case 1: return rnd(z) % 0x100010;
	case 2: return __I915_PMU_ENGINE(rnd(z) % 8, rnd(z) % 4, rnd(z) % 4);
	default: return fz_cfgs[rnd(z) % ARRAY_SIZE(fz_cfgs)];
	}
}

static uint32_t fz_gpu(struct fz *z)
{
	switch (rnd(z) % 8) {
	case 0: return rnd(z) % 8;
	case 1: return rnd(z);
	case 2: return z->gpu1;
	default: return z->gpu0;
	}
}

/* Entry size and count such that a valid pointer always has the room. */
static void fz_array(struct fz *z, uint32_t v1, __u32 *count, __u32 *esz, __u64 *ptr)
{
	uint64_t written;

	*esz = (uint32_t[]){ v1, v1, v1, v1 + 8, v1 + 64, v1 - 1, 0, rnd(z) }[rnd(z) % 8];
	*count = fz_u32(z, rnd(z) % 70);
	/* the kernel writes at most min(count, what it has) entries: <= 64 here */
	written = (uint64_t)(*count < 64 ? *count : 64) * (*esz > v1 ? *esz : v1);
	*ptr = fz_ptr(z, written);
}

/* Build a random argument for device ioctl / group ioctl `which` in z->arg. */
static char *fz_build(struct fz *z, int which)
{
	size_t v1 = nsgp_iocs[which].size, size;
	char *a;

	switch (rnd(z) % 10) {
	case 0: size = 0; break;
	case 1: size = rnd(z) % v1; break;
	case 2: size = v1 + 8 * (1 + rnd(z) % 8); break;
	case 3: size = rnd(z) % (PG + 64); break;
	default: size = v1;
	}
	/* mostly at the page start; sometimes so that it runs into the guard */
	a = z->arg;
	if (rnd(z) % 8 == 0)
		a = z->arg + PG - (rnd(z) % (v1 + 8)) - 4;
	if (a + 4 > z->arg + PG)
		a = z->arg + PG - 4;
	memset(z->arg, 0, PG);
	if (rnd(z) % 16 == 0) {
		unsigned int i;

		for (i = 0; i < PG / 4; i++)
			((uint32_t *)z->arg)[i] = rnd(z);
	} else if (size > v1 && a + size <= z->arg + PG && rnd(z) % 4 == 0) {
		a[v1 + rnd(z) % (size - v1)] = (char)(1 + rnd(z) % 255);
	}

	/* the v1 fields, built in a local copy then copied in as far as it fits */
	{
		union {
			struct nsgpuperf_version v;
			struct nsgpuperf_gpu_list gl;
			struct nsgpuperf_event_list el;
			struct nsgpuperf_group_open go;
			struct nsgpuperf_cgroup_usage cu;
			struct nsgpuperf_gpu_present gp;
			struct nsgpuperf_group_add ga;
			char raw[64];
		} u;
		size_t room = z->arg + PG - a;

		memset(&u, 0, sizeof(u));
		switch (which) {
		case I_VERSION:
			break;
		case I_LIST_GPUS:
			u.gl.flags = fz_u32(z, 0);
			fz_array(z, sizeof(struct nsgpuperf_gpu_info), &u.gl.count,
				 &u.gl.entry_size, &u.gl.gpus);
			break;
		case I_LIST_EVENTS:
			u.el.flags = fz_u32(z, 0);
			u.el.gpu_id = fz_gpu(z);
			u.el.reserved = rnd(z) % 16 ? 0 : rnd(z);
			fz_array(z, sizeof(struct nsgpuperf_event_info), &u.el.count,
				 &u.el.entry_size, &u.el.events);
			break;
		case I_OPEN_GROUP: {
			uint32_t n = (rnd(z) % 8) ? 1 + rnd(z) % 6 : fz_u32(z, rnd(z) % 70);
			uint64_t *cfg;
			unsigned int i;

			u.go.flags = (rnd(z) % 8) ? rnd(z) % 2 : fz_u32(z, 0);
			u.go.gpu_id = fz_gpu(z);
			u.go.nr_events = n;
			u.go.read_format = (uint64_t[]){ 0, FMT_GROUP_TE, FMT_ALL,
					PERF_FORMAT_ID, rnd(z) % 64, rnd64(z) }[rnd(z) % 6];
			u.go.configs = fz_ptr(z, 8ULL * (n < 80 ? n : 80));
			/* configs in data: mostly known, sometimes random */
			cfg = (uint64_t *)z->data;
			for (i = 0; i < 80; i++)
				cfg[i] = fz_config(z);
			if (rnd(z) % 2)
				u.go.configs = (uintptr_t)cfg;
			u.go.ids = (rnd(z) % 3) ? 0 : fz_ptr(z, 8ULL * (n < 80 ? n : 80));
			if (u.go.ids >= (uintptr_t)z->data && u.go.ids < (uintptr_t)z->data + 1024)
				u.go.ids += 1024;	/* not over the configs */
			u.go.fd = rnd(z);
			u.go.reserved = rnd(z) % 16 ? 0 : rnd(z);
			break;
		}
		case I_CGROUP_USAGE:
			u.cu.flags = fz_u32(z, 0);
			u.cu.cgroup_fd = (int)(rnd(z) % 16);
			u.cu.gpu_id = fz_gpu(z);
			u.cu.reserved = rnd(z) % 16 ? 0 : rnd(z);
			u.cu.nr_clients = rnd(z);
			u.cu.status = rnd(z);
			fz_array(z, sizeof(struct nsgpuperf_engine_usage), &u.cu.count,
				 &u.cu.entry_size, &u.cu.classes);
			break;
		case I_PRESENT_GPU:
			u.gp.flags = fz_u32(z, 0);
			u.gp.drm_fd = (int)(rnd(z) % 8 ? rnd(z) % 16 : rnd(z));
			u.gp.gpu_id = rnd(z);
			break;
		case I_GROUP_ADD:
			u.ga.flags = fz_u32(z, 0);
			u.ga.config = fz_config(z);
			u.ga.id = rnd64(z);
			break;
		}
		u.v.size = size;
		memcpy(a, &u, v1 < room ? v1 : room);
	}

	switch (rnd(z) % 24) {
	case 0: return NULL;
	case 1: return (char *)(uintptr_t)(KERNEL_PTR + rnd(z) % PG);
	case 2: return z->arg + PG + rnd(z) % PG;		/* guard page */
	case 3: return (char *)z->ro + 64 * (rnd(z) % 8);	/* valid structs, read-only */
	default: return a;
	}
}

static bool errno_in(int e, const int *set)
{
	for (; *set; set++)
		if (*set == e)
			return true;
	return false;
}

static const int ok_common[] = { EFAULT, EINVAL, E2BIG, 0 };
static const int ok_gpu[] = { EFAULT, EINVAL, E2BIG, ENODEV, EACCES, 0 };
/* usage narrowed by a random fd: not a cgroup (EBADF) */
static const int ok_usage[] = { EFAULT, EINVAL, E2BIG, ENODEV, EACCES, EBADF, 0 };
static const int ok_present[] = { EFAULT, EINVAL, E2BIG, ENODEV, EBADF, 0 };
static const int ok_open[] = { EFAULT, EINVAL, E2BIG, ENODEV, ENOENT, EACCES, EMFILE,
			       ENFILE, 0 };

static const int *fz_allowed(int which)
{
	switch (which) {
	case I_VERSION:
	case I_LIST_GPUS:
		return ok_common;
	case I_LIST_EVENTS:
		return ok_gpu;
	case I_CGROUP_USAGE:
		return ok_usage;
	case I_PRESENT_GPU:
		return ok_present;
	default:
		return ok_open;
	}
}

static void fz_track_group(struct fz *z, int g)
{
	unsigned int i = rnd(z) % ARRAY_SIZE(z->grp);

	z->groups_opened++;
	if (z->grp[i] >= 0)
		close(z->grp[i]);
	z->grp[i] = g;
}

static int fz_session(struct fz *z)
{
	unsigned int i = rnd(z) % ARRAY_SIZE(z->sess);

	if (z->sess[i] < 0 || rnd(z) % 512 == 0) {
		if (z->sess[i] >= 0)
			close(z->sess[i]);
		z->sess[i] = open(NSGP_DEV, O_RDONLY | O_CLOEXEC);
		if (z->sess[i] < 0)
			fz_fail(z, "t%d open %s: errno %d", z->tid, NSGP_DEV, errno);
	}
	return z->sess[i];
}

static int fz_group(struct fz *z)
{
	unsigned int i = rnd(z) % ARRAY_SIZE(z->grp);
	int s;

	if (z->grp[i] < 0) {
		uint64_t cfg[2] = { fz_cfgs[rnd(z) % ARRAY_SIZE(fz_cfgs)],
				    fz_cfgs[rnd(z) % ARRAY_SIZE(fz_cfgs)] };

		s = fz_session(z);
		if (s < 0)
			return -1;
		z->grp[i] = nsgp_open_group(s, rnd(z) % 2 ? z->gpu0 : z->gpu1, cfg,
					    1 + rnd(z) % 2, 0, 0, NULL);
		if (z->grp[i] == -ENODEV && z->churn)
			z->gone++;
		else if (z->grp[i] < 0 && z->grp[i] != -EMFILE)
			fz_fail(z, "t%d valid OPEN_GROUP: errno %d", z->tid, -z->grp[i]);
		if (z->grp[i] < 0)
			return z->grp[i] = -1;
		z->groups_opened++;
	}
	return z->grp[i];
}

static unsigned long fz_random_cmd(struct fz *z)
{
	static const unsigned int sizes[] = { 0, 4, 8, 16, 24, 32, 40, 48, 56, 64 };
	unsigned int size = rnd(z) % 2 ? sizes[rnd(z) % ARRAY_SIZE(sizes)]
				       : rnd(z) % (1 << _IOC_SIZEBITS);
	/*
	 * Our magic, its neighbours and perf's: never a number the VFS handles
	 * itself in do_vfs_ioctl() (FIGETBSZ, FIONBIO, FICLONE, FS_IOC_FIEMAP...).
	 */
	static const unsigned int types[] = { NSGPUPERF_IOC_MAGIC - 1, NSGPUPERF_IOC_MAGIC + 1,
					      '$' };
	unsigned int type, nr;

	/*
	 * Not NSGPUPERF_IOC_PERF_OPEN nor perf's own numbers ('$' 0..11),
	 * which group fds answer: perfopen_test covers them.
	 */
	do {
		type = rnd(z) % 8 ? NSGPUPERF_IOC_MAGIC : types[rnd(z) % 3];
		nr = rnd(z) % 0x31;
	} while ((type == NSGPUPERF_IOC_MAGIC && nr == 0x06) ||
		 (type == '$' && nr <= 11));
	return _IOC(rnd(z) % 4, type, nr, size);
}

/*
 * Churn: a group call failed with @e.  ENODEV means its GPU unbound since
 * it opened (it stays so forever): count it and put a new group in its
 * place.  Return whether that was it.
 */
static bool fz_gone(struct fz *z, int fd, int e)
{
	unsigned int i;

	if (!z->churn || e != ENODEV)
		return false;
	z->gone++;
	for (i = 0; i < ARRAY_SIZE(z->grp); i++)
		if (z->grp[i] == fd) {
			close(fd);
			z->grp[i] = -1;
		}
	return true;
}

#define IOC_BASE(cmd)	((cmd) & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT))

/* Struct ioctls are known whatever their size bits (newer headers). */
static int fz_known(unsigned long cmd, bool group)
{
	int i;

	for (i = 0; i < I_NR; i++)
		if (IOC_BASE(nsgp_iocs[i].cmd) == IOC_BASE(cmd) && nsgp_iocs[i].group == group)
			return i;
	return -1;
}

static bool fz_is_group_io(unsigned long cmd)
{
	return cmd == NSGPUPERF_GROUP_IOC_ENABLE || cmd == NSGPUPERF_GROUP_IOC_DISABLE ||
	       cmd == NSGPUPERF_GROUP_IOC_RESET;
}

/* ENABLE/DISABLE/RESET with size bits: either unknown or the same ioctl. */
static bool fz_is_group_io_sized(unsigned long cmd)
{
	return fz_is_group_io(IOC_BASE(cmd)) && !fz_is_group_io(cmd);
}

/* ENABLE/DISABLE/RESET: arg 0 always works; another arg may be refused. */
static void fz_group_io(struct fz *z, int fd, unsigned long cmd)
{
	unsigned long arg = rnd(z) % 4 ? 0 : rnd64(z);
	int ret;

	errno = 0;
	ret = ioctl(fd, cmd, arg);
	if (ret == 0) {
		z->known_ok++;
		return;
	}
	z->known_err++;
	if (ret == -1 && fz_gone(z, fd, errno))
		return;
	if (ret != -1 || !arg || errno != EINVAL)
		fz_fail(z, "t%d group ioctl %#lx arg %#lx: %d errno %d", z->tid, cmd, arg,
			ret, errno);
}

static void fz_one(struct fz *z)
{
	bool group = rnd(z) % 3 == 0;
	int fd = group ? fz_group(z) : fz_session(z), which, ret, e;
	unsigned long cmd;
	char *arg;

	if (fd < 0)
		return;
	z->calls++;

	if (group && rnd(z) % 4 == 0) {		/* read() */
		size_t len = (size_t[]){ 0, 8, 16, 24, 40, 100, 512, 4096,
					 rnd(z) % 1024 }[rnd(z) % 9];
		char *buf = (char *)(uintptr_t)fz_ptr(z, len);
		ssize_t n;

		z->reads++;
		errno = 0;
		n = read(fd, buf, len);
		e = errno;
		if (n < 0 && fz_gone(z, fd, e))
			return;
		if (n < 0 && !errno_in(e, (const int[]){ ENOSPC, EFAULT, 0 }))
			fz_fail(z, "t%d read(%zu): errno %d", z->tid, len, e);
		if (n >= 0 && (n > (ssize_t)len || n % 8 || (len && n == 0)))
			fz_fail(z, "t%d read(%zu) returned %zd", z->tid, len, n);
		return;
	}

	if (rnd(z) % 2) {
		/* a known ioctl of this fd type, random arguments */
		if (group) {
			which = I_GROUP_ADD;
			if (rnd(z) % 3) {
				cmd = (unsigned long[]){ NSGPUPERF_GROUP_IOC_ENABLE,
							 NSGPUPERF_GROUP_IOC_DISABLE,
							 NSGPUPERF_GROUP_IOC_RESET }[rnd(z) % 3];
				fz_group_io(z, fd, cmd);
				return;
			}
		} else {
			which = rnd(z) % I_GROUP_ADD;
		}
		cmd = nsgp_iocs[which].cmd;
	} else {
		cmd = fz_random_cmd(z);
		which = fz_known(cmd, group);
		if (group && fz_is_group_io(cmd)) {
			fz_group_io(z, fd, cmd);
			return;
		}
		if (group && fz_is_group_io_sized(cmd)) {
			errno = 0;
			ret = ioctl(fd, cmd, 0);
			if (ret && errno != ENOTTY)
				fz_fail(z, "t%d group ioctl %#lx: %d errno %d", z->tid, cmd, ret,
					errno);
			z->unknown++;
			return;
		}
	}

	arg = which >= 0 ? fz_build(z, which) : fz_build(z, rnd(z) % I_NR);
	if (which < 0 && rnd(z) % 4 == 0)
		arg = (char *)(uintptr_t)rnd64(z);	/* never dereferenced: ENOTTY */
	errno = 0;
	ret = ioctl(fd, cmd, arg);
	e = errno;

	if (which < 0) {
		z->unknown++;
		if (ret != -1 || e != ENOTTY) {
			fz_fail(z, "t%d unknown %s ioctl %#lx: %d errno %d", z->tid,
				group ? "group" : "device", cmd, ret, e);
			if (ret > 2 && fcntl(ret, F_GETFD) >= 0)
				fz_track_group(z, ret);
		}
		return;
	}
	if (ret < 0) {
		z->known_err++;
		if (ret != -1 || !errno_in(e, fz_allowed(which)))
			fz_fail(z, "t%d %s: %d errno %d", z->tid, nsgp_iocs[which].name, ret, e);
		return;
	}
	z->known_ok++;
	if (which == I_OPEN_GROUP) {
		if (fcntl(ret, F_GETFD) < 0)
			fz_fail(z, "t%d OPEN_GROUP returned %d, not an fd", z->tid, ret);
		else
			fz_track_group(z, ret);
	} else if (ret != 0) {
		fz_fail(z, "t%d %s returned %d", z->tid, nsgp_iocs[which].name, ret);
	}
}

static void *fz_thread(void *p)
{
	struct fz *z = p;
	unsigned int i, k;

	z->arg = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	z->data = mmap(NULL, FZ_DATA + PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (z->arg == MAP_FAILED || z->data == MAP_FAILED ||
	    mprotect(z->arg + PG, PG, PROT_NONE) ||
	    mprotect(z->data + FZ_DATA, PG, PROT_NONE)) {
		fz_fail(z, "t%d mmap: errno %d", z->tid, errno);
		return NULL;
	}
	for (k = 0; k < ARRAY_SIZE(z->sess); k++)
		z->sess[k] = -1;
	for (k = 0; k < ARRAY_SIZE(z->grp); k++)
		z->grp[k] = -1;
	for (i = 0; !z->iters || i < z->iters; i++) {
		if (!(i % 256) && time(NULL) >= z->deadline)
			break;
		fz_one(z);
	}
	for (k = 0; k < ARRAY_SIZE(z->grp); k++)
		if (z->grp[k] >= 0)
			close(z->grp[k]);
	for (k = 0; k < ARRAY_SIZE(z->sess); k++)
		if (z->sess[k] >= 0)
			close(z->sess[k]);
	pthread_mutex_lock(z->lock);
	z->out->calls += z->calls;
	z->out->known_ok += z->known_ok;
	z->out->known_err += z->known_err;
	z->out->unknown += z->unknown;
	z->out->reads += z->reads;
	z->out->groups_opened += z->groups_opened;
	z->out->gone += z->gone;
	pthread_mutex_unlock(z->lock);
	munmap(z->arg, 2 * PG);
	munmap(z->data, FZ_DATA + PG);
	return NULL;
}

#define FZ_MAX_THREADS	16

int nsgp_fuzz_process(int proc, const struct nsgp_fuzz_opts *o,
		      struct nsgp_fuzz_stats *out)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct fz z[FZ_MAX_THREADS];
	pthread_t th[FZ_MAX_THREADS];
	unsigned int t, n = o->threads;
	int ret = 0;

	if (!n || n > FZ_MAX_THREADS)
		return 2;
	memset(z, 0, sizeof(z));
	for (t = 0; t < n; t++) {
		z[t].s = o->seed ^ (0x9e3779b9u * (uint32_t)(proc * n + t + 1));
		z[t].tid = proc * n + t;
		z[t].gpu0 = o->gpu0;
		z[t].gpu1 = o->gpu1;
		z[t].ro = o->ro;
		z[t].out = out;
		z[t].lock = &lock;
		z[t].deadline = o->deadline;
		z[t].iters = o->iters;
		z[t].churn = o->churn;
		if (pthread_create(&th[t], NULL, fz_thread, &z[t])) {
			ret = 2;
			break;
		}
	}
	while (t--)
		pthread_join(th[t], NULL);
	return ret ? ret : out->fails ? 1 : 0;
}

/* Room the ro page's structs point to; with count 0 nothing is written. */
static struct nsgpuperf_gpu_info ro_gpus[4];
static struct nsgpuperf_event_info ro_events[4];
static struct nsgpuperf_engine_usage ro_classes[4];
static const uint64_t ro_cfg[] = { CFG_RCS0_BUSY, I915_PMU_INTERRUPTS };

char *nsgp_fuzz_ro_page(uint32_t gpu0, int drm_fd)
{
	char *ro = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct nsgpuperf_version *v;
	struct nsgpuperf_gpu_list *gl;
	struct nsgpuperf_event_list *el;
	struct nsgpuperf_group_open *go;
	struct nsgpuperf_cgroup_usage *cu;
	struct nsgpuperf_gpu_present *gp;
	struct nsgpuperf_group_add *ga;

	if (ro == MAP_FAILED)
		return NULL;
	/*
	 * Each fits its 64-byte slot, but the version reply: of that only
	 * the size is read, and the rest runs over the next slots.
	 */
	_Static_assert(sizeof(*gl) <= 64 && sizeof(*el) <= 64 && sizeof(*go) <= 64 &&
		       sizeof(*cu) <= 64 && sizeof(*gp) <= 64 && sizeof(*ga) <= 64,
		       "a struct outgrew its slot");
	v = (void *)(ro + 64 * I_VERSION);
	v->size = sizeof(*v);
	gl = (void *)(ro + 64 * I_LIST_GPUS);
	gl->size = sizeof(*gl);
	gl->entry_size = sizeof(ro_gpus[0]);
	gl->gpus = (uintptr_t)ro_gpus;
	el = (void *)(ro + 64 * I_LIST_EVENTS);
	el->size = sizeof(*el);
	el->gpu_id = gpu0;
	el->entry_size = sizeof(ro_events[0]);
	el->events = (uintptr_t)ro_events;
	go = (void *)(ro + 64 * I_OPEN_GROUP);
	go->size = sizeof(*go);
	go->gpu_id = gpu0;
	go->nr_events = ARRAY_SIZE(ro_cfg);
	go->configs = (uintptr_t)ro_cfg;
	cu = (void *)(ro + 64 * I_CGROUP_USAGE);
	cu->size = sizeof(*cu);
	cu->gpu_id = gpu0;
	cu->entry_size = sizeof(ro_classes[0]);
	cu->classes = (uintptr_t)ro_classes;
	gp = (void *)(ro + 64 * I_PRESENT_GPU);
	gp->size = sizeof(*gp);
	gp->drm_fd = drm_fd;
	ga = (void *)(ro + 64 * I_GROUP_ADD);
	ga->size = sizeof(*ga);
	ga->config = CFG_VCS0_BUSY;
	if (mprotect(ro, PG, PROT_READ)) {
		munmap(ro, PG);
		return NULL;
	}
	return ro;
}
