// SPDX-License-Identifier: GPL-2.0
/*
 * The device's ioctls, shared by the session code and the perf_event_open
 * shim: see ngp_device.h for why nothing here allocates or locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ngp_device.h"

const char *ngp_device_path(const char *path)
{
	if (!path || !*path)
		path = getenv(NGP_DEVICE_ENV);
	if (!path || !*path)
		path = NGP_DEFAULT_DEVICE;
	return path;
}

int ngp_device_open(const char *path)
{
	/* read access is all it needs: a read-only bind mount works */
	int fd = open(ngp_device_path(path), O_RDONLY | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? -errno : fd;
}

int ngp_device_version(int fd, struct nsgpuperf_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return ioctl(fd, NSGPUPERF_IOC_VERSION, v) ? -errno : 0;
}

int ngp_device_present(int fd, int drm_fd)
{
	struct nsgpuperf_gpu_present p = { .size = sizeof(p), .drm_fd = drm_fd };

	return ioctl(fd, NSGPUPERF_IOC_PRESENT_GPU, &p) ? -errno : (int)p.gpu_id;
}

int ngp_device_present_render_nodes(int fd)
{
	char path[] = "/dev/dri/renderD000";
	char *digits = path + sizeof(path) - 4;
	int minor, drm, taken = 0;

	for (minor = NGP_RENDER_MINOR_FIRST; minor <= NGP_RENDER_MINOR_LAST; minor++) {
		digits[0] = '0' + minor / 100;
		digits[1] = '0' + minor / 10 % 10;
		digits[2] = '0' + minor % 10;
		drm = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (drm < 0)
			continue;
		if (ngp_device_present(fd, drm) >= 0)
			taken++;
		close(drm);
	}
	return taken;
}

int ngp_device_list_gpus(int fd, struct nsgpuperf_gpu_info *gpus,
			 unsigned int room)
{
	struct nsgpuperf_gpu_list list = {
		.size = sizeof(list),
		.count = room,
		.entry_size = sizeof(gpus[0]),
		.gpus = (uintptr_t)gpus,
	};

	if (room)
		memset(gpus, 0, room * sizeof(gpus[0]));
	return ioctl(fd, NSGPUPERF_IOC_LIST_GPUS, &list) ? -errno : (int)list.count;
}
