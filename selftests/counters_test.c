// SPDX-License-Identifier: GPL-2.0
/*
 * Counter groups through /dev/nsgpuperf against the mock i915: discovery,
 * exact values, perf's read layouts, enable/disable/reset/add, rate math,
 * counter sharing between sessions, and agreement with a raw perf group.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "kselftest_harness.h"
#include "nsgp_test.h"

#define FMT_GROUP_TE	(PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED)

FIXTURE(dev) {
	int fd;
	int gpu0, gpu1;
};

FIXTURE_SETUP(dev)
{
	self->fd = nsgp_open(NULL);
	ASSERT_GE(self->fd, 0);
	self->gpu0 = nsgp_find_gpu(self->fd, GPU0_PCI, NULL);
	self->gpu1 = nsgp_find_gpu(self->fd, GPU1_PCI, NULL);
	ASSERT_GE(self->gpu0, 0);
	ASSERT_GE(self->gpu1, 0);
	ASSERT_EQ(0, mock_live_events_all());
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, version)
{
	struct nsgpuperf_version v = { .size = sizeof(v) };
	struct stat st;
	int ret = ioctl(self->fd, NSGPUPERF_IOC_VERSION, &v);

	ASSERT_EQ(0, ret);
	ASSERT_EQ(NSGPUPERF_ABI_VERSION, v.abi_version);
	ASSERT_TRUE(v.features & NSGPUPERF_FEAT_DEVICE_COUNTERS);
	/* the cgroup id is the inode number of the cgroup v2 directory */
	ASSERT_EQ(0, stat("/sys/fs/cgroup", &st));
	ASSERT_EQ((uint64_t)st.st_ino, v.cgroup_id);
}

static int first_render_minor(const char *pci)
{
	char path[128];
	struct dirent *e;
	DIR *d;
	int minor = -1;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/drm", pci);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "renderD", 7))
			minor = atoi(e->d_name + 7);
	closedir(d);
	return minor;
}

TEST_F(dev, gpu_list_matches_sysfs)
{
	struct nsgpuperf_gpu_info g0, g1;

	ASSERT_EQ(2, nsgp_count_gpus(self->fd));
	ASSERT_GE(nsgp_find_gpu(self->fd, GPU0_PCI, &g0), 0);
	ASSERT_GE(nsgp_find_gpu(self->fd, GPU1_PCI, &g1), 0);
	ASSERT_NE(g0.id, g1.id);
	ASSERT_STREQ("i915", g0.pmu_name);
	ASSERT_STREQ("i915_0000_00_05.0", g1.pmu_name);
	ASSERT_STREQ("i915", g0.driver);
	ASSERT_STREQ("i915", g1.driver);
	ASSERT_TRUE(g0.flags & NSGPUPERF_GPU_BOUND);
	ASSERT_EQ(perf_pmu_type("i915"), (int)g0.pmu_type);
	ASSERT_EQ(perf_pmu_type("i915_0000_00_05.0"), (int)g1.pmu_type);
	ASSERT_EQ(first_render_minor(GPU0_PCI), g0.render_minor);
	ASSERT_EQ(first_render_minor(GPU1_PCI), g1.render_minor);
	ASSERT_GE(g0.card_minor, 0);
	ASSERT_LT(g0.card_minor, 64);
}

TEST_F(dev, event_list_matches_sysfs)
{
	struct nsgpuperf_event_info evs[256];
	struct nsgpuperf_event_list el = {
		.size = sizeof(el), .gpu_id = self->gpu0, .count = 256,
		.entry_size = sizeof(evs[0]), .events = (uintptr_t)evs,
	};
	unsigned int i, sysfs_events = 0, found = 0;
	struct dirent *e;
	DIR *d;

	ASSERT_EQ(0, ioctl(self->fd, NSGPUPERF_IOC_LIST_EVENTS, &el));
	d = opendir("/sys/bus/event_source/devices/i915/events");
	ASSERT_NE(NULL, d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && !strstr(e->d_name, ".unit"))
			sysfs_events++;
	closedir(d);
	ASSERT_EQ(sysfs_events, el.count);
	for (i = 0; i < el.count; i++) {
		char path[256], want[64];
		FILE *f;

		snprintf(path, sizeof(path),
			 "/sys/bus/event_source/devices/i915/events/%s", evs[i].name);
		f = fopen(path, "re");
		ASSERT_NE(NULL, f);
		ASSERT_NE(NULL, fgets(want, sizeof(want), f));
		fclose(f);
		ASSERT_EQ(strtoull(strchr(want, '=') + 1, NULL, 0), evs[i].config);
		if (!strcmp(evs[i].name, "rcs0-busy")) {
			ASSERT_EQ(CFG_RCS0_BUSY, evs[i].config);
			ASSERT_STREQ("ns", evs[i].unit);
			found++;
		}
		if (!strcmp(evs[i].name, "actual-frequency")) {
			ASSERT_EQ(I915_PMU_ACTUAL_FREQUENCY, evs[i].config);
			ASSERT_STREQ("M", evs[i].unit);
			found++;
		}
		if (!strcmp(evs[i].name, "interrupts")) {
			ASSERT_EQ(I915_PMU_INTERRUPTS, evs[i].config);
			found++;
		}
	}
	ASSERT_EQ(3, found);

	/* a short array gets the total count and only what fits */
	el.count = 2;
	ASSERT_EQ(0, ioctl(self->fd, NSGPUPERF_IOC_LIST_EVENTS, &el));
	ASSERT_EQ(sysfs_events, el.count);
}

struct group_read {
	uint64_t nr, time_enabled;
	uint64_t values[NSGPUPERF_MAX_GROUP_EVENTS];
};

TEST_F(dev, group_read_returns_exact_deltas)
{
	uint64_t cfg[] = { CFG_RCS0_BUSY, CFG_VCS1_BUSY, I915_PMU_INTERRUPTS,
			   I915_PMU_RC6_RESIDENCY };
	struct group_read r;
	int gfd;

	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 5000", (unsigned long long)CFG_RCS0_BUSY));
	gfd = nsgp_open_group(self->fd, self->gpu0, cfg, 4, 0, 0, NULL);
	ASSERT_GE(gfd, 0);
	ASSERT_EQ(4, mock_live_events(GPU0_PCI));
	/* counts start at 0, like a fresh perf group */
	ASSERT_EQ(6 * 8, read(gfd, &r, sizeof(r)));
	ASSERT_EQ(4, r.nr);
	ASSERT_EQ(0, r.values[0]);
	ASSERT_EQ(0, r.values[1]);

	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 7345", (unsigned long long)CFG_RCS0_BUSY));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 777", (unsigned long long)CFG_VCS1_BUSY));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 42", (unsigned long long)I915_PMU_INTERRUPTS));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 1000000000",
			      (unsigned long long)I915_PMU_RC6_RESIDENCY));
	ASSERT_EQ(6 * 8, read(gfd, &r, sizeof(r)));
	ASSERT_EQ(7345, r.values[0]);
	ASSERT_EQ(777, r.values[1]);
	ASSERT_EQ(42, r.values[2]);
	ASSERT_EQ(1000000000ULL, r.values[3]);
	ASSERT_GT(r.time_enabled, 0);
	close(gfd);
	ASSERT_EQ(0, mock_live_events(GPU0_PCI));
}

TEST_F(dev, read_formats_follow_perf)
{
	uint64_t cfg[] = { CFG_BCS0_BUSY, CFG_VECS0_SEMA }, ids[2], buf[16];
	uint64_t fmt = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
		       PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID;
	int gfd;

	gfd = nsgp_open_group(self->fd, self->gpu1, cfg, 2, fmt, 0, ids);
	ASSERT_GE(gfd, 0);
	ASSERT_NE(ids[0], ids[1]);
	ASSERT_EQ(0, mock_ctl(GPU1_PCI, "add %llu 100", (unsigned long long)CFG_BCS0_BUSY));
	ASSERT_EQ(0, mock_ctl(GPU1_PCI, "add %llu 200", (unsigned long long)CFG_VECS0_SEMA));
	/* { nr, enabled, running, { value, id } x 2 } */
	ASSERT_EQ(7 * 8, read(gfd, buf, sizeof(buf)));
	ASSERT_EQ(2, buf[0]);
	ASSERT_GT(buf[1], 0);
	ASSERT_EQ(buf[1], buf[2]);	/* never multiplexed: running = enabled */
	ASSERT_EQ(100, buf[3]);
	ASSERT_EQ(ids[0], buf[4]);
	ASSERT_EQ(200, buf[5]);
	ASSERT_EQ(ids[1], buf[6]);
	/* a buffer too small for the layout: ENOSPC, as perf */
	ASSERT_EQ(-1, read(gfd, buf, 6 * 8));
	ASSERT_EQ(ENOSPC, errno);
	close(gfd);

	/* without GROUP: { value, id } of the single event */
	gfd = nsgp_open_group(self->fd, self->gpu1, cfg, 1, PERF_FORMAT_ID, 0, ids);
	ASSERT_GE(gfd, 0);
	ASSERT_EQ(0, mock_ctl(GPU1_PCI, "add %llu 50", (unsigned long long)CFG_BCS0_BUSY));
	ASSERT_EQ(2 * 8, read(gfd, buf, sizeof(buf)));
	ASSERT_EQ(50, buf[0]);
	ASSERT_EQ(ids[0], buf[1]);
	close(gfd);
}

TEST_F(dev, enable_disable_reset_add)
{
	uint64_t cfg = CFG_RCS0_WAIT, buf[8];
	struct nsgpuperf_group_add add = { .size = sizeof(add), .config = CFG_VCS0_BUSY };
	int gfd;

	gfd = nsgp_open_group(self->fd, self->gpu0, &cfg, 1, 0, NSGPUPERF_GROUP_DISABLED,
			      NULL);
	ASSERT_GE(gfd, 0);
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 1000", (unsigned long long)CFG_RCS0_WAIT));
	ASSERT_EQ(3 * 8, read(gfd, buf, sizeof(buf)));
	ASSERT_EQ(0, buf[2]);		/* disabled: nothing counted */
	ASSERT_EQ(0, buf[1]);		/* and no time enabled */

	ASSERT_EQ(0, ioctl(gfd, NSGPUPERF_GROUP_IOC_ENABLE, 0));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 300", (unsigned long long)CFG_RCS0_WAIT));
	ASSERT_EQ(3 * 8, read(gfd, buf, sizeof(buf)));
	ASSERT_EQ(300, buf[2]);

	ASSERT_EQ(0, ioctl(gfd, NSGPUPERF_GROUP_IOC_DISABLE, 0));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 700", (unsigned long long)CFG_RCS0_WAIT));
	ASSERT_EQ(3 * 8, read(gfd, buf, sizeof(buf)));
	ASSERT_EQ(300, buf[2]);
	ASSERT_EQ(0, ioctl(gfd, NSGPUPERF_GROUP_IOC_ENABLE, 0));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 10", (unsigned long long)CFG_RCS0_WAIT));
	ASSERT_EQ(3 * 8, read(gfd, buf, sizeof(buf)));
	ASSERT_EQ(310, buf[2]);

	ASSERT_EQ(0, ioctl(gfd, NSGPUPERF_GROUP_IOC_RESET, 0));
	ASSERT_EQ(3 * 8, read(gfd, buf, sizeof(buf)));
	ASSERT_EQ(0, buf[2]);

	ASSERT_EQ(0, ioctl(gfd, NSGPUPERF_GROUP_IOC_ADD, &add));
	ASSERT_NE(0, add.id);
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 9", (unsigned long long)CFG_VCS0_BUSY));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 5", (unsigned long long)CFG_RCS0_WAIT));
	ASSERT_EQ(4 * 8, read(gfd, buf, sizeof(buf)));
	ASSERT_EQ(2, buf[0]);
	ASSERT_EQ(5, buf[2]);
	ASSERT_EQ(9, buf[3]);
	ASSERT_EQ(2, mock_live_events(GPU0_PCI));
	close(gfd);
	ASSERT_EQ(0, mock_live_events(GPU0_PCI));
}

/*
 * A group opened with no event has a state all the same: the leader's,
 * which ENABLE and DISABLE set with or without PERF_IOC_FLAG_GROUP, and
 * which the first event added takes.
 */
TEST_F(dev, empty_group_keeps_its_state)
{
	struct nsgpuperf_group_add add = { .size = sizeof(add), .config = CFG_RCS0_WAIT };
	uint64_t buf[8];
	int gfd;

	gfd = nsgp_open_group(self->fd, self->gpu0, NULL, 0, 0, NSGPUPERF_GROUP_DISABLED,
			      NULL);
	ASSERT_GE(gfd, 0);
	ASSERT_EQ(0, ioctl(gfd, NSGPUPERF_GROUP_IOC_ENABLE, PERF_IOC_FLAG_GROUP));
	ASSERT_EQ(0, ioctl(gfd, NSGPUPERF_GROUP_IOC_ADD, &add));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 42", (unsigned long long)CFG_RCS0_WAIT));
	ASSERT_EQ(3 * 8, read(gfd, buf, sizeof(buf)));
	ASSERT_EQ(1, buf[0]);
	ASSERT_LT(0, buf[1]);		/* enabled since the ioctl */
	ASSERT_EQ(42, buf[2]);

	ASSERT_EQ(0, ioctl(gfd, NSGPUPERF_GROUP_IOC_DISABLE, PERF_IOC_FLAG_GROUP));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 7", (unsigned long long)CFG_RCS0_WAIT));
	ASSERT_EQ(3 * 8, read(gfd, buf, sizeof(buf)));
	ASSERT_EQ(42, buf[2]);
	close(gfd);
	ASSERT_EQ(0, mock_live_events(GPU0_PCI));
}

TEST_F(dev, frequency_is_delta_count_over_time)
{
	uint64_t cfg[] = { I915_PMU_ACTUAL_FREQUENCY, I915_PMU_REQUESTED_FREQUENCY };
	struct group_read a, b;
	double secs, act, req, slept;
	int gfd;

	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "rate %llu 1200",
			      (unsigned long long)I915_PMU_ACTUAL_FREQUENCY));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "rate %llu 1500",
			      (unsigned long long)I915_PMU_REQUESTED_FREQUENCY));
	gfd = nsgp_open_group(self->fd, self->gpu0, cfg, 2, 0, 0, NULL);
	ASSERT_GE(gfd, 0);
	ASSERT_EQ(4 * 8, read(gfd, &a, sizeof(a)));
	slept = nsgp_now();
	ASSERT_EQ(0, nsgp_sleep_ms(300));
	slept = nsgp_now() - slept;
	ASSERT_EQ(4 * 8, read(gfd, &b, sizeof(b)));
	secs = (b.time_enabled - a.time_enabled) / 1e9;
	act = (b.values[0] - a.values[0]) / secs;
	req = (b.values[1] - a.values[1]) / secs;
	TH_LOG("actual %.1f MHz requested %.1f MHz over %.3f s (slept %.3f s)",
	       act, req, secs, slept);
	/* time enabled runs on the clock the test slept on */
	ASSERT_LE(slept, secs);
	ASSERT_GT(act, 1200 * 0.97);
	ASSERT_LT(act, 1200 * 1.03);
	ASSERT_GT(req, 1500 * 0.97);
	ASSERT_LT(req, 1500 * 1.03);
	close(gfd);
	mock_ctl(GPU0_PCI, "rate %llu 0", (unsigned long long)I915_PMU_ACTUAL_FREQUENCY);
	mock_ctl(GPU0_PCI, "rate %llu 0", (unsigned long long)I915_PMU_REQUESTED_FREQUENCY);
}

TEST_F(dev, every_event_in_one_group)
{
	struct nsgpuperf_event_info evs[NSGPUPERF_MAX_GROUP_EVENTS];
	struct nsgpuperf_event_list el = {
		.size = sizeof(el), .gpu_id = self->gpu1, .count = NSGPUPERF_MAX_GROUP_EVENTS,
		.entry_size = sizeof(evs[0]), .events = (uintptr_t)evs,
	};
	uint64_t cfg[NSGPUPERF_MAX_GROUP_EVENTS];
	struct group_read r;
	unsigned int i, n;
	int gfd;

	ASSERT_EQ(0, ioctl(self->fd, NSGPUPERF_IOC_LIST_EVENTS, &el));
	n = el.count < NSGPUPERF_MAX_GROUP_EVENTS ? el.count : NSGPUPERF_MAX_GROUP_EVENTS;
	ASSERT_GE(n, 19);	/* 4 others + 5 engines x 3 samples */
	for (i = 0; i < n; i++)
		cfg[i] = evs[i].config;
	gfd = nsgp_open_group(self->fd, self->gpu1, cfg, n, 0, 0, NULL);
	ASSERT_GE(gfd, 0);
	ASSERT_EQ((long long)n, mock_live_events(GPU1_PCI));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, mock_ctl(GPU1_PCI, "add %llu %u", (unsigned long long)cfg[i],
				      1000 + i));
	ASSERT_EQ((ssize_t)(2 + n) * 8, read(gfd, &r, sizeof(r)));
	ASSERT_EQ(n, r.nr);
	for (i = 0; i < n; i++)
		if (cfg[i] != I915_PMU_ACTUAL_FREQUENCY && cfg[i] != I915_PMU_REQUESTED_FREQUENCY)
			ASSERT_EQ(1000 + i, r.values[i]);
	close(gfd);
	ASSERT_EQ(0, mock_live_events(GPU1_PCI));
}

TEST_F(dev, sessions_share_one_kernel_counter)
{
	uint64_t c1[] = { CFG_RCS0_BUSY, I915_PMU_INTERRUPTS }, c2[] = { CFG_RCS0_BUSY };
	int fd2 = nsgp_open(NULL), g1, g2, g3;
	struct group_read r;

	ASSERT_GE(fd2, 0);
	g1 = nsgp_open_group(self->fd, self->gpu0, c2, 1, 0, 0, NULL);
	ASSERT_GE(g1, 0);
	ASSERT_EQ(1, mock_live_events(GPU0_PCI));
	g2 = nsgp_open_group(fd2, self->gpu0, c2, 1, 0, 0, NULL);
	ASSERT_GE(g2, 0);
	ASSERT_EQ(1, mock_live_events(GPU0_PCI));
	g3 = nsgp_open_group(fd2, self->gpu0, c1, 2, 0, 0, NULL);
	ASSERT_GE(g3, 0);
	ASSERT_EQ(2, mock_live_events(GPU0_PCI));

	/* each session still counts from its own start */
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 500", (unsigned long long)CFG_RCS0_BUSY));
	ASSERT_EQ(0, read(g1, &r, sizeof(r)) < 0);
	ASSERT_EQ(500, r.values[0]);
	ASSERT_EQ(0, ioctl(g2, NSGPUPERF_GROUP_IOC_RESET, 0));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 300", (unsigned long long)CFG_RCS0_BUSY));
	ASSERT_EQ(0, read(g1, &r, sizeof(r)) < 0);
	ASSERT_EQ(800, r.values[0]);
	ASSERT_EQ(0, read(g2, &r, sizeof(r)) < 0);
	ASSERT_EQ(300, r.values[0]);

	close(g1);
	ASSERT_EQ(2, mock_live_events(GPU0_PCI));
	close(g2);
	close(fd2);	/* group fds outlive the session fd */
	ASSERT_EQ(2, mock_live_events(GPU0_PCI));
	ASSERT_EQ(0, read(g3, &r, sizeof(r)) < 0);
	close(g3);
	ASSERT_EQ(0, mock_live_events(GPU0_PCI));
}

TEST_F(dev, same_deltas_as_raw_perf_group)
{
	uint64_t cfg[] = { CFG_RCS0_BUSY, CFG_VCS0_BUSY, I915_PMU_RC6_RESIDENCY };
	int type = perf_pmu_type("i915"), cpu = perf_pmu_cpu("i915"), lead, fds[3], gfd, i;
	struct group_read mine;
	uint64_t raw[2 + 3];

	ASSERT_GT(type, 0);
	lead = -1;
	for (i = 0; i < 3; i++) {
		fds[i] = perf_open(type, cfg[i], cpu, lead, FMT_GROUP_TE);
		ASSERT_GE(fds[i], 0);
		if (i == 0)
			lead = fds[0];
	}
	gfd = nsgp_open_group(self->fd, self->gpu0, cfg, 3, FMT_GROUP_TE, 0, NULL);
	ASSERT_GE(gfd, 0);
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 4242", (unsigned long long)CFG_RCS0_BUSY));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 99", (unsigned long long)CFG_VCS0_BUSY));
	ASSERT_EQ(0, mock_ctl(GPU0_PCI, "add %llu 123456",
			      (unsigned long long)I915_PMU_RC6_RESIDENCY));
	ASSERT_EQ((ssize_t)sizeof(raw), read(lead, raw, sizeof(raw)));
	ASSERT_EQ((ssize_t)sizeof(raw), read(gfd, &mine, sizeof(mine)));
	ASSERT_EQ(raw[0], mine.nr);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(raw[2 + i], mine.values[i]);
	close(gfd);
	for (i = 2; i >= 0; i--)
		close(fds[i]);
	ASSERT_EQ(0, mock_live_events(GPU0_PCI));
}

/* Drive the mock's three counters of @cfg by distinct amounts. */
static int bump3(const uint64_t *cfg, unsigned int step)
{
	unsigned int i;

	for (i = 0; i < 3; i++)
		if (mock_ctl(GPU0_PCI, "add %llu %u", (unsigned long long)cfg[i],
			     (i + 1) * 100 + step))
			return -1;
	return 0;
}

/*
 * ENABLE, DISABLE and RESET with and without PERF_IOC_FLAG_GROUP on the
 * group fd do what the same ioctls do on the leader of a raw perf group:
 * without the flag they act on the leader only (for ENABLE/DISABLE that
 * still gates the siblings' counting), with it on every event.
 */
TEST_F(dev, ioctls_act_like_on_a_raw_perf_leader)
{
	static const struct {
		unsigned long cmd, perf_cmd, arg;
		const char *what;
	} steps[] = {
		{ NSGPUPERF_GROUP_IOC_RESET, PERF_EVENT_IOC_RESET, 0, "reset leader" },
		{ NSGPUPERF_GROUP_IOC_DISABLE, PERF_EVENT_IOC_DISABLE, 0, "disable leader" },
		{ NSGPUPERF_GROUP_IOC_ENABLE, PERF_EVENT_IOC_ENABLE, 0, "enable leader" },
		{ NSGPUPERF_GROUP_IOC_DISABLE, PERF_EVENT_IOC_DISABLE,
		  PERF_IOC_FLAG_GROUP, "disable group" },
		{ NSGPUPERF_GROUP_IOC_ENABLE, PERF_EVENT_IOC_ENABLE, 0,
		  "enable leader: siblings stay off" },
		{ NSGPUPERF_GROUP_IOC_RESET, PERF_EVENT_IOC_RESET, 0, "reset leader" },
		{ NSGPUPERF_GROUP_IOC_DISABLE, PERF_EVENT_IOC_DISABLE, 0, "disable leader" },
		{ NSGPUPERF_GROUP_IOC_ENABLE, PERF_EVENT_IOC_ENABLE,
		  PERF_IOC_FLAG_GROUP, "enable group" },
		{ NSGPUPERF_GROUP_IOC_DISABLE, PERF_EVENT_IOC_DISABLE,
		  PERF_IOC_FLAG_GROUP, "disable group" },
		{ NSGPUPERF_GROUP_IOC_RESET, PERF_EVENT_IOC_RESET,
		  PERF_IOC_FLAG_GROUP, "reset group (disabled)" },
		{ NSGPUPERF_GROUP_IOC_ENABLE, PERF_EVENT_IOC_ENABLE,
		  PERF_IOC_FLAG_GROUP, "enable group" },
		{ NSGPUPERF_GROUP_IOC_RESET, PERF_EVENT_IOC_RESET, 0, "reset leader" },
		{ NSGPUPERF_GROUP_IOC_RESET, PERF_EVENT_IOC_RESET,
		  PERF_IOC_FLAG_GROUP, "reset group" },
		{ NSGPUPERF_GROUP_IOC_ENABLE, PERF_EVENT_IOC_ENABLE, 0, "enable again" },
	};
	uint64_t cfg[] = { CFG_RCS0_BUSY, CFG_VCS0_BUSY, I915_PMU_INTERRUPTS };
	int type = perf_pmu_type("i915"), cpu = perf_pmu_cpu("i915"), fds[3], gfd;
	uint64_t raw[2 + 3];
	struct group_read mine;
	unsigned int s, i;

	ASSERT_GT(type, 0);
	for (i = 0; i < 3; i++) {
		fds[i] = perf_open(type, cfg[i], cpu, i ? fds[0] : -1, FMT_GROUP_TE);
		ASSERT_GE(fds[i], 0);
	}
	gfd = nsgp_open_group(self->fd, self->gpu0, cfg, 3, FMT_GROUP_TE, 0, NULL);
	ASSERT_GE(gfd, 0);
	ASSERT_EQ(0, bump3(cfg, 0));
	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		ASSERT_EQ(0, ioctl(fds[0], steps[s].perf_cmd, steps[s].arg));
		ASSERT_EQ(0, ioctl(gfd, steps[s].cmd, steps[s].arg));
		ASSERT_EQ(0, bump3(cfg, s + 1));
		ASSERT_EQ((ssize_t)sizeof(raw), read(fds[0], raw, sizeof(raw)));
		ASSERT_EQ((ssize_t)sizeof(raw), read(gfd, &mine, sizeof(mine)));
		for (i = 0; i < 3; i++) {
			if (raw[2 + i] != mine.values[i])
				TH_LOG("step %u (%s): event %u: perf %llu, nsgpuperf %llu",
				       s, steps[s].what, i, (unsigned long long)raw[2 + i],
				       (unsigned long long)mine.values[i]);
			ASSERT_EQ(raw[2 + i], mine.values[i]);
		}
		if (steps[s].cmd == NSGPUPERF_GROUP_IOC_DISABLE) {
			/* the leader's time stops, as perf's does */
			uint64_t te = mine.time_enabled;

			usleep(2000);
			ASSERT_EQ((ssize_t)sizeof(raw), read(gfd, &mine, sizeof(mine)));
			ASSERT_EQ(te, mine.time_enabled);
		}
	}
	/* and a flag perf does not know is refused */
	ASSERT_EQ(-1, ioctl(gfd, NSGPUPERF_GROUP_IOC_RESET, 2));
	ASSERT_EQ(EINVAL, errno);
	close(gfd);
	for (i = 3; i-- > 0;)
		close(fds[i]);
	ASSERT_EQ(0, mock_live_events(GPU0_PCI));
}

TEST_HARNESS_MAIN
