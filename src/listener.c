/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * listener.c -- the acceptor thread of one TCP listening socket.
 *
 * It takes a pool slot before it accepts, so when every slot is busy new
 * connections wait in the kernel's listen backlog rather than in memory
 * here. An accepted fd is handed to a pool thread with its conn; from then
 * on the relay owns it. Only the acceptor touches fd until listener_stop
 * shuts it down to wake accept().
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "allowlist.h"
#include "endpoint.h"
#include "listener.h"
#include "log.h"
#include "net.h"
#include "options.h"
#include "pool.h"
#include "ratelog.h"
#include "tcp_relay.h"

#define LISTENER_BACKOFF_MS	100	/* after EMFILE and the like */
#define LISTENER_WARN_MS	10000	/* between repeated accept warnings */

int
listener_open(struct listener *l, int id, const struct options *opts,
    const struct endpoint *ep, struct pool *pool, struct kit_pool *kits,
    struct allowlist *allow)
{
	int	one = 1, saved;

	memset(l, 0, sizeof(*l));
	l->id = id;
	l->allow = allow;
	l->fd = net_listen((const struct sockaddr *)&ep->listen,
	    SOCK_STREAM, (opts->listeners > 1 ? NET_LISTEN_REUSEPORT : 0) |
	    (opts->listen_transparent ? NET_LISTEN_TRANSPARENT : 0) |
	    (opts->dual_stack ? NET_LISTEN_DUAL_STACK : 0));
	if (l->fd == -1)
		return (-1);
	/*
	 * Accepted sockets inherit these: one setsockopt for all of them.
	 * The receive timeout also ends an idle accept4() every
	 * RELAY_IDLE_MS with EAGAIN, which the acceptor takes as the
	 * normal wake-up it is.
	 */
	(void)setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVTIMEO, &relay_idle_tv,
	    sizeof(relay_idle_tv));
	/* Inherited too: a client that vanished cannot hold a slot. */
	if (opts->keepalive_ms > 0 &&
	    net_keepalive(l->fd, opts->keepalive_ms) == -1) {
		saved = errno;
		(void)close(l->fd);
		l->fd = -1;
		errno = saved;
		return (-1);
	}
	tcp_shared_init(&l->sh, opts, ep, pool, kits);
	return (0);
}

static void
listener_sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * accept4() with the slot already held. Returns the fd, or -1 when this
 * round ended without one (the caller gives the slot back). Errors that
 * mean the system is out of something back off a little, rate-limited in
 * the log; the kernel keeps the pending connections in the backlog.
 */
static int
listener_accept(struct listener *l, struct sockaddr_storage *peer,
    struct ratelog *warn)
{
	socklen_t	plen;
	uint64_t	n;
	int		fd;

	for (;;) {
		plen = sizeof(*peer);
		fd = accept4(l->fd, (struct sockaddr *)peer, &plen,
		    SOCK_CLOEXEC);
		if (fd != -1 || atomic_load(&l->stopping))
			return (fd);
		switch (errno) {
		case EAGAIN:		/* the idle timeout: nothing came */
		case EINTR:
		case ECONNABORTED:	/* the peer gave up in the backlog */
		case EPROTO:
			continue;
		}
		TCP_STATS_INC(&l->sh.stats,
		    accept_fail_by[metrics_errno_class(errno)]);
		if ((n = ratelog_due(warn, LISTENER_WARN_MS)) != 0)
			log_warn("listener %d: accept, backing off (%" PRIu64
			    " since the last line)", l->id, n);
		listener_sleep_ms(LISTENER_BACKOFF_MS);
		return (-1);
	}
}

static void *
listener_thread(void *arg)
{
	struct listener		*l = arg;
	struct tcp_shared	*sh = &l->sh;
	struct sockaddr_storage	 peer;
	struct conn		*c;
	struct ratelog		 warn = { 0, 0 };
	struct log_fields	 lf = LOG_FIELDS_INIT;
	char			 pbuf[ADDR_STRLEN];
	int			 fd;

	lf.reason = "not in the allowed subnets";
	while (pool_conn_acquire(sh->pool) == 0) {
		if ((fd = listener_accept(l, &peer, &warn)) == -1) {
			pool_conn_release(sh->pool);
			if (atomic_load(&l->stopping))
				break;
			continue;
		}
		atomic_fetch_add(&sh->stats.accepted, 1);
		if (!allowlist_allows(l->allow, (struct sockaddr *)&peer)) {
			atomic_fetch_add(&sh->stats.denied, 1);
			lf.lb = addr_format((struct sockaddr *)&peer, pbuf,
			    sizeof(pbuf));
			log_conn_f(LOG_V_ERRORS, &lf, "%s: not in the allowed "
			    "subnets, closed", lf.lb);
			(void)close(fd);
			pool_conn_release(sh->pool);
			continue;
		}
		if ((c = tcp_relay_conn_new(sh, fd, &peer)) != NULL) {
			/* Listed first: a queued connection can be aborted. */
			tcp_shared_add(sh, c);
			if (pool_run(sh->pool, tcp_relay_serve, c) == 0)
				continue;
			tcp_shared_remove(sh, c);
			free(c);
		}
		/*
		 * Logged, never silent; the peer sees a close. No sleep:
		 * the next connection may well find a thread.
		 */
		log_warn("listener %d: %s: cannot serve", l->id,
		    addr_format((struct sockaddr *)&peer, pbuf, sizeof(pbuf)));
		(void)close(fd);
		pool_conn_release(sh->pool);
	}
	return (NULL);
}

int
listener_start(struct listener *l)
{
	int	rc;

	if ((rc = pthread_create(&l->thread, NULL, listener_thread, l)) == 0)
		l->started = 1;
	return (rc);
}

void
listener_stop(struct listener *l)
{
	atomic_store(&l->stopping, 1);
	/* Wakes a blocked accept() with EINVAL; new peers get refused. */
	(void)shutdown(l->fd, SHUT_RDWR);
	if (l->started) {
		pthread_join(l->thread, NULL);
		l->started = 0;
	}
}

void
listener_abort_conns(struct listener *l)
{
	tcp_shared_abort_all(&l->sh);
}

void
listener_close(struct listener *l)
{
	if (l->fd != -1)
		(void)close(l->fd);
	l->fd = -1;
}

void
listener_log_stats(struct listener *l, const char *when)
{
	struct tcp_stats	*s = &l->sh.stats;
	char			 buf[ADDR_STRLEN];

	log_info("%s: listener %d on %s: accepted %llu, proxied %llu, "
	    "denied %llu, bad header %llu, header timeout %llu, "
	    "backend failed %llu, timed out %llu, active %llu, "
	    "bytes in %llu, bytes out %llu, destination denied %llu",
	    when, l->id, addr_format((const struct sockaddr *)
	    &l->sh.ep->listen, buf, sizeof(buf)),
	    (unsigned long long)atomic_load(&s->accepted),
	    (unsigned long long)atomic_load(&s->proxied),
	    (unsigned long long)atomic_load(&s->denied),
	    (unsigned long long)atomic_load(&s->bad_header),
	    (unsigned long long)atomic_load(&s->header_timeout),
	    (unsigned long long)atomic_load(&s->backend_fail),
	    (unsigned long long)atomic_load(&s->timed_out),
	    (unsigned long long)atomic_load(&s->active),
	    (unsigned long long)atomic_load(&s->bytes_in),
	    (unsigned long long)atomic_load(&s->bytes_out),
	    (unsigned long long)atomic_load(&s->dest_denied));
}
