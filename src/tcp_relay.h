/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_relay.h -- the relay engine: a proxied TCP connection whose backend
 * is connected, relayed both ways until both directions end, and the
 * connection's lifetime. tcp_setup.c brings a connection this far.
 */
#ifndef MMPROXYD_TCP_RELAY_H
#define MMPROXYD_TCP_RELAY_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

struct conn;
struct tcp_conns;

/*
 * A direction that waited this long for bytes gives its pipe back. Set
 * as SO_RCVTIMEO on the listener (accepted sockets inherit it) and on
 * each backend socket.
 */
#define RELAY_IDLE_MS	1000
extern const struct timeval relay_idle_tv;

/* A connection's two directions, as indices of conn.dir. */
enum relay_way {
	RELAY_FORWARD,		/* client to backend: bytes in */
	RELAY_BACKWARD,		/* backend to client: bytes out */
	RELAY_WAYS
};

/*
 * One direction of a connection: bytes from in to out. Only the thread
 * that moves them writes bytes; the last thread out reads it.
 */
struct relay_dir {
	struct conn		*c;
	int			 in, out;	/* from tcp_relay_connected */
	uint64_t		 bytes;		/* for the summary line */
	atomic_uint_fast64_t	*total;		/* the listener's counter */
};

struct conn {
	struct tcp_conns	*cs;
	int			 cfd;		/* from the load balancer */
	int			 bfd;		/* to the backend, or -1 */
	struct sockaddr_storage	 peer;		/* load balancer */
	struct sockaddr_storage	 local;		/* where it connected */
	struct sockaddr_storage	 client;	/* from the header */
	struct sockaddr_storage	 target;
	long long		 start_ms;	/* CLOCK_MONOTONIC */
	atomic_int		 refs;		/* threads holding it */
	_Atomic(const char *)	 why;		/* first reason it ended */
	struct relay_dir	 dir[RELAY_WAYS];
	struct conn		*prev, *next;	/* cs's list */
	/* Under cs's live_mtx: */
	int			 leaving;	/* its fds are being closed */
	int			 port_waited;	/* someone waits for its port */
	/* Set before bfd is published: bfd is not from client's port. */
	int			 port_fell_back;
};

/*
 * Make a conn for an accepted fd, with one reference, the caller's; NULL
 * if out of memory.
 */
struct conn *tcp_relay_conn_new(struct tcp_conns *cs, int cfd,
	    const struct sockaddr_storage *peer);

/*
 * c's backend socket (c->bfd) is connected: count c active, set up its
 * two directions, and send the len bytes at early (what came with the
 * header) to the backend before anything else. Returns 0, or -1 with c
 * failed; either way the caller keeps its reference.
 */
int	tcp_relay_connected(struct conn *c, const void *early, size_t len);

/*
 * Relay c, connected (tcp_relay_connected) and listed in c->cs, both
 * ways on the calling pool thread, handing a direction to a thread of
 * c->cs->pool when it needs one. Takes over the caller's reference:
 * returns once this thread's part is done, c perhaps freed.
 */
void	tcp_relay_run(struct conn *c);

/*
 * Drop one reference to c. The last one closes its sockets, logs its
 * summary (if it reached its backend), frees c and releases its
 * connection slot.
 */
void	tcp_relay_put(struct conn *c);

/*
 * Cut c now, from any thread, with a reset each way; its summary line
 * says "cut by shutdown". The caller holds the shared list's lock, so
 * c's fds are still open.
 */
void	tcp_relay_abort(struct conn *c);

#endif
