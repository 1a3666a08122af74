/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The intel_gpu_top personality's parts (igt.c, igt_text.c), apart from
 * -J (json.c): -l and -c text, -L, -h, as each intel_gpu_top release
 * prints them.
 */
#ifndef NSGPUPERF_IGT_H
#define NSGPUPERF_IGT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

/* -l (text columns) and -c (CSV, 2.x), one line per sample. */
struct igt_text {
	enum igt_layout layout;
	bool physical;
	bool csv;
	bool repeat;		/* header lines every 20 lines */
	unsigned int lines;	/* printed, headers included */
	bool header_done;
};

/*
 * tty: the output is a terminal (2.x repeats -l's headers only there,
 * 1.27.1 always).
 */
void igt_text_init(struct igt_text *t, enum igt_layout layout, bool physical,
		   bool csv, bool tty);
void igt_text_sample(FILE *f, struct igt_text *t, const struct ngp_sample *s);

/* -L: one DRM device with a PCI parent. */
struct igt_card {
	char card[32];		/* "card0", "" if no primary node */
	char render[32];	/* "renderD128", "" if none */
	char pci[16];		/* "0000:00:02.0", the sort key */
	uint16_t vendor, device;
};

/* Print cards as -L does (sorted by PCI address here). */
void igt_list_cards(FILE *f, struct igt_card *cards, int n);

/* -h for a layout; argv0 as the program was called. */
void igt_usage(FILE *f, enum igt_layout layout, const char *argv0);

/* "1.27", "1.27.1" -> IGT_LAYOUT_1_27; "1.28", "2", "2.5"... -> 1_28; -1 */
int igt_parse_format(const char *s);

#define IGT_FORMAT_ENV		"NSGPUPERF_IGT_FORMAT"
#define IGT_FORMAT_FILE		"/etc/nsgpuperf/igt-format"
#define IGT_FORMAT_FILE_ENV	"NSGPUPERF_IGT_FORMAT_FILE"	/* tests */

#endif
