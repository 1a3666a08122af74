// SPDX-License-Identifier: GPL-2.0
/*
 * libnsgpuperf-preload.so, the LD_PRELOAD shim that turns perf_event_open()
 * of a GPU PMU into NSGPUPERF_IOC_PERF_OPEN, run as container root (user
 * namespace 0 -> 100000, no host capability, the node owned by 100000).
 *
 * The program is tests/perf-probe (dynamically linked: the shim needs the
 * dynamic loader; built for glibc and, as perf-probe-musl, for musl), which
 * calls syscall(__NR_perf_event_open, ...) as tools do and prints what it
 * got (see tools/perf_probe.c).  Each case runs it with and without the
 * shim; the oracle for GPU events is host root on the raw PMU without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "kselftest_harness.h"
#include "nsgp_test.h"

#define NODE		"/tmp/nsgpuperf-shim-node"
#define HOST_NODE	"/tmp/nsgpuperf-shim-host-node"
#define CT_ROOT		100000
#define CT_MAP		"0 100000 65536"
#define PROBE		"/tests/perf-probe"
#define SHIM		"/tests/libnsgpuperf-preload.so"
#define PROBE_MUSL	"/tests/perf-probe-musl"
#define SHIM_MUSL	"/tests/libnsgpuperf-preload-musl.so"
#define OUT_MAX		16384
#define SENTINEL	9999	/* perf-probe's errno before each call */
#define CYCLES		10000
/* ... or as many as fit in CYCLES_SECS, at least CYCLES_MIN (PREEMPT_RT
 * and the debug kernel are several times slower under TCG) */
#define CYCLES_SECS	60
#define CYCLES_MIN	250
#define CYCLE_THREADS	4

static const struct as_user ct_root = { -1, -1, CT_MAP, -1, false, NULL };
static const struct as_user host_root = { -1, -1, NULL, -1, false, NULL };

/* Who runs the probe, which build, with which shim and device. */
struct how {
	const struct as_user *who;
	const char *exe;
	const char *preload;	/* NULL: no shim */
	const char *device;	/* $NSGPUPERF_DEVICE, NULL: unset */
};

static const struct how ct_shim = { &ct_root, PROBE, SHIM, NODE };
static const struct how ct_plain = { &ct_root, PROBE, NULL, NODE };
static const struct how host_plain = { &host_root, PROBE, NULL, NULL };
static const struct how host_shim = { &host_root, PROBE, SHIM, NODE };
static const struct how ct_shim_musl = { &ct_root, PROBE_MUSL, SHIM_MUSL, NODE };
static const struct how ct_plain_musl = { &ct_root, PROBE_MUSL, NULL, NODE };

struct probe {
	pid_t pid;
	int in, out;
	char buf[OUT_MAX];
	size_t len;
};

struct spawn {
	const struct how *how;
	char *argv[32];
	int in, out;
};

/* In the (container) child: stdin/stdout from the pipes, then exec. */
static int exec_probe(void *arg)
{
	struct spawn *sp = arg;
	char pre[160], dev[160], *envp[4];
	int n = 0;

	envp[n++] = "PATH=/bin:/sbin";
	if (sp->how->preload) {
		snprintf(pre, sizeof(pre), "LD_PRELOAD=%s", sp->how->preload);
		envp[n++] = pre;
	}
	if (sp->how->device) {
		snprintf(dev, sizeof(dev), "NSGPUPERF_DEVICE=%s", sp->how->device);
		envp[n++] = dev;
	}
	envp[n] = NULL;
	if (dup2(sp->in, 0) < 0 || dup2(sp->out, 1) < 0 || dup2(sp->out, 2) < 0)
		return 125;
	execve(sp->how->exe, sp->argv, envp);
	return 126;
}

/* Start the probe with arguments split from a printf format at spaces. */
static int probe_start(struct probe *p, const struct how *how, const char *fmt, ...)
{
	static char args[512];
	struct spawn sp = { .how = how };
	int in[2], out[2], n = 0;
	char *tok, *save;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	sp.argv[n++] = (char *)how->exe;
	for (tok = strtok_r(args, " ", &save); tok && n < 31; tok = strtok_r(NULL, " ", &save))
		sp.argv[n++] = tok;
	sp.argv[n] = NULL;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -1;
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (!p->pid) {
		close(in[1]);
		close(out[0]);
		sp.in = in[0];
		sp.out = out[1];
		_exit(run_as(how->who, exec_probe, &sp));
	}
	close(in[0]);
	close(out[1]);
	p->in = in[1];
	p->out = out[0];
	p->len = 0;
	p->buf[0] = '\0';
	return 0;
}

/* Read output until it contains @what (0) or ends (-1); ms between reads. */
static int probe_wait_ms(struct probe *p, const char *what, int ms)
{
	struct pollfd pfd = { .fd = p->out, .events = POLLIN };
	ssize_t n;

	while (!what || !strstr(p->buf, what)) {
		if (poll(&pfd, 1, ms) <= 0)
			return -1;
		n = read(p->out, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
		if (n <= 0)
			return -1;
		p->len += n;
		p->buf[p->len] = '\0';
	}
	return 0;
}

static int probe_wait(struct probe *p, const char *what)
{
	return probe_wait_ms(p, what, 60000);
}

/* Let it go on (a line on its stdin), read the rest; its exit status. */
static int probe_end(struct probe *p)
{
	ssize_t n = write(p->in, "\n", 1);	/* EPIPE if it is gone */
	int st;

	(void)n;
	close(p->in);
	probe_wait(p, NULL);
	close(p->out);
	if (waitpid(p->pid, &st, 0) != p->pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* One run to the end: its output in p->buf; its exit status. */
static int probe_run(struct probe *p, const struct how *how, const char *fmt, ...)
{
	char args[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (probe_start(p, how, "%s", args))
		return -1;
	return probe_end(p);
}

/* The line that starts with "tag ", copied without its newline. */
static const char *line_of(const struct probe *p, const char *tag, char *line, size_t len)
{
	const char *s = p->buf, *nl;
	size_t tl = strlen(tag);

	while (s && *s) {
		if (!strncmp(s, tag, tl) && s[tl] == ' ') {
			nl = strchr(s, '\n');
			snprintf(line, len, "%.*s", nl ? (int)(nl - s) : (int)strlen(s), s);
			return line;
		}
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	snprintf(line, len, "(no %s line)", tag);
	return line;
}

/* key=<number> in the first "tag" line; LLONG_MIN if absent. */
static long long val(const struct probe *p, const char *tag, const char *key)
{
	char line[512], pat[64], *s;

	line_of(p, tag, line, sizeof(line));
	snprintf(pat, sizeof(pat), " %s=", key);
	s = strstr(line, pat);
	if (!s)
		return LLONG_MIN;
	return strtoll(s + strlen(pat), NULL, 0);
}

/* The i-th u64 that "read" printed (v=a,b,c); -1 if absent. */
static long long read_value(const struct probe *p, int i)
{
	char line[512], *s;

	line_of(p, "read", line, sizeof(line));
	s = strstr(line, " v=");
	if (!s)
		return -1;
	s += 3;
	while (i-- > 0) {
		s = strchr(s, ',');
		if (!s)
			return -1;
		s++;
	}
	return strtoll(s, NULL, 10);
}

#define PARANOID	"/proc/sys/kernel/perf_event_paranoid"

FIXTURE(shim) {
	int type0, type1, type_other, cpu;
	long long paranoid;
};

FIXTURE_SETUP(shim)
{
	static const unsigned long long cfgs[] = {
		CFG_RCS0_BUSY, CFG_BCS0_BUSY, CFG_VCS0_BUSY,
	};
	unsigned int i;

	signal(SIGPIPE, SIG_IGN);	/* a probe may exit before its stdin ends */
	self->paranoid = read_ll(PARANOID);
	ASSERT_GE(self->paranoid, -1);
	ASSERT_EQ(0, nsgp_mknod(NODE, CT_ROOT, CT_ROOT, 0600));
	self->type0 = perf_pmu_type("i915");
	self->type1 = perf_pmu_type("i915_0000_00_05.0");
	self->type_other = perf_pmu_type("i915_0000_00_06.0");
	self->cpu = perf_pmu_cpu("i915");
	ASSERT_GE(self->type0, PERF_TYPE_MAX);
	ASSERT_GE(self->type1, PERF_TYPE_MAX);
	ASSERT_GE(self->type_other, PERF_TYPE_MAX);
	/* counters move only when a test drives them */
	for (i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		ASSERT_EQ(0, mock_ctl(GPU0_PCI, "rate %llu 0", cfgs[i]));
		ASSERT_EQ(0, mock_ctl(GPU1_PCI, "rate %llu 0", cfgs[i]));
	}
}

FIXTURE_TEARDOWN(shim)
{
	char v[16];

	snprintf(v, sizeof(v), "%lld", self->paranoid);
	write_str(PARANOID, v);
	unlink(NODE);
	unlink(HOST_NODE);
}

/* The kernel side: ABI 3 and NSGPUPERF_IOC_PERF_OPEN answering. */
TEST_F(shim, kernel_serves_perf_open)
{
	struct nsgpuperf_version ver = { .size = sizeof(ver) };
	struct perf_event_attr attr = {
		.type = self->type0, .size = sizeof(attr), .config = CFG_RCS0_BUSY,
	};
	struct nsgpuperf_perf_open po = {
		.size = sizeof(po), .attr = (uintptr_t)&attr, .pid = -1,
		.cpu = self->cpu, .group_fd = -1,
	};
	int fd = nsgp_open(NULL), efd;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ioctl(fd, NSGPUPERF_IOC_VERSION, &ver));
	ASSERT_GE(ver.abi_version, 3);
	efd = ioctl(fd, NSGPUPERF_IOC_PERF_OPEN, &po);
	if (efd < 0)
		TH_LOG("NSGPUPERF_IOC_PERF_OPEN: %s (the kernel side is missing?)",
		       strerror(errno));
	ASSERT_GE(efd, 0);
	EXPECT_EQ(efd, po.fd);
	close(efd);
	close(fd);
}

/* Without the shim, container root gets perf's answer: EACCES. */
TEST_F(shim, baseline_without_shim_is_denied)
{
	struct probe p;

	ASSERT_EQ(0, probe_run(&p, &ct_plain, "-t %d -c %llu -C %d", self->type0,
			       (unsigned long long)CFG_RCS0_BUSY, self->cpu));
	EXPECT_EQ(-1, val(&p, "open", "ret")) TH_LOG("%s", p.buf);
	EXPECT_EQ(EACCES, val(&p, "open", "errno")) TH_LOG("%s", p.buf);
}

/*
 * Open, let the test drive the counter, read: the exact delta, with the
 * time fields perf gives.  Returns the value read, or -1.
 */
static long long open_drive_read(struct __test_metadata *_metadata,
				 const struct how *how, int type, const char *pci,
				 unsigned long long cfg, int cpu, unsigned long long delta)
{
	struct probe p;
	long long v;

	if (probe_start(&p, how, "-t %d -c %llu -C %d -F %d -w -r", type, cfg, cpu,
			PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING))
		return -1;
	if (probe_wait(&p, "ready\n")) {
		probe_end(&p);
		TH_LOG("%s: no event: %s", how->exe, p.buf);
		return -1;
	}
	EXPECT_GE(mock_live_events(pci), 1);
	EXPECT_EQ(0, mock_ctl(pci, "add %llu %llu", cfg, delta));
	EXPECT_EQ(0, probe_end(&p));
	EXPECT_EQ(24, val(&p, "read", "ret")) TH_LOG("%s", p.buf);
	v = read_value(&p, 0);
	EXPECT_GT(read_value(&p, 1), 0);	/* time enabled */
	EXPECT_GT(read_value(&p, 2), 0);	/* time running */
	EXPECT_EQ(delta, v) TH_LOG("%s", p.buf);
	return v;
}

TEST_F(shim, gpu_event_reads_driven_value)
{
	/* the oracle: host root on the raw PMU, no shim */
	ASSERT_EQ(123456789, open_drive_read(_metadata, &host_plain, self->type0,
					     GPU0_PCI, CFG_RCS0_BUSY, self->cpu, 123456789));
	ASSERT_EQ(123456789, open_drive_read(_metadata, &ct_shim, self->type0,
					     GPU0_PCI, CFG_RCS0_BUSY, self->cpu, 123456789));
	/* the "discrete" GPU, its own PMU type */
	ASSERT_EQ(987654, open_drive_read(_metadata, &ct_shim, self->type1,
					  GPU1_PCI, CFG_VCS0_BUSY, self->cpu, 987654));
	/* host root with the shim: served through the device too */
	ASSERT_EQ(55555, open_drive_read(_metadata, &host_shim, self->type0,
					 GPU0_PCI, CFG_BCS0_BUSY, self->cpu, 55555));
}

/*
 * The system-container install path: the library listed in
 * /etc/ld.so.preload, no LD_PRELOAD, and every dynamic program of the
 * "container" gets GPU events.  Without the file, the same run is denied.
 */
TEST_F(shim, ld_so_preload_serves_every_process)
{
	static const char preload[] = "/etc/ld.so.preload";
	int fd, ok;

	ASSERT_NE(0, access(preload, F_OK)) TH_LOG("%s exists before the test", preload);
	fd = open(preload, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ok = write(fd, SHIM "\n", sizeof(SHIM)) == (ssize_t)sizeof(SHIM);
	close(fd);
	if (ok)
		ok = open_drive_read(_metadata, &ct_plain, self->type0, GPU0_PCI,
				     CFG_RCS0_BUSY, self->cpu, 4242) == 4242;
	unlink(preload);
	ASSERT_TRUE(ok);
}

/* A group: the leader through the shim, a sibling with group_fd = it. */
TEST_F(shim, group_sibling_joins_leader)
{
	const struct how *hows[] = { &host_plain, &ct_shim };
	struct probe p;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, probe_start(&p, hows[i], "-t %d -c %llu -c %llu -C %d -F %d -w -r",
					 self->type0, (unsigned long long)CFG_RCS0_BUSY,
					 (unsigned long long)CFG_BCS0_BUSY, self->cpu,
					 PERF_FORMAT_GROUP));
		ASSERT_EQ(0, probe_wait(&p, "ready\n")) TH_LOG("%s", p.buf);
		EXPECT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 1000", (unsigned long long)CFG_RCS0_BUSY));
		EXPECT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 2000", (unsigned long long)CFG_BCS0_BUSY));
		ASSERT_EQ(0, probe_end(&p));
		EXPECT_EQ(24, val(&p, "read", "ret")) TH_LOG("%s", p.buf);
		EXPECT_EQ(2, read_value(&p, 0)) TH_LOG("%s", p.buf);
		EXPECT_EQ(1000, read_value(&p, 1)) TH_LOG("%s", p.buf);
		EXPECT_EQ(2000, read_value(&p, 2)) TH_LOG("%s", p.buf);
	}
}

/* perf_event_open(), the symbol a libc might export, is served too. */
TEST_F(shim, perf_event_open_symbol)
{
	struct probe p;

	ASSERT_EQ(0, probe_run(&p, &ct_shim, "-E -t %d -c %llu -C %d -r", self->type0,
			       (unsigned long long)CFG_RCS0_BUSY, self->cpu));
	EXPECT_GE(val(&p, "open", "ret"), 0) TH_LOG("%s", p.buf);
	EXPECT_EQ(SENTINEL, val(&p, "open", "errno")) TH_LOG("%s", p.buf);
	EXPECT_EQ(8, val(&p, "read", "ret")) TH_LOG("%s", p.buf);
	/* without the shim there is no such symbol (glibc has none) */
	ASSERT_EQ(1, probe_run(&p, &ct_plain, "-E"));
	EXPECT_NE(NULL, strstr(p.buf, "no perf_event_open symbol"));
}

/*
 * Everything that is not a served GPU event: the same result and errno
 * (SENTINEL when the call left errno alone) with and without the shim, as
 * container root and as host root, with the kernel's perf_event_paranoid
 * (Debian: 3, nothing for container root) and with 2 (a container's own
 * task may count itself).
 */
TEST_F_TIMEOUT(shim, non_gpu_events_unchanged, 240)
{
	const struct how *with[] = { &ct_shim, &host_shim };
	const struct how *without[] = { &ct_plain, &host_plain };
	const long long paranoid[] = { self->paranoid, 2 };
	char cases[16][128], a[512], b[512], v[16];
	int n = 0, kprobe = perf_pmu_type("kprobe");
	unsigned int i, w, k, opened = 0, ct_opened = 0;
	struct probe p;

	/* software cpu-clock, for this task and CPU-wide */
	snprintf(cases[n++], 128, "-t 1 -c 0 -p 0 -C -1 -k -r");
	snprintf(cases[n++], 128, "-t 1 -c 0 -p -1 -C %d", self->cpu);
	/* a type no PMU has, CPU-wide and for this task */
	snprintf(cases[n++], 128, "-t 0x7ffffff0 -C %d", self->cpu);
	snprintf(cases[n++], 128, "-t 0x7ffffff0 -p 0 -C -1 -k");
	snprintf(cases[n++], 128, "-t %d -C %d", PERF_TYPE_MAX, self->cpu);
	/* the non-Intel "i915" the mock binds: a PMU nsgpuperf does not serve */
	snprintf(cases[n++], 128, "-t %d -c %llu -C %d", self->type_other,
		 (unsigned long long)CFG_RCS0_BUSY, self->cpu);
	snprintf(cases[n++], 128, "-t %d -c %llu -p 0 -C -1 -k", self->type_other,
		 (unsigned long long)CFG_RCS0_BUSY);
	/*
	 * raw and tracepoint types; no real tracepoint: enabling one (id 1 is
	 * ftrace's function event) live-patches kernel text, which QEMU's
	 * multi-threaded TCG does not survive reliably
	 */
	snprintf(cases[n++], 128, "-t 4 -c 0x3c -p 0 -C -1 -k");
	snprintf(cases[n++], 128, "-t 2 -c 0x7fffffff -p 0 -C -1");
	if (kprobe > 0)
		snprintf(cases[n++], 128, "-t %d -C %d", kprobe, self->cpu);
	/* a NULL and an unmapped attr: EFAULT, not a crash in the shim */
	snprintf(cases[n++], 128, "-A 0");
	snprintf(cases[n++], 128, "-A 1 -t %d", self->type0);
	snprintf(cases[n++], 128, "-A 0xffffffffffff0000");

	for (k = 0; k < 2; k++) {
		snprintf(v, sizeof(v), "%lld", paranoid[k]);
		ASSERT_EQ(0, write_str(PARANOID, v));
		for (w = 0; w < 2; w++) {
			for (i = 0; i < (unsigned int)n; i++) {
				ASSERT_EQ(0, probe_run(&p, without[w], "%s", cases[i]));
				line_of(&p, "open", a, sizeof(a));
				if (val(&p, "open", "ret") >= 0) {
					opened++;
					ct_opened += !w;
				}
				ASSERT_EQ(0, probe_run(&p, with[w], "%s", cases[i]))
					TH_LOG("%s", p.buf);
				line_of(&p, "open", b, sizeof(b));
				EXPECT_STREQ(a, b) TH_LOG("%s, paranoid %lld: %s",
							  w ? "host" : "container",
							  paranoid[k], cases[i]);
			}
		}
	}
	/* both outcomes compared: some opened (in the container too) */
	EXPECT_GE(opened, 4);
	EXPECT_GE(ct_opened, 1);
	/* the bogus type: perf's ENOENT, where perf gets to look for a PMU */
	ASSERT_EQ(0, probe_run(&p, &host_shim, "%s", cases[2]));
	EXPECT_EQ(ENOENT, val(&p, "open", "errno"));
	ASSERT_EQ(0, probe_run(&p, &ct_shim, "%s", cases[3]));
	EXPECT_EQ(ENOENT, val(&p, "open", "errno"));
}

/* Other syscalls through syscall(): result and errno untouched. */
TEST_F(shim, other_syscalls_unchanged)
{
	const char *want = "syscall getpid=ok errno=9999 close=-1 errno=9 "
			   "mmap=ok errno=9999 mmap_bad=fail errno=22";
	char line[512];
	struct probe p;

	ASSERT_EQ(0, probe_run(&p, &ct_plain, "-S"));
	EXPECT_STREQ(want, line_of(&p, "syscall", line, sizeof(line)));
	ASSERT_EQ(0, probe_run(&p, &ct_shim, "-S"));
	EXPECT_STREQ(want, line_of(&p, "syscall", line, sizeof(line)));
}

/* No usable device: the real syscall's answer, EACCES in the container. */
TEST_F(shim, device_absent_or_refused)
{
	const struct how absent = { &ct_root, PROBE, SHIM, "/nonexistent" };
	const struct how refused = { &ct_root, PROBE, SHIM, HOST_NODE };
	const struct how dflt = { &ct_root, PROBE, SHIM, NULL };
	const struct how *hows[] = { &absent, &refused, &dflt };
	char a[256], b[256];
	struct probe p;
	unsigned int i;

	/* a node the container cannot open: host-owned (EPERM at open) */
	ASSERT_EQ(0, nsgp_mknod(HOST_NODE, 0, 0, 0666));
	ASSERT_EQ(0, probe_run(&p, &ct_plain, "-t %d -c %llu -C %d", self->type0,
			       (unsigned long long)CFG_RCS0_BUSY, self->cpu));
	line_of(&p, "open", a, sizeof(a));
	EXPECT_EQ(EACCES, val(&p, "open", "errno"));
	for (i = 0; i < 3; i++) {
		/* /dev/nsgpuperf (the default) is the host's node: root-owned */
		ASSERT_EQ(0, probe_run(&p, hows[i], "-t %d -c %llu -C %d", self->type0,
				       (unsigned long long)CFG_RCS0_BUSY, self->cpu));
		EXPECT_STREQ(a, line_of(&p, "open", b, sizeof(b))) TH_LOG("case %u", i);
	}
}

/* fork + exec keeps the fd, or drops it with PERF_FLAG_FD_CLOEXEC. */
TEST_F(shim, exec_follows_cloexec_flag)
{
	const struct how *hows[] = { &host_plain, &ct_shim };
	struct probe p;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, probe_run(&p, hows[i], "-t %d -c %llu -C %d -x", self->type0,
				       (unsigned long long)CFG_RCS0_BUSY, self->cpu));
		EXPECT_EQ(0, val(&p, "open", "cloexec")) TH_LOG("%s", p.buf);
		EXPECT_EQ(1, val(&p, "exec", "open")) TH_LOG("%s", p.buf);
		EXPECT_EQ(8, val(&p, "exec", "read")) TH_LOG("%s", p.buf);

		ASSERT_EQ(0, probe_run(&p, hows[i], "-t %d -c %llu -C %d -f %d -x",
				       self->type0, (unsigned long long)CFG_RCS0_BUSY,
				       self->cpu, PERF_FLAG_FD_CLOEXEC));
		EXPECT_EQ(1, val(&p, "open", "cloexec")) TH_LOG("%s", p.buf);
		EXPECT_EQ(0, val(&p, "exec", "open")) TH_LOG("%s", p.buf);
	}
}

/*
 * A seccomp filter that makes perf_event_open fail with EPERM, as Docker's
 * default profile does without CAP_PERFMON: the shim never makes that
 * syscall for a GPU event, every other event still gets EPERM.
 */
TEST_F(shim, seccomp_refusing_perf_event_open)
{
	struct probe p;

	ASSERT_EQ(0, probe_run(&p, &ct_shim, "-s -t %d -c %llu -C %d -r", self->type0,
			       (unsigned long long)CFG_RCS0_BUSY, self->cpu));
	EXPECT_GE(val(&p, "open", "ret"), 0) TH_LOG("%s", p.buf);
	EXPECT_EQ(8, val(&p, "read", "ret")) TH_LOG("%s", p.buf);

	/* a container's task may count itself (Debian's default 3 forbids it) */
	ASSERT_EQ(0, write_str(PARANOID, "2"));
	ASSERT_EQ(0, probe_run(&p, &ct_shim, "-s -t 1 -c 0 -p 0 -C -1 -k"));
	EXPECT_EQ(-1, val(&p, "open", "ret")) TH_LOG("%s", p.buf);
	EXPECT_EQ(EPERM, val(&p, "open", "errno")) TH_LOG("%s", p.buf);
	/* without the filter that event opens */
	ASSERT_EQ(0, probe_run(&p, &ct_shim, "-t 1 -c 0 -p 0 -C -1 -k"));
	EXPECT_GE(val(&p, "open", "ret"), 0) TH_LOG("%s", p.buf);

	ASSERT_EQ(0, probe_run(&p, &ct_plain, "-s -t %d -c %llu -C %d", self->type0,
			       (unsigned long long)CFG_RCS0_BUSY, self->cpu));
	EXPECT_EQ(EPERM, val(&p, "open", "errno")) TH_LOG("%s", p.buf);
}

/* What the PMU refuses: the errno host root gets on the raw PMU. */
TEST_F(shim, refused_attr_same_errno)
{
	char cases[8][128], a[256], b[256];
	struct probe p;
	int n = 0, i;

	snprintf(cases[n++], 128, "-t %d -c 0xfffff -C %d", self->type0, self->cpu);
	snprintf(cases[n++], 128, "-t %d -c %llu -C -1", self->type0,
		 (unsigned long long)CFG_RCS0_BUSY);
	snprintf(cases[n++], 128, "-t %d -c %llu -p 1 -C -1", self->type0,
		 (unsigned long long)CFG_RCS0_BUSY);
	snprintf(cases[n++], 128, "-t %d -c %llu -C %d -f 0x10", self->type0,
		 (unsigned long long)CFG_RCS0_BUSY, self->cpu);
	snprintf(cases[n++], 128, "-t %d -c %llu -C %d -f 0x100000000", self->type0,
		 (unsigned long long)CFG_RCS0_BUSY, self->cpu);
	snprintf(cases[n++], 128, "-t %d -c %llu -C %d -g 0", self->type0,
		 (unsigned long long)CFG_RCS0_BUSY, self->cpu);
	snprintf(cases[n++], 128, "-t %d -c %llu -C %d -g 999", self->type0,
		 (unsigned long long)CFG_RCS0_BUSY, self->cpu);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, probe_run(&p, &host_plain, "%s", cases[i]));
		line_of(&p, "open", a, sizeof(a));
		EXPECT_EQ(-1, val(&p, "open", "ret")) TH_LOG("%s", cases[i]);
		ASSERT_EQ(0, probe_run(&p, &ct_shim, "%s", cases[i]));
		EXPECT_STREQ(a, line_of(&p, "open", b, sizeof(b))) TH_LOG("%s", cases[i]);
	}
}

/*
 * 10,000 open/close cycles through the shim (or 60 s of them), in
 * threads: no fd left in the process, no live event left on the GPU.
 */
TEST_F_TIMEOUT(shim, open_close_cycles_leak_nothing, 600)
{
	long long live0 = mock_live_events_all(), cycles;
	struct timespec t0, t1;
	struct probe p;

	ASSERT_EQ(0, live0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, probe_start(&p, &ct_shim, "-t %d -c %llu -C %d -n %d -T %d -D %d -w",
				 self->type0, (unsigned long long)CFG_RCS0_BUSY, self->cpu,
				 CYCLES / CYCLE_THREADS, CYCLE_THREADS, CYCLES_SECS));
	/* TCG on a loaded host: minutes, within the test's timeout */
	ASSERT_EQ(0, probe_wait_ms(&p, "ready\n", 540000)) TH_LOG("%s", p.buf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* the process still lives: nothing of it is left in the kernel */
	EXPECT_EQ(live0, mock_live_events_all());
	ASSERT_EQ(0, probe_end(&p));
	cycles = val(&p, "loop", "n");
	EXPECT_LE(CYCLES_MIN, cycles) TH_LOG("%s", p.buf);
	EXPECT_GE(CYCLES, cycles) TH_LOG("%s", p.buf);
	EXPECT_EQ(0, val(&p, "loop", "fail")) TH_LOG("%s", p.buf);
	EXPECT_EQ(val(&p, "loop", "fds_before"), val(&p, "loop", "fds_after"))
		TH_LOG("%s", p.buf);
	EXPECT_EQ(live0, mock_live_events_all());
	TH_LOG("%lld open/close cycles through the shim in %.1f s (TCG)", cycles,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* The musl build, in a musl program. */
TEST_F(shim, musl_build)
{
	struct probe p;

	ASSERT_EQ(0, access(PROBE_MUSL, X_OK)) TH_LOG("%s missing (musl-tools)", PROBE_MUSL);
	ASSERT_EQ(0, access(SHIM_MUSL, R_OK)) TH_LOG("%s missing (musl-tools)", SHIM_MUSL);
	ASSERT_EQ(0, probe_run(&p, &ct_plain_musl, "-t %d -c %llu -C %d", self->type0,
			       (unsigned long long)CFG_RCS0_BUSY, self->cpu));
	EXPECT_EQ(EACCES, val(&p, "open", "errno")) TH_LOG("%s", p.buf);
	ASSERT_EQ(4242, open_drive_read(_metadata, &ct_shim_musl, self->type0, GPU0_PCI,
					CFG_RCS0_BUSY, self->cpu, 4242));
	/* a type no PMU has, for its own task: perf's ENOENT */
	ASSERT_EQ(0, write_str(PARANOID, "2"));
	ASSERT_EQ(0, probe_run(&p, &ct_shim_musl, "-t 0x7ffffff0 -p 0 -C -1 -k"));
	EXPECT_EQ(ENOENT, val(&p, "open", "errno")) TH_LOG("%s", p.buf);
	ASSERT_EQ(0, probe_run(&p, &ct_shim_musl, "-t 1 -c 0 -p 0 -C -1 -k"));
	EXPECT_EQ(SENTINEL, val(&p, "open", "errno")) TH_LOG("%s", p.buf);
	ASSERT_EQ(0, probe_run(&p, &ct_shim_musl, "-S"));
	EXPECT_NE(NULL, strstr(p.buf, "syscall getpid=ok errno=9999 close=-1 errno=9 "
				      "mmap=ok errno=9999 mmap_bad=fail errno=22"))
		TH_LOG("%s", p.buf);
}

TEST_HARNESS_MAIN
