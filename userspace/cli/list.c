// SPDX-License-Identifier: GPL-2.0
/*
 * nsgpuperf list [-J]: the GPUs this process sees through nsgpuperf.
 *
 * The table: one row per GPU: name (pci.ids), PCI address, PMU, render
 * node, driver, bound, number of events.
 *
 * -J prints one JSON object (tab-indented, members in this order):
 *
 * {
 *	"device": "/dev/nsgpuperf",		the node opened
 *	"abi_version": 3,			the module's ABI
 *	"scope": {				this session's usage scope
 *		"kind": "container",		"container" (cgroup namespace
 *						root), "cgroup" (own cgroup: no
 *						cgroup namespace), "none"
 *		"path": "/"			as this cgroup namespace shows it
 *	},
 *	"gpus": [
 *		{
 *			"id": 0,			the module's GPU id
 *			"name": "Intel Corporation ...",	pci.ids, or
 *						"unknown device 8086:xxxx"
 *			"pci_address": "0000:00:02.0",
 *			"vendor_id": "8086",	hex, "" if unknown
 *			"device_id": "100e",
 *			"pmu": "i915",		PMU name on the event_source bus
 *			"pmu_type": 9,		perf_event_attr.type, 0 unbound
 *			"render_node": "/dev/dri/renderD128",	null if none
 *			"card_node": "/dev/dri/card0",		null if none
 *			"driver": "i915",
 *			"bound": true,
 *			"event_count": 22,	null when unbound (no events)
 *			"events": [		the PMU's events, as in sysfs
 *				{ "name": "rcs0-busy", "config": "0x0", "unit": "ns" },
 *				...
 *			]
 *		}
 *	]
 * }
 *
 * Exit: 0; 6 (and an empty "gpus" array, the reason on stderr) when no
 * GPU is in scope; the session's errors as documented in nsgpuperf.1.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void json_escaped(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_node(FILE *f, const char *node)
{
	if (node[0])
		json_escaped(f, node);
	else
		fputs("null", f);
}

static const char *scope_kind(uint32_t scope)
{
	switch (scope) {
	case NSGPUPERF_SCOPE_CGROUP_NS:
		return "container";
	case NSGPUPERF_SCOPE_OWN_CGROUP:
		return "cgroup";
	default:
		return "none";
	}
}

static void list_json(FILE *f, struct ngp_session *s)
{
	int i, j;

	fprintf(f, "{\n\t\"device\": ");
	json_escaped(f, s->path);
	fprintf(f, ",\n\t\"abi_version\": %u,\n", s->version.abi_version);
	fprintf(f, "\t\"scope\": {\n\t\t\"kind\": \"%s\",\n\t\t\"path\": ",
		scope_kind(s->version.scope));
	json_escaped(f, s->version.scope == NSGPUPERF_SCOPE_NONE ? "" :
		     s->version.scope_path);
	fprintf(f, "\n\t},\n\t\"gpus\": [");
	for (i = 0; i < s->nr_gpus; i++) {
		const struct ngp_gpu *g = &s->gpus[i];
		struct nsgpuperf_event_info *ev = NULL;
		int n = g->bound ? ngp_gpu_events(s, g, &ev, NULL) : -1;

		fprintf(f, "%s\n\t\t{\n", i ? "," : "");
		fprintf(f, "\t\t\t\"id\": %u,\n\t\t\t\"name\": ", g->id);
		json_escaped(f, g->name);
		fprintf(f, ",\n\t\t\t\"pci_address\": ");
		json_escaped(f, g->pci_addr);
		if (g->vendor_id)
			fprintf(f, ",\n\t\t\t\"vendor_id\": \"%04x\",\n\t\t\t\"device_id\": \"%04x\"",
				g->vendor_id, g->device_id);
		else
			fprintf(f, ",\n\t\t\t\"vendor_id\": \"\",\n\t\t\t\"device_id\": \"\"");
		fprintf(f, ",\n\t\t\t\"pmu\": ");
		json_escaped(f, g->pmu_name);
		fprintf(f, ",\n\t\t\t\"pmu_type\": %u,\n\t\t\t\"render_node\": ", g->pmu_type);
		json_node(f, g->render_node);
		fprintf(f, ",\n\t\t\t\"card_node\": ");
		json_node(f, g->card_node);
		fprintf(f, ",\n\t\t\t\"driver\": ");
		json_escaped(f, g->driver);
		fprintf(f, ",\n\t\t\t\"bound\": %s,\n", g->bound ? "true" : "false");
		if (n >= 0)
			fprintf(f, "\t\t\t\"event_count\": %d,\n", n);
		else
			fprintf(f, "\t\t\t\"event_count\": null,\n");
		fprintf(f, "\t\t\t\"events\": [");
		for (j = 0; j < n; j++) {
			fprintf(f, "%s\n\t\t\t\t{ \"name\": ", j ? "," : "");
			json_escaped(f, ev[j].name);
			fprintf(f, ", \"config\": \"0x%" PRIx64 "\", \"unit\": ",
				(uint64_t)ev[j].config);
			json_escaped(f, ev[j].unit);
			fprintf(f, " }");
		}
		fprintf(f, "%s]\n\t\t}", n > 0 ? "\n\t\t\t" : "");
		free(ev);
	}
	fprintf(f, "%s]\n}\n", s->nr_gpus ? "\n\t" : "");
}

static void list_table(FILE *f, struct ngp_session *s)
{
	int i;

	fprintf(f, "%-48s %-13s %-20s %-20s %-7s %-5s %s\n", "GPU", "PCI", "PMU",
		"RENDER", "DRIVER", "BOUND", "EVENTS");
	for (i = 0; i < s->nr_gpus; i++) {
		const struct ngp_gpu *g = &s->gpus[i];
		struct nsgpuperf_event_info *ev = NULL;
		int n = g->bound ? ngp_gpu_events(s, g, &ev, NULL) : -1;
		char events[16];

		free(ev);
		if (n >= 0)
			snprintf(events, sizeof(events), "%d", n);
		else
			snprintf(events, sizeof(events), "-");
		fprintf(f, "%-48.48s %-13s %-20s %-20s %-7s %-5s %s\n", g->name,
			g->pci_addr, g->pmu_name, g->render_node[0] ? g->render_node : "-",
			g->driver, g->bound ? "yes" : "no", events);
	}
}

static void list_usage(FILE *f)
{
	fprintf(f, "usage: nsgpuperf list [-J]\n"
		"  List the GPUs this process sees through nsgpuperf.\n"
		"  -J, --json   as JSON (schema in nsgpuperf(1))\n");
}

int list_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ngp_session s;
	struct ngp_error e = { 0 };
	bool json = false;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "Jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'J':
			json = true;
			break;
		case 'h':
			list_usage(stdout);
			return NGP_EXIT_OK;
		default:
			list_usage(stderr);
			return NGP_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nsgpuperf list: unexpected argument %s\n", argv[optind]);
		list_usage(stderr);
		return NGP_EXIT_USAGE;
	}
	ret = ngp_session_open(&s, NULL, &e);
	if (ret)
		return cli_fail("nsgpuperf", &e);
	if (json)
		list_json(stdout, &s);
	else
		list_table(stdout, &s);
	fflush(stdout);
	ret = NGP_EXIT_OK;
	if (!s.nr_gpus) {
		ngp_find_gpu(&s, NULL, &e);
		ret = cli_fail("nsgpuperf", &e);
	}
	ngp_session_close(&s);
	return ret;
}
