// SPDX-License-Identifier: GPL-2.0
/*
 * The access rule of /dev/nsgpuperf: CAP_PERFMON (or CAP_SYS_ADMIN) in the
 * caller's own user namespace, and the opened node's owner uid and gid
 * mapped into that namespace.  Each case opens a node made for it and
 * asserts the errno; nodes are mode 0666 so that the VFS permission check
 * passes and the module's rule is what decides.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nsgp_test.h"

#define NODE		"/tmp/nsgpuperf-node"
#define CT_ROOT		100000	/* container root, as LXC maps it */
#define CT_MAP		"0 100000 65536"

/* open() the node and report 0 or the errno (fits an exit status). */
static int try_open(void *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* open(), then list the GPUs and open a group: the fd is usable. */
static int open_and_use(void *path)
{
	uint64_t cfg = CFG_RCS0_BUSY;
	int fd = nsgp_open(path), gpu, gfd;
	uint64_t buf[8];

	if (fd < 0)
		return -fd;
	gpu = nsgp_find_gpu(fd, GPU0_PCI, NULL);
	if (gpu < 0)
		return 100;
	gfd = nsgp_open_group(fd, gpu, &cfg, 1, 0, 0, NULL);
	if (gfd < 0)
		return 101;
	if (read(gfd, buf, sizeof(buf)) != 3 * sizeof(uint64_t))
		return 102;
	close(gfd);
	close(fd);
	return 0;
}

static const struct as_user host_root = { -1, -1, NULL, -1, false, NULL };
static const struct as_user host_user = { 1000, 1000, NULL, -1, false, NULL };
static const struct as_user host_user_unshared = { 1000, 1000, NULL, -1, true, NULL };
static const struct as_user ct_root = { -1, -1, CT_MAP, -1, false, NULL };
static const struct as_user ct_user = { -1, -1, CT_MAP, 1000, false, NULL };
static const struct as_user ct_user_unshared = { -1, -1, CT_MAP, 1000, true, NULL };
static const struct as_user ct_root_unshared = { -1, -1, CT_MAP, -1, true, NULL };
static const struct as_user ct_root_nested = { -1, -1, CT_MAP, -1, false, "0 0 65536" };
static const struct as_user ct_root_nested_partial = {
	-1, -1, CT_MAP, -1, false, "0 1000 1000"
};

FIXTURE(node) {
	int unused;
};

FIXTURE_SETUP(node)
{
	ASSERT_EQ(0, nsgp_mknod(NODE, 0, 0, 0666));
}

FIXTURE_TEARDOWN(node)
{
	unlink(NODE);
}

TEST_F(node, host_root_passes)
{
	ASSERT_EQ(0, run_as(&host_root, open_and_use, NODE));
}

TEST_F(node, host_user_without_caps_is_denied)
{
	ASSERT_EQ(EPERM, run_as(&host_user, try_open, NODE));
}

TEST_F(node, host_user_with_own_userns_is_denied)
{
	/* unshare -U -r: every capability, but root:root is not mapped */
	ASSERT_EQ(EPERM, run_as(&host_user_unshared, try_open, NODE));
}

TEST_F(node, container_root_passes_on_its_own_node)
{
	ASSERT_EQ(0, nsgp_mknod(NODE, CT_ROOT, CT_ROOT, 0666));
	ASSERT_EQ(0, run_as(&ct_root, open_and_use, NODE));
}

TEST_F(node, container_root_is_denied_on_host_owned_node)
{
	ASSERT_EQ(EPERM, run_as(&ct_root, try_open, NODE));
}

TEST_F(node, container_root_is_denied_when_only_uid_is_mapped)
{
	ASSERT_EQ(0, nsgp_mknod(NODE, CT_ROOT, 0, 0666));
	ASSERT_EQ(EPERM, run_as(&ct_root, try_open, NODE));
	ASSERT_EQ(0, nsgp_mknod(NODE, 0, CT_ROOT, 0666));
	ASSERT_EQ(EPERM, run_as(&ct_root, try_open, NODE));
}

TEST_F(node, container_user_without_caps_is_denied)
{
	ASSERT_EQ(0, nsgp_mknod(NODE, CT_ROOT, CT_ROOT, 0666));
	ASSERT_EQ(EPERM, run_as(&ct_user, try_open, NODE));
}

TEST_F(node, container_user_with_own_userns_is_denied)
{
	ASSERT_EQ(0, nsgp_mknod(NODE, CT_ROOT, CT_ROOT, 0666));
	ASSERT_EQ(EPERM, run_as(&ct_user_unshared, try_open, NODE));
}

TEST_F(node, container_root_with_own_userns_mapping_itself_passes)
{
	/* container root's unshare -U -r still maps the node's owner */
	ASSERT_EQ(0, nsgp_mknod(NODE, CT_ROOT, CT_ROOT, 0666));
	ASSERT_EQ(0, run_as(&ct_root_unshared, try_open, NODE));
}

TEST_F(node, container_root_nested_full_mapping_passes)
{
	ASSERT_EQ(0, nsgp_mknod(NODE, CT_ROOT, CT_ROOT, 0666));
	ASSERT_EQ(0, run_as(&ct_root_nested, open_and_use, NODE));
}

TEST_F(node, nested_userns_not_mapping_owner_is_denied)
{
	ASSERT_EQ(0, nsgp_mknod(NODE, CT_ROOT, CT_ROOT, 0666));
	ASSERT_EQ(EPERM, run_as(&ct_root_nested_partial, try_open, NODE));
}

TEST_F(node, vfs_permission_still_applies)
{
	/* mode 0600 root-owned: the host user fails in the VFS first */
	ASSERT_EQ(0, nsgp_mknod(NODE, 0, 0, 0600));
	ASSERT_EQ(EACCES, run_as(&host_user, try_open, NODE));
}

/* ---- denial lines in the kernel log ---------------------------------- */

#define FLOOD		50

/* /dev/kmsg, positioned after the records already logged. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The messages logged since kmsg_open(), one per line, into @buf. */
static void kmsg_collect(int fd, char *buf, size_t size)
{
	char rec[2048], *msg, *nl;
	size_t len = 0;
	ssize_t n;

	buf[0] = '\0';
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		len += snprintf(buf + len, size - len, "%s\n", msg);
		if (len >= size)
			break;
	}
}

/* Lines of @log containing both @a and @b. */
static int count_lines(const char *log, const char *a, const char *b)
{
	char line[1024];
	const char *p = log, *nl;
	int n = 0;

	while ((nl = strchr(p, '\n'))) {
		size_t len = (size_t)(nl - p) < sizeof(line) - 1 ?
			     (size_t)(nl - p) : sizeof(line) - 1;

		memcpy(line, p, len);
		line[len] = '\0';
		if (strstr(line, a) && strstr(line, b))
			n++;
		p = nl + 1;
	}
	return n;
}

/*
 * In one container: a flood of denials of the owner rule, then (after the
 * rate-limit interval) one more, then, without capabilities, one of the
 * capability rule.
 */
static int flood_then_other_rule(void *path)
{
	struct timespec ts = { 5, 600 * 1000 * 1000 };
	int i;

	prctl(PR_SET_NAME, "nsgp-flood");
	for (i = 0; i < FLOOD; i++)
		if (try_open(path) != EPERM)
			return 120;
	nanosleep(&ts, NULL);
	prctl(PR_SET_NAME, "nsgp-later");
	if (try_open(path) != EPERM)
		return 121;
	prctl(PR_SET_NAME, "nsgp-rule-b");
	if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		return 122;
	return try_open(path) == EPERM ? 0 : 123;
}

static int deny_in_other_container(void *path)
{
	prctl(PR_SET_NAME, "nsgp-other-ct");
	return try_open(path) == EPERM ? 0 : 124;
}

#define RULE_OWNER	"owner uid/gid not mapped"
#define RULE_CAP	"no CAP_PERFMON or CAP_SYS_ADMIN"

/*
 * A container that floods one denial hides neither its other denials nor
 * another container's: denial lines are rate-limited per container and
 * rule, and what a limit held back is counted on the next line.
 */
TEST_F(node, denial_lines_rate_limited_per_container_and_rule)
{
	static char log[256 * 1024];
	int fd = kmsg_open(), pid, st, flood, suppressed = -1;
	const char *p;

	ASSERT_GE(fd, 0);
	/*
	 * Earlier tests' namespaces are gone and their inode numbers, which
	 * key the rate limit, are free again: let their interval pass.
	 */
	sleep(6);
	/* the node is owned by host root: container root fails the owner rule */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(run_as(&ct_root, flood_then_other_rule, NODE));
	/* while the first container floods, another one is denied */
	usleep(500 * 1000);
	ASSERT_EQ(0, run_as(&ct_root, deny_in_other_container, NODE));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	kmsg_collect(fd, log, sizeof(log));
	close(fd);

	/* the flood is limited... */
	flood = count_lines(log, "(nsgp-flood)", RULE_OWNER);
	TH_LOG("%d of %d flood lines logged", flood, FLOOD);
	ASSERT_GE(flood, 1);
	ASSERT_LE(flood, 10);
	/* ...and hides nothing else */
	ASSERT_EQ(1, count_lines(log, "(nsgp-other-ct)", RULE_OWNER));
	ASSERT_EQ(1, count_lines(log, "(nsgp-rule-b)", RULE_CAP));
	/* after the interval: the count of lines held back, then the line */
	ASSERT_EQ(1, count_lines(log, "(nsgp-later)", RULE_OWNER));
	p = strstr(log, "(nsgp-later)");
	while (p > log && p[-1] != '\n')
		p--;
	ASSERT_TRUE(p > log);
	for (p--; p > log && p[-1] != '\n'; p--)
		;
	ASSERT_EQ(1, sscanf(p, "nsgpuperf: %d similar denial lines suppressed",
			    &suppressed));
	ASSERT_EQ(FLOOD - flood, suppressed);
}

/* Receive an fd over a unix socket as an unprivileged user and use it. */
static int recv_and_use(void *sockp)
{
	int sock = *(int *)sockp, fd, gpu, gfd;
	char data;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	uint64_t cfg = CFG_BCS0_BUSY, buf[4];

	if (recvmsg(sock, &msg, 0) != 1)
		return 110;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return 111;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	/* this process could not open the node itself... */
	if (try_open(NSGP_DEV) == 0)
		return 112;
	/* ...but the passed fd is the capability */
	gpu = nsgp_find_gpu(fd, GPU1_PCI, NULL);
	if (gpu < 0)
		return 113;
	gfd = nsgp_open_group(fd, gpu, &cfg, 1, 0, 0, NULL);
	if (gfd < 0)
		return 114;
	if (read(gfd, buf, sizeof(buf)) != 3 * sizeof(uint64_t))
		return 115;
	close(gfd);
	return 0;
}

TEST(passed_fd_keeps_working)
{
	int sv[2], fd;
	char data = 'x';
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	pid_t pid;
	int st;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	fd = nsgp_open(NULL);
	ASSERT_GE(fd, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(run_as(&host_user, recv_and_use, &sv[1]));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	ASSERT_EQ(1, sendmsg(sv[0], &msg, 0));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	close(fd);
}

TEST_HARNESS_MAIN
