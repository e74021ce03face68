/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_stats.h -- the counters of one UDP thread, declared once
 * (counter_table.h says what each column means): atomics written by
 * that thread, read by any (the SIGUSR1 and exit line, -metrics).
 */
#ifndef MMPROXYD_UDP_STATS_H
#define MMPROXYD_UDP_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "counter_table.h"
#include "failure_class.h"

/* The log line shows the rows with words in this order (mmproxyd.8). */
#define UDP_STATS_COUNTERS(X)						\
	/* from the load balancer */					\
	X(datagrams, ONE, UDP_RECEIVED, "", "datagrams")		\
	/* sent on to a backend */					\
	X(forwarded, ONE, UDP_SENT, "peer=backend", "forwarded")	\
	/* sent back to the load balancer */				\
	X(replies, ONE, UDP_SENT, "peer=load_balancer", "replies")	\
	/* no/v1/cut header, STREAM */					\
	X(bad_header, ONE, UDP_DROPPED, "reason=bad_header",		\
	    "bad header")						\
	/* sender not allowed */					\
	X(denied, ONE, UDP_DROPPED, "reason=denied", "denied")		\
	X(denied, ALSO, ALLOWLIST_DENIED, "proto=udp", NULL)		\
	/* dropped by a failed send */					\
	X(send_fail, ONE, UDP_DROPPED, "reason=send_failed",		\
	    "send failed")						\
	/* no socket for a new flow */					\
	X(flow_fail, ONE, UDP_DROPPED, "reason=no_flow_socket",		\
	    "flow failed")						\
	/* open now */							\
	X(flows, ONE, UDP_FLOWS_ACTIVE, "", "flows open")		\
	X(opened, ONE, UDP_FLOWS_OPENED, "", "opened")			\
	/* idle for -close-after */					\
	X(expired, ONE, UDP_FLOWS_EXPIRED, "", "expired")		\
	/* oldest, dropped for -max-flows */				\
	X(evicted, ONE, UDP_FLOWS_EVICTED, "", "evicted")		\
	/* -dynamic-destination-allow */				\
	X(dest_denied, ONE, DESTINATIONS_DENIED, "proto=udp",		\
	    "destination denied")					\
	/* flow held by another balancer */				\
	X(other_lb, ONE, UDP_DROPPED, "reason=other_load_balancer",	\
	    "from another balancer")					\
	/* flows a new balancer took over */				\
	X(lb_moved, ONE, UDP_FLOWS_MOVED, "", "moved")			\
	X(bad_header_by, BY_HEADER, BAD_HEADERS, "proto=udp", NULL)

struct udp_stats {
	UDP_STATS_COUNTERS(COUNTER_ATOMIC)
};

/* A snapshot of the counters. */
struct udp_stats_snapshot {
	UDP_STATS_COUNTERS(COUNTER_VALUE)
};

extern const struct counter_table udp_stats_table;

/* Relaxed: each counter stands alone, and only its thread writes it. */
#define UDP_STATS_ADD(c, field, n)					\
	atomic_fetch_add_explicit(&(c)->field, (n), memory_order_relaxed)
#define UDP_STATS_INC(c, field)	UDP_STATS_ADD(c, field, 1)
#define UDP_STATS_DEC(c, field)						\
	atomic_fetch_sub_explicit(&(c)->field, 1, memory_order_relaxed)

void	udp_stats_read(struct udp_stats *c, struct udp_stats_snapshot *st);
/*
 * One line of counters for thread id listening on where, at -v 0 too;
 * when says why.
 */
void	udp_stats_log(struct udp_stats *c, int id, const char *where,
	    const char *when);

#endif
