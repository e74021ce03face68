/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * listener.h -- one acceptor thread per TCP listening socket.
 */
#ifndef MMPROXYD_LISTENER_H
#define MMPROXYD_LISTENER_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include "tcp_shared.h"

struct allowlist;
struct endpoint;
struct handover_sock;
struct kit_pool;
struct options;
struct pool;

struct listener {
	int			 id;
	int			 fd;
	struct allowlist	*allow;
	pthread_t		 thread;
	int			 started;
	atomic_int		 stopping;
	atomic_int		 exited;	/* the acceptor returned */
	struct tcp_shared	 sh;	/* with this listener's relays */
};

/*
 * Interrupts an acceptor blocked in accept4() or poll() without touching
 * the socket (listener_release). Its handler does nothing.
 */
#define LISTENER_WAKE_SIGNAL	SIGURG

/*
 * Bind and listen on ep's port, per opts, or take inherited, a socket
 * already listening there (a hot upgrade's; -1 for none), which becomes
 * the listener's. ep must outlive the listener and its relays. Returns
 * 0, or -1 with errno set (inherited is then closed).
 */
int	listener_open(struct listener *l, int id, const struct options *opts,
	    const struct endpoint *ep, struct pool *pool,
	    struct kit_pool *kits, struct allowlist *allow, int inherited);
/* Start the acceptor thread. Returns 0 or a pthread error. */
int	listener_start(struct listener *l);
/* Stop accepting and join the acceptor; connections in flight go on. */
void	listener_stop(struct listener *l);
/*
 * Stop accepting and join the acceptor, leaving the socket as it is:
 * after a hot upgrade the next generation accepts from the same queue,
 * and shutdown() would end its accepts too. The pool must be stopped
 * first (pool_stop), as for listener_stop.
 */
void	listener_release(struct listener *l);
/* The listening socket, for a hot upgrade to hand over. */
void	listener_handover_sock(const struct listener *l,
	    struct handover_sock *s);
/* End every connection in flight at once (shutdown grace is over). */
void	listener_abort_conns(struct listener *l);
void	listener_close(struct listener *l);
/* One line of counters, at -v 0 too, labelled with the address. */
void	listener_log_stats(struct listener *l, const char *when);

#endif
