// SPDX-License-Identifier: GPL-2.0
/*
 * Incus (6.0.4, bookworm-backports) in the LXC test VM: an unprivileged
 * Incus container given the device by README's Incus block, run
 * verbatim on the running container (`nsgpuperf host grant c1 --gpu ...
 * --incus | sh`: unix-char devices, which Incus makes owned by the
 * container's root itself and hot-plugs), and the reader inside it: only
 * the passed GPU, the driven values; before the grant it reads nothing.
 *
 * The VM has no systemd and no network: incusd is started by hand
 * (`incusd --group incus-admin`, as incus.service does), initialised with
 * a preseed that has a dir storage pool and no network, and the image is
 * imported from local tarballs: a busybox rootfs (the image's static
 * busybox) with a sleeping shell as init.  Each test makes sure of what it
 * needs (daemon, container) and records it under STATE_DIR, as the
 * harness forks each test; the last test deletes the container and stops
 * incusd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lxc_util.h"
#include "nsgp_test.h"

#define CT		"c1"		/* README's Incus container */
#define IMAGE		"nsgp-busybox"
#define INCUSD		"/usr/libexec/incus/incusd"
#define INCUSD_LOG	"/var/log/incus/incusd.log"
#define WORK		"/tmp/incus-image"

static const char preseed[] =
	"config: {}\n"
	"networks: []\n"
	"storage_pools:\n"
	"- name: default\n"
	"  driver: dir\n"
	"profiles:\n"
	"- name: default\n"
	"  devices:\n"
	"    root:\n"
	"      path: /\n"
	"      pool: default\n"
	"      type: disk\n";

static const char metadata[] =
	"architecture: x86_64\n"
	"creation_date: 1700000000\n"
	"properties:\n"
	"  description: busybox (nsgpuperf incus_test)\n"
	"  os: busybox\n"
	"  release: \"1\"\n";

/* init of the busybox image: sleeps; SIGPWR (incus stop) and SIGTERM end it */
static const char ct_init[] =
	"#!/bin/sh\n"
	"trap 'exit 0' 30 15\n"
	"while :; do sleep 1 & wait $!; done\n";

/* The checkout README's commands run in, and the reader installed by README. */
static int host_once(void)
{
	if (state_is("incus-host", "ready"))
		return 0;
	if (sh("mkdir -p " CHECKOUT "/build/userspace/static && "
	       "cp /tests/nsgpuperf-static " CHECKOUT "/build/userspace/static/nsgpuperf && "
	       "mkdir -p /lib/modules/$(uname -r)/updates/dkms && "
	       "cp /modules/nsgpuperf.ko /lib/modules/$(uname -r)/updates/dkms/ && "
	       "depmod -a 2>/dev/null && mkdir -p /etc/modules-load.d"))
		return -1;
	if (run_readme("host-setup"))
		return -1;
	return state_set("incus-host", "ready");
}

/* incusd running and answering (started here if not), initialised once. */
static int incus_once(void)
{
	double t0;

	if (!sh("incus admin waitready --timeout=1"))
		return 0;
	t0 = nsgp_now();
	/* as incus.service runs it; no systemd to do it here */
	if (sh("mkdir -p /var/log/incus && "
	       "setsid -f " INCUSD " --group incus-admin --logfile " INCUSD_LOG
	       " >/var/log/incus/incusd.out 2>&1 </dev/null") ||
	    sh("incus admin waitready --timeout=600")) {
		sh("cat /var/log/incus/incusd.out " INCUSD_LOG);
		return -1;
	}
	printf("# incusd ready in %.1f s\n", nsgp_now() - t0);
	if (state_is("incus", "ready"))
		return 0;
	t0 = nsgp_now();
	if (write_file("/tmp/incus-preseed.yaml", "%s", preseed) ||
	    sh("incus admin init --preseed < /tmp/incus-preseed.yaml") ||
	    sh("incus info | grep -E '^ *(server_version|driver|driver_version|kernel_version|idmapped_mounts|shiftfs):'"))
		return -1;
	printf("# incus admin init in %.1f s\n", nsgp_now() - t0);
	return state_set("incus", "ready");
}

/* The image: metadata.yaml and a busybox rootfs, split tarballs. */
static int image_once(void)
{
	double t0;

	if (!sh("incus image info " IMAGE " >/dev/null"))
		return 0;
	t0 = nsgp_now();
	if (sh("rm -rf " WORK " && mkdir -p " WORK "/rootfs && cd " WORK "/rootfs && "
	       "mkdir -p bin sbin etc dev proc sys tmp run root usr/bin usr/sbin usr/local/bin var && "
	       "cp /bin/busybox bin/busybox && "
	       "for a in $(bin/busybox --list); do [ -e bin/$a ] || ln -s busybox bin/$a; done && "
	       "echo 'root:x:0:0:root:/root:/bin/sh' > etc/passwd && echo 'root:x:0:' > etc/group") ||
	    write_file(WORK "/rootfs/sbin/init", "%s", ct_init) ||
	    write_file(WORK "/metadata.yaml", "%s", metadata) ||
	    sh("cd " WORK " && chmod 0755 rootfs/sbin/init && "
	       "tar -C rootfs --numeric-owner -czf rootfs.tar.gz . && "
	       "tar -czf metadata.tar.gz metadata.yaml && "
	       "incus -q image import metadata.tar.gz rootfs.tar.gz --alias " IMAGE))
		return -1;
	printf("# image imported in %.1f s\n", nsgp_now() - t0);
	return 0;
}

/* c1 running, granted by README's block. */
static int ct_once(void)
{
	double t0;

	if (state_is("incus-ct", "ready"))
		return 0;
	if (host_once() || incus_once() || image_once())
		return -1;
	sh("incus delete -f " CT " 2>/dev/null; true");
	t0 = nsgp_now();
	if (sh("incus -q launch " IMAGE " " CT)) {
		sh("incus info --show-log " CT " | grep -E ' (ERROR|WARN) '; cat /run/incus/" CT "/lxc.conf; "
		   "tail -n 20 " INCUSD_LOG);
		return -1;
	}
	printf("# incus launch in %.1f s\n", nsgp_now() - t0);
	if (sh("for i in $(seq 60); do incus exec " CT " -- true && exit 0; sleep 1; done; exit 1") ||
	    sh("incus -q file push -p --mode 0755 /tests/nsgpuperf-static " CT "/usr/local/bin/nsgpuperf"))
		return -1;
	/* before the grant: no node, nothing to read */
	if (!sh("incus exec " CT " -- nsgpuperf list"))
		return -1;
	/* README's block, on the running container: no restart after it */
	if (run_readme("incus-grant") || sh("incus config show " CT))
		return -1;
	return state_set("incus-ct", "ready");
}

/* The host uid (gid) container root is: the first "u" ("g") of the map. */
static long ct_root_host_id(const char *kind)
{
	char out[4096];

	if (sh_out(out, sizeof(out),
		   "incus config get " CT " volatile.idmap.current | "
		   "jq -e '[.[] | select(.Is%sid and .Nsid <= 0 and .Nsid + .Maprange > 0)][0] | .Hostid - .Nsid'",
		   kind))
		return -1;
	return strtol(out, NULL, 10);
}

#define CT_OUT(buf, fmt, ...) \
	sh_out(buf, sizeof(buf), "incus exec " CT " -- " fmt, ##__VA_ARGS__)

FIXTURE(incus) {
	char out[65536];
};

FIXTURE_SETUP(incus)
{
	ASSERT_EQ(0, ct_once());
}

FIXTURE_TEARDOWN(incus)
{
}

/*
 * The node Incus made for the unix-char device: the module's number,
 * owned by the container's root (its host ids from the idmap Incus
 * applied, and the container's init runs as that uid), mode 0600; inside,
 * root:root.
 */
TEST_F_TIMEOUT(incus, node_owned_by_container_root, LXC_TEST_TIMEOUT)
{
	char devnum[32], st[4096], init_uid[32], want[128];
	unsigned int maj, min;
	long uid, gid;

	uid = ct_root_host_id("u");
	gid = ct_root_host_id("g");
	ASSERT_LT(0, uid);
	ASSERT_LT(0, gid);
	TH_LOG("container root is %ld:%ld on the host", uid, gid);
	ASSERT_EQ(0, sh_out(init_uid, sizeof(init_uid),
			    "awk '/^Uid:/ { print $2 }' /proc/$(incus query /1.0/instances/" CT
			    "/state | jq .pid)/status"));
	EXPECT_EQ(uid, strtol(init_uid, NULL, 10));

	ASSERT_EQ(0, sh_out(devnum, sizeof(devnum), "cat /sys/class/nsgpuperf/nsgpuperf/dev"));
	ASSERT_EQ(2, sscanf(devnum, "%u:%u", &maj, &min));
	/* Incus' host side of the device (devices/<ct>/unix.<device>.<path>) */
	ASSERT_EQ(0, sh_out(st, sizeof(st),
			    "ls -l /var/lib/incus/devices/" CT " >&2; "
			    "stat -c '%%u:%%g %%a %%t:%%T' /var/lib/incus/devices/" CT "/unix.nsgpuperf.*"));
	snprintf(want, sizeof(want), "%ld:%ld 600 %x:%x", uid, gid, maj, min);
	EXPECT_NE(NULL, strstr(st, want));
	/* inside: root's own node */
	ASSERT_EQ(0, CT_OUT(st, "stat -c '%%u:%%g %%a' /dev/nsgpuperf"));
	EXPECT_STREQ("0:0 600", st);
}

TEST_F_TIMEOUT(incus, reader_lists_only_the_passed_gpu, LXC_TEST_TIMEOUT)
{
	const char *why = reader_sees_only_passed_gpu("incus exec " CT " --");

	if (why)
		TH_LOG("%s", why);
	EXPECT_EQ(NULL, why);
}


/* -J -n 2: the driven busy of the passed GPU, read as container root. */
TEST_F_TIMEOUT(incus, reader_json_shows_driven_values, LXC_TEST_TIMEOUT)
{
	char v[64];

	ASSERT_EQ(0, mock_ctl(GPU_PASSED, "rate 0x0 250000000"));	/* rcs0 25 % */
	ASSERT_EQ(0, sh("incus exec " CT " -- nsgpuperf -J -n 2 -s 300 -d " GPU_PASSED
			" > /tmp/incus.json"));
	/* an array of samples */
	ASSERT_EQ(0, sh_out(v, sizeof(v), "jq '.[-1].engines[\"Render/3D\"].busy' /tmp/incus.json"));
	EXPECT_LT(23.0, atof(v));
	EXPECT_GT(27.0, atof(v));
	mock_ctl(GPU_PASSED, "rate 0x0 0");
}

/* Last: the container and the image gone, incusd stopped. */
FIXTURE(end) {
	int unused;
};

FIXTURE_SETUP(end)
{
}

FIXTURE_TEARDOWN(end)
{
}

TEST_F_TIMEOUT(end, cleanup, LXC_TEST_TIMEOUT)
{
	EXPECT_EQ(0, sh("incus delete -f " CT));
	EXPECT_EQ(0, sh("incus image delete " IMAGE));
	EXPECT_EQ(0, sh("nsgpuperf host revoke " CT));
	EXPECT_EQ(0, sh("timeout 120 incus admin shutdown || kill $(pidof incusd); "
			"for i in $(seq 60); do pidof incusd >/dev/null || exit 0; sleep 1; done; exit 1"));
	state_set("incus-ct", "");
}

TEST_HARNESS_MAIN
