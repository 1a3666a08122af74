// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the nsgpuperf selftests; see nsgp_test.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "nsgp_test.h"

long long read_ll(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 0);
}

int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

int mock_ctl(const char *pci, const char *fmt, ...)
{
	char path[128], cmd[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "/sys/kernel/debug/mock_i915/%s/control", pci);
	return write_str(path, cmd);
}

long long mock_live_events(const char *pci)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/mock_i915/%s/live_events", pci);
	return read_ll(path);
}

long long mock_live_events_all(void)
{
	/* module-wide count: includes GPUs already unbound */
	return read_ll("/sys/kernel/debug/mock_i915/live_events");
}

long long settle_live_events(void)
{
	long long n = mock_live_events_all();
	int i;

	/* counters close when the last fd's release runs, maybe a bit later */
	for (i = 0; n != 0 && i < 200; i++) {
		usleep(10000);
		n = mock_live_events_all();
	}
	return n;
}

long long nsgp_live_all(const char *unused)
{
	(void)unused;
	return mock_live_events_all();
}

long long nsgp_settle(long long (*fn)(const char *), const char *arg,
		      long long want, int ms)
{
	long long n = fn(arg);
	int i;

	for (i = 0; n != want && i < ms / 10; i++) {
		usleep(10000);
		n = fn(arg);
	}
	return n;
}

double nsgp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int nsgp_sleep_ms(int ms)
{
	struct timespec end;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	do
		err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL);
	while (err == EINTR);
	return -err;
}

uint32_t nsgp_rnd(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

int module_load(const char *ko_path, const char *params)
{
	int fd = open(ko_path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

int module_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

bool module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	return access(path, F_OK) == 0;
}

long long module_refcnt(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	return read_ll(path);
}

int pci_unbind(const char *pci)
{
	return write_str("/sys/bus/pci/drivers/i915/unbind", pci);
}

int pci_bind(const char *pci)
{
	int ret = write_str("/sys/bus/pci/drivers/i915/bind", pci);

	if (!ret)
		drm_nodes_open_to_all();
	return ret;
}

void drm_nodes_open_to_all(void)
{
	char path[64];
	int i;

	/* what udev does for render nodes on a real host */
	for (i = 128; i < 192; i++) {
		snprintf(path, sizeof(path), "/dev/dri/renderD%d", i);
		chmod(path, 0666);
	}
}

int open_render(const char *pci)
{
	char path[128], link[256], node[64];
	ssize_t n;
	int i, fd;

	for (i = 128; i < 192; i++) {
		snprintf(path, sizeof(path), "/sys/class/drm/renderD%d/device", i);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(strrchr(link, '/') + 1, pci))
			continue;
		snprintf(node, sizeof(node), "/dev/dri/renderD%d", i);
		fd = open(node, O_RDWR | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	return -ENOENT;
}

int nsgp_present(int fd, int drm_fd)
{
	struct nsgpuperf_gpu_present p = { .size = sizeof(p), .drm_fd = drm_fd };

	if (ioctl(fd, NSGPUPERF_IOC_PRESENT_GPU, &p))
		return -errno;
	return p.gpu_id;
}

int nsgp_present_all(int fd)
{
	char path[64];
	int i, n = 0, drm;

	for (i = 128; i < 192; i++) {
		snprintf(path, sizeof(path), "/dev/dri/renderD%d", i);
		drm = open(path, O_RDWR | O_CLOEXEC);
		if (drm < 0)
			continue;
		if (nsgp_present(fd, drm) >= 0)
			n++;
		close(drm);
	}
	return n;
}

int nsgp_open_raw(const char *path)
{
	int fd = open(path ? path : NSGP_DEV, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int nsgp_open(const char *path)
{
	int fd = nsgp_open_raw(path);

	if (fd >= 0)
		nsgp_present_all(fd);
	return fd;
}

int nsgp_count_gpus(int fd)
{
	struct nsgpuperf_gpu_list gl = {
		.size = sizeof(gl), .entry_size = sizeof(struct nsgpuperf_gpu_info),
	};

	if (ioctl(fd, NSGPUPERF_IOC_LIST_GPUS, &gl))
		return -errno;
	return gl.count;
}

int nsgp_find_gpu(int fd, const char *pci, struct nsgpuperf_gpu_info *info)
{
	struct nsgpuperf_gpu_info gpus[16];
	struct nsgpuperf_gpu_list gl = {
		.size = sizeof(gl), .count = 16, .entry_size = sizeof(gpus[0]),
		.gpus = (uintptr_t)gpus,
	};
	unsigned int i;

	if (ioctl(fd, NSGPUPERF_IOC_LIST_GPUS, &gl))
		return -errno;
	for (i = 0; i < gl.count && i < 16; i++) {
		if (strcmp(gpus[i].pci_addr, pci))
			continue;
		if (info)
			*info = gpus[i];
		return gpus[i].id;
	}
	return -ENODEV;
}

int nsgp_open_group(int fd, unsigned int gpu, const uint64_t *configs,
		    unsigned int n, uint64_t read_format, uint32_t flags,
		    uint64_t *ids)
{
	struct nsgpuperf_group_open go = {
		.size = sizeof(go), .flags = flags, .gpu_id = gpu, .nr_events = n,
		.read_format = read_format, .configs = (uintptr_t)configs,
		.ids = (uintptr_t)ids,
	};
	int gfd = ioctl(fd, NSGPUPERF_IOC_OPEN_GROUP, &go);

	if (gfd < 0)
		return -errno;
	if (go.fd != gfd)
		return -EPROTO;
	return gfd;
}

int nsgp_event_config(int fd, unsigned int gpu, const char *name,
		      uint64_t *config, char *unit, size_t unit_len)
{
	struct nsgpuperf_event_info evs[256];
	struct nsgpuperf_event_list el = {
		.size = sizeof(el), .gpu_id = gpu, .count = 256,
		.entry_size = sizeof(evs[0]), .events = (uintptr_t)evs,
	};
	unsigned int i;

	if (ioctl(fd, NSGPUPERF_IOC_LIST_EVENTS, &el))
		return -errno;
	for (i = 0; i < el.count && i < 256; i++) {
		if (strcmp(evs[i].name, name))
			continue;
		*config = evs[i].config;
		if (unit)
			snprintf(unit, unit_len, "%s", evs[i].unit);
		return 0;
	}
	return -ENOENT;
}

int nsgp_devnum(unsigned int *maj, unsigned int *min)
{
	FILE *f = fopen("/sys/class/nsgpuperf/nsgpuperf/dev", "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (fscanf(f, "%u:%u", maj, min) != 2)
		ret = -EINVAL;
	fclose(f);
	return ret;
}

int nsgp_mknod(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	unsigned int maj, min;
	int ret = nsgp_devnum(&maj, &min);

	if (ret)
		return ret;
	unlink(path);
	if (mknod(path, S_IFCHR | 0600, makedev(maj, min)) ||
	    chown(path, uid, gid) || chmod(path, mode))
		return -errno;
	return 0;
}

static int write_maps(pid_t pid, const char *map)
{
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	ret = write_str(path, map);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	return write_str(path, map);
}

/* unshare(CLONE_NEWUSER) in the child; the parent writes its maps. */
static int unshare_mapped_by_parent(int to_parent, int from_parent)
{
	char c = 0;

	if (unshare(CLONE_NEWUSER))
		return -errno;
	if (write(to_parent, &c, 1) != 1 || read(from_parent, &c, 1) != 1 || c != 'k')
		return -EPROTO;
	if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
		return -errno;
	return 0;
}

static int parent_writes_maps(pid_t child, const char *map, int from_child, int to_child)
{
	char c;
	int ret;

	if (read(from_child, &c, 1) != 1)
		return -EPROTO;
	ret = write_maps(child, map);
	c = ret ? 'x' : 'k';
	if (write(to_child, &c, 1) != 1)
		return -EPROTO;
	return ret;
}

static int wait_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Exit codes above 200 say which identity step failed in the child. */
static int child_steps(const struct as_user *who, int (*fn)(void *), void *arg,
		       int to_parent, int from_parent)
{
	char map[64];
	uid_t uid;
	gid_t gid;

	if (who->host_gid >= 0 && (setgroups(0, NULL) ||
				   setresgid(who->host_gid, who->host_gid, who->host_gid)))
		return 201;
	if (who->host_uid >= 0 && setresuid(who->host_uid, who->host_uid, who->host_uid))
		return 202;
	if (who->map && unshare_mapped_by_parent(to_parent, from_parent))
		return 203;
	/*
	 * Changing uids clears "dumpable", which makes /proc/self/{uid,gid}_map
	 * root-owned: keep them ours so that the next namespace can be mapped.
	 */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if (who->ns_uid >= 0 && (setgroups(0, NULL) ||
				 setresgid(who->ns_uid, who->ns_uid, who->ns_uid) ||
				 setresuid(who->ns_uid, who->ns_uid, who->ns_uid)))
		return 204;
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if (who->self_map) {
		uid = getuid();
		gid = getgid();
		if (unshare(CLONE_NEWUSER))
			return 205;
		write_str("/proc/self/setgroups", "deny");
		snprintf(map, sizeof(map), "0 %u 1", uid);
		if (write_str("/proc/self/uid_map", map))
			return 206;
		snprintf(map, sizeof(map), "0 %u 1", gid);
		if (write_str("/proc/self/gid_map", map))
			return 207;
	}
	if (who->nested_map) {
		int p2c[2], c2p[2];
		pid_t pid;

		if (pipe(p2c) || pipe(c2p))
			return 208;
		pid = fork();
		if (pid < 0)
			return 209;
		if (!pid) {
			if (unshare_mapped_by_parent(c2p[1], p2c[0]))
				_exit(210);
			_exit(fn(arg));
		}
		if (parent_writes_maps(pid, who->nested_map, c2p[0], p2c[1]))
			return 211;
		return wait_status(pid);
	}
	return fn(arg);
}

int run_as(const struct as_user *who, int (*fn)(void *), void *arg)
{
	int p2c[2], c2p[2], ret;
	pid_t pid;

	if (pipe(p2c) || pipe(c2p))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(child_steps(who, fn, arg, c2p[1], p2c[0]));
	if (who->map && parent_writes_maps(pid, who->map, c2p[0], p2c[1]))
		kill(pid, SIGKILL);
	ret = wait_status(pid);
	close(p2c[0]);
	close(p2c[1]);
	close(c2p[0]);
	close(c2p[1]);
	return ret;
}

int perf_pmu_type(const char *pmu_name)
{
	char path[160];

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", pmu_name);
	return (int)read_ll(path);
}

int perf_pmu_cpu(const char *pmu_name)
{
	char path[160];
	long long cpu;

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/cpumask", pmu_name);
	cpu = read_ll(path);
	return cpu < 0 ? 0 : (int)cpu;
}

int perf_open(int type, uint64_t config, int cpu, int group_fd, uint64_t read_format)
{
	struct perf_event_attr attr = {
		.type = type, .size = sizeof(attr), .config = config,
		.read_format = read_format,
	};
	int fd = syscall(SYS_perf_event_open, &attr, -1, cpu, group_fd, 0);

	return fd < 0 ? -errno : fd;
}
