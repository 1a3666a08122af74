// SPDX-License-Identifier: GPL-2.0
/*
 * userns-exec: run a command as root of a new user namespace, the way a
 * container manager starts an unprivileged container.
 *
 *   userns-exec [--cgroupns] MAP CMD [ARGS...]
 *                                        parent (host root) writes MAP
 *                                        ("0 100000 65536") as uid and gid map;
 *                                        --cgroupns: the current cgroup
 *                                        becomes the root of a new cgroup
 *                                        namespace first, as LXC does
 *   userns-exec --self UID CMD [ARGS...] become host UID, then map root to
 *                                        it alone ("unshare -U -r")
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

static int run_self_mapped(uid_t uid, char **cmd)
{
	char map[32];

	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid) ||
	    unshare(CLONE_NEWUSER)) {
		perror("userns-exec");
		return 1;
	}
	/* setresuid() cleared "dumpable": keep the /proc/self maps writable */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (write_file("/proc/self/uid_map", map) || write_file("/proc/self/gid_map", map)) {
		perror("userns-exec: map");
		return 1;
	}
	execvp(cmd[0], cmd);
	perror(cmd[0]);
	return 127;
}

int main(int argc, char **argv)
{
	char path[64], c;
	int to_child[2], to_parent[2], st;
	pid_t pid;

	if (argc >= 4 && !strcmp(argv[1], "--self"))
		return run_self_mapped(strtoul(argv[2], NULL, 0), argv + 3);
	if (argc >= 2 && !strcmp(argv[1], "--cgroupns")) {
		if (unshare(CLONE_NEWCGROUP)) {
			perror("userns-exec: cgroup namespace");
			return 1;
		}
		argv++;
		argc--;
	}
	if (argc < 3) {
		fprintf(stderr,
			"usage: %s [--cgroupns] MAP CMD [ARGS...] | --self UID CMD [ARGS...]\n",
			argv[0]);
		return 2;
	}
	if (pipe(to_child) || pipe(to_parent))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		if (unshare(CLONE_NEWUSER) || write(to_parent[1], "u", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1 || c != 'k' ||
		    setresgid(0, 0, 0) || setresuid(0, 0, 0)) {
			perror("userns-exec: child");
			_exit(1);
		}
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (read(to_parent[0], &c, 1) != 1)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	c = write_file(path, argv[1]) ? 'x' : 'k';
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	if (c == 'k' && write_file(path, argv[1]))
		c = 'x';
	if (c != 'k')
		perror("userns-exec: writing maps");
	if (write(to_child[1], &c, 1) != 1 || waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
