// SPDX-License-Identifier: GPL-2.0
/*
 * The intel_gpu_top personality: "nsgpuperf igt ..." or nsgpuperf run as
 * intel_gpu_top (bind-mounted as /usr/bin/intel_gpu_top in a container
 * that has no intel-gpu-tools).  It reads the GPU through /dev/nsgpuperf
 * and prints what intel_gpu_top prints for its options, byte for byte
 * apart from the numbers.
 *
 * Which intel_gpu_top: --igt-format=1.27|1.28, else $NSGPUPERF_IGT_FORMAT,
 * else the first line of /etc/nsgpuperf/igt-format, else 1.27:
 *   1.27  Debian 12's intel-gpu-tools 1.27.1 (and older consumers, e.g.
 *         Frigate's images): -J without "[", physical engine names;
 *   1.28  the 1.28 and 2.x releases (as 2.5 prints): -J in "[" "]", class
 *         names, -p physical, -c CSV, -n COUNT.
 * Options (every format accepts all): -h -J -l -c -o FILE -s MS -n COUNT
 * -d FILTER -L -p -m (-m changes nothing outside the interactive view).
 * -d takes intel_gpu_top's filters: pci:slot=0000:00:02.0,
 * pci:vendor=8086[,device=XXXX][,card=N], drm:/dev/dri/renderD128,
 * sys:/sys/devices/pci0000:00/0000:00:02.0; also a bare PCI address or
 * node.  Without -d: the first Intel GPU in scope that is not at the
 * integrated slot 0000:00:02.0, else the integrated one, as it picks.
 *
 * As the real tool: the first sample at once, the output flushed after
 * each, until SIGINT (then 1.28's "]"), -n samples (1.28's "]" too) or
 * another signal (nothing more: SIGTERM's default action); "[" and "]"
 * on stdout even with -o FILE (2.x does so); clients from /proc fdinfo
 * (lib/clients.c) per pid, sorted by their busy time in the period.
 * Failures print a sentence saying what to do and exit 1, as
 * intel_gpu_top exits 1.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "igt.h"

#define DEFAULT_PERIOD_MS	1000
#define IGPU_PCI		"0000:00:02.0"
#define MAX_CLIENTS		4096

static volatile sig_atomic_t stop_top;

static void on_sigint(int sig)
{
	(void)sig;
	stop_top = 1;
}

/* ---- -h ------------------------------------------------------------------ */

static const char filters_127[] =
	"Filter types:\n"
	"---\n"
	"filter        syntax\n"
	"---\n"
	"sys           sys:/sys/devices/pci0000:00/0000:00:02.0\n"
	"              find device by its sysfs path\n"
	"\n"
	"drm           drm:/dev/dri/* path\n"
	"              find drm device by /dev/dri/* node\n"
	"\n"
	"pci           pci:[vendor=%04x/name][,device=%04x][,card=%d] | [slot=%04x:%02x:%02x.%x]\n"
	"              vendor is hex number or vendor name\n"
	"\n"
	"sriov         sriov:[vendor=%04x/name][,device=%04x][,card=%d][,pf=%d][,vf=%d]\n"
	"              find pf or vf\n"
	"\n";

static const char filters_2x[] =
	"device        device:[driver=name][,subsystem=all|<subsystem>][,device=type][,card=%d|all]\n"
	"              find device by driver name, subsystem, device type and card number\n"
	"\n";

void igt_usage(FILE *f, enum igt_layout layout, const char *argv0)
{
	fprintf(f, "intel_gpu_top - Display a top-like summary of Intel GPU usage\n"
		"\n"
		"Usage: %s [parameters]\n"
		"\n"
		"\tThe following parameters are optional:\n\n"
		"\t[-h]            Show this help text.\n", argv0);
	if (layout != IGT_LAYOUT_1_27)
		fputs("\t[-c]            Output CSV formatted data.\n", f);
	fprintf(f, "\t[-J]            Output JSON formatted data.\n"
		"\t[-l]            List plain text data.\n"
		"\t[-o <file|->]   Output to specified file or '-' for standard out.\n"
		"\t[-s <ms>]       Refresh period in milliseconds (default %ums).\n"
		"\t[-L]            List all cards.\n"
		"\t[-d <device>]   Device filter, please check manual page for more details.\n",
		DEFAULT_PERIOD_MS);
	if (layout != IGT_LAYOUT_1_27)
		fputs("\t[-p]            Default to showing physical engines instead of classes.\n"
		      "\t[-m]            Default to showing all memory regions.\n"
		      "\t[-n <number>]   Specify running time as <number - 1> * <refresh period>.\n"
		      "\t                Passing 0 (default) or negative number will run it in\n"
		      "\t                infinite loop until user breaks with q or Ctrl-C or sends\n"
		      "\t                a signal. With options -c, -J or -l it will print info\n"
		      "\t                <number> times.\n"
		      "\n"
		      "To access interactive help, press 'h' while the application is running.\n"
		      "Help for interactive commands:\n"
		      "\n"
		      "    '1'    Toggle between aggregated engine class and physical engine mode.\n"
		      "    'n'    Toggle display of numeric client busyness overlay.\n"
		      "    's'    Toggle between sort modes (runtime, total runtime, pid, client id).\n"
		      "    'i'    Toggle display of clients which used no GPU time.\n"
		      "    'H'    Toggle between per PID aggregation and individual clients.\n"
		      "    'm'    Toggle between aggregated memory regions and full breakdown.\n"
		      "\n"
		      "    'h' or 'q'    Exit interactive help.\n", f);
	fputs("\n", f);
	fputs(filters_127, f);
	if (layout != IGT_LAYOUT_1_27)
		fputs(filters_2x, f);
}

static void personality_help(const char *prog)
{
	printf("%s: intel_gpu_top's output from nsgpuperf (/dev/nsgpuperf)\n"
	       "\n"
	       "  --igt-format=1.27|1.28   which intel_gpu_top to be: 1.27 (1.27.1,\n"
	       "                           Debian 12; the default) or 1.28 (1.28 and\n"
	       "                           2.x); else $%s, else the first line of\n"
	       "                           %s\n"
	       "\n", prog, IGT_FORMAT_ENV, IGT_FORMAT_FILE);
}

/* ---- format ------------------------------------------------------------------ */

int igt_parse_format(const char *s)
{
	char *end;
	long major, minor = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	major = strtol(s, &end, 10);
	if (*end == '.' && (end[1] == 'x' || end[1] == 'X')) {
		end += 2;	/* "2.x" */
	} else if (*end == '.') {
		minor = strtol(end + 1, &end, 10);
		while (*end == '.' || isdigit((unsigned char)*end))
			end++;
	}
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (*end || major < 1)
		return -1;
	return major == 1 && minor <= 27 ? IGT_LAYOUT_1_27 : IGT_LAYOUT_1_28;
}

/* --igt-format, then the environment, then the file; -1 on a bad value. */
static int pick_format(const char *opt, const char *prog)
{
	const char *env = getenv(IGT_FORMAT_ENV), *path = getenv(IGT_FORMAT_FILE_ENV);
	char line[64] = "";
	const char *from;
	FILE *f;
	int l;

	if (opt) {
		from = "--igt-format";
	} else if (env && *env) {
		opt = env;
		from = "$" IGT_FORMAT_ENV;
	} else {
		path = path && *path ? path : IGT_FORMAT_FILE;
		f = fopen(path, "r");
		if (!f)
			return IGT_LAYOUT_1_27;
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
		opt = line;
		from = path;
	}
	l = igt_parse_format(opt);
	if (l < 0)
		fprintf(stderr, "%s: %s: \"%.*s\" is not an intel_gpu_top version; give 1.27 or 1.28\n",
			prog, from, (int)strcspn(opt, "\n"), opt);
	return l;
}

/* ---- -L ---------------------------------------------------------------------- */

static int card_cmp(const void *a, const void *b)
{
	return strcmp(((const struct igt_card *)a)->pci, ((const struct igt_card *)b)->pci);
}

void igt_list_cards(FILE *f, struct igt_card *cards, int n)
{
	char name[32], filter[96];
	int i, j, index;

	qsort(cards, n, sizeof(*cards), card_cmp);
	for (i = 0; i < n; i++) {
		/* a device is listed by its card node, as intel_gpu_top does */
		if (!cards[i].card[0])
			continue;
		for (index = 0, j = 0; j < i; j++)
			index += cards[j].vendor == cards[i].vendor &&
				 cards[j].device == cards[i].device;
		snprintf(name, sizeof(name), "%04x:%04x", cards[i].vendor, cards[i].device);
		snprintf(filter, sizeof(filter), "pci:vendor=%04X,device=%04X,card=%d",
			 cards[i].vendor, cards[i].device, index);
		fprintf(f, "%-24s %-30s    %s\n", cards[i].card, name, filter);
		if (cards[i].render[0])
			fprintf(f, "\u2514\u2500%-22s\n", cards[i].render);
	}
}

static const char *basename_of(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

static int list_cards(FILE *f)
{
	drmDevicePtr devs[64];
	struct igt_card cards[64];
	int n, i, k = 0;

	n = drmGetDevices2(0, devs, 64);
	for (i = 0; i < n; i++) {
		drmDevicePtr d = devs[i];
		struct igt_card *c = &cards[k];

		if (d->bustype != DRM_BUS_PCI)
			continue;
		memset(c, 0, sizeof(*c));
		if (d->available_nodes & (1 << DRM_NODE_PRIMARY))
			snprintf(c->card, sizeof(c->card), "%s", basename_of(d->nodes[DRM_NODE_PRIMARY]));
		if (d->available_nodes & (1 << DRM_NODE_RENDER))
			snprintf(c->render, sizeof(c->render), "%s",
				 basename_of(d->nodes[DRM_NODE_RENDER]));
		snprintf(c->pci, sizeof(c->pci), "%04x:%02x:%02x.%u", d->businfo.pci->domain,
			 d->businfo.pci->bus, d->businfo.pci->dev, d->businfo.pci->func);
		c->vendor = d->deviceinfo.pci->vendor_id;
		c->device = d->deviceinfo.pci->device_id;
		k++;
	}
	if (n > 0)
		drmFreeDevices(devs, n);
	igt_list_cards(f, cards, k);
	return 0;
}

/* ---- -d ---------------------------------------------------------------------- */

static bool is_intel(const struct ngp_gpu *g)
{
	return g->vendor_id == 0x8086 || (!g->vendor_id && !strcmp(g->driver, "i915"));
}

/* The in-scope GPUs sorted by PCI address (intel_gpu_top's scan order). */
static int sorted_gpus(const struct ngp_session *s, const struct ngp_gpu **out)
{
	int i, j, n = s->nr_gpus;

	for (i = 0; i < n; i++)
		out[i] = &s->gpus[i];
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(out[j - 1]->pci_addr, out[j]->pci_addr) > 0; j--) {
			const struct ngp_gpu *t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static const struct ngp_gpu *default_gpu(const struct ngp_session *s)
{
	const struct ngp_gpu *g[NGP_MAX_GPUS];
	int i, n = sorted_gpus(s, g);

	for (i = 0; i < n; i++)
		if (is_intel(g[i]) && strcmp(g[i]->pci_addr, IGPU_PCI))
			return g[i];
	for (i = 0; i < n; i++)
		if (is_intel(g[i]) && !strcmp(g[i]->pci_addr, IGPU_PCI))
			return g[i];
	return NULL;
}

/* "pci:vendor=8086,device=4680,card=1" (or slot=...) */
static const struct ngp_gpu *pci_filter(const struct ngp_session *s, const char *spec)
{
	const struct ngp_gpu *g[NGP_MAX_GPUS];
	char buf[128], *tok, *save, *end;
	long vendor = -1, device = -1, card = 0;
	int i, n = sorted_gpus(s, g);

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "slot=", 5)) {
			for (i = 0; i < n; i++)
				if (!strcasecmp(g[i]->pci_addr, tok + 5))
					return g[i];
			return NULL;
		} else if (!strncmp(tok, "vendor=", 7)) {
			if (!strcasecmp(tok + 7, "intel"))
				vendor = 0x8086;
			else if (!strcasecmp(tok + 7, "amd"))
				vendor = 0x1002;
			else if ((vendor = strtol(tok + 7, &end, 16)) < 0 || *end)
				return NULL;
		} else if (!strncmp(tok, "device=", 7)) {
			if ((device = strtol(tok + 7, &end, 16)) < 0 || *end)
				return NULL;
		} else if (!strncmp(tok, "card=", 5)) {
			if ((card = strtol(tok + 5, &end, 10)) < 0 || *end)
				return NULL;
		} else {
			return NULL;
		}
	}
	for (i = 0; i < n; i++) {
		if ((vendor >= 0 && g[i]->vendor_id != vendor) ||
		    (device >= 0 && g[i]->device_id != device))
			continue;
		if (!card--)
			return g[i];
	}
	return NULL;
}

static const struct ngp_gpu *filter_gpu(const struct ngp_session *s, const char *spec)
{
	const struct ngp_gpu *g;
	struct ngp_error e;
	int i;

	if (!strncmp(spec, "pci:", 4))
		return pci_filter(s, spec + 4);
	if (!strncmp(spec, "drm:", 4) || !strncmp(spec, "sys:", 4)) {
		const char *want = spec + 4, *base = basename_of(want);

		for (i = 0; i < s->nr_gpus; i++) {
			const struct ngp_gpu *g = &s->gpus[i];

			if (!strcmp(g->render_node, want) || !strcmp(g->card_node, want) ||
			    (spec[0] == 's' && !strcmp(g->pci_addr, base)))
				return g;
		}
		return NULL;
	}
	if (!strncmp(spec, "sriov:", 6) || !strncmp(spec, "device:", 7))
		return NULL;	/* no virtual functions in scope; no driver filter */
	/* beyond intel_gpu_top: what nsgpuperf -d takes (00:02.0, renderD128) */
	g = ngp_find_gpu(s, spec, &e);
	if (!g)
		fprintf(stderr, "No filter class matching [%s]\n", spec);
	return g;
}

/* ---- the sampling loop ----------------------------------------------------------- */

enum mode { INTERACTIVE, TEXT, CSV, JSON };

static int cmp_127(const void *pa, const void *pb)
{
	const struct ngp_client *a = pa, *b = pb;
	long d = (long)b->delta_sum_ns - (long)a->delta_sum_ns;

	if (d)
		return d > 0 ? 1 : -1;
	/* 1.27.1's tie-break on (unsigned)-pid ids: ascending pid */
	return (int)((unsigned int)b->id - (unsigned int)a->id);
}

static int cmp_2x(const void *pa, const void *pb)
{
	const struct ngp_client *a = pa, *b = pb;

	if (a->delta_sum_ns != b->delta_sum_ns)
		return b->delta_sum_ns > a->delta_sum_ns ? 1 : -1;
	/* 2.x's: ascending id, that is descending pid */
	return a->id > b->id ? 1 : a->id < b->id ? -1 : 0;
}

static double now_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_RAW, &ts))
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

struct run {
	enum igt_layout layout;
	enum mode mode;
	bool physical;
	long count;		/* -n, <= 0: until stopped */
	unsigned int period_us;
	FILE *out;
	const char *prog;
};

static int fail(const char *prog, const struct ngp_error *e)
{
	fprintf(stderr, "%s: %s\n", prog, e->msg[0] ? e->msg : strerror(-e->err));
	return EXIT_FAILURE;
}

static int sample_loop(struct run *r, struct ngp_session *s, const struct ngp_gpu *gpu)
{
	struct json_opts jo = { .layout = r->layout, .physical = r->physical };
	static struct ngp_client view[MAX_CLIENTS];
	static struct ngp_sample sample;
	struct ngp_reader reader = { .group_fd = -1 };
	struct ngp_raw prev, cur;
	struct ngp_clients clients;
	struct json_clients jc = { .c = view };
	struct igt_text text;
	struct ngp_error e = { 0 };
	unsigned int index = 0;
	bool show_clients;
	double scan_at = 0;
	int support, ret = EXIT_SUCCESS;

	if (ngp_reader_open(s, gpu, &reader, &e) || ngp_reader_read(&reader, &prev, &e))
		return fail(r->prog, &e);
	/* 1.27.1 shows clients when fdinfo has busy times, 2.x memory too */
	support = ngp_clients_supported(gpu);
	show_clients = r->layout == IGT_LAYOUT_1_27 ? support == 1 : support > 0;
	ngp_clients_init(&clients, gpu);
	if (show_clients) {
		ngp_clients_scan(&clients);
		scan_at = now_us();
	}
	igt_text_init(&text, r->layout, r->physical, r->mode == CSV, isatty(fileno(r->out)));
	if (r->mode == JSON)
		json_begin(stdout, &jo);	/* stdout even with -o (2.x) */

	while (!stop_top) {
		if (ngp_reader_read(&reader, &cur, &e)) {
			ret = fail(r->prog, &e);
			break;
		}
		ngp_rates(&reader.layout, &prev, &cur, &sample);
		prev = cur;
		if (show_clients) {
			double t = now_us();

			ngp_clients_scan(&clients);
			jc.nr = ngp_clients_by_pid(&clients, view, MAX_CLIENTS);
			qsort(view, jc.nr, sizeof(view[0]),
			      r->layout == IGT_LAYOUT_1_27 ? cmp_127 : cmp_2x);
			/* 1.27.1 divides by the period asked for, 2.x by the time
			 * between its scans
			 */
			jc.period_us = r->layout == IGT_LAYOUT_1_27 ? (double)r->period_us :
				       (double)(unsigned long)(t - scan_at);
			scan_at = t;
		}
		if (stop_top)
			break;
		if (r->mode == JSON)
			json_sample_clients(r->out, &jo, gpu, &sample, index,
					    show_clients ? &jc : NULL);
		else
			igt_text_sample(r->out, &text, &sample);
		index++;
		if (r->count > 0 && index >= (unsigned long)r->count)
			break;
		if (stop_top)
			break;
		usleep(r->period_us);
	}
	if (r->mode == JSON && ret == EXIT_SUCCESS)
		json_end(stdout, &jo);
	ngp_clients_fini(&clients);
	ngp_reader_close(&reader);
	return ret;
}

/* No -J/-l/-c on a terminal: nsgpuperf's live view of the same GPU. */
static int interactive(struct run *r, const struct ngp_gpu *gpu)
{
	struct cli_opts o = {
		.device = gpu->pci_addr, .period_ms = r->period_us / 1000,
		.count = r->count > 0 ? r->count : -1, .physical = r->physical,
	};
	static struct cli_sampler cs;
	struct ngp_error e = { 0 };
	int ret;

	if (!o.period_ms)
		o.period_ms = 1;
	if (cli_sampler_open(&cs, &o, &e))
		return fail(r->prog, &e);
	ret = top_view(&cs, &o);
	cli_sampler_close(&cs);
	return ret;
}

int igt_main(int argc, char **argv)
{
	enum { OPT_FORMAT = 256, OPT_HELP };
	static const struct option longopts[] = {
		{ "igt-format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct run r = { .mode = INTERACTIVE, .period_us = DEFAULT_PERIOD_MS * 1000 };
	const char *format = NULL, *output_path = NULL, *device = NULL;
	bool list = false, help = false, personality = false;
	static struct ngp_session session;
	struct sigaction sa = { .sa_handler = on_sigint };
	const struct ngp_gpu *gpu;
	struct ngp_error e = { 0 };
	int ch, l, ret;

	/* "nsgpuperf igt": argv[0] is "igt" */
	r.prog = !strcmp(argv[0], "igt") ? "nsgpuperf igt" : argv[0];
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:s:d:n:mpcJLlh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			output_path = optarg;
			break;
		case 's':
			r.period_us = atoi(optarg) * 1000;
			break;
		case 'd':
			device = optarg;
			break;
		case 'n':
			r.count = atoi(optarg);
			break;
		case 'p':
			r.physical = true;
			break;
		case 'm':
			break;
		case 'c':
			r.mode = CSV;
			break;
		case 'J':
			r.mode = JSON;
			break;
		case 'L':
			list = true;
			break;
		case 'l':
			r.mode = TEXT;
			break;
		case 'h':
			help = true;
			break;
		case OPT_FORMAT:
			format = optarg;
			break;
		case OPT_HELP:
			help = personality = true;
			break;
		default:
			l = pick_format(format, r.prog);
			fprintf(stderr, "Invalid option %c!\n", (char)optopt);
			igt_usage(stdout, l < 0 ? IGT_LAYOUT_1_27 : l, r.prog);
			return EXIT_FAILURE;
		}
		if (help)
			break;
	}
	l = pick_format(format, r.prog);
	if (l < 0)
		return EXIT_FAILURE;
	r.layout = l;
	if (help) {
		if (personality)
			personality_help(r.prog);
		igt_usage(stdout, r.layout, r.prog);
		return EXIT_SUCCESS;
	}
	/* 1.27.1 has no class view: its -J and -l show engines */
	if (r.layout == IGT_LAYOUT_1_27)
		r.physical = true;
	if (r.mode == INTERACTIVE && (output_path || isatty(1) != 1))
		r.mode = TEXT;
	r.out = stdout;
	if (output_path && strcmp(output_path, "-")) {
		r.out = fopen(output_path, "w");
		if (!r.out) {
			fprintf(stderr, "Failed to open output file - '%s'!\n", strerror(errno));
			return EXIT_FAILURE;
		}
	}
	sigaction(SIGINT, &sa, NULL);

	if (list)
		return list_cards(stdout);

	if (ngp_session_open(&session, NULL, &e))
		return fail(r.prog, &e);
	if (device) {
		gpu = filter_gpu(&session, device);
		if (!gpu)
			fprintf(stderr, "Requested device %s not found!\n", device);
	} else {
		gpu = default_gpu(&session);
		if (!gpu)
			fprintf(stderr, "No device filter specified and no discrete/integrated i915 devices found\n");
	}
	if (!gpu) {
		ngp_session_close(&session);
		return EXIT_FAILURE;
	}
	if (r.mode == INTERACTIVE)
		ret = interactive(&r, gpu);
	else
		ret = sample_loop(&r, &session, gpu);
	ngp_session_close(&session);
	if (r.out != stdout)
		fclose(r.out);
	return ret;
}
