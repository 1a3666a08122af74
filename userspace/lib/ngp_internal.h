/* SPDX-License-Identifier: GPL-2.0 */
/* libnsgpuperf's own helpers, shared by its files; not an interface. */
#ifndef NGP_INTERNAL_H
#define NGP_INTERNAL_H

#include "nsgpuperf.h"

/* The oldest module ABI this library works with: scope fields, cgroup_fd. */
#define NGP_MIN_ABI	2

/* Fill e (if non-NULL) and return err (a negative errno). */
int ngp_fail(struct ngp_error *e, int err, enum ngp_exit exit,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Name of an engine class by i915's event prefix ("rcs"), or -1. */
int ngp_class_from_prefix(const char *prefix);

#endif
