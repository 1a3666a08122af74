// SPDX-License-Identifier: GPL-2.0
/*
 * perf-probe: a dynamically linked program that calls perf_event_open the
 * way tools do (syscall(__NR_perf_event_open, ...)), so that shim_test can
 * run it with and without LD_PRELOAD=libnsgpuperf-preload.so and compare.
 * Built against glibc (perf-probe) and musl (perf-probe-musl).
 *
 *   perf-probe [options]
 *     -t TYPE    attr.type: a number, or a PMU name (its sysfs type)
 *     -c CONFIG  attr.config; repeat for siblings of the first event
 *     -p PID -C CPU -g GROUP_FD -f FLAGS    perf_event_open()'s arguments
 *                (defaults -1, 0, -1, 0; -g for the first event only)
 *     -F FORMAT  attr.read_format        -d  attr.disabled = 1
 *     -k         attr.exclude_kernel = exclude_hv = 1
 *     -A ADDR    pass ADDR as the attr pointer (0: NULL, 1: a bad one)
 *     -E         call perf_event_open() (the shim's symbol) instead
 *     -s         first install a seccomp filter that makes the
 *                perf_event_open syscall fail with EPERM (as Docker's
 *                default profile does without CAP_PERFMON)
 *     -w         after opening, print "ready" and wait for a line on stdin
 *     -r         read the first event's fd and print the u64s read
 *     -x         fork and exec itself: does the first fd survive exec?
 *     -n N       open and close the events N times (in -T THREADS
 *                threads, N each), then print the fd count before and after
 *     -D SECS    ... or stop the -n loop after SECS seconds
 *     -S         check that other syscall() calls pass through
 *
 * Output, one line per step, "tag key=value ...":
 *   open i=<n> ret=<fd or -1> errno=<errno; 9999 if left unchanged> cloexec=<0|1>
 *   read ret=<bytes> v=<u64>,<u64>,...
 *   exec fd=<n> open=<0|1> read=<bytes>
 *   loop n=<calls> fail=<failed calls> errno=<first errno> fds_before=<n> fds_after=<n>
 *   syscall getpid=<ok|bad> errno=<e> close=<ret> errno=<e> mmap=<ok|bad> errno=<e>
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/perf_event.h>
#include <linux/seccomp.h>

#define SENTINEL	9999
#define MAX_EVENTS	8
#define MAX_THREADS	16

typedef int (*peo_fn)(struct perf_event_attr *, pid_t, int, int,
		      unsigned long);

static struct perf_event_attr attr;
static uint64_t configs[MAX_EVENTS];
static int nr_configs;
static pid_t opt_pid = -1;
static int opt_cpu, opt_group = -1;
static unsigned long opt_flags;
static void *opt_addr;
static int use_addr;
static peo_fn symbol_fn;

static long open_one(struct perf_event_attr *a, int group_fd)
{
	struct perf_event_attr *p = use_addr ? opt_addr : a;

	if (symbol_fn)
		return symbol_fn(p, opt_pid, opt_cpu, group_fd, opt_flags);
	return syscall(SYS_perf_event_open, p, opt_pid, opt_cpu, group_fd,
		       opt_flags);
}

/* Open the events: fds[0] is the leader.  0, or the errno of a failure. */
static int open_all(int *fds, int verbose)
{
	struct perf_event_attr a = attr;
	int i, err;

	for (i = 0; i < nr_configs; i++) {
		a.config = configs[i];
		errno = SENTINEL;
		fds[i] = open_one(&a, i ? fds[0] : opt_group);
		err = errno;
		if (verbose)
			printf("open i=%d ret=%d errno=%d cloexec=%d\n", i, fds[i], err,
			       fds[i] >= 0 ? !!(fcntl(fds[i], F_GETFD) & FD_CLOEXEC) : 0);
		if (fds[i] < 0) {
			while (i--)
				close(fds[i]);
			return err;
		}
	}
	return 0;
}

static void close_all(int *fds)
{
	int i;

	for (i = nr_configs - 1; i >= 0; i--)
		close(fds[i]);
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

struct loop {
	long n, done, fail;
	int first_errno;
};

/* -D: the loop also stops at this time (0: no bound) */
static time_t loop_deadline;

static void *loop_thread(void *arg)
{
	struct loop *l = arg;
	int fds[MAX_EVENTS], err;
	long i;

	for (i = 0; i < l->n; i++, l->done++) {
		if (loop_deadline && time(NULL) >= loop_deadline)
			break;
		err = open_all(fds, 0);
		if (err) {
			if (!l->fail++)
				l->first_errno = err;
			continue;
		}
		close_all(fds);
	}
	return NULL;
}

static void run_loop(long n, int threads)
{
	struct loop l[MAX_THREADS] = { 0 };
	pthread_t tid[MAX_THREADS];
	int i, before, first = 0;
	long fail = 0, done = 0;

	before = count_fds();
	for (i = 0; i < threads; i++) {
		l[i].n = n;
		if (pthread_create(&tid[i], NULL, loop_thread, &l[i])) {
			printf("loop pthread_create failed\n");
			exit(1);
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		fail += l[i].fail;
		done += l[i].done;
		if (!first)
			first = l[i].first_errno;
	}
	printf("loop n=%ld fail=%ld errno=%d fds_before=%d fds_after=%d\n",
	       done, fail, first, before, count_fds());
}

static int install_seccomp(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_perf_event_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		printf("seccomp failed errno=%d\n", errno);
		return -1;
	}
	return 0;
}

static void check_syscalls(void)
{
	long ret;
	void *p;
	int e1, e2, e3;

	errno = SENTINEL;
	ret = syscall(SYS_getpid);
	e1 = errno;
	printf("syscall getpid=%s errno=%d", ret == getpid() ? "ok" : "bad", e1);
	errno = SENTINEL;
	ret = syscall(SYS_close, -1);
	e2 = errno;
	printf(" close=%ld errno=%d", ret, e2);
	/* six arguments, the last one used */
	errno = SENTINEL;
	p = (void *)syscall(SYS_mmap, NULL, 4096L, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1L, 0L);
	e3 = errno;
	printf(" mmap=%s errno=%d", p != MAP_FAILED ? "ok" : "bad", e3);
	errno = SENTINEL;
	p = (void *)syscall(SYS_mmap, NULL, 4096L, PROT_READ, MAP_PRIVATE, -1L, 1L);
	printf(" mmap_bad=%s errno=%d\n", p == MAP_FAILED ? "fail" : "ok", errno);
}

static void read_fd(int fd)
{
	uint64_t v[64];
	ssize_t n = read(fd, v, sizeof(v));
	int i;

	printf("read ret=%zd", n);
	if (n < 0)
		printf(" errno=%d", errno);
	for (i = 0; n > 0 && i < n / 8; i++)
		printf("%s%llu", i ? "," : " v=", (unsigned long long)v[i]);
	printf("\n");
}

/* The exec'd image: is fd still open, and does it read? */
static int check_fd(int fd)
{
	uint64_t v[64];
	int open = fcntl(fd, F_GETFD) >= 0;

	printf("exec fd=%d open=%d read=%zd\n", fd, open,
	       open ? read(fd, v, sizeof(v)) : (ssize_t)-1);
	return 0;
}

static void exec_child(int fd)
{
	char arg[16];
	pid_t pid;
	int st;

	snprintf(arg, sizeof(arg), "%d", fd);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		execl("/proc/self/exe", "perf-probe", "--check-fd", arg, (char *)NULL);
		printf("exec failed errno=%d\n", errno);
		_exit(127);
	}
	waitpid(pid, &st, 0);
}

static int parse_type(const char *s)
{
	char path[256];
	FILE *f;
	int t = -1;

	if (*s >= '0' && *s <= '9')
		return (int)strtoul(s, NULL, 0);
	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", s);
	f = fopen(path, "re");
	if (!f || fscanf(f, "%d", &t) != 1)
		t = -1;
	if (f)
		fclose(f);
	return t;
}

int main(int argc, char **argv)
{
	int opt, wait_line = 0, do_read = 0, do_exec = 0, threads = 1;
	int fds[MAX_EVENTS], err;
	long loops = 0;
	char line[16];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--check-fd"))
		return check_fd(atoi(argv[2]));

	attr.size = sizeof(attr);
	while ((opt = getopt(argc, argv, "t:c:p:C:g:f:F:dkA:Eswrxn:T:D:S")) != -1) {
		switch (opt) {
		case 't':
			attr.type = parse_type(optarg);
			break;
		case 'c':
			if (nr_configs < MAX_EVENTS)
				configs[nr_configs++] = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			opt_pid = atoi(optarg);
			break;
		case 'C':
			opt_cpu = atoi(optarg);
			break;
		case 'g':
			opt_group = atoi(optarg);
			break;
		case 'f':
			opt_flags = strtoul(optarg, NULL, 0);
			break;
		case 'F':
			attr.read_format = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			attr.disabled = 1;
			break;
		case 'k':
			attr.exclude_kernel = 1;
			attr.exclude_hv = 1;
			break;
		case 'A':
			use_addr = 1;
			opt_addr = (void *)strtoul(optarg, NULL, 0);
			break;
		case 'E':
			symbol_fn = (peo_fn)dlsym(RTLD_DEFAULT, "perf_event_open");
			if (!symbol_fn) {
				printf("no perf_event_open symbol\n");
				return 1;
			}
			break;
		case 's':
			if (install_seccomp())
				return 1;
			break;
		case 'w':
			wait_line = 1;
			break;
		case 'r':
			do_read = 1;
			break;
		case 'x':
			do_exec = 1;
			break;
		case 'n':
			loops = atol(optarg);
			break;
		case 'T':
			threads = atoi(optarg);
			if (threads < 1 || threads > MAX_THREADS)
				return 2;
			break;
		case 'D':
			loop_deadline = time(NULL) + atol(optarg);
			break;
		case 'S':
			check_syscalls();
			return 0;
		default:
			return 2;
		}
	}
	if (!nr_configs)
		configs[nr_configs++] = 0;

	if (loops) {
		run_loop(loops, threads);
		if (wait_line) {
			printf("ready\n");
			if (!fgets(line, sizeof(line), stdin))
				return 1;
		}
		return 0;
	}

	err = open_all(fds, 1);
	if (err)
		return 0;
	if (wait_line) {
		printf("ready\n");
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	if (do_read)
		read_fd(fds[0]);
	if (do_exec)
		exec_child(fds[0]);
	close_all(fds);
	return 0;
}
