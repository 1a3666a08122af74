/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers for per-cgroup usage: cgroups, DRM clients of the mock GPU
 * that add known busy time, and NSGPUPERF_IOC_CGROUP_USAGE replies.
 */
#ifndef NSGP_USAGE_H
#define NSGP_USAGE_H

#include <stdint.h>
#include <sys/types.h>

#define CG	"/sys/fs/cgroup"

struct usage {
	uint64_t render, copy, video, video_enhance;
	uint64_t scope_cgroup_id;
	unsigned int clients, status, classes;
	int err;
};

/* In a kselftest body: the call worked, with these clients and render ns. */
#define ASSERT_USAGE(u, nr_clients, render_ns) do {	\
	ASSERT_EQ(0, (u).err);				\
	ASSERT_EQ(nr_clients, (u).clients);		\
	ASSERT_EQ(render_ns, (u).render);		\
} while (0)

/* Move the calling process into a cgroup (path); 0 or -errno. */
int cg_enter(const char *cg);
/* The id of a cgroup v2 directory (its inode number), 0 on error. */
uint64_t cg_id(const char *cg);
/* The render node path of a GPU the session lists; 0 or -1. */
int render_node(int session, const char *pci, char *path, size_t len);
/* Usage of a GPU; cgroup_fd >= 0 narrows the scope to that cgroup. */
struct usage get_usage(int fd, int gpu);
struct usage get_usage_in(int fd, int gpu, int cgroup_fd);
/* Add busy time to the calling DRM client (the mock's ioctl). */
int add_busy(int drm, unsigned int cls, uint64_t ns);

/* A DRM client in a cgroup: opens a render node and adds busy time. */
struct client {
	pid_t pid;
	int go;		/* write end: a byte ends the client */
};

/*
 * A child process: setup(arg) (non-zero: the child exits with it, and
 * the client returned has pid -1), then, once the parent knows it is
 * ready, run(go, arg), whose return is the exit status.  go is the read
 * end of c.go: a byte on it ('q' from stop_client(), or commands of the
 * caller's own) tells it what to do.
 */
struct client client_spawn(int (*setup)(void *arg), int (*run)(int go, void *arg),
			   void *arg);
/* A run() that waits for stop_client(). */
int client_wait_stop(int go, void *arg);

struct client start_client(const char *cg, const char *node,
			   uint64_t render, uint64_t video);
/* End a client; its exit status or -1. */
int stop_client(struct client *c);

#endif
