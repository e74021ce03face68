/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_flowsock.h -- a UDP thread's flow sockets: open, forward, close,
 * evict, expire.
 */
#ifndef MMPROXYD_UDP_FLOWSOCK_H
#define MMPROXYD_UDP_FLOWSOCK_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

#include "udp_flow_table.h"

struct udp_thread;

/*
 * A new flow for key: a socket from src (spoofed when spoof is set, else
 * a plain one) connected to dst, in the epoll set; the least recently
 * used flow is closed first when the table is full. Returns the entry, or
 * NULL after counting and logging.
 */
struct udp_flow	*udp_flowsock_open(struct udp_thread *u,
		    const struct udp_flow_key *key, const struct sockaddr *src,
		    int spoof, const struct sockaddr *dst);
/* Close and forget f; why goes to the -v 2 line. */
void		 udp_flowsock_close(struct udp_thread *u, struct udp_flow *f,
		    const char *why);
/* Send one payload on f's connected socket; UDP drops what cannot go. */
void		 udp_flowsock_forward(struct udp_thread *u, struct udp_flow *f,
		    const void *p, size_t len);
/*
 * Close the flows idle for -close-after at u->now. Returns the ms until
 * the next is due, or -1 (no flow: epoll may sleep for ever).
 */
int		 udp_flowsock_expire(struct udp_thread *u);

#endif
