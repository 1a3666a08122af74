/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libnsgpuperf's lowest layer: the device's ioctls, nothing else.  No
 * allocation, no stdio, no locks and no global state, so that the
 * perf_event_open shim (preload.c, which runs inside any program, after
 * fork, in any thread) links it as well as the session code does.
 * Every function returns a negative errno on failure.
 */
#ifndef NSGPUPERF_DEVICE_H
#define NSGPUPERF_DEVICE_H

#include <linux/nsgpuperf.h>

#define NGP_DEFAULT_DEVICE	"/dev/nsgpuperf"
#define NGP_DEVICE_ENV		"NSGPUPERF_DEVICE"	/* overrides the path */

/* DRM render nodes are renderD128..renderD191 */
#define NGP_RENDER_MINOR_FIRST	128
#define NGP_RENDER_MINOR_LAST	191

/* path if set, else $NSGPUPERF_DEVICE if set, else NGP_DEFAULT_DEVICE */
const char *ngp_device_path(const char *path);
/* Open it read-only (all the device needs): an fd, or -errno. */
int ngp_device_open(const char *path);
/* NSGPUPERF_IOC_VERSION into *v (v->size set here): 0 or -errno. */
int ngp_device_version(int fd, struct nsgpuperf_version *v);
/* Present one open DRM node: the GPU's id, or -errno. */
int ngp_device_present(int fd, int drm_fd);
/*
 * Present every render node this process can open (no libdrm: by minor);
 * how many the session took.
 */
int ngp_device_present_render_nodes(int fd);
/*
 * The GPUs in scope into gpus[0..room-1]: how many there are (which may be
 * more than room), or -errno.
 */
int ngp_device_list_gpus(int fd, struct nsgpuperf_gpu_info *gpus,
			 unsigned int room);

#endif
