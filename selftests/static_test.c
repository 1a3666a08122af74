// SPDX-License-Identifier: GPL-2.0
/*
 * The portable nsgpuperf (make static) in a container whose rootfs has no
 * glibc: only the static binary, at /usr/bin/nsgpuperf and at
 * /usr/bin/intel_gpu_top (the personality, picked by argv[0]), musl's
 * loader as an Alpine rootfs has it, the container's nsgpuperf node owned
 * by its root (100000), the GPUs' render nodes, /proc and /sys.  Run as
 * root of a user namespace mapped 0 -> 100000, chrooted into it: `list -J`
 * names both mock GPUs, and intel_gpu_top -J shows the driven values of
 * the GPU it is pointed at.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "igt_top.h"
#include "nsgp_test.h"
#include "nsgp_usage.h"

#define STATIC_BIN	"/tests/nsgpuperf-static"
#define ROOT		"/tmp/noglibc"
#define MUSL_LOADER	"/lib/ld-musl-x86_64.so.1"
#define PERIOD		"500"
#define SAMPLES		4


static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		close(in);
		return -errno;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			n = -1;
			break;
		}
	close(in);
	close(out);
	return n < 0 ? -EIO : 0;
}

/* A render node of the VM, recreated in the rootfs with its numbers. */
static int copy_node(const char *path)
{
	char dst[128];
	struct stat st;

	if (stat(path, &st))
		return -errno;
	snprintf(dst, sizeof(dst), ROOT "%s", path);
	unlink(dst);
	if (mknod(dst, S_IFCHR | 0666, st.st_rdev))
		return -errno;
	return chmod(dst, 0666) ? -errno : 0;
}

/* Whether any file below dir is glibc's (libc.so.6, ld-linux*). */
static bool has_glibc(const char *dir)
{
	struct dirent *d;
	bool found = false;
	DIR *dp = opendir(dir);

	if (!dp)
		return false;
	while (!found && (d = readdir(dp))) {
		char sub[512];

		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (!strcmp(d->d_name, "libc.so.6") || !strncmp(d->d_name, "ld-linux", 8))
			found = true;
		snprintf(sub, sizeof(sub), "%s/%s", dir, d->d_name);
		if (d->d_type == DT_DIR && strcmp(sub, ROOT "/proc") && strcmp(sub, ROOT "/sys"))
			found = has_glibc(sub);
	}
	closedir(dp);
	return found;
}

FIXTURE(noglibc) {
	char render0[64], render1[64];
};

FIXTURE_SETUP(noglibc)
{
	static const char * const dirs[] = {
		ROOT, ROOT "/usr", ROOT "/usr/bin", ROOT "/lib", ROOT "/dev",
		ROOT "/dev/dri", ROOT "/proc", ROOT "/sys", ROOT "/tmp",
	};
	unsigned int i;
	int s;

	ASSERT_EQ(0, access(STATIC_BIN, X_OK)) TH_LOG("%s missing (make static)", STATIC_BIN);
	ASSERT_EQ(0, access(MUSL_LOADER, R_OK)) TH_LOG("musl's loader missing in the VM");
	ASSERT_TRUE(pci_bound(GPU0_PCI));
	ASSERT_EQ(0, drive_gpus());

	for (i = 0; i < ARRAY_SIZE(dirs); i++)
		ASSERT_TRUE(!mkdir(dirs[i], 0755) || errno == EEXIST);
	ASSERT_EQ(0, copy_file(STATIC_BIN, ROOT "/usr/bin/nsgpuperf", 0755));
	ASSERT_EQ(0, copy_file(STATIC_BIN, ROOT "/usr/bin/intel_gpu_top", 0755));
	ASSERT_EQ(0, copy_file(MUSL_LOADER, ROOT MUSL_LOADER, 0755));
	unlink(ROOT "/dev/nsgpuperf");
	ASSERT_EQ(0, nsgp_mknod(ROOT "/dev/nsgpuperf", CT_UID, CT_UID, 0600));

	s = nsgp_open(NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, render_node(s, GPU0_PCI, self->render0, sizeof(self->render0)));
	ASSERT_EQ(0, render_node(s, GPU1_PCI, self->render1, sizeof(self->render1)));
	close(s);
	ASSERT_EQ(0, copy_node(self->render0));
	ASSERT_EQ(0, copy_node(self->render1));

	umount2(ROOT "/proc", MNT_DETACH);
	umount2(ROOT "/sys", MNT_DETACH);
	ASSERT_EQ(0, mount("proc", ROOT "/proc", "proc", 0, NULL));
	ASSERT_EQ(0, mount("/sys", ROOT "/sys", NULL, MS_BIND | MS_REC, NULL));
}

FIXTURE_TEARDOWN(noglibc)
{
	umount2(ROOT "/proc", MNT_DETACH);
	umount2(ROOT "/sys", MNT_DETACH);
	mock_still(GPU1_PCI);
}

/* Run argv (paths inside the rootfs) chrooted, as the container's root. */
static int run_in_root(struct tool_run *r, const char *const *args,
		       tool_stop_fn stop, void *arg)
{
	const char *argv[16] = { "/bin/busybox", "chroot", ROOT };
	struct tool_cmd c = { .argv = argv, .map = CT_MAP, .stop = stop, .arg = arg };
	int i = 3;

	while (*args && i < 15)
		argv[i++] = *args++;
	argv[i] = NULL;
	return tool_run(r, &c);
}

TEST_F(noglibc, rootfs_has_no_glibc)
{
	ASSERT_FALSE(has_glibc(ROOT));
}

TEST_F(noglibc, list_json)
{
	static const char * const args[] = { "/usr/bin/nsgpuperf", "list", "-J", NULL };
	struct tool_run r;

	ASSERT_EQ(0, run_in_root(&r, args, NULL, NULL));
	if (!tool_exited(&r, 0))
		TH_LOG("status 0x%x\nstdout:\n%.1500s\nstderr:\n%.800s", r.status, r.out, r.err);
	EXPECT_TRUE(tool_exited(&r, 0));
	EXPECT_NE(NULL, strstr(r.out, "\"" GPU0_PCI "\""));
	EXPECT_NE(NULL, strstr(r.out, "\"" GPU1_PCI "\""));
	EXPECT_NE(NULL, strstr(r.out, "\"i915_0000_00_05.0\""));
	tool_free(&r);
}

/* The personality, as /usr/bin/intel_gpu_top: 1.27's -J by default. */
TEST_F(noglibc, intel_gpu_top_json)
{
	static const char * const args[] = {
		"/usr/bin/intel_gpu_top", "-J", "-s", PERIOD, "-d", "pci:slot=" GPU1_PCI, NULL,
	};
	struct top_json_stop js = { .want = SAMPLES };
	struct tool_run r;

	ASSERT_EQ(0, run_in_root(&r, args, top_json_stop, &js));
	if (r.nr < SAMPLES)
		TH_LOG("status 0x%x, %d periods\nstdout:\n%.1500s\nstderr:\n%.800s",
		       r.status, r.nr, r.out, r.err);
	ASSERT_LE(SAMPLES, r.nr);
	EXPECT_EQ(NULL, strchr(r.out, '['));	/* 1.27's layout: no "[" */
	EXPECT_EQ(0, top_check_json(&r, &mock_want, TOP_PHYSICAL));
	tool_free(&r);
}

TEST_HARNESS_MAIN
