// SPDX-License-Identifier: GPL-2.0
/*
 * libnsgpuperf usage: this container's (or a sub-cgroup's) own engine
 * busy time, summed by the module over the DRM clients in scope
 * (NSGPUPERF_IOC_CGROUP_USAGE), as a % per engine class over a period.
 *
 * intel_gpu_top's per-client figure is delta(busy ns) / period; its
 * interactive view (1.27) divides that by the class's engine count, so a
 * client keeping both video engines busy shows 100%.  We show the same
 * mean per engine, clamped to 100.  Usage that cannot be had (no scope,
 * host policy, clients that report nothing as i915 with GuC before 6.5)
 * is "not available" with the reason: never 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ngp_internal.h"

#define CGROUP_ROOT	"/sys/fs/cgroup"

int ngp_usage_init(struct ngp_session *s, struct ngp_usage_state *u,
		   const char *cgroup_path, struct ngp_error *e)
{
	char path[NSGPUPERF_PATH_LEN + 32];

	(void)s;
	memset(u, 0, sizeof(*u));
	u->cgroup_fd = -1;
	if (!cgroup_path || !*cgroup_path)
		return 0;
	if (!strncmp(cgroup_path, CGROUP_ROOT, strlen(CGROUP_ROOT)))
		snprintf(path, sizeof(path), "%s", cgroup_path);
	else
		snprintf(path, sizeof(path), "%s%s%s", CGROUP_ROOT,
			 cgroup_path[0] == '/' ? "" : "/", cgroup_path);
	u->cgroup_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u->cgroup_fd < 0)
		return ngp_fail(e, -errno, NGP_EXIT_USAGE,
				"--cgroup %s: %s: %s (give a cgroup v2 directory inside this container, relative to %s)",
				cgroup_path, path, strerror(errno), CGROUP_ROOT);
	snprintf(u->label, sizeof(u->label), "%s", cgroup_path);
	return 0;
}

void ngp_usage_fini(struct ngp_usage_state *u)
{
	if (u->cgroup_fd >= 0)
		close(u->cgroup_fd);
	u->cgroup_fd = -1;
}

static enum ngp_class class_of(const char *fdinfo)
{
	int c;

	for (c = 0; c < NGP_NR_CLASSES; c++)
		if (!strcmp(fdinfo, ngp_class_fdinfo(c)))
			return c;
	return NGP_NR_CLASSES;
}

/*
 * The v2 root cgroup's id: a scope rooted there is the whole host (the
 * host's own processes), not a container.
 */
#define CGROUP_V2_ROOT_ID	1

static void scope_label(const struct ngp_session *s,
			const struct ngp_usage_state *u, struct ngp_usage *us)
{
	us->scope = s->version.scope;
	if (u->cgroup_fd >= 0)
		snprintf(us->scope_label, sizeof(us->scope_label), "%s", u->label);
	else if (s->version.scope == NSGPUPERF_SCOPE_CGROUP_NS &&
		 s->version.scope_cgroup_id == CGROUP_V2_ROOT_ID)
		snprintf(us->scope_label, sizeof(us->scope_label), "host");
	else if (s->version.scope == NSGPUPERF_SCOPE_CGROUP_NS)
		snprintf(us->scope_label, sizeof(us->scope_label), "container");
	else if (s->version.scope == NSGPUPERF_SCOPE_OWN_CGROUP)
		snprintf(us->scope_label, sizeof(us->scope_label), "%.*s",
			 (int)sizeof(s->version.scope_path) - 1, s->version.scope_path);
	else
		snprintf(us->scope_label, sizeof(us->scope_label), "none");
}

static int unavailable(struct ngp_usage *us, const char *why)
{
	us->available = false;
	snprintf(us->why, sizeof(us->why), "%s", why);
	return 0;
}

int ngp_usage_sample(struct ngp_session *s, const struct ngp_gpu *gpu,
		     struct ngp_usage_state *u, struct ngp_sample *out,
		     struct ngp_error *e)
{
	struct nsgpuperf_engine_usage eu[NGP_MAX_USAGE_CLASSES];
	struct nsgpuperf_cgroup_usage cu = {
		.size = sizeof(cu), .gpu_id = gpu->id,
		.count = NGP_MAX_USAGE_CLASSES, .entry_size = sizeof(eu[0]),
		.classes = (uintptr_t)eu,
	};
	struct ngp_usage *us = &out->usage;
	double period_ns = out->period_ms * 1e6;
	unsigned int i;
	int j, err;

	memset(us, 0, sizeof(*us));
	scope_label(s, u, us);
	if (!(s->version.features & NSGPUPERF_FEAT_CGROUP_USAGE))
		return unavailable(us, "host policy turned per-cgroup usage off (nsgpuperf module parameter cgroup_usage)");
	if (u->cgroup_fd >= 0) {
		cu.flags = NSGPUPERF_USAGE_CGROUP_FD;
		cu.cgroup_fd = u->cgroup_fd;
	}
	memset(eu, 0, sizeof(eu));
	if (ioctl(s->fd, NSGPUPERF_IOC_CGROUP_USAGE, &cu)) {
		err = errno;
		switch (err) {
		case ENODATA:
			return unavailable(us, "no usage scope: this process sits in the host's root cgroup without a cgroup namespace of its own");
		case EACCES:
			return unavailable(us, "host policy turned per-cgroup usage off (nsgpuperf module parameter cgroup_usage)");
		case ENODEV:
			return ngp_fail(e, -err, NGP_EXIT_NO_GPU,
					"GPU %s: its driver is unbound or it left this session's scope",
					gpu->pci_addr);
		case EPERM:
			return ngp_fail(e, -err, NGP_EXIT_USAGE,
					"--cgroup %s: outside this session's scope (the container)",
					u->label);
		case EBADF:
			return ngp_fail(e, -err, NGP_EXIT_USAGE,
					"--cgroup %s: not a cgroup v2 directory", u->label);
		default:
			return ngp_fail(e, -err, NGP_EXIT_FAILURE,
					"GPU %s: reading this scope's usage failed: %s",
					gpu->pci_addr, strerror(err));
		}
	}
	us->nr_clients = cu.nr_clients;
	us->incomplete = cu.status & NSGPUPERF_USAGE_STATUS_INCOMPLETE;
	us->available = !us->incomplete;
	if (us->incomplete)
		snprintf(us->why, sizeof(us->why),
			 "some clients report no engine usage (i915 with GuC submission before Linux 6.5)");

	for (i = 0; i < cu.count && i < NGP_MAX_USAGE_CLASSES; i++) {
		uint64_t prev = 0;
		enum ngp_class c;
		double d, n;

		if (!(eu[i].flags & NSGPUPERF_USAGE_HAS_BUSY))
			continue;
		j = us->nr_classes++;
		snprintf(us->classes[j].fdinfo_name, sizeof(us->classes[j].fdinfo_name),
			 "%.*s", (int)sizeof(eu[i].class_name) - 1, eu[i].class_name);
		c = class_of(us->classes[j].fdinfo_name);
		us->classes[j].class = c;
		us->classes[j].busy_ns = eu[i].busy_ns;
		for (int k = 0; k < u->prev_n; k++)
			if (!strcmp(u->prev_name[k], us->classes[j].fdinfo_name))
				prev = u->prev_ns[k];
		/* a class first seen now: all of its time is in this period */
		d = eu[i].busy_ns >= prev ? (double)(eu[i].busy_ns - prev) : 0;
		if (!u->primed)
			d = 0;
		n = c < NGP_NR_CLASSES && out->classes[c].nr_engines ?
		    out->classes[c].nr_engines : 1;
		us->classes[j].pct = period_ns > 0 ? d / period_ns * 100 / n : 0;
		if (us->classes[j].pct > 100)
			us->classes[j].pct = 100;
	}
	u->prev_n = us->nr_classes;
	for (j = 0; j < us->nr_classes; j++) {
		u->prev_ns[j] = us->classes[j].busy_ns;
		snprintf(u->prev_name[j], sizeof(u->prev_name[j]), "%s",
			 us->classes[j].fdinfo_name);
	}
	u->primed = true;
	return 0;
}
