// SPDX-License-Identifier: GPL-2.0
/*
 * Per-cgroup usage: cost of one NSGPUPERF_IOC_CGROUP_USAGE call versus the
 * userspace way (nvtop, qmassa, gputop): scan /proc/<pid>/fdinfo/<fd> of
 * every task in the cgroup, keep the DRM clients of the GPU, de-duplicate
 * by drm-client-id and sum drm-engine-<class>.  Both must find the same
 * clients and the same sums.  Then 2000 idle processes join the host: the
 * kernel call walks the GPU's clients, not the host's tasks.  Last, every
 * client's opener exits and a child of it holds the files: the kernel
 * must then find the holders (a walk of the scope's tasks' fd tables).
 *
 * Runs as root in the test VM with the mock GPU; prints figures.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nsgp_test.h"
#include "mock_i915_uapi.h"

#define CG		"/sys/fs/cgroup/usage-bench"
#define PER_PROC	10
#define MAX_PROCS	4096

static pid_t procs[MAX_PROCS];
static int nprocs;
static int cgfd;	/* the benchmark's cgroup: usage calls are narrowed to it */

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int enter_cg(const char *cg)
{
	char path[128], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return write_str(path, pid);
}

/*
 * A process with n DRM clients on node, each with busy ns of render; with
 * orphan, the opener exits and a child of it keeps the clients.
 */
static int spawn_clients(const char *node, int n, uint64_t busy, int orphan)
{
	int ready[2];
	pid_t pid;

	if (nprocs == MAX_PROCS || pipe(ready))
		return -1;
	pid = fork();
	if (!pid) {
		struct mock_i915_add_busy b = {
			.engine_class = I915_ENGINE_CLASS_RENDER, .busy_ns = busy,
		};
		int i, fd;

		if (enter_cg(CG))
			_exit(1);
		for (i = 0; i < n; i++) {
			fd = open(node, O_RDWR);
			if (fd < 0 || ioctl(fd, DRM_IOCTL_MOCK_I915_ADD_BUSY, &b))
				_exit(2);
		}
		if (orphan) {
			pid = fork();
			if (pid)
				_exit(pid < 0 ? 4 : 0);	/* the holder goes on */
		}
		pid = getpid();
		if (write(ready[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(3);
		pause();
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &pid, sizeof(pid)) != sizeof(pid))
		return -1;
	close(ready[0]);
	procs[nprocs++] = pid;
	return 0;
}

static void kill_all(void)
{
	while (nprocs) {
		kill(procs[--nprocs], SIGKILL);
		waitpid(procs[nprocs], NULL, 0);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;	/* the openers of orphaned clients */
}

static int kernel_usage(int fd, int gpu, uint64_t *render, unsigned int *clients)
{
	struct nsgpuperf_engine_usage eu[8];
	struct nsgpuperf_cgroup_usage u = {
		.size = sizeof(u), .gpu_id = gpu, .count = 8,
		.entry_size = sizeof(eu[0]), .classes = (uintptr_t)eu,
		.flags = NSGPUPERF_USAGE_CGROUP_FD, .cgroup_fd = cgfd,
	};
	unsigned int i;

	if (ioctl(fd, NSGPUPERF_IOC_CGROUP_USAGE, &u))
		return -errno;
	*render = 0;
	for (i = 0; i < u.count && i < 8; i++)
		if (!strcmp(eu[i].class_name, "render"))
			*render = eu[i].busy_ns;
	*clients = u.nr_clients;
	return 0;
}

/* What userspace tools do: every task of the cgroup, every fdinfo. */
static int scan_usage(const char *pdev, const char *cgline, uint64_t *render,
		      unsigned int *clients)
{
	static uint64_t seen[1 << 16];
	unsigned int nseen = 0, i;
	char path[600], line[256];
	struct dirent *p, *f;
	DIR *proc, *fdi;
	FILE *fp;

	*render = 0;
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((p = readdir(proc))) {
		int in_scope = 0;

		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cgroup", p->d_name);
		fp = fopen(path, "re");
		if (!fp)
			continue;
		while (fgets(line, sizeof(line), fp))
			if (!strncmp(line, cgline, strlen(cgline)))
				in_scope = 1;
		fclose(fp);
		if (!in_scope)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fdinfo", p->d_name);
		fdi = opendir(path);
		if (!fdi)
			continue;
		while ((f = readdir(fdi))) {
			uint64_t id = 0, busy = 0;
			int drm = 0, dup = 0;

			if (f->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", p->d_name, f->d_name);
			fp = fopen(path, "re");
			if (!fp)
				continue;
			while (fgets(line, sizeof(line), fp)) {
				if (!strncmp(line, "drm-pdev:", 9) && strstr(line, pdev))
					drm = 1;
				else if (!strncmp(line, "drm-client-id:", 14))
					id = strtoull(line + 14, NULL, 10);
				else if (!strncmp(line, "drm-engine-render:", 18))
					busy = strtoull(line + 18, NULL, 10);
			}
			fclose(fp);
			if (!drm)
				continue;
			for (i = 0; i < nseen; i++)
				if (seen[i] == id)
					dup = 1;
			if (dup || nseen == sizeof(seen) / sizeof(seen[0]))
				continue;
			seen[nseen++] = id;
			*render += busy;
		}
		closedir(fdi);
	}
	closedir(proc);
	*clients = nseen;
	return 0;
}

static void measure(int fd, int gpu, int n, const char *label)
{
	unsigned int kc = 0, sc = 0;
	uint64_t kr = 0, sr = 0;
	double t0, k_us, s_us;
	int i, iters = n >= 1000 ? 20 : 100, siters = n >= 1000 ? 3 : 10;

	t0 = now_us();
	for (i = 0; i < iters; i++)
		if (kernel_usage(fd, gpu, &kr, &kc))
			printf("usage: ioctl failed: %s\n", strerror(errno));
	k_us = (now_us() - t0) / iters;
	t0 = now_us();
	for (i = 0; i < siters; i++)
		scan_usage(GPU0_PCI, "0::/usage-bench", &sr, &sc);
	s_us = (now_us() - t0) / siters;
	printf("usage: %s clients=%d kernel_us=%.1f scan_us=%.1f speedup=%.1f "
	       "kernel_found=%u/%llu scan_found=%u/%llu%s\n", label, n, k_us, s_us,
	       s_us / k_us, kc, (unsigned long long)kr, sc, (unsigned long long)sr,
	       kc == sc && kr == sr ? "" : " MISMATCH");
	fflush(stdout);
}

int main(void)
{
	struct nsgpuperf_gpu_info info;
	struct rlimit rl = { 65536, 65536 };
	int sizes[] = { 10, 100, 1000 }, fd, gpu, s, have = 0, idle[2000], i;
	char node[64];

	setrlimit(RLIMIT_NOFILE, &rl);
	/* holders of orphaned clients come back to us */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	mkdir(CG, 0755);
	/* a host session whose usage calls are narrowed to the cgroup */
	cgfd = open(CG, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		perror("cgroup");
		return 1;
	}
	fd = nsgp_open(NULL);
	if (fd < 0) {
		fprintf(stderr, "usage: cannot open %s: %s\n", NSGP_DEV, strerror(-fd));
		return 1;
	}
	gpu = nsgp_find_gpu(fd, GPU0_PCI, &info);
	if (gpu < 0)
		return 1;
	snprintf(node, sizeof(node), "/dev/dri/renderD%d", info.render_minor);

	for (s = 0; s < 3; s++) {
		while (have < sizes[s]) {
			if (spawn_clients(node, PER_PROC, 1000, 0)) {
				fprintf(stderr, "usage: spawning clients failed\n");
				kill_all();
				return 1;
			}
			have += PER_PROC;
		}
		measure(fd, gpu, have, "host-idle");
	}
	/* 2000 idle host processes outside the cgroup */
	for (i = 0; i < 2000; i++) {
		idle[i] = fork();
		if (!idle[i]) {
			pause();
			_exit(0);
		}
	}
	measure(fd, gpu, have, "plus-2000-idle-tasks");
	/*
	 * The same clients again, every opener gone: holders are looked up.
	 * A new session: a session's sums never decrease.
	 */
	kill_all();
	close(fd);
	fd = nsgp_open(NULL);
	for (have = 0; have < sizes[2]; have += PER_PROC)
		if (spawn_clients(node, PER_PROC, 1000, 1)) {
			fprintf(stderr, "usage: spawning orphaned clients failed\n");
			break;
		}
	measure(fd, gpu, have, "orphans-plus-2000-idle-tasks");
	for (i = 0; i < 2000; i++) {
		kill(idle[i], SIGKILL);
		waitpid(idle[i], NULL, 0);
	}
	kill_all();
	close(fd);
	rmdir(CG);
	return 0;
}
