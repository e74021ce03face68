/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_stats.h -- the counters of one UDP thread: atomics written by that
 * thread, read by any (the SIGUSR1 and exit lines).
 */
#ifndef MMPROXYD_UDP_STATS_H
#define MMPROXYD_UDP_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "metrics_class.h"

/* A snapshot of the counters. */
struct udp_flow_stats {
	uint64_t	datagrams;	/* from the load balancer */
	uint64_t	forwarded;	/* sent on to a backend */
	uint64_t	replies;	/* sent back to the load balancer */
	uint64_t	bad_header;	/* no/v1/cut header, STREAM */
	uint64_t	denied;		/* sender not allowed */
	uint64_t	send_fail;	/* dropped by a failed send */
	uint64_t	flow_fail;	/* no socket for a new flow */
	uint64_t	flows;		/* open now */
	uint64_t	opened;
	uint64_t	expired;	/* idle for -close-after */
	uint64_t	evicted;	/* oldest, dropped for -max-flows */
	uint64_t	dest_denied;	/* -dynamic-destination-allow */
	uint64_t	other_lb;	/* flow held by another balancer */
	uint64_t	lb_moved;	/* flows a new balancer took over */
	uint64_t	bad_header_by[METRICS_HDR_COUNT];
};

struct udp_counters {
	atomic_uint_fast64_t	datagrams;
	atomic_uint_fast64_t	forwarded;
	atomic_uint_fast64_t	replies;
	atomic_uint_fast64_t	bad_header;
	atomic_uint_fast64_t	denied;
	atomic_uint_fast64_t	send_fail;
	atomic_uint_fast64_t	flow_fail;
	atomic_uint_fast64_t	flows;
	atomic_uint_fast64_t	opened;
	atomic_uint_fast64_t	expired;
	atomic_uint_fast64_t	evicted;
	atomic_uint_fast64_t	dest_denied;
	atomic_uint_fast64_t	other_lb;
	atomic_uint_fast64_t	lb_moved;
	atomic_uint_fast64_t	bad_header_by[METRICS_HDR_COUNT];
};

/* Relaxed: each counter stands alone, and only its thread writes it. */
#define UDP_STATS_ADD(c, field, n) \
	atomic_fetch_add_explicit(&(c)->field, (n), memory_order_relaxed)
#define UDP_STATS_INC(c, field)	UDP_STATS_ADD(c, field, 1)
#define UDP_STATS_DEC(c, field) \
	atomic_fetch_sub_explicit(&(c)->field, 1, memory_order_relaxed)

void	udp_stats_read(struct udp_counters *c, struct udp_flow_stats *st);
/*
 * One line of counters for thread id listening on where, at -v 0 too;
 * when says why.
 */
void	udp_stats_log(struct udp_counters *c, int id, const char *where,
	    const char *when);

#endif
