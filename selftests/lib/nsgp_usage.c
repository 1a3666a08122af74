// SPDX-License-Identifier: GPL-2.0
/* Test helpers for per-cgroup usage; see nsgp_usage.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsgp_test.h"
#include "nsgp_usage.h"
#include "mock_i915_uapi.h"

int cg_enter(const char *cg)
{
	char path[256], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return write_str(path, pid);
}

uint64_t cg_id(const char *cg)
{
	struct stat st;

	return stat(cg, &st) ? 0 : (uint64_t)st.st_ino;
}

int render_node(int session, const char *pci, char *path, size_t len)
{
	struct nsgpuperf_gpu_info info;

	if (nsgp_find_gpu(session, pci, &info) < 0)
		return -1;
	snprintf(path, len, "/dev/dri/renderD%d", info.render_minor);
	return 0;
}

struct usage get_usage_in(int fd, int gpu, int cgroup_fd)
{
	struct nsgpuperf_engine_usage eu[8];
	struct nsgpuperf_cgroup_usage u = {
		.size = sizeof(u), .gpu_id = gpu, .count = 8,
		.entry_size = sizeof(eu[0]), .classes = (uintptr_t)eu,
	};
	struct usage r = { 0 };
	unsigned int i;

	if (cgroup_fd >= 0) {
		u.flags = NSGPUPERF_USAGE_CGROUP_FD;
		u.cgroup_fd = cgroup_fd;
	}
	memset(eu, 0, sizeof(eu));
	if (ioctl(fd, NSGPUPERF_IOC_CGROUP_USAGE, &u)) {
		r.err = errno;
		return r;
	}
	r.clients = u.nr_clients;
	r.status = u.status;
	r.classes = u.count;
	r.scope_cgroup_id = u.scope_cgroup_id;
	for (i = 0; i < u.count && i < 8; i++) {
		if (!strcmp(eu[i].class_name, "render"))
			r.render = eu[i].busy_ns;
		else if (!strcmp(eu[i].class_name, "copy"))
			r.copy = eu[i].busy_ns;
		else if (!strcmp(eu[i].class_name, "video"))
			r.video = eu[i].busy_ns;
		else if (!strcmp(eu[i].class_name, "video-enhance"))
			r.video_enhance = eu[i].busy_ns;
	}
	return r;
}

struct usage get_usage(int fd, int gpu)
{
	return get_usage_in(fd, gpu, -1);
}

int add_busy(int drm, unsigned int cls, uint64_t ns)
{
	struct mock_i915_add_busy b = { .engine_class = cls, .busy_ns = ns };

	return ioctl(drm, DRM_IOCTL_MOCK_I915_ADD_BUSY, &b);
}

struct client client_spawn(int (*setup)(void *arg), int (*run)(int go, void *arg),
			   void *arg)
{
	struct client c = { -1, -1 };
	int ready[2], go[2];
	char ok;

	if (pipe(ready))
		return c;
	if (pipe(go)) {
		close(ready[0]);
		close(ready[1]);
		return c;
	}
	fflush(NULL);
	c.pid = fork();
	if (!c.pid) {
		int ret;

		close(go[1]);
		close(ready[0]);
		ret = setup(arg);
		if (ret)
			_exit(ret);
		if (write(ready[1], "r", 1) != 1)
			_exit(126);
		close(ready[1]);
		_exit(run(go[0], arg));
	}
	close(ready[1]);
	close(go[0]);
	if (c.pid < 0 || read(ready[0], &ok, 1) != 1) {
		if (c.pid > 0)
			waitpid(c.pid, NULL, 0);
		c.pid = -1;
		close(go[1]);
	} else {
		c.go = go[1];
	}
	close(ready[0]);
	return c;
}

int client_wait_stop(int go, void *arg)
{
	char ch;

	(void)arg;
	return read(go, &ch, 1) < 0;
}

struct busy_client {
	const char *cg, *node;
	uint64_t render, video;
};

static int busy_client_setup(void *arg)
{
	const struct busy_client *b = arg;
	int drm;

	if (cg_enter(b->cg))
		return 1;
	drm = open(b->node, O_RDWR | O_CLOEXEC);
	if (drm < 0 || add_busy(drm, I915_ENGINE_CLASS_RENDER, b->render) ||
	    add_busy(drm, I915_ENGINE_CLASS_VIDEO, b->video))
		return 2;
	return 0;	/* the DRM client lives as long as the process */
}

struct client start_client(const char *cg, const char *node,
			   uint64_t render, uint64_t video)
{
	struct busy_client b = { cg, node, render, video };

	return client_spawn(busy_client_setup, client_wait_stop, &b);
}

int stop_client(struct client *c)
{
	int st;

	if (c->pid <= 0)
		return -1;
	/* a byte, not EOF: clients forked later hold copies of this pipe */
	if (write(c->go, "q", 1) != 1)
		return -1;
	close(c->go);
	if (waitpid(c->pid, &st, 0) != c->pid)
		return -1;
	c->pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
