/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_frontend.h -- the UDP front end (frontend.h): a thread per
 * listening socket (udp_thread.h), each serving its own flows.
 */
#ifndef MMPROXYD_UDP_FRONTEND_H
#define MMPROXYD_UDP_FRONTEND_H

#include "frontend.h"

struct udp_thread;

/* Read by the tests, which render one without opening it. */
struct udp_frontend {
	struct frontend		  fe;		/* first: what main drives */
	struct udp_thread	**threads;	/* fe.nsocks, once started */
	int			 *fds;		/* their sockets, until then */
	int			 *kept;		/* hand_off's copies, or NULL */
	int			  released;	/* handed over: ending alone */
};

extern const struct frontend_ops udp_frontend_ops;

/* Caller frees with ops->free. */
struct frontend	*udp_frontend_new(const struct frontend_env *env);

#endif
