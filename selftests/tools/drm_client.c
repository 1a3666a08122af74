// SPDX-License-Identifier: GPL-2.0
/*
 * drm-client: a DRM client of the mock GPU that has done known work, for
 * tests that run it inside a container (lxc-attach) where the selftests'
 * own helpers cannot fork into.
 *
 *   drm-client NODE RENDER_NS VIDEO_NS
 *
 * Opens the render node NODE, adds RENDER_NS and VIDEO_NS of busy time to
 * its render and video engines (the mock's ioctl), prints "ready", and
 * keeps the client open until a signal ends it (tests start it in the
 * background and kill it).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <i915_drm.h>

#include "mock_i915_uapi.h"

static int add_busy(int fd, unsigned int cls, unsigned long long ns)
{
	struct mock_i915_add_busy b = { .engine_class = cls, .busy_ns = ns };

	return ns ? ioctl(fd, DRM_IOCTL_MOCK_I915_ADD_BUSY, &b) : 0;
}

int main(int argc, char **argv)
{
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: drm-client NODE RENDER_NS VIDEO_NS\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (add_busy(fd, I915_ENGINE_CLASS_RENDER, strtoull(argv[2], NULL, 0)) ||
	    add_busy(fd, I915_ENGINE_CLASS_VIDEO, strtoull(argv[3], NULL, 0))) {
		perror("add busy");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
