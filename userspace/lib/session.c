// SPDX-License-Identifier: GPL-2.0
/*
 * libnsgpuperf session: open /dev/nsgpuperf (explaining each way that can
 * fail), check the module's ABI, show the session the GPUs this process
 * can open (libdrm), and list the GPUs in scope with their nodes and names
 * (libpci's pci.ids).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <pci/pci.h>
#include <xf86drm.h>

#include "ngp_internal.h"

#define CAP_PERFMON_BIT		38
#define CAP_SYS_ADMIN_BIT	21
#define MAX_DRM_DEVICES		64

int ngp_fail(struct ngp_error *e, int err, enum ngp_exit exit,
	     const char *fmt, ...)
{
	va_list ap;

	if (e) {
		e->err = err;
		e->exit = exit;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return err;
}

/* ---- why open() failed ----------------------------------------------- */

/* The effective capability set of this process (/proc/self/status). */
static int cap_effective(unsigned long long *caps)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", caps) == 1) {
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

static long read_long(const char *path, long fallback)
{
	FILE *f = fopen(path, "re");
	long v;

	if (!f)
		return fallback;
	if (fscanf(f, "%ld", &v) != 1)
		v = fallback;
	fclose(f);
	return v;
}

/*
 * Whether this process runs in the initial user namespace: its uid_map is
 * the identity over the whole range.
 */
static bool initial_userns(void)
{
	unsigned long in, out, len;
	FILE *f = fopen("/proc/self/uid_map", "re");
	bool init = false;

	if (!f)
		return true;
	if (fscanf(f, "%lu %lu %lu", &in, &out, &len) == 3)
		init = in == 0 && out == 0 && len == 4294967295UL;
	fclose(f);
	return init;
}

/*
 * EPERM is the module's access rule (CAP_PERFMON in this user namespace,
 * node owner mapped into it), which logs a line on the host naming the
 * rule, or the device cgroup, which logs nothing.  Tell which, as far as
 * userspace can see: the capability from CapEff, an unmapped owner from
 * the overflow id stat() shows for it.
 */
static int explain_eperm(const char *path, struct ngp_error *e)
{
	long ovuid = read_long("/proc/sys/kernel/overflowuid", 65534);
	long ovgid = read_long("/proc/sys/kernel/overflowgid", 65534);
	unsigned long long caps = 0;
	bool has_cap, owner_unmapped;
	struct stat st;

	if (stat(path, &st))
		memset(&st, 0, sizeof(st));
	has_cap = !cap_effective(&caps) &&
		  (caps & (1ULL << CAP_PERFMON_BIT) || caps & (1ULL << CAP_SYS_ADMIN_BIT));
	owner_unmapped = !initial_userns() &&
			 ((long)st.st_uid == ovuid || (long)st.st_gid == ovgid);

	if (!has_cap)
		return ngp_fail(e, -EPERM, NGP_EXIT_DENIED,
				"%s: permission denied by nsgpuperf's access rule (EPERM; the host's kernel log names the rule): this process has no CAP_PERFMON (or CAP_SYS_ADMIN) in its user namespace; run nsgpuperf as the container's root, or give it CAP_PERFMON (e.g. setcap cap_perfmon+ep)%s",
				path, owner_unmapped ?
				"; also, the node's owner is not mapped into this user namespace" : "");
	if (owner_unmapped)
		return ngp_fail(e, -EPERM, NGP_EXIT_DENIED,
				"%s: permission denied by nsgpuperf's access rule (EPERM; the host's kernel log names the rule): the node's owner (uid %u, gid %u here: unmapped) is not mapped into this user namespace; on the host, give the container a node owned by its root: nsgpuperf host grant <container>",
				path, (unsigned int)st.st_uid, (unsigned int)st.st_gid);
	return ngp_fail(e, -EPERM, NGP_EXIT_DENIED,
			"%s: permission denied by the device cgroup or an LSM (EPERM, and no nsgpuperf line in the host's kernel log): allow the character device %u:%u for this container (LXC: lxc.cgroup2.devices.allow = c %u:%u rw; nsgpuperf host grant prints the lines)",
			path, major(st.st_rdev), minor(st.st_rdev),
			major(st.st_rdev), minor(st.st_rdev));
}

/*
 * EACCES is the node's file mode (or an LSM): the kernel refused before
 * nsgpuperf saw the open, so the host logs nothing.  Say whose node it is
 * and with what mode, as this process sees them, and what to do.
 */
static int explain_eacces(const char *path, struct ngp_error *e)
{
	long ovuid = read_long("/proc/sys/kernel/overflowuid", 65534);
	unsigned int mode, uid, gid, me = (unsigned int)geteuid();
	bool init = initial_userns();
	struct stat st;

	if (stat(path, &st))
		return ngp_fail(e, -EACCES, NGP_EXIT_DENIED,
				"%s: permission denied by the node's file mode or owner (EACCES, not nsgpuperf's rule: no line in the host's log): ls -l it",
				path);
	mode = st.st_mode & 07777;
	uid = (unsigned int)st.st_uid;
	gid = (unsigned int)st.st_gid;
	if (!init && (long)st.st_uid == ovuid)
		return ngp_fail(e, -EACCES, NGP_EXIT_DENIED,
				"%s: permission denied by the node's file mode (%04o, owner %u:%u here: a host id not mapped into this container), not by nsgpuperf (EACCES: no line in the host's log): only the node's owner may open it, and that must be the container's root: on the host, nsgpuperf host grant <container>",
				path, mode, uid, gid);
	if (st.st_uid != geteuid())
		return ngp_fail(e, -EACCES, NGP_EXIT_DENIED,
				"%s: permission denied by the node's file mode (%04o, owner %u:%u; this process is uid %u), not by nsgpuperf (EACCES: no line in the host's log): only the node's owner (%s) may open it: run nsgpuperf as %s",
				path, mode, uid, gid, me,
				uid ? "not root here" : init ? "root" : "the container's root",
				uid ? "its owner, or on the host give the node to the container's root: nsgpuperf host grant <container>" :
				init ? "root" : "the container's root");
	if (!(mode & 0400))
		return ngp_fail(e, -EACCES, NGP_EXIT_DENIED,
				"%s: permission denied by the node's file mode (%04o, owner %u:%u: this process, but the mode does not let the owner read it), not by nsgpuperf (EACCES: no line in the host's log): on the host, chmod 0600 the node (nsgpuperf host grant makes it so)",
				path, mode, uid, gid);
	return ngp_fail(e, -EACCES, NGP_EXIT_DENIED,
			"%s: permission denied although the node's file mode (%04o, owner %u:%u) lets this process open it: an LSM (AppArmor, SELinux) refused; check the host's audit log",
			path, mode, uid, gid);
}

static int explain_open(const char *path, int err, struct ngp_error *e)
{
	switch (err) {
	case ENOENT:
		if (access("/sys/module", F_OK) == 0 &&
		    access("/sys/module/nsgpuperf", F_OK) != 0 && initial_userns())
			return ngp_fail(e, -err, NGP_EXIT_NO_DEVICE,
					"%s: no such device node: the nsgpuperf module is not loaded (modprobe nsgpuperf)",
					path);
		return ngp_fail(e, -err, NGP_EXIT_NO_DEVICE,
				"%s: no such device node: is the nsgpuperf module loaded on the host (modprobe nsgpuperf) and the node passed into this container?",
				path);
	case ENXIO:
	case ENODEV:
		return ngp_fail(e, -err, NGP_EXIT_NO_DEVICE,
				"%s: the node has no driver behind it: the nsgpuperf module is not loaded on the host (modprobe nsgpuperf), or the node's device number is stale",
				path);
	case EACCES:
		return explain_eacces(path, e);
	case EPERM:
		return explain_eperm(path, e);
	default:
		return ngp_fail(e, -err, NGP_EXIT_FAILURE, "%s: %s", path,
				strerror(err));
	}
}

/* ---- GPUs ------------------------------------------------------------ */

struct present_stats {
	int found, opened, taken, last_err;
};

static void pci_addr_of(const drmDevicePtr d, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%u", d->businfo.pci->domain,
		 d->businfo.pci->bus, d->businfo.pci->dev, d->businfo.pci->func);
}

static int open_node(const char *node)
{
	int fd = open(node, O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		fd = open(node, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	return fd;
}

/*
 * Present every DRM device libdrm finds to the session (a container's
 * session lists only the GPUs it proved it can open): the render node,
 * else the primary one.
 */
static void present_all(struct ngp_session *s, drmDevicePtr *devs, int n,
			struct present_stats *ps)
{
	static const int order[] = { DRM_NODE_RENDER, DRM_NODE_PRIMARY };
	int i, k, fd, ret;

	for (i = 0; i < n; i++) {
		if (devs[i]->bustype != DRM_BUS_PCI)
			continue;
		ps->found++;
		for (k = 0; k < 2; k++) {
			if (!(devs[i]->available_nodes & (1 << order[k])))
				continue;
			fd = open_node(devs[i]->nodes[order[k]]);
			if (fd < 0)
				continue;
			ps->opened++;
			ret = ngp_device_present(s->fd, fd);
			if (ret >= 0)
				ps->taken++;
			else
				ps->last_err = -ret;
			close(fd);
			break;
		}
	}
}

static void name_gpu(struct pci_access *pacc, struct ngp_gpu *g)
{
	char buf[sizeof(g->name)];
	const char *n = NULL;

	if (pacc && g->vendor_id)
		n = pci_lookup_name(pacc, buf, sizeof(buf),
				    PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE |
				    PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB,
				    g->vendor_id, g->device_id);
	if (n)
		snprintf(g->name, sizeof(g->name), "%s", n);
	else if (g->vendor_id)
		snprintf(g->name, sizeof(g->name), "unknown device %04x:%04x",
			 g->vendor_id, g->device_id);
	else
		snprintf(g->name, sizeof(g->name), "unknown device");
}

/* The node path for a minor when this process sees it as that device. */
static void node_by_minor(char *buf, size_t len, const char *fmt, int minor)
{
	struct stat st;
	char path[32];

	buf[0] = '\0';
	if (minor < 0)
		return;
	snprintf(path, sizeof(path), fmt, minor);
	if (!stat(path, &st) && S_ISCHR(st.st_mode) && major(st.st_rdev) == 226 &&
	    (int)minor(st.st_rdev) == minor)
		snprintf(buf, len, "%s", path);
}

/* libpci's errors must not exit the reader: names are optional. */
static void PCI_NONRET pci_quiet_error(char *msg, ...)
{
	(void)msg;
	exit(NGP_EXIT_FAILURE);
}

static void pci_quiet_warning(char *msg, ...)
{
	(void)msg;
}

/* A fixed-size, maybe unterminated field of the ABI into a C string. */
static void copy_fixed(char *dst, size_t len, const char *src, size_t src_len)
{
	size_t n = strnlen(src, src_len);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void match_gpus(struct ngp_session *s, drmDevicePtr *devs, int n,
		       const struct nsgpuperf_gpu_info *info, int count)
{
	struct pci_access *pacc = pci_alloc();
	char addr[NSGPUPERF_PCI_ADDR_LEN];
	int i, j;

	if (pacc) {
		pacc->error = pci_quiet_error;
		pacc->warning = pci_quiet_warning;
		pacc->debug = pci_quiet_warning;	/* pci_init() would set these */
	}
	for (i = 0; i < count && s->nr_gpus < NGP_MAX_GPUS; i++) {
		struct ngp_gpu *g = &s->gpus[s->nr_gpus++];

		memset(g, 0, sizeof(*g));
		g->id = info[i].id;
		g->pmu_type = info[i].pmu_type;
		g->bound = info[i].flags & NSGPUPERF_GPU_BOUND;
		copy_fixed(g->pci_addr, sizeof(g->pci_addr), info[i].pci_addr, sizeof(info[i].pci_addr));
		copy_fixed(g->driver, sizeof(g->driver), info[i].driver, sizeof(info[i].driver));
		copy_fixed(g->pmu_name, sizeof(g->pmu_name), info[i].pmu_name, sizeof(info[i].pmu_name));
		for (j = 0; j < n; j++) {
			if (devs[j]->bustype != DRM_BUS_PCI)
				continue;
			pci_addr_of(devs[j], addr, sizeof(addr));
			if (strcmp(addr, g->pci_addr))
				continue;
			if (devs[j]->available_nodes & (1 << DRM_NODE_RENDER))
				snprintf(g->render_node, sizeof(g->render_node), "%s",
					 devs[j]->nodes[DRM_NODE_RENDER]);
			if (devs[j]->available_nodes & (1 << DRM_NODE_PRIMARY))
				snprintf(g->card_node, sizeof(g->card_node), "%s",
					 devs[j]->nodes[DRM_NODE_PRIMARY]);
			g->vendor_id = devs[j]->deviceinfo.pci->vendor_id;
			g->device_id = devs[j]->deviceinfo.pci->device_id;
			break;
		}
		/* libdrm did not list it (no access to sysfs?): the module's minors */
		if (!g->render_node[0])
			node_by_minor(g->render_node, sizeof(g->render_node),
				      "/dev/dri/renderD%d", info[i].render_minor);
		if (!g->card_node[0])
			node_by_minor(g->card_node, sizeof(g->card_node),
				      "/dev/dri/card%d", info[i].card_minor);
		name_gpu(pacc, g);
	}
	if (pacc)
		pci_cleanup(pacc);
}

static int list_gpus(struct ngp_session *s, drmDevicePtr *devs, int n,
		     struct ngp_error *e)
{
	struct nsgpuperf_gpu_info info[NGP_MAX_GPUS];
	int count = ngp_device_list_gpus(s->fd, info, NGP_MAX_GPUS);

	if (count < 0)
		return ngp_fail(e, count, NGP_EXIT_FAILURE,
				"%s: listing the GPUs failed: %s", s->path,
				strerror(-count));
	match_gpus(s, devs, n, info, count < NGP_MAX_GPUS ? count : NGP_MAX_GPUS);
	return 0;
}

/* Why a session lists no GPU, from what presenting them found. */
static void no_gpu_why(const struct present_stats *ps, char *buf, size_t len)
{
	if (!ps->found)
		snprintf(buf, len,
			 "no DRM device is visible here: pass the GPU's render node (/dev/dri/renderD*) into the container, or check that i915 is bound to the GPU on the host");
	else if (!ps->opened)
		snprintf(buf, len,
			 "%d DRM device(s) found but none could be opened: check the render node's permissions and the container's device cgroup (allow c 226:* rw)",
			 ps->found);
	else if (!ps->taken)
		snprintf(buf, len,
			 "%d DRM node(s) opened but nsgpuperf serves none of them (%s): not an i915 GPU, its driver unbound, or the device cgroup does not allow its render node",
			 ps->opened, strerror(ps->last_err ?: ENODEV));
	else
		snprintf(buf, len,
			 "none bound, or the device cgroup allows none of their render nodes");
}

int ngp_session_open(struct ngp_session *s, const char *path,
		     struct ngp_error *e)
{
	drmDevicePtr devs[MAX_DRM_DEVICES];
	struct present_stats ps = { 0 };
	int n, ret;

	memset(s, 0, sizeof(*s));
	path = ngp_device_path(path);
	snprintf(s->path, sizeof(s->path), "%s", path);

	ret = ngp_device_open(path);
	if (ret < 0) {
		s->fd = -1;
		return explain_open(path, -ret, e);
	}
	s->fd = ret;

	ret = ngp_device_version(s->fd, &s->version);
	if (ret) {
		ret = ngp_fail(e, ret, NGP_EXIT_ABI,
			       "%s: does not answer NSGPUPERF_IOC_VERSION (%s): this is not an nsgpuperf device, or its module is too old (this reader needs ABI %d or newer)",
			       path, strerror(-ret), NGP_MIN_ABI);
		goto err;
	}
	if (s->version.abi_version < NGP_MIN_ABI) {
		ret = ngp_fail(e, -EPROTO, NGP_EXIT_ABI,
			       "%s: the nsgpuperf module speaks ABI %u, this reader needs ABI %d or newer (module 0.1.0 or later): update the module on the host",
			       path, s->version.abi_version, NGP_MIN_ABI);
		goto err;
	}

	n = drmGetDevices2(0, devs, MAX_DRM_DEVICES);
	if (n < 0)
		n = 0;
	present_all(s, devs, n, &ps);
	ret = list_gpus(s, devs, n, e);
	drmFreeDevices(devs, n);
	if (ret)
		goto err;
	if (!s->nr_gpus) {
		char why[320];

		no_gpu_why(&ps, why, sizeof(why));
		/* not an error for the session: ngp_find_gpu() says it */
		snprintf(s->no_gpu_why, sizeof(s->no_gpu_why), "%s", why);
	}
	return 0;
err:
	close(s->fd);
	s->fd = -1;
	return ret;
}

void ngp_session_close(struct ngp_session *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* ---- -d -------------------------------------------------------------- */

/* "00:02.0" -> "0000:00:02.0"; any case. */
static void norm_pci(const char *in, char *out, size_t len)
{
	size_t i;

	if (strlen(in) == 7 && in[2] == ':')
		snprintf(out, len, "0000:%s", in);
	else
		snprintf(out, len, "%s", in);
	for (i = 0; out[i]; i++)
		out[i] = tolower((unsigned char)out[i]);
}

static bool node_matches(const char *node, const char *spec)
{
	const char *base;

	if (!node[0])
		return false;
	if (!strcmp(node, spec))
		return true;
	base = strrchr(node, '/');
	return base && !strcmp(base + 1, spec);
}

const struct ngp_gpu *ngp_find_gpu(const struct ngp_session *s,
				   const char *spec, struct ngp_error *e)
{
	char want[64], list[256] = "";
	size_t o = 0;
	int i;

	if (!s->nr_gpus) {
		ngp_fail(e, -ENODEV, NGP_EXIT_NO_GPU, "no GPU in scope: %s",
			 s->no_gpu_why[0] ? s->no_gpu_why :
			 "none bound, or the device cgroup allows none of their render nodes");
		return NULL;
	}
	if (!spec || !*spec)
		return &s->gpus[0];
	if (!strncmp(spec, "pci:slot=", 9))
		norm_pci(spec + 9, want, sizeof(want));
	else if (!strncmp(spec, "drm:", 4))
		snprintf(want, sizeof(want), "%s", spec + 4);
	else
		norm_pci(spec, want, sizeof(want));
	for (i = 0; i < s->nr_gpus; i++) {
		const struct ngp_gpu *g = &s->gpus[i];

		if (!strcmp(g->pci_addr, want) || node_matches(g->render_node, want) ||
		    node_matches(g->card_node, want) || node_matches(g->render_node, spec) ||
		    node_matches(g->card_node, spec))
			return g;
	}
	for (i = 0; i < s->nr_gpus && o < sizeof(list); i++)
		o += snprintf(list + o, sizeof(list) - o, "%s%s%s%s%s", i ? ", " : "",
			      s->gpus[i].pci_addr, s->gpus[i].render_node[0] ? " (" : "",
			      s->gpus[i].render_node, s->gpus[i].render_node[0] ? ")" : "");
	ngp_fail(e, -ENODEV, NGP_EXIT_NO_GPU,
		 "-d %s: no GPU in scope matches (give a PCI address or a DRM node); in scope: %s",
		 spec, list);
	return NULL;
}
