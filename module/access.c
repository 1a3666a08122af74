// SPDX-License-Identifier: GPL-2.0
/*
 * Who may open /dev/nsgpuperf.
 *
 * The caller must be capable of CAP_PERFMON (or CAP_SYS_ADMIN, as
 * perfmon_capable() accepts) in its own user namespace, and the device
 * node it opened must be owned by a uid and a gid mapped into that
 * namespace: capable_wrt_inode_uidgid(), the test the kernel itself uses
 * for CAP_FOWNER and friends.  The second half is what keeps "unshare -U -r"
 * from granting access: a fresh namespace maps only its creator's ids, so
 * it passes only if its creator owns the node, and the host hands a node
 * only to a container's root ids.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "compat.h"
#include "nsgp.h"

/*
 * Denial lines are rate-limited per (container, rule), so that a container
 * flooding one denial hides neither its other denials nor those of other
 * containers.  A container is the topmost non-initial user namespace above
 * the caller (nesting namespaces does not make new keys), known by its
 * inode number: a namespace created just after a denied one died may get
 * its number, and its state, within the interval.  A small table of recent
 * keys, least recently used evicted: an evicted key starts afresh, which
 * can only print more.  A bound over all keys keeps many namespaces
 * (each unprivileged "unshare -U" is one) from flooding the log.  The
 * lines a key's limit held back are counted and reported before its next
 * line.
 */
#define NSGP_DENY_SLOTS		32
#define NSGP_DENY_INTERVAL	(5 * HZ)
#define NSGP_DENY_BURST		2	/* lines per key and interval */
#define NSGP_DENY_BURST_ALL	20	/* lines per interval over all keys */

struct nsgp_deny_state {
	u64 key;		/* 0: free slot */
	unsigned long begin;	/* jiffies: start of the key's interval */
	unsigned long used;	/* jiffies: its last denial */
	unsigned int printed;	/* lines in this interval */
	unsigned int missed;	/* lines held back since the last one printed */
};

static DEFINE_SPINLOCK(nsgp_deny_lock);
static struct nsgp_deny_state nsgp_deny[NSGP_DENY_SLOTS];	/* under the lock */
static unsigned long nsgp_deny_all_begin;			/* under the lock */
static unsigned int nsgp_deny_all_printed;			/* under the lock */

enum nsgp_rule {
	NSGP_RULE_CAP,
	NSGP_RULE_OWNER,
};

static const char *const nsgp_rule_text[] = {
	[NSGP_RULE_CAP] = "no CAP_PERFMON or CAP_SYS_ADMIN in its user namespace",
	[NSGP_RULE_OWNER] = "device node owner uid/gid not mapped in its user namespace",
};

static struct nsgp_deny_state *nsgp_deny_slot_locked(u64 key, unsigned long now)
{
	struct nsgp_deny_state *st, *victim = NULL;

	lockdep_assert_held(&nsgp_deny_lock);
	for (st = nsgp_deny; st < nsgp_deny + NSGP_DENY_SLOTS; st++) {
		if (st->key == key)
			return st;
		if (!victim || (victim->key && !st->key) ||
		    (victim->key && time_before(st->used, victim->used)))
			victim = st;
	}
	memset(victim, 0, sizeof(*victim));
	victim->key = key;
	victim->begin = now;
	return victim;
}

/* Whether a line for @rule may be printed now; @missed: held back before. */
static bool nsgp_deny_ratelimit(enum nsgp_rule rule, unsigned int *missed)
{
	u64 key = ((u64)nsgp_container_userns(current_user_ns())->ns.inum << 8 |
		   rule) + 1;
	unsigned long now = jiffies;
	struct nsgp_deny_state *st;
	bool print = false;

	spin_lock(&nsgp_deny_lock);
	st = nsgp_deny_slot_locked(key, now);
	st->used = now;
	if (time_after_eq(now, st->begin + NSGP_DENY_INTERVAL)) {
		st->begin = now;
		st->printed = 0;
	}
	if (time_after_eq(now, nsgp_deny_all_begin + NSGP_DENY_INTERVAL)) {
		nsgp_deny_all_begin = now;
		nsgp_deny_all_printed = 0;
	}
	if (st->printed < NSGP_DENY_BURST &&
	    nsgp_deny_all_printed < NSGP_DENY_BURST_ALL) {
		st->printed++;
		nsgp_deny_all_printed++;
		*missed = st->missed;
		st->missed = 0;
		print = true;
	} else {
		st->missed++;
	}
	spin_unlock(&nsgp_deny_lock);
	return print;
}

static bool nsgp_has_cap_noaudit(void)
{
	struct user_namespace *ns = current_user_ns();

	return ns_capable_noaudit(ns, CAP_PERFMON) ||
	       ns_capable_noaudit(ns, CAP_SYS_ADMIN);
}

/**
 * nsgp_access_check() - the access rule at open()
 * @file: the file being opened (its inode and mount give the node's owner)
 *
 * Logs one line naming the rule that failed and the caller's pid and comm,
 * and nothing else about the host; rate-limited per container and rule.
 *
 * Return: 0 if the caller may open the device, else -EPERM.
 */
int nsgp_access_check(struct file *file)
{
	enum nsgp_rule rule;
	unsigned int missed;

	if (nsgp_capable_wrt_file(file, CAP_PERFMON) ||
	    nsgp_capable_wrt_file(file, CAP_SYS_ADMIN))
		return 0;

	/*
	 * capable_wrt_inode_uidgid() is ns_capable() && owner mapped: if the
	 * capability is there, the mapping is what failed.
	 */
	rule = nsgp_has_cap_noaudit() ? NSGP_RULE_OWNER : NSGP_RULE_CAP;
	if (nsgp_deny_ratelimit(rule, &missed)) {
		if (missed)
			pr_info("%u similar denial lines suppressed\n", missed);
		pr_info("open denied to pid %d (%s): %s\n",
			task_tgid_nr(current), current->comm,
			nsgp_rule_text[rule]);
	}
	return -EPERM;
}
