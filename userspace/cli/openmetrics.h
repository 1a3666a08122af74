/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metrics writer's and the exporter's parts that cli.h does not name:
 * both text formats, the --listen address, the HTTP server.  Used by
 * openmetrics.c, exporter.c and their host tests.
 */
#ifndef NSGPUPERF_OPENMETRICS_H
#define NSGPUPERF_OPENMETRICS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

#include "cli.h"

enum om_format {
	OM_OPENMETRICS,		/* OpenMetrics 1.0: # UNIT, info, # EOF */
	OM_PROMETHEUS,		/* Prometheus text 0.0.4 (node_exporter, promtool) */
};

#define OM_CONTENT_TYPE_OPENMETRICS \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"
#define OM_CONTENT_TYPE_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"
#define OM_TEXTFILE_NAME	"nsgpuperf.prom"

/* om_write() in either format. */
void om_write_format(FILE *f, enum om_format fmt,
		     const struct ngp_gpu *const *gpus,
		     const struct ngp_sample *const *samples, int n);

/* A label value as both formats want it: \\ \" \n escaped, valid UTF-8. */
void om_label_value(FILE *f, const char *v);

/* ---- exporter ------------------------------------------------------ */

/* A parsed --listen: "127.0.0.1:9101", "[::1]:9101", ":9101" (every address). */
struct om_listen {
	struct sockaddr_storage addr;
	socklen_t len;
	bool any;		/* ":PORT": IPv6 and IPv4, or IPv4 alone */
	char text[80];		/* as given */
};

int om_parse_listen(const char *spec, struct om_listen *l, struct ngp_error *e);
/* A listening TCP socket for l: fd, or -errno with e saying what to do. */
int om_listen_socket(struct om_listen *l, struct ngp_error *e);
/* The port a listening socket got (for port 0), 0 on error. */
unsigned int om_socket_port(int fd);

/* Which format an Accept header asks for (NULL: no header). */
enum om_format om_negotiate(const char *accept);

/*
 * The HTTP side: GET/HEAD /metrics serves the last published exposition
 * in the format the scraper negotiates; / a short page; anything else 404.
 * Takes over listen_fd.
 */
struct om_http;
struct om_http *om_http_start(int listen_fd, struct ngp_error *e);
/* Render and publish one exposition; scrapes see it from now on. */
int om_http_publish(struct om_http *h, const struct ngp_gpu *const *gpus,
		    const struct ngp_sample *const *samples, int n);
void om_http_stop(struct om_http *h);

#endif
