// SPDX-License-Identifier: GPL-2.0
/*
 * Per-scope GPU usage: the busy time of the GPU's DRM clients attributed
 * to the session's scope (session.c), summed from the standard DRM fdinfo
 * keys (drm-engine-<class>, drm-cycles-<class>, drm-total-cycles-<class>)
 * printed by the driver's own show_fdinfo.
 *
 * A client is attributed to the process the driver names for it
 * (drm_file->pid: the opening thread before 6.7, the last ioctl caller
 * since); when that process is gone, to the processes of the scope that
 * hold the client's file, found by walking the fd tables of the scope's
 * tasks, so that a client is never lost because its opener exited; at the
 * root scope that is every client a process holds.  The walk over the
 * GPU's client list is short; the task walk happens only for orphaned
 * clients.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bsearch.h>
#include <linux/cgroup.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "compat.h"
#include "nsgp.h"

/* Clients one usage call looks at; far above any real GPU's. */
#define NSGP_USAGE_MAX_CLIENTS	65536
/* Tasks of a scope searched for the holders of orphaned clients. */
#define NSGP_USAGE_MAX_TASKS	65536
/* Different scopes (GPU, cgroup) one session keeps sums for, per GPU. */
#define NSGP_USAGE_MAX_SCOPES	16
#define NSGP_FDINFO_MIN		PAGE_SIZE
#define NSGP_FDINFO_MAX		(64 * 1024)

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

/*
 * What a session last saw of one client, to add only what is new.  Keyed
 * by the client's drm_file (only ever compared, never dereferenced) and
 * kept while that drm_file is on the GPU's client list; @client_id tells
 * a new client at a reused address from the old one.
 */
struct nsgp_usage_client {
	struct hlist_node node;
	unsigned long key;
	u64 client_id;
	u64 busy[NSGP_USAGE_CLASSES];
	u64 cycles[NSGP_USAGE_CLASSES];
	unsigned long last_call;
};

/* A session's running sums for one GPU and one scope; never decrease. */
struct nsgp_usage_state {
	struct list_head node;
	u32 gpu_id;
	struct cgroup *scope;		/* referenced */
	u64 generation;			/* of the GPU the clients were seen on */
	unsigned long calls;
	unsigned int nr_classes;
	struct nsgpuperf_engine_usage cls[NSGP_USAGE_CLASSES];
	DECLARE_HASHTABLE(clients, 8);
};

/* One client of the GPU during a usage call. */
struct nsgp_client {
	struct drm_file *dfile;		/* the key; every client is listed */
	struct file *filp;		/* referenced while it is to be read */
	bool orphan;			/* its process is gone: find holders */
};

struct nsgp_clients {
	struct nsgp_client *c;
	unsigned int nr, cap;
	unsigned int nr_orphans;
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
 * A client printing more than NSGP_FDINFO_MAX is skipped (-E2BIG).
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
		*buf = kvmalloc(*size, GFP_KERNEL_ACCOUNT);
		if (!*buf)
			return -ENOMEM;
	}
	nsgp_fdinfo_parse(m.buf, m.count, fi);
	return 0;
}

/* Attribution by the process the driver names: 1 in, 0 out, -1 gone. */
static int nsgp_drm_file_attribution(struct drm_file *dfile,
				     struct cgroup *scope)
{
	struct task_struct *task;
	struct pid *pid;
	int in = -1;

	rcu_read_lock();
	pid = nsgp_drm_file_pid(dfile);
	task = pid ? pid_task(pid, PIDTYPE_PID) : NULL;
	if (!task && pid)
		task = pid_task(pid, PIDTYPE_TGID);
	if (task && !(task->flags & PF_EXITING))
		in = cgroup_is_descendant(task_dfl_cgroup(task), scope);
	rcu_read_unlock();
	return in;
}

static void nsgp_clients_free(struct nsgp_clients *cl)
{
	unsigned int i;

	for (i = 0; i < cl->nr; i++)
		if (cl->c[i].filp)
			fput(cl->c[i].filp);
	kvfree(cl->c);
	cl->c = NULL;
	cl->nr = 0;
}

static unsigned int nsgp_count_clients(struct drm_device *drm)
{
	struct drm_file *dfile;
	unsigned int n = 0;

	mutex_lock(&drm->filelist_mutex);
	list_for_each_entry(dfile, &drm->filelist, lhead)
		n++;
	mutex_unlock(&drm->filelist_mutex);
	return n;
}

/*
 * Walk the GPU's client list into cl->c (room for cl->cap), taking a
 * reference on the files of the clients attributed to @scope and of the
 * orphans.  Return: 0, or -EAGAIN if the list outgrew the room.
 */
static int nsgp_walk_clients(struct drm_device *drm, struct cgroup *scope,
			     struct nsgp_clients *cl)
{
	struct drm_file *dfile;
	int ret = 0;

	mutex_lock(&drm->filelist_mutex);
	list_for_each_entry(dfile, &drm->filelist, lhead) {
		struct nsgp_client *c;
		int in;

		if (!dfile->filp)
			continue;
		if (cl->nr == cl->cap) {
			ret = -EAGAIN;
			break;
		}
		c = &cl->c[cl->nr++];
		c->dfile = dfile;
		c->filp = NULL;
		c->orphan = false;
		/* at the root scope, every live client is in */
		in = nsgp_drm_file_attribution(dfile, scope);
		if (!in)
			continue;
		/* a file on the list may already be on its way out */
		if (!nsgp_get_file_live(dfile->filp)) {
			cl->nr--;
			continue;
		}
		c->filp = dfile->filp;
		if (in < 0) {
			c->orphan = true;
			cl->nr_orphans++;
		}
	}
	mutex_unlock(&drm->filelist_mutex);
	return ret;
}

/*
 * List every client of the GPU (see nsgp_walk_clients()), allocating
 * outside the client list lock: the list is counted first, and walked
 * again into a larger array if it grew meanwhile.  An orphan may also be
 * a closed client that lingers a moment, held by another usage call: no
 * fd table holds it.
 */
static int nsgp_collect_clients(struct drm_device *drm, struct cgroup *scope,
				struct nsgp_clients *cl)
{
	unsigned int room = nsgp_count_clients(drm) + 16;
	int ret, tries;

	for (tries = 0; tries < 4; tries++, room *= 2) {
		if (room > NSGP_USAGE_MAX_CLIENTS)
			return -E2BIG;
		cl->cap = room;
		cl->c = kvmalloc_array(room, sizeof(*cl->c), GFP_KERNEL_ACCOUNT);
		if (!cl->c)
			return -ENOMEM;
		ret = nsgp_walk_clients(drm, scope, cl);
		if (ret != -EAGAIN)
			return ret;
		nsgp_clients_free(cl);
		cl->nr_orphans = 0;
	}
	return -EAGAIN;
}

static int nsgp_client_cmp(const void *a, const void *b)
{
	const struct nsgp_client *x = a, *y = b;

	if (x->dfile == y->dfile)
		return 0;
	return x->dfile < y->dfile ? -1 : 1;
}

/* Orphans' files, sorted, looked up from the fd-table walk. */
struct nsgp_holder_search {
	struct file **files;
	bool *held;
	unsigned int nr;
};

static int nsgp_file_ptr_cmp(const void *a, const void *b)
{
	const struct file *x = *(struct file * const *)a;
	const struct file *y = *(struct file * const *)b;

	if (x == y)
		return 0;
	return x < y ? -1 : 1;
}

/* iterate_fd() callback, under the task's file table lock. */
static int nsgp_holder_match(const void *arg, struct file *f, unsigned int fd)
{
	const struct nsgp_holder_search *hs = arg;
	struct file **hit;

	hit = bsearch(&f, hs->files, hs->nr, sizeof(*hs->files),
		      nsgp_file_ptr_cmp);
	if (hit)
		hs->held[hit - hs->files] = true;
	return 0;
}

/*
 * The tasks of @scope, referenced.  Counted first so that the array can
 * be allocated outside RCU; tasks that arrive in between are not needed
 * (a client's holder existed before the call).
 */
static struct task_struct **nsgp_scope_tasks(struct cgroup *scope,
					     unsigned int *nr)
{
	struct task_struct *g, *t, **tasks;
	unsigned int n = 0, cap = 0;

	rcu_read_lock();
	for_each_process_thread(g, t)
		if (cgroup_is_descendant(task_dfl_cgroup(t), scope))
			cap++;
	rcu_read_unlock();
	cap = min_t(unsigned int, cap, NSGP_USAGE_MAX_TASKS);
	*nr = 0;
	if (!cap)
		return NULL;
	tasks = kvmalloc_array(cap, sizeof(*tasks), GFP_KERNEL_ACCOUNT);
	if (!tasks)
		return ERR_PTR(-ENOMEM);
	rcu_read_lock();
	for_each_process_thread(g, t) {
		if (n == cap)
			break;
		if (!cgroup_is_descendant(task_dfl_cgroup(t), scope))
			continue;
		get_task_struct(t);
		tasks[n++] = t;
	}
	rcu_read_unlock();
	*nr = n;
	return tasks;
}

/*
 * Clients whose process is gone count for the scope if a task of the
 * scope holds their file; the others are dropped from this call.
 */
static int nsgp_resolve_orphans(struct cgroup *scope, struct nsgp_clients *cl)
{
	struct nsgp_holder_search hs = {};
	struct files_struct *last = NULL;
	struct task_struct **tasks;
	unsigned int i, j, nt;
	int ret = 0;

	hs.files = kvmalloc_array(cl->nr_orphans, sizeof(*hs.files),
				  GFP_KERNEL_ACCOUNT);
	hs.held = kvcalloc(cl->nr_orphans, sizeof(*hs.held), GFP_KERNEL_ACCOUNT);
	if (!hs.files || !hs.held) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < cl->nr; i++)
		if (cl->c[i].orphan)
			hs.files[hs.nr++] = cl->c[i].filp;
	sort(hs.files, hs.nr, sizeof(*hs.files), nsgp_file_ptr_cmp, NULL);

	tasks = nsgp_scope_tasks(scope, &nt);
	if (IS_ERR(tasks)) {
		ret = PTR_ERR(tasks);
		goto out;
	}
	for (i = 0; i < nt; i++) {
		/* threads sharing one table follow each other: walk it once */
		task_lock(tasks[i]);
		if (tasks[i]->files && tasks[i]->files != last) {
			last = tasks[i]->files;
			iterate_fd(last, 0, nsgp_holder_match, &hs);
		}
		task_unlock(tasks[i]);
		put_task_struct(tasks[i]);
		cond_resched();
	}
	kvfree(tasks);

	for (i = 0; i < cl->nr; i++) {
		struct file **hit;

		if (!cl->c[i].orphan)
			continue;
		hit = bsearch(&cl->c[i].filp, hs.files, hs.nr,
			      sizeof(*hs.files), nsgp_file_ptr_cmp);
		j = hit ? hit - hs.files : 0;
		if (!hit || !hs.held[j]) {
			fput(cl->c[i].filp);
			cl->c[i].filp = NULL;
		}
		cl->c[i].orphan = false;
	}
out:
	kvfree(hs.held);
	kvfree(hs.files);
	return ret;
}

static struct nsgp_usage_client *nsgp_usage_client(struct nsgp_usage_state *st,
						   unsigned long key)
{
	struct nsgp_usage_client *c;

	hash_for_each_possible(st->clients, c, node, key)
		if (c->key == key)
			return c;
	return NULL;
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
static int nsgp_usage_account(struct nsgp_usage_state *st, unsigned long key,
			      const struct nsgp_fdinfo *fi)
{
	struct nsgp_usage_client *c = nsgp_usage_client(st, key);
	unsigned int i;
	int idx;

	if (c && c->client_id != fi->client_id) {
		/* a new client at the address of a closed one */
		memset(c->busy, 0, sizeof(c->busy));
		memset(c->cycles, 0, sizeof(c->cycles));
		c->client_id = fi->client_id;
	}
	if (!c) {
		c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
		if (!c)
			return -ENOMEM;
		c->key = key;
		c->client_id = fi->client_id;
		hash_add(st->clients, &c->node, key);
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
 * Forget the clients that no longer exist on the GPU (@cl is sorted by
 * drm_file): a client that still exists, even out of scope now, is
 * remembered so that it is never counted from zero again.
 */
static void nsgp_usage_prune(struct nsgp_usage_state *st,
			     const struct nsgp_clients *cl)
{
	struct nsgp_usage_client *c;
	struct hlist_node *tmp;
	unsigned int bkt;

	hash_for_each_safe(st->clients, bkt, tmp, c, node) {
		struct nsgp_client key = { .dfile = (struct drm_file *)c->key };

		if (bsearch(&key, cl->c, cl->nr, sizeof(*cl->c), nsgp_client_cmp))
			continue;
		hash_del(&c->node);
		kfree(c);
	}
}

static void nsgp_usage_forget_clients(struct nsgp_usage_state *st)
{
	struct nsgp_usage_client *c;
	struct hlist_node *tmp;
	unsigned int bkt;

	hash_for_each_safe(st->clients, bkt, tmp, c, node) {
		hash_del(&c->node);
		kfree(c);
	}
}

static void nsgp_usage_state_free(struct nsgp_usage_state *st)
{
	nsgp_usage_forget_clients(st);
	cgroup_put(st->scope);
	kfree(st);
}

/* The session's sums for (GPU, scope); created on first use. */
static struct nsgp_usage_state *nsgp_usage_state(struct nsgp_session *s,
						 u32 gpu_id,
						 struct cgroup *scope)
{
	struct nsgp_usage_state *st;
	unsigned int n = 0;

	list_for_each_entry(st, &s->usage, node) {
		if (st->gpu_id != gpu_id)
			continue;
		if (st->scope == scope)
			return st;
		n++;
	}
	if (n >= NSGP_USAGE_MAX_SCOPES)
		return ERR_PTR(-ENOSPC);
	st = kzalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		return ERR_PTR(-ENOMEM);
	st->gpu_id = gpu_id;
	cgroup_get(scope);
	st->scope = scope;
	hash_init(st->clients);
	list_add(&st->node, &s->usage);
	return st;
}

/**
 * nsgp_session_usage_free() - drop a session's usage sums
 * @s: the session, being released
 */
void nsgp_session_usage_free(struct nsgp_session *s)
{
	struct nsgp_usage_state *st, *tmp;

	list_for_each_entry_safe(st, tmp, &s->usage, node) {
		list_del(&st->node);
		nsgp_usage_state_free(st);
	}
}

/*
 * The GPU's DRM device, referenced, with its driver's module pinned:
 * drm_dev_put() may run the driver's release code, which a DRM device
 * reference alone does not keep loaded.
 */
static struct drm_device *nsgp_gpu_drm_get(struct nsgp_gpu *gpu,
					   struct module **owner, u64 *generation)
{
	struct drm_device *drm = NULL;

	mutex_lock(&nsgp_lock);
	/* bound: the driver cannot unbind (nor unload) past our notifier */
	if (gpu->driver_bound && gpu->drm && gpu->pdev->dev.driver) {
		*owner = gpu->pdev->dev.driver->owner;
		if (try_module_get(*owner)) {
			drm = gpu->drm;
			drm_dev_get(drm);
			*generation = gpu->generation;
		}
	}
	mutex_unlock(&nsgp_lock);
	return drm;
}

static void nsgp_gpu_drm_put(struct drm_device *drm, struct module *owner)
{
	drm_dev_put(drm);
	module_put(owner);
}

static int nsgp_usage_collect(struct drm_device *drm,
			      struct nsgp_usage_state *st, u32 *clients,
			      u32 *status)
{
	struct nsgp_fdinfo *fi __free(kfree) = NULL;
	size_t bufsize = NSGP_FDINFO_MIN;
	struct nsgp_clients cl = {};
	unsigned int i;
	char *buf;
	int ret;

	fi = kmalloc(sizeof(*fi), GFP_KERNEL_ACCOUNT);
	buf = kvmalloc(bufsize, GFP_KERNEL_ACCOUNT);
	if (!fi || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	ret = nsgp_collect_clients(drm, st->scope, &cl);
	if (ret)
		goto out;
	if (cl.nr_orphans) {
		ret = nsgp_resolve_orphans(st->scope, &cl);
		if (ret)
			goto out_clients;
	}
	st->calls++;
	for (i = 0; i < cl.nr; i++) {
		struct nsgp_client *c = &cl.c[i];

		if (!c->filp)
			continue;
		ret = nsgp_read_fdinfo(c->filp, &buf, &bufsize, fi);
		if (ret == -E2BIG) {
			/* one oversized client does not fail the call */
			*status |= NSGPUPERF_USAGE_STATUS_INCOMPLETE;
			ret = 0;
			continue;
		}
		if (ret)
			goto out_clients;
		if (!fi->has_id) {
			/* not a DRM client the driver reports (yet) */
			*status |= NSGPUPERF_USAGE_STATUS_INCOMPLETE;
			continue;
		}
		(*clients)++;
		if (!fi->nr)
			/* i915 before 6.5 with GuC submission prints no usage */
			*status |= NSGPUPERF_USAGE_STATUS_INCOMPLETE;
		ret = nsgp_usage_account(st, (unsigned long)c->dfile, fi);
		if (ret)
			goto out_clients;
	}
	sort(cl.c, cl.nr, sizeof(*cl.c), nsgp_client_cmp, NULL);
	nsgp_usage_prune(st, &cl);
out_clients:
	nsgp_clients_free(&cl);
out:
	kvfree(buf);
	return ret;
}

/* The cgroup a usage call sums: the session's scope, or one inside it. */
static struct cgroup *nsgp_usage_scope(struct nsgp_session *s,
				       const struct nsgpuperf_cgroup_usage *u)
{
	struct cgroup *cgrp;

	if (!s->scope)
		return ERR_PTR(-ENODATA);
	if (!(u->flags & NSGPUPERF_USAGE_CGROUP_FD)) {
		cgroup_get(s->scope);
		return s->scope;
	}
	cgrp = cgroup_get_from_fd(u->cgroup_fd);
	if (IS_ERR(cgrp))
		return ERR_PTR(-EBADF);
	if (!cgroup_is_descendant(cgrp, s->scope)) {
		cgroup_put(cgrp);
		return ERR_PTR(-EPERM);
	}
	return cgrp;
}

/**
 * nsgp_ioctl_cgroup_usage() - NSGPUPERF_IOC_CGROUP_USAGE
 * @s: the session
 * @uarg: struct nsgpuperf_cgroup_usage
 *
 * Return: 0, -EACCES if host policy turned it off, -ENODEV for a GPU not
 * in scope or unbound, -ENODATA without a scope, -EBADF/-EPERM for a bad
 * or foreign cgroup fd, -ENOSPC for too many scopes, or a common error.
 */
long nsgp_ioctl_cgroup_usage(struct nsgp_session *s, void __user *uarg)
{
	struct nsgpuperf_engine_usage *cls __free(kfree) = NULL;
	struct nsgpuperf_cgroup_usage u;
	struct nsgp_usage_state *st;
	struct drm_device *drm;
	struct module *owner;
	struct cgroup *scope;
	struct nsgp_gpu *gpu;
	u32 usize, clients = 0, status = 0, nr_classes = 0;
	u64 generation;
	int ret;

	ret = nsgp_copy_struct_in(&u, sizeof(u), NSGPUPERF_CGROUP_USAGE_SIZE_VER1,
				  uarg, &usize);
	if (ret)
		return ret;
	if ((u.flags & ~NSGPUPERF_USAGE_CGROUP_FD) || u.reserved || u.reserved2)
		return -EINVAL;
	ret = nsgp_check_entry_size(u.count, u.entry_size,
				    sizeof(struct nsgpuperf_engine_usage));
	if (ret)
		return ret;
	if (!READ_ONCE(nsgp_cgroup_usage))
		return -EACCES;
	cls = kcalloc(NSGP_USAGE_CLASSES, sizeof(*cls), GFP_KERNEL_ACCOUNT);
	if (!cls)
		return -ENOMEM;

	gpu = nsgp_gpu_get(s, u.gpu_id);
	if (IS_ERR(gpu))
		return PTR_ERR(gpu);
	scope = nsgp_usage_scope(s, &u);
	if (IS_ERR(scope)) {
		nsgp_gpu_put(gpu);
		return PTR_ERR(scope);
	}
	drm = nsgp_gpu_drm_get(gpu, &owner, &generation);
	if (!drm) {
		ret = -ENODEV;
		goto out;
	}

	mutex_lock(&s->usage_lock);
	st = nsgp_usage_state(s, gpu->id, scope);
	ret = PTR_ERR_OR_ZERO(st);
	if (!ret && st->generation != generation) {
		/*
		 * Another DRM device since: its clients are new, whatever
		 * their addresses and ids (i915 restarts ids before 6.5).
		 */
		nsgp_usage_forget_clients(st);
		st->generation = generation;
	}
	if (!ret)
		ret = nsgp_usage_collect(drm, st, &clients, &status);
	if (!ret) {
		nr_classes = st->nr_classes;
		memcpy(cls, st->cls, nr_classes * sizeof(*cls));
	}
	mutex_unlock(&s->usage_lock);
	/* no DRM device or driver module is held across the user copies */
	nsgp_gpu_drm_put(drm, owner);
	if (ret)
		goto out;

	ret = nsgp_copy_array_out(u.classes, u.entry_size, cls, sizeof(*cls),
				  min(u.count, nr_classes));
	if (ret)
		goto out;
	u.count = nr_classes;
	u.nr_clients = clients;
	u.status = status;
	u.scope_cgroup_id = cgroup_id(scope);
	ret = nsgp_copy_struct_out(uarg, usize, &u, sizeof(u));
out:
	cgroup_put(scope);
	nsgp_gpu_put(gpu);
	return ret;
}
