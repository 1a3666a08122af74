// SPDX-License-Identifier: GPL-2.0
/*
 * The errno contract of uapi/linux/nsgpuperf.h, one case at a time: bad and
 * partly mapped pointers (EFAULT), struct sizes (EINVAL/E2BIG), unknown
 * flags, reserved fields and read_format bits (EINVAL), unknown ioctls
 * (ENOTTY), too many events (E2BIG), unknown GPUs (ENODEV), configs the PMU
 * rejects (what i915's event_init returns), short read buffers (ENOSPC),
 * write(); and that no failing call leaves an fd or a kernel counter
 * behind.  Then a bounded random-ioctl fuzzer over the same surface.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "kselftest_harness.h"
#include "nsgp_fuzz.h"
#include "nsgp_test.h"

#define PG		NSGP_PG
#define FMT_GROUP_TE	(PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED)
#define FMT_ALL		(FMT_GROUP_TE | PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID)
/* How long a closed counter may take to go (the README promises no linger). */
#define SETTLE_MS	2000

/* Fuzzer (lib/nsgp_fuzz.c): fixed seed, bounded work and time. */
#define FUZZ_SEED	0x5eed1234u
#define FUZZ_PROCS	2
#define FUZZ_THREADS	4
#define FUZZ_ITERS	50000	/* per thread: about 3 s under TCG here */
#define FUZZ_MAX_SECS	20	/* stop early under a slow emulator */

static const uint64_t good_cfg[] = { CFG_RCS0_BUSY, I915_PMU_INTERRUPTS };

static long long settle_refcnt(const char *mod)
{
	long long n = module_refcnt(mod);
	int i;

	for (i = 0; n != 0 && i < SETTLE_MS / 10; i++) {
		usleep(10000);
		n = module_refcnt(mod);
	}
	return n;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* Open GPU pci's render node through a private node in /tmp: a DRM client. */
static int open_render_node(const char *pci)
{
	char path[512], node[256];
	unsigned int maj, min;
	struct dirent *e;
	FILE *f;
	DIR *d;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/drm", pci);
	d = opendir(path);
	if (!d)
		return -errno;
	node[0] = '\0';
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "renderD", 7))
			snprintf(node, sizeof(node), "%s", e->d_name);
	closedir(d);
	if (!node[0])
		return -ENOENT;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/drm/%s/dev", pci, node);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%u:%u", &maj, &min) != 2) {
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	snprintf(path, sizeof(path), "/tmp/nsgp_badinput_%s", node);
	unlink(path);
	if (mknod(path, S_IFCHR | 0600, makedev(maj, min)))
		return -errno;
	fd = open(path, O_RDWR | O_CLOEXEC);
	fd = fd < 0 ? -errno : fd;
	unlink(path);
	return fd;
}

FIXTURE(bad) {
	int fd;
	int drm;		/* a render node of GPU0, for PRESENT_GPU */
	int gpu0, gpu1;
	/* three pages: read-write, inaccessible, read-only */
	char *rw, *none, *ro;
	struct nsgpuperf_gpu_info gpus[4];
	struct nsgpuperf_event_info events[64];
	struct nsgpuperf_engine_usage classes[16];
	uint64_t ids[NSGPUPERF_MAX_GROUP_EVENTS + 2];
};

FIXTURE_SETUP(bad)
{
	self->rw = MAP_FAILED;
	self->fd = nsgp_open(NULL);
	ASSERT_GE(self->fd, 0);
	self->gpu0 = nsgp_find_gpu(self->fd, GPU0_PCI, NULL);
	self->gpu1 = nsgp_find_gpu(self->fd, GPU1_PCI, NULL);
	ASSERT_GE(self->gpu0, 0);
	ASSERT_GE(self->gpu1, 0);
	self->drm = open_render_node(GPU0_PCI);
	ASSERT_GE(self->drm, 0);
	ASSERT_EQ(0, settle_live_events());
	self->rw = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->rw);
	self->none = self->rw + PG;
	self->ro = self->rw + 2 * PG;
	ASSERT_EQ(0, mprotect(self->none, PG, PROT_NONE));
	ASSERT_EQ(0, mprotect(self->ro, PG, PROT_READ));
}

FIXTURE_TEARDOWN(bad)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->drm >= 0)
		close(self->drm);
	if (self->rw != MAP_FAILED)
		munmap(self->rw, 3 * PG);
}

/* A valid argument for ioctl `which` in buf (buflen >= its v1 size). */
static void fill(FIXTURE_DATA(bad) *self, int which, void *buf, size_t buflen)
{
	memset(buf, 0, buflen);
	switch (which) {
	case I_VERSION: {
		struct nsgpuperf_version *a = buf;

		a->size = sizeof(*a);
		break;
	}
	case I_LIST_GPUS: {
		struct nsgpuperf_gpu_list *a = buf;

		a->size = sizeof(*a);
		a->count = ARRAY_SIZE(self->gpus);
		a->entry_size = sizeof(self->gpus[0]);
		a->gpus = (uintptr_t)self->gpus;
		break;
	}
	case I_LIST_EVENTS: {
		struct nsgpuperf_event_list *a = buf;

		a->size = sizeof(*a);
		a->gpu_id = self->gpu0;
		a->count = ARRAY_SIZE(self->events);
		a->entry_size = sizeof(self->events[0]);
		a->events = (uintptr_t)self->events;
		break;
	}
	case I_OPEN_GROUP: {
		struct nsgpuperf_group_open *a = buf;

		a->size = sizeof(*a);
		a->gpu_id = self->gpu0;
		a->nr_events = ARRAY_SIZE(good_cfg);
		a->configs = (uintptr_t)good_cfg;
		a->ids = (uintptr_t)self->ids;
		break;
	}
	case I_CGROUP_USAGE: {
		struct nsgpuperf_cgroup_usage *a = buf;

		a->size = sizeof(*a);
		a->gpu_id = self->gpu0;
		a->count = ARRAY_SIZE(self->classes);
		a->entry_size = sizeof(self->classes[0]);
		a->classes = (uintptr_t)self->classes;
		break;
	}
	case I_PRESENT_GPU: {
		struct nsgpuperf_gpu_present *a = buf;

		a->size = sizeof(*a);
		a->drm_fd = self->drm;
		break;
	}
	case I_GROUP_ADD: {
		struct nsgpuperf_group_add *a = buf;

		a->size = sizeof(*a);
		a->config = CFG_VCS0_BUSY;
		break;
	}
	}
}

/* A group of one event (rcs0-busy on GPU0): fd or -errno. */
static int one_group(FIXTURE_DATA(bad) *self)
{
	uint64_t cfg = CFG_RCS0_BUSY;

	return nsgp_open_group(self->fd, self->gpu0, &cfg, 1, 0, 0, NULL);
}

/*
 * Run ioctl `which` with arg on the device fd, or on a fresh one-event group
 * for group ioctls; closes whatever it opened.  Returns the ioctl's return
 * value with its errno in *err; -2 if the group could not be opened.
 */
static int do_ioc_cmd(FIXTURE_DATA(bad) *self, int which, unsigned long cmd, void *arg,
		      int *err)
{
	int fd = nsgp_iocs[which].group ? one_group(self) : self->fd, ret;

	if (fd < 0) {
		*err = -fd;
		return -2;
	}
	errno = 0;
	ret = ioctl(fd, cmd, arg);
	*err = errno;
	if (ret >= 0 && which == I_OPEN_GROUP)
		close(ret);
	if (nsgp_iocs[which].group)
		close(fd);
	return ret;
}

static int do_ioc(FIXTURE_DATA(bad) *self, int which, void *arg, int *err)
{
	return do_ioc_cmd(self, which, nsgp_iocs[which].cmd, arg, err);
}

/*
 * The ioctl number a caller built against a newer header uses: the same
 * number with the larger struct's size in its size bits.  The struct's own
 * size field is what counts, so the kernel must accept it.
 */
static unsigned long cmd_with_size(unsigned long cmd, size_t size)
{
	return (cmd & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
	       (unsigned long)size << _IOC_SIZESHIFT;
}

#define EXPECT_FAILS_WITH(want, ret, err, fmt, ...) do { \
	EXPECT_EQ(-1, ret) TH_LOG(fmt, ##__VA_ARGS__); \
	EXPECT_EQ(want, err) TH_LOG(fmt " (errno %d: %s)", ##__VA_ARGS__, \
				    err, strerror(err)); \
} while (0)

/* Sanity: every filled argument works, so each failure below is the fault
 * injected and nothing else. */
TEST_F(bad, valid_arguments_work)
{
	char buf[512];
	int i, ret, err;

	for (i = 0; i < I_NR; i++) {
		fill(self, i, buf, sizeof(buf));
		ret = do_ioc(self, i, buf, &err);
		EXPECT_LE(0, ret) TH_LOG("%s: errno %d", nsgp_iocs[i].name, err);
	}
	ASSERT_EQ(0, settle_live_events());
}

TEST_F(bad, null_unmapped_kernel_arg_efault)
{
	void *ptrs[] = { NULL, self->none, (void *)(uintptr_t)KERNEL_PTR,
			 (void *)(uintptr_t)NONCANON_PTR, (void *)8 };
	unsigned int i, p;
	int ret, err;

	for (i = 0; i < I_NR; i++)
		for (p = 0; p < ARRAY_SIZE(ptrs); p++) {
			ret = do_ioc(self, i, ptrs[p], &err);
			EXPECT_FAILS_WITH(EFAULT, ret, err, "%s arg %p", nsgp_iocs[i].name, ptrs[p]);
		}
	ASSERT_EQ(0, settle_live_events());
}

/* The size field is readable, the rest of the struct is not. */
TEST_F(bad, arg_straddles_unmapped_page_efault)
{
	uint32_t *size = (uint32_t *)(self->none - sizeof(uint32_t));
	int i, ret, err;

	for (i = 0; i < I_NR; i++) {
		*size = nsgp_iocs[i].size;
		ret = do_ioc(self, i, size, &err);
		EXPECT_FAILS_WITH(EFAULT, ret, err, "%s", nsgp_iocs[i].name);
	}
	/* a larger struct whose unknown tail is not readable */
	for (i = 0; i < I_NR; i++) {
		char *arg = self->none - nsgp_iocs[i].size;

		fill(self, i, arg, nsgp_iocs[i].size);
		*(uint32_t *)arg = nsgp_iocs[i].size + 8;
		ret = do_ioc(self, i, arg, &err);
		EXPECT_FAILS_WITH(EFAULT, ret, err, "%s with unreadable tail", nsgp_iocs[i].name);
	}
	ASSERT_EQ(0, settle_live_events());
}

/*
 * A valid struct in read-only memory: the kernel can read it but not write
 * the results back.  EFAULT, and a call that fails must not have opened a
 * group (no fd left in the table) nor left a counter once its group is
 * closed.  (A GROUP_IOC_ADD whose id cannot be written back keeps the event
 * in the group, as the module documents; closing the group frees it.)
 */
TEST_F(bad, readonly_arg_efault_leaves_nothing)
{
	int i, ret, err, fds;

	for (i = 0; i < I_NR; i++) {
		ASSERT_EQ(0, mprotect(self->ro, PG, PROT_READ | PROT_WRITE));
		fill(self, i, self->ro, 256);
		ASSERT_EQ(0, mprotect(self->ro, PG, PROT_READ));
		fds = count_fds();
		ASSERT_GT(fds, 0);
		ret = do_ioc(self, i, self->ro, &err);
		EXPECT_FAILS_WITH(EFAULT, ret, err, "%s", nsgp_iocs[i].name);
		EXPECT_EQ(fds, count_fds()) TH_LOG("%s left an fd open", nsgp_iocs[i].name);
		EXPECT_EQ(0, settle_live_events()) TH_LOG("%s left a counter", nsgp_iocs[i].name);
	}
}

TEST_F(bad, size_smaller_than_v1_einval)
{
	char buf[512];
	int i, ret, err;
	unsigned int s;

	for (i = 0; i < I_NR; i++) {
		unsigned int sizes[] = { 0, 1, 4, 8, nsgp_iocs[i].min - 8, nsgp_iocs[i].min - 1 };

		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			fill(self, i, buf, sizeof(buf));
			*(uint32_t *)buf = sizes[s];
			ret = do_ioc(self, i, buf, &err);
			EXPECT_FAILS_WITH(EINVAL, ret, err, "%s size %u", nsgp_iocs[i].name, sizes[s]);
		}
	}
	ASSERT_EQ(0, settle_live_events());
}

/*
 * A newer caller's larger struct: accepted when the unknown tail is zero
 * (and nothing is written past the caller's size), E2BIG when any byte of
 * it is not.
 */
TEST_F(bad, larger_struct_zero_tail_works_nonzero_tail_e2big)
{
	unsigned char buf[512];
	const unsigned int extra = 64;
	unsigned int tail[] = { 0, 1, 7, 8, extra - 1 };
	int i, ret, err;
	unsigned int t, k;

	for (i = 0; i < I_NR * 2; i++) {
		/* first with the v1 ioctl number, then with a newer header's */
		int w = i % I_NR;
		size_t sz = nsgp_iocs[w].size + extra;
		unsigned long cmd = i < I_NR ? nsgp_iocs[w].cmd : cmd_with_size(nsgp_iocs[w].cmd, sz);

		fill(self, w, buf, sizeof(buf));
		*(uint32_t *)buf = sz;
		memset(buf + sz, 0xa5, sizeof(buf) - sz);	/* canary */
		ret = do_ioc_cmd(self, w, cmd, buf, &err);
		EXPECT_LE(0, ret) TH_LOG("%s (cmd %#lx) size %zu, zero tail: errno %d",
					 nsgp_iocs[w].name, cmd, sz, err);
		for (k = sz; k < sizeof(buf); k++)
			if (buf[k] != 0xa5)
				break;
		EXPECT_EQ(sizeof(buf), k) TH_LOG("%s wrote past the caller's size", nsgp_iocs[w].name);
		for (k = nsgp_iocs[w].size; k < sz; k++)
			if (buf[k])
				break;
		EXPECT_EQ(sz, k) TH_LOG("%s wrote into the unknown tail", nsgp_iocs[w].name);

		for (t = 0; t < ARRAY_SIZE(tail); t++) {
			fill(self, w, buf, sizeof(buf));
			*(uint32_t *)buf = sz;
			buf[nsgp_iocs[w].size + tail[t]] = 0x01;
			ret = do_ioc_cmd(self, w, cmd, buf, &err);
			EXPECT_FAILS_WITH(E2BIG, ret, err, "%s (cmd %#lx) non-zero tail byte %u",
					  nsgp_iocs[w].name, cmd, tail[t]);
		}
	}
	ASSERT_EQ(0, settle_live_events());
}

TEST_F(bad, unknown_flags_einval)
{
	static const int with_flags[] = { I_LIST_GPUS, I_LIST_EVENTS, I_OPEN_GROUP,
					  I_CGROUP_USAGE, I_PRESENT_GPU, I_GROUP_ADD };
	uint32_t bad_flags[] = { 1u << 1, 1u << 7, 1u << 31, 0xffffffffu };
	char buf[512];
	unsigned int i, f;
	int ret, err;

	for (i = 0; i < ARRAY_SIZE(with_flags); i++) {
		int w = with_flags[i];

		for (f = 0; f < ARRAY_SIZE(bad_flags); f++) {
			uint32_t flags = bad_flags[f];

			/*
			 * bit 0 of OPEN_GROUP is NSGPUPERF_GROUP_DISABLED, of
			 * CGROUP_USAGE NSGPUPERF_USAGE_CGROUP_FD
			 */
			if (w != I_OPEN_GROUP && w != I_CGROUP_USAGE && f == 0)
				flags = 1;
			fill(self, w, buf, sizeof(buf));
			((uint32_t *)buf)[1] = flags;	/* flags follows size in every struct */
			ret = do_ioc(self, w, buf, &err);
			EXPECT_FAILS_WITH(EINVAL, ret, err, "%s flags %#x", nsgp_iocs[w].name, flags);
		}
	}
	ASSERT_EQ(0, settle_live_events());
}

TEST_F(bad, nonzero_reserved_einval)
{
	uint32_t vals[] = { 1, 0x80000000u, 0xffffffffu };
	struct nsgpuperf_event_list el;
	struct nsgpuperf_group_open go;
	struct nsgpuperf_cgroup_usage cu;
	unsigned int v;
	int ret, err;

	for (v = 0; v < ARRAY_SIZE(vals); v++) {
		fill(self, I_LIST_EVENTS, &el, sizeof(el));
		el.reserved = vals[v];
		ret = do_ioc(self, I_LIST_EVENTS, &el, &err);
		EXPECT_FAILS_WITH(EINVAL, ret, err, "event_list.reserved %#x", vals[v]);

		fill(self, I_OPEN_GROUP, &go, sizeof(go));
		go.reserved = vals[v];
		ret = do_ioc(self, I_OPEN_GROUP, &go, &err);
		EXPECT_FAILS_WITH(EINVAL, ret, err, "group_open.reserved %#x", vals[v]);

		fill(self, I_CGROUP_USAGE, &cu, sizeof(cu));
		cu.reserved = vals[v];
		ret = do_ioc(self, I_CGROUP_USAGE, &cu, &err);
		EXPECT_FAILS_WITH(EINVAL, ret, err, "cgroup_usage.reserved %#x", vals[v]);
	}
	ASSERT_EQ(0, settle_live_events());
}

TEST_F(bad, unknown_ioctls_enotty)
{
	const unsigned long on_dev[] = {
		_IO(NSGPUPERF_IOC_MAGIC, 0x07),
		_IOWR(NSGPUPERF_IOC_MAGIC, 0x07, struct nsgpuperf_version),
		_IOWR(NSGPUPERF_IOC_MAGIC, 0x1f, struct nsgpuperf_group_open),
		_IOWR(NSGPUPERF_IOC_MAGIC, 0xff, struct nsgpuperf_version),
		/* the group fd's ioctls mean nothing on the device */
		NSGPUPERF_GROUP_IOC_ENABLE, NSGPUPERF_GROUP_IOC_DISABLE,
		NSGPUPERF_GROUP_IOC_RESET, NSGPUPERF_GROUP_IOC_ADD,
		/*
		 * a known number with another direction is another ioctl (the
		 * size bits may differ: a newer header's struct is larger)
		 */
		_IOR(NSGPUPERF_IOC_MAGIC, 0x00, struct nsgpuperf_version),
		_IOW(NSGPUPERF_IOC_MAGIC, 0x00, struct nsgpuperf_version),
		_IO(NSGPUPERF_IOC_MAGIC, 0x00),
		_IOR(NSGPUPERF_IOC_MAGIC, 0x03, struct nsgpuperf_group_open),
		_IOW(NSGPUPERF_IOC_MAGIC, 0x01, struct nsgpuperf_gpu_list),
		/* other magic numbers */
		_IOWR('X', 0x00, struct nsgpuperf_version),
		_IOWR(0xB6, 0x03, struct nsgpuperf_group_open),
		PERF_EVENT_IOC_ENABLE, TCGETS, FIONREAD,
	};
	const unsigned long on_group[] = {
		_IO(NSGPUPERF_IOC_MAGIC, 0x24),
		_IO(NSGPUPERF_IOC_MAGIC, 0x1f),
		_IOWR(NSGPUPERF_IOC_MAGIC, 0x30, struct nsgpuperf_group_add),
		/* the device's ioctls mean nothing on a group */
		NSGPUPERF_IOC_VERSION, NSGPUPERF_IOC_LIST_GPUS, NSGPUPERF_IOC_LIST_EVENTS,
		NSGPUPERF_IOC_OPEN_GROUP, NSGPUPERF_IOC_CGROUP_USAGE,
		NSGPUPERF_IOC_PRESENT_GPU,
		/* known numbers, other directions */
		_IOW(NSGPUPERF_IOC_MAGIC, 0x23, struct nsgpuperf_group_add),
		_IOR(NSGPUPERF_IOC_MAGIC, 0x23, struct nsgpuperf_group_add),
		_IO(NSGPUPERF_IOC_MAGIC, 0x23),
		_IOR(NSGPUPERF_IOC_MAGIC, 0x20, uint32_t),
		_IOW(NSGPUPERF_IOC_MAGIC, 0x21, uint64_t),
		NSGPUPERF_IOC_PERF_OPEN,
		/* perf's numbers it does not know, and other magic */
		_IO('$', 12), _IOW('$', 0x20, uint64_t), TCGETS, FIONREAD,
	};
	uint64_t buf[64];
	unsigned int i;
	int g, ret, err;

	for (i = 0; i < ARRAY_SIZE(on_dev); i++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = 24;
		errno = 0;
		ret = ioctl(self->fd, on_dev[i], buf);
		err = errno;
		EXPECT_FAILS_WITH(ENOTTY, ret, err, "device ioctl %#lx", on_dev[i]);
	}
	g = one_group(self);
	ASSERT_GE(g, 0);
	for (i = 0; i < ARRAY_SIZE(on_group); i++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = 24;
		errno = 0;
		ret = ioctl(g, on_group[i], buf);
		err = errno;
		EXPECT_FAILS_WITH(ENOTTY, ret, err, "group ioctl %#lx", on_group[i]);
	}
	EXPECT_EQ(0, isatty(self->fd));
	EXPECT_EQ(0, isatty(g));
	/* none of that opened anything */
	EXPECT_EQ(1, mock_live_events_all());
	close(g);
	ASSERT_EQ(0, settle_live_events());
}

TEST_F(bad, too_many_events_e2big)
{
	uint32_t nrs[] = { NSGPUPERF_MAX_GROUP_EVENTS + 1, 1000, 0x80000000u, 0xffffffffu };
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS + 1];
	struct nsgpuperf_group_open go;
	unsigned int i;
	int ret, err;

	for (i = 0; i < ARRAY_SIZE(cfg); i++)
		cfg[i] = good_cfg[i % 2];
	for (i = 0; i < ARRAY_SIZE(nrs); i++) {
		/*
		 * configs has room for MAX + 1 only: a kernel that reads
		 * nr_events configs before checking the count faults instead.
		 */
		fill(self, I_OPEN_GROUP, &go, sizeof(go));
		go.nr_events = nrs[i];
		go.configs = (uintptr_t)cfg;
		go.ids = 0;
		ret = do_ioc(self, I_OPEN_GROUP, &go, &err);
		EXPECT_FAILS_WITH(E2BIG, ret, err, "nr_events %u", nrs[i]);
	}
	ASSERT_EQ(0, settle_live_events());
}

/*
 * A full group (MAX events; repeated configs are fine, as in perf) opens;
 * one more event does not fit.  Both ways to fill it: at open, and with
 * GROUP_IOC_ADD one by one.
 */
TEST_F(bad, group_add_beyond_max_e2big)
{
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS], buf[2 + NSGPUPERF_MAX_GROUP_EVENTS + 1];
	const uint64_t pool[] = { CFG_RCS0_BUSY, CFG_BCS0_BUSY, CFG_VCS0_BUSY,
				  I915_PMU_INTERRUPTS };
	struct nsgpuperf_group_add add = { .size = sizeof(add), .config = CFG_VCS1_BUSY };
	unsigned int i;
	int g;

	for (i = 0; i < NSGPUPERF_MAX_GROUP_EVENTS; i++)
		cfg[i] = pool[i % ARRAY_SIZE(pool)];
	g = nsgp_open_group(self->fd, self->gpu0, cfg, NSGPUPERF_MAX_GROUP_EVENTS, 0, 0,
			    NULL);
	ASSERT_GE(g, 0);
	ASSERT_EQ(-1, ioctl(g, NSGPUPERF_GROUP_IOC_ADD, &add));
	ASSERT_EQ(E2BIG, errno);
	/* the failed add changed nothing */
	ASSERT_EQ((2 + NSGPUPERF_MAX_GROUP_EVENTS) * 8, read(g, buf, sizeof(buf)));
	ASSERT_EQ(NSGPUPERF_MAX_GROUP_EVENTS, buf[0]);
	/* one kernel counter per (GPU, event), however often it is used */
	ASSERT_EQ((long long)ARRAY_SIZE(pool), mock_live_events(GPU0_PCI));
	close(g);
	ASSERT_EQ(0, settle_live_events());

	/* from an empty group, one at a time */
	g = nsgp_open_group(self->fd, self->gpu0, NULL, 0, 0, 0, NULL);
	ASSERT_GE(g, 0);
	for (i = 0; i < NSGPUPERF_MAX_GROUP_EVENTS; i++) {
		add.config = pool[i % ARRAY_SIZE(pool)];
		ASSERT_EQ(0, ioctl(g, NSGPUPERF_GROUP_IOC_ADD, &add)) TH_LOG("add #%u", i);
	}
	add.config = CFG_VCS1_BUSY;
	ASSERT_EQ(-1, ioctl(g, NSGPUPERF_GROUP_IOC_ADD, &add));
	ASSERT_EQ(E2BIG, errno);
	ASSERT_EQ((2 + NSGPUPERF_MAX_GROUP_EVENTS) * 8, read(g, buf, sizeof(buf)));
	ASSERT_EQ(NSGPUPERF_MAX_GROUP_EVENTS, buf[0]);
	ASSERT_EQ((long long)ARRAY_SIZE(pool), mock_live_events(GPU0_PCI));
	close(g);
	ASSERT_EQ(0, settle_live_events());
}

static bool gpu_listed(FIXTURE_DATA(bad) *self, uint32_t id)
{
	struct nsgpuperf_gpu_list gl;
	unsigned int i;

	fill(self, I_LIST_GPUS, &gl, sizeof(gl));
	if (ioctl(self->fd, NSGPUPERF_IOC_LIST_GPUS, &gl))
		return true;	/* be safe: treat as listed */
	for (i = 0; i < gl.count && i < ARRAY_SIZE(self->gpus); i++)
		if (self->gpus[i].id == id)
			return true;
	return false;
}

TEST_F(bad, invalid_gpu_id_enodev)
{
	uint32_t cand[] = { 2, 3, 99, 1000, 0x7fffffffu, 0x80000000u, 0xfffffffeu,
			    0xffffffffu };
	struct nsgpuperf_event_list el;
	struct nsgpuperf_group_open go;
	struct nsgpuperf_cgroup_usage cu;
	unsigned int i, tried = 0;
	int ret, err;

	for (i = 0; i < ARRAY_SIZE(cand); i++) {
		if (gpu_listed(self, cand[i]))
			continue;
		tried++;
		fill(self, I_LIST_EVENTS, &el, sizeof(el));
		el.gpu_id = cand[i];
		ret = do_ioc(self, I_LIST_EVENTS, &el, &err);
		EXPECT_FAILS_WITH(ENODEV, ret, err, "LIST_EVENTS gpu %#x", cand[i]);

		fill(self, I_OPEN_GROUP, &go, sizeof(go));
		go.gpu_id = cand[i];
		ret = do_ioc(self, I_OPEN_GROUP, &go, &err);
		EXPECT_FAILS_WITH(ENODEV, ret, err, "OPEN_GROUP gpu %#x", cand[i]);

		fill(self, I_CGROUP_USAGE, &cu, sizeof(cu));
		cu.gpu_id = cand[i];
		ret = do_ioc(self, I_CGROUP_USAGE, &cu, &err);
		EXPECT_FAILS_WITH(ENODEV, ret, err, "CGROUP_USAGE gpu %#x", cand[i]);
	}
	ASSERT_GE(tried, 6);
	ASSERT_EQ(0, settle_live_events());
}

/*
 * Configs the PMU refuses.  What i915's event_init returns
 * (drivers/gpu/drm/i915/i915_pmu.c, 6.1 to 7.x): an engine that
 * intel_engine_lookup_user() does not find (unknown class or instance)
 * -ENODEV; an unknown sample of a real engine -ENOENT (engine_event_status);
 * an unknown non-engine counter -ENOENT (config_status).  nsgpuperf must
 * report what perf_event_open() reports on the same PMU, leave no counter
 * behind, and release the good events opened before the bad one.
 */
static const struct bad_cfg {
	const char *what;
	uint64_t config;
	int err;
} bad_cfgs[] = {
	{ "rcs7 (no such instance)", __I915_PMU_ENGINE(I915_ENGINE_CLASS_RENDER, 7, 0), ENODEV },
	{ "vcs2 (no such instance)", __I915_PMU_ENGINE(I915_ENGINE_CLASS_VIDEO, 2, 0), ENODEV },
	{ "bcs0xff", __I915_PMU_ENGINE(I915_ENGINE_CLASS_COPY, 0xff, 0), ENODEV },
	{ "class 9 (no such class)", __I915_PMU_ENGINE(9, 0, I915_SAMPLE_BUSY), ENODEV },
	{ "class 0xfe", __I915_PMU_ENGINE(0xfe, 0, I915_SAMPLE_BUSY), ENODEV },
	{ "rcs0 sample 3", __I915_PMU_ENGINE(I915_ENGINE_CLASS_RENDER, 0, 3), ENOENT },
	{ "rcs0 sample 15", __I915_PMU_ENGINE(I915_ENGINE_CLASS_RENDER, 0, 0xf), ENOENT },
	{ "other 40", __I915_PMU_OTHER(40), ENOENT },
	{ "other 0xfffff", __I915_PMU_OTHER(0xfffff), ENOENT },
};

TEST_F(bad, configs_the_pmu_rejects)
{
	int type = perf_pmu_type("i915"), cpu = perf_pmu_cpu("i915");
	struct nsgpuperf_group_add add = { .size = sizeof(add) };
	uint64_t cfg[3], buf[8];
	unsigned int i;
	int g, ret;

	ASSERT_GT(type, 0);
	for (i = 0; i < ARRAY_SIZE(bad_cfgs); i++) {
		const struct bad_cfg *b = &bad_cfgs[i];

		/* the mock's PMU answers as i915 does */
		ret = perf_open(type, b->config, cpu, -1, 0);
		if (ret >= 0)
			close(ret);
		EXPECT_EQ(-b->err, ret) TH_LOG("raw perf_event_open %s", b->what);

		/* alone */
		ret = nsgp_open_group(self->fd, self->gpu0, &b->config, 1, 0, 0, NULL);
		EXPECT_EQ(-b->err, ret) TH_LOG("OPEN_GROUP %s", b->what);
		if (ret >= 0)
			close(ret);
		EXPECT_EQ(0, settle_live_events()) TH_LOG("%s", b->what);

		/* after two good events, on the other GPU */
		cfg[0] = CFG_RCS0_BUSY;
		cfg[1] = I915_PMU_INTERRUPTS;
		cfg[2] = b->config;
		ret = nsgp_open_group(self->fd, self->gpu1, cfg, 3, 0, 0, self->ids);
		EXPECT_EQ(-b->err, ret) TH_LOG("OPEN_GROUP good, good, %s", b->what);
		if (ret >= 0)
			close(ret);
		EXPECT_EQ(0, settle_live_events()) TH_LOG("good events leaked with %s", b->what);

		/* added to a working group: refused, the group is unchanged */
		g = one_group(self);
		ASSERT_GE(g, 0);
		add.config = b->config;
		ret = ioctl(g, NSGPUPERF_GROUP_IOC_ADD, &add);
		EXPECT_EQ(-1, ret) TH_LOG("GROUP_IOC_ADD %s", b->what);
		EXPECT_EQ(b->err, errno) TH_LOG("GROUP_IOC_ADD %s", b->what);
		EXPECT_EQ(1, mock_live_events_all()) TH_LOG("GROUP_IOC_ADD %s", b->what);
		EXPECT_EQ(3 * 8, read(g, buf, sizeof(buf)));
		EXPECT_EQ(1, buf[0]);
		close(g);
		EXPECT_EQ(0, settle_live_events());
	}
}

TEST_F(bad, unknown_read_format_einval)
{
	uint64_t fmts[] = { 1ULL << 5, FMT_ALL | 1ULL << 5, 1ULL << 31, 1ULL << 63,
			    ~0ULL };
	struct nsgpuperf_group_open go;
	unsigned int i;
	int ret, err;

	for (i = 0; i < ARRAY_SIZE(fmts); i++) {
		fill(self, I_OPEN_GROUP, &go, sizeof(go));
		go.read_format = fmts[i];
		ret = do_ioc(self, I_OPEN_GROUP, &go, &err);
		EXPECT_FAILS_WITH(EINVAL, ret, err, "read_format %#llx",
				  (unsigned long long)fmts[i]);
	}
	/* each supported bit alone, and all of them, are accepted */
	for (i = 0; i < 6; i++) {
		fill(self, I_OPEN_GROUP, &go, sizeof(go));
		go.nr_events = 1;	/* without GROUP a read shows one event */
		go.read_format = (uint64_t[]){ PERF_FORMAT_GROUP, PERF_FORMAT_ID,
					       PERF_FORMAT_TOTAL_TIME_RUNNING, FMT_ALL,
					       PERF_FORMAT_LOST,
					       FMT_ALL | PERF_FORMAT_LOST }[i];
		ret = do_ioc(self, I_OPEN_GROUP, &go, &err);
		EXPECT_LE(0, ret) TH_LOG("read_format %#llx: errno %d",
					 (unsigned long long)go.read_format, err);
	}
	ASSERT_EQ(0, settle_live_events());
}

/* read(): ENOSPC below the layout's size (as perf), EFAULT for bad buffers. */
TEST_F(bad, read_short_or_bad_buffer)
{
	static const struct { uint64_t fmt; unsigned int words; } f[] = {
		{ 0, 2 + 3 },				/* GROUP | TOTAL_TIME_ENABLED */
		{ FMT_GROUP_TE, 2 + 3 },
		{ FMT_ALL, 3 + 2 * 3 },
		{ PERF_FORMAT_GROUP, 1 + 3 },
	};
	uint64_t cfg[] = { CFG_RCS0_BUSY, CFG_VCS0_BUSY, I915_PMU_RC6_RESIDENCY };
	uint64_t buf[32];
	unsigned int i;
	int g;

	for (i = 0; i < ARRAY_SIZE(f); i++) {
		size_t need = f[i].words * 8;
		size_t shorts[] = { 1, 7, 8, need - 8, need - 1 };
		unsigned int s;

		g = nsgp_open_group(self->fd, self->gpu0, cfg, 3, f[i].fmt, 0, NULL);
		ASSERT_GE(g, 0);
		for (s = 0; s < ARRAY_SIZE(shorts); s++) {
			errno = 0;
			EXPECT_EQ(-1, read(g, buf, shorts[s])) TH_LOG("fmt %#llx read %zu",
					(unsigned long long)f[i].fmt, shorts[s]);
			EXPECT_EQ(ENOSPC, errno) TH_LOG("fmt %#llx read %zu",
					(unsigned long long)f[i].fmt, shorts[s]);
		}
		EXPECT_EQ((ssize_t)need, read(g, buf, need));
		EXPECT_EQ((ssize_t)need, read(g, buf, sizeof(buf)));
		EXPECT_EQ(-1, read(g, NULL, need));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(-1, read(g, self->none, need));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(-1, read(g, self->ro, need));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(-1, read(g, (void *)(uintptr_t)KERNEL_PTR, need));
		EXPECT_EQ(EFAULT, errno);
		/* the first word fits, the rest is unmapped */
		EXPECT_EQ(-1, read(g, self->none - 8, need));
		EXPECT_EQ(EFAULT, errno);
		close(g);
	}
	ASSERT_EQ(0, settle_live_events());
}

/*
 * Neither file has a write method.  Both are read-only opens (the group fd
 * is O_RDONLY | O_CLOEXEC by contract), so vfs_write() answers EBADF; a
 * device fd opened for writing answers EINVAL (no FMODE_CAN_WRITE).
 */
TEST_F(bad, write_fails)
{
	char buf[64] = "x";
	char *volatile nullbuf = NULL;	/* no compile-time NULL warning */
	int g, flags, rw;

	g = one_group(self);
	ASSERT_GE(g, 0);
	flags = fcntl(g, F_GETFL);
	ASSERT_GE(flags, 0);
	ASSERT_EQ(O_RDONLY, flags & O_ACCMODE);
	ASSERT_TRUE(fcntl(g, F_GETFD) & FD_CLOEXEC);

	ASSERT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ(-1, write(g, buf, sizeof(buf)));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ(-1, write(g, nullbuf, 8));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ(-1, pwrite(g, buf, 8, 0));
	ASSERT_TRUE(errno == EBADF || errno == ESPIPE) TH_LOG("pwrite errno %d", errno);

	rw = open(NSGP_DEV, O_RDWR | O_CLOEXEC);
	if (rw >= 0) {
		ASSERT_EQ(-1, write(rw, buf, sizeof(buf)));
		ASSERT_EQ(EINVAL, errno);
		close(rw);
	} else {
		TH_LOG("O_RDWR open of %s refused (errno %d): write on it not tested",
		       NSGP_DEV, errno);
	}
	/* and the group still reads */
	ASSERT_EQ(3 * 8, read(g, buf, sizeof(buf)));
	close(g);
	ASSERT_EQ(0, settle_live_events());
}

TEST_F(bad, entry_size_smaller_than_v1_einval)
{
	struct nsgpuperf_gpu_list gl;
	struct nsgpuperf_event_list el;
	struct nsgpuperf_cgroup_usage cu;
	uint32_t gsz[] = { 0, 1, 8, sizeof(struct nsgpuperf_gpu_info) - 1 };
	uint32_t esz[] = { 0, 1, 8, sizeof(struct nsgpuperf_event_info) - 1 };
	uint32_t csz[] = { 0, 1, 8, sizeof(struct nsgpuperf_engine_usage) - 1 };
	unsigned int i;
	int ret, err;

	for (i = 0; i < ARRAY_SIZE(gsz); i++) {
		fill(self, I_LIST_GPUS, &gl, sizeof(gl));
		gl.entry_size = gsz[i];
		ret = do_ioc(self, I_LIST_GPUS, &gl, &err);
		EXPECT_FAILS_WITH(EINVAL, ret, err, "gpu entry_size %u", gsz[i]);

		fill(self, I_LIST_EVENTS, &el, sizeof(el));
		el.entry_size = esz[i];
		ret = do_ioc(self, I_LIST_EVENTS, &el, &err);
		EXPECT_FAILS_WITH(EINVAL, ret, err, "event entry_size %u", esz[i]);

		fill(self, I_CGROUP_USAGE, &cu, sizeof(cu));
		cu.entry_size = csz[i];
		ret = do_ioc(self, I_CGROUP_USAGE, &cu, &err);
		EXPECT_FAILS_WITH(EINVAL, ret, err, "usage entry_size %u", csz[i]);
	}
}

/* The positive side: a newer caller's larger entries are laid out at its
 * stride, with the bytes the kernel does not know zeroed. */
TEST_F(bad, larger_entry_size_is_zero_filled)
{
	const size_t gsz = sizeof(struct nsgpuperf_gpu_info) + 24;
	const size_t esz = sizeof(struct nsgpuperf_event_info) + 40;
	unsigned char *buf = (unsigned char *)self->rw;	/* one page */
	struct nsgpuperf_gpu_list gl;
	struct nsgpuperf_event_list el;
	unsigned int i, k, n;

	memset(buf, 0xa5, PG);
	fill(self, I_LIST_GPUS, &gl, sizeof(gl));
	gl.count = 2;
	gl.entry_size = gsz;
	gl.gpus = (uintptr_t)buf;
	ASSERT_EQ(0, ioctl(self->fd, NSGPUPERF_IOC_LIST_GPUS, &gl));
	ASSERT_EQ(2, gl.count);
	for (i = 0; i < 2; i++) {
		struct nsgpuperf_gpu_info *g = (void *)(buf + i * gsz);

		ASSERT_TRUE(!strcmp(g->pci_addr, GPU0_PCI) || !strcmp(g->pci_addr, GPU1_PCI))
			TH_LOG("entry %u: '%.16s'", i, g->pci_addr);
		for (k = sizeof(*g); k < gsz; k++)
			ASSERT_EQ(0, buf[i * gsz + k]) TH_LOG("entry %u byte %u", i, k);
	}
	ASSERT_EQ(0xa5, buf[2 * gsz]);	/* nothing past the room given */

	memset(buf, 0xa5, PG);
	fill(self, I_LIST_EVENTS, &el, sizeof(el));
	n = PG / esz;
	el.count = n;
	el.entry_size = esz;
	el.events = (uintptr_t)buf;
	ASSERT_EQ(0, ioctl(self->fd, NSGPUPERF_IOC_LIST_EVENTS, &el));
	ASSERT_GE(el.count, 19);
	for (i = 0; i < el.count && i < n; i++) {
		struct nsgpuperf_event_info *e = (void *)(buf + i * esz);

		ASSERT_NE(0, e->name[0]) TH_LOG("event %u has no name", i);
		for (k = sizeof(*e); k < esz; k++)
			ASSERT_EQ(0, buf[i * esz + k]) TH_LOG("event %u byte %u", i, k);
	}
	if (el.count < n)
		ASSERT_EQ(0xa5, buf[el.count * esz]);
}

/* The arrays the structs point to: gpus, events, configs, ids, classes. */
TEST_F(bad, array_pointers_efault)
{
	const uint64_t unreadable[] = { 0, (uintptr_t)self->none, KERNEL_PTR, NONCANON_PTR };
	const uint64_t unwritable[] = { (uintptr_t)self->none, (uintptr_t)self->ro,
					KERNEL_PTR };
	struct nsgpuperf_gpu_list gl;
	struct nsgpuperf_event_list el;
	struct nsgpuperf_group_open go;
	struct nsgpuperf_cgroup_usage cu;
	uint64_t *cfg_ro = (uint64_t *)self->ro;
	unsigned int i;
	int ret, err, fds, client;

	/* output arrays: NULL (with room claimed), unmapped, read-only, kernel */
	for (i = 0; i < ARRAY_SIZE(unwritable) + 1; i++) {
		uint64_t p = i ? unwritable[i - 1] : 0;

		fill(self, I_LIST_GPUS, &gl, sizeof(gl));
		gl.gpus = p;
		ret = do_ioc(self, I_LIST_GPUS, &gl, &err);
		EXPECT_FAILS_WITH(EFAULT, ret, err, "gpus %#llx", (unsigned long long)p);

		fill(self, I_LIST_EVENTS, &el, sizeof(el));
		el.events = p;
		ret = do_ioc(self, I_LIST_EVENTS, &el, &err);
		EXPECT_FAILS_WITH(EFAULT, ret, err, "events %#llx", (unsigned long long)p);

		/* ids: 0 means "not wanted", so only the bad non-zero ones */
		if (p) {
			fds = count_fds();
			fill(self, I_OPEN_GROUP, &go, sizeof(go));
			go.ids = p;
			ret = do_ioc(self, I_OPEN_GROUP, &go, &err);
			EXPECT_FAILS_WITH(EFAULT, ret, err, "ids %#llx", (unsigned long long)p);
			EXPECT_EQ(fds, count_fds()) TH_LOG("ids %#llx left an fd",
							  (unsigned long long)p);
			EXPECT_EQ(0, settle_live_events()) TH_LOG("ids %#llx left counters",
								 (unsigned long long)p);
		}
	}
	/* second entry unmapped: the first one fits, the rest does not */
	fill(self, I_LIST_GPUS, &gl, sizeof(gl));
	gl.count = 2;
	gl.gpus = (uintptr_t)(self->none - sizeof(struct nsgpuperf_gpu_info));
	ret = do_ioc(self, I_LIST_GPUS, &gl, &err);
	EXPECT_FAILS_WITH(EFAULT, ret, err, "gpus straddling");
	fill(self, I_LIST_EVENTS, &el, sizeof(el));
	el.count = 4;
	el.events = (uintptr_t)(self->none - 2 * sizeof(struct nsgpuperf_event_info));
	ret = do_ioc(self, I_LIST_EVENTS, &el, &err);
	EXPECT_FAILS_WITH(EFAULT, ret, err, "events straddling");

	/* no room, no pointer: just the count */
	fill(self, I_LIST_GPUS, &gl, sizeof(gl));
	gl.count = 0;
	gl.gpus = 0;
	ASSERT_EQ(0, ioctl(self->fd, NSGPUPERF_IOC_LIST_GPUS, &gl));
	ASSERT_EQ(2, gl.count);
	fill(self, I_LIST_EVENTS, &el, sizeof(el));
	el.count = 0;
	el.events = 0;
	ASSERT_EQ(0, ioctl(self->fd, NSGPUPERF_IOC_LIST_EVENTS, &el));
	ASSERT_GE(el.count, 19);

	/* configs (input): unreadable ones fault, and nothing is opened... */
	for (i = 0; i < ARRAY_SIZE(unreadable); i++) {
		fds = count_fds();
		fill(self, I_OPEN_GROUP, &go, sizeof(go));
		go.configs = unreadable[i];
		ret = do_ioc(self, I_OPEN_GROUP, &go, &err);
		EXPECT_FAILS_WITH(EFAULT, ret, err, "configs %#llx",
				  (unsigned long long)unreadable[i]);
		EXPECT_EQ(fds, count_fds());
	}
	/* ...nor when the first configs are readable and the last is not */
	ASSERT_EQ(0, mprotect(self->none - PG, PG, PROT_READ | PROT_WRITE));
	((uint64_t *)self->none)[-1] = CFG_RCS0_BUSY;
	((uint64_t *)self->none)[-2] = CFG_BCS0_BUSY;
	fill(self, I_OPEN_GROUP, &go, sizeof(go));
	go.configs = (uintptr_t)((uint64_t *)self->none - 2);
	go.nr_events = 3;
	ret = do_ioc(self, I_OPEN_GROUP, &go, &err);
	EXPECT_FAILS_WITH(EFAULT, ret, err, "configs straddling");
	EXPECT_EQ(0, settle_live_events());
	/* read-only configs are fine: the kernel only reads them */
	ASSERT_EQ(0, mprotect(self->ro, PG, PROT_READ | PROT_WRITE));
	cfg_ro[0] = CFG_RCS0_BUSY;
	cfg_ro[1] = CFG_VCS0_BUSY;
	ASSERT_EQ(0, mprotect(self->ro, PG, PROT_READ));
	ret = nsgp_open_group(self->fd, self->gpu0, cfg_ro, 2, 0, 0, self->ids);
	ASSERT_GE(ret, 0);
	close(ret);
	ASSERT_EQ(0, settle_live_events());

	/* classes: needs a DRM client in our cgroup, so there is something to write */
	client = open_render_node(GPU0_PCI);
	ASSERT_GE(client, 0);
	fill(self, I_CGROUP_USAGE, &cu, sizeof(cu));
	ASSERT_EQ(0, ioctl(self->fd, NSGPUPERF_IOC_CGROUP_USAGE, &cu));
	ASSERT_GE(cu.nr_clients, 1);
	ASSERT_GT(cu.count, 0) TH_LOG("no engine class reported for an open client");
	for (i = 0; i < ARRAY_SIZE(unwritable) + 1; i++) {
		uint64_t p = i ? unwritable[i - 1] : 0;

		fill(self, I_CGROUP_USAGE, &cu, sizeof(cu));
		cu.classes = p;
		ret = do_ioc(self, I_CGROUP_USAGE, &cu, &err);
		EXPECT_FAILS_WITH(EFAULT, ret, err, "classes %#llx", (unsigned long long)p);
	}
	close(client);
}

/* ---- fuzzer (lib/nsgp_fuzz.c) ------------------------------------------ */

TEST_F_TIMEOUT(bad, random_ioctl_fuzz, 120)
{
	struct nsgp_fuzz_opts o = {
		.seed = FUZZ_SEED, .threads = FUZZ_THREADS, .iters = FUZZ_ITERS,
		.deadline = time(NULL) + FUZZ_MAX_SECS,
		.gpu0 = self->gpu0, .gpu1 = self->gpu1,
	};
	struct nsgp_fuzz_stats *out;
	pid_t pids[FUZZ_PROCS];
	time_t start = time(NULL);
	unsigned int p, k;
	uint64_t calls = 0;
	int st;

	/* valid structs in a read-only page, for copy-out faults */
	o.ro = nsgp_fuzz_ro_page(self->gpu0, self->drm);
	ASSERT_NE(NULL, o.ro);

	out = mmap(NULL, FUZZ_PROCS * sizeof(*out), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, out);
	memset(out, 0, FUZZ_PROCS * sizeof(*out));

	for (p = 0; p < FUZZ_PROCS; p++) {
		pids[p] = fork();
		ASSERT_GE(pids[p], 0);
		if (!pids[p]) {
			close(self->fd);
			_exit(nsgp_fuzz_process(p, &o, &out[p]));
		}
	}
	for (p = 0; p < FUZZ_PROCS; p++) {
		ASSERT_EQ(pids[p], waitpid(pids[p], &st, 0));
		EXPECT_TRUE(WIFEXITED(st)) TH_LOG("fuzz process %u died (status %#x)", p, st);
		TH_LOG("process %u: %llu calls (%llu known ok, %llu known refused, %llu unknown, "
		       "%llu reads), %llu groups opened, %llu failures", p,
		       (unsigned long long)out[p].calls, (unsigned long long)out[p].known_ok,
		       (unsigned long long)out[p].known_err, (unsigned long long)out[p].unknown,
		       (unsigned long long)out[p].reads,
		       (unsigned long long)out[p].groups_opened,
		       (unsigned long long)out[p].fails);
		for (k = 0; k < out[p].nr_kinds; k++)
			TH_LOG("  %llux %s", (unsigned long long)out[p].kind[k].n,
			       out[p].kind[k].msg);
		EXPECT_EQ(0, out[p].fails);
		EXPECT_EQ(0, WEXITSTATUS(st));
		calls += out[p].calls;
	}
	TH_LOG("%llu calls in %ld s", (unsigned long long)calls, (long)(time(NULL) - start));
	/* it did real work, even if the time cap cut it short */
	EXPECT_GE(calls, 20000);
	for (p = 0; p < FUZZ_PROCS; p++)
		EXPECT_GT(out[p].groups_opened, 0) TH_LOG("process %u opened no group", p);

	/* everything closed: no counter, no module reference left */
	close(self->fd);
	self->fd = -1;
	close(self->drm);	/* a DRM file holds its driver's module */
	self->drm = -1;
	ASSERT_EQ(0, settle_live_events());
	ASSERT_EQ(0, settle_refcnt("nsgpuperf"));
	ASSERT_EQ(0, settle_refcnt("mock_i915"));
	munmap(out, FUZZ_PROCS * sizeof(*out));
}

TEST_HARNESS_MAIN
