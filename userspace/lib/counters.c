// SPDX-License-Identifier: GPL-2.0
/*
 * libnsgpuperf reader: a GPU's events (as its PMU names them in sysfs),
 * the engine model built from i915's names, and one counter group with
 * every event intel_gpu_top reads.
 *
 * i915's names: "<engine>-busy", "-wait", "-sema" per engine (rcs0, bcs0,
 * vcs1, vecs0, ccs0, ...); "actual-frequency", "requested-frequency",
 * "rc6-residency", and on a multi-GT GPU (i915 from 6.5) the same with
 * "-gt<N>" for each GT; "interrupts" is global and never suffixed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ngp_internal.h"

static const struct {
	const char *name, *shortname, *fdinfo, *prefix;
} classes[NGP_NR_CLASSES] = {
	[NGP_CLASS_RENDER] = { "Render/3D", "RCS", "render", "rcs" },
	[NGP_CLASS_COPY] = { "Blitter", "BCS", "copy", "bcs" },
	[NGP_CLASS_VIDEO] = { "Video", "VCS", "video", "vcs" },
	[NGP_CLASS_VIDEO_ENHANCE] = { "VideoEnhance", "VECS", "video-enhance", "vecs" },
	[NGP_CLASS_COMPUTE] = { "Compute", "CCS", "compute", "ccs" },
};

const char *ngp_class_name(enum ngp_class c)
{
	return c < NGP_NR_CLASSES ? classes[c].name : "unknown";
}

const char *ngp_class_short(enum ngp_class c)
{
	return c < NGP_NR_CLASSES ? classes[c].shortname : "UNK";
}

const char *ngp_class_fdinfo(enum ngp_class c)
{
	return c < NGP_NR_CLASSES ? classes[c].fdinfo : "unknown";
}

int ngp_class_from_prefix(const char *prefix)
{
	int c;

	for (c = 0; c < NGP_NR_CLASSES; c++)
		if (!strcmp(prefix, classes[c].prefix))
			return c;
	return -1;
}

/* ---- the events ------------------------------------------------------ */

static int list_events(struct ngp_session *s, const struct ngp_gpu *gpu,
		       struct nsgpuperf_event_info **out, struct ngp_error *e)
{
	struct nsgpuperf_event_list el = {
		.size = sizeof(el), .gpu_id = gpu->id, .entry_size = sizeof(**out),
	};
	struct nsgpuperf_event_info *ev = NULL;
	unsigned int room;

	for (;;) {
		if (ioctl(s->fd, NSGPUPERF_IOC_LIST_EVENTS, &el)) {
			int err = errno;

			free(ev);
			if (err == ENODEV)
				return ngp_fail(e, -err, NGP_EXIT_NO_GPU,
						"GPU %s: its driver is unbound or it left this session's scope",
						gpu->pci_addr);
			return ngp_fail(e, -err, NGP_EXIT_FAILURE,
					"GPU %s: listing its events failed: %s",
					gpu->pci_addr, strerror(err));
		}
		if (ev && el.count <= room)
			break;
		/* first call, or the PMU grew: room for all of them */
		free(ev);
		room = el.count + 8;
		ev = calloc(room, sizeof(*ev));
		if (!ev)
			return ngp_fail(e, -ENOMEM, NGP_EXIT_FAILURE, "out of memory");
		el.count = room;
		el.events = (uintptr_t)ev;
	}
	*out = ev;
	return (int)el.count;
}

int ngp_gpu_events(struct ngp_session *s, const struct ngp_gpu *gpu,
		   struct nsgpuperf_event_info **events, struct ngp_error *e)
{
	return list_events(s, gpu, events, e);
}

/* "-gt<N>" at the end of name: N, and the name without it; else -1. */
static int gt_suffix(const char *name, char *base, size_t len)
{
	const char *p = strstr(name, "-gt");
	char *end;
	long gt;

	snprintf(base, len, "%s", name);
	if (!p || !p[3])
		return -1;
	gt = strtol(p + 3, &end, 10);
	if (*end || gt < 0 || gt >= NGP_MAX_GT)
		return -1;
	base[p - name] = '\0';
	return (int)gt;
}

/* "vcs1-busy" -> class, instance, sampler; 0 or -1. */
static int parse_engine_event(const char *name, int *cls, unsigned int *inst,
			      enum ngp_sampler *smp, char *engine, size_t len)
{
	static const char *const smp_names[NGP_NR_SAMPLERS] = {
		[NGP_BUSY] = "busy", [NGP_WAIT] = "wait", [NGP_SEMA] = "sema",
	};
	const char *dash = strrchr(name, '-');
	char prefix[16];
	size_t n, d;
	int s;

	if (!dash || (size_t)(dash - name) >= len || dash == name)
		return -1;
	for (s = 0; s < NGP_NR_SAMPLERS; s++)
		if (!strcmp(dash + 1, smp_names[s]))
			break;
	if (s == NGP_NR_SAMPLERS)
		return -1;
	n = dash - name;
	for (d = n; d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9'; d--)
		;
	if (d == n || d == 0 || d >= sizeof(prefix))
		return -1;
	memcpy(prefix, name, d);
	prefix[d] = '\0';
	*cls = ngp_class_from_prefix(prefix);
	if (*cls < 0)
		return -1;
	*inst = (unsigned int)strtoul(name + d, NULL, 10);
	*smp = s;
	snprintf(engine, len, "%.*s", (int)n, name);
	return 0;
}

static int cmp_engine(const void *a, const void *b)
{
	const struct ngp_engine *x = a, *y = b;

	if (x->class != y->class)
		return x->class < y->class ? -1 : 1;
	return x->instance < y->instance ? -1 : x->instance > y->instance;
}

/* Where each event sits: the layout, and the configs in group order. */
struct plan {
	uint64_t cfg_act[NGP_MAX_GT], cfg_req[NGP_MAX_GT], cfg_rc6[NGP_MAX_GT];
	bool has_act[NGP_MAX_GT], has_req[NGP_MAX_GT], has_rc6[NGP_MAX_GT];
	uint64_t cfg_irq;
	bool has_irq;
	uint64_t cfg_eng[NGP_MAX_ENGINES][NGP_NR_SAMPLERS];
	bool has_eng[NGP_MAX_ENGINES][NGP_NR_SAMPLERS];
};

static struct ngp_engine *find_engine(struct ngp_layout *l, const char *name,
				      int cls, unsigned int inst)
{
	int i;

	for (i = 0; i < l->nr_engines; i++)
		if (!strcmp(l->engines[i].pmu_name, name))
			return &l->engines[i];
	if (l->nr_engines == NGP_MAX_ENGINES)
		return NULL;
	i = l->nr_engines++;
	memset(&l->engines[i], 0, sizeof(l->engines[i]));
	snprintf(l->engines[i].pmu_name, sizeof(l->engines[i].pmu_name), "%s", name);
	l->engines[i].class = cls;
	l->engines[i].instance = inst;
	return &l->engines[i];
}

/*
 * The layout of a group of every event intel_gpu_top reads, from the
 * PMU's event names; configs[] in group order.  Returns the number of
 * configs.
 */
int ngp_layout_build(const struct nsgpuperf_event_info *ev, int n,
		     struct ngp_layout *l, uint64_t *configs)
{
	struct plan p;
	uint64_t cfg_tmp[NGP_MAX_ENGINES][NGP_NR_SAMPLERS];
	bool has_tmp[NGP_MAX_ENGINES][NGP_NR_SAMPLERS];
	struct ngp_engine tmp[NGP_MAX_ENGINES];
	int i, g, s, nv = 0, order[NGP_MAX_ENGINES];

	memset(&p, 0, sizeof(p));
	memset(l, 0, sizeof(*l));
	for (i = 0; i < n; i++) {
		char base[NSGPUPERF_NAME_LEN], engine[16];
		const char *name = ev[i].name;
		enum ngp_sampler smp;
		unsigned int inst;
		struct ngp_engine *en;
		int gt, cls;

		gt = gt_suffix(name, base, sizeof(base));
		if (gt < 0)
			gt = 0;
		if (!strcmp(base, "actual-frequency")) {
			p.cfg_act[gt] = ev[i].config;
			p.has_act[gt] = true;
		} else if (!strcmp(base, "requested-frequency")) {
			p.cfg_req[gt] = ev[i].config;
			p.has_req[gt] = true;
		} else if (!strcmp(base, "rc6-residency")) {
			p.cfg_rc6[gt] = ev[i].config;
			p.has_rc6[gt] = true;
		} else if (!strcmp(name, "interrupts")) {
			p.cfg_irq = ev[i].config;
			p.has_irq = true;
		} else if (!parse_engine_event(name, &cls, &inst, &smp, engine,
					       sizeof(engine))) {
			en = find_engine(l, engine, cls, inst);
			if (!en)
				continue;
			p.cfg_eng[en - l->engines][smp] = ev[i].config;
			p.has_eng[en - l->engines][smp] = true;
		}
	}

	/* GTs: as many as have any of the per-GT events, from GT 0 on */
	for (g = 0; g < NGP_MAX_GT; g++)
		if (p.has_act[g] || p.has_req[g] || p.has_rc6[g])
			l->nr_gt = g + 1;

	for (g = 0; g < l->nr_gt; g++) {
		l->idx_act[g] = l->idx_req[g] = l->idx_rc6[g] = -1;
		if (p.has_act[g] && nv < NSGPUPERF_MAX_GROUP_EVENTS) {
			l->idx_act[g] = nv;
			configs[nv++] = p.cfg_act[g];
		}
		if (p.has_req[g] && nv < NSGPUPERF_MAX_GROUP_EVENTS) {
			l->idx_req[g] = nv;
			configs[nv++] = p.cfg_req[g];
		}
		if (p.has_rc6[g] && nv < NSGPUPERF_MAX_GROUP_EVENTS) {
			l->idx_rc6[g] = nv;
			configs[nv++] = p.cfg_rc6[g];
		}
	}
	l->idx_irq = -1;
	if (p.has_irq && nv < NSGPUPERF_MAX_GROUP_EVENTS) {
		l->idx_irq = nv;
		configs[nv++] = p.cfg_irq;
	}

	/* engines sorted by class and instance, their configs along */
	for (i = 0; i < l->nr_engines; i++) {
		tmp[i] = l->engines[i];
		tmp[i].idx[0] = i;	/* remember where it came from */
	}
	qsort(tmp, l->nr_engines, sizeof(tmp[0]), cmp_engine);
	for (i = 0; i < l->nr_engines; i++)
		order[i] = tmp[i].idx[0];
	memcpy(cfg_tmp, p.cfg_eng, sizeof(cfg_tmp));
	memcpy(has_tmp, p.has_eng, sizeof(has_tmp));
	for (i = 0; i < l->nr_engines; i++) {
		l->engines[i] = tmp[i];
		for (s = 0; s < NGP_NR_SAMPLERS; s++) {
			l->engines[i].idx[s] = -1;
			if (!has_tmp[order[i]][s] || nv >= NSGPUPERF_MAX_GROUP_EVENTS)
				continue;
			l->engines[i].idx[s] = nv;
			configs[nv++] = cfg_tmp[order[i]][s];
		}
	}
	l->nr_values = nv;
	return nv;
}

/* ---- the group ------------------------------------------------------- */

int ngp_reader_open(struct ngp_session *s, const struct ngp_gpu *gpu,
		    struct ngp_reader *r, struct ngp_error *e)
{
	uint64_t configs[NSGPUPERF_MAX_GROUP_EVENTS];
	struct nsgpuperf_event_info *ev = NULL;
	struct nsgpuperf_group_open go = { .size = sizeof(go) };
	int n, fd, err;

	memset(r, 0, sizeof(*r));
	r->group_fd = -1;
	r->gpu = gpu;
	if (!(s->version.features & NSGPUPERF_FEAT_DEVICE_COUNTERS))
		return ngp_fail(e, -EACCES, NGP_EXIT_DENIED,
				"GPU %s: host policy does not give device-wide counters to this container (nsgpuperf module parameter device_counters=0 on the host)",
				gpu->pci_addr);
	if (!gpu->bound)
		return ngp_fail(e, -ENODEV, NGP_EXIT_NO_GPU,
				"GPU %s: no driver is bound to it (its counters return when i915 binds again)",
				gpu->pci_addr);
	n = list_events(s, gpu, &ev, e);
	if (n < 0)
		return n;
	n = ngp_layout_build(ev, n, &r->layout, configs);
	free(ev);
	if (!n)
		return ngp_fail(e, -ENOENT, NGP_EXIT_FAILURE,
				"GPU %s: its PMU %s has none of the events nsgpuperf reads",
				gpu->pci_addr, gpu->pmu_name);

	go.gpu_id = gpu->id;
	go.nr_events = n;
	go.read_format = 0;	/* GROUP | TOTAL_TIME_ENABLED */
	go.configs = (uintptr_t)configs;
	fd = ioctl(s->fd, NSGPUPERF_IOC_OPEN_GROUP, &go);
	if (fd >= 0) {
		r->group_fd = fd;
		return 0;
	}
	err = errno;
	switch (err) {
	case EACCES:
		return ngp_fail(e, -err, NGP_EXIT_DENIED,
				"GPU %s: host policy does not give device-wide counters to this container (nsgpuperf module parameter device_counters)",
				gpu->pci_addr);
	case EMFILE:
		return ngp_fail(e, -err, NGP_EXIT_FAILURE,
				"GPU %s: this container holds the most counter groups the host allows (nsgpuperf module parameter max_groups_per_container); close another reader",
				gpu->pci_addr);
	case ENODEV:
		return ngp_fail(e, -err, NGP_EXIT_NO_GPU,
				"GPU %s: its driver is unbound or it left this session's scope",
				gpu->pci_addr);
	default:
		return ngp_fail(e, -err, NGP_EXIT_FAILURE,
				"GPU %s: opening its counters failed: %s",
				gpu->pci_addr, strerror(err));
	}
}

int ngp_reader_read(struct ngp_reader *r, struct ngp_raw *raw,
		    struct ngp_error *e)
{
	uint64_t buf[2 + NSGPUPERF_MAX_GROUP_EVENTS];
	size_t want = (2 + r->layout.nr_values) * sizeof(uint64_t);
	ssize_t got = read(r->group_fd, buf, want);
	int i;

	if (got < 0) {
		int err = errno;

		if (err == ENODEV)
			return ngp_fail(e, -err, NGP_EXIT_NO_GPU,
					"GPU %s: its driver unbound; its counters are gone",
					r->gpu ? r->gpu->pci_addr : "?");
		return ngp_fail(e, -err, NGP_EXIT_FAILURE, "reading counters: %s",
				strerror(err));
	}
	if ((size_t)got != want || buf[0] != (uint64_t)r->layout.nr_values)
		return ngp_fail(e, -EPROTO, NGP_EXIT_FAILURE,
				"reading counters: %zd bytes, %llu values; expected %zu bytes",
				got, (unsigned long long)buf[0], want);
	memset(raw, 0, sizeof(*raw));
	raw->time_enabled = buf[1];
	for (i = 0; i < r->layout.nr_values; i++)
		raw->values[i] = buf[2 + i];
	return 0;
}

void ngp_reader_close(struct ngp_reader *r)
{
	if (r->group_fd >= 0)
		close(r->group_fd);
	r->group_fd = -1;
}
