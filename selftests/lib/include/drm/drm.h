/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace spelling of the kernel's <drm/drm.h> for headers shared with
 * the mock module: on Debian, libdrm-dev ships it as <libdrm/drm.h>.
 */
#include <libdrm/drm.h>
