// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lxc_util.h"

static int status_of(int st)
{
	if (st == -1)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

/*
 * The command under timeout(1), its stdout and stderr read through a pipe
 * into the TAP log (and out); stdin is /dev/null, so a command cannot eat
 * the suite's input.
 */
static int vrun(char *out, size_t len, const char *fmt, va_list ap)
{
	char cmd[8192], buf[4096];
	size_t used = 0;
	bool bol = true;
	int p[2], st;
	ssize_t n;
	pid_t pid;

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	printf("# $ %s\n", cmd);
	fflush(stdout);
	if (out && len)
		out[0] = '\0';
	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execl("/usr/bin/timeout", "timeout", "-k", "5", CMD_TIMEOUT,
		      "/bin/sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		ssize_t i;

		for (i = 0; i < n; i++) {
			if (bol)
				fputs("#   ", stdout);
			putchar(buf[i]);
			bol = buf[i] == '\n';
		}
		if (out && n > 0 && used + 1 < len) {
			size_t c = (size_t)n < len - used - 1 ? (size_t)n : len - used - 1;

			memcpy(out + used, buf, c);
			used += c;
			out[used] = '\0';
		}
	}
	if (!bol)
		putchar('\n');
	fflush(stdout);
	close(p[0]);
	while (out && used && out[used - 1] == '\n')
		out[--used] = '\0';
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return status_of(st);
}

int sh(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vrun(NULL, 0, fmt, ap);
	va_end(ap);
	return ret;
}

int sh_out(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vrun(out, len, fmt, ap);
	va_end(ap);
	return ret;
}

int write_file(const char *path, const char *fmt, ...)
{
	va_list ap;
	FILE *f = fopen(path, "we");
	int ret;

	if (!f)
		return -1;
	va_start(ap, fmt);
	ret = vfprintf(f, fmt, ap) < 0 || fflush(f) || fsync(fileno(f)) ? -1 : 0;
	va_end(ap);
	return fclose(f) || ret ? -1 : 0;
}

int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = -1;

	if (!f)
		return -1;
	if (fgets(buf, len, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		ret = 0;
	}
	fclose(f);
	return ret;
}

int readme_block(const char *name, char *buf, size_t len)
{
	char marker[128], line[1024];
	size_t used = 0, indent = 0;
	int state = 0;	/* 0: looking, 1: marker seen, 2: in the block */
	FILE *f = fopen(README, "re");

	if (!f)
		return -errno;
	snprintf(marker, sizeof(marker), "<!-- lxc_test: %s -->", name);
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		const char *t = line + strspn(line, " ");

		if (state == 0) {
			if (!strncmp(t, marker, strlen(marker)))
				state = 1;
		} else if (state == 1) {
			if (!strncmp(t, "```", 3)) {
				indent = t - line;
				state = 2;
			} else if (*t != '\n') {
				break;	/* the marker must sit right above a block */
			}
		} else {
			if (!strncmp(t, "```", 3)) {
				fclose(f);
				return 0;
			}
			t = strlen(line) > indent ? line + indent : "\n";
			if (used + strlen(t) + 1 > len)
				break;
			strcpy(buf + used, t);
			used += strlen(t);
		}
	}
	fclose(f);
	return -ENOENT;
}

int run_readme(const char *name)
{
	char block[8192], path[128];

	if (readme_block(name, block, sizeof(block))) {
		printf("# README.md has no block \"%s\"\n", name);
		return -1;
	}
	snprintf(path, sizeof(path), "/tmp/readme-%s.sh", name);
	if (write_file(path, "%s", block))
		return -1;
	return sh("cd " CHECKOUT " && sh -e -x %s", path);
}

const char *csv_value(const char *csv, const char *col, char *buf, size_t len)
{
	const char *hdr = NULL, *row = NULL, *p = csv;
	int idx = -1, i;

	/* the header is the first line naming the column; the row the last */
	while (p && *p) {
		const char *nl = strchr(p, '\n');

		if (!hdr && strstr(p, col) && (!nl || strstr(p, col) < nl))
			hdr = p;
		else if (hdr && *p != '#' && *p != '\n')
			row = p;
		p = nl ? nl + 1 : NULL;
	}
	if (!hdr || !row)
		return NULL;
	for (i = 0, p = hdr; p && *p && *p != '\n'; i++) {
		size_t n = strcspn(p, ",\n");

		if (n == strlen(col) && !strncmp(p, col, n)) {
			idx = i;
			break;
		}
		p += n;
		p = *p == ',' ? p + 1 : NULL;
	}
	if (idx < 0)
		return NULL;
	for (i = 0, p = row; p && i < idx; i++) {
		p = strpbrk(p, ",\n");
		p = p && *p == ',' ? p + 1 : NULL;
	}
	if (!p)
		return NULL;
	snprintf(buf, len, "%.*s", (int)strcspn(p, ",\n"), p);
	return buf;
}

int render_node_of(const char *pci, char *path, size_t len)
{
	char pattern[128];
	glob_t g;
	int ret = -1;

	snprintf(pattern, sizeof(pattern), "/sys/bus/pci/devices/%s/drm/renderD*", pci);
	if (glob(pattern, 0, NULL, &g))
		return -1;
	if (g.gl_pathc == 1) {
		snprintf(path, len, "/dev/dri/%s", strrchr(g.gl_pathv[0], '/') + 1);
		ret = 0;
	}
	globfree(&g);
	return ret;
}

static void state_path(const char *key, char *path, size_t len)
{
	snprintf(path, len, STATE_DIR "/%s", key);
}

int state_set(const char *key, const char *val)
{
	char path[256];
	FILE *f;

	mkdir("/var/lib/nsgpuperf-test", 0755);
	mkdir(STATE_DIR, 0755);
	state_path(key, path, sizeof(path));
	f = fopen(path, "we");
	if (!f)
		return -1;
	fputs(val, f);
	return fclose(f);
}

bool state_is(const char *key, const char *val)
{
	char path[256], buf[256] = "";
	FILE *f;

	state_path(key, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return !strcmp(buf, val);
}

int ct_wait_running(const char *name)
{
	return sh("lxc-wait -n %s -s RUNNING -t 60 && "
		  "for i in $(seq 60); do lxc-attach -n %s -- true && exit 0; sleep 1; done; exit 1",
		  name, name) ? -1 : 0;
}

void ct_destroy(const char *name)
{
	sh("if lxc-info -n %s >/dev/null; then lxc-stop -n %s -k; lxc-destroy -n %s; fi; true",
	   name, name, name);
}

const char *reader_sees_only_passed_gpu(const char *exec)
{
	char node[64], out[8192];

	if (render_node_of(GPU_PASSED, node, sizeof(node)))
		return "no render node for " GPU_PASSED " on the host";
	if (sh_out(out, sizeof(out), "%s nsgpuperf list", exec))
		return "nsgpuperf list failed";
	if (!strstr(out, GPU_PASSED) || !strstr(out, node))
		return "nsgpuperf list does not show " GPU_PASSED " with its render node";
	if (strstr(out, GPU_OTHER))
		return "nsgpuperf list shows " GPU_OTHER ", whose render node was not passed";
	if (sh_out(out, sizeof(out), "%s nsgpuperf -J -n 1 -d " GPU_OTHER, exec) != 6)
		return "-d " GPU_OTHER " did not exit 6 (no GPU)";
	if (!strstr(out, "no GPU in scope matches"))
		return "-d " GPU_OTHER " did not say it is not in scope";
	return NULL;
}
