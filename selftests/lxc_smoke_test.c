// SPDX-License-Identifier: GPL-2.0
/*
 * The LXC test VM itself (selftests/vm/run.sh image mode, the image of
 * scripts/lxc-image.sh): that what the LXC suites build on is really
 * there.  README.md, the modules and a working reader are in place; LXC
 * is 5.0.2; an unprivileged busybox-template container
 * (mapped 0 -> 100000) starts, runs a command through lxc-attach, has a
 * working /dev/null, and its init runs as host uid 100000; a container on
 * the image's Debian rootfs starts with Debian's own intel_gpu_top in it;
 * udevd runs a rule on a kernel uevent of the mock's render node; and the
 * VM reboots on "@reboot" in the suite list, with the disk kept, a new
 * boot id, udev running the rule again on the render node's add at boot,
 * and the container made before the reboot starting again.
 *
 * Two fixtures, one per boot: selftests/suites-lxc runs
 * "lxc_smoke_test -f first_boot", then "@reboot", then
 * "lxc_smoke_test -f after_reboot".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lxc_util.h"
#include "nsgp_test.h"

#define LXC_VERSION	"5.0.2"
#define CT_UID		100000
#define BB		"smoke-bb"	/* busybox template */
#define DEB		"smoke-deb"	/* the image's Debian rootfs */
#define DEB_ROOTFS	"/var/lib/nsgpuperf-test/rootfs-debian"
#define STATE		"/var/lib/nsgpuperf-test/smoke"	/* on the disk */
#define MARKER		STATE "/boot1"
#define RULE		"/etc/udev/rules.d/99-nsgpuperf-smoke.rules"
#define SEEN		"/run/nsgpuperf-smoke"	/* tmpfs: per boot */
#define BOOT_ID		"/proc/sys/kernel/random/boot_id"

static const char ct_conf[] =
	"lxc.include = /usr/share/lxc/config/common.conf\n"
	"lxc.include = /usr/share/lxc/config/userns.conf\n"
	"lxc.idmap = u 0 100000 65536\n"
	"lxc.idmap = g 0 100000 65536\n";

/* Writes the render node's name (e.g. renderD128) and the boot id. */
static const char rule[] =
	"ACTION==\"add\", SUBSYSTEM==\"drm\", KERNEL==\"renderD*\", "
	"RUN+=\"/bin/sh -c 'mkdir -p " SEEN " && cat " BOOT_ID " >" SEEN "/%k'\"\n";

/* The host uid a process runs as (the first of /proc/PID/status's Uid). */
static long host_uid(pid_t pid)
{
	char path[64], line[256];
	long uid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %ld", &uid) == 1)
			break;
	fclose(f);
	return uid;
}

/* The render node of the GPU at pci (e.g. "renderD128"): 0 or -1. */
static int render_name(const char *pci, char *name, size_t len)
{
	char path[128];
	struct dirent *e;
	int ret = -1;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/drm", pci);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "renderD", 7) && strlen(e->d_name) < len) {
			strcpy(name, e->d_name);
			ret = 0;
			break;
		}
	closedir(d);
	return ret;
}

/*
 * Start a defined container, wait for RUNNING, check lxc-attach, the
 * init's host uid and /dev/null inside; stop it.  Timings logged.
 */
static void start_attach_stop(struct __test_metadata *_metadata, const char *name)
{
	char out[4096];
	double t0, t1, t2;
	long pid;

	t0 = nsgp_now();
	ASSERT_EQ(0, sh_out(out, sizeof(out), "lxc-start -n %s -l INFO -o /tmp/%s.log", name, name))
		TH_LOG("lxc-start %s: %s", name, out);
	ASSERT_EQ(0, sh_out(out, sizeof(out), "lxc-wait -n %s -s RUNNING -t 30", name))
		TH_LOG("%s not RUNNING: %s", name, out);
	ASSERT_EQ(0, sh_out(out, sizeof(out), "lxc-info -n %s -p -H", name));
	pid = strtol(out, NULL, 10);
	ASSERT_LT(1, pid) TH_LOG("lxc-info -p: '%s'", out);
	t1 = nsgp_now();
	/* root in the container, a command run inside, /dev/null usable */
	ASSERT_EQ(0, sh_out(out, sizeof(out), "lxc-attach -n %s -- id -u", name))
		TH_LOG("lxc-attach %s: %s", name, out);
	ASSERT_STREQ("0", out);
	ASSERT_EQ(0, sh_out(out, sizeof(out),
			"lxc-attach -n %s -- sh -c 'echo x >/dev/null && cat /dev/null && "
			"stat -c %%t:%%T /dev/null'", name))
		TH_LOG("/dev/null in %s: %s", name, out);
	ASSERT_STREQ("1:3", out);
	t2 = nsgp_now();
	/* unprivileged: the container's init is host uid 100000 */
	ASSERT_EQ(CT_UID, host_uid(pid));
	ASSERT_EQ(0, sh_out(out, sizeof(out), "lxc-stop -n %s -k", name))
		TH_LOG("lxc-stop %s: %s", name, out);
	TH_LOG("%s: start %.2f s, attach (2 commands) %.2f s, stop %.2f s",
	       name, t1 - t0, t2 - t1, nsgp_now() - t2);
}

FIXTURE(first_boot) {
	char out[4096];
};

FIXTURE_SETUP(first_boot)
{
	mkdir(STATE, 0755);
}

FIXTURE_TEARDOWN(first_boot)
{
}

/*
 * What run.sh puts on the disk: the README (the LXC suites run its code
 * blocks), the modules, and the dynamic reader, whose libraries the image
 * lacks, runs.
 */
TEST_F(first_boot, test_files)
{
	char line[256];

	ASSERT_EQ(0, read_line("/tests/README.md", line, sizeof(line)));
	ASSERT_EQ(0, strncmp(line, "# ", 2)) TH_LOG("README.md starts with '%s'", line);
	ASSERT_EQ(0, access(MOCK_KO, R_OK));
	ASSERT_EQ(0, access(NSGP_KO, R_OK));
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out), "/tests/nsgpuperf --help >/dev/null"))
		TH_LOG("/tests/nsgpuperf: %s", self->out);
}

TEST_F(first_boot, lxc_version)
{
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out), "lxc-start --version"))
		TH_LOG("lxc-start --version: %s", self->out);
	ASSERT_STREQ(LXC_VERSION, self->out);
}

/*
 * lxc-create -t busybox with the idmap and userns.conf, started.  Tests
 * that start containers get more than the harness' 30 s: under TCG,
 * lxc-create -t busybox alone takes ~15 s (a fork per applet link).
 */
TEST_F_TIMEOUT(first_boot, busybox_container, 180)
{
	double t0;

	sh_out(self->out, sizeof(self->out), "lxc-destroy -n " BB " -f");
	ASSERT_EQ(0, write_file("/tmp/" BB ".conf", "%s", ct_conf));
	t0 = nsgp_now();
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out),
			"lxc-create -n " BB " -t busybox -f /tmp/" BB ".conf"))
		TH_LOG("lxc-create: %s", self->out);
	TH_LOG("lxc-create -t busybox: %.2f s", nsgp_now() - t0);
	start_attach_stop(_metadata, BB);
}

/* A container on the image's Debian rootfs: Debian's intel_gpu_top. */
TEST_F_TIMEOUT(first_boot, debian_container, 120)
{
	char conf[1024];

	/* in place, through an idmapped mount: the tree is owned by 0 */
	snprintf(conf, sizeof(conf),
		 "%slxc.rootfs.path = dir:" DEB_ROOTFS "\n"
		 "lxc.rootfs.options = idmap=container\n"
		 "lxc.uts.name = " DEB "\n"
		 "lxc.init.cmd = /bin/sleep infinity\n", ct_conf);
	/* never lxc-destroy it: that deletes its rootfs, the image's */
	sh_out(self->out, sizeof(self->out), "lxc-stop -n " DEB " -k; rm -rf /var/lib/lxc/" DEB);
	ASSERT_EQ(0, mkdir("/var/lib/lxc/" DEB, 0755));
	ASSERT_EQ(0, write_file("/var/lib/lxc/" DEB "/config", "%s", conf));
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out), "lxc-start -n " DEB))
		TH_LOG("lxc-start: %s", self->out);
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out), "lxc-wait -n " DEB " -s RUNNING -t 30"));
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out),
			"lxc-attach -n " DEB " -- dpkg-query -W -f '${Version}' intel-gpu-tools"))
		TH_LOG("intel-gpu-tools in the rootfs: %s", self->out);
	TH_LOG("container's intel-gpu-tools %s", self->out);
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out),
			"lxc-attach -n " DEB " -- sh -c 'command -v intel_gpu_top && "
			"intel_gpu_top -h >/dev/null && echo runs'"))
		TH_LOG("intel_gpu_top in the container: %s", self->out);
	ASSERT_STREQ("/usr/bin/intel_gpu_top\nruns", self->out);
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out), "lxc-attach -n " DEB " -- id -u"));
	ASSERT_STREQ("0", self->out);
	/* the container's root owns its files */
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out),
			"lxc-attach -n " DEB " -- stat -c %%u:%%g /usr/bin/intel_gpu_top"));
	ASSERT_STREQ("0:0", self->out);
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out), "lxc-stop -n " DEB " -k"));
}

/*
 * udevd handles a kernel uevent of the render node with a rule added now
 * (the rule stays on the disk for the next boot).
 */
TEST_F(first_boot, udev_rule)
{
	char node[32], path[128], id[64], seen[64];

	ASSERT_EQ(0, render_name(GPU0_PCI, node, sizeof(node)));
	ASSERT_EQ(0, write_file(RULE, "%s", rule));
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out), "udevadm control --reload"))
		TH_LOG("udevd not running? %s", self->out);
	snprintf(path, sizeof(path), SEEN "/%s", node);
	unlink(path);
	snprintf(seen, sizeof(seen), "/sys/class/drm/%s/uevent", node);
	ASSERT_EQ(0, write_str(seen, "add"));
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out), "udevadm settle -t 30"));
	ASSERT_EQ(0, read_line(path, seen, sizeof(seen)))
		TH_LOG("the rule did not run for %s (udevd log: /run/nsgpuperf-test/udevd.log)", node);
	ASSERT_EQ(0, read_line(BOOT_ID, id, sizeof(id)));
	ASSERT_STREQ(id, seen);
	/* after_reboot.udev_at_boot sees it only if the rule runs again */
	ASSERT_EQ(0, unlink(path));
}

/* What the next boot compares with: this boot's id, on the disk. */
TEST_F(first_boot, reboot_marker)
{
	char id[64];
	const char *boot = getenv("NSGPUPERF_VM_BOOT");

	ASSERT_NE(NULL, boot) TH_LOG("not booted by selftests/vm/init in image mode");
	ASSERT_STREQ("1", boot);
	ASSERT_EQ(0, read_line(BOOT_ID, id, sizeof(id)));
	ASSERT_EQ(0, write_file(MARKER, "%s", id));
}

FIXTURE(after_reboot) {
	char out[4096];
};

FIXTURE_SETUP(after_reboot)
{
}

FIXTURE_TEARDOWN(after_reboot)
{
}

/* A second boot, the disk kept: the first boot's marker, another id. */
TEST_F(after_reboot, rebooted)
{
	char id[64], before[64];
	const char *boot = getenv("NSGPUPERF_VM_BOOT");

	ASSERT_NE(NULL, boot);
	ASSERT_STREQ("2", boot);
	ASSERT_EQ(0, read_line(MARKER, before, sizeof(before)))
		TH_LOG("no marker from the first boot (disk not kept?)");
	ASSERT_EQ(0, read_line(BOOT_ID, id, sizeof(id)));
	ASSERT_STRNE(before, id);
}

/*
 * The rule written in the first boot ran on the render node's add event
 * at this boot's module load (SEEN is on a tmpfs: only this boot wrote
 * it).
 */
TEST_F(after_reboot, udev_at_boot)
{
	char node[32], path[128], id[64], seen[64];

	ASSERT_EQ(0, render_name(GPU0_PCI, node, sizeof(node)));
	snprintf(path, sizeof(path), SEEN "/%s", node);
	ASSERT_EQ(0, read_line(path, seen, sizeof(seen)))
		TH_LOG("the rule did not run for %s at boot", node);
	ASSERT_EQ(0, read_line(BOOT_ID, id, sizeof(id)));
	ASSERT_STREQ(id, seen);
}

/* The container made before the reboot starts again. */
TEST_F_TIMEOUT(after_reboot, container_again, 120)
{
	start_attach_stop(_metadata, BB);
}

/* Leave nothing for the suites after this one. */
TEST_F_TIMEOUT(after_reboot, cleanup, 120)
{
	unlink(RULE);
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out), "udevadm control --reload"));
	ASSERT_EQ(0, sh_out(self->out, sizeof(self->out),
			"lxc-destroy -n " BB " -f && "
			"rm -rf /var/lib/lxc/" DEB " " STATE " " SEEN))
		TH_LOG("%s", self->out);
}

TEST_HARNESS_MAIN
