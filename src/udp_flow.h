/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_flow.h -- one UDP thread per listening socket (-p udp): datagrams
 * from the load balancer in, one spoofed socket per client flow, replies
 * back out through the listener, idle flows expired.
 */
#ifndef MMPROXYD_UDP_FLOW_H
#define MMPROXYD_UDP_FLOW_H

#include <stdint.h>

#include "options.h"

struct allowlist;
struct udp_flow;

/* Counters, read by any thread (the USR1 and exit lines). */
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
};

/*
 * Start the thread for listen_fd, a bound SOCK_DGRAM socket (net_listen).
 * Each datagram's sender is checked against allow (NULL: all allowed),
 * which SIGHUP may replace meanwhile.
 * On success the thread owns listen_fd (udp_flow_join() closes it), and
 * *out is the handle for udp_flow_stop() and udp_flow_join(); id names
 * the thread in logs. With -listeners N, id i must be the i-th socket
 * bound to the port: thread 0 installs the program that steers each
 * client to socket (hash % N), so a client stays in one thread whichever
 * load balancer port it comes through. Returns 0, or an errno value
 * (listen_fd then stays the caller's).
 */
int	udp_flow_start(const struct options *cfg, struct allowlist *allow,
	    int id, int listen_fd, struct udp_flow **out);
/*
 * Ask the thread to close its flows and exit. Only writes to an eventfd,
 * so it may be called from any thread or a signal handler.
 */
void	udp_flow_stop(struct udp_flow *u);
/* Wait for the thread after udp_flow_stop() and free the handle. */
void	udp_flow_join(struct udp_flow *u);
/* A snapshot of the counters. */
void	udp_flow_get_stats(struct udp_flow *u, struct udp_flow_stats *st);
/* One line of counters, at -v 0 too; when says why, e.g. "stop". */
void	udp_flow_log_stats(struct udp_flow *u, const char *when);

#endif
