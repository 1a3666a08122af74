// SPDX-License-Identifier: GPL-2.0
/*
 * nsgpuperf top under a real terminal: tmux (Debian's, with its libraries
 * and the "screen" terminfo copied into the VM) runs the live view as root
 * of a container (user namespace 0 -> 100000 with its own cgroup
 * namespace, the nsgpuperf node owned by 100000) on a mock GPU driven to
 * known rates; capture-pane shows the screen as a user would see it.
 *
 * Checked: the title names the GPU, the frequency/RC6/IRQ line shows the
 * driven values, each engine class of the GPU has a row and Render/3D's
 * busy is the driven 25%, the container's share is titled with its scope
 * ("container") and its one DRM client; key 1 switches to one row per engine ("Render/3D/0");
 * a resize redraws at the new width; q quits (the tmux session ends).
 * The captures go to the log (the note shows one).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "igt_top.h"
#include "nsgp_test.h"
#include "nsgp_usage.h"

#define TMUX		"/usr/bin/tmux"
#define SOCK		"/tmp/top-test.sock"
#define CT_NODE		"/tmp/ct-nsgpuperf"
#define READER		"/tests/nsgpuperf"
#define COLS		"100"
#define CT_CG		CG "/top-test"	/* the container's cgroup */
#define ROWS		"30"


/* Run tmux with these arguments as the container's root; 0 or -errno. */
static int tmux(struct tool_run *r, const char *const *args)
{
	const char *argv[24] = { TMUX, "-S", SOCK };
	static const char * const env[] = { "TERM=screen", "LC_ALL=C.UTF-8", NULL };
	struct tool_cmd c = {
		.argv = argv, .map = CT_MAP, .cgroup = CT_CG, .env = env, .timeout_s = 30,
	};
	int i = 3;

	while (*args && i < 23)
		argv[i++] = *args++;
	argv[i] = NULL;
	return tool_run(r, &c);
}

/* The pane's text, in r->out. */
static int capture(struct tool_run *r)
{
	static const char * const args[] = { "capture-pane", "-p", "-t", "top", NULL };

	return tmux(r, args);
}

static void pause_ms(int ms)
{
	usleep(ms * 1000);
}

/* Wait until the pane shows text (the view draws its first sample). */
static bool wait_for(struct tool_run *r, const char *text)
{
	int i;

	for (i = 0; i < 60; i++) {
		if (capture(r)) {
			printf("# capture-pane failed to start\n");
			return false;
		}
		if (!tool_exited(r, 0))
			printf("# capture-pane: status 0x%x: %s\n", r->status, r->err);
		if (strstr(r->out, text))
			return true;
		tool_free(r);
		pause_ms(250);
	}
	capture(r);	/* what it showed instead, for the log */
	return false;
}

/* The number on the line that starts with label, after it; NAN if none. */
static double row_value(const char *screen, const char *label)
{
	const char *p = screen;
	size_t n = strlen(label);

	while (p && *p) {
		if (!strncmp(p, label, n) && p[n] == ' ') {
			const char *pct = strchr(p, '%');
			const char *eol = strchr(p, '\n');

			/* the first figure after the bar: "...|  25.0%" */
			if (pct && (!eol || pct < eol)) {
				const char *q = pct;

				while (q > p && (q[-1] == '.' || (q[-1] >= '0' && q[-1] <= '9')))
					q--;
				return strtod(q, NULL);
			}
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NAN;
}

/* Column of the last '|' on the row that starts with label, or -1. */
static int bar_end(const char *screen, const char *label)
{
	const char *line = screen, *eol, *p;
	size_t n = strlen(label);
	int col = -1;

	for (; line && *line; line = eol ? eol + 1 : NULL) {
		eol = strchr(line, '\n');
		if (strncmp(line, label, n) || line[n] != ' ')
			continue;
		for (p = line; *p && p != eol; p++)
			if (*p == '|')
				col = (int)(p - line);
		return col;
	}
	return -1;
}

FIXTURE(top) {
	struct client client;	/* a DRM client of the container */
};

FIXTURE_SETUP(top)
{
	static const char * const start[] = {
		"new-session", "-d", "-s", "top", "-x", COLS, "-y", ROWS,
		"env NSGPUPERF_DEVICE=" CT_NODE " " READER " top -s 500 -d " GPU1_PCI, NULL,
	};
	struct tool_run r;
	char node[64];
	int s;

	ASSERT_EQ(0, access(TMUX, X_OK)) TH_LOG("tmux missing in the VM");
	ASSERT_EQ(0, access(READER, X_OK)) TH_LOG("%s missing in the VM", READER);
	ASSERT_EQ(0, drive_gpus());
	unlink(CT_NODE);
	ASSERT_EQ(0, nsgp_mknod(CT_NODE, CT_UID, CT_UID, 0600));
	unlink(SOCK);
	ASSERT_TRUE(!mkdir(CT_CG, 0755) || errno == EEXIST);
	s = nsgp_open(NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, render_node(s, GPU1_PCI, node, sizeof(node)));
	close(s);
	self->client = start_client(CT_CG, node, 1000000, 0);
	ASSERT_LT(0, self->client.pid);
	ASSERT_EQ(0, tmux(&r, start));
	if (!tool_exited(&r, 0))
		TH_LOG("tmux new-session: status 0x%x: %s", r.status, r.err);
	ASSERT_TRUE(tool_exited(&r, 0));
	tool_free(&r);
}

FIXTURE_TEARDOWN(top)
{
	static const char * const kill[] = { "kill-server", NULL };
	struct tool_run r;

	if (!tmux(&r, kill))
		tool_free(&r);
	unlink(SOCK);
	unlink(CT_NODE);
	if (self->client.pid > 0)
		stop_client(&self->client);
	mock_still(GPU1_PCI);
}

TEST_F_TIMEOUT(top, screen_keys_and_quit, 180)
{
	static const char * const key1[] = { "send-keys", "-t", "top", "1", NULL };
	static const char * const keyq[] = { "send-keys", "-t", "top", "q", NULL };
	static const char * const has[] = { "has-session", "-t", "top", NULL };
	static const char * const wide[] = { "resize-window", "-t", "top", "-x", "120", NULL };
	static const char * const classes[] = { "Render/3D", "Blitter", "Video", "VideoEnhance" };
	struct tool_run r;
	double busy;
	unsigned int i;
	char *line;

	/* the second sample is a full period: wait for it, then capture */
	ASSERT_TRUE(wait_for(&r, "period 5")) TH_LOG("no view:\n%s\n%s", r.out, r.err);
	tool_free(&r);
	pause_ms(1200);
	ASSERT_EQ(0, capture(&r));
	TH_LOG("capture (classes):\n%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "nsgpuperf top - "));
	EXPECT_NE(NULL, strstr(r.out, GPU1_PCI));
	EXPECT_NE(NULL, strstr(r.out, "This container's share (scope: container, 1 client)"));
	for (i = 0; i < ARRAY_SIZE(classes); i++)
		EXPECT_FALSE(isnan(row_value(r.out, classes[i])))
			TH_LOG("no row for %s", classes[i]);
	busy = row_value(r.out, "Render/3D");
	EXPECT_TRUE(busy > 22.5 && busy < 27.5) TH_LOG("Render/3D busy %.1f, driven 25", busy);
	line = strstr(r.out, "req ");
	ASSERT_NE(NULL, line);
	EXPECT_TRUE(fabs(strtod(line + 4, NULL) - mock_want.req_mhz) < mock_want.req_mhz * 0.1);
	line = strstr(r.out, "act ");
	ASSERT_NE(NULL, line);
	EXPECT_TRUE(fabs(strtod(line + 4, NULL) - mock_want.act_mhz) < mock_want.act_mhz * 0.1);
	line = strstr(r.out, "RC6 ");
	ASSERT_NE(NULL, line);
	EXPECT_TRUE(fabs(strtod(line + 4, NULL) - mock_want.rc6_pct) < 4);
	tool_free(&r);

	/* 1: one row per engine */
	ASSERT_EQ(0, tmux(&r, key1));
	tool_free(&r);
	ASSERT_TRUE(wait_for(&r, "Render/3D/0"));
	TH_LOG("capture (engines):\n%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "ENGINE"));
	EXPECT_NE(NULL, strstr(r.out, "Video/1"));
	busy = row_value(r.out, "Video/1");
	EXPECT_TRUE(busy > 67.5 && busy < 82.5) TH_LOG("Video/1 busy %.1f, driven 75", busy);

	/*
	 * A resize redraws at the new width: the busy bar spans the columns
	 * the figures leave, so its closing '|' moves with the width.
	 */
	EXPECT_EQ(atoi(COLS) - 26, bar_end(r.out, "Render/3D/0"));
	tool_free(&r);
	ASSERT_EQ(0, tmux(&r, wide));
	tool_free(&r);
	pause_ms(500);
	ASSERT_EQ(0, capture(&r));
	TH_LOG("capture (120 columns):\n%s", r.out);
	EXPECT_EQ(120 - 26, bar_end(r.out, "Render/3D/0"));
	tool_free(&r);

	/* q: the view ends, and with it the only window of the session */
	ASSERT_EQ(0, tmux(&r, keyq));
	tool_free(&r);
	for (i = 0; i < 20; i++) {
		pause_ms(250);
		ASSERT_EQ(0, tmux(&r, has));
		if (!tool_exited(&r, 0)) {
			tool_free(&r);
			break;
		}
		tool_free(&r);
	}
	EXPECT_GT(20, i) TH_LOG("still running after q");
}

TEST_HARNESS_MAIN
