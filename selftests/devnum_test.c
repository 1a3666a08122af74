// SPDX-License-Identifier: GPL-2.0
/*
 * The device number of /dev/nsgpuperf is what a container's config and
 * the host's per-container nodes hold: it must be the same after a module
 * reload (and, being fixed, after a reboot or a kernel update), so a node
 * made once keeps working.  The `major` parameter moves it, and a major
 * already taken makes the load fail with a line that says what to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nsgp_test.h"

#define DEFAULT_MAJOR	120
#define CT_NODE		"/tmp/nsgpuperf-ct-devnum"
#define CT_ROOT		100000
#define CT_MAP		"0 100000 65536"

static const struct as_user ct_root = { -1, -1, CT_MAP, -1, false, NULL };

/* Container root opens the node and finds the GPU it presents: usable. */
static int open_and_list(void *path)
{
	int fd = nsgp_open(path);
	int n;

	if (fd < 0)
		return -fd;
	n = nsgp_count_gpus(fd);
	close(fd);
	return n == 2 ? 0 : 100 + n;
}

static void reload_nsgpuperf(struct __test_metadata *_metadata,
			     const char *params)
{
	ASSERT_EQ(0, module_unload("nsgpuperf"));
	ASSERT_EQ(0, module_load(NSGP_KO, params));
}

/* "major name" lines of /proc/devices' character section. */
static bool proc_devices_has(unsigned int major, const char *name)
{
	FILE *f = fopen("/proc/devices", "re");
	char line[128], want[64];
	bool found = false;

	if (!f)
		return false;
	snprintf(want, sizeof(want), "%u %s\n", major, name);
	while (fgets(line, sizeof(line), f) && strcmp(line, "\n")) {
		const char *p = line + strspn(line, " ");

		if (!strcmp(p, want))
			found = true;
	}
	fclose(f);
	return found;
}

FIXTURE(devnum) {
	int unused;
};

FIXTURE_SETUP(devnum)
{
}

FIXTURE_TEARDOWN(devnum)
{
	unlink(CT_NODE);
	if (module_loaded("nsgpuperf"))
		module_unload("nsgpuperf");
	module_load(NSGP_KO, NULL);
}

TEST_F(devnum, default_is_fixed_local_major_minor_0)
{
	unsigned int maj, min;
	struct stat st;

	ASSERT_EQ(0, nsgp_devnum(&maj, &min));
	EXPECT_EQ(DEFAULT_MAJOR, maj);
	EXPECT_EQ(0, min);
	EXPECT_TRUE(proc_devices_has(DEFAULT_MAJOR, "nsgpuperf"));
	/* the node devtmpfs makes: that number, root's, 0600 */
	ASSERT_EQ(0, stat("/dev/nsgpuperf", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(makedev(DEFAULT_MAJOR, 0), st.st_rdev);
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
}

TEST_F(devnum, container_node_survives_module_reloads)
{
	unsigned int maj, min, maj2, min2;
	int i;

	ASSERT_EQ(0, nsgp_devnum(&maj, &min));
	ASSERT_EQ(0, nsgp_mknod(CT_NODE, CT_ROOT, CT_ROOT, 0600));
	ASSERT_EQ(0, run_as(&ct_root, open_and_list, CT_NODE));
	for (i = 0; i < 3; i++) {
		reload_nsgpuperf(_metadata, NULL);
		ASSERT_EQ(0, nsgp_devnum(&maj2, &min2));
		EXPECT_EQ(maj, maj2);
		EXPECT_EQ(min, min2);
		/* the node made before the reload, never touched since */
		ASSERT_EQ(0, run_as(&ct_root, open_and_list, CT_NODE));
	}
}

TEST_F(devnum, major_parameter_moves_the_number)
{
	unsigned int maj, min;

	reload_nsgpuperf(_metadata, "major=121");
	ASSERT_EQ(0, nsgp_devnum(&maj, &min));
	EXPECT_EQ(121, maj);
	EXPECT_EQ(0, min);
	EXPECT_TRUE(proc_devices_has(121, "nsgpuperf"));
	EXPECT_FALSE(proc_devices_has(DEFAULT_MAJOR, "nsgpuperf"));
	ASSERT_EQ(0, nsgp_mknod(CT_NODE, CT_ROOT, CT_ROOT, 0600));
	ASSERT_EQ(0, run_as(&ct_root, open_and_list, CT_NODE));

	/* 0: a dynamic major, from the kernel's dynamic ranges */
	reload_nsgpuperf(_metadata, "major=0");
	ASSERT_EQ(0, nsgp_devnum(&maj, &min));
	EXPECT_NE(DEFAULT_MAJOR, maj);
	EXPECT_NE(0, maj);
	EXPECT_TRUE(proc_devices_has(maj, "nsgpuperf"));
	/* a node made for the old number is not this device any more */
	EXPECT_NE(0, run_as(&ct_root, open_and_list, CT_NODE));
}

TEST_F(devnum, taken_major_fails_the_load_and_says_so)
{
	char cmd[256], line[512];
	bool said = false;
	FILE *p;

	ASSERT_EQ(0, module_unload("nsgpuperf"));
	/* 1 is mem (/dev/null): always taken */
	EXPECT_EQ(-EBUSY, module_load(NSGP_KO, "major=1"));
	EXPECT_FALSE(module_loaded("nsgpuperf"));
	snprintf(cmd, sizeof(cmd), "dmesg | tail -n 20");
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "nsgpuperf: character major 1 is taken (see /proc/devices): load with major="))
			said = true;
	pclose(p);
	EXPECT_TRUE(said);
	ASSERT_EQ(0, module_load(NSGP_KO, NULL));
	EXPECT_TRUE(proc_devices_has(DEFAULT_MAJOR, "nsgpuperf"));
}

TEST_HARNESS_MAIN
