/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_stats.c -- reading and logging a UDP thread's counters from any
 * thread.
 */

#include "config.h"

#include <inttypes.h>
#include <stdatomic.h>

#include "log.h"
#include "udp_stats.h"

#define UDP_STATS_GET(c, field) \
	atomic_load_explicit(&(c)->field, memory_order_relaxed)

void
udp_stats_read(struct udp_counters *c, struct udp_flow_stats *st)
{
	int	i;

	st->datagrams = UDP_STATS_GET(c, datagrams);
	st->forwarded = UDP_STATS_GET(c, forwarded);
	st->replies = UDP_STATS_GET(c, replies);
	st->bad_header = UDP_STATS_GET(c, bad_header);
	st->denied = UDP_STATS_GET(c, denied);
	st->send_fail = UDP_STATS_GET(c, send_fail);
	st->flow_fail = UDP_STATS_GET(c, flow_fail);
	st->flows = UDP_STATS_GET(c, flows);
	st->opened = UDP_STATS_GET(c, opened);
	st->expired = UDP_STATS_GET(c, expired);
	st->evicted = UDP_STATS_GET(c, evicted);
	st->dest_denied = UDP_STATS_GET(c, dest_denied);
	st->other_lb = UDP_STATS_GET(c, other_lb);
	st->lb_moved = UDP_STATS_GET(c, lb_moved);
	for (i = 0; i < METRICS_HDR_COUNT; i++)
		st->bad_header_by[i] = UDP_STATS_GET(c, bad_header_by[i]);
}

void
udp_stats_log(struct udp_counters *c, int id, const char *where,
    const char *when)
{
	struct udp_flow_stats	s;

	udp_stats_read(c, &s);
	log_info("udp %d on %s %s: %" PRIu64 " datagrams, %" PRIu64
	    " forwarded, %" PRIu64 " replies, %" PRIu64 " bad header, %" PRIu64
	    " denied, %" PRIu64 " send failed, %" PRIu64 " flow failed, "
	    "%" PRIu64 " flows open, %" PRIu64 " opened, %" PRIu64
	    " expired, %" PRIu64 " evicted, %" PRIu64 " destination denied, "
	    "%" PRIu64 " from another balancer, %" PRIu64 " moved",
	    id, where, when, s.datagrams, s.forwarded, s.replies,
	    s.bad_header, s.denied, s.send_fail, s.flow_fail, s.flows,
	    s.opened, s.expired, s.evicted, s.dest_denied, s.other_lb,
	    s.lb_moved);
}
