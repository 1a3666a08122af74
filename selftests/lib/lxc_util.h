/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the suites that run in the LXC image (selftests/suites-lxc):
 * shell commands with their output in the TAP log, the README's code
 * blocks, and real LXC containers set up the ways users have them.
 */
#ifndef LXC_UTIL_H
#define LXC_UTIL_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define README		"/tests/README.md"
/* A checkout as README's commands expect it: build/userspace/... */
#define CHECKOUT	"/root/nsgpuperf"
#define GPU_PASSED	"0000:00:02.0"
#define GPU_OTHER	"0000:00:05.0"
#define STATE_DIR	"/var/lib/nsgpuperf-test/state"

/*
 * Run a command with /bin/sh -c; its output goes to the TAP log as "#"
 * lines.  Returns its exit status (128 + signal when killed), -1 if it
 * could not run.
 */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, with stdout and stderr captured (NUL-terminated, cut at len). */
int sh_out(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * README.md's code block that follows the line "<!-- lxc_test: NAME -->",
 * without its fences and indentation, into buf.  0, or -ENOENT.
 */
int readme_block(const char *name, char *buf, size_t len);
/* Run README's block NAME verbatim with sh -e from CHECKOUT; its status. */
int run_readme(const char *name);

/* The value of column `col` in the last row of CSV text; NULL if none. */
const char *csv_value(const char *csv, const char *col, char *buf, size_t len);

/* The render node of a PCI GPU on the host (/dev/dri/renderD<N>). */
int render_node_of(const char *pci, char *path, size_t len);

/*
 * Host-side state that survives between the harness' forked tests: a
 * short text under STATE_DIR.
 */
int state_set(const char *key, const char *val);
bool state_is(const char *key, const char *val);

/* Wait (up to ~60 s) for the container's init to run; 0 or -1. */
int ct_wait_running(const char *name);
/* Stop and destroy a container if it exists. */
void ct_destroy(const char *name);
#endif
