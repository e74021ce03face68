/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_metrics.c -- failure classes, the text format, and the rendered
 * families (promtool checks the format end to end in
 * tests/functional/metrics.sh).
 */

#include "config.h"

#include <netinet/in.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "endpoint.h"
#include "fd_gauge.h"
#include "kit_pool.h"
#include "listener.h"
#include "metrics_class.h"
#include "metrics_render.h"
#include "metrics_text.h"
#include "options.h"
#include "pool.h"
#include "proxy_header.h"
#include "test_suites.h"

static void
test_metrics_classes_name_every_header_error(void)
{
	int	e;

	CU_ASSERT_EQUAL(metrics_header_class(PP_ERR_SIGNATURE),
	    METRICS_HDR_NOT_PROXY);
	CU_ASSERT_EQUAL(metrics_header_class(PP_ERR_V1_PORT), METRICS_HDR_V1);
	CU_ASSERT_EQUAL(metrics_header_class(PP_ERR_V2_TLV), METRICS_HDR_V2);
	CU_ASSERT_EQUAL(metrics_header_class(PP_ERR_V2_CRC),
	    METRICS_HDR_CHECKSUM);
	for (e = 1; e < PP_ERR_COUNT; e++)
		CU_ASSERT(metrics_header_class(e) != METRICS_HDR_UNSUPPORTED);
	CU_ASSERT_STRING_EQUAL(metrics_header_class_name(METRICS_HDR_NOT_PROXY),
	    "not_proxy");
	CU_ASSERT_STRING_EQUAL(metrics_header_class_name(METRICS_HDR_COUNT),
	    "other");
}

static void
test_metrics_classes_group_errno_values(void)
{
	CU_ASSERT_EQUAL(metrics_errno_class(ECONNREFUSED), METRICS_ERR_REFUSED);
	CU_ASSERT_EQUAL(metrics_errno_class(ETIMEDOUT), METRICS_ERR_TIMEOUT);
	CU_ASSERT_EQUAL(metrics_errno_class(EHOSTUNREACH),
	    METRICS_ERR_UNREACHABLE);
	CU_ASSERT_EQUAL(metrics_errno_class(EADDRINUSE), METRICS_ERR_ADDRESS);
	CU_ASSERT_EQUAL(metrics_errno_class(EMFILE), METRICS_ERR_FD_LIMIT);
	CU_ASSERT_EQUAL(metrics_errno_class(ENFILE), METRICS_ERR_FD_LIMIT);
	CU_ASSERT_EQUAL(metrics_errno_class(ENOBUFS), METRICS_ERR_MEMORY);
	CU_ASSERT_EQUAL(metrics_errno_class(EPERM), METRICS_ERR_PERMISSION);
	CU_ASSERT_EQUAL(metrics_errno_class(EIO), METRICS_ERR_OTHER);
	CU_ASSERT_STRING_EQUAL(metrics_errno_class_name(METRICS_ERR_FD_LIMIT),
	    "fd_limit");
}

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

/*
 * Two listening addresses with two sockets each (-listeners 2): one
 * series per address, its sockets' counters summed.
 */
static void
test_metrics_render_tcp_sums_each_address(void)
{
	struct options		opts;
	struct pool		pool;
	struct kit_pool		kits;
	struct fd_gauge		gauge;
	struct kit		k;
	struct endpoint		ep[2];
	struct listener		l[4];
	struct metrics_sources	src;
	struct metrics_buf	b = { NULL, 0, 0, 0 };
	char			err[128];
	int			i;

	memset(&opts, 0, sizeof(opts));
	memset(ep, 0, sizeof(ep));
	CU_ASSERT_FATAL(addr_parse("127.0.0.1:8443", &ep[0].listen, err,
	    sizeof(err)) == 0);
	CU_ASSERT_FATAL(addr_parse("[::1]:8444", &ep[1].listen, err,
	    sizeof(err)) == 0);
	CU_ASSERT_FATAL(pool_init(&pool, 7, 0) == 0);
	fd_gauge_init(&gauge, 1000, 0, 4, 7);
	CU_ASSERT_FATAL(kit_pool_init(&kits, 4, 0, &gauge) == 0);
	CU_ASSERT_FATAL(kit_pool_get(&kits, &k) == 0);
	for (i = 0; i < 4; i++)
		tcp_shared_init(&l[i].sh, &opts, &ep[i / 2], &pool, &kits);
	/* Address 0: sockets 0 and 1; address 1: sockets 2 and 3. */
	atomic_store(&l[0].sh.stats.active, 2);
	atomic_store(&l[1].sh.stats.active, 3);
	atomic_store(&l[2].sh.stats.proxied, 12345);
	atomic_store(&l[3].sh.stats.proxied, 5);
	atomic_store(&l[3].sh.stats.bad_header_by[METRICS_HDR_NOT_PROXY], 3);
	atomic_store(&l[2].sh.stats.bad_header_by[METRICS_HDR_NOT_PROXY], 1);
	atomic_store(&l[3].sh.stats.backend_fail_by[METRICS_ERR_REFUSED], 4);
	atomic_store(&l[2].sh.stats.accept_fail_by[METRICS_ERR_FD_LIMIT], 5);
	atomic_store(&l[3].sh.stats.bytes_out, 1ULL << 40);
	atomic_store(&l[2].sh.stats.bytes_out, 1);
	atomic_store(&l[3].sh.stats.copy_fallback, 3);
	CU_ASSERT_FATAL(kit_pipe(&kits, &k) == 0);
	atomic_store(&l[0].sh.stats.dest_denied, 6);
	atomic_store(&l[1].sh.stats.dest_denied, 1);

	memset(&src, 0, sizeof(src));
	src.proto = IPPROTO_TCP;
	src.n = 4;
	src.endpoints = ep;
	src.per_endpoint = 2;
	src.tcp = l;
	src.pool = &pool;
	src.kits = &kits;
	src.start_time = 1700000000.25;
	metrics_render(&src, &b);
	metrics_buf_printf(&b, "%c", '\0');
	CU_ASSERT_FATAL(!b.failed);

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
	CU_ASSERT(has_line(b.p, "mmproxyd_bad_headers_total"
	    "{listener=\"[::1]:8444\",proto=\"tcp\",reason=\"v2_checksum\"} 0"));
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
	/* One series per address, not per socket. */
	CU_ASSERT(count_lines(b.p, "mmproxyd_connections_proxied_total{") == 2);
	CU_ASSERT(has_line(b.p, "mmproxyd_kits_in_use 1"));
	CU_ASSERT(has_line(b.p, "mmproxyd_pipes_open 1"));
	CU_ASSERT(has_line(b.p, "mmproxyd_copy_fallbacks_total"
	    "{listener=\"[::1]:8444\"} 3"));
	CU_ASSERT(has_line(b.p, "mmproxyd_connection_slots_limit 7"));
	CU_ASSERT(has_line(b.p, "mmproxyd_pool_threads{state=\"busy\"} 0"));
	CU_ASSERT(has_line(b.p,
	    "# TYPE mmproxyd_connections_proxied_total counter"));
	CU_ASSERT(has_line(b.p, "# TYPE mmproxyd_connections_active gauge"));
	check_families(b.p);

	metrics_buf_free(&b);
	kit_pool_put(&kits, &k, 0);
	CU_ASSERT_EQUAL(atomic_load(&kits.nlent), 0);
	for (i = 0; i < 4; i++)
		tcp_shared_destroy(&l[i].sh);
	kit_pool_destroy(&kits);
	pool_stop(&pool);
	pool_destroy(&pool);
}

void
test_metrics_register(void)
{
	CU_pSuite	s = test_suite_add("metrics");

	test_add(s, "classes name every header error",
	    test_metrics_classes_name_every_header_error);
	test_add(s, "classes group errno values",
	    test_metrics_classes_group_errno_values);
	test_add(s, "text escapes label values",
	    test_metrics_text_escapes_label_values);
	test_add(s, "text buffer grows", test_metrics_text_buffer_grows);
	test_add(s, "render tcp sums each address",
	    test_metrics_render_tcp_sums_each_address);
}
