/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_shared.c -- the list of connections in flight on one listener.
 *
 * The acceptor enters a connection before it hands it to the pool, so a
 * connection still queued for a thread is already visible to shutdown;
 * the relay's last direction takes it out just before it closes the fds.
 * conns_mtx orders an abort (tcp_relay_abort) against that close().
 * While listed, a connection's two sockets count in the kits' fd gauge.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <pthread.h>
#include <string.h>

#include "fd_gauge.h"
#include "kit_pool.h"
#include "tcp_relay.h"
#include "tcp_shared.h"

void
tcp_shared_init(struct tcp_shared *sh, const struct options *opts,
    const struct endpoint *ep, struct pool *pool, struct kit_pool *kits)
{
	memset(sh, 0, sizeof(*sh));
	sh->opts = opts;
	sh->ep = ep;
	sh->pool = pool;
	sh->kits = kits;
	pthread_mutex_init(&sh->conns_mtx, NULL);
}

void
tcp_shared_destroy(struct tcp_shared *sh)
{
	pthread_mutex_destroy(&sh->conns_mtx);
}

void
tcp_shared_add(struct tcp_shared *sh, struct conn *c)
{
	pthread_mutex_lock(&sh->conns_mtx);
	c->prev = NULL;
	c->next = sh->conns;
	if (sh->conns != NULL)
		sh->conns->prev = c;
	sh->conns = c;
	pthread_mutex_unlock(&sh->conns_mtx);
	/* A new connection may be what leaves fds short: idle pipes go. */
	fd_gauge_conn_open(sh->kits->fds);
	kit_pool_relieve(sh->kits);
}

void
tcp_shared_remove(struct tcp_shared *sh, struct conn *c)
{
	pthread_mutex_lock(&sh->conns_mtx);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		sh->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&sh->conns_mtx);
	fd_gauge_conn_close(sh->kits->fds);
}

void
tcp_shared_set_backend(struct tcp_shared *sh, struct conn *c, int bfd)
{
	pthread_mutex_lock(&sh->conns_mtx);
	c->bfd = bfd;
	pthread_mutex_unlock(&sh->conns_mtx);
}

void
tcp_shared_abort_all(struct tcp_shared *sh)
{
	struct conn	*c;

	pthread_mutex_lock(&sh->conns_mtx);
	for (c = sh->conns; c != NULL; c = c->next)
		tcp_relay_abort(c);
	pthread_mutex_unlock(&sh->conns_mtx);
}
