/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * net.h -- socket helpers: listeners, transparent (spoofed-source) sockets,
 * connect with a deadline, write_all. They return -1 and leave errno set;
 * the caller logs with its own context.
 */
#ifndef MMPROXYD_NET_H
#define MMPROXYD_NET_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

#define NET_LISTEN_TRANSPARENT	0x2	/* IP_TRANSPARENT */
#define NET_LISTEN_DUAL_STACK	0x4	/* a wildcard takes both families */

/*
 * How a listening socket shares its port with this process's others
 * (-listeners): SO_REUSEPORT lets every socket of the same user join, so
 * only sockets after the first set it before bind. The first binds alone,
 * which fails with EADDRINUSE when anything else holds the port, another
 * mmproxyd included, and only then lets its siblings in: the port never
 * stands open between the check and the group.
 */
enum net_share {
	NET_SHARE_NONE,		/* alone, for good */
	NET_SHARE_FIRST,	/* alone, then open to the next ones */
	NET_SHARE_JOIN		/* beside a NET_SHARE_FIRST socket */
};

/*
 * A bound socket of socktype (SOCK_STREAM: listening too, with
 * SO_REUSEADDR so that connections left in TIME_WAIT do not keep a
 * restart out), shared as share says, with the NET_LISTEN_ flags. With
 * NET_LISTEN_DUAL_STACK a wildcard takes IPv4 and IPv6: 0.0.0.0 binds
 * [::] (or 0.0.0.0 where socket(AF_INET6) fails with EAFNOSUPPORT).
 * Without it, and for any other address, the socket takes its own family
 * only. Returns the fd (close-on-exec, blocking) or -1.
 */
int	net_listen(const struct sockaddr *sa, int socktype,
	    enum net_share share, int flags);
/* The share of socket i of the n on one port. */
enum net_share net_share_nth(int i, int n);

#define NET_FAMILY_IPV4		0x1
#define NET_FAMILY_IPV6		0x2

/* The families a bound socket takes (NET_FAMILY_), or -1. */
int	net_listen_families(int fd);

/* IP_TRANSPARENT or IPV6_TRANSPARENT, by family. */
int	net_set_transparent(int fd, int family);

/*
 * A socket of socktype bound to src (address and port) with IP_TRANSPARENT
 * and SO_REUSEADDR, so it may carry a client's address; SO_MARK when mark
 * is not 0. src port 0 binds the address only. Returns the fd or -1.
 */
int	net_socket_transparent(const struct sockaddr *src, int socktype,
	    unsigned int mark);

/* A plain socket of family, SO_MARK when mark is not 0. */
int	net_socket_plain(int family, int socktype, unsigned int mark);

/*
 * connect() that gives up after timeout_ms; fd stays blocking, without a
 * send timeout once connected.
 */
int	net_connect_timeout(int fd, const struct sockaddr *dst,
	    int timeout_ms);

/*
 * Ask for a receive buffer of bytes: SO_RCVBUFFORCE (CAP_NET_ADMIN, past
 * net.core.rmem_max), else SO_RCVBUF (capped there by the kernel).
 * Returns the size the kernel granted, or -1.
 */
int	net_grow_rcvbuf(int fd, int bytes);

/*
 * Keepalive that declares the peer dead after about
 * secs * (1 + NET_KEEPALIVE_PROBES) seconds of silence, secs being
 * interval_ms rounded up to whole seconds: the first probe after secs
 * idle, then one every secs. TCP_USER_TIMEOUT, set to the
 * same span, ends a send that long unacknowledged too. The error is
 * ETIMEDOUT. On a listening socket, accepted sockets inherit all of it.
 */
#define NET_KEEPALIVE_PROBES	4
int	net_keepalive(int fd, long long interval_ms);

/*
 * End the connection now with a RST, and wake any thread blocked on fd;
 * fd stays open for the caller to close.
 */
void	net_abort(int fd);

/*
 * The TCP state of fd (TCP_ESTABLISHED, TCP_CLOSE_WAIT, ... from
 * netinet/tcp.h), or -1.
 */
int	net_tcp_state(int fd);

/* send() all of buf, retrying EINTR and short writes; no SIGPIPE. */
int	net_write_all(int fd, const void *buf, size_t len);

#endif
