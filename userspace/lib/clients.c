// SPDX-License-Identifier: GPL-2.0
/*
 * The DRM clients of a GPU, found as intel_gpu_top finds them: a scan of
 * /proc/PID/fdinfo for fds on DRM character devices whose fdinfo names
 * the GPU.  In a container /proc holds the container's processes, so the
 * clients are the container's own.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "nsgpuperf.h"

#define DRM_MAJOR	226
#define FDINFO_MAX	(64 * 1024)

/* What one fdinfo file says. */
struct fdinfo {
	char driver[NSGPUPERF_DRIVER_LEN];
	char pdev[NSGPUPERF_PCI_ADDR_LEN];
	uint64_t id;
	int good;			/* drm-driver and drm-client-id seen */
	int nr_engines;
	uint64_t busy[NGP_NR_CLASSES];
	unsigned int capacity[NGP_NR_CLASSES];
	int nr_regions;			/* highest region index + 1 */
	struct ngp_client_mem mem[NGP_CLIENT_REGIONS];
};

static const char *const class_keys[NGP_NR_CLASSES] = {
	"render", "copy", "video", "video-enhance", "compute",
};

static const char *const region_keys[NGP_CLIENT_REGIONS] = {
	"system0", "local0",
};

/* "name:<blanks>value": the index of name in keys, and the value. */
static int key_index(const char *name, const char *const *keys, int n,
		     uint64_t *val)
{
	const char *colon = strchr(name, ':');
	char *end;
	int i;

	if (!colon || colon == name)
		return -1;
	for (i = 0; i < n; i++)
		if (strlen(keys[i]) == (size_t)(colon - name) &&
		    !strncmp(name, keys[i], colon - name))
			break;
	if (i == n)
		return -1;
	*val = strtoull(colon + 1, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	/* memory sizes may carry a unit (drm_print_memory_stats()) */
	if (!strncmp(end, "KiB", 3))
		*val <<= 10;
	else if (!strncmp(end, "MiB", 3))
		*val <<= 20;
	else if (!strncmp(end, "GiB", 3))
		*val <<= 30;
	return i;
}

static const char *value_of(const char *line, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(line, key, n))
		return NULL;
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

static void parse_line(const char *l, struct fdinfo *fi)
{
	static const struct {
		const char *prefix;
		size_t off;
	} mem[] = {
		{ "drm-total-", offsetof(struct ngp_client_mem, total) },
		{ "drm-shared-", offsetof(struct ngp_client_mem, shared) },
		{ "drm-resident-", offsetof(struct ngp_client_mem, resident) },
		{ "drm-purgeable-", offsetof(struct ngp_client_mem, purgeable) },
		{ "drm-active-", offsetof(struct ngp_client_mem, active) },
	};
	const char *v;
	uint64_t val;
	unsigned int m;
	int i;

	if ((v = value_of(l, "drm-driver:"))) {
		if (*v) {
			snprintf(fi->driver, sizeof(fi->driver), "%s", v);
			fi->good++;
		}
	} else if ((v = value_of(l, "drm-client-id:"))) {
		char *end;

		fi->id = strtoull(v, &end, 10);
		if (end != v)
			fi->good++;
	} else if ((v = value_of(l, "drm-pdev:"))) {
		snprintf(fi->pdev, sizeof(fi->pdev), "%s", v);
	} else if (!strncmp(l, "drm-engine-capacity-", 20)) {
		i = key_index(l + 20, class_keys, NGP_NR_CLASSES, &val);
		if (i >= 0)
			fi->capacity[i] = val;
	} else if (!strncmp(l, "drm-engine-", 11)) {
		i = key_index(l + 11, class_keys, NGP_NR_CLASSES, &val);
		if (i >= 0) {
			fi->busy[i] = val;
			if (!fi->capacity[i])
				fi->capacity[i] = 1;
			fi->nr_engines++;
		}
	} else if (strncmp(l, "drm-total-cycles-", 17)) {
		for (m = 0; m < sizeof(mem) / sizeof(mem[0]); m++) {
			size_t n = strlen(mem[m].prefix);

			if (strncmp(l, mem[m].prefix, n))
				continue;
			i = key_index(l + n, region_keys, NGP_CLIENT_REGIONS, &val);
			if (i < 0)
				break;
			*(uint64_t *)((char *)&fi->mem[i] + mem[m].off) = val;
			if (i + 1 > fi->nr_regions)
				fi->nr_regions = i + 1;
			break;
		}
	}
}

/* 0 and fi filled, or -1: not a DRM client's fdinfo. */
static int parse_fdinfo(int dirfd, const char *name, struct fdinfo *fi)
{
	char *buf, *line, *save;
	size_t len = 0;
	ssize_t n;
	int fd;

	memset(fi, 0, sizeof(*fi));
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	buf = malloc(FDINFO_MAX + 1);
	if (!buf) {
		close(fd);
		return -1;
	}
	while (len < FDINFO_MAX && (n = read(fd, buf + len, FDINFO_MAX - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		parse_line(line, fi);
	free(buf);
	return fi->good < 2 || (!fi->nr_engines && !fi->nr_regions) ? -1 : 0;
}

int ngp_clients_supported(const struct ngp_gpu *gpu)
{
	struct fdinfo fi;
	char name[16];
	int fd, dir, ret;

	if (!gpu->render_node[0])
		return 0;
	fd = open(gpu->render_node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	dir = open("/proc/self/fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(name, sizeof(name), "%d", fd);
	ret = dir >= 0 && !parse_fdinfo(dir, name, &fi) ? (fi.nr_engines ? 1 : 2) : 0;
	if (dir >= 0)
		close(dir);
	close(fd);
	return ret;
}

void ngp_clients_init(struct ngp_clients *cl, const struct ngp_gpu *gpu)
{
	memset(cl, 0, sizeof(*cl));
	snprintf(cl->pdev, sizeof(cl->pdev), "%s", gpu->pci_addr);
	snprintf(cl->driver, sizeof(cl->driver), "%s", gpu->driver[0] ? gpu->driver : "i915");
}

void ngp_clients_fini(struct ngp_clients *cl)
{
	free(cl->c);
	memset(cl, 0, sizeof(*cl));
}

static struct ngp_client *find(struct ngp_clients *cl, unsigned int minor, uint64_t id)
{
	int i;

	for (i = 0; i < cl->nr; i++)
		if (cl->c[i].id == id && cl->c[i].minor == minor)
			return &cl->c[i];
	return NULL;
}

/* A client's new totals: deltas since the last scan, as intel_gpu_top. */
static void update(struct ngp_client *c, pid_t pid, const char *comm,
		   const struct fdinfo *fi)
{
	int i;

	c->pid = pid;
	snprintf(c->comm, sizeof(c->comm), "%s", comm);
	c->has_engines = fi->nr_engines > 0;
	c->delta_sum_ns = c->total_sum_ns = 0;
	for (i = 0; i < NGP_NR_CLASSES; i++) {
		c->capacity[i] = fi->capacity[i];
		if (fi->busy[i] < c->last_ns[i])
			continue;	/* catches up later; the old delta stays */
		c->total_sum_ns += fi->busy[i];
		c->delta_ns[i] = fi->busy[i] - c->last_ns[i];
		c->delta_sum_ns += c->delta_ns[i];
		c->last_ns[i] = fi->busy[i];
	}
	for (i = 0; i < c->nr_regions; i++)
		c->mem[i] = fi->mem[i];
	c->samples++;
	c->seen = true;
}

static int add(struct ngp_clients *cl, unsigned int minor, pid_t pid,
	       const char *comm, const struct fdinfo *fi)
{
	struct ngp_client *c;

	if (cl->nr == cl->alloc) {
		int alloc = cl->alloc ? cl->alloc * 2 : 16;

		c = realloc(cl->c, alloc * sizeof(*c));
		if (!c)
			return -ENOMEM;
		cl->c = c;
		cl->alloc = alloc;
	}
	c = &cl->c[cl->nr++];
	memset(c, 0, sizeof(*c));
	c->id = fi->id;
	c->minor = minor;
	c->nr_regions = fi->nr_regions;
	update(c, pid, comm, fi);
	return 0;
}

/* /proc/PID/stat: the pid and the name between "(" and the last ")". */
static int task(int pid_dir, pid_t *pid, char *comm, size_t len)
{
	char buf[1024], *s, *e;
	ssize_t n;
	int fd = openat(pid_dir, "stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	*pid = atoi(buf);
	s = strchr(buf, '(');
	e = strrchr(buf, ')');
	if (*pid <= 0 || !s || !e || e <= s + 1 || (size_t)(e - s) >= len)
		return -1;
	snprintf(comm, len, "%.*s", (int)(e - s - 1), s + 1);
	return 0;
}

static int scan_pid(struct ngp_clients *cl, int proc, const char *name)
{
	int pid_dir, fd_dir = -1, ret = 0;
	char comm[NGP_CLIENT_NAME_LEN] = "";
	struct dirent *d;
	DIR *fdinfo = NULL;
	pid_t pid = 0;

	pid_dir = openat(proc, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pid_dir < 0)
		return 0;
	fd_dir = openat(pid_dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd_dir < 0)
		goto out;
	ret = openat(pid_dir, "fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ret < 0 || !(fdinfo = fdopendir(ret))) {
		if (ret >= 0)
			close(ret);
		ret = 0;
		goto out;
	}
	ret = 0;
	while ((d = readdir(fdinfo))) {
		struct ngp_client *c;
		struct fdinfo fi;
		struct stat st;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		if (fstatat(fd_dir, d->d_name, &st, 0) || !S_ISCHR(st.st_mode) ||
		    major(st.st_rdev) != DRM_MAJOR)
			continue;
		if (parse_fdinfo(dirfd(fdinfo), d->d_name, &fi) ||
		    strcmp(fi.driver, cl->driver) || strcmp(fi.pdev, cl->pdev))
			continue;
		if (!pid && task(pid_dir, &pid, comm, sizeof(comm)))
			break;
		c = find(cl, minor(st.st_rdev), fi.id);
		if (c && c->seen)
			continue;	/* another fd of a client seen */
		if (c)
			update(c, pid, comm, &fi);
		else if ((ret = add(cl, minor(st.st_rdev), pid, comm, &fi)))
			break;
	}
out:
	if (fdinfo)
		closedir(fdinfo);
	if (fd_dir >= 0)
		close(fd_dir);
	close(pid_dir);
	return ret;
}

int ngp_clients_scan(struct ngp_clients *cl)
{
	struct dirent *d;
	DIR *proc;
	int i, j, ret = 0;

	proc = opendir("/proc");
	if (!proc)
		return -errno;
	for (i = 0; i < cl->nr; i++)
		cl->c[i].seen = false;
	while (!ret && (d = readdir(proc)))
		if (isdigit((unsigned char)d->d_name[0]))
			ret = scan_pid(cl, dirfd(proc), d->d_name);
	closedir(proc);
	/* clients not seen are gone */
	for (i = j = 0; i < cl->nr; i++)
		if (cl->c[i].seen)
			cl->c[j++] = cl->c[i];
	cl->nr = j;
	return ret;
}

static int by_pid(const void *a, const void *b)
{
	const struct ngp_client *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int ngp_clients_by_pid(const struct ngp_clients *cl, struct ngp_client *out, int max)
{
	struct ngp_client *sorted, *a = NULL;
	int i, k, n = 0;

	if (!cl->nr)
		return 0;
	sorted = malloc(cl->nr * sizeof(*sorted));
	if (!sorted)
		return 0;
	memcpy(sorted, cl->c, cl->nr * sizeof(*sorted));
	qsort(sorted, cl->nr, sizeof(*sorted), by_pid);
	for (i = 0; i < cl->nr; i++) {
		const struct ngp_client *c = &sorted[i];

		if (!a || c->pid != a->pid) {
			if (n == max)
				break;
			a = &out[n++];
			memset(a, 0, sizeof(*a));
			a->id = (unsigned int)-c->pid;
			a->pid = c->pid;
			a->minor = c->minor;
			snprintf(a->comm, sizeof(a->comm), "%s", c->comm);
			a->nr_regions = c->nr_regions;
			a->samples = 1;
			a->seen = true;
		}
		a->has_engines |= c->has_engines;
		for (k = 0; k < NGP_NR_CLASSES; k++)
			if (c->capacity[k] > a->capacity[k])
				a->capacity[k] = c->capacity[k];
		if (c->samples < 2)
			continue;
		a->samples = 2;
		a->total_sum_ns += c->total_sum_ns;
		a->delta_sum_ns += c->delta_sum_ns;
		for (k = 0; k < NGP_NR_CLASSES; k++)
			a->delta_ns[k] += c->delta_ns[k];
		for (k = 0; k < a->nr_regions && k < c->nr_regions; k++) {
			a->mem[k].total += c->mem[k].total;
			a->mem[k].shared += c->mem[k].shared;
			a->mem[k].resident += c->mem[k].resident;
			a->mem[k].purgeable += c->mem[k].purgeable;
			a->mem[k].active += c->mem[k].active;
		}
	}
	free(sorted);
	return n;
}
