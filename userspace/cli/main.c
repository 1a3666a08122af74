// SPDX-License-Identifier: GPL-2.0
/*
 * nsgpuperf: GPU counters through /dev/nsgpuperf, for containers.
 *
 *   nsgpuperf [top] [-J | -c] [-s MS] [-n N] [-d DEV] [--cgroup PATH] [-p]
 *   nsgpuperf [top] [--openmetrics | --textfile DIR] ...
 *   nsgpuperf list [-J]
 *   nsgpuperf exporter --listen ADDR:PORT ...
 *   nsgpuperf host grant|revoke|list|restore ...   (on the host, host.c)
 *
 * Exit codes (enum ngp_exit): 0 ok (and --help), 1 other failure, 2 usage, 3 node missing / module not loaded, 4 an access rule refused
 * the open, 5 module ABI too old, 6 no GPU in scope or -d matched none.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *prog = "nsgpuperf";
static volatile sig_atomic_t stop;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nsgpuperf [top] [options]     live counters of one GPU\n"
		"       nsgpuperf list [-J]           the GPUs in scope\n"
		"       nsgpuperf exporter --listen ADDR:PORT   serve /metrics\n"
		"       nsgpuperf host grant NAME ...  on the host: give a container its\n"
		"                                      node (nsgpuperf host --help)\n"
		"\n"
		"options:\n"
		"  -d, --device DEV   the GPU: PCI address (0000:00:02.0, 00:02.0,\n"
		"                     pci:slot=...) or DRM node (/dev/dri/renderD128);\n"
		"                     default: the first in scope\n"
		"  -s, --period MS    sample period in ms (default %d)\n"
		"  -n, --count N      stop after N samples (default: until killed)\n"
		"      --cgroup PATH  this container's usage narrowed to a cgroup in it\n"
		"  -p, --physical     per engine instead of per engine class\n"
		"  -J, --json         JSON: intel_gpu_top 2.x's -J plus a \"cgroup\" object\n"
		"  -c, --csv          CSV: a header line, then a row per sample\n"
		"      --openmetrics  OpenMetrics on stdout, one exposition per sample\n"
		"      --textfile DIR write DIR/nsgpuperf.prom each sample (atomically),\n"
		"                     for node_exporter's textfile collector\n"
		"  -h, --help         this text\n"
		"\n"
		"The device is $" NGP_DEVICE_ENV " or " NGP_DEFAULT_DEVICE ".\n"
		"Exit codes: 0 ok, 1 failure, 2 usage, 3 node missing or module not\n"
		"loaded, 4 access refused, 5 module ABI too old, 6 no GPU in scope.\n",
		NGP_DEFAULT_PERIOD_MS);
}

static void on_signal(int sig)
{
	stop = sig;
}

enum out_mode { OUT_TOP, OUT_JSON, OUT_CSV, OUT_OPENMETRICS, OUT_TEXTFILE };

static const char *const mode_opts[] = {
	[OUT_TOP] = "", [OUT_JSON] = "-J", [OUT_CSV] = "-c", [OUT_OPENMETRICS] = "--openmetrics",
	[OUT_TEXTFILE] = "--textfile",
};

static int parse_ulong(const char *opt, const char *arg, unsigned long min,
		       unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || *out < min || *out > max) {
		fprintf(stderr, "%s: %s: not a number from %lu to %lu: %s\n", prog,
			opt, min, max, arg);
		return -1;
	}
	return 0;
}

/* One sample in the chosen output; 0 or the exit code. */
static const struct json_opts *our_json(const struct cli_opts *o)
{
	static struct json_opts jo = { .layout = IGT_LAYOUT_1_28, .cgroup = true };

	jo.physical = o->physical;
	return &jo;
}

static int emit(enum out_mode mode, const char *textfile, struct cli_sampler *cs,
		const struct cli_opts *o, struct ngp_error *e)
{
	const struct ngp_sample *samples[1] = { &cs->sample };
	const struct ngp_gpu *gpus[1] = { cs->gpu };

	switch (mode) {
	case OUT_JSON:
		json_sample(stdout, our_json(o), cs->gpu, &cs->sample, cs->index - 1);
		break;
	case OUT_CSV:
		if (cs->index == 1)
			csv_header(stdout, o, &cs->sample);
		csv_row(stdout, o, &cs->sample);
		break;
	case OUT_OPENMETRICS:
		om_write(stdout, gpus, samples, 1);
		break;
	case OUT_TEXTFILE:
		if (om_write_textfile(textfile, gpus, samples, 1, e))
			return cli_fail(prog, e);
		break;
	default:
		break;
	}
	fflush(stdout);
	return 0;
}

static int top_main(int argc, char **argv)
{
	enum { OPT_CGROUP = 256, OPT_OPENMETRICS, OPT_TEXTFILE };
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "period", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "physical", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'J' },
		{ "csv", no_argument, NULL, 'c' },
		{ "openmetrics", no_argument, NULL, OPT_OPENMETRICS },
		{ "textfile", required_argument, NULL, OPT_TEXTFILE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_opts o = { .period_ms = NGP_DEFAULT_PERIOD_MS, .count = -1 };
	enum out_mode mode = OUT_TOP, want;
	const char *textfile = NULL;
	static struct cli_sampler cs;
	struct ngp_error e = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned long v;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "d:s:n:pJch", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			o.device = optarg;
			break;
		case 's':
			if (parse_ulong("-s", optarg, 1, 3600000, &v))
				return NGP_EXIT_USAGE;
			o.period_ms = v;
			break;
		case 'n':
			if (parse_ulong("-n", optarg, 1, 1UL << 31, &v))
				return NGP_EXIT_USAGE;
			o.count = (long)v;
			break;
		case OPT_CGROUP:
			o.cgroup = optarg;
			break;
		case 'p':
			o.physical = true;
			break;
		case 'J':
		case 'c':
		case OPT_OPENMETRICS:
		case OPT_TEXTFILE:
			want = opt == 'J' ? OUT_JSON : opt == 'c' ? OUT_CSV :
			       opt == OPT_OPENMETRICS ? OUT_OPENMETRICS : OUT_TEXTFILE;
			if (mode != OUT_TOP && mode != want) {
				fprintf(stderr, "%s: %s and %s: one output at a time\n",
					prog, mode_opts[mode], mode_opts[want]);
				return NGP_EXIT_USAGE;
			}
			mode = want;
			if (opt == OPT_TEXTFILE)
				textfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return NGP_EXIT_OK;
		default:
			usage(stderr);
			return NGP_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument %s\n", prog, argv[optind]);
		usage(stderr);
		return NGP_EXIT_USAGE;
	}

	if (cli_sampler_open(&cs, &o, &e))
		return cli_fail(prog, &e);
	if (mode == OUT_TOP) {
		ret = top_view(&cs, &o);
		cli_sampler_close(&cs);
		return ret;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = NGP_EXIT_OK;
	if (mode == OUT_JSON)
		json_begin(stdout, our_json(&o));
	while (!stop && (o.count < 0 || cs.index < (unsigned long)o.count)) {
		int r = cli_sampler_next(&cs, &o, &e);

		if (r == -EINTR)
			continue;
		if (r) {
			ret = cli_fail(prog, &e);
			break;
		}
		ret = emit(mode, textfile, &cs, &o, &e);
		if (ret)
			break;
	}
	/*
	 * -J: "]" after the last sample, on -n or SIGINT, as intel_gpu_top 2.x;
	 * on SIGTERM nothing more, as it (which dies of it)
	 */
	if (mode == OUT_JSON && ret == NGP_EXIT_OK && stop != SIGTERM)
		json_end(stdout, our_json(&o));
	cli_sampler_close(&cs);
	return ret;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	base = base ? base + 1 : argv[0];
	if (!strcmp(base, "intel_gpu_top"))
		return igt_main(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "list"))
		return list_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "top"))
		return top_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "exporter"))
		return exporter_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "host"))
		return host_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "igt"))
		return igt_main(argc - 1, argv + 1);
	return top_main(argc, argv);
}
