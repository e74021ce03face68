/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * metrics_render.c -- the metric families, in the Prometheus naming
 * style: an mmproxyd_ prefix, the unit in the name, _total on counters,
 * a "listener" label with the socket's index (-listeners N), "proto"
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

#include "kit_pool.h"
#include "listener.h"
#include "metrics_class.h"
#include "metrics_render.h"
#include "pool.h"
#include "udp_flow.h"

#define METRICS_GET(a)	atomic_load_explicit(&(a), memory_order_relaxed)

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
	{ "mmproxyd_connections_timed_out_total", "counter",
	    "Proxied TCP connections ended because a peer went silent "
	    "(keepalive or user timeout).", TS(timed_out) },
	{ "mmproxyd_connections_active", "gauge",
	    "Proxied TCP connections open now.", TS(active) },
};

static uint64_t
metrics_tcp_get(struct listener *l, size_t off)
{
	return (METRICS_GET(*(atomic_uint_fast64_t *)(void *)
	    ((char *)&l->sh.stats + off)));
}

static void
metrics_tcp(const struct metrics_sources *src, struct metrics_buf *b)
{
	const struct metrics_tcp_family *f;
	struct tcp_stats	*s;
	size_t			 i, total, idle;
	int			 j, k;

	for (i = 0; i < sizeof(metrics_tcp_plain) /
	    sizeof(metrics_tcp_plain[0]); i++) {
		f = &metrics_tcp_plain[i];
		metrics_text_family(b, f->name, f->type, f->help);
		for (j = 0; j < src->n; j++)
			metrics_buf_printf(b, "%s{listener=\"%d\"} %" PRIu64
			    "\n", f->name, j, metrics_tcp_get(&src->tcp[j],
			    f->off));
	}

	metrics_text_family(b, "mmproxyd_allowlist_denied_total", "counter",
	    "Connections (tcp) or datagrams (udp) refused because the "
	    "sender is not in -allowed-subnets.");
	for (j = 0; j < src->n; j++)
		metrics_buf_printf(b, "mmproxyd_allowlist_denied_total"
		    "{listener=\"%d\",proto=\"tcp\"} %" PRIu64 "\n", j,
		    (uint64_t)METRICS_GET(src->tcp[j].sh.stats.denied));

	metrics_text_family(b, "mmproxyd_bad_headers_total", "counter",
	    "Connections (tcp) or datagrams (udp) dropped for a missing, "
	    "malformed or unusable PROXY header, by reason.");
	for (j = 0; j < src->n; j++)
		for (k = 0; k < METRICS_HDR_COUNT; k++)
			metrics_buf_printf(b, "mmproxyd_bad_headers_total"
			    "{listener=\"%d\",proto=\"tcp\",reason=\"%s\"} %"
			    PRIu64 "\n", j, metrics_header_class_name(k),
			    (uint64_t)METRICS_GET(
			    src->tcp[j].sh.stats.bad_header_by[k]));

	metrics_text_family(b, "mmproxyd_backend_connect_failures_total",
	    "counter", "Backend connections that failed, by errno class.");
	for (j = 0; j < src->n; j++)
		for (k = 0; k < METRICS_ERR_COUNT; k++)
			metrics_buf_printf(b,
			    "mmproxyd_backend_connect_failures_total"
			    "{listener=\"%d\",reason=\"%s\"} %" PRIu64 "\n",
			    j, metrics_errno_class_name(k),
			    (uint64_t)METRICS_GET(
			    src->tcp[j].sh.stats.backend_fail_by[k]));

	metrics_text_family(b, "mmproxyd_accept_errors_total", "counter",
	    "accept() failures that made the listener back off, by errno "
	    "class (fd_limit is EMFILE or ENFILE).");
	for (j = 0; j < src->n; j++)
		for (k = 0; k < METRICS_ERR_COUNT; k++)
			metrics_buf_printf(b, "mmproxyd_accept_errors_total"
			    "{listener=\"%d\",reason=\"%s\"} %" PRIu64 "\n",
			    j, metrics_errno_class_name(k),
			    (uint64_t)METRICS_GET(
			    src->tcp[j].sh.stats.accept_fail_by[k]));

	metrics_text_family(b, "mmproxyd_relayed_bytes_total", "counter",
	    "Bytes relayed: direction in is client to backend, out is "
	    "backend to client.");
	for (j = 0; j < src->n; j++) {
		s = &src->tcp[j].sh.stats;
		metrics_buf_printf(b, "mmproxyd_relayed_bytes_total"
		    "{listener=\"%d\",direction=\"in\"} %" PRIu64 "\n"
		    "mmproxyd_relayed_bytes_total"
		    "{listener=\"%d\",direction=\"out\"} %" PRIu64 "\n",
		    j, (uint64_t)METRICS_GET(s->bytes_in),
		    j, (uint64_t)METRICS_GET(s->bytes_out));
	}

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
	    (size_t)METRICS_GET(src->kits->npipes));
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
	{ "mmproxyd_allowlist_denied_total", "counter",
	    "Connections (tcp) or datagrams (udp) refused because the "
	    "sender is not in -allowed-subnets.", ",proto=\"udp\"",
	    US(denied) },
	{ "mmproxyd_udp_flows_active", "gauge",
	    "Client flows open now.", "", US(flows) },
	{ "mmproxyd_udp_flows_opened_total", "counter",
	    "Client flows opened.", "", US(opened) },
	{ "mmproxyd_udp_flows_expired_total", "counter",
	    "Client flows closed after -close-after idle.", "", US(expired) },
	{ "mmproxyd_udp_flows_evicted_total", "counter",
	    "Client flows closed to make room under -max-flows.", "",
	    US(evicted) },
};

static void
metrics_udp(const struct metrics_sources *src, struct metrics_buf *b)
{
	const struct metrics_udp_family *f;
	const char		*name = NULL;
	struct udp_flow_stats	*st;
	size_t			 i;
	int			 j, k;

	if ((st = calloc((size_t)src->n, sizeof(*st))) == NULL) {
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
		for (j = 0; j < src->n; j++)
			metrics_buf_printf(b, "%s{listener=\"%d\"%s} %" PRIu64
			    "\n", name, j, f->labels, *(const uint64_t *)
			    (const void *)((const char *)&st[j] + f->off));
	}

	metrics_text_family(b, "mmproxyd_bad_headers_total", "counter",
	    "Connections (tcp) or datagrams (udp) dropped for a missing, "
	    "malformed or unusable PROXY header, by reason.");
	for (j = 0; j < src->n; j++)
		for (k = 0; k < METRICS_HDR_COUNT; k++)
			metrics_buf_printf(b, "mmproxyd_bad_headers_total"
			    "{listener=\"%d\",proto=\"udp\",reason=\"%s\"} %"
			    PRIu64 "\n", j, metrics_header_class_name(k),
			    st[j].bad_header_by[k]);
	free(st);
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

	if (src->proto == IPPROTO_UDP)
		metrics_udp(src, b);
	else
		metrics_tcp(src, b);
}
