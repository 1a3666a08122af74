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
/* Seconds one command may take (timeout(1) then kills it). */
#define CMD_TIMEOUT	"300"
/* Seconds one test may take: containers are made in its setup. */
#define LXC_TEST_TIMEOUT	900

/*
 * Run a command with /bin/sh -c, at most CMD_TIMEOUT seconds; its output
 * goes to the TAP log as "#" lines.  Returns its exit status (124 when it
 * timed out, 128 + signal when killed), -1 if it could not run.
 */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * The same, with stdout and stderr captured (NUL-terminated, cut at len,
 * trailing newlines removed).
 */
int sh_out(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Write a file (printf-style) and fsync it; 0 or -1. */
int write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A file's first line without its newline; 0 or -1. */
int read_line(const char *path, char *buf, size_t len);

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

/*
 * In a container (exec: the command prefix that runs one there, e.g.
 * "lxc-attach -n ct1 --"): nsgpuperf lists GPU_PASSED with its render
 * node and not GPU_OTHER, and -d GPU_OTHER says it is not in scope (exit
 * 6).  NULL, or what was wrong.
 */
const char *reader_sees_only_passed_gpu(const char *exec);

/* Wait (up to ~60 s) for the container's init to run; 0 or -1. */
int ct_wait_running(const char *name);
/* Stop and destroy a container if it exists. */
void ct_destroy(const char *name);
#endif
