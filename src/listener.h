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
#include <stdatomic.h>
#include "tcp_shared.h"

struct allowlist;
struct endpoint;
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
	struct tcp_shared	 sh;	/* with this listener's relays */
};

/*
 * Bind and listen on ep's port, per opts; ep must outlive the listener
 * and its relays. Returns 0, or -1 with errno set.
 */
int	listener_open(struct listener *l, int id, const struct options *opts,
	    const struct endpoint *ep, struct pool *pool,
	    struct kit_pool *kits, struct allowlist *allow);
/* Start the acceptor thread. Returns 0 or a pthread error. */
int	listener_start(struct listener *l);
/* Stop accepting and join the acceptor; connections in flight go on. */
void	listener_stop(struct listener *l);
/* End every connection in flight at once (shutdown grace is over). */
void	listener_abort_conns(struct listener *l);
void	listener_close(struct listener *l);
/* One line of counters, at -v 0 too, labelled with the address. */
void	listener_log_stats(struct listener *l, const char *when);

#endif
