/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_shared.c -- the list of connections in flight on one listener.
 *
 * The acceptor enters a connection before it hands it to the pool, so a
 * connection still queued for a thread is already visible to shutdown;
 * the relay's last direction marks it as leaving, closes the fds, and
 * only then takes it out. conns_mtx orders an abort (tcp_relay_abort),
 * which skips a leaving connection, against that close().
 *
 * A connection whose client address and port are taken looks through
 * every listener's list (the load balancer's next connection from that
 * client may reach another listener than the last one), under
 * tcp_shared_all_mtx and then each conns_mtx in turn: only the rare
 * connection that met a taken port pays for the walk. To wait for the
 * holder it marks it (port_waited) and sleeps on the holder's list's
 * let_go; the holder, its sockets closed, leaves the list, bumps
 * let_go_count and wakes it.
 *
 * While listed, a connection's two sockets count in the bufpipes' fd gauge.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "fd_gauge.h"
#include "tcp_bufpipe.h"
#include "log.h"
#include "net.h"
#include "tcp_relay.h"
#include "tcp_conns.h"

/* Every listener's list, for tcp_shared_wait_port; guards the chain. */
static pthread_mutex_t	 tcp_shared_all_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct tcp_shared *tcp_shared_all;

void
tcp_shared_init(struct tcp_shared *sh, const struct options *opts,
    const struct endpoint *ep, struct pool *pool,
    struct tcp_bufpipe_pool *bufpipes)
{
	struct tcp_shared	**pp;
	pthread_condattr_t	  ca;
	int			  rc;

	memset(sh, 0, sizeof(*sh));
	sh->opts = opts;
	sh->ep = ep;
	sh->pool = pool;
	sh->bufpipes = bufpipes;
	pthread_mutex_init(&sh->conns_mtx, NULL);
	/* Waits end at a deadline on the clock the relays measure with. */
	if ((rc = pthread_condattr_init(&ca)) != 0 ||
	    (rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (rc = pthread_cond_init(&sh->let_go, &ca)) != 0)
		fatalx("tcp_shared_init: %s", strerror(rc));
	(void)pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&tcp_shared_all_mtx);
	for (pp = &tcp_shared_all; *pp != NULL; pp = &(*pp)->all_next)
		;
	*pp = sh;
	pthread_mutex_unlock(&tcp_shared_all_mtx);
}

void
tcp_shared_destroy(struct tcp_shared *sh)
{
	struct tcp_shared	**pp;

	pthread_mutex_lock(&tcp_shared_all_mtx);
	for (pp = &tcp_shared_all; *pp != NULL; pp = &(*pp)->all_next) {
		if (*pp == sh) {
			*pp = sh->all_next;
			break;
		}
	}
	pthread_mutex_unlock(&tcp_shared_all_mtx);
	pthread_cond_destroy(&sh->let_go);
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
	fd_gauge_conn_open(sh->bufpipes->fds);
	tcp_bufpipe_relieve(sh->bufpipes);
}

void
tcp_shared_leave(struct tcp_shared *sh, struct conn *c)
{
	pthread_mutex_lock(&sh->conns_mtx);
	c->leaving = 1;
	pthread_mutex_unlock(&sh->conns_mtx);
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
	if (c->port_waited) {
		sh->let_go_count++;
		pthread_cond_broadcast(&sh->let_go);
	}
	pthread_mutex_unlock(&sh->conns_mtx);
	fd_gauge_conn_close(sh->bufpipes->fds);
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
		if (!c->leaving)
			tcp_relay_abort(c);
	pthread_mutex_unlock(&sh->conns_mtx);
}

/*
 * Whether c is on its way out: closing its fds, a FIN or a reset on
 * either socket, or a failure already recorded. The caller holds the
 * list's lock, so fds of a connection not leaving are open.
 */
static int
tcp_shared_closing(struct conn *c)
{
	if (c->leaving || atomic_load(&c->why) != NULL)
		return (1);
	return (net_tcp_state(c->cfd) != TCP_ESTABLISHED ||
	    net_tcp_state(c->bfd) != TCP_ESTABLISHED);
}

/*
 * The connection other than self whose backend socket goes from src to
 * dst, with its list locked; NULL (nothing locked) when there is none.
 * One that fell back to another port does not hold src. A backend fd is
 * published only once client, target and port_fell_back are final, so
 * reading them under the lock is safe.
 */
static struct conn *
tcp_shared_holder(const struct conn *self, const struct sockaddr *src,
    const struct sockaddr *dst, struct tcp_shared **where)
{
	struct tcp_shared	*sh;
	struct conn		*c = NULL;

	pthread_mutex_lock(&tcp_shared_all_mtx);
	for (sh = tcp_shared_all; sh != NULL && c == NULL; sh = sh->all_next) {
		pthread_mutex_lock(&sh->conns_mtx);
		for (c = sh->conns; c != NULL; c = c->next)
			if (c != self && c->bfd != -1 && !c->port_fell_back &&
			    addr_equal((struct sockaddr *)&c->client, src) &&
			    addr_equal((struct sockaddr *)&c->target, dst))
				break;
		if (c != NULL)
			*where = sh;
		else
			pthread_mutex_unlock(&sh->conns_mtx);
	}
	pthread_mutex_unlock(&tcp_shared_all_mtx);
	return (c);
}

enum tcp_shared_port
tcp_shared_wait_port(const struct conn *self, const struct sockaddr *src,
    const struct sockaddr *dst, uint64_t deadline_us)
{
	struct tcp_shared	*sh;
	struct conn		*c;
	struct timespec		 ts;
	uint64_t		 seen;
	int			 rc = 0;

	if ((c = tcp_shared_holder(self, src, dst, &sh)) == NULL)
		return (TCP_SHARED_PORT_NOT_OURS);
	if (!tcp_shared_closing(c)) {
		pthread_mutex_unlock(&sh->conns_mtx);
		return (TCP_SHARED_PORT_LIVE);
	}
	/*
	 * c stays listed until it has closed its sockets, and it bumps
	 * let_go_count as it leaves, under this lock: no wake-up is missed.
	 * Another holder on this list may wake us first: the caller retries
	 * either way.
	 */
	c->port_waited = 1;
	seen = sh->let_go_count;
	ts.tv_sec = (time_t)(deadline_us / 1000000);
	ts.tv_nsec = (long)(deadline_us % 1000000) * 1000;
	while (sh->let_go_count == seen && rc == 0)
		rc = pthread_cond_timedwait(&sh->let_go, &sh->conns_mtx, &ts);
	pthread_mutex_unlock(&sh->conns_mtx);
	return (rc != 0 ? TCP_SHARED_PORT_STILL_HELD : TCP_SHARED_PORT_LET_GO);
}
