// SPDX-License-Identifier: GPL-2.0
/*
 * The user's scenario for real: LXC 5.0.2 on a Debian host (the VM booted
 * from the LXC image), nsgpuperf set up by running README.md's code blocks
 * verbatim (extracted at test time, so the docs cannot drift), and the
 * reader run inside unprivileged containers laid out the ways users have
 * them:
 *   - busybox:  lxc-create -t busybox;
 *   - download: a Debian rootfs with the config lxc-download writes;
 *   - proxmox:  a Debian rootfs as Proxmox VE lays it out (its
 *               /etc/pve/lxc/101.conf turned into an LXC config as pct
 *               does; cgroup lxc/101/ns);
 * both Debian ones with init in init.scope and services under
 * system.slice, as systemd has them.  Next to each runs "other", a second
 * container on the same GPU whose work must never show in the first.
 * Every test of a layout shares its containers (made by the first test's
 * setup, recorded under STATE_DIR, as the harness forks each test).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lxc_util.h"
#include "nsgp_test.h"

#define DEBIAN_ROOTFS	"/var/lib/nsgpuperf-test/rootfs-debian"
#define OTHER		"other"

/* Busy time the containers' DRM clients add (ns). */
#define SVC_RENDER	3000000000ull	/* ct's client in system.slice */
#define ATT_RENDER	1000000000ull	/* ct's client from lxc-attach */
#define ATT_VIDEO	500000000ull
#define OTHER_RENDER	7000000000ull	/* the other container's client */

struct layout {
	const char *key;	/* which layout (STATE_DIR/layout) */
	const char *name;	/* container name, as README's blocks use it */
	bool debian;		/* Debian rootfs (intel-gpu-tools inside) */
	bool proxmox;
};

/*
 * An init for the minbase rootfs (no systemd in it) that lays the
 * container's cgroup out as systemd does: itself in init.scope, services
 * in system.slice; SIGPWR (lxc-stop) and SIGTERM end it.
 */
static const char ct_init[] =
	"#!/bin/sh\n"
	"cg=/sys/fs/cgroup\n"
	"mkdir -p $cg/init.scope $cg/system.slice\n"
	"echo $$ > $cg/init.scope/cgroup.procs\n"
	"trap 'exit 0' 30 15\n"
	"while :; do sleep 1 & wait $!; done\n";

static const char download_config[] =
	"# Template used to create this container: /usr/share/lxc/templates/lxc-download\n"
	"# Parameters passed to the template: --dist debian --release bookworm --arch amd64\n"
	"# For additional config options, please look at lxc.container.conf(5)\n"
	"\n"
	"# Uncomment the following line to support nesting containers:\n"
	"#lxc.include = /usr/share/lxc/config/nesting.conf\n"
	"# (Be aware this has security implications)\n"
	"\n"
	"\n"
	"# Distribution configuration\n"
	"lxc.include = /usr/share/lxc/config/common.conf\n"
	"lxc.include = /usr/share/lxc/config/userns.conf\n"
	"lxc.arch = linux64\n"
	"\n"
	"# Container specific configuration\n"
	"lxc.idmap = u 0 100000 65536\n"
	"lxc.idmap = g 0 100000 65536\n"
	"lxc.rootfs.path = dir:/var/lib/lxc/%1$s/rootfs\n"
	"lxc.uts.name = %1$s\n"
	"\n"
	"# Network configuration\n"
	"lxc.net.0.type = empty\n"
	"# the test rootfs is minbase: a script stands in for systemd\n"
	"lxc.init.cmd = /sbin/ct-init\n";

/* /etc/pve/lxc/101.conf as Proxmox VE writes it for a Debian container. */
static const char pve_conf[] =
	"arch: amd64\n"
	"cores: 1\n"
	"hostname: ct101\n"
	"memory: 512\n"
	"ostype: debian\n"
	"rootfs: local:101/vm-101-disk-0.raw,size=4G\n"
	"swap: 512\n"
	"unprivileged: 1\n";

/*
 * What pct start makes of it (the parts that matter here): Proxmox's own
 * keys become LXC's, the container's cgroup is lxc/101 with the payload
 * in its "ns" child, and every lxc.* line of the PVE config is passed
 * through with ": " turned into " = ".
 */
static const char pve_lxc_config[] =
	"lxc.arch = amd64\n"
	"lxc.include = /usr/share/lxc/config/common.conf\n"
	"lxc.include = /usr/share/lxc/config/userns.conf\n"
	"lxc.monitor.unshare = 1\n"
	"lxc.tty.max = 2\n"
	"lxc.environment = TERM=linux\n"
	"lxc.uts.name = ct101\n"
	"lxc.idmap = u 0 100000 65536\n"
	"lxc.idmap = g 0 100000 65536\n"
	"lxc.rootfs.path = /var/lib/lxc/101/rootfs\n"
	"lxc.cgroup.dir.monitor = lxc.monitor/101\n"
	"lxc.cgroup.dir.container = lxc/101\n"
	"lxc.cgroup.dir.container.inner = ns\n"
	"lxc.net.0.type = empty\n"
	"lxc.init.cmd = /sbin/ct-init\n";

/* The checkout README's commands run in, and the module where DKMS puts it. */
static int host_once(void)
{
	char boot_id[64];

	if (state_is("host", "ready"))
		return 0;
	/* lxc_boot_test tells the boot after the reboot by it */
	if (sh_out(boot_id, sizeof(boot_id), "cat /proc/sys/kernel/random/boot_id") ||
	    state_set("boot_id", boot_id))
		return -1;
	if (sh("mkdir -p " CHECKOUT "/build/userspace/static && "
	       "cp /tests/nsgpuperf-static " CHECKOUT "/build/userspace/static/nsgpuperf && "
	       "cp /tests/libnsgpuperf-preload.so " CHECKOUT "/build/userspace/ && "
	       "mkdir -p /lib/modules/$(uname -r)/updates/dkms && "
	       "cp /modules/nsgpuperf.ko /lib/modules/$(uname -r)/updates/dkms/ && "
	       "depmod -a 2>/dev/null && "
	       /* systemd's, which the image (no systemd) lacks */
	       "mkdir -p /etc/modules-load.d"))
		return -1;
	if (run_readme("host-setup"))
		return -1;
	return state_set("host", "ready");
}

/*
 * A Debian rootfs as lxc-download unpacks one: through the container's
 * idmap, so that every file is owned by a shifted id.
 */
static int debian_rootfs(const char *dir)
{
	if (sh("mkdir -p %1$s && chown 100000:100000 %1$s && "
	       "tar -C " DEBIAN_ROOTFS " -cf - --exclude='./dev/*' . | "
	       "lxc-usernsexec -m b:0:100000:65536 -- tar -C %1$s -xpf -", dir))
		return -1;
	return write_file("/tmp/ct-init", "%s", ct_init) ||
	       sh("install -m 0755 -o 100000 -g 100000 /tmp/ct-init %s/sbin/ct-init", dir);
}

/* The test tools every container gets (not something README asks for). */
static int ct_tools(const char *rootfs, unsigned int base)
{
	return sh("install -D -m 0755 -o %1$u -g %1$u /tests/drm-client %2$s/usr/local/bin/drm-client",
		  base, rootfs);
}

static int busybox_ct(const char *name, unsigned int base)
{
	char conf[64];

	snprintf(conf, sizeof(conf), "/tmp/%s.conf", name);
	if (write_file(conf,
		       "lxc.include = /usr/share/lxc/config/userns.conf\n"
		       "lxc.idmap = u 0 %1$u 65536\n"
		       "lxc.idmap = g 0 %1$u 65536\n"
		       "lxc.net.0.type = empty\n", base))
		return -1;
	return sh("lxc-create -n %s -t busybox -f %s", name, conf);
}

/* "other": a second container on the same GPU, doing its own work. */
static int other_once(void)
{
	char node[64];

	if (state_is("other", "ready"))
		return 0;
	ct_destroy(OTHER);
	if (render_node_of(GPU_PASSED, node, sizeof(node)) ||
	    busybox_ct(OTHER, 200000) ||
	    sh("nsgpuperf host grant " OTHER " --gpu " GPU_PASSED " >> /var/lib/lxc/" OTHER "/config") ||
	    ct_tools("/var/lib/lxc/" OTHER "/rootfs", 200000) ||
	    sh("lxc-start -n " OTHER) || ct_wait_running(OTHER) ||
	    sh("lxc-attach -n " OTHER " -- /usr/local/bin/drm-client %s %llu 0 >/tmp/other-client.log 2>&1 &"
	       " for i in $(seq 30); do grep -q ready /tmp/other-client.log && exit 0; sleep 1; done; exit 1",
	       node, OTHER_RENDER))
		return -1;
	return state_set("other", "ready");
}

/* Start the layout's container's two DRM clients: a service and an attach. */
static int ct_clients(const char *ct)
{
	char node[64];

	if (render_node_of(GPU_PASSED, node, sizeof(node)))
		return -1;
	return sh("lxc-attach -n %1$s -- sh -c 'mkdir -p /sys/fs/cgroup/system.slice/nsgp-client.service && "
		  "echo $$ > /sys/fs/cgroup/system.slice/nsgp-client.service/cgroup.procs && "
		  "exec /usr/local/bin/drm-client %2$s %3$llu 0' >/tmp/%1$s-svc.log 2>&1 &"
		  " lxc-attach -n %1$s -- /usr/local/bin/drm-client %2$s %4$llu %5$llu >/tmp/%1$s-att.log 2>&1 &"
		  " for i in $(seq 30); do grep -q ready /tmp/%1$s-svc.log && grep -q ready /tmp/%1$s-att.log && exit 0;"
		  " sleep 1; done; exit 1",
		  ct, node, SVC_RENDER, ATT_RENDER, ATT_VIDEO);
}

/* The layout's container, made and granted by README's blocks. */
static int layout_once(const struct layout *l)
{
	char rootfs[128];

	if (state_is("layout", l->key))
		return 0;
	if (host_once() || other_once())
		return -1;
	/* the layouts take turns with README's container name */
	ct_destroy("ct1");
	ct_destroy("101");
	sh("nsgpuperf host revoke ct1; nsgpuperf host revoke 101; rm -f /etc/pve/lxc/101.conf; true");
	snprintf(rootfs, sizeof(rootfs), "/var/lib/lxc/%s/rootfs", l->name);

	if (!l->debian) {
		/* a running container, as admins have it when they grant */
		if (busybox_ct(l->name, 100000) || sh("lxc-start -n %s", l->name) ||
		    ct_wait_running(l->name) || run_readme("lxc-grant"))
			return -1;
	} else if (!l->proxmox) {
		if (sh("mkdir -p /var/lib/lxc/%s", l->name) ||
		    write_file("/var/lib/lxc/ct1/config", download_config, l->name) ||
		    debian_rootfs(rootfs) || sh("lxc-start -n %s", l->name) ||
		    ct_wait_running(l->name) || run_readme("lxc-grant"))
			return -1;
	} else {
		if (sh("mkdir -p /etc/pve/lxc /var/lib/lxc/101") ||
		    write_file("/etc/pve/lxc/101.conf", "%s", pve_conf) ||
		    run_readme("pve-grant") ||
		    write_file("/var/lib/lxc/101/config", "%s", pve_lxc_config) ||
		    sh("sed -n 's/^\\(lxc\\.[^:]*\\): /\\1 = /p' /etc/pve/lxc/101.conf >> /var/lib/lxc/101/config") ||
		    debian_rootfs(rootfs) || sh("lxc-start -n 101") || ct_wait_running("101"))
			return -1;
	}
	ct_wait_running(l->name);
	if (sh("cat /var/lib/lxc/%s/config", l->name))
		return -1;
	/* README's install (its path names ct1); Proxmox would pct push */
	if (!l->proxmox && run_readme("ct-install"))
		return -1;
	if (l->proxmox &&
	    sh("install -D -m 0755 " CHECKOUT "/build/userspace/static/nsgpuperf %s/usr/local/bin/nsgpuperf",
	       rootfs))
		return -1;
	if (ct_tools(rootfs, 100000) || ct_clients(l->name))
		return -1;
	return state_set("layout", l->key);
}

/* ---- checks every layout runs ------------------------------------------- */

#define CT(fmt, ...)	sh("lxc-attach -n %s -- " fmt, self->ct, ##__VA_ARGS__)
#define CT_OUT(buf, fmt, ...) \
	sh_out(buf, sizeof(buf), "lxc-attach -n %s -- " fmt, self->ct, ##__VA_ARGS__)

FIXTURE(ct) {
	const char *ct;
	char out[65536];
};

FIXTURE_VARIANT(ct) {
	struct layout l;
};

FIXTURE_VARIANT_ADD(ct, busybox) { .l = { "busybox", "ct1", false, false } };
FIXTURE_VARIANT_ADD(ct, download) { .l = { "download", "ct1", true, false } };
FIXTURE_VARIANT_ADD(ct, proxmox) { .l = { "proxmox", "101", true, true } };

FIXTURE_SETUP(ct)
{
	self->ct = variant->l.name;
	ASSERT_EQ(0, layout_once(&variant->l));
}

FIXTURE_TEARDOWN(ct)
{
}

/* README's example output is what grant prints for this host (LXC form). */
TEST_F_TIMEOUT(ct, grant_lines_in_config_match_readme, LXC_TEST_TIMEOUT)
{
	char block[4096], config[8192];
	FILE *f;
	size_t n;

	if (variant->l.proxmox) {
		/* the `:` form landed in the PVE config and was passed through */
		EXPECT_EQ(0, sh("grep -x 'lxc.mount.entry: /dev/nsgpuperf-ct/101 dev/nsgpuperf none bind,optional,create=file' /etc/pve/lxc/101.conf"));
		EXPECT_EQ(0, sh("grep -x 'lxc.cgroup2.devices.allow = c 120:0 rw' /var/lib/lxc/101/config"));
		return;
	}
	ASSERT_EQ(0, readme_block("lxc-grant-output", block, sizeof(block)));
	f = fopen("/var/lib/lxc/ct1/config", "re");
	ASSERT_NE(NULL, f);
	n = fread(config, 1, sizeof(config) - 1, f);
	config[n] = '\0';
	fclose(f);
	TH_LOG("README shows:\n%s", block);
	/* appended last, exactly as README shows it */
	ASSERT_GE(n, strlen(block));
	EXPECT_STREQ(block, config + n - strlen(block));
}

TEST_F_TIMEOUT(ct, standard_devices_still_open, LXC_TEST_TIMEOUT)
{
	/* each device the baseline allows opens, and does what it does */
	EXPECT_EQ(0, CT("sh -c 'for d in null zero full random urandom tty ptmx; do "
			"[ -c /dev/$d ] || { echo no /dev/$d; exit 1; }; done; "
			"echo x > /dev/null && head -c 16 /dev/zero | od -An -tx1 | grep -q \"00 00\" && "
			"head -c 16 /dev/urandom >/dev/null && head -c 16 /dev/random >/dev/null && "
			"! echo x 2>/dev/null > /dev/full && exec 3<>/dev/ptmx'"));
}

TEST_F_TIMEOUT(ct, reader_lists_only_the_passed_gpu, LXC_TEST_TIMEOUT)
{
	char exec[64];
	const char *why;

	snprintf(exec, sizeof(exec), "lxc-attach -n %s --", self->ct);
	why = reader_sees_only_passed_gpu(exec);
	if (why)
		TH_LOG("%s", why);
	EXPECT_EQ(NULL, why);
}


TEST_F_TIMEOUT(ct, readme_read_block_runs_in_the_container, LXC_TEST_TIMEOUT)
{
	char block[4096];

	ASSERT_EQ(0, readme_block("ct-read", block, sizeof(block)));
	ASSERT_EQ(0, write_file("/tmp/ct-read.sh", "%s", block));
	ASSERT_EQ(0, sh("lxc-attach -n %s -- sh -e -x < /tmp/ct-read.sh", self->ct));
}

/* -J -n 3: the driven busy of the passed GPU, read as container root. */
TEST_F_TIMEOUT(ct, reader_json_shows_driven_values, LXC_TEST_TIMEOUT)
{
	char v[64];

	ASSERT_EQ(0, mock_ctl(GPU_PASSED, "rate 0x0 250000000"));	/* rcs0 25 % */
	ASSERT_EQ(0, mock_ctl(GPU_PASSED, "rate 0x2000 600000000"));	/* vcs0 60 % */
	ASSERT_EQ(0, sh("lxc-attach -n %s -- nsgpuperf -J -n 3 -s 300 -d " GPU_PASSED
			" > /tmp/ct.json", self->ct));
	/* -J: intel_gpu_top 1.28's layout, an array of samples */
	ASSERT_EQ(0, sh_out(v, sizeof(v), "jq '.[-1].engines[\"Render/3D\"].busy' /tmp/ct.json"));
	EXPECT_LT(23.0, atof(v));
	EXPECT_GT(27.0, atof(v));
	ASSERT_EQ(0, sh_out(v, sizeof(v), "jq '.[-1].engines[\"Video\"].busy' /tmp/ct.json"));
	/* a class is the mean of its engines: vcs0 60 %, vcs1 0 % */
	EXPECT_LT(28.0, atof(v));
	EXPECT_GT(32.0, atof(v));
	/* the first sample, too, covers a whole period (ms), as intel_gpu_top's */
	ASSERT_EQ(0, sh_out(v, sizeof(v), "jq '.[0].period.duration' /tmp/ct.json"));
	EXPECT_LT(280.0, atof(v));
	mock_ctl(GPU_PASSED, "rate 0x0 0");
	mock_ctl(GPU_PASSED, "rate 0x2000 0");
}

TEST_F_TIMEOUT(ct, exporter_scraped, LXC_TEST_TIMEOUT)
{
	/* the loopback up, as the container's init would bring it */
	ASSERT_EQ(0, sh("nsenter -t $(lxc-info -n %s -p -H) -n ip link set lo up", self->ct));
	ASSERT_EQ(0, CT("sh -c 'nsgpuperf exporter --listen 127.0.0.1:9101 >/dev/null 2>&1 &'"));
	/* from the host, in the container's network namespace */
	EXPECT_EQ(0, sh_out(self->out, sizeof(self->out),
			    "pid=$(lxc-info -n %s -p -H); for i in $(seq 30); do "
			    "nsenter -t $pid -n busybox wget -qO /tmp/scrape http://127.0.0.1:9101/metrics && "
			    /* a scrape before the first period has ended is empty */
			    "grep -q nsgpuperf_engine_busy /tmp/scrape && cat /tmp/scrape && exit 0; "
			    "sleep 1; done; exit 1", self->ct));
	EXPECT_NE(NULL, strstr(self->out, "nsgpuperf_engine_busy_seconds_total{gpu=\"" GPU_PASSED "\""));
	EXPECT_EQ(NULL, strstr(self->out, GPU_OTHER));
	EXPECT_NE(NULL, strstr(self->out, "nsgpuperf_cgroup_busy_seconds_total"));
	CT("sh -c 'kill $(pidof nsgpuperf)'");
}

/*
 * A user of the container is refused by the node's file mode (0600, the
 * container root's): EACCES, and the host logs nothing, with or without a
 * user namespace of its own.  The module's rule stands behind the mode:
 * on a node whose mode an admin opened to everyone, the same user gets
 * EPERM, and the host says which rule failed (no CAP_PERFMON; with its
 * own namespace, the node's owner not mapped in it).  Container root's
 * own `unshare -U -r` maps container root: the same principal, it passes.
 */
TEST_F_TIMEOUT(ct, container_user_and_nested_userns_refused, LXC_TEST_TIMEOUT)
{
	char before[32], after[32], node[64];

	snprintf(node, sizeof(node), "/dev/nsgpuperf-ct/%s", self->ct);
	ASSERT_EQ(0, sh_out(before, sizeof(before), "dmesg | grep -c 'nsgpuperf: open denied' || true"));
	EXPECT_EQ(4, sh_out(self->out, sizeof(self->out),
			    "lxc-attach -n %s -u 1000 -g 1000 -- /usr/local/bin/nsgpuperf list", self->ct));
	EXPECT_NE(NULL, strstr(self->out, "permission denied by the node's file mode"));
	EXPECT_NE(NULL, strstr(self->out, "EACCES"));
	EXPECT_EQ(4, sh_out(self->out, sizeof(self->out),
			    "lxc-attach -n %s -u 1000 -g 1000 -- unshare -U -r /usr/local/bin/nsgpuperf list",
			    self->ct));
	EXPECT_NE(NULL, strstr(self->out, "EACCES"));
	ASSERT_EQ(0, sh_out(after, sizeof(after), "dmesg | grep -c 'nsgpuperf: open denied' || true"));
	EXPECT_EQ(atoi(before), atoi(after));

	EXPECT_EQ(0, CT_OUT(self->out, "unshare -U -r /usr/local/bin/nsgpuperf list"));
	EXPECT_NE(NULL, strstr(self->out, GPU_PASSED));

	/* the admin's mistake: a node everyone may open */
	ASSERT_EQ(0, sh("chmod 0666 %s", node));
	EXPECT_EQ(1, sh("nsgpuperf host list >/dev/null"));
	EXPECT_EQ(0, sh("nsgpuperf host list | grep '^%s .*wrong mode'", self->ct));
	EXPECT_EQ(4, sh_out(self->out, sizeof(self->out),
			    "lxc-attach -n %s -u 1000 -g 1000 -- /usr/local/bin/nsgpuperf list", self->ct));
	EXPECT_NE(NULL, strstr(self->out, "EPERM"));
	EXPECT_EQ(0, sh("dmesg | tail -n 3 | grep 'nsgpuperf: open denied.*CAP_PERFMON'"));
	EXPECT_EQ(4, sh_out(self->out, sizeof(self->out),
			    "lxc-attach -n %s -u 1000 -g 1000 -- unshare -U -r /usr/local/bin/nsgpuperf list",
			    self->ct));
	EXPECT_NE(NULL, strstr(self->out, "EPERM"));
	EXPECT_EQ(0, sh("dmesg | tail -n 3 | grep 'nsgpuperf: open denied.*not mapped'"));
	ASSERT_EQ(0, sh("chmod 0600 %s", node));
}

/* The container's own usage, read from one of its cgroups. */
static void expect_whole_container(struct __test_metadata *_metadata,
				   const char *csv, const char *where)
{
	char v[64];

	TH_LOG("usage read from %s", where);
	ASSERT_NE(NULL, csv_value(csv, "usage_scope", v, sizeof(v)));
	EXPECT_STREQ("container", v);
	ASSERT_NE(NULL, csv_value(csv, "usage_clients", v, sizeof(v)));
	EXPECT_STREQ("2", v);
	ASSERT_NE(NULL, csv_value(csv, "usage_render_ns", v, sizeof(v)));
	/* both own clients, never the other container's 7 s */
	EXPECT_EQ(SVC_RENDER + ATT_RENDER, strtoull(v, NULL, 10));
	ASSERT_NE(NULL, csv_value(csv, "usage_video_ns", v, sizeof(v)));
	EXPECT_EQ(ATT_VIDEO, strtoull(v, NULL, 10));
}

TEST_F_TIMEOUT(ct, usage_is_the_whole_container_from_each_cgroup, LXC_TEST_TIMEOUT)
{
	static const char reader[] = "/usr/local/bin/nsgpuperf -c -n 1 -d " GPU_PASSED;

	/* lxc-attach's own cgroup */
	ASSERT_EQ(0, CT_OUT(self->out, "%s", reader));
	expect_whole_container(_metadata, self->out, "lxc-attach's cgroup");
	/* a service's cgroup */
	ASSERT_EQ(0, CT_OUT(self->out, "sh -c 'mkdir -p /sys/fs/cgroup/system.slice/reader.service && "
			    "echo $$ > /sys/fs/cgroup/system.slice/reader.service/cgroup.procs && exec %s'",
			    reader));
	expect_whole_container(_metadata, self->out, "system.slice/reader.service");
	/* init's cgroup */
	ASSERT_EQ(0, CT_OUT(self->out, "sh -c 'echo $$ > /sys/fs/cgroup$(cut -d: -f3 /proc/1/cgroup)/cgroup.procs"
			    " && cat /proc/self/cgroup && exec %s'", reader));
	expect_whole_container(_metadata, self->out, "init's cgroup");
}

/*
 * The host's node of the container survives a module reload (fixed
 * number): the container keeps reading without any change.
 */
TEST_F_TIMEOUT(ct, module_reload_keeps_the_container_working, LXC_TEST_TIMEOUT)
{
	ASSERT_EQ(0, sh("rmmod nsgpuperf && modprobe nsgpuperf && ls -l /dev/nsgpuperf /dev/nsgpuperf-ct"));
	ASSERT_EQ(0, CT_OUT(self->out, "nsgpuperf list"));
	EXPECT_NE(NULL, strstr(self->out, GPU_PASSED));
	EXPECT_EQ(0, sh("nsgpuperf host list"));
}

/* ---- the Debian layouts: their own intel_gpu_top ---------------------- */

/*
 * The same containers (proxmox first: it is the one left by the fixture
 * above, so only one layout is made again).
 */
FIXTURE(debian) {
	const char *ct;
	char out[65536];
};

FIXTURE_VARIANT(debian) {
	struct layout l;
};

FIXTURE_VARIANT_ADD(debian, proxmox) { .l = { "proxmox", "101", true, true } };
FIXTURE_VARIANT_ADD(debian, download) { .l = { "download", "ct1", true, false } };

FIXTURE_SETUP(debian)
{
	self->ct = variant->l.name;
	ASSERT_EQ(0, layout_once(&variant->l));
}

FIXTURE_TEARDOWN(debian)
{
}

/* The container's own intel_gpu_top, through the shim in ld.so.preload. */
TEST_F_TIMEOUT(debian, own_intel_gpu_top_through_ld_so_preload, LXC_TEST_TIMEOUT)
{
	char v[64];

	if (!variant->l.proxmox) {
		ASSERT_EQ(0, run_readme("ct-install-preload"));
	} else {
		/* Proxmox: pct push, not in this VM */
		ASSERT_EQ(0, sh("install -D -m 0644 " CHECKOUT "/build/userspace/libnsgpuperf-preload.so "
				"/var/lib/lxc/101/rootfs/usr/local/lib/libnsgpuperf-preload.so"));
	}
	ASSERT_EQ(0, readme_block("ct-preload", self->out, sizeof(self->out)));
	ASSERT_EQ(0, write_file("/tmp/ct-preload.sh", "%s", self->out));
	ASSERT_EQ(0, sh("lxc-attach -n %s -- sh -e -x < /tmp/ct-preload.sh", self->ct));

	ASSERT_EQ(0, mock_ctl(GPU_PASSED, "rate 0x0 400000000"));	/* rcs0 40 % */
	/* 1.27.1 has no -n: stopped after 4 s (more on the debug kernel) */
	sh("lxc-attach -n %s -- timeout -s INT %u intel_gpu_top -J -s 500 -d pci:slot=" GPU_PASSED
	   " > /tmp/igt.json", self->ct, 4 * nsgp_time_scale());
	/* 1.27.1's -J: objects joined by "}," lines, engines by name/instance */
	ASSERT_EQ(0, sh_out(v, sizeof(v), "sed 's/^},$/}/' /tmp/igt.json | jq -s '.[-1].engines[\"Render/3D/0\"].busy'"));
	EXPECT_LT(38.0, atof(v));
	EXPECT_GT(42.0, atof(v));
	mock_ctl(GPU_PASSED, "rate 0x0 0");
	CT("sed -i '/libnsgpuperf-preload/d' /etc/ld.so.preload");
}

/*
 * An app container in the LXC container (its own mount namespace, no
 * LD_PRELOAD, as Docker-in-LXC runs one) with the static reader
 * bind-mounted as /usr/bin/intel_gpu_top: the same values.
 */
TEST_F_TIMEOUT(debian, static_reader_as_intel_gpu_top_in_an_app_container, LXC_TEST_TIMEOUT)
{
	char v[64];

	ASSERT_EQ(0, mock_ctl(GPU_PASSED, "rate 0x0 400000000"));
	ASSERT_EQ(0, CT_OUT(self->out, "env -u LD_PRELOAD unshare -m sh -c "
			    "'mount --bind /usr/local/bin/nsgpuperf /usr/bin/intel_gpu_top && "
			    "exec intel_gpu_top -J -n 3 -s 300 -d pci:slot=" GPU_PASSED "' > /tmp/app.json"));
	ASSERT_EQ(0, sh_out(v, sizeof(v), "sed 's/^},$/}/' /tmp/app.json | jq -s '.[-1].engines[\"Render/3D/0\"].busy'"));
	EXPECT_LT(38.0, atof(v));
	EXPECT_GT(42.0, atof(v));
	mock_ctl(GPU_PASSED, "rate 0x0 0");
}

/* ---- fail closed --------------------------------------------------------- */

/*
 * A container with the mount lines only (no device rule: LXC attaches no
 * device program, so the device cgroup allows everything): it still sees
 * only the GPU whose render node it holds.
 */
FIXTURE(mount_only) {
	int unused;
};

FIXTURE_SETUP(mount_only)
{
}

FIXTURE_TEARDOWN(mount_only)
{
}

TEST_F_TIMEOUT(mount_only, config_fails_closed, LXC_TEST_TIMEOUT)
{
	char other[64];
	const char *why;

	ASSERT_EQ(0, host_once());
	ASSERT_EQ(0, render_node_of(GPU_OTHER, other, sizeof(other)));
	ct_destroy("mo1");
	sh("nsgpuperf host revoke mo1");
	ASSERT_EQ(0, busybox_ct("mo1", 100000));
	/* grant's node, and only grant's mount lines */
	ASSERT_EQ(0, sh("nsgpuperf host grant mo1 --gpu " GPU_PASSED " | grep '^lxc.mount.entry' "
			">> /var/lib/lxc/mo1/config && ! grep devices /var/lib/lxc/mo1/config"));
	ASSERT_EQ(0, sh("install -D -m 0755 /tests/nsgpuperf-static /var/lib/lxc/mo1/rootfs/usr/local/bin/nsgpuperf"));
	ASSERT_EQ(0, sh("lxc-start -n mo1"));
	ASSERT_EQ(0, ct_wait_running("mo1"));
	/*
	 * No device program: in the container's cgroup even the other GPU's
	 * render node opens (host root, moved there, opens the host's node).
	 */
	EXPECT_EQ(0, sh("sh -c 'echo $$ > /sys/fs/cgroup$(cut -d: -f3 /proc/$(lxc-info -n mo1 -p -H)/cgroup)/cgroup.procs"
			" && cat /proc/self/cgroup && : < %s'", other));
	why = reader_sees_only_passed_gpu("lxc-attach -n mo1 --");
	if (why)
		TH_LOG("%s", why);
	EXPECT_EQ(NULL, why);
	ct_destroy("mo1");
	sh("nsgpuperf host revoke mo1");
}

TEST_HARNESS_MAIN
