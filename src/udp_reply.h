/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_reply.h -- where a UDP reply leaves from: the listener (from the
 * address its datagram reached, on a wildcard or transparent listener),
 * or, for a datagram that TPROXY diverted from another port, a socket
 * bound to that original destination, shared by the flows that use it.
 */
#ifndef MMPROXYD_UDP_REPLY_H
#define MMPROXYD_UDP_REPLY_H

#include <stddef.h>

#include "udp_flow_table.h"

#define UDP_REPLY_BUCKETS	256

/* A transparent socket bound to one original destination. */
struct udp_reply_sock {
	union udp_flow_addr	 addr;
	int			 fd;
	unsigned int		 refs;	/* flows that reply by it */
	struct udp_reply_sock	*next;	/* hash chain */
};

/* One thread's reply sockets, by original destination. */
struct udp_reply_set {
	struct udp_reply_sock	*buckets[UDP_REPLY_BUCKETS];
	size_t			 len;
};

struct udp_thread;

void	udp_reply_init(struct udp_reply_set *s);
/* Close and free what is left (nothing, once every flow is closed). */
void	udp_reply_free(struct udp_reply_set *s);
size_t	udp_reply_len(const struct udp_reply_set *s);

/*
 * Whether replies to a datagram that reached reached need a socket of
 * their own: when its port is not the listener's (local), which only
 * TPROXY brings about. Pure.
 */
int	udp_reply_needs_sock(const union udp_flow_addr *local,
	    const union udp_flow_addr *reached);

/*
 * The socket bound to addr, opened (IP_TRANSPARENT, SO_REUSEADDR) when no
 * flow uses one yet; one more reference. Returns NULL with errno set when
 * it cannot be opened.
 */
struct udp_reply_sock *udp_reply_get(struct udp_reply_set *s,
	    const union udp_flow_addr *addr);
/* One reference less; the last closes the socket. Returns 0 or -1. */
int	udp_reply_put(struct udp_reply_set *s, struct udp_reply_sock *rs);

/*
 * f's latest datagram reached reached (NULL: not known): replies now leave
 * from there, by a reply socket of its own when it needs one. When that
 * socket cannot be had, they leave by the listener, after a log line.
 */
void	udp_reply_follow(struct udp_thread *u, struct udp_flow *f,
	    const union udp_flow_addr *reached);
/* f is closing: give its reply socket back. */
void	udp_reply_release(struct udp_thread *u, struct udp_flow *f);

/*
 * Read the replies waiting on f's socket into the out batch, addressed
 * to the load balancer that last sent for f, from where they must leave.
 * want is how many to read at most. Returns how many were read, or -1
 * (errno set; EAGAIN: none).
 */
int	udp_reply_read(struct udp_thread *u, struct udp_flow *f, int want);

/*
 * Send the replies in the out batch, one sendmmsg per run that leaves by
 * one socket (more if some fail: each failure drops that one reply), then
 * empty the batch.
 */
void	udp_reply_flush(struct udp_thread *u);

#endif
