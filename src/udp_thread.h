/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_thread.h -- one UDP thread per listening socket (-p udp): datagrams
 * from the load balancer in, one spoofed socket per client flow, replies
 * back out where each datagram was sent (udp_reply.h), idle flows expired.
 */
#ifndef MMPROXYD_UDP_THREAD_H
#define MMPROXYD_UDP_THREAD_H

#include <stdint.h>

#include "options.h"
#include "udp_stats.h"

struct allowlist;
struct endpoint;
struct handover_sock;
struct udp_thread;

/*
 * Start the thread for listen_fd, a SOCK_DGRAM socket bound to ep's port
 * (net_listen); ep gives its targets and must outlive the thread.
 * Each datagram's sender is checked against allow, whose list SIGHUP
 * may replace meanwhile.
 * On success the thread owns listen_fd (udp_thread_join() closes it), and
 * *out is the handle for the calls below; id names the thread in logs.
 * With -listeners N, ids go port by port: id i must be the (i % N)-th
 * socket bound to its port, and each port's socket 0 installs the program
 * that steers each
 * client to socket (hash % N), so a client stays in one thread whichever
 * load balancer port it comes through. When paused is set the thread
 * runs but does not read listen_fd until udp_thread_resume() (a hot
 * upgrade's new generation, until the old one has let go). Returns 0,
 * or an errno value (listen_fd then stays the caller's).
 */
int	udp_thread_start(const struct options *cfg, const struct endpoint *ep,
	    struct allowlist *allow, int id, int listen_fd, int paused,
	    struct udp_thread **out);
/* The listening socket, for a hot upgrade to hand over. */
void	udp_thread_handover_sock(const struct udp_thread *u,
	    struct handover_sock *s);
/* Start reading the listener. Returns 0, or -1 with errno set. */
int	udp_thread_resume(struct udp_thread *u);
/*
 * Hand over (SIGUSR2): stop reading the listener, which the next
 * generation shares, relay the replies that still come for the flows
 * until they stop (-shutdown-timeout at most), close them and exit;
 * join with udp_thread_join(). udp_thread_released() says when the listener
 * is no longer read, so that the next generation may start.
 */
void	udp_thread_handover(struct udp_thread *u);
int	udp_thread_released(struct udp_thread *u);
/*
 * Ask the thread to close its flows and exit. Only writes to an eventfd,
 * so it may be called from any thread or a signal handler.
 */
void	udp_thread_stop(struct udp_thread *u);
/*
 * Wait for the thread after udp_thread_stop() and close the listener; the
 * counters stay readable until udp_thread_free(). Returns 0, or -1 when the
 * thread stopped on an error of its own (it then sent SIGTERM to the
 * process: the daemon should exit non-zero).
 */
int	udp_thread_join(struct udp_thread *u);
/* Free the handle, after udp_thread_join(). */
void	udp_thread_free(struct udp_thread *u);
/* A snapshot of the counters. */
void	udp_thread_get_stats(struct udp_thread *u,
	    struct udp_stats_snapshot *st);
/* One line of counters, at -v 0 too; when says why, e.g. "exit". */
void	udp_thread_log_stats(struct udp_thread *u, const char *when);

#endif
