// SPDX-License-Identifier: GPL-2.0
/*
 * After a reboot of the LXC host (selftests/suites-lxc runs lxc_test,
 * reboots the VM, then this): /dev is new, yet the container's node is
 * there again, made by the udev rule `nsgpuperf host grant` installed
 * when the module's device appeared, and the container granted before the
 * reboot starts and reads the GPU with no change to its config.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "lxc_util.h"
#include "nsgp_test.h"

/* The container lxc_test leaves granted and stopped: the download layout. */
#define CT	"ct1"

TEST(booted_again)
{
	char boot_id[64];

	/* lxc_test's state is on the disk; the kernel is a new boot */
	ASSERT_TRUE(state_is("layout", "download"));
	ASSERT_EQ(0, sh_out(boot_id, sizeof(boot_id), "cat /proc/sys/kernel/random/boot_id"));
	EXPECT_FALSE(state_is("boot_id", boot_id));
	EXPECT_EQ(0, sh("test -s " STATE_DIR "/boot_id"));
}

TEST(udev_rule_made_the_node_again)
{
	unsigned int maj, min;
	struct stat st;

	ASSERT_EQ(0, sh("cat /etc/udev/rules.d/70-nsgpuperf.rules /etc/nsgpuperf/containers/" CT));
	ASSERT_EQ(0, nsgp_devnum(&maj, &min));
	ASSERT_EQ(0, stat("/dev/nsgpuperf-ct/" CT, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(makedev(maj, min), st.st_rdev);
	EXPECT_EQ(100000, st.st_uid);
	EXPECT_EQ(100000, st.st_gid);
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, sh("nsgpuperf host list"));
}

TEST(granted_container_starts_and_reads)
{
	char out[8192];

	ASSERT_EQ(0, sh("lxc-start -n " CT));
	ASSERT_EQ(0, ct_wait_running(CT));
	ASSERT_EQ(0, sh_out(out, sizeof(out), "lxc-attach -n " CT " -- nsgpuperf list"));
	EXPECT_NE(NULL, strstr(out, GPU_PASSED));
	EXPECT_EQ(NULL, strstr(out, GPU_OTHER));
	ASSERT_EQ(0, mock_ctl(GPU_PASSED, "rate 0x0 250000000"));
	ASSERT_EQ(0, sh("lxc-attach -n " CT " -- nsgpuperf -J -n 2 -s 300 -d " GPU_PASSED
			" > /tmp/boot.json && jq -s -e '.[-1].engines[\"Render/3D\"].busy | . > 23 and . < 27' /tmp/boot.json"));
	mock_ctl(GPU_PASSED, "rate 0x0 0");
	sh("lxc-stop -n " CT " -k");
}

TEST_HARNESS_MAIN
