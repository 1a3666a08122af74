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
#include <linux/printk.h>
#include <linux/sched.h>

#include "compat.h"
#include "nsgp.h"

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
 * Logs one rate-limited line naming the rule that failed and the caller's
 * pid and comm, and nothing else about the host.
 *
 * Return: 0 if the caller may open the device, else -EPERM.
 */
int nsgp_access_check(struct file *file)
{
	const char *rule;

	if (nsgp_capable_wrt_file(file, CAP_PERFMON) ||
	    nsgp_capable_wrt_file(file, CAP_SYS_ADMIN))
		return 0;

	/*
	 * capable_wrt_inode_uidgid() is ns_capable() && owner mapped: if the
	 * capability is there, the mapping is what failed.
	 */
	if (!nsgp_has_cap_noaudit())
		rule = "no CAP_PERFMON or CAP_SYS_ADMIN in its user namespace";
	else
		rule = "device node owner uid/gid not mapped in its user namespace";
	pr_info_ratelimited("open denied to pid %d (%s): %s\n",
			    task_tgid_nr(current), current->comm, rule);
	return -EPERM;
}
