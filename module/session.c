// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions (open /dev/nsgpuperf files), what they may see and use, and the
 * per-cgroup limit on live counter groups.
 *
 * A session captures at open() the opener's user namespace and cgroup v2.
 * Groups opened through a session hold a reference on it, so they keep
 * working after the /dev/nsgpuperf file is closed.
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "nsgp.h"

/**
 * nsgp_session_create() - capture the current task's context
 *
 * Return: a session with one reference, or ERR_PTR(-ENOMEM).
 */
struct nsgp_session *nsgp_session_create(void)
{
	struct nsgp_session *s;
	struct cgroup *cgrp;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	kref_init(&s->ref);
	s->user_ns = get_user_ns(current_user_ns());
	s->init_userns = s->user_ns == &init_user_ns;

	/* The task may be migrating: retry until a live cgroup is pinned. */
	rcu_read_lock();
	do {
		cgrp = task_dfl_cgroup(current);
	} while (!cgroup_tryget(cgrp));
	rcu_read_unlock();
	s->cgrp = cgrp;
	s->cgroup_id = cgroup_id(cgrp);
	mutex_init(&s->usage_lock);
	INIT_LIST_HEAD(&s->usage);
	nsgp_gpus_scope_snapshot(s);
	return s;
}

void nsgp_session_get(struct nsgp_session *s)
{
	kref_get(&s->ref);
}

static void nsgp_session_release(struct kref *ref)
{
	struct nsgp_session *s = container_of(ref, struct nsgp_session, ref);

	nsgp_session_usage_free(s);
	mutex_destroy(&s->usage_lock);
	cgroup_put(s->cgrp);
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
 * Live groups per cgroup: one entry per cgroup that has any, holding a
 * reference on the cgroup, freed when its last group goes.
 */
struct nsgp_cg_charge {
	struct hlist_node node;
	struct cgroup *cgrp;
	unsigned int groups;
};

static DEFINE_HASHTABLE(nsgp_cg_table, 6);
static DEFINE_MUTEX(nsgp_cg_lock);

/**
 * nsgp_cg_charge() - count one more live group for a session's cgroup
 * @s: the session opening the group
 *
 * Return: the charge to give back with nsgp_cg_uncharge(), ERR_PTR(-EMFILE)
 * if the cgroup holds max_groups_per_cgroup groups already, or
 * ERR_PTR(-ENOMEM).
 */
struct nsgp_cg_charge *nsgp_cg_charge(struct nsgp_session *s)
{
	unsigned int max = READ_ONCE(nsgp_max_groups_per_cgroup);
	struct nsgp_cg_charge *c;

	mutex_lock(&nsgp_cg_lock);
	hash_for_each_possible(nsgp_cg_table, c, node, (unsigned long)s->cgrp)
		if (c->cgrp == s->cgrp)
			goto found;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		mutex_unlock(&nsgp_cg_lock);
		return ERR_PTR(-ENOMEM);
	}
	cgroup_get(s->cgrp);
	c->cgrp = s->cgrp;
	hash_add(nsgp_cg_table, &c->node, (unsigned long)c->cgrp);
found:
	/* A new entry has no groups: with max 0 meaning "no limit", it passes. */
	if (max && c->groups >= max) {
		mutex_unlock(&nsgp_cg_lock);
		return ERR_PTR(-EMFILE);
	}
	c->groups++;
	mutex_unlock(&nsgp_cg_lock);
	return c;
}

/**
 * nsgp_cg_uncharge() - a group counted by nsgp_cg_charge() is gone
 * @c: the charge
 */
void nsgp_cg_uncharge(struct nsgp_cg_charge *c)
{
	struct cgroup *put = NULL;

	mutex_lock(&nsgp_cg_lock);
	if (!WARN_ON_ONCE(!c->groups) && --c->groups == 0) {
		hash_del(&c->node);
		put = c->cgrp;
	}
	mutex_unlock(&nsgp_cg_lock);
	if (put) {
		cgroup_put(put);
		kfree(c);
	}
}
