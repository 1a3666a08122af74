// SPDX-License-Identifier: GPL-2.0
/*
 * A session's scope follows the container, as it sees itself:
 *
 * - usage: the root of the opener's cgroup namespace, whichever leaf of a
 *   systemd-style container the reader sits in (init.scope, a service,
 *   lxc-attach's .lxc); narrowed by a cgroup fd inside it, never outside;
 *   a container without a cgroup namespace falls back to its own cgroup,
 *   and never gets the host's root;
 * - clients are attributed to a process that holds them: a client whose
 *   opener (process or thread) is gone still counts where its holder is;
 * - GPUs: a session of a non-initial user namespace sees only the GPUs
 *   whose DRM node it presented, even with no device program at all.
 *
 * Each "container" is a process that the test (host root) puts in a
 * cgroup, optionally makes the root of a new cgroup namespace and of a new
 * mount namespace, then runs as root of a user namespace mapped 0->100000
 * with no host capability, opening the node made for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nsgp_test.h"
#include "nsgp_usage.h"

#define NODE		"/tmp/nsgpuperf-ct"
#define CT_ROOT		100000
#define CT1		CG "/ct1"
#define CT2		CG "/ct2"

static const struct as_user ct_root = { -1, -1, "0 100000 65536", -1, false, NULL };

/* What a container asks and what it saw. */
struct ct_spec {
	const char *enter;	/* cgroup to enter first (host root) */
	bool cgroupns;		/* make it the root of a new cgroup namespace */
	const char *leaf;	/* then move to this cgroup (may be NULL) */
	const char *only_node;	/* mount namespace whose /dev/dri has only this */
	bool raw;		/* open without presenting any GPU */
	const char *narrow;	/* path to open and pass as cgroup_fd */
	const char *pci;	/* GPU to ask usage for (default GPU0) */
};

struct ct_result {
	int err_open, err_version, ngpus, gpu, other_gpu;
	struct nsgpuperf_version v;
	struct usage u;
};

static struct ct_result *shared_result(void)
{
	void *p = mmap(NULL, sizeof(struct ct_result), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

struct ct_call {
	const struct ct_spec *spec;
	struct ct_result *res;
};

/* Runs as container root. */
static int ct_reader(void *arg)
{
	struct ct_call *call = arg;
	const struct ct_spec *spec = call->spec;
	struct ct_result *res = call->res;
	int fd, cgfd = -1;

	memset(res, 0, sizeof(*res));
	fd = spec->raw ? nsgp_open_raw(NODE) : nsgp_open(NODE);
	if (fd < 0) {
		res->err_open = -fd;
		return 0;
	}
	/* every field but the size is output: junk in must not come back */
	memset(&res->v, 0xa5, sizeof(res->v));
	res->v.size = sizeof(res->v);
	if (ioctl(fd, NSGPUPERF_IOC_VERSION, &res->v))
		res->err_version = errno;
	res->ngpus = nsgp_count_gpus(fd);
	res->gpu = nsgp_find_gpu(fd, spec->pci ? spec->pci : GPU0_PCI, NULL);
	res->other_gpu = nsgp_find_gpu(fd, spec->pci ? GPU0_PCI : GPU1_PCI, NULL);
	if (spec->narrow) {
		cgfd = open(spec->narrow, O_RDONLY | O_CLOEXEC);
		if (cgfd < 0)
			return 150;
	}
	if (res->gpu >= 0)
		res->u = get_usage_in(fd, res->gpu, cgfd);
	if (cgfd >= 0)
		close(cgfd);
	close(fd);
	return 0;
}

/* A mount namespace whose /dev/dri holds one node. */
static int only_one_drm_node(const char *node)
{
	const char *dir = "/tmp/ct-dri";
	char target[64];
	int fd;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	mkdir(dir, 0755);
	if (mount("tmpfs", dir, "tmpfs", 0, "mode=0755"))
		return -1;
	snprintf(target, sizeof(target), "%s/%s", dir, strrchr(node, '/') + 1);
	fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	close(fd);
	if (mount(node, target, NULL, MS_BIND, NULL) ||
	    mount(dir, "/dev/dri", NULL, MS_BIND | MS_REC, NULL))
		return -1;
	return 0;
}

/* Run a container reader; its result in *res, 0 or a failed step. */
static int run_ct(const struct ct_spec *spec, struct ct_result *res)
{
	struct ct_call call = { spec, res };
	int st;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (spec->enter && cg_enter(spec->enter))
			_exit(120);
		if (spec->cgroupns && unshare(CLONE_NEWCGROUP))
			_exit(121);
		if (spec->leaf && cg_enter(spec->leaf))
			_exit(122);
		if (spec->only_node && only_one_drm_node(spec->only_node))
			_exit(123);
		_exit(run_as(&ct_root, ct_reader, &call));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static const char * const ct_cgroups[] = {
	CT1, CT1 "/init.scope", CT1 "/.lxc", CT1 "/system.slice",
	CT1 "/system.slice/app.service", CT1 "/system.slice/mon.service",
	CT2, CT2 "/init.scope", CT2 "/.lxc",
};

FIXTURE(scope) {
	int fd, gpu0, gpu1;
	char node0[64], node1[64];
	struct ct_result *res;
};

FIXTURE_SETUP(scope)
{
	unsigned int i;

	self->fd = nsgp_open(NULL);
	ASSERT_GE(self->fd, 0);
	self->gpu0 = nsgp_find_gpu(self->fd, GPU0_PCI, NULL);
	self->gpu1 = nsgp_find_gpu(self->fd, GPU1_PCI, NULL);
	ASSERT_GE(self->gpu0, 0);
	ASSERT_GE(self->gpu1, 0);
	ASSERT_EQ(0, render_node(self->fd, GPU0_PCI, self->node0, sizeof(self->node0)));
	ASSERT_EQ(0, render_node(self->fd, GPU1_PCI, self->node1, sizeof(self->node1)));
	for (i = 0; i < sizeof(ct_cgroups) / sizeof(ct_cgroups[0]); i++)
		mkdir(ct_cgroups[i], 0755);
	ASSERT_EQ(0, nsgp_mknod(NODE, CT_ROOT, CT_ROOT, 0600));
	self->res = shared_result();
	ASSERT_NE(NULL, self->res);
	/* orphaned clients are reparented to us, to be reaped */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

FIXTURE_TEARDOWN(scope)
{
	int i;

	close(self->fd);
	unlink(NODE);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	for (i = sizeof(ct_cgroups) / sizeof(ct_cgroups[0]) - 1; i >= 0; i--)
		rmdir(ct_cgroups[i]);
	munmap(self->res, sizeof(*self->res));
}

TEST_F(scope, whole_container_from_any_leaf)
{
	static const char * const leaves[] = {
		CT1 "/.lxc", CT1 "/system.slice/mon.service", CT1 "/init.scope",
	};
	struct ct_spec spec = { .enter = CT1, .cgroupns = true };
	struct client init, app, other;
	unsigned int i;

	init = start_client(CT1 "/init.scope", self->node0, 1000, 0);
	app = start_client(CT1 "/system.slice/app.service", self->node0, 2000, 0);
	other = start_client(CT2 "/init.scope", self->node0, 40000, 0);
	ASSERT_GT(init.pid, 0);
	ASSERT_GT(app.pid, 0);
	ASSERT_GT(other.pid, 0);

	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		spec.leaf = leaves[i];
		ASSERT_EQ(0, run_ct(&spec, self->res));
		ASSERT_EQ(0, self->res->err_open);
		ASSERT_EQ(0, self->res->err_version);
		ASSERT_EQ(NSGPUPERF_SCOPE_CGROUP_NS, self->res->v.scope);
		ASSERT_STREQ("/", self->res->v.scope_path);
		ASSERT_EQ(cg_id(CT1), self->res->v.scope_cgroup_id);
		ASSERT_GE(self->res->gpu, 0);
		ASSERT_EQ(0, self->res->u.err);
		/* init's and the service's clients; never the sibling's */
		ASSERT_EQ(2, self->res->u.clients);
		ASSERT_EQ(3000, self->res->u.render);
		ASSERT_EQ(cg_id(CT1), self->res->u.scope_cgroup_id);
	}

	/* the sibling container sees only its own */
	spec.enter = CT2;
	spec.leaf = CT2 "/.lxc";
	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_EQ(1, self->res->u.clients);
	ASSERT_EQ(40000, self->res->u.render);

	stop_client(&init);
	stop_client(&app);
	stop_client(&other);
}

TEST_F(scope, narrow_inside_refuse_outside)
{
	struct ct_spec spec = {
		.enter = CT1, .cgroupns = true, .leaf = CT1 "/.lxc",
		.narrow = CT1 "/system.slice",
	};
	struct client init, app, other;

	init = start_client(CT1 "/init.scope", self->node0, 1000, 0);
	app = start_client(CT1 "/system.slice/app.service", self->node0, 2000, 0);
	other = start_client(CT2 "/init.scope", self->node0, 40000, 0);
	ASSERT_GT(init.pid, 0);
	ASSERT_GT(app.pid, 0);
	ASSERT_GT(other.pid, 0);

	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_USAGE(self->res->u, 1, 2000);
	ASSERT_EQ(cg_id(CT1 "/system.slice"), self->res->u.scope_cgroup_id);

	/* a cgroup outside the container */
	spec.narrow = CT2;
	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_EQ(EPERM, self->res->u.err);
	spec.narrow = CG;
	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_EQ(EPERM, self->res->u.err);
	/* not a cgroup */
	spec.narrow = "/dev/null";
	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_EQ(EBADF, self->res->u.err);

	stop_client(&init);
	stop_client(&app);
	stop_client(&other);
}

TEST_F(scope, no_cgroup_namespace_falls_back_to_own_cgroup)
{
	struct ct_spec spec = { .enter = CT1 "/system.slice/app.service" };
	struct client init, app;

	init = start_client(CT1 "/init.scope", self->node0, 1000, 0);
	app = start_client(CT1 "/system.slice/app.service", self->node0, 2000, 0);
	ASSERT_GT(init.pid, 0);
	ASSERT_GT(app.pid, 0);

	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_EQ(NSGPUPERF_SCOPE_OWN_CGROUP, self->res->v.scope);
	ASSERT_STREQ("/ct1/system.slice/app.service", self->res->v.scope_path);
	ASSERT_USAGE(self->res->u, 1, 2000);

	stop_client(&init);
	stop_client(&app);
}

TEST_F(scope, container_at_the_host_root_gets_no_usage)
{
	/* user namespace, no cgroup namespace, in the v2 root cgroup */
	struct ct_spec spec = { .enter = CG };
	struct client app;

	app = start_client(CT1 "/init.scope", self->node0, 1000, 0);
	ASSERT_GT(app.pid, 0);
	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_EQ(0, self->res->err_version);
	ASSERT_EQ(NSGPUPERF_SCOPE_NONE, self->res->v.scope);
	ASSERT_EQ(0, self->res->v.scope_cgroup_id);
	ASSERT_EQ(0, self->res->v.scope_flags);
	ASSERT_STREQ("", self->res->v.scope_path);
	ASSERT_GE(self->res->gpu, 0);
	ASSERT_EQ(ENODATA, self->res->u.err);
	stop_client(&app);
}

TEST_F(scope, host_root_scope_counts_every_client)
{
	struct nsgpuperf_version v = { .size = sizeof(v) };
	struct client a, b;
	struct usage u;

	a = start_client(CT1 "/init.scope", self->node0, 1000, 0);
	b = start_client(CT2 "/init.scope", self->node0, 40000, 0);
	ASSERT_GT(a.pid, 0);
	ASSERT_GT(b.pid, 0);
	ASSERT_EQ(0, ioctl(self->fd, NSGPUPERF_IOC_VERSION, &v));
	ASSERT_EQ(NSGPUPERF_SCOPE_CGROUP_NS, v.scope);
	ASSERT_STREQ("/", v.scope_path);
	ASSERT_EQ(cg_id(CG), v.scope_cgroup_id);
	ASSERT_FALSE(v.features & NSGPUPERF_FEAT_PRESENT_REQUIRED);
	u = get_usage(self->fd, self->gpu0);
	ASSERT_USAGE(u, 2, 41000);
	stop_client(&a);
	stop_client(&b);
}

TEST_F(scope, version_of_the_first_abi_still_works)
{
	struct nsgpuperf_version v;
	struct nsgpuperf_cgroup_usage u;

	memset(&v, 0xff, sizeof(v));
	v.size = NSGPUPERF_VERSION_SIZE_VER1;
	ASSERT_EQ(0, ioctl(self->fd, NSGPUPERF_IOC_VERSION, &v));
	ASSERT_EQ(NSGPUPERF_ABI_VERSION, v.abi_version);
	ASSERT_EQ(cg_id(CG), v.cgroup_id);
	/* nothing past the caller's struct is written */
	ASSERT_EQ(0xffffffffu, v.scope);
	v.size = NSGPUPERF_VERSION_SIZE_VER1 - 1;
	ASSERT_EQ(-1, ioctl(self->fd, NSGPUPERF_IOC_VERSION, &v));
	ASSERT_EQ(EINVAL, errno);

	memset(&u, 0, sizeof(u));
	u.size = NSGPUPERF_CGROUP_USAGE_SIZE_VER1;
	u.gpu_id = self->gpu0;
	u.cgroup_fd = -1;	/* past a v1 caller's struct: not read */
	ASSERT_EQ(0, ioctl(self->fd, NSGPUPERF_IOC_CGROUP_USAGE, &u));
}

TEST_F(scope, oversized_client_is_skipped_not_fatal)
{
	char pad[64];
	struct client big, small;
	struct usage u;

	/* about 100 KiB of fdinfo: more than the module reads for a client */
	snprintf(pad, sizeof(pad), "/sys/kernel/debug/mock_i915/%s/fdinfo_padding",
		 GPU0_PCI);
	ASSERT_EQ(0, write_str(pad, "4000"));
	big = start_client(CT1 "/init.scope", self->node0, 1000, 0);
	ASSERT_EQ(0, write_str(pad, "0"));
	small = start_client(CT1 "/init.scope", self->node0, 2000, 0);
	ASSERT_GT(big.pid, 0);
	ASSERT_GT(small.pid, 0);

	u = get_usage(self->fd, self->gpu0);
	ASSERT_USAGE(u, 1, 2000);
	/* what it could not read is not shown as zero */
	ASSERT_EQ(NSGPUPERF_USAGE_STATUS_INCOMPLETE, u.status);

	stop_client(&big);
	u = get_usage(self->fd, self->gpu0);
	ASSERT_EQ(0, u.err);
	ASSERT_EQ(0, u.status);
	stop_client(&small);
}

/* ---- GPU visibility fails closed ---- */

TEST_F(scope, userns_sees_only_the_gpu_it_holds)
{
	struct ct_spec spec = { .enter = CT1, .only_node = self->node0 };

	/* no device program anywhere: only what the container can open */
	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_EQ(0, self->res->err_open);
	ASSERT_TRUE(self->res->v.features & NSGPUPERF_FEAT_PRESENT_REQUIRED);
	ASSERT_EQ(1, self->res->ngpus);
	ASSERT_EQ(self->gpu0, self->res->gpu);
	ASSERT_EQ(-ENODEV, self->res->other_gpu);

	/* and the other way round */
	spec.only_node = self->node1;
	spec.pci = GPU1_PCI;
	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_EQ(1, self->res->ngpus);
	ASSERT_EQ(self->gpu1, self->res->gpu);
	ASSERT_EQ(-ENODEV, self->res->other_gpu);

	/* presenting nothing shows nothing */
	spec.only_node = NULL;
	spec.raw = true;
	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_EQ(0, self->res->ngpus);
	ASSERT_EQ(-ENODEV, self->res->gpu);
}

/* A GPU the session cannot name cannot be used by id either. */
struct unpresented {
	int gpu;
	const char *node;
};

static int use_unpresented(void *arg)
{
	struct unpresented *up = arg;
	int fd = nsgp_open_raw(NODE), drm;
	uint64_t cfg = CFG_RCS0_BUSY;
	struct usage u;

	if (fd < 0)
		return 100;
	if (nsgp_open_group(fd, up->gpu, &cfg, 1, 0, 0, NULL) != -ENODEV)
		return 101;
	u = get_usage(fd, up->gpu);
	if (u.err != ENODEV)
		return 102;
	drm = open(up->node, O_RDWR | O_CLOEXEC);
	if (drm < 0)
		return 103;
	if (nsgp_present(fd, drm) != up->gpu)
		return 104;
	close(drm);
	/* the proof stays after the DRM fd is closed */
	drm = nsgp_open_group(fd, up->gpu, &cfg, 1, 0, 0, NULL);
	if (drm < 0)
		return 105;
	close(drm);
	close(fd);
	return 0;
}

TEST_F(scope, unpresented_gpu_is_unusable_by_id)
{
	struct unpresented up = { self->gpu0, self->node0 };

	ASSERT_EQ(0, run_as(&ct_root, use_unpresented, &up));
}

TEST_F(scope, present_takes_only_a_gpu_node)
{
	struct nsgpuperf_gpu_present p = { .size = sizeof(p) };
	int p2[2], fd;

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(-ENODEV, nsgp_present(self->fd, fd));
	close(fd);
	ASSERT_EQ(0, pipe(p2));
	ASSERT_EQ(-ENODEV, nsgp_present(self->fd, p2[0]));
	close(p2[0]);
	close(p2[1]);
	ASSERT_EQ(-EBADF, nsgp_present(self->fd, -1));
	ASSERT_EQ(-EBADF, nsgp_present(self->fd, 9999));
	/* O_PATH opens no device: it proves nothing */
	fd = open(self->node0, O_PATH | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(-EBADF, nsgp_present(self->fd, fd));
	close(fd);
	/* the nsgpuperf node itself is no GPU */
	ASSERT_EQ(-ENODEV, nsgp_present(self->fd, self->fd));

	fd = open(self->node1, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(self->gpu1, nsgp_present(self->fd, fd));
	p.drm_fd = fd;
	p.flags = 1;
	ASSERT_EQ(-1, ioctl(self->fd, NSGPUPERF_IOC_PRESENT_GPU, &p));
	ASSERT_EQ(EINVAL, errno);
	close(fd);
}

/* Container side of the rebind test, driven through two pipes. */
struct rebind_call {
	int to_parent, from_parent;
};

static int rebind_reader(void *arg)
{
	struct rebind_call *rc = arg;
	int fd = nsgp_open(NODE);
	char step;

	if (fd < 0 || nsgp_find_gpu(fd, GPU0_PCI, NULL) < 0)
		return 100;
	if (write(rc->to_parent, "a", 1) != 1 || read(rc->from_parent, &step, 1) != 1)
		return 101;
	/* the GPU bound again: the old proof is void */
	if (nsgp_find_gpu(fd, GPU0_PCI, NULL) != -ENODEV)
		return 102;
	/* its node may have another minor now: present what is there */
	if (nsgp_present_all(fd) < 1)
		return 103;
	if (nsgp_find_gpu(fd, GPU0_PCI, NULL) < 0)
		return 104;
	close(fd);
	return 0;
}

TEST_F(scope, rebind_needs_a_new_present)
{
	struct rebind_call rc;
	int c2p[2], p2c[2], st;
	char step;
	pid_t pid;

	ASSERT_EQ(0, pipe(c2p));
	ASSERT_EQ(0, pipe(p2c));
	rc.to_parent = c2p[1];
	rc.from_parent = p2c[0];
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(run_as(&ct_root, rebind_reader, &rc));
	ASSERT_EQ(1, read(c2p[0], &step, 1));
	ASSERT_EQ(0, pci_unbind(GPU0_PCI));
	ASSERT_EQ(0, pci_bind(GPU0_PCI));
	ASSERT_EQ(1, write(p2c[1], "b", 1));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
}

/* ---- clients outlive their openers ---- */

struct thread_open {
	const char *node;
	uint64_t busy;
	int fd;
};

static void *thread_open_fn(void *arg)
{
	struct thread_open *to = arg;

	to->fd = open(to->node, O_RDWR | O_CLOEXEC);
	if (to->fd >= 0 && add_busy(to->fd, I915_ENGINE_CLASS_RENDER, to->busy)) {
		close(to->fd);
		to->fd = -1;
	}
	return NULL;
}

/* Open a DRM client from a thread that then exits; the fd stays. */
static int open_in_thread(const char *node, int *fd, uint64_t busy)
{
	struct thread_open to = { node, busy, -1 };
	pthread_t t;

	if (pthread_create(&t, NULL, thread_open_fn, &to) || pthread_join(t, NULL))
		return -1;
	*fd = to.fd;
	return to.fd < 0 ? -1 : 0;
}

/*
 * In cgroup @cg: open the render node, add @busy, hand the fd to a child
 * that keeps it (moving it to @holder_cg if given), then exit.  Returns
 * the holder's pid (reparented to us) and a pipe that ends it.
 */
static struct client orphan_client(const char *cg, const char *holder_cg,
				   const char *node, uint64_t busy, bool thread)
{
	struct client c = { -1, -1 };
	int p[2], go[2];
	pid_t opener;
	char ok;

	if (pipe(p) || pipe(go))
		return c;
	fflush(NULL);
	opener = fork();
	if (!opener) {
		pid_t holder;
		int drm;

		close(go[1]);
		if (cg_enter(cg))
			_exit(1);
		if (thread) {
			/* 6.1 names the opening thread, which exits now */
			drm = -1;
			if (open_in_thread(node, &drm, busy))
				_exit(2);
		} else {
			drm = open(node, O_RDWR | O_CLOEXEC);
			if (drm < 0 || add_busy(drm, I915_ENGINE_CLASS_RENDER, busy))
				_exit(2);
		}
		holder = fork();
		if (!holder) {
			if (holder_cg && cg_enter(holder_cg))
				_exit(3);
			if (write(p[1], "h", 1) != 1)
				_exit(4);
			if (read(go[0], &ok, 1) < 0)
				_exit(5);
			close(drm);
			_exit(0);
		}
		/* the opener goes; only the holder keeps the client */
		_exit(holder > 0 ? 0 : 6);
	}
	close(go[0]);
	close(p[1]);
	if (waitpid(opener, NULL, 0) != opener) {
		close(go[1]);
		return c;
	}
	if (read(p[0], &ok, 1) == 1)
		c.pid = 0;	/* a reparented grandchild: reaped by teardown */
	close(p[0]);
	c.go = go[1];
	return c;
}

static void end_orphan(struct client *c)
{
	if (write(c->go, "q", 1) != 1)
		return;
	close(c->go);
	/* give the holder time to close, then reap it */
	usleep(100000);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

TEST_F(scope, client_outlives_its_opener)
{
	struct ct_spec spec = { .enter = CT1, .cgroupns = true, .leaf = CT1 "/.lxc" };
	struct client c;
	struct usage u;

	c = orphan_client(CT1 "/init.scope", NULL, self->node0, 5000, false);
	ASSERT_EQ(0, c.pid);

	u = get_usage(self->fd, self->gpu0);
	ASSERT_USAGE(u, 1, 5000);
	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_USAGE(self->res->u, 1, 5000);
	end_orphan(&c);
}

TEST_F(scope, client_opened_by_a_thread_that_exited)
{
	struct ct_spec spec = { .enter = CT1, .cgroupns = true, .leaf = CT1 "/.lxc" };
	struct client c;

	c = orphan_client(CT1 "/init.scope", NULL, self->node0, 6000, true);
	ASSERT_EQ(0, c.pid);
	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_USAGE(self->res->u, 1, 6000);
	end_orphan(&c);
}

TEST_F(scope, orphan_counts_where_its_holder_is)
{
	struct ct_spec spec = { .enter = CT1, .cgroupns = true, .leaf = CT1 "/.lxc" };
	struct client c;
	struct usage u;

	/* opened in ct1, held by a process that moved to ct2 */
	c = orphan_client(CT1 "/init.scope", CT2 "/init.scope", self->node0,
			  7000, false);
	ASSERT_EQ(0, c.pid);
	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_USAGE(self->res->u, 0, 0);

	spec.enter = CT2;
	spec.leaf = CT2 "/.lxc";
	ASSERT_EQ(0, run_ct(&spec, self->res));
	ASSERT_EQ(1, self->res->u.clients);
	ASSERT_EQ(7000, self->res->u.render);

	u = get_usage(self->fd, self->gpu0);
	ASSERT_EQ(1, u.clients);
	ASSERT_EQ(7000, u.render);
	end_orphan(&c);
}

TEST_HARNESS_MAIN
