/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_metrics.c -- the text format, and the rendered
 * families (promtool checks the format end to end in
 * tests/functional/metrics.sh).
 */

#include "config.h"

#include <netinet/in.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "endpoint.h"
#include "failure_class.h"
#include "frontend.h"
#include "metrics_family.h"
#include "metrics_render.h"
#include "metrics_text.h"
#include "options.h"
#include "tcp_bufpipe.h"
#include "tcp_fd_gauge.h"
#include "tcp_frontend.h"
#include "tcp_listener.h"
#include "tcp_pool.h"
#include "test_suites.h"
#include "udp_frontend.h"
#include "udp_thread_state.h"

static void
test_metrics_text_escapes_label_values(void)
{
	struct metrics_buf	b = { NULL, 0, 0, 0 };

	metrics_text_label(&b, "a\"b\\c\nd");
	CU_ASSERT_FATAL(!b.failed);
	CU_ASSERT_EQUAL(b.len, strlen("a\\\"b\\\\c\\nd"));
	CU_ASSERT(memcmp(b.p, "a\\\"b\\\\c\\nd", b.len) == 0);
	metrics_buf_free(&b);
}

static void
test_metrics_text_buffer_grows(void)
{
	struct metrics_buf	b = { NULL, 0, 0, 0 };
	int			i;

	for (i = 0; i < 10000; i++)
		metrics_buf_printf(&b, "%08d\n", i);
	CU_ASSERT_FATAL(!b.failed);
	CU_ASSERT_EQUAL(b.len, 90000);
	CU_ASSERT(memcmp(b.p + 89991, "00009999\n", 9) == 0);
	metrics_buf_free(&b);
}

/* Does text hold line exactly, as a whole line? */
static int
has_line(const char *text, const char *line)
{
	const char	*p = text;
	size_t		 n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return (1);
		p++;
	}
	return (0);
}

/* How many lines start with prefix. */
static int
count_lines(const char *text, const char *prefix)
{
	const char	*p = text;
	int		 n = 0;

	while ((p = strstr(p, prefix)) != NULL) {
		if (p == text || p[-1] == '\n')
			n++;
		p++;
	}
	return (n);
}

/*
 * Every sample's family has HELP and TYPE, and its samples come in one
 * group: what promtool and Prometheus insist on.
 */
static void
check_families(const char *text)
{
	char		 seen[64][96], cur[96] = "", name[96];
	const char	*p, *nl;
	size_t		 nseen = 0, i, len;

	for (p = text; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		CU_ASSERT_FATAL(nl != NULL);
		if (strncmp(p, "# HELP ", 7) == 0) {
			len = strcspn(p + 7, " ");
			CU_ASSERT_FATAL(len < sizeof(cur));
			memcpy(cur, p + 7, len);
			cur[len] = '\0';
			for (i = 0; i < nseen; i++)
				CU_ASSERT(strcmp(seen[i], cur) != 0);
			CU_ASSERT_FATAL(nseen < 64);
			memcpy(seen[nseen++], cur, len + 1);
			/* TYPE on the next line. */
			p = nl + 1;
			CU_ASSERT(strncmp(p, "# TYPE ", 7) == 0 &&
			    strncmp(p + 7, cur, len) == 0);
			nl = strchr(p, '\n');
			CU_ASSERT_FATAL(nl != NULL);
			continue;
		}
		len = strcspn(p, "{ ");
		CU_ASSERT_FATAL(len < sizeof(name));
		memcpy(name, p, len);
		name[len] = '\0';
		CU_ASSERT(strcmp(name, cur) == 0);
		CU_ASSERT(strncmp(name, "mmproxyd_", 9) == 0);
	}
}

/* Two listening addresses with two sockets each (-listeners 2). */
struct tcp_fixture {
	struct options		opts;
	struct tcp_frontend	t;
	struct tcp_bufpipe	bp;
	struct endpoint		ep[2];
	struct tcp_listener	l[4];
	struct frontend		*fe;
	struct metrics_sources	src;
};

static void
endpoints_init(struct endpoint *ep)
{
	char	err[128];

	memset(ep, 0, 2 * sizeof(*ep));
	CU_ASSERT_FATAL(addr_parse("127.0.0.1:8443", &ep[0].listen, err,
	    sizeof(err)) == 0);
	CU_ASSERT_FATAL(addr_parse("[::1]:8444", &ep[1].listen, err,
	    sizeof(err)) == 0);
}

/* A front end of ops serving fx's two addresses, four sockets. */
static void
frontend_fixture_init(struct frontend *fe, const struct frontend_ops *ops,
    struct options *opts, const struct endpoint *ep)
{
	opts->listeners = 2;
	fe->ops = ops;
	fe->env.opts = opts;
	fe->env.endpoints = ep;
	fe->env.nendpoints = 2;
	fe->nsocks = 4;
}

static void
tcp_fixture_init(struct tcp_fixture *fx)
{
	struct tcp_frontend	*t = &fx->t;
	int			 i;

	memset(fx, 0, sizeof(*fx));
	endpoints_init(fx->ep);
	frontend_fixture_init(&t->fe, &tcp_frontend_ops, &fx->opts, fx->ep);
	t->listeners = fx->l;
	CU_ASSERT_FATAL(tcp_pool_init(&t->pool, 7, 0) == 0);
	tcp_fd_gauge_init(&t->gauge, 1000, 0, 4, 7);
	CU_ASSERT_FATAL(tcp_bufpipe_pool_init(&t->bufpipes, 4, 0,
	    &t->gauge) == 0);
	CU_ASSERT_FATAL(tcp_bufpipe_get(&t->bufpipes, &fx->bp) == 0);
	/* Address 0: sockets 0 and 1; address 1: sockets 2 and 3. */
	for (i = 0; i < 4; i++)
		tcp_conns_init(&fx->l[i].cs, &fx->opts, &fx->ep[i / 2],
		    &t->pool, &t->bufpipes);
	fx->fe = &t->fe;
	fx->src.fe = &fx->fe;
	fx->src.n = 1;
	fx->src.start_time = 1700000000.25;
}

static void
tcp_fixture_destroy(struct tcp_fixture *fx)
{
	struct tcp_frontend	*t = &fx->t;
	int			 i;

	tcp_bufpipe_put(&t->bufpipes, &fx->bp, 0);
	CU_ASSERT_EQUAL(atomic_load(&t->bufpipes.nlent), 0);
	for (i = 0; i < 4; i++)
		tcp_conns_destroy(&fx->l[i].cs);
	tcp_bufpipe_pool_destroy(&t->bufpipes);
	tcp_pool_stop(&t->pool);
	tcp_pool_destroy(&t->pool);
}

/* The same two addresses, for -p udp: four UDP threads' counters. */
struct udp_fixture {
	struct options		opts;
	struct udp_frontend	uf;
	struct endpoint		ep[2];
	struct udp_thread	u[4];
	struct udp_thread	*up[4];
	struct frontend		*fe;
	struct metrics_sources	src;
};

static void
udp_fixture_init(struct udp_fixture *fx)
{
	int	i;

	memset(fx, 0, sizeof(*fx));
	endpoints_init(fx->ep);
	frontend_fixture_init(&fx->uf.fe, &udp_frontend_ops, &fx->opts,
	    fx->ep);
	for (i = 0; i < 4; i++)
		fx->up[i] = &fx->u[i];
	fx->uf.threads = fx->up;
	fx->fe = &fx->uf.fe;
	fx->src.fe = &fx->fe;
	fx->src.n = 1;
	fx->src.start_time = 1700000000.25;
}

/* Render src into b, NUL-terminated. */
static void
render(const struct metrics_sources *src, struct metrics_buf *b)
{
	memset(b, 0, sizeof(*b));
	metrics_render(src, b);
	metrics_buf_printf(b, "%c", '\0');
	CU_ASSERT_FATAL(!b->failed);
}

/*
 * One listening address's sockets summed into one series.
 */
static void
test_metrics_render_tcp_sums_each_address(void)
{
	struct tcp_fixture	fx;
	struct tcp_listener	*l = fx.l;
	struct metrics_buf	b;

	tcp_fixture_init(&fx);
	atomic_store(&l[0].cs.stats.active, 2);
	atomic_store(&l[1].cs.stats.active, 3);
	atomic_store(&l[2].cs.stats.proxied, 12345);
	atomic_store(&l[3].cs.stats.proxied, 5);
	atomic_store(&l[3].cs.stats.bad_header_by[FAILURE_HDR_NOT_PROXY], 3);
	atomic_store(&l[2].cs.stats.bad_header_by[FAILURE_HDR_NOT_PROXY], 1);
	atomic_store(&l[3].cs.stats.backend_fail_by[FAILURE_ERR_REFUSED], 4);
	atomic_store(&l[2].cs.stats.accept_fail_by[FAILURE_ERR_FD_LIMIT], 5);
	atomic_store(&l[3].cs.stats.bytes_out, 1ULL << 40);
	atomic_store(&l[2].cs.stats.bytes_out, 1);
	atomic_store(&l[3].cs.stats.copy_fallback, 3);
	CU_ASSERT_FATAL(tcp_bufpipe_need_pipe(&fx.t.bufpipes, &fx.bp) == 0);
	atomic_store(&l[0].cs.stats.dest_denied, 6);
	atomic_store(&l[1].cs.stats.dest_denied, 1);
	atomic_store(&l[1].cs.stats.port_fallback, 8);
	atomic_store(&l[0].cs.stats.port_wait_us, 1500000);
	atomic_store(&l[1].cs.stats.port_wait_us, 250);
	atomic_store(&l[2].cs.stats.denied, 9);
	render(&fx.src, &b);

	CU_ASSERT(has_line(b.p, "mmproxyd_build_info{version=\""
	    PACKAGE_VERSION "\"} 1"));
	CU_ASSERT(has_line(b.p, "mmproxyd_start_time_seconds 1700000000.250"));
	CU_ASSERT(has_line(b.p, "mmproxyd_connections_proxied_total"
	    "{listener=\"127.0.0.1:8443\"} 0"));
	CU_ASSERT(has_line(b.p, "mmproxyd_connections_proxied_total"
	    "{listener=\"[::1]:8444\"} 12350"));
	CU_ASSERT(has_line(b.p, "mmproxyd_connections_active"
	    "{listener=\"127.0.0.1:8443\"} 5"));
	CU_ASSERT(has_line(b.p, "mmproxyd_bad_headers_total"
	    "{listener=\"[::1]:8444\",proto=\"tcp\",reason=\"not_proxy\"} 4"));
	CU_ASSERT(has_line(b.p, "mmproxyd_bad_headers_total{listener="
	    "\"[::1]:8444\",proto=\"tcp\",reason=\"v2_checksum\"} 0"));
	CU_ASSERT(has_line(b.p, "mmproxyd_backend_connect_failures_total"
	    "{listener=\"[::1]:8444\",reason=\"refused\"} 4"));
	CU_ASSERT(has_line(b.p, "mmproxyd_accept_errors_total"
	    "{listener=\"[::1]:8444\",reason=\"fd_limit\"} 5"));
	CU_ASSERT(has_line(b.p, "mmproxyd_relayed_bytes_total"
	    "{listener=\"[::1]:8444\",direction=\"out\"} 1099511627777"));
	CU_ASSERT(has_line(b.p, "mmproxyd_destinations_denied_total"
	    "{listener=\"127.0.0.1:8443\",proto=\"tcp\"} 7"));
	CU_ASSERT(has_line(b.p, "mmproxyd_destinations_denied_total"
	    "{listener=\"[::1]:8444\",proto=\"tcp\"} 0"));
	CU_ASSERT(has_line(b.p, "mmproxyd_allowlist_denied_total"
	    "{listener=\"[::1]:8444\",proto=\"tcp\"} 9"));
	CU_ASSERT(has_line(b.p, "mmproxyd_client_port_busy_total"
	    "{listener=\"127.0.0.1:8443\",outcome=\"fallback\"} 8"));
	CU_ASSERT(has_line(b.p, "mmproxyd_client_port_busy_total"
	    "{listener=\"127.0.0.1:8443\",outcome=\"waited\"} 0"));
	CU_ASSERT(has_line(b.p, "mmproxyd_client_port_wait_seconds_total"
	    "{listener=\"127.0.0.1:8443\"} 1.500250"));
	/* One series per address, not per socket. */
	CU_ASSERT(count_lines(b.p, "mmproxyd_connections_proxied_total{") == 2);
	CU_ASSERT(count_lines(b.p, "mmproxyd_client_port_busy_total{") == 6);
	CU_ASSERT(has_line(b.p, "mmproxyd_kits_in_use 1"));
	CU_ASSERT(has_line(b.p, "mmproxyd_pipes_open 1"));
	CU_ASSERT(has_line(b.p, "mmproxyd_copy_fallbacks_total"
	    "{listener=\"[::1]:8444\"} 3"));
	CU_ASSERT(has_line(b.p, "mmproxyd_connection_slots_limit 7"));
	CU_ASSERT(has_line(b.p, "mmproxyd_pool_threads{state=\"busy\"} 0"));
	CU_ASSERT(has_line(b.p,
	    "# TYPE mmproxyd_connections_proxied_total counter"));
	CU_ASSERT(has_line(b.p, "# TYPE mmproxyd_connections_active gauge"));
	/* No UDP family in a TCP daemon's exposition. */
	CU_ASSERT(strstr(b.p, "proto=\"udp\"") == NULL);
	CU_ASSERT(strstr(b.p, "mmproxyd_udp_") == NULL);
	check_families(b.p);

	metrics_buf_free(&b);
	tcp_fixture_destroy(&fx);
}

static void
test_metrics_render_udp_sums_each_address(void)
{
	struct udp_fixture	fx;
	struct udp_stats	*c[4];
	struct metrics_buf	b;
	int			i;

	udp_fixture_init(&fx);
	for (i = 0; i < 4; i++)
		c[i] = &fx.u[i].st;
	atomic_store(&c[0]->datagrams, 10);
	atomic_store(&c[1]->datagrams, 20);
	atomic_store(&c[2]->forwarded, 7);
	atomic_store(&c[3]->replies, 6);
	atomic_store(&c[2]->denied, 4);
	atomic_store(&c[3]->denied, 1);
	atomic_store(&c[0]->other_lb, 2);
	atomic_store(&c[1]->flows, 3);
	atomic_store(&c[3]->dest_denied, 11);
	atomic_store(&c[3]->bad_header_by[FAILURE_HDR_UNSUPPORTED], 5);
	atomic_store(&c[0]->lb_moved, 12);
	render(&fx.src, &b);

	CU_ASSERT(has_line(b.p, "mmproxyd_udp_datagrams_received_total"
	    "{listener=\"127.0.0.1:8443\"} 30"));
	CU_ASSERT(has_line(b.p, "mmproxyd_udp_datagrams_sent_total"
	    "{listener=\"[::1]:8444\",peer=\"backend\"} 7"));
	CU_ASSERT(has_line(b.p, "mmproxyd_udp_datagrams_sent_total"
	    "{listener=\"[::1]:8444\",peer=\"load_balancer\"} 6"));
	/* One field, two families, the same number. */
	CU_ASSERT(has_line(b.p, "mmproxyd_udp_datagrams_dropped_total"
	    "{listener=\"[::1]:8444\",reason=\"denied\"} 5"));
	CU_ASSERT(has_line(b.p, "mmproxyd_allowlist_denied_total"
	    "{listener=\"[::1]:8444\",proto=\"udp\"} 5"));
	CU_ASSERT(has_line(b.p, "mmproxyd_udp_datagrams_dropped_total"
	    "{listener=\"127.0.0.1:8443\",reason=\"other_load_balancer\"} 2"));
	CU_ASSERT(has_line(b.p, "mmproxyd_udp_flows_active"
	    "{listener=\"127.0.0.1:8443\"} 3"));
	CU_ASSERT(has_line(b.p, "mmproxyd_destinations_denied_total"
	    "{listener=\"[::1]:8444\",proto=\"udp\"} 11"));
	CU_ASSERT(has_line(b.p, "mmproxyd_bad_headers_total{listener="
	    "\"[::1]:8444\",proto=\"udp\",reason=\"unsupported\"} 5"));
	CU_ASSERT(has_line(b.p, "mmproxyd_udp_flows_moved_total"
	    "{listener=\"127.0.0.1:8443\"} 12"));
	CU_ASSERT(count_lines(b.p, "mmproxyd_udp_datagrams_dropped_total{")
	    == 10);
	CU_ASSERT(has_line(b.p, "# TYPE mmproxyd_udp_flows_active gauge"));
	/* No TCP family, nor the relay pool's gauges. */
	CU_ASSERT(strstr(b.p, "proto=\"tcp\"") == NULL);
	CU_ASSERT(strstr(b.p, "mmproxyd_connections_") == NULL);
	CU_ASSERT(strstr(b.p, "mmproxyd_pool_threads") == NULL);
	check_families(b.p);
	metrics_buf_free(&b);
}

/*
 * The families text holds, and each sample's label names (joined by
 * commas) against its family's in the table; returns how many families.
 */
static int
check_labels(const char *text, int *seen)
{
	const char	*p, *nl, *q, *end;
	char		 name[96], keys[96];
	size_t		 len;
	int		 f, n = 0;

	for (p = text; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		CU_ASSERT_FATAL(nl != NULL);
		if (*p == '#')
			continue;
		len = strcspn(p, "{ ");
		CU_ASSERT_FATAL(len < sizeof(name));
		memcpy(name, p, len);
		name[len] = '\0';
		keys[0] = '\0';
		if (p[len] == '{' && (end = strchr(p, '}')) != NULL)
			for (q = p + len + 1; q < end; q = strchr(q, '"') + 2) {
				if (keys[0] != '\0')
					strcat(keys, ",");
				strncat(keys, q, strcspn(q, "="));
				q = strchr(q, '"') + 1;
			}
		for (f = 0; f < METRICS_FAMILY_COUNT; f++)
			if (strcmp(metrics_families[f].name, name) == 0)
				break;
		CU_ASSERT_FATAL(f < METRICS_FAMILY_COUNT);
		if (strcmp(keys, metrics_families[f].labels) != 0) {
			fprintf(stderr, "\n  %s: labels {%s}, the table's "
			    "{%s}\n", name, keys, metrics_families[f].labels);
			CU_FAIL("a sample's labels are not its family's");
		}
		n += !seen[f];
		seen[f] = 1;
	}
	return (n);
}

/*
 * Between them TCP and UDP write every family of the table, each sample
 * with the labels the table (and so the man page) gives it. The return
 * route's family needs a route watch (tests/functional/route_watch.sh).
 */
static void
test_metrics_render_gives_every_family_its_labels(void)
{
	struct tcp_fixture	tfx;
	struct udp_fixture	ufx;
	struct metrics_buf	b;
	int			seen[METRICS_FAMILY_COUNT] = { 0 }, f;

	tcp_fixture_init(&tfx);
	render(&tfx.src, &b);
	CU_ASSERT(check_labels(b.p, seen) > 0);
	metrics_buf_free(&b);
	tcp_fixture_destroy(&tfx);
	udp_fixture_init(&ufx);
	render(&ufx.src, &b);
	CU_ASSERT(check_labels(b.p, seen) > 0);
	metrics_buf_free(&b);
	for (f = 0; f < METRICS_FAMILY_COUNT; f++) {
		if (f == METRICS_FAM_RETURN_ROUTE_OK)
			continue;
		if (!seen[f])
			fprintf(stderr, "\n  %s is never written\n",
			    metrics_families[f].name);
		CU_ASSERT(seen[f]);
	}
}

void
test_metrics_register(void)
{
	CU_pSuite	s = test_suite_add("metrics");

	test_add(s, "text escapes label values",
	    test_metrics_text_escapes_label_values);
	test_add(s, "text buffer grows", test_metrics_text_buffer_grows);
	test_add(s, "render tcp sums each address",
	    test_metrics_render_tcp_sums_each_address);
	test_add(s, "render udp sums each address",
	    test_metrics_render_udp_sums_each_address);
	test_add(s, "render gives every family its labels",
	    test_metrics_render_gives_every_family_its_labels);
}
