// SPDX-License-Identifier: GPL-2.0
/*
 * reader_bench: CPU time per sample of `nsgpuperf -J` and of Debian's
 * `intel_gpu_top -J` (bookworm's 1.27.1 and sid's 2.x), run as host root
 * on the same mock GPU, with 0, 100 and 1000 DRM clients open.
 *
 * intel_gpu_top finds its clients by scanning every /proc/<pid>/fdinfo/<fd>
 * each period; nsgpuperf's per-container usage is one ioctl.  Each tool
 * runs for RUN_MS at a PERIOD_MS period with its output in a file, is
 * stopped with SIGINT, and its user+system time (wait4's rusage) is divided
 * by the samples it printed ("period" objects).  Clients are held by
 * CLIENT_PROCS processes (at most 100 open render nodes each), each client
 * with some render busy time, so every one of them is a live DRM client.
 * Figures, not a test: run by `make bench` (NSGPUPERF_BENCH=reader_bench).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mock_i915_uapi.h"
#include "nsgp_test.h"
#include "nsgp_usage.h"

#define GPU_PCI		"0000:00:02.0"
#define PERIOD_MS	"100"
#define RUN_MS		5000
#define PER_PROC	100
#define OUT		"/tmp/reader-bench.out"
#define SID_LOADER	"/sid/lib/ld-linux-x86-64.so.2"

struct tool {
	const char *name;
	const char *const argv[12];
};

static const struct tool tools[] = {
	{ "nsgpuperf -J", { "/tests/nsgpuperf", "-J", "-s", PERIOD_MS, "-d", GPU_PCI, NULL } },
	{ "intel_gpu_top 1.27.1 -J", { "/usr/bin/intel_gpu_top", "-J", "-s", PERIOD_MS,
				       "-d", "pci:slot=" GPU_PCI, NULL } },
	{ "intel_gpu_top 2.x -J", { SID_LOADER, "--library-path", "/sid/lib",
				    "/sid/bin/intel_gpu_top", "-J", "-s", PERIOD_MS,
				    "-d", "pci:slot=" GPU_PCI, NULL } },
};

struct holder {
	const char *node;
	int n;
};

/* n DRM clients of the node, each with some render busy time */
static int holder_setup(void *arg)
{
	const struct holder *h = arg;
	int i, drm;

	for (i = 0; i < h->n; i++) {
		drm = open(h->node, O_RDWR);
		if (drm < 0 || add_busy(drm, I915_ENGINE_CLASS_RENDER, 1000000))
			return 1;
	}
	return 0;
}

static int count_samples(const char *path)
{
	int n = 0, fd = open(path, O_RDONLY);
	struct stat st;
	char *buf, *p;

	if (fd < 0 || fstat(fd, &st) || !(buf = malloc(st.st_size + 1))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		close(fd);
		return -1;
	}
	buf[st.st_size] = '\0';
	for (p = buf; (p = strstr(p, "\"period\"")); p++)
		n++;
	free(buf);
	close(fd);
	return n;
}

/*
 * CPU ms per sample of one tool (*sys_ms: the system part), or a negative
 * number if it failed.
 */
static double run_tool(const struct tool *t, double *sys_ms)
{
	struct timespec ts = { RUN_MS / 1000, (RUN_MS % 1000) * 1000000L };
	struct rusage ru;
	int status, samples;
	pid_t pid;
	double cpu_ms;

	pid = fork();
	if (!pid) {
		int out = open(OUT, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int null = open("/dev/null", O_WRONLY);

		if (out < 0 || null < 0 || dup2(out, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		execv(t->argv[0], (char *const *)t->argv);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	nanosleep(&ts, NULL);
	kill(pid, SIGINT);
	if (wait4(pid, &status, 0, &ru) != pid)
		return -1;
	samples = count_samples(OUT);
	if (samples <= 0) {
		printf("# %s: no samples (status 0x%x)\n", t->name, status);
		return -1;
	}
	cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	*sys_ms = (ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3) / samples;
	return cpu_ms / samples;
}

int main(void)
{
	static const int clients[] = { 0, 100, 1000 };
	struct rlimit rl = { 4096, 4096 };
	char node[64];
	unsigned int i, k;
	int session;

	setrlimit(RLIMIT_NOFILE, &rl);
	session = nsgp_open(NULL);
	if (session < 0 || nsgp_present_all(session) < 0 ||
	    render_node(session, GPU_PCI, node, sizeof(node))) {
		printf("# reader_bench: no session or no render node for %s\n", GPU_PCI);
		return 1;
	}
	close(session);

	printf("# reader_bench: CPU time per -J sample (user+system, and the system part), period %s ms, %d s per run, host root, GPU %s\n",
	       PERIOD_MS, RUN_MS / 1000, GPU_PCI);
	printf("# %-8s", "clients");
	for (k = 0; k < sizeof(tools) / sizeof(tools[0]); k++)
		printf(" | %24s", tools[k].name);
	printf("\n");
	for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		struct client holders[(1000 + PER_PROC - 1) / PER_PROC];
		int procs = 0, left = clients[i], j;

		while (left > 0) {
			struct holder h = { node, left < PER_PROC ? left : PER_PROC };

			holders[procs] = client_spawn(holder_setup, client_wait_stop, &h);
			if (holders[procs].pid < 0) {
				printf("# reader_bench: cannot open %d clients of %s\n", h.n, node);
				return 1;
			}
			procs++;
			left -= h.n;
		}
		printf("# %-8d", clients[i]);
		for (k = 0; k < sizeof(tools) / sizeof(tools[0]); k++) {
			double sys_ms, ms = run_tool(&tools[k], &sys_ms);

			if (ms < 0)
				printf(" | %24s", "failed");
			else
				printf(" | %8.2f ms (sys %7.2f)", ms, sys_ms);
			fflush(stdout);
		}
		printf("\n");
		for (j = 0; j < procs; j++)
			stop_client(&holders[j]);
	}
	return 0;
}
