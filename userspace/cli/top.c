// SPDX-License-Identifier: GPL-2.0
/*
 * nsgpuperf top: the live view.
 *
 * One screen per period: the GPU, requested/actual frequency, RC6, IRQ/s,
 * a busy bar per engine class (or per engine after '1') with wait and sema,
 * and this container's own share of each class from its cgroup usage,
 * with the scope it covers.  Keys: q (or Esc) quits, 1 toggles classes and
 * engines.  Drawing is ncurses (a resize redraws at the new size); when
 * stdout is not a terminal, or no terminfo describes it, each period is
 * one line of text instead, so `nsgpuperf top | tee log` still works.
 */
#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define LABEL_W		14	/* "VideoEnhance/1" */
#define FIGURES_W	24	/* " 100.0%  100.0%  100.0%" */

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* One row of the engine table: a class mean or a single engine. */
struct top_row {
	char label[24];
	double pct[NGP_NR_SAMPLERS];
	bool has[NGP_NR_SAMPLERS];
};

static int engine_rows(const struct ngp_sample *s, bool physical,
		       struct top_row *rows, int max)
{
	int n = 0, i, k;

	if (physical) {
		for (i = 0; i < s->nr_engines && n < max; i++) {
			const struct ngp_engine_rate *er = &s->engines[i];

			snprintf(rows[n].label, sizeof(rows[n].label), "%s/%u",
				 ngp_class_name(er->engine->class),
				 er->engine->instance);
			for (k = 0; k < NGP_NR_SAMPLERS; k++) {
				rows[n].pct[k] = er->pct[k];
				rows[n].has[k] = er->has[k];
			}
			n++;
		}
		return n;
	}
	for (i = 0; i < NGP_NR_CLASSES && n < max; i++) {
		const struct ngp_class_rate *cr = &s->classes[i];

		if (!cr->nr_engines)
			continue;
		snprintf(rows[n].label, sizeof(rows[n].label), "%s",
			 ngp_class_name(cr->class));
		for (k = 0; k < NGP_NR_SAMPLERS; k++) {
			rows[n].pct[k] = cr->pct[k];
			rows[n].has[k] = cr->has[k];
		}
		n++;
	}
	return n;
}

static const char *usage_class_label(const struct ngp_usage *u, int i)
{
	if (u->classes[i].class < NGP_NR_CLASSES)
		return ngp_class_name(u->classes[i].class);
	return u->classes[i].fdinfo_name;
}

/* "container" ("host"), or the sub-cgroup the scope was narrowed to */
static void usage_title(const struct ngp_usage *u, char *buf, size_t len)
{
	/* the host's own processes see every client: not a share */
	const char *what = strcmp(u->scope_label, "host") ?
			   "This container's share" : "Usage by DRM clients";

	if (!u->available)
		snprintf(buf, len, "%s: n/a (%s)", what, u->why);
	else
		snprintf(buf, len, "%s (scope: %s, %u client%s)%s", what,
			 u->scope_label, u->nr_clients, u->nr_clients == 1 ? "" : "s",
			 u->incomplete ? ": n/a, some clients report no usage" : "");
}

/* ---- text lines --------------------------------------------------------- */

static void text_line(FILE *f, const struct cli_sampler *cs, bool physical)
{
	const struct ngp_sample *s = &cs->sample;
	const struct ngp_usage *u = &s->usage;
	struct top_row rows[NGP_MAX_ENGINES];
	int n = engine_rows(s, physical, rows, NGP_MAX_ENGINES), i;

	fprintf(f, "%s", cs->gpu->pci_addr);
	if (s->has_freq_req || s->has_freq_act)
		fprintf(f, " freq %.0f/%.0f MHz", s->freq_req, s->freq_act);
	if (s->has_rc6)
		fprintf(f, " rc6 %.1f%%", s->rc6);
	if (s->has_irq)
		fprintf(f, " irq %.0f/s", s->irq);
	for (i = 0; i < n; i++)
		fprintf(f, " %s %.1f%%", rows[i].label, rows[i].pct[NGP_BUSY]);
	if (!u->available || u->incomplete) {
		fprintf(f, " share n/a");
	} else {
		fprintf(f, " share(%s, %u client%s)", u->scope_label, u->nr_clients,
			u->nr_clients == 1 ? "" : "s");
		for (i = 0; i < u->nr_classes; i++)
			fprintf(f, " %s %.1f%%", usage_class_label(u, i),
				u->classes[i].pct);
	}
	fputc('\n', f);
	fflush(f);
}

static int run_text(struct cli_sampler *cs, const struct cli_opts *o)
{
	struct ngp_error e = { 0 };
	long taken = 0;

	while (!stop_requested && (o->count < 0 || taken < o->count)) {
		if (cli_sampler_next(cs, o, &e))
			return stop_requested ? NGP_EXIT_OK : cli_fail("nsgpuperf", &e);
		text_line(stdout, cs, o->physical);
		taken++;
	}
	return NGP_EXIT_OK;
}

/* ---- the screen ----------------------------------------------------------- */

static void draw_bar(int y, int x, int width, double pct)
{
	int fill, i;

	if (width < 3)
		return;
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	fill = (int)((width - 2) * pct / 100.0 + 0.5);
	mvaddch(y, x, '|');
	for (i = 0; i < width - 2; i++)
		addch(i < fill ? '#' : ' ');
	addch('|');
}

static void draw_pct(bool has, double pct)
{
	if (has)
		printw(" %6.1f%%", pct);
	else
		printw("     n/a");
}

static void draw(const struct cli_sampler *cs, bool physical)
{
	const struct ngp_sample *s = &cs->sample;
	const struct ngp_gpu *g = cs->gpu;
	const struct ngp_usage *u = &s->usage;
	struct top_row rows[NGP_MAX_ENGINES];
	int n = engine_rows(s, physical, rows, NGP_MAX_ENGINES);
	int bar_w = COLS - LABEL_W - FIGURES_W - 2;
	char title[NSGPUPERF_PATH_LEN + 200];
	int y = 0, i;

	erase();
	attron(A_BOLD);
	mvprintw(y++, 0, "nsgpuperf top - %s", g->name);
	attroff(A_BOLD);
	mvprintw(y++, 0, "%s  %s  %s  period %.0f ms", g->pci_addr,
		 g->render_node[0] ? g->render_node : "no render node",
		 g->pmu_name, s->period_ms);
	move(y++, 0);
	if (s->has_freq_req)
		printw("req %5.0f MHz  ", s->freq_req);
	if (s->has_freq_act)
		printw("act %5.0f MHz  ", s->freq_act);
	if (s->has_rc6)
		printw("RC6 %5.1f%%  ", s->rc6);
	if (s->has_irq)
		printw("IRQ %6.0f/s", s->irq);
	y++;

	attron(A_REVERSE);
	mvprintw(y, 0, "%-*s", COLS, "");
	mvprintw(y++, 0, "%-*s %*s %7s %7s %7s", LABEL_W,
		 physical ? "ENGINE" : "CLASS", bar_w > 0 ? bar_w : 0, "",
		 "BUSY", "WAIT", "SEMA");
	attroff(A_REVERSE);
	for (i = 0; i < n && y < LINES - 4; i++, y++) {
		mvprintw(y, 0, "%-*.*s", LABEL_W, LABEL_W, rows[i].label);
		draw_bar(y, LABEL_W + 1, bar_w, rows[i].pct[NGP_BUSY]);
		move(y, LABEL_W + 1 + (bar_w > 0 ? bar_w : 0));
		draw_pct(rows[i].has[NGP_BUSY], rows[i].pct[NGP_BUSY]);
		draw_pct(rows[i].has[NGP_WAIT], rows[i].pct[NGP_WAIT]);
		draw_pct(rows[i].has[NGP_SEMA], rows[i].pct[NGP_SEMA]);
	}
	y++;

	usage_title(u, title, sizeof(title));
	attron(A_BOLD);
	mvprintw(y++, 0, "%.*s", COLS, title);
	attroff(A_BOLD);
	for (i = 0; u->available && i < u->nr_classes && y < LINES - 1; i++, y++) {
		mvprintw(y, 0, "%-*.*s", LABEL_W, LABEL_W, usage_class_label(u, i));
		if (u->incomplete) {
			mvprintw(y, LABEL_W + 1 + (bar_w > 0 ? bar_w : 0), "     n/a");
			continue;
		}
		draw_bar(y, LABEL_W + 1, bar_w, u->classes[i].pct);
		move(y, LABEL_W + 1 + (bar_w > 0 ? bar_w : 0));
		draw_pct(true, u->classes[i].pct);
	}

	attron(A_REVERSE);
	mvprintw(LINES - 1, 0, "%-*s", COLS, "");
	mvprintw(LINES - 1, 0, " q quit   1 %s ",
		 physical ? "engine classes" : "each engine");
	attroff(A_REVERSE);
	refresh();
}

/* Wait for keys until the next sample is due; false: quit. */
static bool handle_keys(struct cli_sampler *cs, const struct cli_opts *o,
			bool *physical)
{
	long due;
	int ch;

	while (!stop_requested && (due = cli_sampler_due_ms(cs, o)) > 0) {
		timeout((int)due);
		ch = getch();
		switch (ch) {
		case 'q':
		case 'Q':
		case 27:	/* Esc */
			return false;
		case '1':
			*physical = !*physical;
			draw(cs, *physical);
			break;
		case KEY_RESIZE:
			draw(cs, *physical);
			break;
		default:
			break;
		}
	}
	return !stop_requested;
}

static int run_screen(struct cli_sampler *cs, const struct cli_opts *o)
{
	struct ngp_error e = { 0 };
	bool physical = o->physical;
	int ret = NGP_EXIT_OK;
	long taken = 0;

	if (!newterm(NULL, stdout, stdin)) {
		fprintf(stderr,
			"nsgpuperf: no terminfo entry for TERM=%s; printing lines (set TERM, or install ncurses-base/ncurses-terminfo-base)\n",
			getenv("TERM") ? getenv("TERM") : "");
		return run_text(cs, o);
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);

	while (!stop_requested && (o->count < 0 || taken < o->count)) {
		if (cli_sampler_next(cs, o, &e)) {
			endwin();
			return stop_requested ? NGP_EXIT_OK : cli_fail("nsgpuperf", &e);
		}
		taken++;
		draw(cs, physical);
		if (o->count >= 0 && taken >= o->count)
			break;
		if (!handle_keys(cs, o, &physical))
			break;
	}
	endwin();
	return ret;
}

/**
 * top_view() - the live view, until q, a signal, or -n samples
 * @cs: an open sampler
 * @o: the command line's options
 *
 * Return: the exit code.
 */
int top_view(struct cli_sampler *cs, const struct cli_opts *o)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		return run_text(cs, o);
	return run_screen(cs, o);
}
