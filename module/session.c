// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions (open /dev/nsgpuperf files): what they capture at open(), their
 * usage scope, and the per-container limit on live counter groups.
 *
 * A session captures at open() the opener's user namespace, its own cgroup
 * (v2) and its usage scope:
 *
 * - the root of the opener's cgroup namespace: the container as it sees
 *   itself, whichever of its cgroups the opener sits in (a systemd-style
 *   container keeps no process in its root cgroup; lxc-attach lands in
 *   another leaf than init);
 * - for a process of a non-initial user namespace that shares the host's
 *   cgroup namespace, its own cgroup: the host's root is never a
 *   container's scope;
 * - none, when that would still be the v2 root (a cgroup-v1-only host).
 *
 * The group limit counts per container: per topmost non-initial user
 * namespace of the opener (the one a container manager created on the
 * host), which child cgroups, nested namespaces and new sessions cannot
 * multiply.  The host's own sessions share one count.
 *
 * Everything allocated for a caller is charged to its memory cgroup.
 * Groups opened through a session hold a reference on it, so they keep
 * working after the /dev/nsgpuperf file is closed.
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/hashtable.h>
#include <linux/nsproxy.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "nsgp.h"

/**
 * nsgp_container_userns() - the user namespace that stands for a container
 * @ns: a user namespace
 *
 * Return: the topmost ancestor of @ns below the initial user namespace (the
 * one a container manager created on the host: nesting does not change
 * it), or the initial user namespace itself.
 */
struct user_namespace *nsgp_container_userns(struct user_namespace *ns)
{
	while (ns != &init_user_ns && ns->parent != &init_user_ns)
		ns = ns->parent;
	return ns;
}

/* The opener's own cgroup (v2), referenced. */
static struct cgroup *nsgp_current_cgroup_get(void)
{
	struct cgroup *cgrp;

	/* The task may be migrating: retry until a live cgroup is pinned. */
	rcu_read_lock();
	do {
		cgrp = task_dfl_cgroup(current);
	} while (!cgroup_tryget(cgrp));
	rcu_read_unlock();
	return cgrp;
}

/* Choose the usage scope of a session being opened by current. */
static void nsgp_session_pick_scope(struct nsgp_session *s)
{
	struct cgroup_namespace *cgns = current->nsproxy->cgroup_ns;
	struct cgroup *root;
	int n;

	if (cgns != init_task.nsproxy->cgroup_ns) {
		/* the namespace pins its root css_set, which pins the cgroup */
		root = cgns->root_cset->dfl_cgrp;
		s->scope_kind = NSGPUPERF_SCOPE_CGROUP_NS;
	} else if (s->init_userns) {
		root = &cgrp_dfl_root.cgrp;
		s->scope_kind = NSGPUPERF_SCOPE_CGROUP_NS;
	} else {
		root = s->cgrp;
		s->scope_kind = NSGPUPERF_SCOPE_OWN_CGROUP;
	}
	if (!s->init_userns && !cgroup_parent(root)) {
		/* host-wide: never for a container */
		s->scope_kind = NSGPUPERF_SCOPE_NONE;
		return;
	}
	cgroup_get(root);
	s->scope = root;
	/* the length, or (from 6.8) -E2BIG when it did not fit */
	n = cgroup_path_ns(root, s->scope_path, sizeof(s->scope_path), cgns);
	if (n == -E2BIG || n >= (int)sizeof(s->scope_path))
		s->scope_flags |= NSGPUPERF_SCOPE_F_PATH_TRUNCATED;
	else if (n < 0)
		s->scope_path[0] = '\0';
}

/**
 * nsgp_session_create() - capture the current task's context
 *
 * Return: a session with one reference, or ERR_PTR(-ENOMEM).
 */
struct nsgp_session *nsgp_session_create(void)
{
	struct nsgp_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return ERR_PTR(-ENOMEM);
	kref_init(&s->ref);
	s->user_ns = get_user_ns(current_user_ns());
	s->init_userns = s->user_ns == &init_user_ns;
	s->container_ns = get_user_ns(nsgp_container_userns(s->user_ns));
	s->cgrp = nsgp_current_cgroup_get();
	s->cgroup_id = cgroup_id(s->cgrp);
	nsgp_session_pick_scope(s);
	xa_init(&s->gpus);
	mutex_init(&s->usage_lock);
	INIT_LIST_HEAD(&s->usage);
	nsgp_gpus_scope_snapshot(s);
	return s;
}

/**
 * nsgp_session_scope_info() - the session's scope, for NSGPUPERF_IOC_VERSION
 * @s: the session
 * @v: the reply to fill in
 */
void nsgp_session_scope_info(const struct nsgp_session *s,
			     struct nsgpuperf_version *v)
{
	v->scope = s->scope_kind;
	v->scope_flags = s->scope_flags;
	if (!s->scope)
		return;
	v->scope_cgroup_id = cgroup_id(s->scope);
	strscpy(v->scope_path, s->scope_path, sizeof(v->scope_path));
}

void nsgp_session_get(struct nsgp_session *s)
{
	kref_get(&s->ref);
}

static void nsgp_session_release(struct kref *ref)
{
	struct nsgp_session *s = container_of(ref, struct nsgp_session, ref);
	struct nsgp_gpu_scope *e;
	unsigned long id;

	nsgp_session_usage_free(s);
	mutex_destroy(&s->usage_lock);
	xa_for_each(&s->gpus, id, e)
		kfree(e);
	xa_destroy(&s->gpus);
	if (s->scope)
		cgroup_put(s->scope);
	cgroup_put(s->cgrp);
	put_user_ns(s->container_ns);
	put_user_ns(s->user_ns);
	kfree(s);
}

void nsgp_session_put(struct nsgp_session *s)
{
	kref_put(&s->ref, nsgp_session_release);
}

/**
 * nsgp_session_device_counters() - may the session open counter groups
 * @s: the session
 *
 * Return: true for sessions of the initial user namespace, and for the
 * others unless the device_counters parameter is off.
 */
bool nsgp_session_device_counters(const struct nsgp_session *s)
{
	return s->init_userns || READ_ONCE(nsgp_device_counters);
}

/*
 * Live groups per container: one entry per container user namespace that
 * has any, holding a reference on it, freed when its last group goes.
 */
struct nsgp_cg_charge {
	struct hlist_node node;
	struct user_namespace *ns;
	unsigned int groups;
};

static DEFINE_HASHTABLE(nsgp_charge_table, 6);
static DEFINE_MUTEX(nsgp_charge_lock);

/**
 * nsgp_cg_charge() - count one more live group for a session's container
 * @s: the session opening the group
 *
 * Return: the charge to give back with nsgp_cg_uncharge(), ERR_PTR(-EMFILE)
 * if the container holds max_groups_per_container groups already, or
 * ERR_PTR(-ENOMEM).
 */
struct nsgp_cg_charge *nsgp_cg_charge(struct nsgp_session *s)
{
	unsigned int max = READ_ONCE(nsgp_max_groups_per_container);
	struct nsgp_cg_charge *new __free(kfree) = NULL;
	struct user_namespace *ns = s->container_ns;
	struct nsgp_cg_charge *c;

	/* allocated (and charged) before the global lock is taken */
	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return ERR_PTR(-ENOMEM);

	guard(mutex)(&nsgp_charge_lock);
	hash_for_each_possible(nsgp_charge_table, c, node, (unsigned long)ns)
		if (c->ns == ns)
			goto found;
	c = no_free_ptr(new);
	c->ns = get_user_ns(ns);
	hash_add(nsgp_charge_table, &c->node, (unsigned long)ns);
found:
	/* A new entry has no groups: with max 0 meaning "no limit", it passes. */
	if (max && c->groups >= max)
		return ERR_PTR(-EMFILE);
	c->groups++;
	return c;
}

/**
 * nsgp_cg_uncharge() - a group counted by nsgp_cg_charge() is gone
 * @c: the charge
 */
void nsgp_cg_uncharge(struct nsgp_cg_charge *c)
{
	bool last = false;

	scoped_guard(mutex, &nsgp_charge_lock) {
		if (!WARN_ON_ONCE(!c->groups) && --c->groups == 0) {
			hash_del(&c->node);
			last = true;
		}
	}
	if (last) {
		put_user_ns(c->ns);
		kfree(c);
	}
}
