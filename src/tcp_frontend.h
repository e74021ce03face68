/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_frontend.h -- the TCP front end (frontend.h): an acceptor per
 * listening socket, and what their relays share: the pool of threads
 * and connection slots, the bufpipes, and the fd gauge the bufpipes' pipes are
 * counted in.
 */
#ifndef MMPROXYD_TCP_FRONTEND_H
#define MMPROXYD_TCP_FRONTEND_H

#include <stddef.h>

#include "frontend.h"
#include "tcp_bufpipe.h"
#include "tcp_fd_gauge.h"
#include "tcp_pool.h"

/* Pipes the idle bufpipes keep: set aside in the fd budget (capacity.h). */
#define TCP_FRONTEND_BUFPIPES_IDLE	64

struct tcp_listener;

/* Read by the tests, which render one without opening it. */
struct tcp_frontend {
	struct frontend		 fe;		/* first: what main drives */
	struct tcp_listener	*listeners;	/* fe.nsocks of them */
	struct tcp_pool		 pool;
	struct tcp_bufpipe_pool	 bufpipes;
	struct tcp_fd_gauge	 gauge;		/* for the bufpipes' pipes */
	size_t			 max_conns;	/* -max-conns in force */
	size_t			 fit;		/* what the limits allow */
};

extern const struct frontend_ops tcp_frontend_ops;

/* Caller frees with ops->free. */
struct frontend	*tcp_frontend_new(const struct frontend_env *env);

#endif
