/*
 * listener.h -- one acceptor thread per TCP listening socket.
 */
#ifndef MMPROXYD_LISTENER_H
#define MMPROXYD_LISTENER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "config.h"

struct allowlist;
struct pool;
struct kit_pool;
struct conn;

/* Counters, bumped by any thread, read for the USR1 and exit lines. */
struct listener_stats {
	atomic_uint_fast64_t	accepted;
	atomic_uint_fast64_t	proxied;	/* reached a backend */
	atomic_uint_fast64_t	denied;		/* not in the allow-list */
	atomic_uint_fast64_t	bad_header;
	atomic_uint_fast64_t	header_timeout;
	atomic_uint_fast64_t	backend_fail;
	atomic_uint_fast64_t	active;
	atomic_uint_fast64_t	bytes_in;	/* client to backend */
	atomic_uint_fast64_t	bytes_out;	/* backend to client */
};

struct listener {
	int			 id;
	int			 fd;
	const struct config	*cfg;
	struct pool		*pool;
	struct kit_pool		*kits;
	struct allowlist	*allow;
	pthread_t		 thread;
	int			 started;
	atomic_int		 stopping;
	struct listener_stats	 stats;
	/* Connections in flight, so shutdown can end them; mtx guards. */
	pthread_mutex_t		 conns_mtx;
	struct conn		*conns;
};

/* Bind and listen per cfg. Returns 0, or -1 with errno set. */
int	listener_open(struct listener *l, int id, const struct config *cfg,
	    struct pool *pool, struct kit_pool *kits,
	    struct allowlist *allow);
/* Start the acceptor thread. Returns 0 or a pthread error. */
int	listener_start(struct listener *l);
/* Stop accepting and join the acceptor; connections in flight go on. */
void	listener_stop(struct listener *l);
/* End every connection in flight at once (shutdown grace is over). */
void	listener_abort_conns(struct listener *l);
void	listener_close(struct listener *l);
/* One line of counters, at -v 0 too. */
void	listener_log_stats(struct listener *l, const char *when);

#endif
