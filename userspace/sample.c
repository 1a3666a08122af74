// SPDX-License-Identifier: GPL-2.0
/*
 * nsgpuperf-sample: the smallest useful reader of /dev/nsgpuperf.
 *
 * Lists the GPUs in scope, opens one counter group (frequency, interrupts,
 * RC6 and every engine's busy time) on the first GPU (or -g ID), and prints
 * one line of rates per period, computed the way intel_gpu_top does:
 * frequency = delta(count) / delta(t), percentages = delta(ns) / delta(t).
 * The full reader (`nsgpuperf`) replaces this; it stays as an API example.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/nsgpuperf.h>

#define MAX_GPUS 16

struct sample_event {
	char name[NSGPUPERF_NAME_LEN];
	uint64_t config;
	int is_busy;
};

static const char *const wanted[] = {
	"actual-frequency", "requested-frequency", "interrupts", "rc6-residency",
};

static int open_device(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		fprintf(stderr,
			"%s: no such node. Is the module loaded (modprobe nsgpuperf) and the node passed into this container?\n",
			path);
	else if (errno == EPERM || errno == EACCES)
		fprintf(stderr,
			"%s: permission denied. The caller needs CAP_PERFMON in its user namespace and the node must be owned by a uid/gid mapped in it (the host log names the rule that failed).\n",
			path);
	else
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
	return -1;
}

/*
 * Show the session every GPU this process can open (its render nodes):
 * a container sees a GPU's counters only once it proved it holds the GPU.
 */
static void present_gpus(int fd)
{
	char node[32];
	int minor, drm;

	for (minor = 128; minor < 192; minor++) {
		struct nsgpuperf_gpu_present p = { .size = sizeof(p) };

		snprintf(node, sizeof(node), "/dev/dri/renderD%d", minor);
		drm = open(node, O_RDWR | O_CLOEXEC);
		if (drm < 0)
			continue;
		p.drm_fd = drm;
		ioctl(fd, NSGPUPERF_IOC_PRESENT_GPU, &p);
		close(drm);
	}
}

static int want_event(const struct nsgpuperf_event_info *ev)
{
	size_t i, n = strlen(ev->name);

	for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		if (!strcmp(ev->name, wanted[i]))
			return 1;
	return n > 5 && !strcmp(ev->name + n - 5, "-busy");
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *path = getenv("NSGPUPERF_DEV");
	struct nsgpuperf_gpu_info gpus[MAX_GPUS];
	struct nsgpuperf_event_info *evs;
	struct sample_event sel[NSGPUPERF_MAX_GROUP_EVENTS];
	uint64_t configs[NSGPUPERF_MAX_GROUP_EVENTS];
	uint64_t prev[2 + NSGPUPERF_MAX_GROUP_EVENTS], cur[2 + NSGPUPERF_MAX_GROUP_EVENTS];
	unsigned int samples = 5, period_ms = 1000, gpu_id = ~0u, i, nsel = 0;
	int opt, fd, gfd;

	while ((opt = getopt(argc, argv, "n:s:g:")) != -1) {
		switch (opt) {
		case 'n':
			samples = strtoul(optarg, NULL, 0);
			break;
		case 's':
			period_ms = strtoul(optarg, NULL, 0);
			break;
		case 'g':
			gpu_id = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-n samples] [-s period_ms] [-g gpu_id]\n", argv[0]);
			return 2;
		}
	}

	if (!path)
		path = "/dev/nsgpuperf";
	fd = open_device(path);
	if (fd < 0)
		return 1;

	struct nsgpuperf_version ver = { .size = sizeof(ver) };

	if (ioctl(fd, NSGPUPERF_IOC_VERSION, &ver)) {
		perror("NSGPUPERF_IOC_VERSION");
		return 1;
	}
	printf("nsgpuperf ABI %u, scope %s (cgroup id %llu), device counters %s\n",
	       ver.abi_version, ver.scope == NSGPUPERF_SCOPE_NONE ? "none" : ver.scope_path,
	       (unsigned long long)ver.scope_cgroup_id,
	       ver.features & NSGPUPERF_FEAT_DEVICE_COUNTERS ? "allowed" : "off by host policy");
	present_gpus(fd);

	struct nsgpuperf_gpu_list gl = {
		.size = sizeof(gl), .count = MAX_GPUS, .entry_size = sizeof(gpus[0]),
		.gpus = (uintptr_t)gpus,
	};

	if (ioctl(fd, NSGPUPERF_IOC_LIST_GPUS, &gl)) {
		perror("NSGPUPERF_IOC_LIST_GPUS");
		return 1;
	}
	if (!gl.count) {
		fprintf(stderr, "no GPU in scope (none bound, none of its render nodes can be opened here, or the device cgroup allows none)\n");
		return 1;
	}
	for (i = 0; i < gl.count && i < MAX_GPUS; i++) {
		printf("gpu %u: %s driver %s pmu %s renderD%d%s\n", gpus[i].id, gpus[i].pci_addr,
		       gpus[i].driver, gpus[i].pmu_name, gpus[i].render_minor,
		       gpus[i].flags & NSGPUPERF_GPU_BOUND ? "" : " (unbound)");
		if (gpu_id == ~0u)
			gpu_id = gpus[i].id;
	}

	struct nsgpuperf_event_list el = {
		.size = sizeof(el), .gpu_id = gpu_id, .entry_size = sizeof(*evs),
	};

	if (ioctl(fd, NSGPUPERF_IOC_LIST_EVENTS, &el)) {
		perror("NSGPUPERF_IOC_LIST_EVENTS");
		return 1;
	}
	evs = calloc(el.count, sizeof(*evs));
	if (!evs)
		return 1;
	el.events = (uintptr_t)evs;
	if (ioctl(fd, NSGPUPERF_IOC_LIST_EVENTS, &el)) {
		perror("NSGPUPERF_IOC_LIST_EVENTS");
		return 1;
	}
	for (i = 0; i < el.count && nsel < NSGPUPERF_MAX_GROUP_EVENTS; i++) {
		if (!want_event(&evs[i]))
			continue;
		snprintf(sel[nsel].name, sizeof(sel[nsel].name), "%s", evs[i].name);
		sel[nsel].config = evs[i].config;
		sel[nsel].is_busy = !strcmp(evs[i].unit, "ns") && strstr(evs[i].name, "-busy");
		configs[nsel++] = evs[i].config;
	}

	struct nsgpuperf_group_open go = {
		.size = sizeof(go), .gpu_id = gpu_id, .nr_events = nsel,
		.configs = (uintptr_t)configs,
	};

	gfd = ioctl(fd, NSGPUPERF_IOC_OPEN_GROUP, &go);
	if (gfd < 0) {
		perror("NSGPUPERF_IOC_OPEN_GROUP");
		return 1;
	}
	close(fd); /* the group fd is all we need from here */

	size_t len = (2 + nsel) * sizeof(uint64_t);
	double t_prev = now_ns(), t_cur;

	if (read(gfd, prev, len) != (ssize_t)len) {
		perror("read");
		return 1;
	}
	for (unsigned int s = 0; s < samples; s++) {
		usleep(period_ms * 1000);
		if (read(gfd, cur, len) != (ssize_t)len) {
			perror("read");
			return 1;
		}
		t_cur = now_ns();
		/* time_enabled (cur[1]) is the kernel's clock for the group */
		double dt = (double)(cur[1] - prev[1]);

		if (dt <= 0)
			dt = t_cur - t_prev;
		printf("gpu %u:", gpu_id);
		for (i = 0; i < nsel; i++) {
			double d = (double)(cur[2 + i] - prev[2 + i]);

			if (sel[i].is_busy || !strcmp(sel[i].name, "rc6-residency"))
				printf(" %s %.1f%%", sel[i].name, d / dt * 100.0);
			else if (!strcmp(sel[i].name, "interrupts"))
				printf(" irq/s %.0f", d / (dt / 1e9));
			else
				printf(" %s %.0f MHz", sel[i].name, d / (dt / 1e9));
		}
		printf("\n");
		fflush(stdout);
		memcpy(prev, cur, len);
		t_prev = t_cur;
	}
	close(gfd);
	free(evs);
	return 0;
}
