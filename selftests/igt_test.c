// SPDX-License-Identifier: GPL-2.0
/*
 * Debian's real intel_gpu_top (intel-gpu-tools 1.27.1, bookworm) against
 * the mock GPU.  Run as root with no device option, it must find a mock
 * GPU by itself - it takes PCI vendor 8086 only: the first "discrete" GPU,
 * else the integrated one at 0000:00:02.0, never the non-Intel edu the
 * mock also binds - and show the values driven through the mock:
 * frequencies, interrupt rate, RC6, each engine's busy/wait/sema
 * percentages (PMU), and a client's busy time (DRM fdinfo).
 *
 * The first -J period covers only the time between two back-to-back
 * reads and is not checked; the tolerance is the one igt_top.h states.
 * A client's busy time is a difference of fdinfo values that
 * intel_gpu_top scales by its nominal period, so summed over the periods
 * it is exact (to printf's 6 decimals).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "igt_top.h"
#include "mock_i915_uapi.h"
#include "nsgp_test.h"

#define PERIOD_MS	500
#define STR_(x)		#x
#define STR(x)		STR_(x)
#define SAMPLES		7	/* printed periods; the first is not checked */
#define BUSY_AT		2	/* the client adds its busy time after this */
#define CLIENT_BUSY_NS	200000000ULL

/* ---- checking what it showed ------------------------------------------ */

/* The client with this pid: its busy time summed over the periods. */
static void check_client(struct __test_metadata *_metadata,
			 const struct tool_run *r, pid_t pid, uint64_t want_ns)
{
	char pidstr[16], id[32] = "", path[96];
	const struct top_sample *last = &r->s[r->nr - 1];
	double sum = 0, pct;
	int i, clients = 0;

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	for (i = 0; i < last->n; i++) {
		const char *p = last->kv[i].path, *end;

		if (strncmp(p, "clients|", 8) || strcmp(p + strlen(p) - 4, "|pid"))
			continue;
		clients++;
		if (strcmp(last->kv[i].val, pidstr))
			continue;
		end = strchr(p + 8, '|');
		snprintf(id, sizeof(id), "%.*s", (int)(end - p - 8), p + 8);
	}
	/* ours alone: a client of the other GPU is not shown */
	EXPECT_EQ(1, clients);
	ASSERT_STRNE("", id) TH_LOG("no client with pid %d", pid);
	snprintf(path, sizeof(path), "clients|%s|name", id);
	ASSERT_NE(NULL, top_get(last, path));
	EXPECT_STREQ("igt_test", top_get(last, path));

	snprintf(path, sizeof(path), "clients|%s|engine-classes|Render/3D|busy", id);
	for (i = 1; i < r->nr; i++) {
		pct = top_getd(&r->s[i], path);
		if (!isnan(pct))
			sum += pct;
	}
	/* pct = ns / period_us / 1e3 * 100 */
	sum = sum / 100 * PERIOD_MS * 1e6;
	EXPECT_TRUE(fabs(sum - want_ns) < 1000)
		TH_LOG("client busy %.0f ns, want %" PRIu64, sum, want_ns);
}

struct busy_at {
	int fd, at, ret;
};

static void add_busy_at(int nr, void *arg)
{
	struct busy_at *b = arg;
	struct mock_i915_add_busy a = {
		.engine_class = I915_ENGINE_CLASS_RENDER, .busy_ns = CLIENT_BUSY_NS,
	};

	if (nr == b->at)
		b->ret = ioctl(b->fd, DRM_IOCTL_MOCK_I915_ADD_BUSY, &a) ? -errno : 0;
}

static void run_and_check(struct __test_metadata *_metadata, const char *pci,
			  const char *decoy_pci, const struct mock_drive *want)
{
	static const char * const argv[] = { IGT_TOP, "-J", "-s", STR(PERIOD_MS), NULL };
	struct busy_at b = { .at = BUSY_AT, .ret = -EINPROGRESS };
	struct top_json_stop stop = { .want = SAMPLES, .at = add_busy_at, .arg = &b };
	const struct tool_cmd cmd = { .argv = argv, .stop = top_json_stop, .arg = &stop };
	struct tool_run r;
	int decoy;

	b.fd = open_render(pci);
	ASSERT_LE(0, b.fd);
	decoy = open_render(decoy_pci);
	ASSERT_LE(0, decoy);

	ASSERT_EQ(0, tool_run(&r, &cmd));
	if (r.nr < SAMPLES || !WIFEXITED(r.status) || WEXITSTATUS(r.status))
		TH_LOG("intel_gpu_top: status 0x%x, %d periods, stderr: %s",
		       r.status, r.nr, r.err);
	ASSERT_LE(SAMPLES, r.nr);
	EXPECT_TRUE(tool_exited(&r, 0));
	EXPECT_EQ(0, b.ret);

	/* a line of what it showed, for the log */
	TH_LOG("%s: %d periods, last: %s/%s MHz, %s irq/s, rc6 %s%%, rcs0 %s%%, vcs1 %s%%",
	       pci, r.nr, top_get(&r.s[r.nr - 1], "frequency|actual"),
	       top_get(&r.s[r.nr - 1], "frequency|requested"),
	       top_get(&r.s[r.nr - 1], "interrupts|count"),
	       top_get(&r.s[r.nr - 1], "rc6|value"),
	       top_get(&r.s[r.nr - 1], "engines|Render/3D/0|busy"),
	       top_get(&r.s[r.nr - 1], "engines|Video/1|busy"));
	EXPECT_EQ(0, top_check_json(&r, want, TOP_PHYSICAL));
	check_client(_metadata, &r, getpid(), CLIENT_BUSY_NS);
	tool_free(&r);
	close(decoy);
	close(b.fd);
}

/* ---- fixture: every mock GPU bound and still -------------------------- */

FIXTURE(igt) {
	int dummy;
};

FIXTURE_SETUP(igt)
{
	ASSERT_EQ(0, access(IGT_TOP, X_OK)) TH_LOG("%s missing in the VM", IGT_TOP);
	if (!pci_bound(GPU1_PCI))
		pci_bind(GPU1_PCI);
	ASSERT_TRUE(pci_bound(GPU0_PCI));
	ASSERT_TRUE(pci_bound(GPU1_PCI));
	ASSERT_TRUE(pci_bound(OTHER_PCI));
	ASSERT_EQ(0, mock_still(GPU0_PCI));
	ASSERT_EQ(0, mock_still(GPU1_PCI));
	ASSERT_EQ(0, mock_still(OTHER_PCI));
}

FIXTURE_TEARDOWN(igt)
{
	if (!pci_bound(GPU1_PCI))
		pci_bind(GPU1_PCI);
	mock_still(GPU0_PCI);
	mock_still(GPU1_PCI);
	mock_still(OTHER_PCI);
}

/* With an integrated and a discrete Intel GPU it shows the discrete one. */
TEST_F(igt, default_device_discrete)
{
	const struct mock_drive want = {
		.act_mhz = 1000, .req_mhz = 1300, .irq_per_s = 2000, .rc6_pct = 40,
		.rcs0_busy = 25, .bcs0_wait = 5, .vcs1_busy = 75, .vecs0_sema = 10,
	}, decoy = {
		.act_mhz = 300, .req_mhz = 350, .irq_per_s = 50, .rc6_pct = 90,
		.rcs0_busy = 60, .bcs0_wait = 30, .vcs1_busy = 15, .vecs0_sema = 45,
	};

	ASSERT_EQ(0, mock_drive(GPU1_PCI, &want));
	ASSERT_EQ(0, mock_drive(GPU0_PCI, &decoy));
	ASSERT_EQ(0, mock_drive(OTHER_PCI, &decoy));
	run_and_check(_metadata, GPU1_PCI, GPU0_PCI, &want);
}

/*
 * With the discrete GPU unbound it shows the integrated one, although the
 * non-Intel "i915" at another slot (a discrete one by slot) is bound.
 */
TEST_F(igt, default_device_integrated)
{
	const struct mock_drive want = {
		.act_mhz = 650, .req_mhz = 900, .irq_per_s = 500, .rc6_pct = 70,
		.rcs0_busy = 80, .bcs0_wait = 12, .vcs1_busy = 33, .vecs0_sema = 4,
	}, decoy = {
		.act_mhz = 1500, .req_mhz = 1600, .irq_per_s = 9000, .rc6_pct = 5,
		.rcs0_busy = 10, .bcs0_wait = 50, .vcs1_busy = 90, .vecs0_sema = 40,
	};

	ASSERT_EQ(0, pci_unbind(GPU1_PCI));
	ASSERT_EQ(0, mock_drive(GPU0_PCI, &want));
	ASSERT_EQ(0, mock_drive(OTHER_PCI, &decoy));
	run_and_check(_metadata, GPU0_PCI, OTHER_PCI, &want);
}

TEST_HARNESS_MAIN
