/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_counter_table.c -- the counters read, summed and logged through
 * their tables: the SIGUSR1 and exit lines word for word (operators and
 * scenarios grep them), and a field exported twice counted once.
 */

#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "counter_table.h"
#include "tcp_stats.h"
#include "test_suites.h"
#include "udp_stats.h"

/* Every value of every row of t in live, 100 + its place, class by class. */
static void
fill(const struct counter_table *t, void *live)
{
	const struct counter_desc *d;
	atomic_uint_fast64_t	*a;
	size_t			 i;
	int			 k, v = 100;

	for (i = 0; i < t->n; i++) {
		d = &t->desc[i];
		if (d->shape == COUNTER_ALSO)
			continue;
		a = (atomic_uint_fast64_t *)(void *)((char *)live + d->live);
		for (k = 0; k < counter_width(d->shape); k++)
			atomic_store(&a[k], (uint_fast64_t)v++);
	}
}

static void
test_counter_table_tcp_line_reads_as_before(void)
{
	struct tcp_stats		live;
	struct tcp_stats_snapshot	s;
	char				line[COUNTER_LOG_LEN];

	memset(&live, 0, sizeof(live));
	atomic_store(&live.accepted, 1);
	atomic_store(&live.proxied, 2);
	atomic_store(&live.denied, 3);
	atomic_store(&live.bad_header, 4);
	atomic_store(&live.header_timeout, 5);
	atomic_store(&live.header_memory, 6);
	atomic_store(&live.backend_fail, 7);
	atomic_store(&live.timed_out, 8);
	atomic_store(&live.active, 9);
	atomic_store(&live.bytes_in, 10);
	atomic_store(&live.bytes_out, 11);
	atomic_store(&live.port_waited, 12);
	atomic_store(&live.port_fallback, 13);
	atomic_store(&live.port_failed, 14);
	atomic_store(&live.copy_fallback, 15);
	atomic_store(&live.dest_denied, 16);
	atomic_store(&live.port_wait_us, 17);
	atomic_store(&live.bad_header_by[FAILURE_HDR_V1], 18);
	counter_table_read(&tcp_stats_table, &live, &s);
	CU_ASSERT_EQUAL(s.port_wait_us, 17);
	CU_ASSERT_EQUAL(s.bad_header_by[FAILURE_HDR_V1], 18);
	CU_ASSERT(counter_table_log(&tcp_stats_table, &s, line,
	    sizeof(line)) < sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "accepted 1, proxied 2, denied 3, "
	    "bad header 4, header timeout 5, header memory 6, "
	    "backend failed 7, timed out 8, active 9, bytes in 10, "
	    "bytes out 11, client port waited 12, client port fallback 13, "
	    "client port failed 14, copy fallbacks 15, destination denied 16");
}

static void
test_counter_table_udp_line_reads_as_before(void)
{
	struct udp_stats		live;
	struct udp_stats_snapshot	s;
	char				line[COUNTER_LOG_LEN];

	memset(&live, 0, sizeof(live));
	atomic_store(&live.datagrams, 1);
	atomic_store(&live.forwarded, 2);
	atomic_store(&live.replies, 3);
	atomic_store(&live.bad_header, 4);
	atomic_store(&live.denied, 5);
	atomic_store(&live.send_fail, 6);
	atomic_store(&live.flow_fail, 7);
	atomic_store(&live.flows, 8);
	atomic_store(&live.opened, 9);
	atomic_store(&live.expired, 10);
	atomic_store(&live.evicted, 11);
	atomic_store(&live.dest_denied, 12);
	atomic_store(&live.other_lb, 13);
	atomic_store(&live.lb_moved, 14);
	atomic_store(&live.bad_header_by[FAILURE_HDR_UNSUPPORTED], 15);
	udp_stats_read(&live, &s);
	CU_ASSERT_EQUAL(s.bad_header_by[FAILURE_HDR_UNSUPPORTED], 15);
	CU_ASSERT(counter_table_log(&udp_stats_table, &s, line,
	    sizeof(line)) < sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "1 datagrams, 2 forwarded, 3 replies, "
	    "4 bad header, 5 denied, 6 send failed, 7 flow failed, "
	    "8 flows open, 9 opened, 10 expired, 11 evicted, "
	    "12 destination denied, 13 from another balancer, 14 moved");
}

/* UDP's denied feeds two families, but is one field, summed once. */
static void
test_counter_table_sums_a_field_exported_twice_once(void)
{
	struct udp_stats		live;
	struct udp_stats_snapshot	a, sum;

	memset(&live, 0, sizeof(live));
	memset(&sum, 0, sizeof(sum));
	fill(&udp_stats_table, &live);
	udp_stats_read(&live, &a);
	counter_table_add(&udp_stats_table, &sum, &a);
	counter_table_add(&udp_stats_table, &sum, &a);
	CU_ASSERT_EQUAL(sum.denied, 2 * a.denied);
	CU_ASSERT_EQUAL(sum.datagrams, 2 * a.datagrams);
	CU_ASSERT_EQUAL(sum.bad_header_by[FAILURE_HDR_COUNT - 1],
	    2 * a.bad_header_by[FAILURE_HDR_COUNT - 1]);
	CU_ASSERT_EQUAL(a.datagrams, 100);
}

/* Every value is read into its own place, as fill() wrote it. */
static void
test_counter_table_reads_every_value(void)
{
	struct tcp_stats		live;
	struct tcp_stats_snapshot	s;
	const struct counter_desc	*d;
	size_t				i;
	uint64_t			v = 100;
	int				k;

	memset(&live, 0, sizeof(live));
	fill(&tcp_stats_table, &live);
	counter_table_read(&tcp_stats_table, &live, &s);
	for (i = 0; i < tcp_stats_table.n; i++) {
		d = &tcp_stats_table.desc[i];
		for (k = 0; k < counter_width(d->shape) &&
		    d->shape != COUNTER_ALSO; k++)
			CU_ASSERT_EQUAL(counter_value(d, &s, k), v++);
	}
	CU_ASSERT_EQUAL(v - 100, sizeof(s) / sizeof(uint64_t));
	CU_ASSERT_EQUAL(s.accept_fail_by[FAILURE_ERR_COUNT - 1], v - 1);
}

/* A line of the largest values fits, and a short buffer is cut safely. */
static void
test_counter_table_line_fits_every_value_at_its_largest(void)
{
	struct tcp_stats_snapshot	t;
	struct udp_stats_snapshot	u;
	char				line[COUNTER_LOG_LEN], small[16];
	size_t				n;

	memset(&t, 0xff, sizeof(t));
	memset(&u, 0xff, sizeof(u));
	n = counter_table_log(&tcp_stats_table, &t, line, sizeof(line));
	CU_ASSERT(n < sizeof(line));
	CU_ASSERT_EQUAL(strlen(line), n);
	n = counter_table_log(&udp_stats_table, &u, line, sizeof(line));
	CU_ASSERT(n < sizeof(line));
	CU_ASSERT_EQUAL(strlen(line), n);
	CU_ASSERT_EQUAL(counter_table_log(&udp_stats_table, &u, small,
	    sizeof(small)), n);
	CU_ASSERT_STRING_EQUAL(small, "184467440737095");
}

void
test_counter_table_register(void)
{
	CU_pSuite	s = test_suite_add("counter_table");

	test_add(s, "tcp line reads as before",
	    test_counter_table_tcp_line_reads_as_before);
	test_add(s, "udp line reads as before",
	    test_counter_table_udp_line_reads_as_before);
	test_add(s, "reads every value", test_counter_table_reads_every_value);
	test_add(s, "sums a field exported twice once",
	    test_counter_table_sums_a_field_exported_twice_once);
	test_add(s, "line fits every value at its largest",
	    test_counter_table_line_fits_every_value_at_its_largest);
}
