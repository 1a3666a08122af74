// SPDX-License-Identifier: GPL-2.0
/*
 * Scope of a session: GPUs follow the opener's device cgroup (v1 devices
 * rules and v2 BPF device programs), and per-cgroup usage sums the DRM
 * clients whose task is in the opener's cgroup subtree.
 *
 * Clients are child processes placed in cgroups A, A/child and B that open
 * the mock GPUs' render nodes and add known busy time to their own DRM
 * client through the mock's ioctl, then wait until told to exit.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "kselftest_harness.h"
#include "nsgp_test.h"
#include "nsgp_usage.h"

#define DEVCG	"/tmp/devcg"

/*
 * Open a session as a container rooted at a cgroup would: fork, enter the
 * cgroup, make it the root of a new cgroup namespace, open, pass back.
 */
struct session_req {
	const char *cg;
	int gpu;
	struct usage u;
	int move_to_root_after_open;
};

static int usage_from(void *arg)
{
	struct session_req *req = arg;
	int fd;

	/* a container rooted at req->cg: the session's scope is its cgroupns */
	if (cg_enter(req->cg) || unshare(CLONE_NEWCGROUP))
		return 200;
	fd = nsgp_open(NULL);
	if (fd < 0)
		return 201;
	if (req->move_to_root_after_open && cg_enter(CG))
		return 202;
	req->u = get_usage(fd, req->gpu);
	close(fd);
	return 0;
}

/* run usage_from in a child and bring the result back through a pipe */
static struct usage usage_in(const char *cg, int gpu, int move)
{
	struct session_req req = { .cg = cg, .gpu = gpu, .move_to_root_after_open = move };
	struct usage u = { .err = -1 };
	int p[2], st;
	pid_t pid;

	if (pipe(p))
		return u;
	pid = fork();
	if (!pid) {
		int rc = usage_from(&req);

		if (write(p[1], &req.u, sizeof(req.u)) != sizeof(req.u))
			_exit(99);
		_exit(rc);
	}
	close(p[1]);
	if (read(p[0], &u, sizeof(u)) != sizeof(u))
		u.err = -2;
	close(p[0]);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		u.err = 1000 + (WIFEXITED(st) ? WEXITSTATUS(st) : 0);
	return u;
}

FIXTURE(cgroups) {
	int fd, gpu0, gpu1;
	char node0[64], node1[64];
};

FIXTURE_SETUP(cgroups)
{
	self->fd = nsgp_open(NULL);
	ASSERT_GE(self->fd, 0);
	self->gpu0 = nsgp_find_gpu(self->fd, GPU0_PCI, NULL);
	self->gpu1 = nsgp_find_gpu(self->fd, GPU1_PCI, NULL);
	ASSERT_GE(self->gpu0, 0);
	ASSERT_GE(self->gpu1, 0);
	ASSERT_EQ(0, render_node(self->fd, GPU0_PCI, self->node0, sizeof(self->node0)));
	ASSERT_EQ(0, render_node(self->fd, GPU1_PCI, self->node1, sizeof(self->node1)));
	mkdir(CG "/A", 0755);
	mkdir(CG "/A/child", 0755);
	mkdir(CG "/B", 0755);
}

FIXTURE_TEARDOWN(cgroups)
{
	close(self->fd);
	rmdir(CG "/A/child");
	rmdir(CG "/A");
	rmdir(CG "/B");
}

TEST_F(cgroups, usage_sums_the_subtree)
{
	struct client a, ac, b, b1;
	struct usage u;

	a = start_client(CG "/A", self->node0, 1000, 10);
	ac = start_client(CG "/A/child", self->node0, 200, 20);
	b = start_client(CG "/B", self->node0, 30000, 0);
	b1 = start_client(CG "/B", self->node1, 5, 5);	/* other GPU */
	ASSERT_GT(a.pid, 0);
	ASSERT_GT(ac.pid, 0);
	ASSERT_GT(b.pid, 0);
	ASSERT_GT(b1.pid, 0);

	u = usage_in(CG "/A", self->gpu0, 0);
	ASSERT_USAGE(u, 2, 1200);
	ASSERT_EQ(30, u.video);
	ASSERT_EQ(0, u.copy);
	ASSERT_EQ(0, u.status);

	u = usage_in(CG "/A/child", self->gpu0, 0);
	ASSERT_USAGE(u, 1, 200);

	u = usage_in(CG "/B", self->gpu0, 0);
	ASSERT_USAGE(u, 1, 30000);
	ASSERT_EQ(0, u.video);

	u = usage_in(CG "/B", self->gpu1, 0);
	ASSERT_USAGE(u, 1, 5);

	/* the root cgroup sees every client */
	u = get_usage(self->fd, self->gpu0);
	ASSERT_USAGE(u, 3, 31200);

	/* a client that closes its fd drops out */
	ASSERT_EQ(0, stop_client(&ac));
	u = usage_in(CG "/A", self->gpu0, 0);
	ASSERT_EQ(1, u.clients);
	ASSERT_EQ(1000, u.render);

	ASSERT_EQ(0, stop_client(&a));
	ASSERT_EQ(0, stop_client(&b));
	ASSERT_EQ(0, stop_client(&b1));
	u = usage_in(CG "/A", self->gpu0, 0);
	ASSERT_EQ(0, u.err);
	ASSERT_EQ(0, u.clients);
}

TEST_F(cgroups, scope_is_captured_at_open)
{
	struct client a, b;
	struct usage u;

	a = start_client(CG "/A", self->node0, 400, 0);
	b = start_client(CG "/B", self->node0, 7000, 0);
	ASSERT_GT(a.pid, 0);
	ASSERT_GT(b.pid, 0);
	/* opened in A, then moved to the root: still A's view */
	u = usage_in(CG "/A", self->gpu0, 1);
	ASSERT_USAGE(u, 1, 400);
	stop_client(&a);
	stop_client(&b);
}

TEST_F(cgroups, usage_never_decreases_for_a_session)
{
	struct client a;
	struct usage u1, u2;
	int fd;

	a = start_client(CG "/A", self->node0, 900, 0);
	ASSERT_GT(a.pid, 0);
	fd = nsgp_open(NULL);	/* root cgroup session */
	ASSERT_GE(fd, 0);
	u1 = get_usage(fd, self->gpu0);
	ASSERT_EQ(900, u1.render);
	/* the client goes: its busy time leaves the sum, but this session
	 * must not see the total step back */
	stop_client(&a);
	u2 = get_usage(fd, self->gpu0);
	ASSERT_EQ(0, u2.err);
	ASSERT_EQ(0, u2.clients);
	ASSERT_GE(u2.render, u1.render);
	close(fd);
}

TEST_F(cgroups, client_exit_and_unbind_during_usage_calls)
{
	struct client c[8];
	struct usage u;
	int i, fd, k;
	pid_t spinner;

	for (i = 0; i < 8; i++) {
		c[i] = start_client(CG "/A", self->node1, 10, 0);
		ASSERT_GT(c[i].pid, 0);
	}
	spinner = fork();
	if (!spinner) {
		int s = nsgp_open(NULL);

		for (;;)
			get_usage(s, self->gpu1);
	}
	for (i = 0; i < 8; i++) {
		stop_client(&c[i]);
		fd = nsgp_open(NULL);
		u = get_usage(fd, self->gpu1);
		ASSERT_EQ(0, u.err);
		ASSERT_EQ(7 - i, (int)u.clients);
		close(fd);
	}
	for (k = 0; k < 3; k++) {
		ASSERT_EQ(0, pci_unbind(GPU1_PCI));
		u = get_usage(self->fd, self->gpu1);
		ASSERT_EQ(ENODEV, u.err);
		ASSERT_EQ(0, pci_bind(GPU1_PCI));
	}
	kill(spinner, SIGKILL);
	waitpid(spinner, NULL, 0);
	u = get_usage(self->fd, self->gpu1);
	ASSERT_EQ(0, u.err);
}

/* i915 before 6.5 prints no drm-engine-* lines with GuC submission */
static bool guc_hides_usage(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major < 6 || (major == 6 && minor < 5);
}

TEST_F(cgroups, guc_mode_is_reported_incomplete_not_zero)
{
	struct client a;
	struct usage u;

	ASSERT_EQ(0, write_str("/sys/kernel/debug/mock_i915/" GPU0_PCI "/guc", "1"));
	a = start_client(CG "/A", self->node0, 5000, 0);
	ASSERT_GT(a.pid, 0);
	u = usage_in(CG "/A", self->gpu0, 0);
	write_str("/sys/kernel/debug/mock_i915/" GPU0_PCI "/guc", "0");
	stop_client(&a);
	ASSERT_EQ(0, u.err);
	ASSERT_EQ(1, u.clients);
	if (guc_hides_usage()) {
		/* unavailable: flagged, never shown as a plain zero */
		ASSERT_EQ(NSGPUPERF_USAGE_STATUS_INCOMPLETE, u.status);
		ASSERT_EQ(0, u.classes);
	} else {
		ASSERT_EQ(0, u.status);
		ASSERT_EQ(5000, u.render);
	}
}

/* ---- device cgroup: v1 devices controller ---- */

static int list_in_v1_devcg(void *arg)
{
	int *gpus = arg, fd = nsgp_open(NULL);

	(void)gpus;
	if (fd < 0)
		return 100;
	return nsgp_count_gpus(fd) * 10 +
	       (nsgp_find_gpu(fd, GPU1_PCI, NULL) == -ENODEV);
}

TEST_F(cgroups, v1_devices_rules_limit_gpus)
{
	struct nsgpuperf_gpu_info g0;
	char rule[64];
	unsigned int maj, min;
	int st, ret;
	pid_t pid;

	mkdir(DEVCG, 0755);
	if (mount("devices", DEVCG, "cgroup", 0, "devices") && errno != EBUSY)
		ASSERT_EQ(0, errno);
	mkdir(DEVCG "/ct", 0755);
	ASSERT_GE(nsgp_find_gpu(self->fd, GPU0_PCI, &g0), 0);
	ASSERT_EQ(0, nsgp_devnum(&maj, &min));
	ASSERT_EQ(0, write_str(DEVCG "/ct/devices.deny", "a"));
	snprintf(rule, sizeof(rule), "c %u:%u rw", maj, min);
	ASSERT_EQ(0, write_str(DEVCG "/ct/devices.allow", rule));
	snprintf(rule, sizeof(rule), "c 226:%d rw", g0.render_minor);
	ASSERT_EQ(0, write_str(DEVCG "/ct/devices.allow", rule));

	pid = fork();
	if (!pid) {
		if (cg_enter(DEVCG "/ct"))
			_exit(99);
		_exit(list_in_v1_devcg(NULL));
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ret = WEXITSTATUS(st);
	/* one GPU listed, and naming the other gives ENODEV */
	ASSERT_EQ(11, ret);
	rmdir(DEVCG "/ct");
	umount(DEVCG);
}

/* ---- device cgroup: v2 BPF device program, as LXC generates ---- */

static int load_devcg_prog(unsigned int nsgp_major, unsigned int render_minor)
{
	struct bpf_insn prog[] = {
		/* r2 = access_type & 0xffff (device type), r3 = major, r4 = minor */
		{ .code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 2, .src_reg = 1, .off = 0 },
		{ .code = BPF_ALU64 | BPF_AND | BPF_K, .dst_reg = 2, .imm = 0xffff },
		{ .code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 3, .src_reg = 1, .off = 4 },
		{ .code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = 4, .src_reg = 1, .off = 8 },
		/* not a char device: deny */
		{ .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 2, .off = 4,
		  .imm = BPF_DEVCG_DEV_CHAR },
		/* the nsgpuperf node's major: allow */
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 3, .off = 5,
		  .imm = nsgp_major },
		/* 226:<render_minor>: allow */
		{ .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = 3, .off = 2, .imm = 226 },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 4, .off = 3,
		  .imm = render_minor },
		{ .code = BPF_JMP | BPF_JA, .off = 0 },
		/* deny: */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
		/* allow: */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uintptr_t)prog;
	attr.insn_cnt = sizeof(prog) / sizeof(prog[0]);
	attr.license = (uintptr_t)"GPL";
	return syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

TEST_F(cgroups, v2_bpf_device_program_limits_gpus)
{
	struct nsgpuperf_gpu_info g0;
	union bpf_attr attr;
	unsigned int maj, min;
	int prog, cgfd, st;
	pid_t pid;

	ASSERT_GE(nsgp_find_gpu(self->fd, GPU0_PCI, &g0), 0);
	ASSERT_EQ(0, nsgp_devnum(&maj, &min));
	prog = load_devcg_prog(maj, g0.render_minor);
	ASSERT_GE(prog, 0);
	cgfd = open(CG "/B", O_RDONLY | O_DIRECTORY);
	ASSERT_GE(cgfd, 0);
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = cgfd;
	attr.attach_bpf_fd = prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	ASSERT_EQ(0, syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)));

	pid = fork();
	if (!pid) {
		if (cg_enter(CG "/B"))
			_exit(99);
		_exit(list_in_v1_devcg(NULL));
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(11, WEXITSTATUS(st));

	/* the program also blocks opening the other GPU's render node */
	pid = fork();
	if (!pid) {
		char node[64];

		if (cg_enter(CG "/B"))
			_exit(99);
		snprintf(node, sizeof(node), "%s", self->node1);
		_exit(open(node, O_RDWR) < 0 ? errno : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(EPERM, WEXITSTATUS(st));

	ASSERT_EQ(0, syscall(SYS_bpf, BPF_PROG_DETACH, &attr, sizeof(attr)));
	close(cgfd);
	close(prog);
}

TEST_HARNESS_MAIN
