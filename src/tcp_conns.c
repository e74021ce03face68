/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_conns.c -- the connections in flight on one listener, listed.
 *
 * The acceptor enters a connection before it hands it to the pool, so a
 * connection still queued for a thread is already visible to shutdown;
 * the relay's last direction marks it as leaving, closes the fds, and
 * only then takes it out. live_mtx orders an abort (tcp_relay_abort),
 * which skips a leaving connection, against that close().
 *
 * A connection whose client address and port are taken looks through
 * every listener's list (the load balancer's next connection from that
 * client may reach another listener than the last one), under
 * tcp_conns_all_mtx and then each live_mtx in turn: only the rare
 * connection that met a taken port pays for the walk. To wait for the
 * holder it marks it (port_waited) and sleeps on the holder's list's
 * let_go; the holder, its sockets closed, leaves the list, bumps
 * let_go_count and wakes it.
 *
 * While listed, a connection's two sockets count in the fd gauge.
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
#include "log.h"
#include "net.h"
#include "tcp_bufpipe.h"
#include "tcp_conns.h"
#include "tcp_fd_gauge.h"
#include "tcp_relay.h"

/* Every listener's list, for tcp_conns_wait_port; guards the chain. */
static pthread_mutex_t	 tcp_conns_all_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct tcp_conns *tcp_conns_all;

void
tcp_conns_init(struct tcp_conns *cs, const struct options *opts,
    const struct endpoint *ep, struct tcp_pool *pool,
    struct tcp_bufpipe_pool *bufpipes)
{
	struct tcp_conns	**pp;
	pthread_condattr_t	  ca;
	int			  rc;

	memset(cs, 0, sizeof(*cs));
	cs->opts = opts;
	cs->ep = ep;
	cs->pool = pool;
	cs->bufpipes = bufpipes;
	pthread_mutex_init(&cs->live_mtx, NULL);
	/* Waits end at a deadline on the clock the relays measure with. */
	if ((rc = pthread_condattr_init(&ca)) != 0 ||
	    (rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (rc = pthread_cond_init(&cs->let_go, &ca)) != 0)
		fatalx("tcp_conns_init: %s", strerror(rc));
	(void)pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&tcp_conns_all_mtx);
	for (pp = &tcp_conns_all; *pp != NULL; pp = &(*pp)->all_next)
		;
	*pp = cs;
	pthread_mutex_unlock(&tcp_conns_all_mtx);
}

void
tcp_conns_destroy(struct tcp_conns *cs)
{
	struct tcp_conns	**pp;

	pthread_mutex_lock(&tcp_conns_all_mtx);
	for (pp = &tcp_conns_all; *pp != NULL; pp = &(*pp)->all_next) {
		if (*pp == cs) {
			*pp = cs->all_next;
			break;
		}
	}
	pthread_mutex_unlock(&tcp_conns_all_mtx);
	pthread_cond_destroy(&cs->let_go);
	pthread_mutex_destroy(&cs->live_mtx);
}

void
tcp_conns_add(struct tcp_conns *cs, struct conn *c)
{
	pthread_mutex_lock(&cs->live_mtx);
	c->prev = NULL;
	c->next = cs->live;
	if (cs->live != NULL)
		cs->live->prev = c;
	cs->live = c;
	pthread_mutex_unlock(&cs->live_mtx);
	/* A new connection may be what leaves fds short: idle pipes go. */
	tcp_fd_gauge_conn_open(cs->bufpipes->fds);
	tcp_bufpipe_relieve(cs->bufpipes);
}

void
tcp_conns_leave(struct tcp_conns *cs, struct conn *c)
{
	pthread_mutex_lock(&cs->live_mtx);
	c->leaving = 1;
	pthread_mutex_unlock(&cs->live_mtx);
}

void
tcp_conns_remove(struct tcp_conns *cs, struct conn *c)
{
	pthread_mutex_lock(&cs->live_mtx);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		cs->live = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->port_waited) {
		cs->let_go_count++;
		pthread_cond_broadcast(&cs->let_go);
	}
	pthread_mutex_unlock(&cs->live_mtx);
	tcp_fd_gauge_conn_close(cs->bufpipes->fds);
}

void
tcp_conns_set_backend(struct tcp_conns *cs, struct conn *c, int bfd)
{
	pthread_mutex_lock(&cs->live_mtx);
	c->bfd = bfd;
	pthread_mutex_unlock(&cs->live_mtx);
}

void
tcp_conns_abort_all(struct tcp_conns *cs)
{
	struct conn	*c;

	pthread_mutex_lock(&cs->live_mtx);
	for (c = cs->live; c != NULL; c = c->next)
		if (!c->leaving)
			tcp_relay_abort(c);
	pthread_mutex_unlock(&cs->live_mtx);
}

/*
 * Whether c is on its way out: closing its fds, a FIN or a reset on
 * either socket, or a failure already recorded. The caller holds the
 * list's lock, so fds of a connection not leaving are open.
 */
static int
tcp_conns_closing(struct conn *c)
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
tcp_conns_holder(const struct conn *self, const struct sockaddr *src,
    const struct sockaddr *dst, struct tcp_conns **where)
{
	struct tcp_conns	*cs;
	struct conn		*c = NULL;

	pthread_mutex_lock(&tcp_conns_all_mtx);
	for (cs = tcp_conns_all; cs != NULL && c == NULL; cs = cs->all_next) {
		pthread_mutex_lock(&cs->live_mtx);
		for (c = cs->live; c != NULL; c = c->next)
			if (c != self && c->bfd != -1 && !c->port_fell_back &&
			    addr_equal((struct sockaddr *)&c->client, src) &&
			    addr_equal((struct sockaddr *)&c->target, dst))
				break;
		if (c != NULL)
			*where = cs;
		else
			pthread_mutex_unlock(&cs->live_mtx);
	}
	pthread_mutex_unlock(&tcp_conns_all_mtx);
	return (c);
}

enum tcp_conns_port
tcp_conns_wait_port(const struct conn *self, const struct sockaddr *src,
    const struct sockaddr *dst, uint64_t deadline_us)
{
	struct tcp_conns	*cs;
	struct conn		*c;
	struct timespec		 ts;
	uint64_t		 seen;
	int			 rc = 0;

	if ((c = tcp_conns_holder(self, src, dst, &cs)) == NULL)
		return (TCP_CONNS_PORT_NOT_OURS);
	if (!tcp_conns_closing(c)) {
		pthread_mutex_unlock(&cs->live_mtx);
		return (TCP_CONNS_PORT_LIVE);
	}
	/*
	 * c stays listed until it has closed its sockets, and it bumps
	 * let_go_count as it leaves, under this lock: no wake-up is missed.
	 * Another holder on this list may wake us first: the caller retries
	 * either way.
	 */
	c->port_waited = 1;
	seen = cs->let_go_count;
	ts.tv_sec = (time_t)(deadline_us / 1000000);
	ts.tv_nsec = (long)(deadline_us % 1000000) * 1000;
	while (cs->let_go_count == seen && rc == 0)
		rc = pthread_cond_timedwait(&cs->let_go, &cs->live_mtx, &ts);
	pthread_mutex_unlock(&cs->live_mtx);
	return (rc != 0 ? TCP_CONNS_PORT_STILL_HELD : TCP_CONNS_PORT_LET_GO);
}
