// SPDX-License-Identifier: GPL-2.0
/*
 * Metrics for Prometheus: --openmetrics (stdout), --textfile DIR
 * (node_exporter's textfile collector) and `nsgpuperf exporter` (HTTP).
 *
 * Formats.  --openmetrics and an exporter scrape whose Accept header
 * offers application/openmetrics-text get OpenMetrics 1.0 text: "# HELP",
 * "# TYPE" and "# UNIT" per family, a counter family named without its
 * "_total", an info family for the GPU, the exposition ends with "# EOF".
 * --textfile and every other scrape get the Prometheus text format 0.0.4,
 * which is what node_exporter's textfile collector and `promtool check
 * metrics` parse: there the "# TYPE" line names the sample ("..._total"),
 * there is no "info" type (a gauge "..._info" of value 1 instead), and no
 * "# UNIT" or "# EOF" (that parser would skip them as comments, but they
 * are not its format).  The samples are the same in both.  No timestamps:
 * the scraper stamps them (node_exporter refuses a textfile that has some).
 *
 * Units are base units: seconds (not ns), hertz (not MHz).  Counters are
 * the totals since nsgpuperf opened the GPU's counter group: a restart is
 * a counter reset, which rate() handles.  Time totals are printed exactly
 * (ns as a decimal number of seconds).
 *
 *   nsgpuperf_gpu_info{gpu,name,driver,pmu,render_node}       info, 1
 *   nsgpuperf_enabled_seconds_total{gpu}                      counter
 *       the counters' own clock (perf's time_enabled): divide another
 *       counter's increase by this one's for an exact ratio
 *   nsgpuperf_frequency_requested_hertz{gpu}                  gauge
 *   nsgpuperf_frequency_actual_hertz{gpu}                     gauge
 *       mean over the last sampling period (multi-GT: over the GTs)
 *   nsgpuperf_rc6_residency_seconds_total{gpu}                counter
 *   nsgpuperf_interrupts_total{gpu}                           counter
 *   nsgpuperf_engine_busy_seconds_total{gpu,engine,class}     counter
 *   nsgpuperf_engine_wait_seconds_total{gpu,engine,class}     counter
 *   nsgpuperf_engine_sema_seconds_total{gpu,engine,class}     counter
 *       engine "rcs0", "vcs1"...; class "render", "copy", "video",
 *       "video-enhance", "compute" (fdinfo's names)
 *   nsgpuperf_cgroup_usage_available{gpu[,scope][,reason]}    gauge, 1/0
 *   nsgpuperf_cgroup_clients{gpu,scope}                       gauge
 *   nsgpuperf_cgroup_busy_seconds_total{gpu,class,scope}      counter
 *       this container's (or --cgroup's) own DRM clients' busy time per
 *       engine class, summed over the class's engines (so up to N s/s on a
 *       class of N engines); scope "container" ("host" on the host) or the --cgroup path.  When
 *       usage is unavailable (i915 with GuC before 6.5, host policy, no
 *       cgroup scope) or incomplete (some clients report none), these
 *       series are left out, never 0, and _available is 0 with a reason.
 *
 * A counter or gauge the GPU lacks (no RC6, no interrupts event) is left
 * out.  Label values are escaped (\\, \", \n) and made valid UTF-8.
 *
 * --textfile DIR writes DIR/nsgpuperf.prom each period as a temporary
 * file in DIR (".nsgpuperf.prom.XXXXXX", which the collector ignores),
 * fsync()ed, mode 0644, then rename()d over the old one: a reader sees the
 * old file or the new one, never a part.
 *
 * The exporter samples in a loop of its own, one period (-s) apart, and
 * each scrape gets the exposition of the last period; see exporter.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "openmetrics.h"

enum om_type { OM_COUNTER, OM_GAUGE, OM_INFO };

struct om_family {
	const char *name;	/* OpenMetrics family name */
	enum om_type type;
	const char *unit;	/* the name's last part, or NULL */
	const char *help;
};

static const struct om_family fam_gpu = {
	"nsgpuperf_gpu", OM_INFO, NULL,
	"A GPU nsgpuperf reads: its name (pci.ids), driver, PMU and render node.",
}, fam_enabled = {
	"nsgpuperf_enabled_seconds", OM_COUNTER, "seconds",
	"Time the GPU's counters have been enabled: the clock of every total here.",
}, fam_freq_req = {
	"nsgpuperf_frequency_requested_hertz", OM_GAUGE, "hertz",
	"GPU frequency the driver requested, mean over the last sampling period.",
}, fam_freq_act = {
	"nsgpuperf_frequency_actual_hertz", OM_GAUGE, "hertz",
	"Actual GPU frequency, mean over the last sampling period.",
}, fam_rc6 = {
	"nsgpuperf_rc6_residency_seconds", OM_COUNTER, "seconds",
	"Time the GPU spent in RC6, its render standby power state.",
}, fam_irq = {
	"nsgpuperf_interrupts", OM_COUNTER, NULL,
	"Interrupts the GPU raised.",
}, fam_engine[NGP_NR_SAMPLERS] = {
	[NGP_BUSY] = {
		"nsgpuperf_engine_busy_seconds", OM_COUNTER, "seconds",
		"Time the engine was busy.",
	},
	[NGP_WAIT] = {
		"nsgpuperf_engine_wait_seconds", OM_COUNTER, "seconds",
		"Time the engine was stalled waiting on memory or another event.",
	},
	[NGP_SEMA] = {
		"nsgpuperf_engine_sema_seconds", OM_COUNTER, "seconds",
		"Time the engine was waiting on a semaphore.",
	},
}, fam_usage_avail = {
	"nsgpuperf_cgroup_usage_available", OM_GAUGE, NULL,
	"1 if this container's own engine usage is known, 0 if not (the reason label says why).",
}, fam_usage_clients = {
	"nsgpuperf_cgroup_clients", OM_GAUGE, NULL,
	"DRM clients of this container (the scope) on the GPU.",
}, fam_usage_busy = {
	"nsgpuperf_cgroup_busy_seconds", OM_COUNTER, "seconds",
	"Engine busy time of this container's (the scope's) own DRM clients, per engine class, summed over the class's engines.",
};

struct om {
	FILE *f;
	enum om_format fmt;
	const struct om_family *fam;	/* whose header is written */
};

static const char *const type_names[] = {
	[OM_COUNTER] = "counter", [OM_GAUGE] = "gauge", [OM_INFO] = "info",
};

static const char *sample_suffix(enum om_type t)
{
	return t == OM_COUNTER ? "_total" : t == OM_INFO ? "_info" : "";
}

/* The family's header, once, before its first sample. */
static void om_family(struct om *o, const struct om_family *fam)
{
	const char *sfx = sample_suffix(fam->type);

	if (o->fam == fam)
		return;
	o->fam = fam;
	if (o->fmt == OM_OPENMETRICS) {
		fprintf(o->f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help,
			fam->name, type_names[fam->type]);
		if (fam->unit)
			fprintf(o->f, "# UNIT %s %s\n", fam->name, fam->unit);
		return;
	}
	fprintf(o->f, "# HELP %s%s %s\n# TYPE %s%s %s\n", fam->name, sfx, fam->help,
		fam->name, sfx, fam->type == OM_COUNTER ? "counter" : "gauge");
}

/* Length of the valid UTF-8 sequence at s, 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned int c = s[0], n, i, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong, surrogate or past U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void om_label_value(FILE *f, const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t n;

	while (*s) {
		if (*s == '\\' || *s == '"') {
			fputc('\\', f);
			fputc(*s++, f);
		} else if (*s == '\n') {
			fputs("\\n", f);
			s++;
		} else if ((n = utf8_len(s))) {
			fwrite(s, 1, n, f);
			s += n;
		} else {
			fputs("\xef\xbf\xbd", f);	/* U+FFFD for a bad byte */
			s++;
		}
	}
}

/*
 * One sample: labels as name/value pairs ending in NULL; a NULL value
 * leaves its label out.
 */
static void om_sample(struct om *o, const struct om_family *fam,
		      const char *value, const char *const *labels)
{
	bool first = true;

	om_family(o, fam);
	fprintf(o->f, "%s%s", fam->name, sample_suffix(fam->type));
	for (; labels[0]; labels += 2) {
		if (!labels[1])
			continue;
		fprintf(o->f, "%s%s=\"", first ? "{" : ",", labels[0]);
		om_label_value(o->f, labels[1]);
		fputc('"', o->f);
		first = false;
	}
	fprintf(o->f, "%s %s\n", first ? "" : "}", value);
}

/* ns as an exact decimal number of seconds: "12.5", "0.000000001", "3" */
static const char *fmt_seconds(char *buf, size_t len, uint64_t ns)
{
	int n = snprintf(buf, len, "%" PRIu64 ".%09" PRIu64,
			 ns / 1000000000, ns % 1000000000);

	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

static const char *fmt_u64(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/* MHz -> Hz, whole hertz; NULL when there is no finite value. */
static const char *fmt_hertz(char *buf, size_t len, double mhz)
{
	if (!isfinite(mhz) || mhz < 0)
		return NULL;
	snprintf(buf, len, "%.0f", mhz * 1e6);
	return buf;
}

static bool usage_known(const struct ngp_usage *u)
{
	return u->available && !u->incomplete;
}

void om_write_format(FILE *f, enum om_format fmt,
		     const struct ngp_gpu *const *gpus,
		     const struct ngp_sample *const *samples, int n)
{
	struct om o = { .f = f, .fmt = fmt };
	char v[64];
	int g, i, k;

	for (g = 0; g < n; g++) {
		const struct ngp_gpu *gpu = gpus[g];
		const char *const l[] = {
			"gpu", gpu->pci_addr, "name", gpu->name, "driver", gpu->driver,
			"pmu", gpu->pmu_name, "render_node", gpu->render_node, NULL,
		};

		om_sample(&o, &fam_gpu, "1", l);
	}
	for (g = 0; g < n; g++) {
		const char *const l[] = { "gpu", gpus[g]->pci_addr, NULL };

		om_sample(&o, &fam_enabled, fmt_seconds(v, sizeof(v), samples[g]->enabled_ns), l);
	}
	for (g = 0; g < n; g++) {
		const char *const l[] = { "gpu", gpus[g]->pci_addr, NULL };

		if (samples[g]->has_freq_req &&
		    fmt_hertz(v, sizeof(v), samples[g]->freq_req))
			om_sample(&o, &fam_freq_req, v, l);
	}
	for (g = 0; g < n; g++) {
		const char *const l[] = { "gpu", gpus[g]->pci_addr, NULL };

		if (samples[g]->has_freq_act &&
		    fmt_hertz(v, sizeof(v), samples[g]->freq_act))
			om_sample(&o, &fam_freq_act, v, l);
	}
	for (g = 0; g < n; g++) {
		const char *const l[] = { "gpu", gpus[g]->pci_addr, NULL };

		if (samples[g]->has_rc6)
			om_sample(&o, &fam_rc6,
				  fmt_seconds(v, sizeof(v), samples[g]->rc6_total_ns), l);
	}
	for (g = 0; g < n; g++) {
		const char *const l[] = { "gpu", gpus[g]->pci_addr, NULL };

		if (samples[g]->has_irq)
			om_sample(&o, &fam_irq, fmt_u64(v, sizeof(v), samples[g]->irq_total), l);
	}
	for (k = 0; k < NGP_NR_SAMPLERS; k++) {
		for (g = 0; g < n; g++) {
			const struct ngp_sample *s = samples[g];

			for (i = 0; i < s->nr_engines && i < NGP_MAX_ENGINES; i++) {
				const struct ngp_engine_rate *er = &s->engines[i];
				const char *const l[] = {
					"gpu", gpus[g]->pci_addr,
					"engine", er->engine->pmu_name,
					"class", ngp_class_fdinfo(er->engine->class), NULL,
				};

				if (er->has[k])
					om_sample(&o, &fam_engine[k],
						  fmt_seconds(v, sizeof(v), er->total_ns[k]), l);
			}
		}
	}
	for (g = 0; g < n; g++) {
		const struct ngp_usage *u = &samples[g]->usage;
		const char *why = !u->available ? (u->why[0] ? u->why : "unavailable") :
				  u->incomplete ? "some clients report no usage" : NULL;
		const char *const l[] = {
			"gpu", gpus[g]->pci_addr,
			"scope", u->scope_label[0] ? u->scope_label : NULL,
			"reason", why, NULL,
		};

		om_sample(&o, &fam_usage_avail, usage_known(u) ? "1" : "0", l);
	}
	for (g = 0; g < n; g++) {
		const struct ngp_usage *u = &samples[g]->usage;
		const char *const l[] = {
			"gpu", gpus[g]->pci_addr, "scope", u->scope_label, NULL,
		};

		if (usage_known(u))
			om_sample(&o, &fam_usage_clients, fmt_u64(v, sizeof(v), u->nr_clients), l);
	}
	for (g = 0; g < n; g++) {
		const struct ngp_usage *u = &samples[g]->usage;

		if (!usage_known(u))
			continue;
		for (i = 0; i < u->nr_classes && i < NGP_MAX_USAGE_CLASSES; i++) {
			const char *const l[] = {
				"gpu", gpus[g]->pci_addr, "class", u->classes[i].fdinfo_name,
				"scope", u->scope_label, NULL,
			};

			om_sample(&o, &fam_usage_busy,
				  fmt_seconds(v, sizeof(v), u->classes[i].busy_ns), l);
		}
	}
	if (fmt == OM_OPENMETRICS)
		fputs("# EOF\n", f);
}

void om_write(FILE *f, const struct ngp_gpu *const *gpus,
	      const struct ngp_sample *const *samples, int n)
{
	om_write_format(f, OM_OPENMETRICS, gpus, samples, n);
}

static int textfile_fail(struct ngp_error *e, int err, const char *dir,
			 const char *what)
{
	const char *hint;

	switch (err) {
	case ENOENT:
		hint = "create it, or give the directory node_exporter's --collector.textfile.directory names";
		break;
	case ENOTDIR:
		hint = "--textfile takes a directory (nsgpuperf writes " OM_TEXTFILE_NAME " in it)";
		break;
	case EACCES:
	case EPERM:
	case EROFS:
		hint = "run nsgpuperf as a user that may write there, or choose another directory";
		break;
	case ENOSPC:
	case EDQUOT:
		hint = "free some space on its file system";
		break;
	default:
		hint = "check the directory";
		break;
	}
	e->err = -err;
	e->exit = NGP_EXIT_FAILURE;
	snprintf(e->msg, sizeof(e->msg), "--textfile %s: %s: %s; %s", dir, what,
		 strerror(err), hint);
	return -err;
}

int om_write_textfile(const char *dir, const struct ngp_gpu *const *gpus,
		      const struct ngp_sample *const *samples, int n,
		      struct ngp_error *e)
{
	char tmp[4096], path[4096];
	int fd, err = 0;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/" OM_TEXTFILE_NAME, dir) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/." OM_TEXTFILE_NAME ".XXXXXX", dir) >= (int)sizeof(tmp))
		return textfile_fail(e, ENAMETOOLONG, dir, "path");
	/* mkstemp's 0600 would hide the file from a node_exporter of another user */
	fd = mkstemp(tmp);
	if (fd < 0)
		return textfile_fail(e, errno, dir, "cannot create a file there");
	f = fdopen(fd, "w");
	if (!f) {
		err = errno;
		close(fd);
		goto out;
	}
	errno = 0;
	om_write_format(f, OM_PROMETHEUS, gpus, samples, n);
	if (fflush(f) || ferror(f) || fchmod(fd, 0644) || fsync(fd))
		err = errno ? errno : EIO;
	if (fclose(f) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
out:
	if (err) {
		unlink(tmp);
		return textfile_fail(e, err, dir, "cannot write " OM_TEXTFILE_NAME);
	}
	return 0;
}
