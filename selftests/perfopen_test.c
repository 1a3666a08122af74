// SPDX-License-Identifier: GPL-2.0
/*
 * NSGPUPERF_IOC_PERF_OPEN and the perf ABI of the fds it returns, with perf
 * itself as the oracle: every case is done twice, once by host root with
 * the raw perf_event_open() syscall on the mock GPU's PMU, once by
 * container root (user namespace 0 -> 100000, no host capability, node
 * owned by 100000) through the ioctl, and the two answers must agree -
 * errnos, attr.size written back, read() layouts and sizes, exact counts,
 * which times run, what each perf ioctl changes.  Where the header
 * documents a deviation from perf, the documented value is asserted and
 * perf's printed beside it.
 *
 * The container side is an "agent" process that holds the session and
 * every fd it opens; the test drives it over a socket, one call a message.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "kselftest_harness.h"
#include "nsgp_test.h"

#define NODE		"/tmp/nsgpuperf-perfopen"
#define PARAM(name)	"/sys/module/nsgpuperf/parameters/" name
#define CT_MAP		"0 100000 65536"
#define CT_ROOT		100000
#define PG		4096
#define BUF		2048	/* attr, ioctl and read bytes carried per message */
#define PID_SELF	(-3)	/* row pid: each side puts its own */
#define BADFD		3999	/* never open on either side */
#define CYCLES		10000
/*
 * ... or as many as fit in CYCLES_SECS, at least CYCLES_MIN: a cycle
 * costs ~5 ms under TCG, and several times that on PREEMPT_RT and the
 * debug kernel (the test prints the rate).
 */
#define CYCLES_SECS	60
#define CYCLES_MIN	250

#define FMT_TE		PERF_FORMAT_TOTAL_TIME_ENABLED
#define FMT_TR		PERF_FORMAT_TOTAL_TIME_RUNNING
#define FMT_ID		PERF_FORMAT_ID
#define FMT_LOST	PERF_FORMAT_LOST
#define FMT_GROUP	PERF_FORMAT_GROUP

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* PMU types for the attr makers of the bad-input rows */
static int g_type1, g_type_other;

static const struct as_user ct_root = { -1, -1, CT_MAP, -1, false, NULL };

/* ---- the container agent ---------------------------------------------- */

enum { OP_OPEN = 1, OP_IOCTL, OP_READ, OP_CLOSE, OP_GETFD, OP_RECVFD, OP_NFDS,
       OP_CYCLES, OP_MMAP, OP_SESSION };
enum { A_BUF, A_NULL, A_BAD };		/* where the attr pointer points */
enum { ARG_VAL, ARG_BUF };		/* ioctl argument: value or &data */

struct req {
	uint32_t op, arg_mode, attr_mode, len, count, po_size;
	int32_t fd, pid, cpu, group_fd;
	uint64_t cmd, arg, flags, po_reserved;
	unsigned char data[BUF], data2[BUF];
};

struct rep {
	int64_t ret;		/* result, or -errno */
	int32_t fd_out;		/* OP_OPEN: nsgpuperf_perf_open.fd after the call */
	int32_t count;		/* OP_CYCLES: cycles done */
	unsigned char data[BUF];
};

/* attr buffers: two pages, so that sizes up to a page read zeroes */
static unsigned char abuf[2 * PG] __attribute__((aligned(PG)));
static unsigned char abuf2[2 * PG] __attribute__((aligned(PG)));
static unsigned char iobuf[2 * PG] __attribute__((aligned(PG)));
static void *none_page;		/* PROT_NONE: a pointer that faults */

static void *no_access(void)
{
	if (!none_page)
		none_page = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return none_page;
}

static void *attr_ptr(uint32_t mode, unsigned char *buf, const unsigned char *src)
{
	memset(buf, 0, 2 * PG);
	memcpy(buf, src, BUF);
	if (mode == A_NULL)
		return NULL;
	if (mode == A_BAD)
		return no_access();
	return buf;
}

static int ct_perf_open(int sess, void *attr, int pid, int cpu, int group_fd,
			uint64_t flags, uint32_t size, uint64_t reserved, int32_t *fd_out)
{
	struct nsgpuperf_perf_open po = {
		.size = size ? size : sizeof(po), .flags = (uint32_t)flags,
		.attr = (uintptr_t)attr, .pid = pid, .cpu = cpu,
		.group_fd = group_fd, .fd = -2, .reserved = reserved,
	};
	int ret = ioctl(sess, NSGPUPERF_IOC_PERF_OPEN, &po);

	if (fd_out)
		*fd_out = po.fd;
	return ret < 0 ? -errno : ret;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

static int agent_cycles(int sess, const struct req *q, struct rep *r)
{
	void *la = attr_ptr(A_BUF, abuf, q->data), *sa = attr_ptr(A_BUF, abuf2, q->data2);
	time_t end = time(NULL) + CYCLES_SECS;
	int l, s;

	for (r->count = 0; r->count < (int32_t)q->count && time(NULL) < end; r->count++) {
		l = ct_perf_open(sess, la, -1, q->cpu, -1, q->flags, 0, 0, NULL);
		if (l < 0)
			return l;
		s = ct_perf_open(sess, sa, -1, q->cpu, l, q->flags, 0, 0, NULL);
		if (s < 0) {
			close(l);
			return s;
		}
		if (close(s) || close(l))
			return -errno;
	}
	return 0;
}

static int agent_recv(int sk, struct req *q, int *passed)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { q, sizeof(*q) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	ssize_t n = recvmsg(sk, &mh, 0);

	*passed = -1;
	if (n <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(passed, CMSG_DATA(c), sizeof(int));
	return 0;
}

/* Container root: the session, and every fd it opens, live here. */
static int agent_main(void *arg)
{
	static struct req q;
	static struct rep r;
	int sk = *(int *)arg, sess = nsgp_open(NODE), passed;
	void *p;

	memset(&r, 0, sizeof(r));
	r.ret = sess;
	if (send(sk, &r, sizeof(r), 0) != sizeof(r) || sess < 0)
		return 1;
	while (!agent_recv(sk, &q, &passed)) {
		memset(&r, 0, sizeof(r));
		errno = 0;
		switch (q.op) {
		case OP_OPEN:
			p = attr_ptr(q.attr_mode, abuf, q.data);
			if (q.pid == PID_SELF)
				q.pid = getpid();
			r.ret = ct_perf_open(sess, p, q.pid, q.cpu, q.group_fd, q.flags,
					     q.po_size, q.po_reserved, &r.fd_out);
			memcpy(r.data, abuf, BUF);
			break;
		case OP_IOCTL:
			memset(iobuf, 0, sizeof(iobuf));
			memcpy(iobuf, q.data, BUF);
			r.ret = ioctl(q.fd, (unsigned long)q.cmd,
				      q.arg_mode == ARG_BUF ? (unsigned long)(uintptr_t)iobuf :
				      (unsigned long)q.arg);
			r.ret = r.ret < 0 ? -errno : r.ret;
			memcpy(r.data, iobuf, BUF);
			break;
		case OP_READ:
			r.ret = read(q.fd, iobuf, q.len);
			r.ret = r.ret < 0 ? -errno : r.ret;
			memcpy(r.data, iobuf, BUF);
			break;
		case OP_CLOSE:
			r.ret = close(q.fd) ? -errno : 0;
			break;
		case OP_GETFD:
			r.ret = fcntl(q.fd, F_GETFD);
			r.ret = r.ret < 0 ? -errno : r.ret;
			break;
		case OP_RECVFD:
			r.ret = passed;
			passed = -1;
			break;
		case OP_NFDS:
			r.ret = count_fds();
			break;
		case OP_CYCLES:
			r.ret = agent_cycles(sess, &q, &r);
			break;
		case OP_MMAP:
			p = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, q.fd, 0);
			r.ret = p == MAP_FAILED ? -errno : 0;
			if (p != MAP_FAILED)
				munmap(p, 2 * PG);
			break;
		case OP_SESSION:
			r.ret = sess;
			break;
		default:
			r.ret = -ENOSYS;
		}
		if (passed >= 0)
			close(passed);
		if (send(sk, &r, sizeof(r), 0) != sizeof(r))
			return 2;
	}
	return 0;
}

struct agent {
	int sk;
	pid_t pid;
};

static int agent_start(struct agent *a)
{
	struct rep r;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	fflush(NULL);
	a->pid = fork();
	if (a->pid < 0)
		return -errno;
	if (!a->pid) {
		close(sv[0]);
		_exit(run_as(&ct_root, agent_main, &sv[1]));
	}
	close(sv[1]);
	a->sk = sv[0];
	if (recv(a->sk, &r, sizeof(r), 0) != sizeof(r))
		return -EPROTO;
	return r.ret < 0 ? (int)r.ret : 0;
}

static void agent_stop(struct agent *a)
{
	if (a->sk >= 0)
		close(a->sk);	/* the agent exits and its fds close */
	if (a->pid > 0)
		waitpid(a->pid, NULL, 0);
	a->sk = -1;
	a->pid = 0;
}

static struct req Q;
static struct rep R;

static int64_t agent_call(struct agent *a, int pass_fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &Q, sizeof(Q) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (pass_fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	if (sendmsg(a->sk, &mh, 0) != sizeof(Q))
		return -EPROTO;
	if (recv(a->sk, &R, sizeof(R), 0) != sizeof(R))
		return -EPROTO;
	return R.ret;
}

static void q_reset(uint32_t op)
{
	memset(&Q, 0, sizeof(Q));
	Q.op = op;
	Q.fd = -1;
}

static int ct_open(struct agent *a, const void *attr, int pid, int cpu, int group_fd,
		   uint64_t flags)
{
	q_reset(OP_OPEN);
	memcpy(Q.data, attr, sizeof(struct perf_event_attr));
	Q.pid = pid;
	Q.cpu = cpu;
	Q.group_fd = group_fd;
	Q.flags = flags;
	return (int)agent_call(a, -1);
}

static int ct_ioctl_val(struct agent *a, int fd, unsigned long cmd, unsigned long arg)
{
	q_reset(OP_IOCTL);
	Q.fd = fd;
	Q.cmd = cmd;
	Q.arg = arg;
	return (int)agent_call(a, -1);
}

/* ioctl with a pointer to a copy of data (len bytes), copied back out. */
static int ct_ioctl_buf(struct agent *a, int fd, unsigned long cmd, void *data, size_t len)
{
	int ret;

	q_reset(OP_IOCTL);
	Q.fd = fd;
	Q.cmd = cmd;
	Q.arg_mode = ARG_BUF;
	memcpy(Q.data, data, len);
	ret = (int)agent_call(a, -1);
	memcpy(data, R.data, len);
	return ret;
}

static ssize_t ct_read(struct agent *a, int fd, void *buf, size_t len)
{
	ssize_t ret;

	q_reset(OP_READ);
	Q.fd = fd;
	Q.len = len;
	ret = agent_call(a, -1);
	if (ret > 0)
		memcpy(buf, R.data, ret < BUF ? ret : BUF);
	return ret;
}

static int ct_simple(struct agent *a, uint32_t op, int fd)
{
	q_reset(op);
	Q.fd = fd;
	return (int)agent_call(a, -1);
}

static int ct_close(struct agent *a, int fd)
{
	return ct_simple(a, OP_CLOSE, fd);
}

/* Give the agent a copy of one of our fds: its number there, or -errno. */
static int ct_give(struct agent *a, int fd)
{
	q_reset(OP_RECVFD);
	return (int)agent_call(a, fd);
}

/* ---- the raw side: host root on the PMU --------------------------------- */

static int raw_open(void *attr, int pid, int cpu, int group_fd, unsigned long flags)
{
	int fd = syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);

	return fd < 0 ? -errno : fd;
}

static int raw_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static ssize_t raw_read(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

/* ---- common ------------------------------------------------------------ */

static const char *ename(long ret)
{
	static char b[4][32];
	static int i;
	const char *n;

	if (ret >= 0)
		return "ok";
	n = strerrorname_np((int)-ret);
	if (n)
		return n;
	i = (i + 1) % 4;
	snprintf(b[i], sizeof(b[i]), "errno %ld", -ret);
	return b[i];
}

static void attr_init(struct perf_event_attr *a, int type, uint64_t config, uint64_t fmt)
{
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->size = sizeof(*a);
	a->config = config;
	a->read_format = fmt;
}

/* One event opened both ways. */
struct ev {
	int raw, ct;
};

static const uint64_t cfgs[] = {
	CFG_RCS0_BUSY, CFG_VCS0_BUSY, I915_PMU_INTERRUPTS, CFG_BCS0_BUSY,
	CFG_VECS0_SEMA, I915_PMU_RC6_RESIDENCY,
};

/* Drive every counter of cfgs[] on GPU0 by a distinct amount. */
static int bump(unsigned int step)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cfgs); i++)
		if (mock_ctl(GPU0_PCI, "add %llu %u", (unsigned long long)cfgs[i],
			     (i + 1) * 1000 + step * 7 + 1))
			return -1;
	return 0;
}

static int kernel_at_least(int major, int minor)
{
	FILE *f = fopen("/proc/sys/kernel/osrelease", "re");
	int ma = 0, mi = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%d.%d", &ma, &mi) != 2)
		ma = 0;
	fclose(f);
	return ma > major || (ma == major && mi >= minor);
}

/* The PMU takes events on one CPU only (i915's own cpumask, until 6.14). */
static bool pmu_has_cpumask(void)
{
	return !kernel_at_least(6, 15);
}

static int last_possible_cpu(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	int a = 0, b = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d-%d", &a, &b) < 1)
		a = -1;
	fclose(f);
	return b >= 0 ? b : a;
}

FIXTURE(po) {
	struct agent ag;
	int type0, type1, type_other, cpu, other_cpu;
};

FIXTURE_SETUP(po)
{
	unsigned int i;

	self->ag.sk = -1;
	self->ag.pid = 0;
	ASSERT_EQ(0, nsgp_mknod(NODE, CT_ROOT, CT_ROOT, 0600));
	self->type0 = perf_pmu_type("i915");
	self->type1 = perf_pmu_type("i915_0000_00_05.0");
	self->type_other = perf_pmu_type("i915_0000_00_06.0");
	ASSERT_GT(self->type0, 0);
	ASSERT_GT(self->type1, 0);
	ASSERT_GT(self->type_other, 0);
	g_type1 = self->type1;
	g_type_other = self->type_other;
	self->cpu = perf_pmu_cpu("i915");
	self->other_cpu = self->cpu ? 0 : 1;
	for (i = 0; i < ARRAY_SIZE(cfgs); i++)
		mock_ctl(GPU0_PCI, "rate %llu 0", (unsigned long long)cfgs[i]);
	ASSERT_EQ(0, settle_live_events());
	ASSERT_EQ(0, agent_start(&self->ag));
}

FIXTURE_TEARDOWN(po)
{
	agent_stop(&self->ag);
	unlink(NODE);
	pci_bind(GPU1_PCI);	/* after unbind_makes_reads_enodev */
}

/* Open @a (with @ga's fds as group_fd, or none) both ways; both must work. */
static int ev_open(struct __test_metadata *_metadata, FIXTURE_DATA(po) *self,
		   struct ev *e, struct perf_event_attr *a, const struct ev *group,
		   unsigned long flags)
{
	e->raw = raw_open(a, -1, self->cpu, group ? group->raw : -1, flags);
	e->ct = ct_open(&self->ag, a, -1, self->cpu, group ? group->ct : -1, flags);
	if (e->raw < 0 || e->ct < 0)
		TH_LOG("open config %#llx fmt %#llx: raw %s, ioctl %s",
		       (unsigned long long)a->config, (unsigned long long)a->read_format,
		       ename(e->raw), ename(e->ct));
	return e->raw < 0 ? e->raw : e->ct < 0 ? e->ct : 0;
}

static void ev_close(FIXTURE_DATA(po) *self, struct ev *e)
{
	if (e->raw >= 0)
		close(e->raw);
	if (e->ct >= 0)
		ct_close(&self->ag, e->ct);
	e->raw = e->ct = -1;
}

/* ---- 1. bad input: the same errno both ways ----------------------------- */

enum { P_NONE, P_ZERO, P_SELF, P_NOSUCH, P_NEG };
enum { C_PMU, C_NEG, C_OTHER, C_NR, C_HUGE, C_INTMAX };
enum { G_NONE, G_BADFD, G_LEADER, G_SIBLING, G_LEADER_GPU1, G_LEADER_CLOCK,
       G_DEVNULL, G_PERF, G_SESSION, G_LEADER_OTHER_CPU };

#define WANT_OK		INT_MAX		/* the call must succeed */
#define W_CPUMASK (INT_MAX - 1)	/* EINVAL with a cpumask, else success */

struct row {
	const char *what;
	void (*attr)(struct perf_event_attr *a);
	int pid, cpu, group;
	unsigned long flags;
	int attr_mode;
	int want;	/* 0: whatever perf says; WANT_OK; W_CPUMASK; else an errno */
	int doc;	/* the ioctl's documented answer where it is not perf's */
	bool size_back;	/* compare attr.size as written back */
};

/* One attr maker a line: the changes a row makes to a plain counting attr. */
#define ATTR(name, ...) \
	static void name(struct perf_event_attr *a) { __VA_ARGS__ }

ATTR(a_period, a->sample_period = 1000;)
ATTR(a_period63, a->sample_period = 1ULL << 63;)
ATTR(a_freq, a->freq = 1; a->sample_freq = 100;)
ATTR(a_freq_huge, a->freq = 1; a->sample_freq = 1ULL << 40;)
ATTR(a_branch,
	a->sample_type = PERF_SAMPLE_BRANCH_STACK;
	a->branch_sample_type = PERF_SAMPLE_BRANCH_ANY;)
ATTR(a_branch_user,
	a->sample_type = PERF_SAMPLE_BRANCH_STACK;
	a->branch_sample_type = PERF_SAMPLE_BRANCH_ANY | PERF_SAMPLE_BRANCH_USER;
	a->exclude_kernel = 1;)
ATTR(a_branch_empty,
	a->sample_type = PERF_SAMPLE_BRANCH_STACK;
	a->branch_sample_type = PERF_SAMPLE_BRANCH_USER;)
ATTR(a_branch_bad,
	a->sample_type = PERF_SAMPLE_BRANCH_STACK;
	a->branch_sample_type = PERF_SAMPLE_BRANCH_ANY | (1ULL << 62);)
ATTR(a_cfg_unknown, a->config = __I915_PMU_OTHER(40);)
ATTR(a_cfg_sample, a->config = __I915_PMU_ENGINE(I915_ENGINE_CLASS_RENDER, 0, 3);)
ATTR(a_cfg_engine, a->config = __I915_PMU_ENGINE(I915_ENGINE_CLASS_VIDEO, 2, I915_SAMPLE_BUSY);)
ATTR(a_cfg_huge, a->config = ~0ULL;)
ATTR(a_config12, a->config1 = 0x1234; a->config2 = 0x5678;)
ATTR(a_type_unknown, a->type = 0x7ffffff0;)
ATTR(a_type_other, a->type = g_type_other;	/* a mock PMU nsgpuperf does not serve */)
ATTR(a_type_sw, a->type = PERF_TYPE_SOFTWARE; a->config = PERF_COUNT_SW_CPU_CLOCK;)
ATTR(a_gpu1, a->type = g_type1;)
ATTR(a_size0, a->size = 0;)
ATTR(a_size_ver1, a->size = PERF_ATTR_SIZE_VER1;)
ATTR(a_size1, a->size = 1;)
ATTR(a_size63, a->size = PERF_ATTR_SIZE_VER0 - 1;)
ATTR(a_size_big_zero, a->size = 512;)
ATTR(a_size_big_tail, a->size = 512; ((unsigned char *)a)[504] = 1;)
ATTR(a_size_page, a->size = PG;)
ATTR(a_size_over_page, a->size = PG + 1;)
ATTR(a_size_huge, a->size = 0xffffffff;)
/* the flags bitfield is the u64 after read_format */
ATTR(a_reserved1, uint64_t *flags = (uint64_t *)&a->read_format + 1; *flags |= 1ULL << 63;)
ATTR(a_reserved2, a->__reserved_2 = 1;)
ATTR(a_reserved3, a->__reserved_3 = 1 << 31;)
ATTR(a_fmt_bit5, a->read_format = 1ULL << 5;)
ATTR(a_fmt_bit63, a->read_format = FMT_TE | (1ULL << 63);)
ATTR(a_fmt_all, a->read_format = FMT_GROUP | FMT_TE | FMT_TR | FMT_ID | FMT_LOST;)
ATTR(a_sample_type_bad, a->sample_type = 1ULL << 62;)
ATTR(a_sample_type_ok, a->sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME;)
ATTR(a_weight_both, a->sample_type = PERF_SAMPLE_WEIGHT | PERF_SAMPLE_WEIGHT_STRUCT;)
ATTR(a_regs_user0, a->sample_type = PERF_SAMPLE_REGS_USER; a->sample_regs_user = 0;)
ATTR(a_regs_intr_ext, a->sample_type = PERF_SAMPLE_REGS_INTR; a->sample_regs_intr = 1ULL << 40;)
ATTR(a_stack_user, a->sample_type = PERF_SAMPLE_STACK_USER; a->sample_stack_user = 3;)
ATTR(a_callchain, a->sample_type = PERF_SAMPLE_CALLCHAIN; a->sample_max_stack = 60000;)
ATTR(a_clock_bad, a->use_clockid = 1; a->clockid = 99;)
ATTR(a_clock_mono, a->use_clockid = 1; a->clockid = CLOCK_MONOTONIC;)
ATTR(a_clock_raw, a->use_clockid = 1; a->clockid = CLOCK_MONOTONIC_RAW;)
ATTR(a_clock_realtime, a->use_clockid = 1; a->clockid = CLOCK_REALTIME;)
ATTR(a_clock_boot, a->use_clockid = 1; a->clockid = CLOCK_BOOTTIME;)
ATTR(a_clock_tai, a->use_clockid = 1; a->clockid = CLOCK_TAI;)
ATTR(a_clock_neg, a->use_clockid = 1; a->clockid = -1;)
ATTR(a_sigtrap, a->sigtrap = 1;)
ATTR(a_sigtrap_roe, a->sigtrap = 1; a->remove_on_exec = 1;)
ATTR(a_roe_eoe, a->remove_on_exec = 1; a->enable_on_exec = 1;)
ATTR(a_inherit, a->inherit = 1;)
ATTR(a_inherit_thread, a->inherit_thread = 1;)
ATTR(a_excludes,
	a->exclude_user = 1;
	a->exclude_kernel = 1;
	a->exclude_hv = 1;
	a->exclude_idle = 1;)
ATTR(a_exclude_kernel, a->exclude_kernel = 1;	/* what perf stat passes when paranoid */)
ATTR(a_sideband, a->mmap = 1; a->comm = 1; a->task = 1; a->context_switch = 1;)
ATTR(a_namespaces, a->namespaces = 1;)
ATTR(a_aux_output, a->aux_output = 1;)
ATTR(a_aux_action0, a->__reserved_3 = 1;)
ATTR(a_precise, a->precise_ip = 3;)
ATTR(a_pinned, a->pinned = 1;)
ATTR(a_exclusive, a->exclusive = 1;)
ATTR(a_disabled, a->disabled = 1;)
ATTR(a_watermark, a->watermark = 1; a->wakeup_watermark = 4096;)
ATTR(a_write_backward, a->write_backward = 1;)
ATTR(a_phys_addr, a->sample_type = PERF_SAMPLE_PHYS_ADDR;)
static const struct row rows[] = {
	/* what any tool passes: must open */
	{ "plain counting event", NULL, P_NONE, C_PMU, G_NONE, 0, A_BUF, WANT_OK, 0, false },
	{ "config1/config2 set (i915 ignores them)", a_config12,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, WANT_OK, 0, false },
	{ "exclude_kernel (perf stat, paranoid)", a_exclude_kernel,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "every exclude bit", a_excludes, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "disabled", a_disabled, P_NONE, C_PMU, G_NONE, 0, A_BUF, WANT_OK, 0, false },
	{ "read_format every known bit", a_fmt_all,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, WANT_OK, 0, false },
	{ "use_clockid CLOCK_MONOTONIC (igt)", a_clock_mono,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, WANT_OK, 0, false },
	{ "PERF_FLAG_FD_CLOEXEC", NULL,
	  P_NONE, C_PMU, G_NONE, PERF_FLAG_FD_CLOEXEC, A_BUF, WANT_OK, 0, false },
	{ "PERF_FLAG_FD_OUTPUT, no group", NULL,
	  P_NONE, C_PMU, G_NONE, PERF_FLAG_FD_OUTPUT, A_BUF, WANT_OK, 0, false },
	{ "PERF_FLAG_FD_NO_GROUP, no group", NULL,
	  P_NONE, C_PMU, G_NONE, PERF_FLAG_FD_NO_GROUP, A_BUF, WANT_OK, 0, false },
	{ "attr.size 0 (first layout)", a_size0,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, WANT_OK, 0, true },
	{ "attr.size VER1", a_size_ver1, P_NONE, C_PMU, G_NONE, 0, A_BUF, WANT_OK, 0, true },
	{ "attr.size 512, zero tail", a_size_big_zero,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, WANT_OK, 0, true },
	{ "attr.size a page, zero tail", a_size_page,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, WANT_OK, 0, true },
	{ "sample_type without sampling", a_sample_type_ok,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "inherit", a_inherit, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "side-band records", a_sideband, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "namespaces (perfmon_capable)", a_namespaces,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "precise_ip 3", a_precise, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "leader pinned", a_pinned, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "leader exclusive", a_exclusive, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "watermark", a_watermark, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "write_backward", a_write_backward, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "use_clockid CLOCK_MONOTONIC_RAW", a_clock_raw,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "use_clockid CLOCK_REALTIME", a_clock_realtime,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "use_clockid CLOCK_BOOTTIME", a_clock_boot,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "use_clockid CLOCK_TAI", a_clock_tai, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "event on the other GPU", a_gpu1, P_NONE, C_PMU, G_NONE, 0, A_BUF, WANT_OK, 0, false },

	/* sampling, which the PMU refuses */
	{ "sample_period", a_period, P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "sample_period with bit 63", a_period63,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "freq, sample_freq 100", a_freq, P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "freq, sample_freq > max rate", a_freq_huge,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "branch stack", a_branch, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "branch stack, user only", a_branch_user, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "branch stack, no branch type", a_branch_empty,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "branch stack, unknown branch bit", a_branch_bad,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "sample_type unknown bit", a_sample_type_bad,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "sample WEIGHT and WEIGHT_STRUCT", a_weight_both,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	/* documented: perf's check of register masks is not repeated */
	{ "sample REGS_USER, empty mask", a_regs_user0,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, WANT_OK, false },
	{ "sample REGS_INTR, extended regs", a_regs_intr_ext,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "sample STACK_USER, unaligned", a_stack_user,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "sample CALLCHAIN, max stack 60000", a_callchain,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "sample PHYS_ADDR", a_phys_addr, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "aux_output", a_aux_output, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "aux_action bit 0 (6.13+: aux_start_paused)", a_aux_action0,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },

	/* the counter */
	{ "unknown counter", a_cfg_unknown, P_NONE, C_PMU, G_NONE, 0, A_BUF, ENOENT, 0, false },
	{ "unknown engine sample", a_cfg_sample,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, ENOENT, 0, false },
	{ "engine the GPU lacks (vcs2)", a_cfg_engine,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, ENODEV, 0, false },
	{ "config ~0", a_cfg_huge, P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "type of no PMU", a_type_unknown, P_NONE, C_PMU, G_NONE, 0, A_BUF, ENOENT, 0, false },

	/* documented: only the GPU PMUs nsgpuperf serves */
	{ "type of a PMU nsgpuperf does not serve", a_type_other,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, WANT_OK, ENOENT, false },
	{ "type PERF_TYPE_SOFTWARE", a_type_sw,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, WANT_OK, ENOENT, false },

	/* pid and cpu */
	{ "cpu -1", NULL, P_NONE, C_NEG, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "cpu outside the PMU cpumask", NULL,
	  P_NONE, C_OTHER, G_NONE, 0, A_BUF, W_CPUMASK, 0, false },
	{ "cpu nr_cpu_ids", NULL, P_NONE, C_NR, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "cpu 1 << 20", NULL, P_NONE, C_HUGE, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "cpu INT_MAX", NULL, P_NONE, C_INTMAX, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "pid 0", NULL, P_ZERO, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "pid 0, cpu -1", NULL, P_ZERO, C_NEG, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "pid of self", NULL, P_SELF, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "pid that does not exist", NULL, P_NOSUCH, C_PMU, G_NONE, 0, A_BUF, ESRCH, 0, false },
	{ "pid -2", NULL, P_NEG, C_PMU, G_NONE, 0, A_BUF, ESRCH, 0, false },

	/* flags */
	{ "unknown flag bit 4", NULL, P_NONE, C_PMU, G_NONE, 1UL << 4, A_BUF, EINVAL, 0, false },
	{ "unknown flag bit 31", NULL, P_NONE, C_PMU, G_NONE, 1UL << 31, A_BUF, EINVAL, 0, false },
	{ "PERF_FLAG_PID_CGROUP, pid -1", NULL,
	  P_NONE, C_PMU, G_NONE, PERF_FLAG_PID_CGROUP, A_BUF, EINVAL, 0, false },

	/* the attr struct */
	{ "attr NULL", NULL, P_NONE, C_PMU, G_NONE, 0, A_NULL, EFAULT, 0, false },
	{ "attr not mapped", NULL, P_NONE, C_PMU, G_NONE, 0, A_BAD, EFAULT, 0, false },
	{ "attr.size 1", a_size1, P_NONE, C_PMU, G_NONE, 0, A_BUF, E2BIG, 0, true },
	{ "attr.size 63", a_size63, P_NONE, C_PMU, G_NONE, 0, A_BUF, E2BIG, 0, true },
	{ "attr.size 512, non-zero tail", a_size_big_tail,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, E2BIG, 0, true },
	{ "attr.size a page + 1", a_size_over_page,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, E2BIG, 0, true },
	{ "attr.size 4 GiB - 1", a_size_huge, P_NONE, C_PMU, G_NONE, 0, A_BUF, E2BIG, 0, true },
	{ "__reserved_1 (flags bit 63)", a_reserved1,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "__reserved_2", a_reserved2, P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "__reserved_3 (6.13+: aux_action)", a_reserved3,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "read_format bit 5", a_fmt_bit5, P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "read_format bit 63", a_fmt_bit63, P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "use_clockid 99", a_clock_bad, P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "use_clockid -1", a_clock_neg, P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "sigtrap without remove_on_exec", a_sigtrap,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "sigtrap, remove_on_exec, no task", a_sigtrap_roe,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, 0, 0, false },
	{ "remove_on_exec with enable_on_exec", a_roe_eoe,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },
	{ "inherit_thread without inherit", a_inherit_thread,
	  P_NONE, C_PMU, G_NONE, 0, A_BUF, EINVAL, 0, false },

	/* groups */
	{ "sibling", NULL, P_NONE, C_PMU, G_LEADER, 0, A_BUF, WANT_OK, 0, false },
	{ "sibling, disabled", a_disabled, P_NONE, C_PMU, G_LEADER, 0, A_BUF, WANT_OK, 0, false },
	{ "sibling, read_format every bit", a_fmt_all,
	  P_NONE, C_PMU, G_LEADER, 0, A_BUF, WANT_OK, 0, false },
	{ "sibling pinned", a_pinned, P_NONE, C_PMU, G_LEADER, 0, A_BUF, EINVAL, 0, false },
	{ "sibling exclusive", a_exclusive, P_NONE, C_PMU, G_LEADER, 0, A_BUF, EINVAL, 0, false },
	{ "sibling on another CPU", NULL, P_NONE, C_OTHER, G_LEADER, 0, A_BUF, EINVAL, 0, false },
	{ "sibling on cpu -1", NULL, P_NONE, C_NEG, G_LEADER, 0, A_BUF, EINVAL, 0, false },
	{ "sibling of a leader on another CPU", NULL,
	  P_NONE, C_PMU, G_LEADER_OTHER_CPU, 0, A_BUF, EINVAL, 0, false },
	{ "sibling without the leader's clock", NULL,
	  P_NONE, C_PMU, G_LEADER_CLOCK, 0, A_BUF, EINVAL, 0, false },
	{ "sibling with the leader's clock", a_clock_mono,
	  P_NONE, C_PMU, G_LEADER_CLOCK, 0, A_BUF, WANT_OK, 0, false },
	{ "sibling with another clock", a_clock_raw,
	  P_NONE, C_PMU, G_LEADER_CLOCK, 0, A_BUF, EINVAL, 0, false },
	{ "sibling with a clock, leader none", a_clock_mono,
	  P_NONE, C_PMU, G_LEADER, 0, A_BUF, EINVAL, 0, false },
	{ "sibling on the other GPU's PMU", a_gpu1,
	  P_NONE, C_PMU, G_LEADER, 0, A_BUF, EINVAL, 0, false },
	{ "sibling of a leader on the other GPU", NULL,
	  P_NONE, C_PMU, G_LEADER_GPU1, 0, A_BUF, EINVAL, 0, false },
	{ "sibling, unknown counter", a_cfg_unknown,
	  P_NONE, C_PMU, G_LEADER, 0, A_BUF, ENOENT, 0, false },
	{ "sibling, engine the GPU lacks", a_cfg_engine,
	  P_NONE, C_PMU, G_LEADER, 0, A_BUF, ENODEV, 0, false },
	{ "sibling with sample_period", a_period,
	  P_NONE, C_PMU, G_LEADER, 0, A_BUF, EINVAL, 0, false },
	{ "sibling, pid of self", NULL, P_SELF, C_PMU, G_LEADER, 0, A_BUF, 0, 0, false },
	{ "sibling, inherit", a_inherit, P_NONE, C_PMU, G_LEADER, 0, A_BUF, 0, 0, false },
	/* perf: EINVAL, the output event has no ring buffer */
	{ "sibling, PERF_FLAG_FD_OUTPUT", NULL,
	  P_NONE, C_PMU, G_LEADER, PERF_FLAG_FD_OUTPUT, A_BUF, EINVAL, 0, false },
	{ "new leader: PERF_FLAG_FD_NO_GROUP", NULL,
	  P_NONE, C_PMU, G_LEADER, PERF_FLAG_FD_NO_GROUP, A_BUF, WANT_OK, 0, false },
	{ "group_fd not an open fd", NULL, P_NONE, C_PMU, G_BADFD, 0, A_BUF, EBADF, 0, false },
	{ "group_fd a sibling", NULL, P_NONE, C_PMU, G_SIBLING, 0, A_BUF, EINVAL, 0, false },
	{ "group_fd a sibling, NO_GROUP", NULL,
	  P_NONE, C_PMU, G_SIBLING, PERF_FLAG_FD_NO_GROUP, A_BUF, WANT_OK, 0, false },
	{ "group_fd /dev/null", NULL, P_NONE, C_PMU, G_DEVNULL, 0, A_BUF, EBADF, 0, false },
	/* documented: a perf event cannot lead a GPU event of ours */
	{ "group_fd a real perf leader", NULL,
	  P_NONE, C_PMU, G_PERF, 0, A_BUF, WANT_OK, EINVAL, false },
	{ "group_fd an nsgpuperf session", NULL,
	  P_NONE, C_PMU, G_SESSION, 0, A_BUF, EBADF, 0, false },
};

static int row_cpu(FIXTURE_DATA(po) *self, int c)
{
	switch (c) {
	case C_NEG:
		return -1;
	case C_OTHER:
		return self->other_cpu;
	case C_NR:
		return last_possible_cpu() + 1;
	case C_HUGE:
		return 1 << 20;
	case C_INTMAX:
		return INT_MAX;
	}
	return self->cpu;
}

/* Both sides' group_fd for a row: 0 and *raw, *ct set; fds to close in ev[]. */
static int row_group(struct __test_metadata *_metadata, FIXTURE_DATA(po) *self,
		     const struct row *r, struct ev *ev, int *raw, int *ct)
{
	struct perf_event_attr a;
	int ret = 0;

	*raw = *ct = -1;
	attr_init(&a, self->type0, CFG_RCS0_BUSY, 0);
	switch (r->group) {
	case G_NONE:
		return 0;
	case G_BADFD:
		*raw = *ct = BADFD;
		return 0;
	case G_LEADER_GPU1:
		a.type = self->type1;
		break;
	case G_LEADER_CLOCK:
		a.use_clockid = 1;
		a.clockid = CLOCK_MONOTONIC;
		break;
	case G_DEVNULL:
		ev[0].raw = open("/dev/null", O_RDONLY | O_CLOEXEC);
		ev[0].ct = ct_give(&self->ag, ev[0].raw);
		*raw = ev[0].raw;
		*ct = ev[0].ct;
		return ev[0].raw < 0 || ev[0].ct < 0 ? -EBADF : 0;
	case G_SESSION:
		/* host root's own session stands for it on the raw side */
		ev[0].raw = nsgp_open(NULL);
		q_reset(OP_SESSION);
		*raw = ev[0].raw;
		*ct = (int)agent_call(&self->ag, -1);
		return ev[0].raw < 0 || *ct < 0 ? -EBADF : 0;
	case G_PERF:
		ev[0].raw = raw_open(&a, -1, self->cpu, -1, 0);
		ev[0].ct = ct_give(&self->ag, ev[0].raw);
		*raw = ev[0].raw;
		*ct = ev[0].ct;
		return ev[0].raw < 0 || ev[0].ct < 0 ? -EBADF : 0;
	case G_LEADER_OTHER_CPU:
		if (pmu_has_cpumask())
			return 1;	/* no such leader here: skip the row */
		ret = raw_open(&a, -1, self->other_cpu, -1, 0);
		ev[0].raw = ret;
		ev[0].ct = ct_open(&self->ag, &a, -1, self->other_cpu, -1, 0);
		*raw = ev[0].raw;
		*ct = ev[0].ct;
		EXPECT_LE(0, ev[0].raw) TH_LOG("%s: raw leader", r->what);
		EXPECT_LE(0, ev[0].ct) TH_LOG("%s: ioctl leader", r->what);
		return ev[0].raw < 0 || ev[0].ct < 0 ? -EINVAL : 0;
	}
	ret = ev_open(_metadata, self, &ev[0], &a, NULL, 0);
	if (ret)
		return ret;
	*raw = ev[0].raw;
	*ct = ev[0].ct;
	if (r->group == G_SIBLING) {
		a.config = CFG_VCS0_BUSY;
		ret = ev_open(_metadata, self, &ev[1], &a, &ev[0], 0);
		*raw = ev[1].raw;
		*ct = ev[1].ct;
	}
	return ret;
}

static int row_pid(int p)
{
	switch (p) {
	case P_ZERO:
		return 0;
	case P_SELF:
		return PID_SELF;
	case P_NOSUCH:
		return INT_MAX - 7;
	case P_NEG:
		return -2;
	}
	return -1;
}

TEST_F(po, bad_input_matches_raw_perf)
{
	static unsigned char in[BUF], raw_attr[2 * PG] __attribute__((aligned(PG)));
	unsigned int i, nr_ok = 0;
	int fails = 0;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct row *r = &rows[i];
		struct ev gev[2] = { { -1, -1 }, { -1, -1 } };
		struct perf_event_attr *a = (struct perf_event_attr *)in;
		int pid = row_pid(r->pid), cpu = row_cpu(self, r->cpu), graw, gct;
		int raw, ct, want = r->want, ret, expect_ct;
		uint32_t raw_size, ct_size;
		void *rp;

		memset(in, 0, sizeof(in));
		attr_init(a, self->type0, CFG_RCS0_BUSY, 0);
		if (r->attr)
			r->attr(a);
		ret = row_group(_metadata, self, r, gev, &graw, &gct);
		if (ret == 1) {
			printf("# %-44s (no such case on this kernel)\n", r->what);
			continue;
		}
		ASSERT_EQ(0, ret) TH_LOG("%s: setting up the group", r->what);

		/* host root, raw */
		memset(raw_attr, 0, sizeof(raw_attr));
		memcpy(raw_attr, in, sizeof(in));
		rp = r->attr_mode == A_NULL ? NULL : r->attr_mode == A_BAD ? no_access() : raw_attr;
		raw = raw_open(rp, pid == PID_SELF ? getpid() : pid, cpu, graw, r->flags);
		raw_size = ((struct perf_event_attr *)raw_attr)->size;

		/* container root, through the ioctl */
		q_reset(OP_OPEN);
		memcpy(Q.data, in, sizeof(in));
		Q.attr_mode = r->attr_mode;
		Q.pid = pid;
		Q.cpu = cpu;
		Q.group_fd = gct;
		Q.flags = r->flags;
		ct = (int)agent_call(&self->ag, -1);
		ct_size = ((struct perf_event_attr *)R.data)->size;
		if (ct >= 0 && R.fd_out != ct) {
			TH_LOG("%s: returned fd %d, struct fd %d", r->what, ct, R.fd_out);
			fails++;
		}

		expect_ct = r->doc ? (r->doc == WANT_OK ? 0 : -r->doc) : (raw < 0 ? raw : 0);
		printf("# %-44s raw %-10s ioctl %-10s%s", r->what, ename(raw), ename(ct),
		       r->doc ? " (documented)" : "");
		if (r->size_back)
			printf(" attr.size back: raw %u ioctl %u", raw_size, ct_size);
		printf("\n");

		if (want == W_CPUMASK)
			want = pmu_has_cpumask() ? EINVAL : WANT_OK;
		if (want && (want == WANT_OK ? raw < 0 : raw != -want)) {
			TH_LOG("%s: the oracle itself: raw %s, expected %s", r->what, ename(raw),
			       want == WANT_OK ? "ok" : ename(-want));
			fails++;
		}
		if ((ct < 0 ? ct : 0) != expect_ct) {
			TH_LOG("%s: ioctl %s, expected %s", r->what, ename(ct), ename(expect_ct));
			fails++;
		}
		if (r->size_back && raw_size != ct_size) {
			TH_LOG("%s: attr.size written back: raw %u, ioctl %u", r->what,
			       raw_size, ct_size);
			fails++;
		}
		if (ct >= 0)
			nr_ok++;
		if (raw >= 0)
			close(raw);
		if (ct >= 0)
			ct_close(&self->ag, ct);
		ev_close(self, &gev[1]);
		ev_close(self, &gev[0]);
	}
	printf("# %u rows, %u opened through the ioctl\n", (unsigned int)ARRAY_SIZE(rows),
	       nr_ok);
	ASSERT_EQ(0, fails);
	ASSERT_EQ(0, settle_live_events());
}

/* PERF_FLAG_PID_CGROUP with a real cgroup: documented EINVAL. */
TEST_F(po, pid_cgroup_is_refused)
{
	struct perf_event_attr a;
	int cg = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC), raw, cgct, ct;

	ASSERT_LE(0, cg);
	attr_init(&a, self->type0, CFG_RCS0_BUSY, 0);
	raw = raw_open(&a, cg, self->cpu, -1, PERF_FLAG_PID_CGROUP);
	cgct = ct_give(&self->ag, cg);
	ASSERT_LE(0, cgct);
	ct = ct_open(&self->ag, &a, cgct, self->cpu, -1, PERF_FLAG_PID_CGROUP);
	printf("# PERF_FLAG_PID_CGROUP, cgroup fd: raw %s ioctl %s (documented EINVAL)\n",
	       ename(raw), ename(ct));
	if (raw >= 0)
		close(raw);
	if (ct >= 0)
		ct_close(&self->ag, ct);
	close(cg);
	ASSERT_EQ(-EINVAL, ct);
}

/* The ioctl's own struct: the common rules of the header. */
TEST_F(po, perf_open_struct_rules)
{
	struct perf_event_attr a;
	int ct;

	attr_init(&a, self->type0, CFG_RCS0_BUSY, 0);
	q_reset(OP_OPEN);
	memcpy(Q.data, &a, sizeof(a));
	Q.pid = -1;
	Q.cpu = self->cpu;
	Q.group_fd = -1;
	Q.po_size = NSGPUPERF_PERF_OPEN_SIZE_VER1 - 1;
	EXPECT_EQ(-EINVAL, agent_call(&self->ag, -1));
	Q.po_size = NSGPUPERF_PERF_OPEN_SIZE_VER1;
	Q.po_reserved = 1;
	EXPECT_EQ(-EINVAL, agent_call(&self->ag, -1));
	Q.po_reserved = 0;
	ct = (int)agent_call(&self->ag, -1);
	ASSERT_LE(0, ct);
	EXPECT_EQ(ct, R.fd_out);
	ct_close(&self->ag, ct);
	ASSERT_EQ(0, settle_live_events());
}

/* ---- 2. read formats ---------------------------------------------------- */

static size_t layout_size(uint64_t fmt, unsigned int nr)
{
	size_t per = 1 + !!(fmt & FMT_ID) + !!(fmt & FMT_LOST);
	size_t times = !!(fmt & FMT_TE) + !!(fmt & FMT_TR);

	if (fmt & FMT_GROUP)
		return 8 * (1 + times + nr * per);
	return 8 * (1 + times + !!(fmt & FMT_ID) + !!(fmt & FMT_LOST));
}

/*
 * Compare one read() of the raw fd and of ours, laid out per @fmt: counts
 * exact, times present and positive on both or zero on both, ids those of
 * PERF_EVENT_IOC_ID on the side's own fds (@raw_ids, @ct_ids in group
 * order), lost 0.
 */
static int cmp_read(struct __test_metadata *_metadata, const char *what, uint64_t fmt,
		    const uint64_t *rb, ssize_t rn, const uint64_t *cb, ssize_t cn,
		    const uint64_t *raw_ids, const uint64_t *ct_ids, unsigned int self_idx)
{
	unsigned int i = 0, j, nr = 1;

	if (rn != cn) {
		TH_LOG("%s: read size raw %zd, ioctl %zd", what, rn, cn);
		return -1;
	}
	if (rn <= 0)
		return 0;
	if (fmt & FMT_GROUP) {
		nr = rb[0];
		if (rb[0] != cb[0]) {
			TH_LOG("%s: nr raw %llu, ioctl %llu", what,
			       (unsigned long long)rb[0], (unsigned long long)cb[0]);
			return -1;
		}
		if ((size_t)rn != layout_size(fmt, nr)) {
			TH_LOG("%s: size %zd for %u events", what, rn, nr);
			return -1;
		}
		i = 1;
	} else {
		/* value first */
		if (rb[0] != cb[0]) {
			TH_LOG("%s: value raw %llu, ioctl %llu", what,
			       (unsigned long long)rb[0], (unsigned long long)cb[0]);
			return -1;
		}
		i = 1;
	}
	for (j = 0; j < 2; j++) {
		if (!(fmt & (j ? FMT_TR : FMT_TE)))
			continue;
		if (!rb[i] != !cb[i]) {
			TH_LOG("%s: time %s raw %llu, ioctl %llu", what, j ? "running" : "enabled",
			       (unsigned long long)rb[i], (unsigned long long)cb[i]);
			return -1;
		}
		i++;
	}
	if (!(fmt & FMT_GROUP)) {
		if ((fmt & FMT_ID) && (rb[i] != raw_ids[self_idx] || cb[i] != ct_ids[self_idx])) {
			TH_LOG("%s: id raw %llu (IOC_ID %llu), ioctl %llu (IOC_ID %llu)", what,
			       (unsigned long long)rb[i], (unsigned long long)raw_ids[self_idx],
			       (unsigned long long)cb[i], (unsigned long long)ct_ids[self_idx]);
			return -1;
		}
		i += !!(fmt & FMT_ID);
		if ((fmt & FMT_LOST) && (rb[i] || cb[i])) {
			TH_LOG("%s: lost raw %llu, ioctl %llu", what,
			       (unsigned long long)rb[i], (unsigned long long)cb[i]);
			return -1;
		}
		return 0;
	}
	for (j = 0; j < nr; j++) {
		if (rb[i] != cb[i]) {
			TH_LOG("%s: event %u value raw %llu, ioctl %llu", what, j,
			       (unsigned long long)rb[i], (unsigned long long)cb[i]);
			return -1;
		}
		i++;
		if (fmt & FMT_ID) {
			if (rb[i] != raw_ids[j] || cb[i] != ct_ids[j]) {
				TH_LOG("%s: event %u id raw %llu (IOC_ID %llu), ioctl %llu (IOC_ID %llu)",
				       what, j, (unsigned long long)rb[i],
				       (unsigned long long)raw_ids[j], (unsigned long long)cb[i],
				       (unsigned long long)ct_ids[j]);
				return -1;
			}
			i++;
		}
		if (fmt & FMT_LOST) {
			if (rb[i] || cb[i]) {
				TH_LOG("%s: event %u lost raw %llu, ioctl %llu", what, j,
				       (unsigned long long)rb[i], (unsigned long long)cb[i]);
				return -1;
			}
			i++;
		}
	}
	return 0;
}

static int ids_of(FIXTURE_DATA(po) *self, const struct ev *e, unsigned int n,
		  uint64_t *raw_ids, uint64_t *ct_ids)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (ioctl(e[i].raw, PERF_EVENT_IOC_ID, &raw_ids[i]))
			return -errno;
		ct_ids[i] = 0;
		if (ct_ioctl_buf(&self->ag, e[i].ct, PERF_EVENT_IOC_ID, &ct_ids[i], 8))
			return -1;
	}
	return 0;
}

/*
 * Read fd @k of the @n events @e (in group order) both ways into rb/cb and
 * compare; @nr is the group size a PERF_FORMAT_GROUP read must show.
 */
static int read_both(struct __test_metadata *_metadata, FIXTURE_DATA(po) *self,
		     const char *what, const struct ev *e, unsigned int n, unsigned int k,
		     unsigned int nr, uint64_t fmt, uint64_t *rb, uint64_t *cb)
{
	uint64_t raw_ids[NSGPUPERF_MAX_GROUP_EVENTS], ct_ids[NSGPUPERF_MAX_GROUP_EVENTS];
	ssize_t rn, cn;

	if (ids_of(self, e, n, raw_ids, ct_ids)) {
		TH_LOG("%s: PERF_EVENT_IOC_ID failed", what);
		return -1;
	}
	memset(rb, 0xa5, BUF);
	memset(cb, 0x5a, BUF);
	rn = raw_read(e[k].raw, rb, BUF);
	cn = ct_read(&self->ag, e[k].ct, cb, BUF);
	if (rn != (ssize_t)layout_size(fmt, nr)) {
		TH_LOG("%s: raw read %zd, expected %zu", what, rn, layout_size(fmt, nr));
		return -1;
	}
	return cmp_read(_metadata, what, fmt, rb, rn, cb, cn, raw_ids, ct_ids, k);
}

/* Every TE/TR/ID/LOST combination, non-group and group, leader and sibling. */
TEST_F(po, read_formats_match_raw_perf)
{
	uint64_t rb[BUF / 8], cb[BUF / 8];
	unsigned int f, g, k, checked = 0;
	char what[96];

	for (g = 0; g < 2; g++) {
		for (f = 0; f < 16; f++) {
			uint64_t fmt = (f & 1 ? FMT_TE : 0) | (f & 2 ? FMT_TR : 0) |
				       (f & 4 ? FMT_ID : 0) | (f & 8 ? FMT_LOST : 0) |
				       (g ? FMT_GROUP : 0);
			struct perf_event_attr a;
			struct ev e[3];
			size_t sz;
			ssize_t rn, cn;

			attr_init(&a, self->type0, cfgs[0], fmt);
			ASSERT_EQ(0, ev_open(_metadata, self, &e[0], &a, NULL, 0));
			a.config = cfgs[1];
			ASSERT_EQ(0, ev_open(_metadata, self, &e[1], &a, &e[0], 0));
			a.config = cfgs[2];
			ASSERT_EQ(0, ev_open(_metadata, self, &e[2], &a, &e[0], 0));
			ASSERT_EQ(0, bump(f));
			for (k = 0; k < 3; k++) {
				snprintf(what, sizeof(what), "fmt %#llx, %s %u",
					 (unsigned long long)fmt, k ? "sibling" : "leader", k);
				ASSERT_EQ(0, read_both(_metadata, self, what, e, 3, k, 3, fmt,
						       rb, cb));
				if (!g)
					ASSERT_EQ((k + 1) * 1000 + f * 7 + 1, cb[0]);
				checked++;
			}
			/* a buffer one byte short: ENOSPC both ways; 0 bytes too */
			sz = layout_size(fmt, g ? 3 : 1);
			rn = raw_read(e[1].raw, rb, sz - 1);
			cn = ct_read(&self->ag, e[1].ct, cb, sz - 1);
			ASSERT_EQ(-ENOSPC, rn);
			ASSERT_EQ(rn, cn) TH_LOG("fmt %#llx short read", (unsigned long long)fmt);
			ASSERT_EQ(raw_read(e[0].raw, rb, 0), ct_read(&self->ag, e[0].ct, cb, 0));
			for (k = 3; k-- > 0;)
				ev_close(self, &e[k]);
		}
	}
	printf("# %u reads compared\n", checked);
	ASSERT_EQ(0, settle_live_events());
}

/* Siblings with read_formats of their own, and what a group read shows. */
TEST_F(po, sibling_read_formats_differ_from_the_leader)
{
	static const uint64_t fmts[] = {
		FMT_GROUP | FMT_ID,
		FMT_TE | FMT_TR,
		FMT_GROUP | FMT_TE | FMT_TR | FMT_ID | FMT_LOST,
		0,
	};
	uint64_t rb[BUF / 8], cb[BUF / 8];
	struct perf_event_attr a;
	struct ev e[4];
	unsigned int k;
	char what[64];

	for (k = 0; k < 4; k++) {
		attr_init(&a, self->type0, cfgs[k], fmts[k]);
		ASSERT_EQ(0, ev_open(_metadata, self, &e[k], &a, k ? &e[0] : NULL, 0));
	}
	ASSERT_EQ(0, bump(3));
	for (k = 0; k < 4; k++) {
		snprintf(what, sizeof(what), "event %u fmt %#llx", k,
			 (unsigned long long)fmts[k]);
		ASSERT_EQ(0, read_both(_metadata, self, what, e, 4, k, 4, fmts[k], rb, cb));
		if (k != 2)
			continue;
		/* a sibling's group read: the whole group, leader first */
		ASSERT_EQ(4, cb[0]);
		ASSERT_EQ(1000 + 3 * 7 + 1, cb[3]);
		ASSERT_EQ(4000 + 3 * 7 + 1, cb[3 + 3 * 3]);
	}
	for (k = 4; k-- > 0;)
		ev_close(self, &e[k]);
	ASSERT_EQ(0, settle_live_events());
}

/* A driven rate comes out as perf shows it: count / time enabled. */
TEST_F(po, rates_match_the_mock_and_raw_perf)
{
	uint64_t fmt = FMT_GROUP | FMT_TE | FMT_TR, r1[8], r2[8], c1[8], c2[8];
	double secs, raw_rate[2], ct_rate[2];
	static const uint64_t want[2] = { 1200, 400000000 };
	struct perf_event_attr a;
	struct ev e[2];
	unsigned int i;

	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "rate %llu %llu",
			      (unsigned long long)I915_PMU_ACTUAL_FREQUENCY,
			      (unsigned long long)want[0]));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "rate %llu %llu",
			      (unsigned long long)I915_PMU_RC6_RESIDENCY,
			      (unsigned long long)want[1]));
	attr_init(&a, self->type0, I915_PMU_ACTUAL_FREQUENCY, fmt);
	ASSERT_EQ(0, ev_open(_metadata, self, &e[0], &a, NULL, 0));
	a.config = I915_PMU_RC6_RESIDENCY;
	ASSERT_EQ(0, ev_open(_metadata, self, &e[1], &a, &e[0], 0));
	ASSERT_EQ(5 * 8, raw_read(e[0].raw, r1, sizeof(r1)));
	ASSERT_EQ(5 * 8, ct_read(&self->ag, e[0].ct, c1, sizeof(c1)));
	ASSERT_EQ(0, nsgp_sleep_ms(300));
	ASSERT_EQ(5 * 8, raw_read(e[0].raw, r2, sizeof(r2)));
	ASSERT_EQ(5 * 8, ct_read(&self->ag, e[0].ct, c2, sizeof(c2)));
	for (i = 0; i < 2; i++) {
		secs = (r2[1] - r1[1]) / 1e9;
		raw_rate[i] = (r2[3 + i] - r1[3 + i]) / secs;
		secs = (c2[1] - c1[1]) / 1e9;
		ct_rate[i] = (c2[3 + i] - c1[3 + i]) / secs;
		printf("# counter %u: driven %llu/s, raw perf %.1f/s, ioctl %.1f/s\n", i,
		       (unsigned long long)want[i], raw_rate[i], ct_rate[i]);
		EXPECT_GT(ct_rate[i], want[i] * 0.97);
		EXPECT_LT(ct_rate[i], want[i] * 1.03);
		EXPECT_GT(raw_rate[i], want[i] * 0.97);
		EXPECT_LT(raw_rate[i], want[i] * 1.03);
	}
	/* never multiplexed: running = enabled, as perf's */
	EXPECT_EQ(c2[1], c2[2]);
	ev_close(self, &e[1]);
	ev_close(self, &e[0]);
	mock_ctl(GPU0_PCI, "rate %llu 0", (unsigned long long)I915_PMU_ACTUAL_FREQUENCY);
	mock_ctl(GPU0_PCI, "rate %llu 0", (unsigned long long)I915_PMU_RC6_RESIDENCY);
	ASSERT_EQ(0, settle_live_events());
}

/* ---- 3. perf ioctls on the fds ----------------------------------------- */

struct times {
	uint64_t value, te, tr;
};

/* value, enabled and running of fd k, both ways (format TE|TR, no group) */
static int times_both(FIXTURE_DATA(po) *self, const struct ev *e, struct times *raw,
		      struct times *ct)
{
	if (raw_read(e->raw, raw, sizeof(*raw)) != sizeof(*raw))
		return -1;
	if (ct_read(&self->ag, e->ct, ct, sizeof(*ct)) != sizeof(*ct))
		return -1;
	return 0;
}

#define NR_IEV	3

struct ioc_step {
	int target;		/* event index */
	unsigned long cmd, arg;
	const char *what;
};

/*
 * The leader (opened disabled or not) and two siblings, the second opened
 * disabled, each read as TE|TR; the same steps on both sides, then a bump;
 * after each step every count must be the same, and each fd's enabled and
 * running times must run, or stand still, on both sides alike.
 */
static void ioctl_sequence(struct __test_metadata *_metadata, FIXTURE_DATA(po) *self,
			   bool leader_disabled)
{
	static const struct ioc_step steps[] = {
		{ -1, 0, 0, "as opened" },
		{ 0, PERF_EVENT_IOC_ENABLE, 0, "enable leader" },
		{ 2, PERF_EVENT_IOC_ENABLE, 0, "enable sibling 2" },
		{ 1, PERF_EVENT_IOC_RESET, 0, "reset sibling 1" },
		{ 1, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP, "disable group from sibling 1" },
		{ 1, PERF_EVENT_IOC_ENABLE, 0, "enable sibling 1 (leader off)" },
		{ 0, PERF_EVENT_IOC_ENABLE, 0, "enable leader" },
		{ 0, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP, "reset group from leader" },
		{ 2, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP, "enable group from sibling 2" },
		{ 0, PERF_EVENT_IOC_DISABLE, 0, "disable leader" },
		{ 2, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP, "reset group from sibling 2" },
		{ 0, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP, "enable group from leader" },
		{ 2, PERF_EVENT_IOC_DISABLE, 0, "disable sibling 2" },
		{ 1, PERF_EVENT_IOC_RESET, 0, "reset sibling 1" },
		{ 0, PERF_EVENT_IOC_RESET, 0, "reset leader" },
		{ 0, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP, "disable group from leader" },
		{ 0, PERF_EVENT_IOC_ENABLE, 0, "enable leader alone: siblings stay off" },
		{ 2, PERF_EVENT_IOC_ENABLE, 0, "enable sibling 2" },
	};
	uint64_t fmt = FMT_TE | FMT_TR;
	struct times r1[NR_IEV], c1[NR_IEV], r2[NR_IEV], c2[NR_IEV];
	struct perf_event_attr a;
	struct ev e[NR_IEV];
	unsigned int s, k;
	int fails = 0, rr, cr;

	attr_init(&a, self->type0, cfgs[0], fmt);
	a.disabled = leader_disabled;
	ASSERT_EQ(0, ev_open(_metadata, self, &e[0], &a, NULL, 0));
	a.disabled = 0;
	a.config = cfgs[1];
	ASSERT_EQ(0, ev_open(_metadata, self, &e[1], &a, &e[0], 0));
	a.disabled = 1;
	a.config = cfgs[2];
	ASSERT_EQ(0, ev_open(_metadata, self, &e[2], &a, &e[0], 0));

	for (s = 0; s < ARRAY_SIZE(steps); s++) {
		const struct ioc_step *st = &steps[s];

		if (st->target >= 0) {
			rr = raw_ioctl(e[st->target].raw, st->cmd, st->arg);
			cr = ct_ioctl_val(&self->ag, e[st->target].ct, st->cmd, st->arg);
			ASSERT_EQ(0, rr) TH_LOG("step %u %s raw", s, st->what);
			ASSERT_EQ(0, cr) TH_LOG("step %u %s ioctl: %s", s, st->what, ename(cr));
		}
		ASSERT_EQ(0, bump(s));
		for (k = 0; k < NR_IEV; k++)
			ASSERT_EQ(0, times_both(self, &e[k], &r1[k], &c1[k]));
		usleep(3000);
		for (k = 0; k < NR_IEV; k++) {
			bool rte, rtr, cte, ctr;

			ASSERT_EQ(0, times_both(self, &e[k], &r2[k], &c2[k]));
			rte = r2[k].te > r1[k].te;
			rtr = r2[k].tr > r1[k].tr;
			cte = c2[k].te > c1[k].te;
			ctr = c2[k].tr > c1[k].tr;
			if (r1[k].value != c1[k].value || rte != cte || rtr != ctr) {
				TH_LOG("leader %s, step %u (%s), event %u: count raw %llu ioctl %llu; enabled runs raw %d ioctl %d; running runs raw %d ioctl %d",
				       leader_disabled ? "disabled" : "enabled", s, st->what, k,
				       (unsigned long long)r1[k].value,
				       (unsigned long long)c1[k].value, rte, cte, rtr, ctr);
				fails++;
			}
		}
	}
	ASSERT_EQ(0, fails);
	for (k = NR_IEV; k-- > 0;)
		ev_close(self, &e[k]);
	ASSERT_EQ(0, settle_live_events());
}

TEST_F(po, ioctls_change_what_perf_changes)
{
	ioctl_sequence(_metadata, self, false);
}

TEST_F(po, ioctls_change_what_perf_changes_leader_disabled)
{
	ioctl_sequence(_metadata, self, true);
}

/*
 * A sibling of a disabled leader counts nothing, and perf stops its times
 * too: __perf_effective_state() is the leader's state while the leader is
 * off, so neither enabled nor running time runs until the leader is on.
 */
TEST_F(po, sibling_of_a_disabled_leader)
{
	struct times r1, c1, r2, c2;
	struct perf_event_attr a;
	struct ev e[2];
	unsigned int i;

	attr_init(&a, self->type0, cfgs[0], FMT_TE | FMT_TR);
	a.disabled = 1;
	ASSERT_EQ(0, ev_open(_metadata, self, &e[0], &a, NULL, 0));
	a.disabled = 0;
	a.config = cfgs[1];
	ASSERT_EQ(0, ev_open(_metadata, self, &e[1], &a, &e[0], 0));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, times_both(self, &e[1], &r1, &c1));
		ASSERT_EQ(0, bump(1));
		usleep(5000);
		ASSERT_EQ(0, times_both(self, &e[1], &r2, &c2));
		printf("# leader %s: sibling enabled +%llu/+%llu ns, running +%llu/+%llu ns, count +%llu/+%llu (raw/ioctl)\n",
		       i ? "on" : "off",
		       (unsigned long long)(r2.te - r1.te), (unsigned long long)(c2.te - c1.te),
		       (unsigned long long)(r2.tr - r1.tr), (unsigned long long)(c2.tr - c1.tr),
		       (unsigned long long)(r2.value - r1.value),
		       (unsigned long long)(c2.value - c1.value));
		ASSERT_EQ(r2.value - r1.value, c2.value - c1.value);
		ASSERT_EQ(r2.te > r1.te, c2.te > c1.te);
		ASSERT_EQ(r2.tr > r1.tr, c2.tr > c1.tr);
		ASSERT_EQ(!!i, r2.tr > r1.tr);
		ASSERT_EQ(0, raw_ioctl(e[0].raw, PERF_EVENT_IOC_ENABLE, 0));
		ASSERT_EQ(0, ct_ioctl_val(&self->ag, e[0].ct, PERF_EVENT_IOC_ENABLE, 0));
	}
	ev_close(self, &e[1]);
	ev_close(self, &e[0]);
}

/* the argument: a value, &u64, &"x", &attr, or an fd of /dev/null, of the event, of another */
enum { K_VAL, K_U64, K_STR, K_ATTR, K_DEVNULL, K_SELF, K_OTHER };

struct other_ioc {
	const char *what;
	unsigned long cmd;
	int argk;
	unsigned long arg;
	int doc;	/* documented answer where not perf's */
};

static const struct other_ioc other_iocs[] = {
	{ "REFRESH 1", PERF_EVENT_IOC_REFRESH, K_VAL, 1, 0 },
	{ "PERIOD &1000", PERF_EVENT_IOC_PERIOD, K_U64, 1000, 0 },
	{ "SET_FILTER \"x\"", PERF_EVENT_IOC_SET_FILTER, K_STR, 0, 0 },
	{ "SET_BPF /dev/null", PERF_EVENT_IOC_SET_BPF, K_DEVNULL, 0, 0 },
	{ "PAUSE_OUTPUT 1", PERF_EVENT_IOC_PAUSE_OUTPUT, K_VAL, 1, 0 },
	{ "QUERY_BPF &query", PERF_EVENT_IOC_QUERY_BPF, K_U64, 0, 0 },
	{ "MODIFY_ATTRIBUTES &attr", PERF_EVENT_IOC_MODIFY_ATTRIBUTES, K_ATTR, 0, 0 },
	{ "ID NULL", PERF_EVENT_IOC_ID, K_VAL, 0, 0 },
	/* perf's compat ioctl (i386) takes -1 for fd 0xffffffff: EBADF */
	{ "SET_OUTPUT -1", PERF_EVENT_IOC_SET_OUTPUT, K_VAL, -1UL, 0 },
	{ "SET_OUTPUT /dev/null", PERF_EVENT_IOC_SET_OUTPUT, K_DEVNULL, 0, 0 },
	/* perf: EINVAL (no ring buffer to redirect to; itself) */
	{ "SET_OUTPUT another event", PERF_EVENT_IOC_SET_OUTPUT, K_OTHER, 0, 0 },
	{ "SET_OUTPUT itself", PERF_EVENT_IOC_SET_OUTPUT, K_SELF, 0, 0 },
	{ "unknown '$' 0x7f", _IO('$', 0x7f), K_VAL, 0, 0 },
	{ "unknown 'x' 1", _IO('x', 1), K_VAL, 0, 0 },
	{ "ENABLE 0", PERF_EVENT_IOC_ENABLE, K_VAL, 0, 0 },
	/* perf ignores the other bits */
	{ "ENABLE 2 (unknown flag)", PERF_EVENT_IOC_ENABLE, K_VAL, 2, 0 },
	{ "RESET 1 << 31", PERF_EVENT_IOC_RESET, K_VAL, 1UL << 31, 0 },
};

/* The other perf ioctls: perf's errno both ways, on a leader and a sibling. */
TEST_F(po, other_perf_ioctls_answer_as_perf)
{
	uint64_t buf[BUF / 8];
	struct perf_event_attr a;
	struct ev e[3];
	unsigned int i, k;
	int fails = 0, null_raw, null_ct;

	attr_init(&a, self->type0, cfgs[0], 0);
	ASSERT_EQ(0, ev_open(_metadata, self, &e[0], &a, NULL, 0));
	a.config = cfgs[1];
	ASSERT_EQ(0, ev_open(_metadata, self, &e[1], &a, &e[0], 0));
	a.config = cfgs[2];
	ASSERT_EQ(0, ev_open(_metadata, self, &e[2], &a, NULL, 0));
	null_raw = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, null_raw);
	null_ct = ct_give(&self->ag, null_raw);
	ASSERT_LE(0, null_ct);

	for (k = 0; k < 2; k++) {
		for (i = 0; i < ARRAY_SIZE(other_iocs); i++) {
			const struct other_ioc *o = &other_iocs[i];
			int raw, ct, want;

			memset(buf, 0, sizeof(buf));
			switch (o->argk) {
			case K_VAL:
				raw = raw_ioctl(e[k].raw, o->cmd, o->arg);
				ct = ct_ioctl_val(&self->ag, e[k].ct, o->cmd, o->arg);
				break;
			case K_DEVNULL:
			case K_SELF:
			case K_OTHER:
				raw = raw_ioctl(e[k].raw, o->cmd,
						o->argk == K_DEVNULL ? null_raw :
						o->argk == K_SELF ? e[k].raw : e[2].raw);
				ct = ct_ioctl_val(&self->ag, e[k].ct, o->cmd,
						  o->argk == K_DEVNULL ? null_ct :
						  o->argk == K_SELF ? e[k].ct : e[2].ct);
				break;
			default:
				if (o->argk == K_U64)
					buf[0] = o->arg;
				else if (o->argk == K_STR)
					strcpy((char *)buf, "x");
				else
					attr_init((struct perf_event_attr *)buf, self->type0,
						  cfgs[k], 0);
				raw = raw_ioctl(e[k].raw, o->cmd, (unsigned long)buf);
				ct = ct_ioctl_buf(&self->ag, e[k].ct, o->cmd, buf, BUF);
				break;
			}
			want = o->doc ? (o->doc == WANT_OK ? 0 : -o->doc) : raw;
			printf("# %-8s %-26s raw %-10s ioctl %-10s%s\n", k ? "sibling" : "leader",
			       o->what, ename(raw), ename(ct), o->doc ? " (documented)" : "");
			if (ct != want) {
				TH_LOG("%s on the %s: ioctl %s, expected %s", o->what,
				       k ? "sibling" : "leader", ename(ct), ename(want));
				fails++;
			}
		}
	}
	/* mmap(): documented ENODEV (no ring buffer) */
	q_reset(OP_MMAP);
	Q.fd = e[0].ct;
	EXPECT_EQ(-ENODEV, agent_call(&self->ag, -1));
	close(null_raw);
	ct_close(&self->ag, null_ct);
	for (k = 3; k-- > 0;)
		ev_close(self, &e[k]);
	ASSERT_EQ(0, fails);
	ASSERT_EQ(0, settle_live_events());
}

/* IDs: distinct, stable, as PERF_FORMAT_ID shows them. */
TEST_F(po, ids_are_distinct_and_match_reads)
{
	uint64_t raw_ids[3], ct_ids[3], again[3], rb[BUF / 8], cb[BUF / 8];
	struct perf_event_attr a;
	struct ev e[3];
	unsigned int k;

	attr_init(&a, self->type0, cfgs[0], FMT_GROUP | FMT_ID);
	for (k = 0; k < 3; k++) {
		a.config = cfgs[k];
		ASSERT_EQ(0, ev_open(_metadata, self, &e[k], &a, k ? &e[0] : NULL, 0));
	}
	ASSERT_EQ(0, ids_of(self, e, 3, raw_ids, ct_ids));
	ASSERT_EQ(0, ids_of(self, e, 3, again, again));
	for (k = 0; k < 3; k++) {
		ASSERT_NE(0, ct_ids[k]);
		ASSERT_EQ(ct_ids[k], again[k]);
		ASSERT_NE(ct_ids[k], ct_ids[(k + 1) % 3]);
	}
	ASSERT_EQ(0, read_both(_metadata, self, "ids", e, 3, 2, 3, FMT_GROUP | FMT_ID, rb, cb));
	for (k = 3; k-- > 0;)
		ev_close(self, &e[k]);
}

/* Closing a sibling drops it from group reads; closing the leader frees them. */
TEST_F(po, closing_sibling_and_leader_as_perf)
{
	uint64_t fmt = FMT_GROUP | FMT_TE | FMT_TR | FMT_ID;
	uint64_t rb[BUF / 8], cb[BUF / 8];
	struct perf_event_attr a;
	struct ev e[4], rest[2];
	unsigned int k;
	int raw, ct;

	attr_init(&a, self->type0, cfgs[0], fmt);
	for (k = 0; k < 4; k++) {
		a.config = cfgs[k];
		ASSERT_EQ(0, ev_open(_metadata, self, &e[k], &a, k ? &e[0] : NULL, 0));
	}
	ASSERT_EQ(0, bump(1));
	ASSERT_EQ(0, read_both(_metadata, self, "4 events", e, 4, 0, 4, fmt, rb, cb));

	/* close sibling 1: the group reads 3, in the same order */
	ev_close(self, &e[1]);
	e[1] = e[2];
	e[2] = e[3];
	ASSERT_EQ(0, bump(2));
	ASSERT_EQ(0, read_both(_metadata, self, "sibling 1 closed, from the leader", e, 3, 0,
			       3, fmt, rb, cb));
	ASSERT_EQ(3, cb[0]);
	ASSERT_EQ(0, read_both(_metadata, self, "sibling 1 closed, from a sibling", e, 3, 2,
			       3, fmt, rb, cb));

	/* close the leader: each sibling is a group of its own, still counting */
	ev_close(self, &e[0]);
	rest[0] = e[1];
	rest[1] = e[2];
	ASSERT_EQ(0, bump(3));
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(0, read_both(_metadata, self, "leader closed", &rest[k], 1, 0, 1, fmt,
				       rb, cb));
		ASSERT_EQ(1, cb[0]);
	}
	/* its counts went on: bump(3) is in them */
	ASSERT_EQ(3 * (4000 + 1) + 7 * (1 + 2 + 3), cb[3]);
	/* and they take ioctls as leaders */
	ASSERT_EQ(0, raw_ioctl(rest[0].raw, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP));
	ASSERT_EQ(0, ct_ioctl_val(&self->ag, rest[0].ct, PERF_EVENT_IOC_RESET,
				  PERF_IOC_FLAG_GROUP));
	ASSERT_EQ(0, read_both(_metadata, self, "orphan reset", &rest[0], 1, 0, 1, fmt, rb, cb));
	ASSERT_EQ(0, cb[3]);
	/* a former sibling is a leader now: what perf says of a sibling for it */
	attr_init(&a, self->type0, cfgs[4], fmt);
	raw = raw_open(&a, -1, self->cpu, rest[0].raw, 0);
	ct = ct_open(&self->ag, &a, -1, self->cpu, rest[0].ct, 0);
	printf("# sibling of a former sibling: raw %s ioctl %s (documented EINVAL)\n",
	       ename(raw), ename(ct));
	if (raw >= 0)
		close(raw);
	if (ct >= 0)
		ct_close(&self->ag, ct);
	/* documented: a former sibling cannot lead new events */
	ASSERT_EQ(-EINVAL, ct);
	for (k = 0; k < 2; k++)
		ev_close(self, &rest[k]);
	ASSERT_EQ(0, settle_live_events());
}

/* ---- 4. lifetime and limits -------------------------------------------- */

TEST_F_TIMEOUT(po, open_close_cycles_leak_nothing, 600)
{
	struct perf_event_attr *l = (struct perf_event_attr *)Q.data;
	struct perf_event_attr *s = (struct perf_event_attr *)Q.data2;
	struct timespec t0, t1;
	int before, after, ret;
	double secs;

	q_reset(OP_NFDS);
	before = (int)agent_call(&self->ag, -1);
	ASSERT_LT(0, before);
	q_reset(OP_CYCLES);
	attr_init(l, self->type0, CFG_RCS0_BUSY, FMT_GROUP | FMT_TE | FMT_ID);
	attr_init(s, self->type0, I915_PMU_INTERRUPTS, FMT_GROUP | FMT_TE | FMT_ID);
	Q.cpu = self->cpu;
	Q.count = CYCLES;
	Q.flags = PERF_FLAG_FD_CLOEXEC;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = (int)agent_call(&self->ag, -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# %d cycles of leader + sibling open/close in %.1f s (%.0f us a cycle)\n",
	       R.count, secs, secs * 1e6 / (R.count ? R.count : 1));
	ASSERT_EQ(0, ret) TH_LOG("cycle %d: %s", R.count, ename(ret));
	ASSERT_LE(CYCLES_MIN, R.count);
	q_reset(OP_NFDS);
	after = (int)agent_call(&self->ag, -1);
	ASSERT_EQ(before, after);
	ASSERT_EQ(0, settle_live_events());
}

TEST_F(po, leaders_count_against_the_group_limit_siblings_do_not)
{
	char old[32] = "64";
	struct perf_event_attr a;
	int l[4], s[6], extra, i, fd, n;
	long long v = read_ll(PARAM("max_groups_per_container"));

	if (v > 0)
		snprintf(old, sizeof(old), "%lld", v);
	ASSERT_EQ(0, write_str(PARAM("max_groups_per_container"), "3"));
	attr_init(&a, self->type0, CFG_RCS0_BUSY, FMT_GROUP);
	for (i = 0; i < 3; i++) {
		l[i] = ct_open(&self->ag, &a, -1, self->cpu, -1, 0);
		EXPECT_LE(0, l[i]) TH_LOG("leader %d: %s", i, ename(l[i]));
	}
	l[3] = ct_open(&self->ag, &a, -1, self->cpu, -1, 0);
	EXPECT_EQ(-EMFILE, l[3]) TH_LOG("leader past the limit: %s", ename(l[3]));
	/* siblings are not groups */
	for (i = 0; i < 6; i++) {
		a.config = cfgs[i % ARRAY_SIZE(cfgs)];
		s[i] = ct_open(&self->ag, &a, -1, self->cpu, l[i % 3], 0);
		EXPECT_LE(0, s[i]) TH_LOG("sibling %d: %s", i, ename(s[i]));
	}
	/* NO_GROUP makes a leader: refused too */
	extra = ct_open(&self->ag, &a, -1, self->cpu, l[0], PERF_FLAG_FD_NO_GROUP);
	EXPECT_EQ(-EMFILE, extra);
	/* a closed leader (with its siblings) gives its place back */
	ct_close(&self->ag, s[1]);
	ct_close(&self->ag, s[4]);
	ct_close(&self->ag, l[1]);
	extra = ct_open(&self->ag, &a, -1, self->cpu, -1, 0);
	EXPECT_LE(0, extra) TH_LOG("leader after a close: %s", ename(extra));
	/* the group limit says nothing of host root's raw perf */
	fd = perf_open(self->type0, CFG_RCS0_BUSY, self->cpu, -1, 0);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	/* leader closed under its siblings: they stay readable */
	ct_close(&self->ag, l[0]);
	n = 0;
	for (i = 0; i < 6; i += 3) {
		uint64_t b[8];

		if (ct_read(&self->ag, s[i], b, sizeof(b)) > 0)
			n++;
	}
	EXPECT_EQ(2, n);
	write_str(PARAM("max_groups_per_container"), old);
	agent_stop(&self->ag);
	ASSERT_EQ(0, settle_live_events());
}

TEST_F(po, cloexec_as_perf)
{
	struct perf_event_attr a;
	unsigned int i;

	attr_init(&a, self->type0, CFG_RCS0_BUSY, 0);
	for (i = 0; i < 2; i++) {
		unsigned long flags = i ? PERF_FLAG_FD_CLOEXEC : 0;
		struct ev l, s;
		int rf, cf;

		ASSERT_EQ(0, ev_open(_metadata, self, &l, &a, NULL, flags));
		ASSERT_EQ(0, ev_open(_metadata, self, &s, &a, &l, flags));
		rf = fcntl(l.raw, F_GETFD);
		cf = ct_simple(&self->ag, OP_GETFD, l.ct);
		ASSERT_EQ(i ? FD_CLOEXEC : 0, rf & FD_CLOEXEC);
		ASSERT_EQ(rf & FD_CLOEXEC, cf & FD_CLOEXEC) TH_LOG("leader, flags %lu", flags);
		rf = fcntl(s.raw, F_GETFD);
		cf = ct_simple(&self->ag, OP_GETFD, s.ct);
		ASSERT_EQ(rf & FD_CLOEXEC, cf & FD_CLOEXEC) TH_LOG("sibling, flags %lu", flags);
		ev_close(self, &s);
		ev_close(self, &l);
	}
}

/* The most events a group takes: documented NSGPUPERF_MAX_GROUP_EVENTS. */
TEST_F(po, group_size_limit)
{
	struct perf_event_attr a;
	int fds[NSGPUPERF_MAX_GROUP_EVENTS + 1], i, extra;
	uint64_t b[BUF / 8];

	attr_init(&a, self->type0, cfgs[0], FMT_GROUP | FMT_ID);
	for (i = 0; i < NSGPUPERF_MAX_GROUP_EVENTS; i++) {
		a.config = cfgs[i % ARRAY_SIZE(cfgs)];
		fds[i] = ct_open(&self->ag, &a, -1, self->cpu, i ? fds[0] : -1, 0);
		ASSERT_LE(0, fds[i]) TH_LOG("event %d: %s", i, ename(fds[i]));
	}
	extra = ct_open(&self->ag, &a, -1, self->cpu, fds[0], 0);
	EXPECT_EQ(-E2BIG, extra);
	EXPECT_EQ((ssize_t)layout_size(FMT_GROUP | FMT_ID, NSGPUPERF_MAX_GROUP_EVENTS),
		  ct_read(&self->ag, fds[5], b, BUF));
	EXPECT_EQ(NSGPUPERF_MAX_GROUP_EVENTS, b[0]);
	agent_stop(&self->ag);
	ASSERT_EQ(0, settle_live_events());
}

TEST_F(po, unbind_makes_reads_enodev)
{
	struct perf_event_attr a;
	int l, s, raw, ct, ret;
	uint64_t b[8];

	attr_init(&a, self->type1, CFG_RCS0_BUSY, FMT_TE);
	l = ct_open(&self->ag, &a, -1, self->cpu, -1, 0);
	ASSERT_LE(0, l);
	a.config = CFG_VCS0_BUSY;
	s = ct_open(&self->ag, &a, -1, self->cpu, l, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(2 * 8, ct_read(&self->ag, s, b, sizeof(b)));
	ASSERT_EQ(0, pci_unbind(GPU1_PCI));
	EXPECT_EQ(-ENODEV, ct_read(&self->ag, l, b, sizeof(b)));
	EXPECT_EQ(-ENODEV, ct_read(&self->ag, s, b, sizeof(b)));
	ret = ct_ioctl_val(&self->ag, l, PERF_EVENT_IOC_ENABLE, 0);
	printf("# ENABLE after unbind: %s\n", ename(ret));
	/* a new open on the type that went: what perf says */
	raw = raw_open(&a, -1, self->cpu, -1, 0);
	ct = ct_open(&self->ag, &a, -1, self->cpu, -1, 0);
	printf("# open on the unbound PMU's type: raw %s ioctl %s\n", ename(raw), ename(ct));
	EXPECT_EQ(raw < 0 ? raw : 0, ct < 0 ? ct : 0);
	if (raw >= 0)
		close(raw);
	EXPECT_EQ(0, mock_live_events_all());
	ct_close(&self->ag, s);
	ct_close(&self->ag, l);
	ASSERT_EQ(0, pci_bind(GPU1_PCI));
}

TEST_HARNESS_MAIN
