// SPDX-License-Identifier: GPL-2.0
/*
 * GPUs and modules that come and go under nsgpuperf: unbind with groups
 * open, rebind, the GPU driver loaded after nsgpuperf, rmmod with fds open.
 * The VM runner fails the run on any kernel warning these provoke.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nsgp_test.h"

struct group_read {
	uint64_t nr, time_enabled;
	uint64_t values[8];
};

/* Every test leaves both modules loaded and both GPUs bound. */
static void restore(void)
{
	if (!module_loaded("mock_i915"))
		module_load(MOCK_KO, NULL);
	if (!module_loaded("nsgpuperf"))
		module_load(NSGP_KO, NULL);
	pci_bind(GPU0_PCI);
	pci_bind(GPU1_PCI);
}

FIXTURE(gpus) {
	int fd;
};

FIXTURE_SETUP(gpus)
{
	restore();
	self->fd = nsgp_open(NULL);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(2, nsgp_count_gpus(self->fd));
}

FIXTURE_TEARDOWN(gpus)
{
	if (self->fd >= 0)
		close(self->fd);
	restore();
}

TEST_F(gpus, unbind_with_groups_open_then_rebind)
{
	uint64_t cfg[] = { CFG_VCS0_BUSY, I915_PMU_INTERRUPTS };
	struct nsgpuperf_gpu_info info;
	struct group_read r;
	int gpu = nsgp_find_gpu(self->fd, GPU1_PCI, NULL), g1, g2, other;

	ASSERT_GE(gpu, 0);
	other = nsgp_find_gpu(self->fd, GPU0_PCI, NULL);
	g1 = nsgp_open_group(self->fd, gpu, cfg, 2, 0, 0, NULL);
	g2 = nsgp_open_group(self->fd, gpu, cfg, 1, 0, 0, NULL);
	ASSERT_GE(g1, 0);
	ASSERT_GE(g2, 0);
	ASSERT_EQ(2, mock_live_events_all());
	/* the GPU driver cannot go while its counters are open... */
	ASSERT_EQ(-EWOULDBLOCK, module_unload("mock_i915"));

	/* ...but its device can be unbound: counters are released first */
	ASSERT_EQ(0, pci_unbind(GPU1_PCI));
	ASSERT_EQ(0, mock_live_events_all());
	ASSERT_EQ(-1, read(g1, &r, sizeof(r)));
	ASSERT_EQ(ENODEV, errno);
	ASSERT_EQ(-1, ioctl(g2, NSGPUPERF_GROUP_IOC_ENABLE, 0));
	ASSERT_EQ(ENODEV, errno);
	ASSERT_EQ(-ENODEV, nsgp_open_group(self->fd, gpu, cfg, 1, 0, 0, NULL));
	/* the unbound GPU is still listed, without its PMU */
	ASSERT_EQ(gpu, nsgp_find_gpu(self->fd, GPU1_PCI, &info));
	ASSERT_FALSE(info.flags & NSGPUPERF_GPU_BOUND);
	/* the other GPU is untouched */
	ASSERT_GE(nsgp_open_group(self->fd, other, cfg, 1, 0, 0, NULL), 0);

	ASSERT_EQ(0, pci_bind(GPU1_PCI));
	ASSERT_EQ(gpu, nsgp_find_gpu(self->fd, GPU1_PCI, &info));
	ASSERT_TRUE(info.flags & NSGPUPERF_GPU_BOUND);
	ASSERT_EQ(perf_pmu_type("i915_0000_00_05.0"), (int)info.pmu_type);
	/* old groups stay dead; new ones work */
	ASSERT_EQ(-1, read(g1, &r, sizeof(r)));
	ASSERT_EQ(ENODEV, errno);
	close(g1);
	close(g2);
	g1 = nsgp_open_group(self->fd, gpu, cfg, 2, 0, 0, NULL);
	ASSERT_GE(g1, 0);
	ASSERT_EQ(0, mock_ctl(GPU1_PCI, "add %llu 31", (unsigned long long)CFG_VCS0_BUSY));
	ASSERT_EQ(4 * 8, read(g1, &r, sizeof(r)));
	ASSERT_EQ(31, r.values[0]);
	close(g1);
}

TEST_F(gpus, repeated_unbind_bind_cycles)
{
	uint64_t cfg = CFG_RCS0_BUSY;
	int gpu = nsgp_find_gpu(self->fd, GPU0_PCI, NULL), i, g;

	for (i = 0; i < 5; i++) {
		g = nsgp_open_group(self->fd, gpu, &cfg, 1, 0, 0, NULL);
		ASSERT_GE(g, 0);
		ASSERT_EQ(0, pci_unbind(GPU0_PCI));
		ASSERT_EQ(0, pci_bind(GPU0_PCI));
		close(g);
	}
	ASSERT_EQ(0, mock_live_events_all());
}

TEST_F(gpus, gpu_driver_loaded_after_nsgpuperf)
{
	uint64_t cfg = CFG_BCS0_BUSY;
	int gpu, g;

	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, module_unload("nsgpuperf"));
	/* nsgpuperf idle: the GPU driver can go */
	ASSERT_EQ(0, module_unload("mock_i915"));
	ASSERT_EQ(0, module_load(NSGP_KO, NULL));
	self->fd = nsgp_open(NULL);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, nsgp_count_gpus(self->fd));

	ASSERT_EQ(0, module_load(MOCK_KO, NULL));
	ASSERT_EQ(2, nsgp_count_gpus(self->fd));
	gpu = nsgp_find_gpu(self->fd, GPU0_PCI, NULL);
	ASSERT_GE(gpu, 0);
	g = nsgp_open_group(self->fd, gpu, &cfg, 1, 0, 0, NULL);
	ASSERT_GE(g, 0);
	close(g);

	/* and it can go again while nsgpuperf stays */
	ASSERT_EQ(0, module_unload("mock_i915"));
	ASSERT_EQ(0, nsgp_count_gpus(self->fd));
}

TEST_F(gpus, rmmod_refused_while_fds_open)
{
	uint64_t cfg = CFG_RCS0_BUSY;
	int gpu = nsgp_find_gpu(self->fd, GPU0_PCI, NULL), g;

	ASSERT_EQ(-EWOULDBLOCK, module_unload("nsgpuperf"));
	g = nsgp_open_group(self->fd, gpu, &cfg, 1, 0, 0, NULL);
	ASSERT_GE(g, 0);
	close(self->fd);
	self->fd = -1;
	/* the group fd alone keeps the module */
	ASSERT_EQ(-EWOULDBLOCK, module_unload("nsgpuperf"));
	close(g);
	ASSERT_EQ(0, module_refcnt("nsgpuperf"));
	ASSERT_EQ(0, module_unload("nsgpuperf"));
	ASSERT_EQ(0, module_refcnt("mock_i915"));
}

TEST_F(gpus, counters_open_on_the_pmu_cpumask_cpu)
{
	uint64_t cfg = I915_PMU_INTERRUPTS;
	struct group_read r;
	int gpu, g;

	/* i915 (<= 6.14) only accepts events on the CPU of its cpumask */
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, module_unload("mock_i915"));
	ASSERT_EQ(0, module_load(MOCK_KO, "pmu_cpu=1"));
	self->fd = nsgp_open(NULL);
	ASSERT_GE(self->fd, 0);
	gpu = nsgp_find_gpu(self->fd, GPU0_PCI, NULL);
	ASSERT_GE(gpu, 0);
	g = nsgp_open_group(self->fd, gpu, &cfg, 1, 0, 0, NULL);
	ASSERT_GE(g, 0);
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 17", (unsigned long long)cfg));
	ASSERT_EQ(3 * 8, read(g, &r, sizeof(r)));
	ASSERT_EQ(17, r.values[0]);
	close(g);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, module_unload("mock_i915"));
}

TEST_HARNESS_MAIN
