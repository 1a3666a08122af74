// SPDX-License-Identifier: GPL-2.0
/*
 * nsgpuperf host (cli/host.c) on fixture trees: each test gets a fresh
 * $NSGPUPERF_HOST_ROOT with
 *
 *   sys/class/nsgpuperf/nsgpuperf/dev   "234:7" (the module's number; never
 *                                       120:0, so nothing can hard-code it)
 *   sys/class/drm/renderD128..131       Intel i915 00:02.0 and xe 00:03.0
 *                                       (served), the mock's edu bound to
 *                                       i915 but not Intel's, an amdgpu
 *   dev/dri/renderD128, renderD129      the render nodes
 *   var/lib/lxc/NAME/config, etc/pve/lxc/ID.conf   from tests/data/host
 *
 * and runs host_main() in a child (stdout, stderr and the exit code kept).
 * Checked: the root ids found in each kind of config (LXC busybox and
 * download templates, an id map in nested includes, Proxmox unprivileged
 * with PVE's default map, a custom map with a snapshot section after it),
 * the printed lines byte for byte (tests/data/host/grant_*.golden), the
 * node (number, owner, mode), the record and the udev rule, revoke, list's
 * status for each way a node can go wrong, restore, and the errors with
 * their exit codes (privileged, unknown, not root, module not loaded,
 * --gpu matching nothing, bad usage).
 *
 * The tests need root (mknod, chown), as `make check` runs them.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "cli.h"
#include "test_data.h"

#define MAJ	234
#define MIN	7

struct run {
	int code;		/* exit code, -1 if it did not exit */
	char *out, *err;
};

FIXTURE(host) {
	char root[64];
	struct run r;
};

/* A file under the root, written whole. */
static int put(const char *root, const char *path, const char *text)
{
	char p[PATH_MAX], *s;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, path);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int put_data(const char *root, const char *path, const char *name)
{
	char file[128], *text;
	int ret;

	snprintf(file, sizeof(file), "host/%s", name);
	text = slurp_data(file, NULL);
	if (!text)
		return -1;
	ret = put(root, path, text);
	free(text);
	return ret;
}

static int link_at(const char *root, const char *target, const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, path);
	return symlink(target, p);
}

/* One render node in the fixture's sysfs. */
static int drm(const char *root, int minor, const char *pci, const char *driver,
	       const char *vendor)
{
	char path[256], target[256], v[16];

	snprintf(path, sizeof(path), "sys/devices/pci0000:00/%s/vendor", pci);
	snprintf(v, sizeof(v), "%s\n", vendor);
	if (put(root, path, v))
		return -1;
	snprintf(path, sizeof(path), "sys/devices/pci0000:00/%s/driver", pci);
	snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
	if (link_at(root, target, path))
		return -1;
	snprintf(path, sizeof(path), "sys/class/drm/renderD%d/dev", minor);
	snprintf(v, sizeof(v), "226:%d\n", minor);
	if (put(root, path, v))
		return -1;
	snprintf(path, sizeof(path), "sys/class/drm/renderD%d/device", minor);
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", pci);
	return link_at(root, target, path);
}

static int node_at(const char *root, const char *path, mode_t mode, int maj, int min)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, path);
	unlink(p);
	return mknod(p, S_IFCHR | mode, makedev(maj, min)) || chmod(p, mode);
}

FIXTURE_SETUP(host)
{
	static const struct { const char *path, *data; } configs[] = {
		{ "var/lib/lxc/bb/config", "lxc-busybox.config" },
		{ "var/lib/lxc/dl/config", "lxc-download.config" },
		{ "var/lib/lxc/inc/config", "lxc-include.config" },
		{ "etc/lxc/ids.conf", "lxc-include-ids.conf" },
		{ "etc/lxc/ids-g.conf", "lxc-include-ids-g.conf" },
		{ "var/lib/lxc/priv/config", "lxc-privileged.config" },
		{ "var/lib/lxc/base/config", "lxc-baseline.config" },
		{ "var/lib/lxc/allows/config", "lxc-allows.config" },
		{ "etc/pve/lxc/101.conf", "pve-101.conf" },
		{ "etc/pve/lxc/102.conf", "pve-102.conf" },
		{ "etc/pve/lxc/103.conf", "pve-103.conf" },
		{ "etc/pve/lxc/104.conf", "pve-104.conf" },
	};
	char dev[16];
	size_t i;

	ASSERT_EQ(0, geteuid()) TH_LOG("the host tests need root (mknod, chown)");
	snprintf(self->root, sizeof(self->root), "/tmp/ngp-host-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->root));
	snprintf(dev, sizeof(dev), "%d:%d\n", MAJ, MIN);
	ASSERT_EQ(0, put(self->root, "sys/class/nsgpuperf/nsgpuperf/dev", dev));
	ASSERT_EQ(0, drm(self->root, 128, "0000:00:02.0", "i915", "0x8086"));
	ASSERT_EQ(0, drm(self->root, 129, "0000:00:03.0", "xe", "0x8086"));
	ASSERT_EQ(0, drm(self->root, 130, "0000:00:04.0", "i915", "0x1234"));
	ASSERT_EQ(0, drm(self->root, 131, "0000:00:05.0", "amdgpu", "0x1002"));
	ASSERT_EQ(0, put(self->root, "sys/class/drm/card0/dev", "226:0\n"));
	ASSERT_EQ(0, put(self->root, "dev/dri/.keep", ""));
	ASSERT_EQ(0, node_at(self->root, "dev/dri/renderD128", 0666, 226, 128));
	ASSERT_EQ(0, node_at(self->root, "dev/dri/renderD129", 0666, 226, 129));
	for (i = 0; i < ARRAY_SIZE(configs); i++)
		ASSERT_EQ(0, put_data(self->root, configs[i].path, configs[i].data))
			TH_LOG("tests/data/host/%s", configs[i].data);
	ASSERT_EQ(0, setenv("NSGPUPERF_HOST_ROOT", self->root, 1));
	memset(&self->r, 0, sizeof(self->r));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

FIXTURE_TEARDOWN(host)
{
	run_free(&self->r);
	nftw(self->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * nsgpuperf host ARGS... in a child, as uid (0: root): exit code, stdout
 * and stderr in r.  NULL-terminated.
 */
static void run_as(const char *root, struct run *r, uid_t uid, ...)
{
	char *argv[16], out[PATH_MAX], err[PATH_MAX];
	int argc = 0, status, fd;
	va_list ap;
	pid_t pid;

	run_free(r);
	argv[argc++] = "host";
	va_start(ap, uid);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	snprintf(out, sizeof(out), "%s.out", root);
	snprintf(err, sizeof(err), "%s.err", root);
	pid = fork();
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(125);
		fd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(125);
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(124);
		status = host_main(argc, argv);
		fflush(stdout);
		fflush(stderr);
		_exit(status);
	}
	r->code = -1;
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		r->code = WEXITSTATUS(status);
	r->out = slurp(out, NULL);
	r->err = slurp(err, NULL);
	unlink(out);
	unlink(err);
	if (!r->out)
		r->out = strdup("");
	if (!r->err)
		r->err = strdup("");
}

#define HOST(...)	run_as(self->root, &self->r, 0, __VA_ARGS__, NULL)

/* The run's stdout is the golden file tests/data/host/NAME. */
static void expect_golden(struct __test_metadata *_metadata, const struct run *r,
			  const char *name)
{
	char file[128], *want;
	size_t wlen;

	snprintf(file, sizeof(file), "host/%s", name);
	want = slurp_data(file, &wlen);
	ASSERT_NE(NULL, want) TH_LOG("tests/data/%s", file);
	if (strcmp(want, r->out)) {
		show_diff(_metadata, want, wlen, r->out, strlen(r->out));
		TH_LOG("stdout:\n%s\nstderr:\n%s", r->out, r->err);
	}
	EXPECT_STREQ(want, r->out);
	free(want);
}

static void expect_err_has(struct __test_metadata *_metadata, const struct run *r,
			   const char *const *says)
{
	for (; *says; says++)
		EXPECT_NE(NULL, strstr(r->err, *says))
			TH_LOG("stderr lacks \"%s\":\n%s", *says, r->err);
}

/* The node is c MAJ:MIN, uid:gid, 0600. */
static void expect_node(struct __test_metadata *_metadata, const char *root,
			const char *name, uid_t uid, gid_t gid)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/dev/nsgpuperf-ct/%s", root, name);
	ASSERT_EQ(0, lstat(p, &st)) TH_LOG("%s: %s", p, strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(makedev(MAJ, MIN), st.st_rdev)
		TH_LOG("%u:%u", major(st.st_rdev), minor(st.st_rdev));
	EXPECT_EQ(uid, st.st_uid);
	EXPECT_EQ(gid, st.st_gid);
	EXPECT_EQ(0600, st.st_mode & 07777) TH_LOG("mode %04o", st.st_mode & 07777);
}

static bool exists(const char *root, const char *path)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, path);
	return !lstat(p, &st);
}

static char *read_at(const char *root, const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, path);
	return slurp(p, NULL);
}

/* ---- grant: the ids, the lines, the node, the record, the rule ----------- */

TEST_F(host, grant_lxc_busybox)
{
	char exe[PATH_MAX], rule[PATH_MAX + 256], *have;

	HOST("grant", "bb");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_golden(_metadata, &self->r, "grant_lxc_busybox.golden");
	expect_node(_metadata, self->root, "bb", 200000, 200000);

	have = read_at(self->root, "etc/nsgpuperf/containers/bb");
	ASSERT_NE(NULL, have);
	EXPECT_STREQ("# nsgpuperf host grant bb: `nsgpuperf host restore` (run by udev when the module loads) recreates the node from this\n"
		     "format lxc\nuid 200000\ngid 200000\nconfig /var/lib/lxc/bb/config\n"
		     "dev 234:7\nnode /dev/nsgpuperf-ct/bb\n"
		     "gpu 0000:00:02.0 /dev/dri/renderD128\ngpu 0000:00:03.0 /dev/dri/renderD129\n",
		     have);
	free(have);

	/* the udev rule runs this very binary, by its real path */
	ASSERT_NE(NULL, realpath("/proc/self/exe", exe));
	snprintf(rule, sizeof(rule),
		 "# Written by `nsgpuperf host grant`: when the nsgpuperf module's device appears\n"
		 "# (module load, boot), recreate the containers' nodes in /dev/nsgpuperf-ct.\n"
		 "ACTION==\"add\", SUBSYSTEM==\"nsgpuperf\", KERNEL==\"nsgpuperf\", RUN+=\"%s host restore\"\n",
		 exe);
	have = read_at(self->root, "etc/udev/rules.d/70-nsgpuperf.rules");
	ASSERT_NE(NULL, have);
	EXPECT_STREQ(rule, have);
	free(have);
	EXPECT_NE(NULL, strstr(self->r.err, "nsgpuperf host grant bb >> /var/lib/lxc/bb/config"))
		TH_LOG("%s", self->r.err);
}

TEST_F(host, grant_lxc_download_template)
{
	/* its includes (/usr/share/lxc/config/...) are not there: not needed */
	HOST("grant", "dl", "--gpu", "0000:00:02.0");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_golden(_metadata, &self->r, "grant_lxc_download.golden");
	expect_node(_metadata, self->root, "dl", 100000, 165536);
}

TEST_F(host, grant_lxc_idmap_in_includes)
{
	char *state;

	HOST("grant", "inc", "--gpu", "renderD129");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_node(_metadata, self->root, "inc", 300000, 300001);
	state = read_at(self->root, "etc/nsgpuperf/containers/inc");
	ASSERT_NE(NULL, state);
	EXPECT_NE(NULL, strstr(state, "\ngpu 0000:00:03.0 /dev/dri/renderD129\n"));
	EXPECT_EQ(NULL, strstr(state, "renderD128"));
	free(state);
}

TEST_F(host, grant_proxmox_unprivileged)
{
	/* unprivileged: 1 and no lxc.idmap: PVE's 100000 */
	HOST("grant", "101");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_golden(_metadata, &self->r, "grant_proxmox_101.golden");
	expect_node(_metadata, self->root, "101", 100000, 100000);
	EXPECT_NE(NULL, strstr(self->r.err, ">> /etc/pve/lxc/101.conf")) TH_LOG("%s", self->r.err);
}

TEST_F(host, grant_proxmox_custom_idmap_snapshot)
{
	static const char *const says[] = {
		"root is 110000:120000", "[before-upgrade] section", "put the lines above it", NULL,
	};

	/* the ids and lines of the current config, not of the snapshot after it */
	HOST("grant", "102", "--gpu", "/dev/dri/renderD128");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_golden(_metadata, &self->r, "grant_proxmox_102.golden");
	expect_node(_metadata, self->root, "102", 110000, 120000);
	expect_err_has(_metadata, &self->r, says);
}

TEST_F(host, grant_baseline_already_there)
{
	static const char *const says[] = { "line(s) left out", NULL };

	/*
	 * deny = a and the standard devices after it are there (one in odd
	 * blanks), and GPU 128's lines; 5:0 only before the deny: printed
	 */
	HOST("grant", "base");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_golden(_metadata, &self->r, "grant_lxc_baseline.golden");
	expect_err_has(_metadata, &self->r, says);
}

TEST_F(host, grant_repeats_rules_deny_resets)
{
	HOST("grant", "allows", "--gpu", "00:02.0");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_golden(_metadata, &self->r, "grant_lxc_allows.golden");
}

TEST_F(host, grant_proxmox_dev)
{
	static const char *const says[] = { "no host node", "Proxmox", NULL };
	char *state;

	/* dev0, dev2 (renderD128 already) used: dev1 for the node, dev3 for 129 */
	HOST("grant", "104", "--proxmox-dev");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_golden(_metadata, &self->r, "grant_proxmox_dev_104.golden");
	expect_err_has(_metadata, &self->r, says);
	EXPECT_FALSE(exists(self->root, "dev/nsgpuperf-ct/104"));
	EXPECT_FALSE(exists(self->root, "etc/udev/rules.d/70-nsgpuperf.rules"));
	state = read_at(self->root, "etc/nsgpuperf/containers/104");
	ASSERT_NE(NULL, state);
	EXPECT_NE(NULL, strstr(state, "\nformat proxmox-dev\n"));
	EXPECT_NE(NULL, strstr(state, "\npve-dev dev1 /dev/nsgpuperf\npve-dev dev2 /dev/dri/renderD128\npve-dev dev3 /dev/dri/renderD129\n"))
		TH_LOG("%s", state);
	free(state);
}

TEST_F(host, grant_other_format_drops_old_node)
{
	HOST("grant", "101");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_node(_metadata, self->root, "101", 100000, 100000);
	HOST("grant", "101", "--proxmox-dev");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	EXPECT_FALSE(exists(self->root, "dev/nsgpuperf-ct/101"));
	EXPECT_NE(NULL, strstr(self->r.err, "removed /dev/nsgpuperf-ct/101, the node of 101's previous grant (proxmox)"))
		TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "pct set 101 --dev0 /dev/nsgpuperf,mode=0600 --dev1 /dev/dri/renderD128,mode=0666 --dev2 /dev/dri/renderD129,mode=0666"))
		TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, "nsgpuperf host grant 101 --proxmox-dev >> /etc/pve/lxc/101.conf"))
		TH_LOG("%s", self->r.err);
}

TEST_F(host, grant_proxmox_raw_repeats_passthrough)
{
	/*
	 * 104's raw lines: PVE writes dev0/dev2's allow lines before them,
	 * and deny = a resets those: renderD128's is repeated (by number);
	 * /dev/ttyUSB0 is not here, which stderr says
	 */
	HOST("grant", "104", "--proxmox", "--gpu", "0000:00:03.0");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_golden(_metadata, &self->r, "grant_proxmox_104.golden");
	EXPECT_NE(NULL, strstr(self->r.err, "dev0 (/dev/ttyUSB0): not a device node here"))
		TH_LOG("%s", self->r.err);
}

TEST_F(host, grant_incus)
{
	/* no config, no ids needed: Incus makes the node */
	HOST("grant", "web", "--incus");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_golden(_metadata, &self->r, "grant_incus.golden");
	EXPECT_FALSE(exists(self->root, "dev/nsgpuperf-ct/web"));
	EXPECT_NE(NULL, strstr(self->r.err, "no host node")) TH_LOG("%s", self->r.err);
}

TEST_F(host, grant_given_ids)
{
	HOST("grant", "app", "--uid", "1000000", "--gid", "1000001", "--gpu", "renderD128");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_node(_metadata, self->root, "app", 1000000, 1000001);
	/* no config: plain LXC lines */
	EXPECT_NE(NULL, strstr(self->r.out, "\nlxc.cgroup2.devices.allow = c 234:7 rw\n"));

	/* given ids override the config's */
	HOST("grant", "bb", "--uid", "555555", "--gid", "555556");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_node(_metadata, self->root, "bb", 555555, 555556);
}

TEST_F(host, grant_again_same_node)
{
	char *first;

	HOST("grant", "bb");
	ASSERT_EQ(0, self->r.code);
	first = strdup(self->r.out);
	ASSERT_EQ(0, node_at(self->root, "dev/nsgpuperf-ct/bb", 0644, 1, 3));
	HOST("grant", "bb");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	EXPECT_STREQ(first, self->r.out);
	expect_node(_metadata, self->root, "bb", 200000, 200000);
	free(first);
}

TEST_F(host, grant_rewrites_stale_udev_rule)
{
	char *rule;

	ASSERT_EQ(0, put(self->root, "etc/udev/rules.d/70-nsgpuperf.rules",
			 "ACTION==\"add\", RUN+=\"/old/path/nsgpuperf host restore\"\n"));
	HOST("grant", "bb");
	ASSERT_EQ(0, self->r.code);
	rule = read_at(self->root, "etc/udev/rules.d/70-nsgpuperf.rules");
	ASSERT_NE(NULL, rule);
	EXPECT_EQ(NULL, strstr(rule, "/old/path"));
	EXPECT_NE(NULL, strstr(rule, "KERNEL==\"nsgpuperf\""));
	free(rule);
	EXPECT_NE(NULL, strstr(self->r.err, "wrote /etc/udev/rules.d/70-nsgpuperf.rules"));
	/* the same rule: not written again */
	HOST("grant", "dl");
	ASSERT_EQ(0, self->r.code);
	EXPECT_EQ(NULL, strstr(self->r.err, "wrote /etc/udev")) TH_LOG("%s", self->r.err);
}

TEST_F(host, grant_node_number_from_dev_node)
{
	/* no sysfs attribute (older module): the number of /dev/nsgpuperf */
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/sys/class/nsgpuperf/nsgpuperf/dev", self->root);
	ASSERT_EQ(0, unlink(p));
	ASSERT_EQ(0, node_at(self->root, "dev/nsgpuperf", 0600, MAJ, MIN));
	HOST("grant", "bb");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_node(_metadata, self->root, "bb", 200000, 200000);
}

/* ---- grant: errors ----------------------------------------------------- */

static void expect_refused(struct __test_metadata *_metadata, const char *root,
			   const struct run *r, int code, const char *const *says,
			   const char *name)
{
	char path[64];

	EXPECT_EQ(code, r->code) TH_LOG("stderr: %s", r->err);
	EXPECT_STREQ("", r->out);
	expect_err_has(_metadata, r, says);
	snprintf(path, sizeof(path), "dev/nsgpuperf-ct/%s", name);
	EXPECT_FALSE(exists(root, path));
	snprintf(path, sizeof(path), "etc/nsgpuperf/containers/%s", name);
	EXPECT_FALSE(exists(root, path));
}

TEST_F(host, privileged_lxc)
{
	static const char *const says[] = {
		"container priv is privileged", "no lxc.idmap in /var/lib/lxc/priv/config",
		"host's root", "nsgpuperf is not needed there", NULL,
	};

	HOST("grant", "priv");
	expect_refused(_metadata, self->root, &self->r, 8, says, "priv");
}

TEST_F(host, privileged_proxmox)
{
	static const char *const says[] = {
		"container 103 is privileged", "unprivileged: 0", "/etc/pve/lxc/103.conf",
		"nsgpuperf is not needed there", NULL,
	};

	HOST("grant", "103");
	expect_refused(_metadata, self->root, &self->r, 8, says, "103");
}

TEST_F(host, privileged_uid_zero)
{
	static const char *const says[] = { "host's root", "not needed", NULL };

	HOST("grant", "app", "--uid", "0", "--gid", "0");
	expect_refused(_metadata, self->root, &self->r, 8, says, "app");
}

TEST_F(host, unknown_container)
{
	static const char *const says[] = {
		"container nope: no config found", "/etc/pve/lxc/nope.conf",
		"/var/lib/lxc/nope/config", "--uid UID --gid GID", "--lxcpath", NULL,
	};
	static const char *const says_lxcpath[] = { "/srv/lxc/nope/config", NULL };

	HOST("grant", "nope");
	expect_refused(_metadata, self->root, &self->r, 7, says, "nope");
	HOST("grant", "nope", "--lxcpath", "/srv/lxc");
	expect_refused(_metadata, self->root, &self->r, 7, says_lxcpath, "nope");
}

TEST_F(host, lxcpath)
{
	ASSERT_EQ(0, put_data(self->root, "srv/lxc/other/config", "lxc-busybox.config"));
	HOST("grant", "other", "--lxcpath", "/srv/lxc");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_node(_metadata, self->root, "other", 200000, 200000);
}

TEST_F(host, not_root)
{
	static const char *const says[] = { "must run as root", "sudo nsgpuperf host grant bb",
					    NULL };

	run_as(self->root, &self->r, 65534, "grant", "bb", NULL);
	expect_refused(_metadata, self->root, &self->r, 4, says, "bb");
	run_as(self->root, &self->r, 65534, "restore", NULL);
	EXPECT_EQ(4, self->r.code);
}

TEST_F(host, module_not_loaded)
{
	static const char *const says[] = { "module is not loaded", "modprobe nsgpuperf", NULL };
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/sys/class/nsgpuperf/nsgpuperf/dev", self->root);
	ASSERT_EQ(0, unlink(p));
	HOST("grant", "bb");
	expect_refused(_metadata, self->root, &self->r, 3, says, "bb");
}

TEST_F(host, gpu_matches_none)
{
	static const char *const says[] = {
		"--gpu 0000:00:04.0: no GPU nsgpuperf serves matches",
		"0000:00:02.0 (/dev/dri/renderD128), 0000:00:03.0 (/dev/dri/renderD129)", NULL,
	};

	/* the mock's edu: bound to "i915" but not an Intel device */
	HOST("grant", "bb", "--gpu", "0000:00:04.0");
	expect_refused(_metadata, self->root, &self->r, 6, says, "bb");
}

TEST_F(host, usage_errors)
{
	HOST("grant");
	EXPECT_EQ(2, self->r.code);
	HOST("grant", "bb", "--lxc", "--incus");
	EXPECT_EQ(2, self->r.code);
	HOST("grant", "bb", "--uid", "100000");
	EXPECT_EQ(2, self->r.code);
	HOST("grant", "../etc");
	EXPECT_EQ(2, self->r.code);
	HOST("grant", "bb", "--uid", "-5", "--gid", "1");
	EXPECT_EQ(2, self->r.code);
	HOST("frobnicate");
	EXPECT_EQ(2, self->r.code);
	EXPECT_FALSE(exists(self->root, "dev/nsgpuperf-ct"));
	HOST("--help");
	EXPECT_EQ(0, self->r.code);
	EXPECT_NE(NULL, strstr(self->r.out, "--proxmox-dev"));
}

/* ---- revoke ------------------------------------------------------------- */

TEST_F(host, revoke)
{
	HOST("grant", "bb");
	ASSERT_EQ(0, self->r.code);
	HOST("grant", "101");
	ASSERT_EQ(0, self->r.code);

	HOST("revoke", "bb");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_golden(_metadata, &self->r, "revoke_lxc_busybox.golden");
	EXPECT_FALSE(exists(self->root, "dev/nsgpuperf-ct/bb"));
	EXPECT_FALSE(exists(self->root, "etc/nsgpuperf/containers/bb"));
	/* 101 is still granted: the rule stays */
	EXPECT_TRUE(exists(self->root, "etc/udev/rules.d/70-nsgpuperf.rules"));
	expect_node(_metadata, self->root, "101", 100000, 100000);

	HOST("revoke", "101");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, "lxc.cgroup2.devices.allow: c 234:7 rw\n"));
	EXPECT_FALSE(exists(self->root, "dev/nsgpuperf-ct/101"));
	EXPECT_FALSE(exists(self->root, "etc/udev/rules.d/70-nsgpuperf.rules"));

	HOST("revoke", "101");
	EXPECT_EQ(7, self->r.code);
	EXPECT_NE(NULL, strstr(self->r.err, "no grant")) TH_LOG("%s", self->r.err);
}

TEST_F(host, revoke_proxmox_dev_and_incus)
{
	HOST("grant", "104", "--proxmox-dev");
	ASSERT_EQ(0, self->r.code);
	HOST("revoke", "104");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("dev1: /dev/nsgpuperf,mode=0600\ndev2: /dev/dri/renderD128,mode=0666\n"
		     "dev3: /dev/dri/renderD129,mode=0666\n", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.err, "pct set 104 --delete dev1,dev2,dev3"))
		TH_LOG("%s", self->r.err);

	HOST("grant", "web", "--incus", "--gpu", "renderD129");
	ASSERT_EQ(0, self->r.code);
	HOST("revoke", "web");
	ASSERT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("incus config device remove web nsgpuperf nsgpuperf-renderD129\n",
		     self->r.out);
}

/* ---- list --------------------------------------------------------------- */

/* list's STATUS column for container name. */
static void expect_status(struct __test_metadata *_metadata, const char *root,
			  struct run *r, const char *name, const char *status, int code)
{
	char want[128], *line;

	run_as(root, r, 0, "list", NULL);
	EXPECT_EQ(code, r->code) TH_LOG("%s", r->err);
	line = strstr(r->out, "\n");
	for (; line; line = strchr(line + 1, '\n'))
		if (!strncmp(line + 1, name, strlen(name)) && line[1 + strlen(name)] == ' ')
			break;
	ASSERT_NE(NULL, line) TH_LOG("no row for %s:\n%s", name, r->out);
	snprintf(want, sizeof(want), " %-12s ", status);
	EXPECT_NE(NULL, strstr(strtok(line + 1, "\n"), want))
		TH_LOG("want status \"%s\":\n%s", status, line + 1);
	run_as(root, r, 0, "list", "-J", NULL);
	snprintf(want, sizeof(want), "\"status\": \"%s\"", status);
	EXPECT_NE(NULL, strstr(r->out, want)) TH_LOG("%s", r->out);
}

TEST_F(host, list_statuses)
{
	char p[PATH_MAX];

	HOST("grant", "bb");
	ASSERT_EQ(0, self->r.code);
	HOST("grant", "104", "--proxmox-dev");
	ASSERT_EQ(0, self->r.code);
	HOST("list");
	EXPECT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_golden(_metadata, &self->r, "list.golden");
	HOST("list", "-J");
	EXPECT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_golden(_metadata, &self->r, "list.json");

	snprintf(p, sizeof(p), "%s/dev/nsgpuperf-ct/bb", self->root);
	expect_status(_metadata, self->root, &self->r, "bb", "ok", 0);
	ASSERT_EQ(0, chown(p, 200000, 0));
	expect_status(_metadata, self->root, &self->r, "bb", "wrong owner", 1);
	ASSERT_EQ(0, chown(p, 200000, 200000));
	ASSERT_EQ(0, chmod(p, 0660));
	expect_status(_metadata, self->root, &self->r, "bb", "wrong mode", 1);
	ASSERT_EQ(0, unlink(p));
	expect_status(_metadata, self->root, &self->r, "bb", "missing", 1);
	ASSERT_EQ(0, node_at(self->root, "dev/nsgpuperf-ct/bb", 0600, MAJ, MIN + 1));
	ASSERT_EQ(0, chown(p, 200000, 200000));
	expect_status(_metadata, self->root, &self->r, "bb", "wrong number", 1);
	/* the module's number moved (major= changed): the node is stale */
	ASSERT_EQ(0, node_at(self->root, "dev/nsgpuperf-ct/bb", 0600, MAJ, MIN));
	ASSERT_EQ(0, chown(p, 200000, 200000));
	expect_status(_metadata, self->root, &self->r, "bb", "ok", 0);
	ASSERT_EQ(0, put(self->root, "sys/class/nsgpuperf/nsgpuperf/dev", "240:0\n"));
	expect_status(_metadata, self->root, &self->r, "bb", "wrong number", 1);
	/* module not loaded: checked against the recorded number */
	snprintf(p, sizeof(p), "%s/sys/class/nsgpuperf/nsgpuperf/dev", self->root);
	ASSERT_EQ(0, unlink(p));
	expect_status(_metadata, self->root, &self->r, "bb", "ok", 0);
	EXPECT_NE(NULL, strstr(self->r.err, "not loaded"));
	/* Proxmox makes 104's node: nothing for the host to check */
	expect_status(_metadata, self->root, &self->r, "104", "n/a", 0);
}

TEST_F(host, list_none)
{
	HOST("list", "-J");
	EXPECT_EQ(0, self->r.code);
	EXPECT_STREQ("{\n\t\"device\": \"234:7\",\n\t\"grants\": []\n}\n", self->r.out);
}

/* ---- restore ------------------------------------------------------------ */

TEST_F(host, restore)
{
	char p[PATH_MAX];

	HOST("grant", "bb");
	ASSERT_EQ(0, self->r.code);
	HOST("grant", "101");
	ASSERT_EQ(0, self->r.code);
	HOST("grant", "104", "--proxmox-dev");
	ASSERT_EQ(0, self->r.code);

	/* a reboot: /dev is empty */
	snprintf(p, sizeof(p), "%s/dev/nsgpuperf-ct/bb", self->root);
	ASSERT_EQ(0, unlink(p));
	snprintf(p, sizeof(p), "%s/dev/nsgpuperf-ct/101", self->root);
	ASSERT_EQ(0, unlink(p));
	snprintf(p, sizeof(p), "%s/dev/nsgpuperf-ct", self->root);
	ASSERT_EQ(0, rmdir(p));
	HOST("restore");
	EXPECT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	EXPECT_STREQ("", self->r.out);
	expect_node(_metadata, self->root, "bb", 200000, 200000);
	expect_node(_metadata, self->root, "101", 100000, 100000);
	EXPECT_NE(NULL, strstr(self->r.err, "/dev/nsgpuperf-ct/bb: missing, made again"))
		TH_LOG("%s", self->r.err);
	EXPECT_FALSE(exists(self->root, "dev/nsgpuperf-ct/104"));

	/* wrong owner and mode: fixed; nothing to do: nothing said */
	snprintf(p, sizeof(p), "%s/dev/nsgpuperf-ct/bb", self->root);
	ASSERT_EQ(0, chown(p, 0, 0));
	ASSERT_EQ(0, chmod(p, 0666));
	HOST("restore");
	EXPECT_EQ(0, self->r.code) TH_LOG("%s", self->r.err);
	expect_node(_metadata, self->root, "bb", 200000, 200000);
	HOST("restore");
	EXPECT_EQ(0, self->r.code);
	EXPECT_STREQ("", self->r.err);
	HOST("list");
	EXPECT_EQ(0, self->r.code) TH_LOG("%s", self->r.out);
}

TEST_F(host, restore_module_not_loaded)
{
	char p[PATH_MAX];

	HOST("grant", "bb");
	ASSERT_EQ(0, self->r.code);
	snprintf(p, sizeof(p), "%s/sys/class/nsgpuperf/nsgpuperf/dev", self->root);
	ASSERT_EQ(0, unlink(p));
	HOST("restore");
	EXPECT_EQ(3, self->r.code);
	EXPECT_NE(NULL, strstr(self->r.err, "not loaded"));
}

TEST_F(host, restore_bad_record)
{
	HOST("grant", "bb");
	ASSERT_EQ(0, self->r.code);
	ASSERT_EQ(0, put(self->root, "etc/nsgpuperf/containers/junk", "format lxc\n"));
	HOST("restore");
	EXPECT_EQ(1, self->r.code);
	EXPECT_NE(NULL, strstr(self->r.err, "junk: not a complete grant record"))
		TH_LOG("%s", self->r.err);
	expect_node(_metadata, self->root, "bb", 200000, 200000);
}

TEST_HARNESS_MAIN
