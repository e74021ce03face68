/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_conns.h -- one TCP listener's connections: what they share (the
 * options, the pool and bufpipes they draw on, the counters) and the
 * list of those in flight, which shutdown walks, and which a connection
 * searches, on every listener, for the one of ours that holds its
 * client's address and port.
 */
#ifndef MMPROXYD_TCP_CONNS_H
#define MMPROXYD_TCP_CONNS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <sys/socket.h>

#include "failure_class.h"
#include "tcp_stats.h"

struct conn;
struct endpoint;
struct tcp_bufpipe_pool;
struct options;
struct tcp_pool;

/* Relaxed: each counter stands alone. errno is left as it was. */
#define TCP_STATS_INC(s, field) \
	atomic_fetch_add_explicit(&(s)->field, 1, memory_order_relaxed)
#define TCP_STATS_BAD_HEADER(s, cls) do {				\
	TCP_STATS_INC(s, bad_header);					\
	TCP_STATS_INC(s, bad_header_by[(cls)]);				\
} while (0)
#define TCP_STATS_BACKEND_FAIL(s, err) do {				\
	TCP_STATS_INC(s, backend_fail);					\
	TCP_STATS_INC(s, backend_fail_by[failure_class_of_errno(err)]);	\
} while (0)

struct tcp_conns {
	const struct options	*opts;
	const struct endpoint	*ep;	/* the listener's port and targets */
	struct tcp_pool		*pool;
	struct tcp_bufpipe_pool	*bufpipes;
	struct tcp_stats	 stats;
	/* Connections in flight, so shutdown can end them; mtx guards. */
	pthread_mutex_t		 live_mtx;
	struct conn		*live;
	/*
	 * Under live_mtx too: bumped, with a broadcast, each time a
	 * connection that someone waits for (conn.port_waited) leaves the
	 * list, its sockets closed.
	 */
	pthread_cond_t		 let_go;
	uint64_t		 let_go_count;
	struct tcp_conns	*all_next;	/* all listeners', in order */
};

/* What holds a client's address and port, for tcp_conns_wait_port. */
enum tcp_conns_port {
	TCP_CONNS_PORT_NOT_OURS,	/* none of our connections */
	TCP_CONNS_PORT_LIVE,		/* ours, open both ways: do not wait */
	TCP_CONNS_PORT_LET_GO,		/* ours, closing; now closed */
	TCP_CONNS_PORT_STILL_HELD	/* ours, closing; deadline passed */
};

/* Also enters cs in the process-wide list tcp_conns_wait_port walks. */
void	tcp_conns_init(struct tcp_conns *cs, const struct options *opts,
	    const struct endpoint *ep, struct tcp_pool *pool,
	    struct tcp_bufpipe_pool *bufpipes);
/*
 * Only once no relay can still reach cs (its connections all ended), nor
 * any other listener's relay (tcp_pool_conns() is 0).
 */
void	tcp_conns_destroy(struct tcp_conns *cs);

/* Enter c in the list, before a pool thread may run it. */
void	tcp_conns_add(struct tcp_conns *cs, struct conn *c);
/*
 * c is about to close its fds: shutdown leaves it alone from now on, but
 * it stays listed, so a connection that needs its client port finds it.
 */
void	tcp_conns_leave(struct tcp_conns *cs, struct conn *c);
/* Take c out of the list, and wake whoever waits for its port. */
void	tcp_conns_remove(struct tcp_conns *cs, struct conn *c);
/* Publish or withdraw c's backend fd, so an abort sees it or not. */
void	tcp_conns_set_backend(struct tcp_conns *cs, struct conn *c, int bfd);
/* End every connection in the list at once, queued ones included. */
void	tcp_conns_abort_all(struct tcp_conns *cs);

/*
 * Find, on every listener, a connection of ours other than self with a
 * backend socket from client address and port src to dst. When it is
 * closing (a FIN or an error on either side), wait until it has closed
 * its sockets or until deadline_us (monotonic_us()). self's own backend
 * socket must be withdrawn (-1) meanwhile.
 */
enum tcp_conns_port tcp_conns_wait_port(const struct conn *self,
	    const struct sockaddr *src, const struct sockaddr *dst,
	    uint64_t deadline_us);

#endif
