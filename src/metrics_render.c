/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * metrics_render.c -- the metric families, in the Prometheus naming
 * style: an mmproxyd_ prefix, the unit in the name, _total on counters,
 * a "listener" label with the listening address ("127.0.0.1:8443"; the
 * -listeners sockets of one address summed into one series), "proto"
 * where one family serves TCP and UDP alike, and every class a counter
 * has, zero or not, so that rate() sees a series from the start.
 *
 * Counters are read with relaxed atomic loads, the pool's thread counts
 * under its lock: nothing here makes a relay wait.
 */

#include "config.h"

#include <netinet/in.h>

#include <inttypes.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

#include "addr.h"
#include "endpoint.h"
#include "fd_gauge.h"
#include "kit_pool.h"
#include "listener.h"
#include "metrics_class.h"
#include "metrics_render.h"
#include "pool.h"
#include "route_watch.h"
#include "udp_flow.h"

#define METRICS_GET(a)	atomic_load_explicit(&(a), memory_order_relaxed)

/* Families TCP and UDP share, told apart by the proto label. */
#define METRICS_HELP_DENIED						\
	"Connections (tcp) or datagrams (udp) refused because the "	\
	"sender is not in -allowed-subnets."
#define METRICS_HELP_DEST_DENIED					\
	"Connections (tcp) or datagrams (udp) refused because the "	\
	"destination their header names is not in "			\
	"-dynamic-destination-allow."
#define METRICS_HELP_BAD_HEADERS					\
	"Connections (tcp) or datagrams (udp) dropped for a missing, "	\
	"malformed or unusable PROXY header, by reason."

/*
 * The sockets of one listening address: sockets [first, first + count)
 * of the sources, -listeners of them, reported as one series.
 */
struct metrics_group {
	int	first, count;
	char	label[ADDR_STRLEN];
};

/* Every listening address's group, in order; NULL if memory ran out. */
static struct metrics_group *
metrics_groups(const struct metrics_sources *src, int *ng)
{
	struct metrics_group	*grp;
	int			 g;

	*ng = src->per_endpoint > 0 ? src->n / src->per_endpoint : 0;
	if ((grp = calloc((size_t)*ng + 1, sizeof(*grp))) == NULL)
		return (NULL);
	for (g = 0; g < *ng; g++) {
		grp[g].first = g * src->per_endpoint;
		grp[g].count = src->per_endpoint;
		addr_format((const struct sockaddr *)&src->endpoints[g].listen,
		    grp[g].label, sizeof(grp[g].label));
	}
	return (grp);
}

/*
 * One listening address's samples of a family counted by class: header
 * classes (is_header) or errno classes, every class, zero or not.
 */
static void
metrics_by_reason(struct metrics_buf *b, const char *name,
    const char *listener, const char *labels, int is_header, int n,
    const uint64_t *v)
{
	int	k;

	for (k = 0; k < n; k++)
		metrics_buf_printf(b, "%s{listener=\"%s\"%s,reason=\"%s\"} %"
		    PRIu64 "\n", name, listener, labels, is_header ?
		    metrics_header_class_name(k) : metrics_errno_class_name(k),
		    v[k]);
}

/* One sample per TCP listener, from a tcp_stats field at off. */
struct metrics_tcp_family {
	const char	*name;
	const char	*type;
	const char	*help;
	size_t		 off;
};

#define TS(f)	offsetof(struct tcp_stats, f)

static const struct metrics_tcp_family metrics_tcp_plain[] = {
	{ "mmproxyd_connections_accepted_total", "counter",
	    "TCP connections accepted.", TS(accepted) },
	{ "mmproxyd_connections_proxied_total", "counter",
	    "TCP connections that reached a backend.", TS(proxied) },
	{ "mmproxyd_header_timeouts_total", "counter",
	    "TCP connections closed for no complete PROXY header within "
	    "-header-timeout.", TS(header_timeout) },
	{ "mmproxyd_header_memory_refused_total", "counter",
	    "TCP connections closed because the larger headers still being "
	    "read held all the memory set aside for them.", TS(header_memory) },
	{ "mmproxyd_connections_timed_out_total", "counter",
	    "Proxied TCP connections ended because a peer went silent "
	    "(keepalive or user timeout).", TS(timed_out) },
	{ "mmproxyd_connections_active", "gauge",
	    "Proxied TCP connections open now.", TS(active) },
	{ "mmproxyd_copy_fallbacks_total", "counter",
	    "Bulk bursts copied through user space instead of spliced, "
	    "because fds were too short for a pipe.", TS(copy_fallback) },
};

/* The tcp_stats field at off, summed over the group's listeners. */
static uint64_t
metrics_tcp_sum(const struct metrics_sources *src,
    const struct metrics_group *g, size_t off)
{
	uint64_t	sum = 0;
	int		i;

	for (i = g->first; i < g->first + g->count; i++)
		sum += METRICS_GET(*(atomic_uint_fast64_t *)(void *)
		    ((char *)&src->tcp[i].sh.stats + off));
	return (sum);
}

/* A per-class array of tcp_stats at off, summed the same way. */
static void
metrics_tcp_sum_by(const struct metrics_sources *src,
    const struct metrics_group *g, size_t off, int n, uint64_t *v)
{
	int	k;

	for (k = 0; k < n; k++)
		v[k] = metrics_tcp_sum(src, g, off +
		    (size_t)k * sizeof(atomic_uint_fast64_t));
}

static void
metrics_tcp(const struct metrics_sources *src, struct metrics_buf *b)
{
	const struct metrics_tcp_family *f;
	struct metrics_group	*grp;
	uint64_t		 v[METRICS_ERR_COUNT];
	size_t			 i, total, idle;
	int			 j, ng;

	if ((grp = metrics_groups(src, &ng)) == NULL) {
		b->failed = 1;
		return;
	}

	for (i = 0; i < sizeof(metrics_tcp_plain) /
	    sizeof(metrics_tcp_plain[0]); i++) {
		f = &metrics_tcp_plain[i];
		metrics_text_family(b, f->name, f->type, f->help);
		for (j = 0; j < ng; j++)
			metrics_buf_printf(b, "%s{listener=\"%s\"} %" PRIu64
			    "\n", f->name, grp[j].label,
			    metrics_tcp_sum(src, &grp[j], f->off));
	}

	metrics_text_family(b, "mmproxyd_allowlist_denied_total", "counter",
	    METRICS_HELP_DENIED);
	for (j = 0; j < ng; j++)
		metrics_buf_printf(b, "mmproxyd_allowlist_denied_total"
		    "{listener=\"%s\",proto=\"tcp\"} %" PRIu64 "\n",
		    grp[j].label, metrics_tcp_sum(src, &grp[j], TS(denied)));

	metrics_text_family(b, "mmproxyd_destinations_denied_total",
	    "counter", METRICS_HELP_DEST_DENIED);
	for (j = 0; j < ng; j++)
		metrics_buf_printf(b, "mmproxyd_destinations_denied_total"
		    "{listener=\"%s\",proto=\"tcp\"} %" PRIu64 "\n",
		    grp[j].label, metrics_tcp_sum(src, &grp[j],
		    TS(dest_denied)));

	metrics_text_family(b, "mmproxyd_bad_headers_total", "counter",
	    METRICS_HELP_BAD_HEADERS);
	for (j = 0; j < ng; j++) {
		metrics_tcp_sum_by(src, &grp[j], TS(bad_header_by),
		    METRICS_HDR_COUNT, v);
		metrics_by_reason(b, "mmproxyd_bad_headers_total",
		    grp[j].label, ",proto=\"tcp\"", 1, METRICS_HDR_COUNT, v);
	}

	metrics_text_family(b, "mmproxyd_backend_connect_failures_total",
	    "counter", "Backend connections that failed, by errno class.");
	for (j = 0; j < ng; j++) {
		metrics_tcp_sum_by(src, &grp[j], TS(backend_fail_by),
		    METRICS_ERR_COUNT, v);
		metrics_by_reason(b, "mmproxyd_backend_connect_failures_total",
		    grp[j].label, "", 0, METRICS_ERR_COUNT, v);
	}

	metrics_text_family(b, "mmproxyd_client_port_busy_total", "counter",
	    "Backend connections whose client address and port were taken "
	    "(-client-port-busy), by outcome: waited (our own connection "
	    "let them go), fallback (connected from a port the kernel "
	    "chose), failed.");
	for (j = 0; j < ng; j++)
		metrics_buf_printf(b, "mmproxyd_client_port_busy_total"
		    "{listener=\"%s\",outcome=\"waited\"} %" PRIu64 "\n"
		    "mmproxyd_client_port_busy_total"
		    "{listener=\"%s\",outcome=\"fallback\"} %" PRIu64 "\n"
		    "mmproxyd_client_port_busy_total"
		    "{listener=\"%s\",outcome=\"failed\"} %" PRIu64 "\n",
		    grp[j].label, metrics_tcp_sum(src, &grp[j],
		    TS(port_waited)), grp[j].label, metrics_tcp_sum(src,
		    &grp[j], TS(port_fallback)), grp[j].label,
		    metrics_tcp_sum(src, &grp[j], TS(port_failed)));
	metrics_text_family(b, "mmproxyd_client_port_wait_seconds_total",
	    "counter", "Time backend connections spent waiting for one of "
	    "our own closing connections to let the client's port go.");
	for (j = 0; j < ng; j++)
		metrics_buf_printf(b, "mmproxyd_client_port_wait_seconds_total"
		    "{listener=\"%s\"} %.6f\n", grp[j].label,
		    (double)metrics_tcp_sum(src, &grp[j], TS(port_wait_us)) /
		    1e6);

	metrics_text_family(b, "mmproxyd_accept_errors_total", "counter",
	    "accept() failures that made the listener back off, by errno "
	    "class (fd_limit is EMFILE or ENFILE).");
	for (j = 0; j < ng; j++) {
		metrics_tcp_sum_by(src, &grp[j], TS(accept_fail_by),
		    METRICS_ERR_COUNT, v);
		metrics_by_reason(b, "mmproxyd_accept_errors_total",
		    grp[j].label, "", 0, METRICS_ERR_COUNT, v);
	}

	metrics_text_family(b, "mmproxyd_relayed_bytes_total", "counter",
	    "Bytes relayed: direction in is client to backend, out is "
	    "backend to client.");
	for (j = 0; j < ng; j++)
		metrics_buf_printf(b, "mmproxyd_relayed_bytes_total"
		    "{listener=\"%s\",direction=\"in\"} %" PRIu64 "\n"
		    "mmproxyd_relayed_bytes_total"
		    "{listener=\"%s\",direction=\"out\"} %" PRIu64 "\n",
		    grp[j].label, metrics_tcp_sum(src, &grp[j], TS(bytes_in)),
		    grp[j].label, metrics_tcp_sum(src, &grp[j], TS(bytes_out)));
	free(grp);

	pool_threads(src->pool, &total, &idle);
	metrics_text_family(b, "mmproxyd_pool_threads", "gauge",
	    "Relay threads alive, busy with a connection or idle.");
	metrics_buf_printf(b, "mmproxyd_pool_threads{state=\"busy\"} %zu\n"
	    "mmproxyd_pool_threads{state=\"idle\"} %zu\n", total - idle, idle);
	metrics_text_family(b, "mmproxyd_connection_slots_used", "gauge",
	    "Connection slots taken, proxied or still reading the header.");
	metrics_buf_printf(b, "mmproxyd_connection_slots_used %zu\n",
	    pool_conns(src->pool));
	metrics_text_family(b, "mmproxyd_connection_slots_limit", "gauge",
	    "Connection slots in all (-max-conns).");
	metrics_buf_printf(b, "mmproxyd_connection_slots_limit %zu\n",
	    src->pool->max_conns);
	metrics_text_family(b, "mmproxyd_kits_in_use", "gauge",
	    "Copy buffers (with their pipe) lent to relays moving bytes.");
	metrics_buf_printf(b, "mmproxyd_kits_in_use %zu\n",
	    (size_t)METRICS_GET(src->kits->nlent));
	metrics_text_family(b, "mmproxyd_pipes_open", "gauge",
	    "splice() pipes open, lent or idle.");
	metrics_buf_printf(b, "mmproxyd_pipes_open %zu\n",
	    (size_t)METRICS_GET(src->kits->fds->pipes));
}

/* One sample per UDP socket, from a snapshot field at off. */
struct metrics_udp_family {
	const char	*name;
	const char	*type;
	const char	*help;
	const char	*labels;	/* after listener, or "" */
	size_t		 off;
};

#define US(f)	offsetof(struct udp_flow_stats, f)

static const struct metrics_udp_family metrics_udp_plain[] = {
	{ "mmproxyd_udp_datagrams_received_total", "counter",
	    "Datagrams from the load balancer.", "", US(datagrams) },
	{ "mmproxyd_udp_datagrams_sent_total", "counter",
	    "Datagrams sent on to a backend, or back to the load balancer.",
	    ",peer=\"backend\"", US(forwarded) },
	{ NULL, NULL, NULL, ",peer=\"load_balancer\"", US(replies) },
	{ "mmproxyd_udp_datagrams_dropped_total", "counter",
	    "Datagrams dropped, by reason.", ",reason=\"bad_header\"",
	    US(bad_header) },
	{ NULL, NULL, NULL, ",reason=\"denied\"", US(denied) },
	{ NULL, NULL, NULL, ",reason=\"send_failed\"", US(send_fail) },
	{ NULL, NULL, NULL, ",reason=\"no_flow_socket\"", US(flow_fail) },
	{ NULL, NULL, NULL, ",reason=\"other_load_balancer\"",
	    US(other_lb) },
	{ "mmproxyd_allowlist_denied_total", "counter",
	    METRICS_HELP_DENIED, ",proto=\"udp\"",
	    US(denied) },
	{ "mmproxyd_destinations_denied_total", "counter",
	    METRICS_HELP_DEST_DENIED, ",proto=\"udp\"", US(dest_denied) },
	{ "mmproxyd_udp_flows_active", "gauge",
	    "Client flows open now.", "", US(flows) },
	{ "mmproxyd_udp_flows_opened_total", "counter",
	    "Client flows opened.", "", US(opened) },
	{ "mmproxyd_udp_flows_expired_total", "counter",
	    "Client flows closed after -close-after idle.", "", US(expired) },
	{ "mmproxyd_udp_flows_evicted_total", "counter",
	    "Client flows closed to make room under -max-flows.", "",
	    US(evicted) },
	{ "mmproxyd_udp_flows_moved_total", "counter",
	    "Client flows taken over by another load balancer after theirs "
	    "sent nothing for them for a second.", "", US(lb_moved) },
};

/* The snapshot field at off, summed over the group's sockets. */
static uint64_t
metrics_udp_sum(const struct udp_flow_stats *st,
    const struct metrics_group *g, size_t off)
{
	uint64_t	sum = 0;
	int		i;

	for (i = g->first; i < g->first + g->count; i++)
		sum += *(const uint64_t *)(const void *)
		    ((const char *)&st[i] + off);
	return (sum);
}

static void
metrics_udp(const struct metrics_sources *src, struct metrics_buf *b)
{
	const struct metrics_udp_family *f;
	const char		*name = NULL;
	struct udp_flow_stats	*st;
	struct metrics_group	*grp;
	uint64_t		 v[METRICS_HDR_COUNT];
	size_t			 i;
	int			 j, k, ng;

	st = calloc((size_t)src->n + 1, sizeof(*st));
	if (st == NULL || (grp = metrics_groups(src, &ng)) == NULL) {
		free(st);
		b->failed = 1;
		return;
	}
	/* One snapshot per socket, so the families agree with each other. */
	for (j = 0; j < src->n; j++)
		udp_flow_get_stats(src->udp[j], &st[j]);

	for (i = 0; i < sizeof(metrics_udp_plain) /
	    sizeof(metrics_udp_plain[0]); i++) {
		f = &metrics_udp_plain[i];
		if (f->name != NULL) {
			name = f->name;
			metrics_text_family(b, f->name, f->type, f->help);
		}
		for (j = 0; j < ng; j++)
			metrics_buf_printf(b, "%s{listener=\"%s\"%s} %" PRIu64
			    "\n", name, grp[j].label, f->labels,
			    metrics_udp_sum(st, &grp[j], f->off));
	}

	metrics_text_family(b, "mmproxyd_bad_headers_total", "counter",
	    METRICS_HELP_BAD_HEADERS);
	for (j = 0; j < ng; j++) {
		for (k = 0; k < METRICS_HDR_COUNT; k++)
			v[k] = metrics_udp_sum(st, &grp[j], US(bad_header_by) +
			    (size_t)k * sizeof(uint64_t));
		metrics_by_reason(b, "mmproxyd_bad_headers_total",
		    grp[j].label, ",proto=\"udp\"", 1, METRICS_HDR_COUNT, v);
	}
	free(grp);
	free(st);
}

/* The route watch's verdicts; none with -mark or -dynamic-destination. */
static void
metrics_routes(struct metrics_buf *b)
{
	const char	*label;
	size_t		 i, n;
	int		 ok;

	if ((n = route_watch_count()) == 0)
		return;
	metrics_text_family(b, "mmproxyd_return_route_ok", "gauge",
	    "1 while replies from the backend address to spoofed clients "
	    "are routed back to mmproxyd (or the backend is on another "
	    "host), 0 while a rule or route they need is missing.");
	for (i = 0; i < n; i++) {
		ok = route_watch_ok(i, &label);
		metrics_buf_printf(b, "mmproxyd_return_route_ok{target=\"");
		metrics_text_label(b, label);
		metrics_buf_printf(b, "\"} %d\n", ok);
	}
}

void
metrics_render(const struct metrics_sources *src, struct metrics_buf *b)
{
	metrics_text_family(b, "mmproxyd_build_info", "gauge",
	    "Always 1; the version label says which mmproxyd runs.");
	metrics_buf_printf(b, "mmproxyd_build_info{version=\"");
	metrics_text_label(b, PACKAGE_VERSION);
	metrics_buf_printf(b, "\"} 1\n");
	metrics_text_family(b, "mmproxyd_start_time_seconds", "gauge",
	    "When mmproxyd started, in seconds since the Unix epoch.");
	metrics_buf_printf(b, "mmproxyd_start_time_seconds %.3f\n",
	    src->start_time);

	metrics_routes(b);
	if (src->proto == IPPROTO_UDP)
		metrics_udp(src, b);
	else
		metrics_tcp(src, b);
}
