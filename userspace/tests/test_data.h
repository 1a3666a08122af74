/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the host tests: reading golden files (tests/data, or
 * $NGP_TESTDATA as `make test` sets it) and showing where an output first
 * differs from one.  Include after kselftest_harness.h.
 */
#ifndef NGP_TEST_DATA_H
#define NGP_TEST_DATA_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A whole file, NUL-terminated (its length in *lenp if not NULL), or NULL. */
static inline char *slurp(const char *path, size_t *lenp)
{
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	do {
		if (cap - len < 4096) {
			nb = realloc(buf, cap + 65536);
			if (!nb) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r > 0)
			len += r;
	} while (r > 0);
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

static inline const char *data_path(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("NGP_TESTDATA");

	snprintf(buf, len, "%s/%s", dir ? dir : "tests/data", name);
	return buf;
}

/* A golden file by name. */
static inline char *slurp_data(const char *name, size_t *lenp)
{
	char path[512];

	return slurp(data_path(name, path, sizeof(path)), lenp);
}

/* Where two outputs first differ, for the log. */
static inline void show_diff(struct __test_metadata *_metadata, const char *want,
			     size_t wlen, const char *got, size_t glen)
{
	size_t i = 0, from;

	while (i < wlen && i < glen && want[i] == got[i])
		i++;
	from = i > 80 ? i - 80 : 0;
	TH_LOG("first difference at byte %zu of %zu/%zu:\nwant: ...%.*s\ngot:  ...%.*s",
	       i, wlen, glen, (int)(wlen - from < 160 ? wlen - from : 160), want + from,
	       (int)(glen - from < 160 ? glen - from : 160), got + from);
}

#endif
