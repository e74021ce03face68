/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_listener.h -- one acceptor thread per TCP listening socket.
 */
#ifndef MMPROXYD_TCP_LISTENER_H
#define MMPROXYD_TCP_LISTENER_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include "tcp_conns.h"

struct allowlist;
struct endpoint;
struct handover_sock;
struct tcp_bufpipe_pool;
struct options;
struct tcp_pool;

struct tcp_listener {
	int			 id;
	int			 fd;
	struct allowlist	*allow;
	pthread_t		 thread;
	int			 started;
	int			 shut;		/* by tcp_listener_stop */
	atomic_int		 stopping;
	atomic_int		 exited;	/* the acceptor returned */
	struct tcp_conns	 cs;		/* shared with its relays */
};

/*
 * Interrupts an acceptor blocked in accept4() or poll() without touching
 * the socket (tcp_listener_join, after a hot upgrade). Its handler does
 * nothing.
 */
#define TCP_LISTENER_WAKE_SIGNAL	SIGURG

/*
 * Bind and listen on ep's port, per opts, or take inherited, a socket
 * already listening there (a hot upgrade's; -1 for none), which becomes
 * the listener's. ep must outlive the listener and its relays. Returns
 * 0, or -1 with errno set (inherited is then closed).
 */
int	tcp_listener_open(struct tcp_listener *l, int id,
	    const struct options *opts, const struct endpoint *ep,
	    struct tcp_pool *pool, struct tcp_bufpipe_pool *bufpipes,
	    struct allowlist *allow, int inherited);
/* Start the acceptor thread. Returns 0 or a pthread error. */
int	tcp_listener_start(struct tcp_listener *l);
/*
 * Stop accepting; connections in flight go on. Unless shared, shut the
 * socket down, which wakes the acceptor at once and refuses new peers.
 * shared: after a hot upgrade the next generation accepts from the same
 * queue, and shutdown() would end its accepts too; the socket is left
 * as it is.
 */
void	tcp_listener_stop(struct tcp_listener *l, int shared);
/*
 * Wait for the acceptor to return, after tcp_listener_stop and tcp_pool_stop
 * (an acceptor may be waiting for a slot).
 */
void	tcp_listener_join(struct tcp_listener *l);
/* The listening socket, for a hot upgrade to hand over. */
void	tcp_listener_handover_sock(const struct tcp_listener *l,
	    struct handover_sock *s);
/* End every connection in flight at once (shutdown grace is over). */
void	tcp_listener_abort_conns(struct tcp_listener *l);
void	tcp_listener_close(struct tcp_listener *l);
/* One line of counters, at -v 0 too, labelled with the address. */
void	tcp_listener_log_stats(struct tcp_listener *l, const char *when);

#endif
