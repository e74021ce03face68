/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_relay.h -- one proxied TCP connection, from header to close.
 */
#ifndef MMPROXYD_TCP_RELAY_H
#define MMPROXYD_TCP_RELAY_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdatomic.h>
#include <stdint.h>
#include <sys/time.h>

struct tcp_shared;

/*
 * A direction that waited this long for bytes gives its pipe back. Set
 * as SO_RCVTIMEO on the listener (accepted sockets inherit it) and on
 * each backend socket.
 */
#define RELAY_IDLE_MS	1000
extern const struct timeval relay_idle_tv;

struct conn {
	struct tcp_shared	*sh;
	int			 cfd;		/* from the load balancer */
	int			 bfd;		/* to the backend, or -1 */
	struct sockaddr_storage	 peer;		/* load balancer */
	struct sockaddr_storage	 local;		/* where it connected */
	struct sockaddr_storage	 client;	/* from the header */
	struct sockaddr_storage	 target;
	long long		 start_ms;	/* CLOCK_MONOTONIC */
	atomic_int		 refs;		/* directions still running */
	_Atomic(const char *)	 why;		/* first reason it ended */
	uint64_t		 bytes_in, bytes_out;
	struct conn		*prev, *next;	/* sh's list */
	/* Under sh's conns_mtx: */
	int			 leaving;	/* its fds are being closed */
	int			 port_waited;	/* someone waits for its port */
	/* Set before bfd is published: bfd is not from client's port. */
	int			 port_fell_back;
};

/*
 * Serve conn (from tcp_relay_conn_new, owning its accepted fd) on the
 * calling pool thread; returns when this thread's part is done. The
 * connection slot is released when the connection ends.
 */
void	tcp_relay_serve(void *conn);

/*
 * Cut c now, from any thread, with a reset each way; its summary line
 * says "cut by shutdown". The caller holds the shared list's lock, so
 * c's fds are still open.
 */
void	tcp_relay_abort(struct conn *c);

/* Make a conn for an accepted fd; NULL if out of memory. */
struct conn *tcp_relay_conn_new(struct tcp_shared *sh, int cfd,
	    const struct sockaddr_storage *peer);

#endif
