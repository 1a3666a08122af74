// SPDX-License-Identifier: GPL-2.0
/*
 * Host policy: the module parameters, changed at run time through
 * /sys/module/nsgpuperf/parameters, and their effect on sessions of the
 * initial user namespace and of a container's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nsgp_test.h"

#define PARAM(name)	"/sys/module/nsgpuperf/parameters/" name
#define NODE		"/tmp/nsgpuperf-policy"

static const struct as_user ct_root = { -1, -1, "0 100000 65536", -1, false, NULL };

/* In a container: 0 if a group opens, else its errno (+ features << 8). */
static int ct_open_group(void *unused)
{
	struct nsgpuperf_version v = { .size = sizeof(v) };
	uint64_t cfg = CFG_RCS0_BUSY;
	int fd = nsgp_open(NODE), gpu, g;

	(void)unused;
	if (fd < 0)
		return 100;
	if (ioctl(fd, NSGPUPERF_IOC_VERSION, &v))
		return 101;
	gpu = nsgp_find_gpu(fd, GPU0_PCI, NULL);
	if (gpu < 0)
		return 102;
	g = nsgp_open_group(fd, gpu, &cfg, 1, 0, 0, NULL);
	if (g >= 0)
		close(g);
	return (g < 0 ? -g : 0) | (int)(v.features & NSGPUPERF_FEAT_DEVICE_COUNTERS) << 7;
}

FIXTURE(policy) {
	int unused;
};

FIXTURE_SETUP(policy)
{
	ASSERT_EQ(0, nsgp_mknod(NODE, 100000, 100000, 0600));
}

FIXTURE_TEARDOWN(policy)
{
	write_str(PARAM("device_counters"), "Y");
	write_str(PARAM("max_groups_per_container"), "64");
	write_str(PARAM("cgroup_usage"), "Y");
	unlink(NODE);
}

TEST_F(policy, defaults_are_documented_values)
{
	char buf[16] = { 0 };
	int fd = open(PARAM("device_counters"), O_RDONLY);

	ASSERT_GE(fd, 0);
	ASSERT_GT(read(fd, buf, sizeof(buf) - 1), 0);
	close(fd);
	ASSERT_EQ('Y', buf[0]);
	ASSERT_EQ(64, read_ll(PARAM("max_groups_per_container")));
}

TEST_F(policy, device_counters_off_for_containers_only)
{
	uint64_t cfg = CFG_RCS0_BUSY;
	int fd, gpu, g;

	/* on: the container opens groups and VERSION says so */
	ASSERT_EQ(1 << 7, run_as(&ct_root, ct_open_group, NULL));

	ASSERT_EQ(0, write_str(PARAM("device_counters"), "N"));
	ASSERT_EQ(EACCES, run_as(&ct_root, ct_open_group, NULL));
	/* the host's own sessions are not affected */
	fd = nsgp_open(NULL);
	ASSERT_GE(fd, 0);
	gpu = nsgp_find_gpu(fd, GPU0_PCI, NULL);
	g = nsgp_open_group(fd, gpu, &cfg, 1, 0, 0, NULL);
	ASSERT_GE(g, 0);
	close(g);
	close(fd);
}

TEST_F(policy, max_groups_per_container)
{
	uint64_t cfg = CFG_BCS0_BUSY;
	int fd = nsgp_open(NULL), fd2 = nsgp_open(NULL), gpu, g[4], i;

	ASSERT_GE(fd, 0);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, write_str(PARAM("max_groups_per_container"), "3"));
	gpu = nsgp_find_gpu(fd, GPU1_PCI, NULL);
	for (i = 0; i < 3; i++) {
		g[i] = nsgp_open_group(i == 1 ? fd2 : fd, gpu, &cfg, 1, 0, 0, NULL);
		ASSERT_GE(g[i], 0);
	}
	/* the limit is per container (here: the host), across sessions */
	ASSERT_EQ(-EMFILE, nsgp_open_group(fd2, gpu, &cfg, 1, 0, 0, NULL));
	close(g[0]);
	g[3] = nsgp_open_group(fd2, gpu, &cfg, 1, 0, 0, NULL);
	ASSERT_GE(g[3], 0);
	for (i = 1; i < 4; i++)
		close(g[i]);
	close(fd);
	close(fd2);
	ASSERT_EQ(0, mock_live_events_all());
}

TEST_F(policy, cgroup_usage_off)
{
	struct nsgpuperf_engine_usage eu[8];
	struct nsgpuperf_cgroup_usage u = {
		.size = sizeof(u), .count = 8, .entry_size = sizeof(eu[0]),
		.classes = (uintptr_t)eu,
	};
	struct nsgpuperf_version v = { .size = sizeof(v) };
	int fd = nsgp_open(NULL);

	ASSERT_GE(fd, 0);
	u.gpu_id = nsgp_find_gpu(fd, GPU0_PCI, NULL);
	ASSERT_EQ(0, ioctl(fd, NSGPUPERF_IOC_CGROUP_USAGE, &u));
	ASSERT_EQ(0, write_str(PARAM("cgroup_usage"), "N"));
	ASSERT_EQ(-1, ioctl(fd, NSGPUPERF_IOC_CGROUP_USAGE, &u));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(0, ioctl(fd, NSGPUPERF_IOC_VERSION, &v));
	ASSERT_FALSE(v.features & NSGPUPERF_FEAT_CGROUP_USAGE);
	close(fd);
}

TEST_HARNESS_MAIN
