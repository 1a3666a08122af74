// SPDX-License-Identifier: GPL-2.0
/*
 * What a session sees, by cgroup:
 *
 * - GPU visibility follows the opener's device cgroup: a GPU is in scope
 *   when devcgroup_check_permission() lets the caller read its DRM render
 *   node (cgroup v1 "devices" rules and cgroup v2 BPF device programs alike,
 *   the rule amdkfd uses).  It is decided at open() for the GPUs present
 *   then; a GPU that appears later is decided when first named, and only
 *   while the caller is still in the cgroup the session was opened in.
 *
 * - Per-cgroup usage: the busy time of the GPU's DRM clients whose task is
 *   in the session's cgroup subtree, summed from the standard DRM fdinfo
 *   keys (drm-engine-<class>, drm-cycles-<class>, drm-total-cycles-<class>)
 *   printed by the driver's own show_fdinfo.  The walk is over the GPU's
 *   drm_device file list, not over the host's tasks.
 */
#include <linux/cgroup.h>
#include <linux/device_cgroup.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "compat.h"
#include "nsgp.h"

#define NSGP_DRM_MAJOR		226
/* Clients one usage call looks at; far above any real GPU's. */
#define NSGP_USAGE_MAX_CLIENTS	65536
/* Departed clients a session remembers before it forgets the oldest. */
#define NSGP_USAGE_MAX_TRACKED	4096
#define NSGP_FDINFO_MIN		PAGE_SIZE
#define NSGP_FDINFO_MAX		(64 * 1024)

/* ---- GPU visibility ---- */

static bool nsgp_devcg_allows(const struct nsgp_gpu *gpu)
{
	int minor = gpu->render_minor >= 0 ? gpu->render_minor : gpu->card_minor;

	if (minor < 0)
		return false;
	return devcgroup_check_permission(DEVCG_DEV_CHAR, NSGP_DRM_MAJOR, minor,
					  DEVCG_ACC_READ) == 0;
}

static bool nsgp_current_in_session_cgroup(const struct nsgp_session *s)
{
	bool same;

	rcu_read_lock();
	same = task_dfl_cgroup(current) == s->cgrp;
	rcu_read_unlock();
	return same;
}

/**
 * nsgp_session_sees_gpu() - is a GPU in a session's scope
 * @s: the session
 * @gpu: the GPU (its fields are stable: called with nsgp_lock held)
 *
 * Every path from userspace to a GPU goes through here.  Called in the
 * context of the task that issued the call; may sleep.
 *
 * Return: true if the session may see and use the GPU.
 */
bool nsgp_session_sees_gpu(struct nsgp_session *s, const struct nsgp_gpu *gpu)
{
	bool visible;

	if (gpu->id < NSGP_SCOPE_GPUS && test_bit(gpu->id, s->scope_known))
		return test_bit(gpu->id, s->scope_visible);
	/*
	 * Not decided at open(): decide now only in the cgroup the session
	 * was opened in, so that moving or passing the fd changes nothing.
	 */
	if (!nsgp_current_in_session_cgroup(s))
		return false;
	if (gpu->render_minor < 0 && gpu->card_minor < 0)
		return false;	/* unbound: decide once it has nodes */
	visible = nsgp_devcg_allows(gpu);
	if (gpu->id < NSGP_SCOPE_GPUS) {
		if (visible)
			set_bit(gpu->id, s->scope_visible);
		set_bit(gpu->id, s->scope_known);
	}
	return visible;
}

/* ---- per-cgroup usage ---- */

/* One engine class of one client, as parsed from its fdinfo. */
struct nsgp_fdinfo_class {
	char name[NSGPUPERF_CLASS_LEN];
	u64 busy, cycles, total_cycles;
	u32 flags;
};

struct nsgp_fdinfo {
	u64 client_id;
	bool has_id;
	unsigned int nr;
	struct nsgp_fdinfo_class cls[NSGP_USAGE_CLASSES];
};

/* What a session last saw of one client, to add only what is new. */
struct nsgp_usage_client {
	u64 busy[NSGP_USAGE_CLASSES];
	u64 cycles[NSGP_USAGE_CLASSES];
	unsigned long last_call;
};

/* A session's running sums for one GPU; they never decrease. */
struct nsgp_usage_state {
	struct list_head node;
	u32 gpu_id;
	unsigned long calls;
	unsigned int nr_classes;
	struct nsgpuperf_engine_usage cls[NSGP_USAGE_CLASSES];
	struct xarray clients;		/* client id -> nsgp_usage_client */
	unsigned int nr_tracked;
};

static struct nsgp_fdinfo_class *nsgp_fdinfo_class(struct nsgp_fdinfo *fi,
						   const char *name, size_t len)
{
	unsigned int i;

	if (!len || len >= NSGPUPERF_CLASS_LEN)
		return NULL;
	for (i = 0; i < fi->nr; i++)
		if (!strncmp(fi->cls[i].name, name, len) && !fi->cls[i].name[len])
			return &fi->cls[i];
	if (fi->nr == NSGP_USAGE_CLASSES)
		return NULL;
	memcpy(fi->cls[fi->nr].name, name, len);
	return &fi->cls[fi->nr++];
}

/* Parse "key:\s*value[ unit]" lines of the DRM fdinfo format. */
static void nsgp_fdinfo_parse(char *buf, size_t len, struct nsgp_fdinfo *fi)
{
	char *line, *next, *end = buf + len;

	for (line = buf; line < end; line = next) {
		struct nsgp_fdinfo_class *c;
		char *colon, *val, *key;
		u64 v;

		next = memchr(line, '\n', end - line);
		if (!next)
			break;
		*next++ = '\0';
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		val = skip_spaces(colon + 1);
		val[strcspn(val, " \t")] = '\0';
		if (kstrtou64(val, 10, &v))
			continue;
		key = line;
		if (!strcmp(key, "drm-client-id")) {
			fi->client_id = v;
			fi->has_id = true;
		} else if (str_has_prefix(key, "drm-engine-capacity-")) {
			continue;
		} else if (str_has_prefix(key, "drm-engine-")) {
			key += strlen("drm-engine-");
			c = nsgp_fdinfo_class(fi, key, strlen(key));
			if (c) {
				c->busy = v;
				c->flags |= NSGPUPERF_USAGE_HAS_BUSY;
			}
		} else if (str_has_prefix(key, "drm-cycles-")) {
			key += strlen("drm-cycles-");
			c = nsgp_fdinfo_class(fi, key, strlen(key));
			if (c) {
				c->cycles = v;
				c->flags |= NSGPUPERF_USAGE_HAS_CYCLES;
			}
		} else if (str_has_prefix(key, "drm-total-cycles-")) {
			key += strlen("drm-total-cycles-");
			c = nsgp_fdinfo_class(fi, key, strlen(key));
			if (c) {
				c->total_cycles = v;
				c->flags |= NSGPUPERF_USAGE_HAS_CYCLES;
			}
		}
	}
}

/*
 * Have the driver print the client's fdinfo into a buffer of ours, exactly
 * what /proc/<pid>/fdinfo/<fd> would show, and parse it.  No lock of ours
 * is held: drivers take their own (drm_show_fdinfo(), xe wakes the GPU).
 */
static int nsgp_read_fdinfo(struct file *filp, char **buf, size_t *size,
			    struct nsgp_fdinfo *fi)
{
	struct seq_file m;

	memset(fi, 0, sizeof(*fi));
	if (!filp->f_op->show_fdinfo)
		return 0;
	for (;;) {
		memset(&m, 0, sizeof(m));
		m.buf = *buf;
		m.size = *size;
		m.file = filp;
		filp->f_op->show_fdinfo(&m, filp);
		if (!seq_has_overflowed(&m))
			break;
		if (*size >= NSGP_FDINFO_MAX)
			return -E2BIG;
		kvfree(*buf);
		*size *= 2;
		*buf = kvmalloc(*size, GFP_KERNEL);
		if (!*buf)
			return -ENOMEM;
	}
	nsgp_fdinfo_parse(m.buf, m.count, fi);
	return 0;
}

static bool nsgp_drm_file_in_scope(struct drm_file *dfile, struct cgroup *scope)
{
	struct task_struct *task;
	struct pid *pid;
	bool in = false;

	rcu_read_lock();
	pid = nsgp_drm_file_pid(dfile);
	task = pid ? pid_task(pid, PIDTYPE_PID) : NULL;
	if (!task && pid)
		task = pid_task(pid, PIDTYPE_TGID);
	if (task)
		in = cgroup_is_descendant(task_dfl_cgroup(task), scope);
	rcu_read_unlock();
	return in;
}

/*
 * Take a reference on the files of the clients in scope, holding the file
 * list lock only for the walk.
 */
static int nsgp_collect_clients(struct drm_device *drm, struct cgroup *scope,
				struct file ***files, unsigned int *nr)
{
	unsigned int cap = 64, n = 0;
	struct drm_file *dfile;
	struct file **f, **bigger;
	int ret = 0;

	f = kvmalloc_array(cap, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_lock(&drm->filelist_mutex);
	list_for_each_entry(dfile, &drm->filelist, lhead) {
		if (!dfile->filp || !nsgp_drm_file_in_scope(dfile, scope))
			continue;
		if (n == cap) {
			if (cap >= NSGP_USAGE_MAX_CLIENTS) {
				ret = -E2BIG;
				break;
			}
			bigger = kvmalloc_array(cap * 2, sizeof(*f), GFP_KERNEL);
			if (!bigger) {
				ret = -ENOMEM;
				break;
			}
			memcpy(bigger, f, n * sizeof(*f));
			kvfree(f);
			f = bigger;
			cap *= 2;
		}
		/* a file on the list may already be on its way out */
		if (nsgp_get_file_live(dfile->filp))
			f[n++] = dfile->filp;
	}
	mutex_unlock(&drm->filelist_mutex);
	if (ret) {
		while (n)
			fput(f[--n]);
		kvfree(f);
		return ret;
	}
	*files = f;
	*nr = n;
	return 0;
}

static struct nsgp_usage_state *nsgp_usage_state(struct nsgp_session *s, u32 gpu_id)
{
	struct nsgp_usage_state *st;

	list_for_each_entry(st, &s->usage, node)
		if (st->gpu_id == gpu_id)
			return st;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return NULL;
	st->gpu_id = gpu_id;
	xa_init(&st->clients);
	list_add(&st->node, &s->usage);
	return st;
}

static int nsgp_usage_class(struct nsgp_usage_state *st, const char *name)
{
	unsigned int i;

	for (i = 0; i < st->nr_classes; i++)
		if (!strcmp(st->cls[i].class_name, name))
			return i;
	if (st->nr_classes == NSGP_USAGE_CLASSES)
		return -1;
	strscpy(st->cls[i].class_name, name, sizeof(st->cls[i].class_name));
	return st->nr_classes++;
}

/* Add what is new since the session last saw this client. */
static int nsgp_usage_account(struct nsgp_usage_state *st,
			      const struct nsgp_fdinfo *fi)
{
	struct nsgp_usage_client *c;
	unsigned int i;
	int idx;

	c = xa_load(&st->clients, fi->client_id);
	if (!c) {
		c = kzalloc(sizeof(*c), GFP_KERNEL);
		if (!c)
			return -ENOMEM;
		if (xa_err(xa_store(&st->clients, fi->client_id, c, GFP_KERNEL))) {
			kfree(c);
			return -ENOMEM;
		}
		st->nr_tracked++;
	}
	c->last_call = st->calls;
	for (i = 0; i < fi->nr; i++) {
		const struct nsgp_fdinfo_class *fc = &fi->cls[i];

		idx = nsgp_usage_class(st, fc->name);
		if (idx < 0)
			continue;
		st->cls[idx].flags |= fc->flags;
		/* counters may step back briefly: only ever add increases */
		if (fc->busy > c->busy[idx]) {
			st->cls[idx].busy_ns += fc->busy - c->busy[idx];
			c->busy[idx] = fc->busy;
		}
		if (fc->cycles > c->cycles[idx]) {
			st->cls[idx].cycles += fc->cycles - c->cycles[idx];
			c->cycles[idx] = fc->cycles;
		}
		/* a GPU clock, the same for every client: keep the newest */
		st->cls[idx].total_cycles = max(st->cls[idx].total_cycles,
						fc->total_cycles);
	}
	return 0;
}

/*
 * Forget departed clients once too many are remembered.  Their time stays
 * in the sums; a client seen again after being forgotten would be counted
 * from zero again, which the cap makes rare (client ids never repeat).
 */
static void nsgp_usage_prune(struct nsgp_usage_state *st)
{
	struct nsgp_usage_client *c;
	unsigned long id;

	if (st->nr_tracked <= NSGP_USAGE_MAX_TRACKED)
		return;
	xa_for_each(&st->clients, id, c) {
		if (c->last_call == st->calls)
			continue;
		xa_erase(&st->clients, id);
		kfree(c);
		st->nr_tracked--;
	}
}

/**
 * nsgp_session_usage_free() - drop a session's usage sums
 * @s: the session, being released
 */
void nsgp_session_usage_free(struct nsgp_session *s)
{
	struct nsgp_usage_state *st, *tmp;
	struct nsgp_usage_client *c;
	unsigned long id;

	list_for_each_entry_safe(st, tmp, &s->usage, node) {
		xa_for_each(&st->clients, id, c)
			kfree(c);
		xa_destroy(&st->clients);
		list_del(&st->node);
		kfree(st);
	}
}

static struct drm_device *nsgp_gpu_drm_get(struct nsgp_gpu *gpu)
{
	struct drm_device *drm = NULL;

	mutex_lock(&nsgp_lock);
	if (gpu->driver_bound && gpu->drm) {
		drm = gpu->drm;
		drm_dev_get(drm);
	}
	mutex_unlock(&nsgp_lock);
	return drm;
}

static int nsgp_usage_collect(struct nsgp_session *s, struct drm_device *drm,
			      struct nsgp_usage_state *st, u32 *clients,
			      u32 *status)
{
	size_t bufsize = NSGP_FDINFO_MIN;
	struct nsgp_usage_client *c;
	struct file **files = NULL;
	struct nsgp_fdinfo *fi;
	unsigned int n = 0, i;
	char *buf;
	int ret;

	fi = kmalloc(sizeof(*fi), GFP_KERNEL);
	buf = kvmalloc(bufsize, GFP_KERNEL);
	if (!fi || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	ret = nsgp_collect_clients(drm, s->cgrp, &files, &n);
	if (ret)
		goto out;
	st->calls++;
	for (i = 0; i < n; i++) {
		if (!ret)
			ret = nsgp_read_fdinfo(files[i], &buf, &bufsize, fi);
		fput(files[i]);
		if (ret)
			continue;
		if (!fi->has_id) {
			/* not a DRM client the driver reports (yet) */
			*status |= NSGPUPERF_USAGE_STATUS_INCOMPLETE;
			continue;
		}
		c = xa_load(&st->clients, fi->client_id);
		if (c && c->last_call == st->calls)
			continue;	/* the same client twice */
		(*clients)++;
		if (!fi->nr)
			/* i915 before 6.5 with GuC submission prints no usage */
			*status |= NSGPUPERF_USAGE_STATUS_INCOMPLETE;
		ret = nsgp_usage_account(st, fi);
	}
	nsgp_usage_prune(st);
out:
	kvfree(files);
	kvfree(buf);
	kfree(fi);
	return ret;
}

/**
 * nsgp_ioctl_cgroup_usage() - NSGPUPERF_IOC_CGROUP_USAGE
 * @s: the session
 * @uarg: struct nsgpuperf_cgroup_usage
 *
 * Return: 0, -EACCES if host policy turned it off, -ENODEV for a GPU not
 * in scope or unbound, or a common error.
 */
long nsgp_ioctl_cgroup_usage(struct nsgp_session *s, void __user *uarg)
{
	struct nsgpuperf_cgroup_usage u;
	struct nsgp_usage_state *st;
	struct drm_device *drm;
	struct nsgp_gpu *gpu;
	u32 usize, clients = 0, status = 0;
	int ret;

	ret = nsgp_copy_struct_in(&u, sizeof(u), uarg, &usize);
	if (ret)
		return ret;
	if (u.flags || u.reserved)
		return -EINVAL;
	ret = nsgp_check_entry_size(u.count, u.entry_size,
				    sizeof(struct nsgpuperf_engine_usage));
	if (ret)
		return ret;
	if (!READ_ONCE(nsgp_cgroup_usage))
		return -EACCES;

	gpu = nsgp_gpu_get(s, u.gpu_id);
	if (IS_ERR(gpu))
		return PTR_ERR(gpu);
	drm = nsgp_gpu_drm_get(gpu);
	if (!drm) {
		ret = -ENODEV;
		goto out_gpu;
	}

	mutex_lock(&s->usage_lock);
	st = nsgp_usage_state(s, gpu->id);
	ret = st ? nsgp_usage_collect(s, drm, st, &clients, &status) : -ENOMEM;
	if (!ret) {
		ret = nsgp_copy_array_out(u.classes, u.entry_size, st->cls,
					  sizeof(st->cls[0]),
					  min(u.count, st->nr_classes));
		u.count = st->nr_classes;
	}
	mutex_unlock(&s->usage_lock);
	drm_dev_put(drm);
	if (ret)
		goto out_gpu;

	u.nr_clients = clients;
	u.status = status;
	ret = nsgp_copy_struct_out(uarg, usize, &u, sizeof(u));
out_gpu:
	nsgp_gpu_put(gpu);
	return ret;
}
