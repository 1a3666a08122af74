// SPDX-License-Identifier: GPL-2.0
/*
 * nsgpuperf exporter [--listen ADDR:PORT] [-s MS] [-d DEV]... [--cgroup PATH]
 *
 * Serves /metrics (openmetrics.c says what is in it) over HTTP with
 * libmicrohttpd, for every GPU in scope or the -d ones.
 *
 * Sampling: the main thread reads every GPU's counter group once per
 * period (-s, default 1000 ms) on a fixed schedule and publishes the
 * rendered exposition; a scrape only copies the last one.  So a scrape
 * costs no device access and cannot fail or stall on one; the gauges
 * (frequency) are always means over one known period, not over "since the
 * previous scrape", which several scrapers (an HA pair of Prometheus
 * servers, a curl by hand) would shorten for each other; the counters are
 * totals, which rate() divides by the scrapes' own interval anyway.  The
 * price is one read per GPU per period with nobody scraping: a few system
 * calls.  The first exposition is published after one period (a full one,
 * not intel_gpu_top's first short one) and the HTTP server starts then;
 * the socket is bound at once, so a scrape that comes early waits in the
 * listen queue rather than failing, and a bad address fails at once.
 *
 * Content negotiation: Prometheus asks for OpenMetrics first ("Accept:
 * application/openmetrics-text;version=1.0.0,...;text/plain;version=0.0.4;
 * q=0.5,*\/\*;q=0.1"); an Accept that offers application/openmetrics-text
 * at a q no lower than text/plain's gets OpenMetrics 1.0.0, anything else
 * (curl, a browser, no header) the Prometheus text format 0.0.4.
 *
 * --listen takes numeric addresses only (no name lookup: the static build
 * has no NSS): "127.0.0.1:9101", "[::1]:9101", or ":9101" for every
 * address, IPv6 and IPv4 (IPv4 alone where the kernel has no IPv6).  Port
 * 0 takes a free port (the startup line says which).  SIGINT or SIGTERM
 * stops the exporter; it exits 0.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cli.h"
#include "openmetrics.h"

#define DEFAULT_LISTEN	":9101"
#define MAX_PERIOD_MS	3600000u

static const char *prog = "nsgpuperf exporter";

/* ---- --listen ------------------------------------------------------ */

static int listen_fail(struct ngp_error *e, int err, enum ngp_exit exit,
		       const char *fmt, const char *a, const char *b)
{
	e->err = -err;
	e->exit = exit;
	snprintf(e->msg, sizeof(e->msg), fmt, a, b);
	return -err;
}

int om_parse_listen(const char *spec, struct om_listen *l, struct ngp_error *e)
{
	static const char form[] =
		"--listen %s%s: give ADDR:PORT with a numeric address: 127.0.0.1:9101, [::1]:9101, or :9101 for every address";
	char host[64];
	const char *port, *end;
	unsigned long p;
	size_t hl;

	memset(l, 0, sizeof(*l));
	if (!spec || !*spec)
		return listen_fail(e, EINVAL, NGP_EXIT_USAGE, form, "", "");
	snprintf(l->text, sizeof(l->text), "%s", spec);
	if (spec[0] == '[') {
		end = strchr(spec, ']');
		if (!end || end[1] != ':')
			return listen_fail(e, EINVAL, NGP_EXIT_USAGE, form, spec, "");
		hl = end - spec - 1;
		port = end + 2;
		spec++;
	} else {
		end = strrchr(spec, ':');
		if (!end)
			return listen_fail(e, EINVAL, NGP_EXIT_USAGE, form, spec, " (no port)");
		hl = end - spec;
		port = end + 1;
		if (memchr(spec, ':', hl))
			return listen_fail(e, EINVAL, NGP_EXIT_USAGE, form, l->text,
					   " (an IPv6 address goes in brackets)");
	}
	if (hl >= sizeof(host))
		return listen_fail(e, EINVAL, NGP_EXIT_USAGE, form, l->text, "");
	memcpy(host, spec, hl);
	host[hl] = '\0';

	if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
	    (p = strtoul(port, NULL, 10)) > 65535)
		return listen_fail(e, EINVAL, NGP_EXIT_USAGE, form, l->text,
				   " (the port is a number from 1 to 65535)");

	if (l->text[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&l->addr;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return listen_fail(e, EINVAL, NGP_EXIT_USAGE, form, l->text,
					   " (not an IPv6 address)");
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(p);
		l->len = sizeof(*a6);
	} else if (!*host) {
		l->any = true;
		((struct sockaddr_in6 *)&l->addr)->sin6_port = htons(p);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&l->addr;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return listen_fail(e, EINVAL, NGP_EXIT_USAGE, form, l->text,
					   " (not an IPv4 address; host names are not looked up)");
		a4->sin_family = AF_INET;
		a4->sin_port = htons(p);
		l->len = sizeof(*a4);
	}
	return 0;
}

static int bind_listen(int family, const struct sockaddr *a, socklen_t len, bool dual)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, zero = 0, err;

	if (fd < 0)
		return -errno;
	/* a restart must not wait for the old connections' TIME_WAIT */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &zero : &one, sizeof(int));
	if (bind(fd, a, len) || listen(fd, 64)) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

int om_listen_socket(struct om_listen *l, struct ngp_error *e)
{
	in_port_t port = ((struct sockaddr_in6 *)&l->addr)->sin6_port;
	int fd;

	if (l->any) {
		struct sockaddr_in6 a6 = {
			.sin6_family = AF_INET6, .sin6_port = port, .sin6_addr = IN6ADDR_ANY_INIT,
		};
		struct sockaddr_in a4 = {
			.sin_family = AF_INET, .sin_port = port,
			.sin_addr.s_addr = htonl(INADDR_ANY),
		};

		fd = bind_listen(AF_INET6, (struct sockaddr *)&a6, sizeof(a6), true);
		/* a kernel without IPv6 (ipv6.disable=1): IPv4 alone */
		if (fd == -EAFNOSUPPORT)
			fd = bind_listen(AF_INET, (struct sockaddr *)&a4, sizeof(a4), false);
	} else {
		fd = bind_listen(l->addr.ss_family, (struct sockaddr *)&l->addr, l->len, false);
	}
	if (fd >= 0)
		return fd;
	switch (-fd) {
	case EADDRINUSE:
		return listen_fail(e, -fd, NGP_EXIT_FAILURE,
				   "--listen %s: address already in use%s: another process (another exporter?) listens there; stop it or choose another port",
				   l->text, "");
	case EADDRNOTAVAIL:
		return listen_fail(e, -fd, NGP_EXIT_FAILURE,
				   "--listen %s: no such address here%s; give one of this network namespace's addresses, or :PORT for all of them",
				   l->text, "");
	case EACCES:
		return listen_fail(e, -fd, NGP_EXIT_FAILURE,
				   "--listen %s: permission denied%s: ports below 1024 need CAP_NET_BIND_SERVICE; choose a port from 1024 up (9101)",
				   l->text, "");
	case EAFNOSUPPORT:
		return listen_fail(e, -fd, NGP_EXIT_FAILURE,
				   "--listen %s: this kernel has no IPv6%s; give an IPv4 address or :PORT",
				   l->text, "");
	default:
		e->err = fd;
		e->exit = NGP_EXIT_FAILURE;
		snprintf(e->msg, sizeof(e->msg), "--listen %s: %s", l->text, strerror(-fd));
		return fd;
	}
}

unsigned int om_socket_port(int fd)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		return 0;
	if (a.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
	return ntohs(((struct sockaddr_in *)&a)->sin_port);
}

/* ---- content negotiation ------------------------------------------- */

static const char *skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

enum om_format om_negotiate(const char *accept)
{
	double om_q = 0, text_q = 0;
	const char *item = accept;

	while (item && *item) {
		const char *end = strchr(item, ','), *p, *semi;
		size_t tl;
		double q = 1;

		if (!end)
			end = item + strlen(item);
		item = skip_ws(item, end);
		semi = memchr(item, ';', end - item);
		tl = (semi ? semi : end) - item;
		while (tl && (item[tl - 1] == ' ' || item[tl - 1] == '\t'))
			tl--;
		for (p = semi; p && p < end; p = memchr(p + 1, ';', end - p - 1)) {
			const char *v = skip_ws(p + 1, end);

			if (end - v > 2 && tolower((unsigned char)v[0]) == 'q' && v[1] == '=')
				q = strtod(v + 2, NULL);
		}
#define IS(t) (tl == strlen(t) && !strncasecmp(item, t, tl))
		if (IS("application/openmetrics-text"))
			om_q = q > om_q ? q : om_q;
		else if (IS("text/plain") || IS("text/*") || IS("*/*"))
			text_q = q > text_q ? q : text_q;
#undef IS
		item = *end ? end + 1 : end;
	}
	return om_q > 0 && om_q >= text_q ? OM_OPENMETRICS : OM_PROMETHEUS;
}

/* ---- HTTP ---------------------------------------------------------- */

struct om_http {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;		/* guards body[], len[] */
	char *body[2];			/* per enum om_format */
	size_t len[2];
};

static const char index_page[] =
	"<html><head><title>nsgpuperf exporter</title></head>\n"
	"<body><h1>nsgpuperf exporter</h1>\n"
	"<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     const char *type, const void *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result om_handler(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	static const char not_found[] = "Not found: the metrics are at /metrics\n";
	static const char not_allowed[] = "Only GET and HEAD\n";
	struct om_http *h = cls;
	enum om_format fmt;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
			     not_allowed, strlen(not_allowed));
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8",
			     index_page, strlen(index_page));
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8",
			     not_found, strlen(not_found));
	fmt = om_negotiate(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_ACCEPT));
	pthread_mutex_lock(&h->lock);
	ret = reply(c, MHD_HTTP_OK, fmt == OM_OPENMETRICS ? OM_CONTENT_TYPE_OPENMETRICS :
		    OM_CONTENT_TYPE_PROMETHEUS, h->body[fmt] ? h->body[fmt] : "",
		    h->len[fmt]);
	pthread_mutex_unlock(&h->lock);
	return ret;
}

struct om_http *om_http_start(int listen_fd, struct ngp_error *e)
{
	struct om_http *h = calloc(1, sizeof(*h));

	if (!h) {
		close(listen_fd);
		e->err = -ENOMEM;
		e->exit = NGP_EXIT_FAILURE;
		snprintf(e->msg, sizeof(e->msg), "out of memory");
		return NULL;
	}
	pthread_mutex_init(&h->lock, NULL);
	h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO,
				     0, NULL, NULL, om_handler, h,
				     MHD_OPTION_LISTEN_SOCKET, listen_fd,
				     MHD_OPTION_CONNECTION_LIMIT, 32u,
				     MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				     MHD_OPTION_END);
	if (!h->daemon) {
		close(listen_fd);
		pthread_mutex_destroy(&h->lock);
		free(h);
		e->err = -EIO;
		e->exit = NGP_EXIT_FAILURE;
		snprintf(e->msg, sizeof(e->msg),
			 "the HTTP server (libmicrohttpd) did not start");
		return NULL;
	}
	return h;
}

int om_http_publish(struct om_http *h, const struct ngp_gpu *const *gpus,
		    const struct ngp_sample *const *samples, int n)
{
	char *body[2] = { NULL, NULL }, *old[2];
	size_t len[2];
	int fmt;

	for (fmt = 0; fmt < 2; fmt++) {
		FILE *f = open_memstream(&body[fmt], &len[fmt]);

		if (!f) {
			free(body[0]);
			return -ENOMEM;
		}
		om_write_format(f, fmt, gpus, samples, n);
		if (fclose(f)) {
			free(body[0]);
			free(body[1]);
			return -ENOMEM;
		}
	}
	pthread_mutex_lock(&h->lock);
	for (fmt = 0; fmt < 2; fmt++) {
		old[fmt] = h->body[fmt];
		h->body[fmt] = body[fmt];
		h->len[fmt] = len[fmt];
	}
	pthread_mutex_unlock(&h->lock);
	free(old[0]);
	free(old[1]);
	return 0;
}

void om_http_stop(struct om_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	pthread_mutex_destroy(&h->lock);
	free(h->body[0]);
	free(h->body[1]);
	free(h);
}

/* ---- the exporter -------------------------------------------------- */

struct exp_gpu {
	const struct ngp_gpu *gpu;
	struct ngp_reader reader;
	struct ngp_usage_state usage;
	bool usage_ok;			/* ngp_usage_init() worked */
	char usage_why[160];		/* why not */
	struct ngp_raw prev, cur;
	struct ngp_sample sample;
	bool up;			/* its last read worked */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nsgpuperf exporter [--listen ADDR:PORT] [-s MS] [-d DEV]... [--cgroup PATH]\n"
		"\n"
		"Serve the GPUs' counters and this container's own GPU usage for Prometheus\n"
		"at http://ADDR:PORT/metrics (OpenMetrics, or the Prometheus text format).\n"
		"\n"
		"  --listen ADDR:PORT  numeric address and port: 127.0.0.1:9101, [::1]:9101,\n"
		"                      or :9101 for every address (default " DEFAULT_LISTEN ")\n"
		"  -s MS               sampling period in milliseconds (default %u)\n"
		"  -d DEV              a GPU by PCI address or DRM node; repeat for more\n"
		"                      (default: every GPU in scope)\n"
		"  --cgroup PATH       this cgroup's usage instead of the container's\n"
		"  -h, --help          this help\n", NGP_DEFAULT_PERIOD_MS);
}

static int fail(const struct ngp_error *e)
{
	fprintf(stderr, "%s: %s\n", prog, e->msg);
	return e->exit ? (int)e->exit : NGP_EXIT_FAILURE;
}

static int usage_fail(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s%s\nTry 'nsgpuperf exporter --help'.\n", prog, what, arg);
	return NGP_EXIT_USAGE;
}

/* strlcpy: a message cut to fit */
static void scopy(char *d, size_t size, const char *s)
{
	size_t n = strnlen(s, size - 1);

	memcpy(d, s, n);
	d[n] = '\0';
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One period: read every GPU, compute its sample. */
static void exp_sample(struct ngp_session *s, struct exp_gpu *g, int n)
{
	struct ngp_error e;
	int i;

	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		if (ngp_reader_read(&g[i].reader, &g[i].cur, &e)) {
			if (g[i].up)
				fprintf(stderr, "%s: %s: %s (left out until it reads again)\n",
					prog, g[i].gpu->pci_addr, e.msg);
			g[i].up = false;
			continue;
		}
		if (!g[i].up)
			fprintf(stderr, "%s: %s: reading again\n", prog, g[i].gpu->pci_addr);
		g[i].up = true;
		ngp_rates(&g[i].reader.layout, &g[i].prev, &g[i].cur, &g[i].sample);
		g[i].sample.enabled_ns = g[i].cur.time_enabled;
		g[i].prev = g[i].cur;
		memset(&e, 0, sizeof(e));
		if (!g[i].usage_ok ||
		    ngp_usage_sample(s, g[i].gpu, &g[i].usage, &g[i].sample, &e)) {
			memset(&g[i].sample.usage, 0, sizeof(g[i].sample.usage));
			scopy(g[i].sample.usage.why, sizeof(g[i].sample.usage.why),
			      g[i].usage_ok ? e.msg : g[i].usage_why);
		}
	}
}

static int exp_publish(struct om_http *h, struct exp_gpu *g, int n)
{
	const struct ngp_gpu *gpus[NGP_MAX_GPUS];
	const struct ngp_sample *samples[NGP_MAX_GPUS];
	int i, m = 0;

	for (i = 0; i < n; i++) {
		if (!g[i].up)
			continue;
		gpus[m] = g[i].gpu;
		samples[m++] = &g[i].sample;
	}
	return om_http_publish(h, gpus, samples, m);
}

/* Wait until the deadline or a signal: the signal, or 0. */
static int wait_until(const sigset_t *set, double deadline)
{
	for (;;) {
		double left = deadline - now_mono();
		struct timespec ts;
		int sig;

		if (left <= 0)
			return 0;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
		sig = sigtimedwait(set, NULL, &ts);
		if (sig > 0)
			return sig;
		if (errno == EAGAIN)
			return 0;
	}
}

static int pick_gpus(struct ngp_session *s, const char *const *devs, int ndev,
		     struct exp_gpu *g, struct ngp_error *e)
{
	int i, j, n = 0;

	if (!ndev) {
		for (i = 0; i < s->nr_gpus && n < NGP_MAX_GPUS; i++) {
			if (s->gpus[i].bound)
				g[n++].gpu = &s->gpus[i];
			else
				fprintf(stderr, "%s: %s: no driver bound, left out\n",
					prog, s->gpus[i].pci_addr);
		}
		if (!n) {
			e->err = -ENODEV;
			e->exit = NGP_EXIT_NO_GPU;
			snprintf(e->msg, sizeof(e->msg),
				 "no GPU in scope with its driver bound; `nsgpuperf list` shows what this container sees");
		}
		return n;
	}
	for (i = 0; i < ndev; i++) {
		const struct ngp_gpu *gpu = ngp_find_gpu(s, devs[i], e);

		if (!gpu)
			return 0;
		for (j = 0; j < n && g[j].gpu != gpu; j++)
			;
		if (j == n)
			g[n++].gpu = gpu;
	}
	return n;
}

/* Where a listening socket is, for the startup line: "127.0.0.1:9101". */
static void socket_name(int fd, bool any, char *buf, size_t len)
{
	struct sockaddr_storage a;
	socklen_t alen = sizeof(a);
	char host[INET6_ADDRSTRLEN] = "";

	if (getsockname(fd, (struct sockaddr *)&a, &alen)) {
		snprintf(buf, len, "?");
		return;
	}
	if (any)
		snprintf(buf, len, ":%u", om_socket_port(fd));
	else if (a.ss_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u",
			 inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&a)->sin6_addr,
				   host, sizeof(host)) ? host : "?", om_socket_port(fd));
	else
		snprintf(buf, len, "%s:%u",
			 inet_ntop(AF_INET, &((struct sockaddr_in *)&a)->sin_addr,
				   host, sizeof(host)) ? host : "?", om_socket_port(fd));
}

static int exp_open(struct ngp_session *s, struct exp_gpu *g, const char *cgroup,
		    struct ngp_error *e)
{
	if (ngp_reader_open(s, g->gpu, &g->reader, e))
		return -1;
	memset(e, 0, sizeof(*e));
	g->usage_ok = !ngp_usage_init(s, &g->usage, cgroup, e);
	if (!g->usage_ok && cgroup) {
		ngp_reader_close(&g->reader);
		return -1;
	}
	scopy(g->usage_why, sizeof(g->usage_why), e->msg);
	g->up = !ngp_reader_read(&g->reader, &g->prev, e);
	if (!g->up)
		fprintf(stderr, "%s: %s: %s (left out until it reads)\n", prog,
			g->gpu->pci_addr, e->msg);
	/* the first usage sample only starts its period */
	if (g->usage_ok)
		ngp_usage_sample(s, g->gpu, &g->usage, &g->sample, e);
	return 0;
}

static void exp_close(struct exp_gpu *g)
{
	ngp_reader_close(&g->reader);
	if (g->usage_ok)
		ngp_usage_fini(&g->usage);
}

int exporter_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen_spec = DEFAULT_LISTEN, *cgroup = NULL;
	const char *devs[NGP_MAX_GPUS];
	unsigned int period_ms = NGP_DEFAULT_PERIOD_MS;
	static struct exp_gpu g[NGP_MAX_GPUS];
	static struct ngp_session s;
	struct ngp_error e = { 0 };
	struct om_http *h = NULL;
	struct om_listen l;
	int ndev = 0, n = 0, opened = 0, i, c, fd, ret = NGP_EXIT_OK;
	char *end, where[80], gpu_list[NGP_MAX_GPUS * 14 + 1] = "";
	double next;
	sigset_t set;

	optind = 0;	/* glibc and musl: parse afresh after main's getopt */
	while ((c = getopt_long(argc, argv, "+hs:d:", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_spec = optarg;
			break;
		case 'c':
			cgroup = optarg;
			break;
		case 's':
			errno = 0;
			period_ms = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || !period_ms || period_ms > MAX_PERIOD_MS)
				return usage_fail("-s takes a period in milliseconds, 1 to 3600000: ",
						  optarg);
			break;
		case 'd':
			if (ndev == NGP_MAX_GPUS)
				return usage_fail("too many -d", "");
			devs[ndev++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return NGP_EXIT_OK;
		default:
			usage(stderr);
			return NGP_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_fail("unexpected argument: ", argv[optind]);
	if (om_parse_listen(listen_spec, &l, &e))
		return fail(&e);

	/*
	 * The HTTP threads inherit this mask: the signals come to
	 * sigtimedwait (Linux keeps a blocked signal pending even where its
	 * action is to ignore it: SIGTERM stops us whoever started us).
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* bind first: a taken port fails before any GPU is opened */
	fd = om_listen_socket(&l, &e);
	if (fd < 0)
		return fail(&e);
	socket_name(fd, l.any, where, sizeof(where));
	if (ngp_session_open(&s, NULL, &e)) {
		close(fd);
		return fail(&e);
	}
	n = pick_gpus(&s, devs, ndev, g, &e);
	if (!n) {
		ret = fail(&e);
		goto out;
	}
	for (opened = 0; opened < n; opened++) {
		if (exp_open(&s, &g[opened], cgroup, &e)) {
			ret = fail(&e);
			goto out;
		}
		strcat(gpu_list, opened ? " " : "");
		strcat(gpu_list, g[opened].gpu->pci_addr);
	}

	next = now_mono() + period_ms / 1e3;
	if (wait_until(&set, next))
		goto out;
	exp_sample(&s, g, n);
	h = om_http_start(fd, &e);
	fd = -1;	/* the server's now, or closed */
	if (!h) {
		ret = fail(&e);
		goto out;
	}
	if (exp_publish(h, g, n))
		fprintf(stderr, "%s: out of memory rendering the metrics\n", prog);
	fprintf(stderr, "%s: serving http://%s/metrics, %d GPU%s (%s), every %u ms\n",
		prog, where, n, n == 1 ? "" : "s", gpu_list, period_ms);
	for (;;) {
		next += period_ms / 1e3;
		if (next < now_mono())	/* fell behind (suspend, stall): resync */
			next = now_mono() + period_ms / 1e3;
		if (wait_until(&set, next))
			break;
		exp_sample(&s, g, n);
		if (exp_publish(h, g, n))
			fprintf(stderr, "%s: out of memory rendering the metrics\n", prog);
	}
out:
	om_http_stop(h);
	if (fd >= 0)
		close(fd);
	for (i = 0; i < opened; i++)
		exp_close(&g[i]);
	ngp_session_close(&s);
	return ret;
}
