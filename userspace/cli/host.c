// SPDX-License-Identifier: GPL-2.0
/*
 * nsgpuperf host: the host side of giving /dev/nsgpuperf to a container.
 *
 *   grant NAME   find the container's root ids (its LXC or Proxmox config's
 *                lxc.idmap, or --uid/--gid), make /dev/nsgpuperf-ct/NAME
 *                (the module's device number, owned by those ids, 0600),
 *                record the grant in /etc/nsgpuperf/containers/NAME, install
 *                the udev rule that recreates the nodes whenever the
 *                module's device appears, and print the container's config
 *                lines: stdout carries only them (`>> config` works),
 *                everything else goes to stderr
 *   revoke NAME  remove the node and the record; print the lines to remove
 *   list [-J]    the grants, and whether each node is still as granted
 *   restore      recreate every recorded node (what the udev rule runs)
 *
 * Owning the node is the grant: a host user who owned it could pass the
 * module's owner rule from a user namespace of its own.  So a node only
 * ever goes to ids a container's root maps to, never to 0.
 *
 * Every path read or written is prefixed with $NSGPUPERF_HOST_ROOT when it
 * is set (a testing aid: the host tests run on fixture trees); what is
 * printed or recorded is the path as the host knows it, unprefixed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli.h"

#define HOST_ROOT_ENV	"NSGPUPERF_HOST_ROOT"
#define CT_NODE_DIR	"/dev/nsgpuperf-ct"
#define STATE_DIR	"/etc/nsgpuperf/containers"
#define UDEV_RULE	"/etc/udev/rules.d/70-nsgpuperf.rules"
#define SYSFS_DEV	"/sys/class/nsgpuperf/nsgpuperf/dev"
#define DEV_NODE	"/dev/nsgpuperf"
#define DRM_CLASS	"/sys/class/drm"
#define PVE_DIR		"/etc/pve/lxc"
#define LXC_PATH	"/var/lib/lxc"

#define PVE_ROOT_ID	100000	/* PVE's idmap for unprivileged: 0 100000 65536 */
#define PVE_MAX_DEV	256	/* dev0 .. dev255 */
#define MAX_GPUS	16
#define MAX_INCLUDE_DEPTH 4
#define MAX_LINES	128

static const char *const prog = "nsgpuperf host";

/* The standard devices an unprivileged LXC container needs allowed. */
static const char *const baseline[] = {
	"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
	"c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
};

enum fmt { FMT_NONE, FMT_LXC, FMT_PROXMOX, FMT_PROXMOX_DEV, FMT_INCUS };

static const char *const fmt_names[] = {
	[FMT_NONE] = "", [FMT_LXC] = "lxc", [FMT_PROXMOX] = "proxmox",
	[FMT_PROXMOX_DEV] = "proxmox-dev", [FMT_INCUS] = "incus",
};

/* Formats for which the host makes the node (the others make their own). */
static bool fmt_has_node(enum fmt f)
{
	return f == FMT_LXC || f == FMT_PROXMOX;
}

struct gpu {
	char pci[32];		/* "0000:00:02.0" */
	char node[40];		/* "/dev/dri/renderD128" */
	int minor;		/* 128 */
};

/* A container's config: the lines of its own file, what they say. */
struct kv {
	char *key, *val;	/* val: blanks collapsed */
};

struct ct_conf {
	enum fmt kind;			/* FMT_LXC or FMT_PROXMOX; NONE: none */
	char path[PATH_MAX];		/* as the host knows it */
	struct kv *kv;			/* its own lines (PVE: main section) */
	int nkv;
	bool idmap;			/* an lxc.idmap line was read */
	long uid, gid;			/* container id 0's host ids, -1 none */
	char idmap_from[PATH_MAX];	/* the file whose lxc.idmap said so */
	int unprivileged;		/* PVE "unprivileged:", -1 absent */
	char section[64];		/* PVE: first [section] ("" none) */
	char unread[PATH_MAX];		/* an lxc.include that could not be read */
};

/* The record of one grant (/etc/nsgpuperf/containers/NAME). */
struct grant {
	char name[NAME_MAX + 1];
	enum fmt fmt;
	long uid, gid;			/* -1: not known (Incus) */
	char config[PATH_MAX];		/* "" none */
	bool has_dev;
	unsigned int maj, min;		/* the number the node was made with */
	char node[PATH_MAX];		/* "" when the host makes none */
	int ngpus;
	struct gpu gpus[MAX_GPUS];
	int npve;			/* --proxmox-dev: the devN used */
	struct {
		int idx;
		char path[48];
	} pve[MAX_GPUS + 1];
};

/* ---- small helpers ------------------------------------------------------ */

static void vnote(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
	return code;
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
}

/* snprintf for paths, where cutting a too-long one short is the intent */
static void sfmt(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void sfmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* path under $NSGPUPERF_HOST_ROOT (path itself when that is unset) */
static const char *at(char *buf, size_t len, const char *path)
{
	const char *root = getenv(HOST_ROOT_ENV);

	if (!root || !*root || path[0] != '/')
		snprintf(buf, len, "%s", path);
	else
		snprintf(buf, len, "%s%s", root, path);
	return buf;
}

/* Trim blanks at both ends and collapse inner runs to one space. */
static void squeeze(char *s)
{
	char *r = s, *w = s;
	bool blank = false;

	while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
		r++;
	for (; *r; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n') {
			blank = true;
			continue;
		}
		if (blank && w != s)
			*w++ = ' ';
		blank = false;
		*w++ = *r;
	}
	*w = '\0';
}

static bool valid_name(const char *name)
{
	const char *p;

	if (!*name || name[0] == '.' || name[0] == '-' || strlen(name) > 64)
		return false;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

static int parse_id(const char *opt, const char *arg, long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v > 4294967294UL) {
		fprintf(stderr, "%s: %s %s: not an id (a number from 0 to 4294967294)\n",
			prog, opt, arg);
		return -1;
	}
	*out = (long)v;
	return 0;
}

/* mkdir -p of the directory part of a (prefixed) path */
static int mkdir_parents(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* Write a whole file (prefixed path) through a temporary and rename. */
static int write_atomic(const char *path, const char *text, mode_t mode)
{
	char tmp[PATH_MAX + 8];
	size_t len = strlen(text);
	int fd;

	if (mkdir_parents(path))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) || fsync(fd)) {
		int err = errno;

		close(fd);
		unlink(tmp);
		errno = err;
		return -1;
	}
	if (close(fd) || rename(tmp, path)) {
		int err = errno;

		unlink(tmp);
		errno = err;
		return -1;
	}
	return 0;
}

/* A whole small file (prefixed path), NUL-terminated, or NULL (errno). */
static char *read_all(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, r;

	if (!f)
		return NULL;
	do {
		if (cap - len < 1024) {
			char *nb = realloc(buf, cap + 8192);

			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap += 8192;
		}
		r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
	} while (r > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* ---- the module's device number ----------------------------------------- */

/*
 * The number of /dev/nsgpuperf: the module's sysfs "dev", else the node's.
 * 0, or -1 when neither is there (the module is not loaded).
 */
static int devnum(unsigned int *maj, unsigned int *min)
{
	char p[PATH_MAX];
	struct stat st;
	FILE *f = fopen(at(p, sizeof(p), SYSFS_DEV), "re");
	int ok = 0;

	if (f) {
		ok = fscanf(f, "%u:%u", maj, min) == 2;
		fclose(f);
		if (ok)
			return 0;
	}
	if (!stat(at(p, sizeof(p), DEV_NODE), &st) && S_ISCHR(st.st_mode)) {
		*maj = major(st.st_rdev);
		*min = minor(st.st_rdev);
		return 0;
	}
	return -1;
}

static int no_module(void)
{
	return fail(NGP_EXIT_NO_DEVICE,
		    "the nsgpuperf module is not loaded (no %s, no %s): load it (modprobe nsgpuperf; with DKMS: dkms status nsgpuperf), then run this again",
		    SYSFS_DEV, DEV_NODE);
}

/* ---- GPUs --------------------------------------------------------------- */

static int gpu_cmp(const void *a, const void *b)
{
	return ((const struct gpu *)a)->minor - ((const struct gpu *)b)->minor;
}

/*
 * The GPUs nsgpuperf serves: render nodes whose PCI device is Intel's and
 * bound to i915 or xe (the module's own rule), by render minor.
 */
/* The last component of what the symlink at path points to; NULL if none. */
static const char *link_target_name(const char *path, char *buf, size_t len)
{
	ssize_t l = readlink(path, buf, len - 1);
	const char *base;

	if (l <= 0)
		return NULL;
	buf[l] = '\0';
	base = strrchr(buf, '/');
	return base ? base + 1 : buf;
}

static int find_gpus(struct gpu *gpus, int room)
{
	char p[PATH_MAX], q[PATH_MAX + 64], link[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(at(p, sizeof(p), DRM_CLASS));
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < room) {
		const char *drv, *pci;
		char *end, *vendor;
		long minor;

		if (strncmp(de->d_name, "renderD", 7))
			continue;
		minor = strtol(de->d_name + 7, &end, 10);
		if (end == de->d_name + 7 || *end || minor < 0)
			continue;
		sfmt(q, sizeof(q), "%s/%s/device/driver", p, de->d_name);
		drv = link_target_name(q, link, sizeof(link));
		if (!drv || (strcmp(drv, "i915") && strcmp(drv, "xe")))
			continue;
		sfmt(q, sizeof(q), "%s/%s/device/vendor", p, de->d_name);
		vendor = read_all(q);
		if (!vendor || strtoul(vendor, NULL, 16) != 0x8086) {
			free(vendor);
			continue;
		}
		free(vendor);
		sfmt(q, sizeof(q), "%s/%s/device", p, de->d_name);
		pci = link_target_name(q, link, sizeof(link));
		if (!pci)
			continue;
		sfmt(gpus[n].pci, sizeof(gpus[n].pci), "%s", pci);
		snprintf(gpus[n].node, sizeof(gpus[n].node), "/dev/dri/renderD%ld", minor);
		gpus[n].minor = (int)minor;
		n++;
	}
	closedir(d);
	qsort(gpus, n, sizeof(gpus[0]), gpu_cmp);
	return n;
}

static bool gpu_matches(const struct gpu *g, const char *spec)
{
	char want[40];
	const char *base = strrchr(g->node, '/') + 1;
	size_t i;

	if (!strcmp(spec, g->node) || !strcmp(spec, base))
		return true;
	if (strlen(spec) == 7 && spec[2] == ':')
		snprintf(want, sizeof(want), "0000:%s", spec);
	else
		snprintf(want, sizeof(want), "%s", spec);
	for (i = 0; want[i]; i++)
		if (want[i] >= 'A' && want[i] <= 'F')
			want[i] += 'a' - 'A';
	return !strcmp(want, g->pci);
}

static void gpu_list_text(const struct gpu *gpus, int n, char *buf, size_t len)
{
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s (%s)", i ? ", " : "",
			      gpus[i].pci, gpus[i].node);
	if (!n)
		snprintf(buf, len, "none");
}

/* ---- container configs -------------------------------------------------- */

static void conf_free(struct ct_conf *c)
{
	int i;

	for (i = 0; i < c->nkv; i++) {
		free(c->kv[i].key);
		free(c->kv[i].val);
	}
	free(c->kv);
	c->kv = NULL;
	c->nkv = 0;
}

static int conf_add(struct ct_conf *c, const char *key, const char *val)
{
	struct kv *nkv = realloc(c->kv, (c->nkv + 1) * sizeof(*nkv));

	if (!nkv)
		return -1;
	c->kv = nkv;
	c->kv[c->nkv].key = strdup(key);
	c->kv[c->nkv].val = strdup(val);
	if (!c->kv[c->nkv].key || !c->kv[c->nkv].val)
		return -1;
	c->nkv++;
	return 0;
}

/*
 * One lxc.idmap value: "u|g|b NSID HOSTID RANGE"; the one that covers
 * container id 0 gives root's host id.  In the container's own file a
 * later line wins, as a later line of a config overrides; an included
 * file only fills in what it left out.  An empty value clears the map,
 * as in LXC.
 */
static void apply_idmap(struct ct_conf *c, const char *val, const char *from,
			bool fill_only)
{
	unsigned long ns, host, range;
	char type;

	if (!*val) {
		c->idmap = false;
		c->uid = c->gid = -1;
		return;
	}
	c->idmap = true;
	if (sscanf(val, "%c %lu %lu %lu", &type, &ns, &host, &range) != 4)
		return;
	if (ns != 0 || range == 0)
		return;
	if ((type == 'u' || type == 'b') && !(fill_only && c->uid >= 0))
		c->uid = (long)host;
	if ((type == 'g' || type == 'b') && !(fill_only && c->gid >= 0))
		c->gid = (long)host;
	snprintf(c->idmap_from, sizeof(c->idmap_from), "%s", from);
}

/*
 * Read one config file (its path as the host knows it).  The container's
 * own file (depth 0) keeps its lines; the files it lxc.include's are read
 * (after it) only while its root's uid or gid is not found, for that alone.  0, or -1 (errno)
 * when the file cannot be opened.
 */
static int conf_read(struct ct_conf *c, const char *path, int depth)
{
	char p[PATH_MAX], line[4096];
	char *includes[32];
	int nincl = 0, i;
	FILE *f = fopen(at(p, sizeof(p), path), "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *sep, *key, *val;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#' || *s == '\n' || *s == '\r')
			continue;
		if (c->kind == FMT_PROXMOX && *s == '[') {
			/* a snapshot (or pending) section: not the current config */
			sep = strchr(s, ']');
			if (sep)
				*sep = '\0';
			snprintf(c->section, sizeof(c->section), "%s", s + 1);
			break;
		}
		sep = strchr(s, c->kind == FMT_PROXMOX ? ':' : '=');
		if (!sep)
			continue;
		*sep = '\0';
		key = s;
		val = sep + 1;
		squeeze(key);
		squeeze(val);
		if (!depth && conf_add(c, key, val)) {
			fclose(f);
			errno = ENOMEM;
			return -1;
		}
		if (!strcmp(key, "lxc.idmap") || !strcmp(key, "lxc.id_map"))
			apply_idmap(c, val, path, depth > 0);
		else if (c->kind == FMT_PROXMOX && !strcmp(key, "unprivileged"))
			c->unprivileged = atoi(val);
		else if (c->kind == FMT_LXC && !strcmp(key, "lxc.include") &&
			 nincl < (int)(sizeof(includes) / sizeof(includes[0])))
			includes[nincl++] = strdup(val);
	}
	fclose(f);
	for (i = 0; i < nincl; i++) {
		char rel[PATH_MAX];
		const char *inc = includes[i];

		if (!inc || (c->uid >= 0 && c->gid >= 0) || depth >= MAX_INCLUDE_DEPTH)
			goto next;
		if (inc[0] != '/') {
			const char *slash = strrchr(path, '/');

			snprintf(rel, sizeof(rel), "%.*s/%s",
				 slash ? (int)(slash - path) : 1, slash ? path : ".", inc);
			inc = rel;
		}
		if (conf_read(c, inc, depth + 1) && !c->unread[0])
			snprintf(c->unread, sizeof(c->unread), "%s", inc);
next:
		free(includes[i]);
	}
	return 0;
}

/*
 * Whether the container's own file has "key = val" (blanks collapsed)
 * after its line number from.
 */
static bool conf_has(const struct ct_conf *c, int from, const char *key, const char *val)
{
	int i;

	for (i = from + 1; i < c->nkv; i++)
		if (!strcmp(c->kv[i].key, key) && !strcmp(c->kv[i].val, val))
			return true;
	return false;
}

/* Index of the last "lxc.cgroup2.devices.deny = a" in the file, or -1. */
static int conf_last_deny_all(const struct ct_conf *c)
{
	int i, last = -1;

	for (i = 0; i < c->nkv; i++)
		if (!strcmp(c->kv[i].key, "lxc.cgroup2.devices.deny") &&
		    !strcmp(c->kv[i].val, "a"))
			last = i;
	return last;
}

/* PVE devN: its index, or -1 if the key is not one. */
static int pve_dev_index(const char *key)
{
	char *end;
	long n;

	if (strncmp(key, "dev", 3) || !key[3] || key[3] < '0' || key[3] > '9')
		return -1;
	n = strtol(key + 3, &end, 10);
	return *end || n < 0 || n >= PVE_MAX_DEV ? -1 : (int)n;
}

/* The path of a PVE devN value ("/dev/x,mode=0600" -> "/dev/x"). */
static void pve_dev_path(const char *val, char *buf, size_t len)
{
	const char *comma = strchr(val, ',');

	snprintf(buf, len, "%.*s", comma ? (int)(comma - val) : (int)strlen(val), val);
	if (!strncmp(buf, "path=", 5))
		memmove(buf, buf + 5, strlen(buf + 5) + 1);
}

/*
 * Find the container's config: Proxmox's /etc/pve/lxc/NAME.conf, LXC's
 * LXCPATH/NAME/config (the other order when prefer is FMT_LXC).  The
 * paths looked at go to looked.  0 found, -1 not.
 */
static int conf_find(const char *name, const char *lxcpath, enum fmt prefer,
		     struct ct_conf *c, char *looked, size_t len)
{
	char paths[2][PATH_MAX];
	enum fmt kinds[2] = { FMT_PROXMOX, FMT_LXC };
	int i, k, errs[2];

	snprintf(paths[0], sizeof(paths[0]), "%s/%s.conf", PVE_DIR, name);
	snprintf(paths[1], sizeof(paths[1]), "%s/%s/config", lxcpath, name);
	memset(c, 0, sizeof(*c));
	for (i = 0; i < 2; i++) {
		k = prefer == FMT_LXC ? 1 - i : i;
		conf_free(c);
		memset(c, 0, sizeof(*c));
		c->uid = c->gid = -1;
		c->unprivileged = -1;
		c->kind = kinds[k];
		snprintf(c->path, sizeof(c->path), "%s", paths[k]);
		if (!conf_read(c, paths[k], 0))
			return 0;
		errs[i] = errno;
	}
	conf_free(c);
	c->kind = FMT_NONE;
	k = prefer == FMT_LXC ? 1 : 0;
	snprintf(looked, len, "%s (%s) and %s (%s)", paths[k], strerror(errs[0]),
		 paths[1 - k], strerror(errs[1]));
	return -1;
}

/*
 * The container root's host ids from its config.  0; or an exit code
 * after saying why (privileged, or a map that leaves id 0 out).
 */
static int conf_root_ids(const char *name, struct ct_conf *c, long *uid, long *gid)
{
	if (c->idmap) {
		if (c->uid < 0 || c->gid < 0)
			return fail(NGP_EXIT_FAILURE,
				    "container %s: the lxc.idmap lines of %s map no %s for container id 0 (root): fix the map, or give the host ids of the container's root with --uid UID --gid GID",
				    name, c->idmap_from[0] ? c->idmap_from : c->path,
				    c->uid < 0 ? "uid" : "gid");
		*uid = c->uid;
		*gid = c->gid;
		return 0;
	}
	if (c->kind == FMT_PROXMOX && c->unprivileged == 1) {
		*uid = PVE_ROOT_ID;
		*gid = PVE_ROOT_ID;
		return 0;
	}
	if (c->kind == FMT_PROXMOX)
		return fail(NGP_EXIT_PRIVILEGED,
			    "container %s is privileged (%s in %s, and no lxc.idmap): its root is the host's root, which perf already trusts; nsgpuperf is not needed there: pass the GPU's render node in and run intel_gpu_top (or nsgpuperf) in it directly",
			    name, c->unprivileged == 0 ? "unprivileged: 0" : "no unprivileged: 1",
			    c->path);
	return fail(NGP_EXIT_PRIVILEGED,
		    "container %s is privileged (no lxc.idmap in %s%s%s%s): its root is the host's root, which perf already trusts; nsgpuperf is not needed there: pass the GPU's render node in and run intel_gpu_top (or nsgpuperf) in it directly",
		    name, c->path, c->unread[0] ? "; could not read " : "",
		    c->unread, c->unread[0] ? ", which it includes" : " or what it includes");
}

/* ---- the lines for the container's config ------------------------------ */

struct lines {
	int n;
	struct {
		bool comment;
		char key[32];
		char val[PATH_MAX / 8];
	} l[MAX_LINES];
};

static void add_line(struct lines *o, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_line(struct lines *o, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (o->n >= MAX_LINES)
		return;
	o->l[o->n].comment = !key;
	snprintf(o->l[o->n].key, sizeof(o->l[o->n].key), "%s", key ? key : "");
	va_start(ap, fmt);
	vsnprintf(o->l[o->n].val, sizeof(o->l[o->n].val), fmt, ap);
	va_end(ap);
	o->n++;
}

static void print_lines(FILE *f, const struct lines *o, enum fmt fmt)
{
	int i;

	for (i = 0; i < o->n; i++) {
		if (o->l[i].comment)
			fprintf(f, "# %s\n", o->l[i].val);
		else if (fmt == FMT_LXC)
			fprintf(f, "%s = %s\n", o->l[i].key, o->l[i].val);
		else if (fmt == FMT_INCUS)
			fprintf(f, "%s\n", o->l[i].val);
		else
			fprintf(f, "%s: %s\n", o->l[i].key, o->l[i].val);
	}
}

#define ALLOW	"lxc.cgroup2.devices.allow"
#define DENY	"lxc.cgroup2.devices.deny"
#define MOUNT	"lxc.mount.entry"

static bool out_has(const struct lines *o, const char *key, const char *val)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->l[i].key, key) && !strcmp(o->l[i].val, val))
			return true;
	return false;
}

/*
 * An allow or mount line unless the config has it in effect: a mount
 * line anywhere, an allow line after its last "deny = a" (last_deny; none
 * in effect when reset, as the lines printed reset them).
 */
static void add_unless(struct lines *o, const struct ct_conf *c, int last_deny,
		       bool reset, const char *key, const char *val, int *skipped)
{
	bool allow = !strcmp(key, ALLOW);

	if (out_has(o, key, val))
		return;
	if (allow ? !reset && conf_has(c, last_deny, key, val) : conf_has(c, -1, key, val)) {
		(*skipped)++;
		return;
	}
	add_line(o, key, "%s", val);
}

/*
 * The node's lines for plain LXC and Proxmox's raw lxc keys: the standard
 * devices, then /dev/nsgpuperf and each GPU's render node.
 *
 * LXC's "lxc.cgroup2.devices.deny = a" resets the device rules read before
 * it: when the config has none yet, the allow lines above it (the config's
 * own, and on Proxmox those PVE writes for devN passthrough, which come
 * before the raw lxc keys) are repeated after it.
 */
static void lines_node(struct lines *o, const char *name, const struct ct_conf *c,
		       unsigned int maj, unsigned int min, long uid, long gid,
		       const struct gpu *gpus, int ngpus, enum fmt fmt, int *skipped)
{
	int last_deny = conf_last_deny_all(c);
	bool reset = last_deny < 0;
	char val[PATH_MAX / 8];
	size_t i;
	int k;

	if (fmt == FMT_LXC) {
		char list[256] = "";
		size_t off = 0;

		for (k = 0; k < ngpus; k++)
			off += snprintf(list + off, sizeof(list) - off, " %s",
					strrchr(gpus[k].node, '/') + 1);
		add_line(o, NULL, "nsgpuperf host grant %s: /dev/nsgpuperf (c %u:%u) for the container's root (host %ld:%ld); GPUs:%s",
			 name, maj, min, uid, gid, ngpus ? list : " none");
	}
	if (reset) {
		add_line(o, DENY, "a");
		for (k = 0; k < c->nkv; k++) {
			struct stat st;
			char p[PATH_MAX], path[PATH_MAX / 8];

			if (!strcmp(c->kv[k].key, ALLOW)) {
				if (!out_has(o, ALLOW, c->kv[k].val))
					add_line(o, ALLOW, "%s", c->kv[k].val);
				continue;
			}
			if (c->kind != FMT_PROXMOX || pve_dev_index(c->kv[k].key) < 0)
				continue;
			pve_dev_path(c->kv[k].val, path, sizeof(path));
			if (stat(at(p, sizeof(p), path), &st) ||
			    !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
				note("%s (%s): not a device node here: after \"%s = a\" it needs its own allow line",
				     c->kv[k].key, path, DENY);
				continue;
			}
			add_line(o, ALLOW, "%c %u:%u rw", S_ISBLK(st.st_mode) ? 'b' : 'c',
				 major(st.st_rdev), minor(st.st_rdev));
		}
	} else {
		(*skipped)++;
	}
	for (i = 0; i < sizeof(baseline) / sizeof(baseline[0]); i++)
		add_unless(o, c, last_deny, reset, ALLOW, baseline[i], skipped);
	snprintf(val, sizeof(val), "c %u:%u rw", maj, min);
	add_unless(o, c, last_deny, reset, ALLOW, val, skipped);
	snprintf(val, sizeof(val), "%s/%s dev/nsgpuperf none bind,optional,create=file",
		 CT_NODE_DIR, name);
	add_unless(o, c, last_deny, reset, MOUNT, val, skipped);
	for (k = 0; k < ngpus; k++) {
		snprintf(val, sizeof(val), "c 226:%d rw", gpus[k].minor);
		add_unless(o, c, last_deny, reset, ALLOW, val, skipped);
		snprintf(val, sizeof(val), "%s %s none bind,optional,create=file",
			 gpus[k].node, gpus[k].node + 1);
		add_unless(o, c, last_deny, reset, MOUNT, val, skipped);
	}
}

/* The devN index passing path in the PVE config, or -1. */
static int pve_dev_of(const struct ct_conf *c, const char *path)
{
	char have[PATH_MAX / 8];
	int k, idx;

	for (k = 0; k < c->nkv; k++) {
		idx = pve_dev_index(c->kv[k].key);
		if (idx < 0)
			continue;
		pve_dev_path(c->kv[k].val, have, sizeof(have));
		if (!strcmp(have, path))
			return idx;
	}
	return -1;
}

/* PVE 8.1+ devN passthrough: the next free indices; recorded in g. */
static void lines_pve_dev(struct lines *o, const struct ct_conf *c,
			  const struct gpu *gpus, int ngpus, struct grant *g,
			  int *skipped)
{
	bool used[PVE_MAX_DEV] = { false };
	int k, next = 0;

	for (k = 0; k < c->nkv; k++) {
		int idx = pve_dev_index(c->kv[k].key);

		if (idx >= 0)
			used[idx] = true;
	}
	for (k = -1; k < ngpus; k++) {
		const char *path = k < 0 ? DEV_NODE : gpus[k].node;
		char key[16];
		int have = pve_dev_of(c, path);

		if (have >= 0) {
			(*skipped)++;
			g->pve[g->npve].idx = have;
		} else {
			while (next < PVE_MAX_DEV && used[next])
				next++;
			if (next >= PVE_MAX_DEV)
				break;
			used[next] = true;
			snprintf(key, sizeof(key), "dev%d", next);
			add_line(o, key, "%s,mode=%s", path, k < 0 ? "0600" : "0666");
			g->pve[g->npve].idx = next;
		}
		snprintf(g->pve[g->npve].path, sizeof(g->pve[g->npve].path), "%s", path);
		g->npve++;
	}
}

static void lines_incus(struct lines *o, const char *name, const struct gpu *gpus,
			int ngpus, bool remove)
{
	char devs[512];
	size_t off;
	int k;

	if (remove) {
		off = snprintf(devs, sizeof(devs), "nsgpuperf");
		for (k = 0; k < ngpus && off < sizeof(devs); k++)
			off += snprintf(devs + off, sizeof(devs) - off, " nsgpuperf-%s",
					strrchr(gpus[k].node, '/') + 1);
		add_line(o, "", "incus config device remove %s %s", name, devs);
		return;
	}
	add_line(o, "", "incus config device add %s nsgpuperf unix-char source=%s path=%s mode=0600",
		 name, DEV_NODE, DEV_NODE);
	for (k = 0; k < ngpus; k++)
		add_line(o, "", "incus config device add %s nsgpuperf-%s unix-char source=%s path=%s mode=0666",
			 name, strrchr(gpus[k].node, '/') + 1, gpus[k].node, gpus[k].node);
}

/* ---- the node, the record, the udev rule --------------------------------- */

/*
 * Make the node (prefixed path) c maj:min, uid:gid, 0600, replacing
 * whatever is there if it is not that device.  0, or -1 (errno).
 */
static int make_node(const char *path, unsigned int maj, unsigned int min,
		     long uid, long gid)
{
	struct stat st;

	if (mkdir_parents(path))
		return -1;
	if (!lstat(path, &st) &&
	    (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(maj, min)) && unlink(path))
		return -1;
	if (mknod(path, S_IFCHR | 0600, makedev(maj, min)) && errno != EEXIST)
		return -1;
	if (lchown(path, (uid_t)uid, (gid_t)gid) || chmod(path, 0600))
		return -1;
	return 0;
}

static int state_path(char *buf, size_t len, const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", STATE_DIR, name);
	at(buf, len, p);
	return 0;
}

static int grant_write(const struct grant *g)
{
	char text[8192], p[PATH_MAX];
	size_t o = 0;
	int k;

	o += snprintf(text + o, sizeof(text) - o,
		      "# nsgpuperf host grant %s: `nsgpuperf host restore` (run by udev when the module loads) recreates the node from this\nformat %s\n",
		      g->name, fmt_names[g->fmt]);
	if (g->uid >= 0)
		o += snprintf(text + o, sizeof(text) - o, "uid %ld\ngid %ld\n", g->uid, g->gid);
	if (g->config[0])
		o += snprintf(text + o, sizeof(text) - o, "config %s\n", g->config);
	if (g->has_dev)
		o += snprintf(text + o, sizeof(text) - o, "dev %u:%u\n", g->maj, g->min);
	if (g->node[0])
		o += snprintf(text + o, sizeof(text) - o, "node %s\n", g->node);
	for (k = 0; k < g->ngpus && o < sizeof(text); k++)
		o += snprintf(text + o, sizeof(text) - o, "gpu %s %s\n", g->gpus[k].pci,
			      g->gpus[k].node);
	for (k = 0; k < g->npve && o < sizeof(text); k++)
		o += snprintf(text + o, sizeof(text) - o, "pve-dev dev%d %s\n", g->pve[k].idx,
			      g->pve[k].path);
	state_path(p, sizeof(p), g->name);
	return write_atomic(p, text, 0644);
}

/* Read a record (prefixed path); 0, or -1 (errno; EINVAL: not one). */
static int grant_read(const char *name, struct grant *g)
{
	char p[PATH_MAX], line[PATH_MAX + 64], key[32], val[PATH_MAX];
	FILE *f;

	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->uid = g->gid = -1;
	state_path(p, sizeof(p), name);
	f = fopen(p, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *rest;
		int i;

		if (line[0] == '#' || sscanf(line, "%31s", key) != 1)
			continue;
		rest = line + strlen(key);
		squeeze(rest);
		snprintf(val, sizeof(val), "%s", rest);
		if (!strcmp(key, "format")) {
			for (i = FMT_LXC; i <= FMT_INCUS; i++)
				if (!strcmp(val, fmt_names[i]))
					g->fmt = i;
		} else if (!strcmp(key, "uid")) {
			g->uid = strtol(val, NULL, 10);
		} else if (!strcmp(key, "gid")) {
			g->gid = strtol(val, NULL, 10);
		} else if (!strcmp(key, "config")) {
			snprintf(g->config, sizeof(g->config), "%s", val);
		} else if (!strcmp(key, "dev")) {
			g->has_dev = sscanf(val, "%u:%u", &g->maj, &g->min) == 2;
		} else if (!strcmp(key, "node")) {
			snprintf(g->node, sizeof(g->node), "%s", val);
		} else if (!strcmp(key, "gpu") && g->ngpus < MAX_GPUS) {
			struct gpu *gp = &g->gpus[g->ngpus];
			const char *r;

			if (sscanf(val, "%31s %39s", gp->pci, gp->node) != 2)
				continue;
			r = strstr(gp->node, "renderD");
			gp->minor = r ? atoi(r + 7) : -1;
			g->ngpus++;
		} else if (!strcmp(key, "pve-dev") && g->npve < MAX_GPUS + 1) {
			if (sscanf(val, "dev%d %47s", &g->pve[g->npve].idx,
				   g->pve[g->npve].path) == 2)
				g->npve++;
		}
	}
	fclose(f);
	if (g->fmt == FMT_NONE || (fmt_has_node(g->fmt) &&
				   (!g->node[0] || g->uid < 0 || g->gid < 0))) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int name_filter(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return valid_name(de->d_name) &&
	       !(len > 4 && !strcmp(de->d_name + len - 4, ".tmp"));
}

/* The names of the records, sorted: how many (namelist to free), or -1. */
static int grant_names(struct dirent ***names)
{
	char p[PATH_MAX];
	int n = scandir(at(p, sizeof(p), STATE_DIR), names, name_filter, alphasort);

	if (n < 0 && errno == ENOENT) {
		*names = NULL;
		return 0;
	}
	return n;
}

static void free_names(struct dirent **names, int n)
{
	while (n-- > 0)
		free(names[n]);
	free(names);
}

static int udev_rule(void)
{
	char exe[PATH_MAX], p[PATH_MAX], text[PATH_MAX + 256];
	char *have;
	int same;

	if (!realpath("/proc/self/exe", exe))
		return fail(NGP_EXIT_FAILURE, "cannot tell where this nsgpuperf is (/proc/self/exe: %s): the udev rule was not written",
			    strerror(errno));
	snprintf(text, sizeof(text),
		 "# Written by `nsgpuperf host grant`: when the nsgpuperf module's device appears\n"
		 "# (module load, boot), recreate the containers' nodes in %s.\n"
		 "ACTION==\"add\", SUBSYSTEM==\"nsgpuperf\", KERNEL==\"nsgpuperf\", RUN+=\"%s host restore\"\n",
		 CT_NODE_DIR, exe);
	at(p, sizeof(p), UDEV_RULE);
	have = read_all(p);
	same = have && !strcmp(have, text);
	free(have);
	if (same)
		return 0;
	if (write_atomic(p, text, 0644))
		return fail(NGP_EXIT_FAILURE, "%s: %s: the nodes will not come back after a reboot or module reload until this is fixed",
			    UDEV_RULE, strerror(errno));
	note("wrote %s: udev recreates the nodes whenever the module loads", UDEV_RULE);
	return 0;
}

/* What is wrong with a node (prefixed path), "ok" if nothing. */
static void node_status(const struct grant *g, bool have_dev, unsigned int maj,
			unsigned int min, char *buf, size_t len)
{
	char p[PATH_MAX];
	struct stat st;
	size_t o = 0;

	if (lstat(at(p, sizeof(p), g->node), &st)) {
		snprintf(buf, len, "%s", errno == ENOENT ? "missing" : strerror(errno));
		return;
	}
	if (!have_dev && g->has_dev) {
		maj = g->maj;
		min = g->min;
		have_dev = true;
	}
	buf[0] = '\0';
	if (!S_ISCHR(st.st_mode) || (have_dev && st.st_rdev != makedev(maj, min)))
		o += snprintf(buf + o, len - o, "%swrong number", o ? ", " : "");
	if ((long)st.st_uid != g->uid || (long)st.st_gid != g->gid)
		o += snprintf(buf + o, len - o, "%swrong owner", o ? ", " : "");
	if ((st.st_mode & 07777) != 0600)
		o += snprintf(buf + o, len - o, "%swrong mode", o ? ", " : "");
	if (!o)
		snprintf(buf, len, "ok");
}

/* ---- grant -------------------------------------------------------------- */

static void host_usage(FILE *f)
{
	fprintf(f,
		"usage: nsgpuperf host grant NAME [--lxc | --proxmox | --proxmox-dev | --incus]\n"
		"                 [--uid UID --gid GID] [--lxcpath DIR] [--gpu GPU]...\n"
		"       nsgpuperf host revoke NAME\n"
		"       nsgpuperf host list [-J]\n"
		"       nsgpuperf host restore\n"
		"\n"
		"On the host, as root: give container NAME's root its own /dev/nsgpuperf\n"
		"(/dev/nsgpuperf-ct/NAME, owned by the container root's host ids, 0600)\n"
		"and print the lines for its config on stdout.\n"
		"\n"
		"grant options:\n"
		"      --lxc          plain LXC lines (key = value); the default for an\n"
		"                     LXC config (LXCPATH/NAME/config)\n"
		"      --proxmox      Proxmox raw lxc lines (key: value) for\n"
		"                     /etc/pve/lxc/NAME.conf; the default for one\n"
		"      --proxmox-dev  Proxmox 8.1+ devN: passthrough (no host node)\n"
		"      --incus        incus config device add commands (no host node)\n"
		"      --uid UID      the host uid of the container's root (instead of\n"
		"      --gid GID      reading its config's lxc.idmap)\n"
		"      --lxcpath DIR  where LXC containers live (default " LXC_PATH ")\n"
		"      --gpu GPU      only this GPU (PCI address or /dev/dri/renderDN;\n"
		"                     repeat for more); default: every GPU nsgpuperf serves\n"
		"list options:\n"
		"  -J, --json         as JSON\n"
		"  -h, --help         this text\n"
		"\n"
		"Exit codes: 0 ok, 1 failure, 2 usage, 3 module not loaded, 4 not root,\n"
		"6 --gpu matched no GPU, 7 container or grant unknown, 8 container\n"
		"privileged (nsgpuperf not needed there).\n");
}

static int need_root(const char *what, const char *name)
{
	if (geteuid() == 0)
		return 0;
	return fail(NGP_EXIT_DENIED,
		    "%s must run as root on the host (it makes device nodes in /dev and writes /etc/nsgpuperf): sudo nsgpuperf host %s%s%s",
		    what, what, name ? " " : "", name ? name : "");
}

struct grant_opts {
	enum fmt fmt;
	long uid, gid;
	const char *lxcpath;
	const char *gpu_specs[MAX_GPUS];
	int nspecs;
};

static int grant_parse(int argc, char **argv, struct grant_opts *go, const char **name)
{
	enum { OPT_UID = 256, OPT_GID, OPT_LXCPATH, OPT_LXC, OPT_PROXMOX,
	       OPT_PROXMOX_DEV, OPT_INCUS, OPT_GPU };
	static const struct option longopts[] = {
		{ "uid", required_argument, NULL, OPT_UID },
		{ "gid", required_argument, NULL, OPT_GID },
		{ "lxcpath", required_argument, NULL, OPT_LXCPATH },
		{ "lxc", no_argument, NULL, OPT_LXC },
		{ "proxmox", no_argument, NULL, OPT_PROXMOX },
		{ "proxmox-dev", no_argument, NULL, OPT_PROXMOX_DEV },
		{ "incus", no_argument, NULL, OPT_INCUS },
		{ "gpu", required_argument, NULL, OPT_GPU },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum fmt want;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_UID:
			if (parse_id("--uid", optarg, &go->uid))
				return NGP_EXIT_USAGE;
			break;
		case OPT_GID:
			if (parse_id("--gid", optarg, &go->gid))
				return NGP_EXIT_USAGE;
			break;
		case OPT_LXCPATH:
			go->lxcpath = optarg;
			break;
		case OPT_LXC:
		case OPT_PROXMOX:
		case OPT_PROXMOX_DEV:
		case OPT_INCUS:
			want = opt == OPT_LXC ? FMT_LXC : opt == OPT_PROXMOX ? FMT_PROXMOX :
			       opt == OPT_PROXMOX_DEV ? FMT_PROXMOX_DEV : FMT_INCUS;
			if (go->fmt != FMT_NONE && go->fmt != want) {
				fprintf(stderr, "%s: --%s and --%s: one format at a time\n",
					prog, fmt_names[go->fmt], fmt_names[want]);
				return NGP_EXIT_USAGE;
			}
			go->fmt = want;
			break;
		case OPT_GPU:
			if (go->nspecs >= MAX_GPUS) {
				fprintf(stderr, "%s: --gpu: at most %d\n", prog, MAX_GPUS);
				return NGP_EXIT_USAGE;
			}
			go->gpu_specs[go->nspecs++] = optarg;
			break;
		case 'h':
			host_usage(stdout);
			return -1;
		default:
			host_usage(stderr);
			return NGP_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: grant: %s\n", prog,
			optind >= argc ? "which container? (grant NAME)" : "one container at a time");
		host_usage(stderr);
		return NGP_EXIT_USAGE;
	}
	*name = argv[optind];
	if (!valid_name(*name)) {
		fprintf(stderr, "%s: %s: not a container name (letters, digits, '.', '_', '-')\n",
			prog, *name);
		return NGP_EXIT_USAGE;
	}
	if ((go->uid >= 0) != (go->gid >= 0)) {
		fprintf(stderr, "%s: give both --uid and --gid (the host ids container id 0 maps to)\n",
			prog);
		return NGP_EXIT_USAGE;
	}
	return 0;
}

/* The GPUs to grant: all, or those --gpu names. 0, or an exit code. */
static int grant_gpus(const struct grant_opts *go, struct gpu *out, int *nout)
{
	struct gpu all[MAX_GPUS];
	int n = find_gpus(all, MAX_GPUS), i, k;
	char list[512];

	*nout = 0;
	if (!go->nspecs) {
		memcpy(out, all, n * sizeof(all[0]));
		*nout = n;
		if (!n)
			note("no GPU nsgpuperf serves was found (no render node in %s of an Intel GPU bound to i915 or xe): the container will list none until one is passed in",
			     DRM_CLASS);
		return 0;
	}
	for (i = 0; i < go->nspecs; i++) {
		int j;

		for (k = 0; k < n; k++)
			if (gpu_matches(&all[k], go->gpu_specs[i]))
				break;
		if (k == n) {
			gpu_list_text(all, n, list, sizeof(list));
			return fail(NGP_EXIT_NO_GPU,
				    "--gpu %s: no GPU nsgpuperf serves matches (give a PCI address or /dev/dri/renderDN); the GPUs here: %s",
				    go->gpu_specs[i], list);
		}
		for (j = 0; j < *nout; j++)
			if (out[j].minor == all[k].minor)
				break;
		if (j == *nout)
			out[(*nout)++] = all[k];
	}
	qsort(out, *nout, sizeof(out[0]), gpu_cmp);
	return 0;
}

/* A grant without a host node replaces one with: its node goes. */
static void drop_old_node(const char *name)
{
	static struct grant old;
	char p[PATH_MAX];

	if (grant_read(name, &old) || !old.node[0])
		return;
	if (!unlink(at(p, sizeof(p), old.node)))
		note("removed %s, the node of %s's previous grant (%s)", old.node, name,
		     fmt_names[old.fmt]);
}

static int host_grant(int argc, char **argv)
{
	struct grant_opts go = { .uid = -1, .gid = -1, .lxcpath = LXC_PATH };
	static struct grant g;
	static struct lines out;
	struct ct_conf c;
	const char *name;
	char looked[2 * PATH_MAX + 64], p[PATH_MAX];
	bool have_dev, found;
	unsigned int maj = 0, min = 0;
	long uid = -1, gid = -1;
	int ret, skipped = 0;

	ret = grant_parse(argc, argv, &go, &name);
	if (ret)
		return ret < 0 ? NGP_EXIT_OK : ret;
	ret = need_root("grant", name);
	if (ret)
		return ret;

	found = !conf_find(name, go.lxcpath, go.fmt == FMT_LXC ? FMT_LXC : FMT_PROXMOX,
			   &c, looked, sizeof(looked));
	if (go.fmt == FMT_NONE)
		go.fmt = found ? c.kind : FMT_LXC;
	if (go.uid >= 0) {
		if (go.uid == 0 || go.gid == 0) {
			ret = fail(NGP_EXIT_PRIVILEGED,
				   "--uid %ld --gid %ld: id 0 is the host's root: a container whose root is the host's root is privileged, perf already trusts it, and nsgpuperf is not needed there",
				   go.uid, go.gid);
			goto out;
		}
		uid = go.uid;
		gid = go.gid;
	} else if (found) {
		ret = conf_root_ids(name, &c, &uid, &gid);
		if (ret)
			goto out;
		note("%s: root is %ld:%ld on the host (%s)", name, uid, gid,
		     c.idmap ? "lxc.idmap" : "Proxmox's unprivileged: 1");
	} else if (go.fmt != FMT_INCUS) {
		ret = fail(NGP_EXIT_NO_CONTAINER,
			   "container %s: no config found: looked at %s. Give --lxcpath DIR if its LXC config is elsewhere, or the host ids of its root with --uid UID --gid GID (for Incus, --incus needs neither)",
			   name, looked);
		goto out;
	}

	have_dev = !devnum(&maj, &min);
	if (!have_dev && fmt_has_node(go.fmt)) {
		ret = no_module();
		goto out;
	}
	if (!have_dev)
		note("the nsgpuperf module is not loaded: load it (modprobe nsgpuperf) before the container starts");

	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "%s", name);
	g.fmt = go.fmt;
	g.uid = uid;
	g.gid = gid;
	g.has_dev = have_dev;
	g.maj = maj;
	g.min = min;
	if (found)
		snprintf(g.config, sizeof(g.config), "%s", c.path);
	ret = grant_gpus(&go, g.gpus, &g.ngpus);
	if (ret)
		goto out;

	memset(&out, 0, sizeof(out));
	if (fmt_has_node(go.fmt)) {
		snprintf(g.node, sizeof(g.node), "%s/%s", CT_NODE_DIR, name);
		if (make_node(at(p, sizeof(p), g.node), maj, min, uid, gid)) {
			ret = fail(NGP_EXIT_FAILURE, "%s: %s", g.node, strerror(errno));
			goto out;
		}
		lines_node(&out, name, &c, maj, min, uid, gid, g.gpus, g.ngpus, go.fmt,
			   &skipped);
	} else if (go.fmt == FMT_PROXMOX_DEV) {
		lines_pve_dev(&out, &c, g.gpus, g.ngpus, &g, &skipped);
	} else {
		lines_incus(&out, name, g.gpus, g.ngpus, false);
	}
	if (!fmt_has_node(go.fmt))
		drop_old_node(name);
	if (grant_write(&g)) {
		ret = fail(NGP_EXIT_FAILURE, "%s/%s: %s", STATE_DIR, name, strerror(errno));
		goto out;
	}
	if (fmt_has_node(go.fmt)) {
		ret = udev_rule();
		if (ret)
			goto out;
	}

	print_lines(stdout, &out, go.fmt);
	fflush(stdout);
	if (fmt_has_node(go.fmt))
		note("made %s (c %u:%u, owner %ld:%ld, mode 0600)", g.node, maj, min, uid, gid);
	else
		note("no host node: %s makes /dev/nsgpuperf in the container itself, owned by its root",
		     go.fmt == FMT_INCUS ? "Incus" : "Proxmox");
	if (skipped)
		note("%d line(s) left out: %s already has them", skipped,
		     found ? c.path : "the config");
	if (go.fmt == FMT_PROXMOX_DEV && out.n) {
		char pct[1024];
		size_t o = snprintf(pct, sizeof(pct), "pct set %s", name);
		int k;

		for (k = 0; k < out.n && o < sizeof(pct); k++)
			o += snprintf(pct + o, sizeof(pct) - o, " --%s %s", out.l[k].key,
				      out.l[k].val);
		note("or, instead of editing the config: %s", pct);
	}
	if (go.fmt == FMT_INCUS)
		note("run the commands above: Incus adds the devices to a running container at once");
	else if (found && c.section[0] &&
		 (go.fmt == FMT_PROXMOX || go.fmt == FMT_PROXMOX_DEV))
		note("%s has a [%s] section: put the lines above it (appended at the end they would belong to that snapshot), then restart the container",
		     c.path, c.section);
	else if (found && go.fmt == c.kind)
		note("append these lines to its config, then restart the container: nsgpuperf host grant %s >> %s",
		     name, c.path);
	else if (found && go.fmt == FMT_PROXMOX_DEV && c.kind == FMT_PROXMOX)
		note("append these lines to its config, then restart the container: nsgpuperf host grant %s --proxmox-dev >> %s",
		     name, c.path);
	else
		note("add the lines to the container's config, then restart the container");
	ret = NGP_EXIT_OK;
out:
	conf_free(&c);
	return ret;
}

/* ---- revoke --------------------------------------------------------------- */

static int host_revoke(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct grant g;
	static struct lines out;
	struct dirent **names;
	char p[PATH_MAX], val[PATH_MAX / 8], pct[256];
	const char *name;
	int opt, n, k;
	size_t o;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			host_usage(stdout);
			return NGP_EXIT_OK;
		}
		host_usage(stderr);
		return NGP_EXIT_USAGE;
	}
	if (optind != argc - 1 || !valid_name(argv[optind])) {
		fprintf(stderr, "%s: revoke: give one container name\n", prog);
		return NGP_EXIT_USAGE;
	}
	name = argv[optind];
	if (need_root("revoke", name))
		return NGP_EXIT_DENIED;
	if (grant_read(name, &g)) {
		if (errno == ENOENT)
			return fail(NGP_EXIT_NO_CONTAINER,
				    "%s: nothing to revoke: no grant (no %s/%s); nsgpuperf host list shows the grants",
				    name, STATE_DIR, name);
		note("%s/%s: %s: removing it anyway", STATE_DIR, name,
		     errno == EINVAL ? "not a grant record" : strerror(errno));
	}
	if (g.node[0] && unlink(at(p, sizeof(p), g.node)) && errno != ENOENT)
		return fail(NGP_EXIT_FAILURE, "%s: %s", g.node, strerror(errno));
	state_path(p, sizeof(p), name);
	if (unlink(p) && errno != ENOENT)
		return fail(NGP_EXIT_FAILURE, "%s/%s: %s", STATE_DIR, name, strerror(errno));
	n = grant_names(&names);
	if (n == 0) {
		char *rule = read_all(at(p, sizeof(p), UDEV_RULE));

		if (rule && strstr(rule, "host restore") && !unlink(p))
			note("removed %s: no grant is left", UDEV_RULE);
		free(rule);
		rmdir(at(p, sizeof(p), CT_NODE_DIR));
	}
	if (n > 0)
		free_names(names, n);

	memset(&out, 0, sizeof(out));
	if (g.fmt == FMT_INCUS) {
		lines_incus(&out, name, g.gpus, g.ngpus, true);
	} else if (g.fmt == FMT_PROXMOX_DEV) {
		o = snprintf(pct, sizeof(pct), "pct set %s --delete ", name);
		for (k = 0; k < g.npve; k++) {
			snprintf(val, sizeof(val), "dev%d", g.pve[k].idx);
			add_line(&out, val, "%s,mode=%s", g.pve[k].path,
				 strcmp(g.pve[k].path, DEV_NODE) ? "0666" : "0600");
			o += snprintf(pct + o, sizeof(pct) - o, "%s%s", k ? "," : "", val);
		}
	} else if (g.fmt) {
		if (g.has_dev)
			add_line(&out, ALLOW, "c %u:%u rw", g.maj, g.min);
		add_line(&out, MOUNT, "%s dev/nsgpuperf none bind,optional,create=file", g.node);
		for (k = 0; k < g.ngpus; k++) {
			add_line(&out, ALLOW, "c 226:%d rw", g.gpus[k].minor);
			add_line(&out, MOUNT, "%s %s none bind,optional,create=file",
				 g.gpus[k].node, g.gpus[k].node + 1);
		}
	}
	print_lines(stdout, &out, g.fmt);
	fflush(stdout);
	if (g.node[0])
		note("removed %s and the record; a running container keeps its bind-mounted node until it stops",
		     g.node);
	else
		note("removed the record");
	if (g.fmt == FMT_INCUS)
		note("run the command above to remove the container's devices");
	else if (g.fmt == FMT_PROXMOX_DEV && g.npve)
		note("remove these lines from %s (or: %s)",
		     g.config[0] ? g.config : "the container's config", pct);
	else if (g.fmt)
		note("remove these lines from %s (the GPU lines only if nothing else in the container uses the GPU; the standard-device lines can stay)",
		     g.config[0] ? g.config : "the container's config");
	return NGP_EXIT_OK;
}

/* ---- list ----------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static int host_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct grant g;
	struct dirent **names;
	char status[128], ids[48], gpus[256];
	unsigned int maj = 0, min = 0;
	bool json = false, have_dev, all_ok = true;
	int opt, n, i, k;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "Jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'J':
			json = true;
			break;
		case 'h':
			host_usage(stdout);
			return NGP_EXIT_OK;
		default:
			host_usage(stderr);
			return NGP_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: list: unexpected argument %s\n", prog, argv[optind]);
		return NGP_EXIT_USAGE;
	}
	n = grant_names(&names);
	if (n < 0)
		return fail(NGP_EXIT_FAILURE, "%s: %s", STATE_DIR, strerror(errno));
	have_dev = !devnum(&maj, &min);
	if (!have_dev)
		note("the nsgpuperf module is not loaded: node numbers are checked against the recorded ones");
	if (json) {
		printf("{\n\t\"device\": ");
		if (have_dev)
			printf("\"%u:%u\"", maj, min);
		else
			printf("null");
		printf(",\n\t\"grants\": [");
	} else {
		printf("%-16s %-15s %-12s %-32s %-12s %s\n", "CONTAINER", "UID:GID", "FORMAT",
		       "NODE", "STATUS", "GPUS");
	}
	for (i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		bool bad = grant_read(nm, &g) != 0;
		size_t o = 0;

		if (bad)
			snprintf(status, sizeof(status), "bad record (%s)",
				 errno == EINVAL ? "incomplete" : strerror(errno));
		else if (!g.node[0])
			snprintf(status, sizeof(status), "n/a");
		else
			node_status(&g, have_dev, maj, min, status, sizeof(status));
		if (strcmp(status, "ok") && strcmp(status, "n/a"))
			all_ok = false;
		if (g.uid >= 0)
			snprintf(ids, sizeof(ids), "%ld:%ld", g.uid, g.gid);
		else
			snprintf(ids, sizeof(ids), "-");
		gpus[0] = '\0';
		for (k = 0; k < g.ngpus && o < sizeof(gpus); k++)
			o += snprintf(gpus + o, sizeof(gpus) - o, "%s%s", k ? "," : "",
				      strrchr(g.gpus[k].node, '/') ?
				      strrchr(g.gpus[k].node, '/') + 1 : g.gpus[k].node);
		if (!json) {
			printf("%-16s %-15s %-12s %-32s %-12s %s\n", nm, ids,
			       g.fmt ? fmt_names[g.fmt] : "?", g.node[0] ? g.node : "-",
			       status, o ? gpus : "-");
			continue;
		}
		printf("%s\n\t\t{\n\t\t\t\"name\": ", i ? "," : "");
		json_str(stdout, nm);
		if (g.uid >= 0)
			printf(",\n\t\t\t\"uid\": %ld,\n\t\t\t\"gid\": %ld", g.uid, g.gid);
		else
			printf(",\n\t\t\t\"uid\": null,\n\t\t\t\"gid\": null");
		printf(",\n\t\t\t\"format\": ");
		json_str(stdout, g.fmt ? fmt_names[g.fmt] : "");
		printf(",\n\t\t\t\"config\": ");
		if (g.config[0])
			json_str(stdout, g.config);
		else
			printf("null");
		printf(",\n\t\t\t\"node\": ");
		if (g.node[0])
			json_str(stdout, g.node);
		else
			printf("null");
		printf(",\n\t\t\t\"status\": ");
		json_str(stdout, status);
		printf(",\n\t\t\t\"gpus\": [");
		for (k = 0; k < g.ngpus; k++) {
			printf("%s\n\t\t\t\t{ \"pci_address\": ", k ? "," : "");
			json_str(stdout, g.gpus[k].pci);
			printf(", \"render_node\": ");
			json_str(stdout, g.gpus[k].node);
			printf(" }");
		}
		printf("%s]\n\t\t}", g.ngpus ? "\n\t\t\t" : "");
	}
	if (json)
		printf("%s]\n}\n", n ? "\n\t" : "");
	fflush(stdout);
	if (n > 0)
		free_names(names, n);
	if (!all_ok)
		note("a node is not as granted: nsgpuperf host restore recreates them (udev runs it when the module loads)");
	return all_ok ? NGP_EXIT_OK : NGP_EXIT_FAILURE;
}

/* ---- restore -------------------------------------------------------------- */

static int host_restore(int argc, char **argv)
{
	static struct grant g;
	struct dirent **names;
	char p[PATH_MAX], status[128];
	unsigned int maj, min;
	int n, i, failed = 0;

	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			host_usage(stdout);
			return NGP_EXIT_OK;
		}
		fprintf(stderr, "%s: restore: unexpected argument %s\n", prog, argv[1]);
		return NGP_EXIT_USAGE;
	}
	if (need_root("restore", NULL))
		return NGP_EXIT_DENIED;
	n = grant_names(&names);
	if (n < 0)
		return fail(NGP_EXIT_FAILURE, "%s: %s", STATE_DIR, strerror(errno));
	if (n > 0 && devnum(&maj, &min)) {
		free_names(names, n);
		return no_module();
	}
	for (i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;

		if (grant_read(nm, &g)) {
			note("%s/%s: %s: skipped", STATE_DIR, nm,
			     errno == EINVAL ? "not a complete grant record" : strerror(errno));
			failed++;
			continue;
		}
		if (!g.node[0])
			continue;
		node_status(&g, true, maj, min, status, sizeof(status));
		if (!strcmp(status, "ok"))
			continue;
		if (make_node(at(p, sizeof(p), g.node), maj, min, g.uid, g.gid)) {
			note("%s: %s", g.node, strerror(errno));
			failed++;
			continue;
		}
		note("%s: %s, made again (c %u:%u, owner %ld:%ld, mode 0600)", g.node, status,
		     maj, min, g.uid, g.gid);
		if (!g.has_dev || g.maj != maj || g.min != min) {
			g.has_dev = true;
			g.maj = maj;
			g.min = min;
			if (grant_write(&g))
				note("%s/%s: %s", STATE_DIR, nm, strerror(errno));
			else if (g.fmt)
				note("%s: the module's number is now %u:%u: the container's config needs \"%s = c %u:%u rw\" (nsgpuperf host grant %s prints it)",
				     nm, maj, min, ALLOW, maj, min, nm);
		}
	}
	if (n > 0)
		free_names(names, n);
	return failed ? NGP_EXIT_FAILURE : NGP_EXIT_OK;
}

int host_main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "grant"))
		return host_grant(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "revoke"))
		return host_revoke(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "list"))
		return host_list(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "restore"))
		return host_restore(argc - 1, argv + 1);
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		host_usage(stdout);
		return NGP_EXIT_OK;
	}
	if (argc > 1)
		fprintf(stderr, "%s: unknown command %s\n", prog, argv[1]);
	host_usage(stderr);
	return NGP_EXIT_USAGE;
}
