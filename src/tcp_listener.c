/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_listener.c -- the acceptor thread of one TCP listening socket.
 *
 * It waits in poll() until a connection is pending, holding nothing, then
 * takes a pool slot and only then accepts (the socket does not block):
 * an idle port holds no -max-conns slot, and when every slot is busy the
 * acceptor waits for one with its connection still in the kernel's
 * listen backlog, never accepted and dropped. An accepted fd is handed to
 * a pool thread with its conn; from then on the relay owns it. Only the
 * acceptor touches fd until tcp_listener_stop shuts it down, which wakes
 * poll() with POLLHUP, or, after a hot upgrade, where the socket lives
 * on in the next generation, tcp_listener_join wakes the acceptor with a
 * signal instead.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "allowlist.h"
#include "endpoint.h"
#include "handover.h"
#include "log.h"
#include "net.h"
#include "options.h"
#include "ratelog.h"
#include "tcp_listener.h"
#include "tcp_log.h"
#include "tcp_pool.h"
#include "tcp_relay.h"
#include "tcp_setup.h"

#define TCP_LISTENER_BACKOFF_MS	100	/* after EMFILE and the like */
#define TCP_LISTENER_WARN_MS	10000	/* between repeated accept warnings */
#define TCP_LISTENER_WAKE_MS	5	/* between tcp_listener_join's wakes */

int
tcp_listener_open(struct tcp_listener *l, int id, const struct options *opts,
    const struct endpoint *ep, struct tcp_pool *pool,
    struct tcp_bufpipe_pool *bufpipes, struct allowlist *allow, int inherited)
{
	int	one = 1, saved, flags;

	memset(l, 0, sizeof(*l));
	l->id = id;
	l->allow = allow;
	/*
	 * Inherited: bound and listening as the same options made it (a hot
	 * upgrade keeps the command line), its queue holding waiting clients.
	 */
	if (inherited != -1)
		l->fd = inherited;
	else
		l->fd = net_listen((const struct sockaddr *)&ep->listen,
		    SOCK_STREAM, net_share_nth(id % opts->listeners,
		    opts->listeners), (opts->listen_transparent ?
		    NET_LISTEN_TRANSPARENT : 0) | (opts->dual_stack ?
		    NET_LISTEN_DUAL_STACK : 0));
	if (l->fd == -1)
		return (-1);
	/*
	 * Accepted sockets inherit these: one setsockopt for all of them
	 * (the receive timeout is the relays' idle timeout).
	 */
	(void)setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVTIMEO, &relay_idle_tv,
	    sizeof(relay_idle_tv));
	/*
	 * TCP urgent data stays in the stream, as an ordinary byte in its
	 * place (RFC 6093 advises it): without this, recv() would drop the
	 * urgent byte. Its urgency is not relayed.
	 */
	(void)setsockopt(l->fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	/*
	 * accept4() must not wait with a slot held. Linux does not pass
	 * O_NONBLOCK on to the accepted sockets, which stay blocking.
	 */
	if ((flags = fcntl(l->fd, F_GETFL)) == -1 ||
	    fcntl(l->fd, F_SETFL, flags | O_NONBLOCK) == -1)
		goto fail;
	/* Inherited too: a client that vanished cannot hold a slot. */
	if (opts->keepalive_ms > 0 &&
	    net_keepalive(l->fd, opts->keepalive_ms) == -1)
		goto fail;
	tcp_conns_init(&l->cs, opts, ep, pool, bufpipes);
	return (0);
fail:
	saved = errno;
	(void)close(l->fd);
	l->fd = -1;
	errno = saved;
	return (-1);
}

static void
tcp_listener_sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Wait, holding nothing, until a connection may be pending. Returns 0,
 * or -1 once the listener is stopping (tcp_listener_stop's shutdown() makes
 * poll() return at once, before or during the wait).
 */
static int
tcp_listener_wait_pending(struct tcp_listener *l)
{
	struct pollfd	pfd = { .fd = l->fd, .events = POLLIN };
	int		n;

	for (;;) {
		if (atomic_load(&l->stopping))
			return (-1);
		if ((n = poll(&pfd, 1, -1)) > 0)
			return (0);
		if (n == -1 && errno != EINTR)
			/* ENOMEM */
			tcp_listener_sleep_ms(TCP_LISTENER_BACKOFF_MS);
	}
}

/*
 * accept4() with the slot already held, on the non-blocking socket.
 * Returns the fd, or -1 when this round ended without one (the caller
 * gives the slot back and waits again). Errors that mean the system is
 * out of something back off a little, rate-limited in the log; the
 * kernel keeps the pending connections in the backlog.
 */
static int
tcp_listener_accept(struct tcp_listener *l, struct sockaddr_storage *peer,
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
		case EAGAIN:		/* none pending after all */
			return (-1);
		case EINTR:
		case ECONNABORTED:	/* the peer gave up in the backlog */
		case EPROTO:
			continue;
		}
		TCP_STATS_INC(&l->cs.stats,
		    accept_fail_by[failure_class_of_errno(errno)]);
		/* Not at the price of waiting on a stalled log. */
		if ((n = ratelog_due(warn, TCP_LISTENER_WARN_MS)) != 0 &&
		    !log_ready())
			ratelog_defer(warn, n);
		else if (n != 0)
			log_warn("listener %d: accept, backing off (%" PRIu64
			    " since the last line)", l->id, n);
		tcp_listener_sleep_ms(TCP_LISTENER_BACKOFF_MS);
		return (-1);
	}
}

static void *
tcp_listener_thread(void *arg)
{
	struct tcp_listener	*l = arg;
	struct tcp_conns	*cs = &l->cs;
	struct sockaddr_storage	 peer;
	struct conn		*c;
	struct ratelog		 warn = { 0, 0 };
	struct log_fields	 lf = LOG_FIELDS_INIT;
	char			 pbuf[ADDR_STRLEN], more[TCP_LOG_MORE_LEN];
	uint64_t		 n;
	int			 fd;

	lf.reason = "not in the allowed subnets";
	while (tcp_listener_wait_pending(l) == 0 &&
	    tcp_pool_conn_acquire(cs->pool) == 0) {
		if ((fd = tcp_listener_accept(l, &peer, &warn)) == -1) {
			tcp_pool_conn_release(cs->pool);
			if (atomic_load(&l->stopping))
				break;
			continue;
		}
		atomic_fetch_add(&cs->stats.accepted, 1);
		if (!allowlist_allows(l->allow, (struct sockaddr *)&peer)) {
			atomic_fetch_add(&cs->stats.denied, 1);
			lf.lb = addr_format((struct sockaddr *)&peer, pbuf,
			    sizeof(pbuf));
			TCP_LOG_FAIL(TCP_LOG_DENIED, log_conn_f, &lf,
			    "%s: not in the allowed subnets, closed", lf.lb);
			(void)close(fd);
			tcp_pool_conn_release(cs->pool);
			continue;
		}
		if ((c = tcp_relay_conn_new(cs, fd, &peer)) != NULL) {
			/* Listed first: a queued connection can be aborted. */
			tcp_conns_add(cs, c);
			if (tcp_pool_run(cs->pool, tcp_setup_serve, c) == 0)
				continue;
			tcp_conns_remove(cs, c);
			free(c);
		}
		/*
		 * Logged even at -v 0, if rate-limited; the peer sees a
		 * close. No sleep: the next connection may well find a
		 * thread.
		 */
		if ((n = tcp_log_due(TCP_LOG_INTERNAL, 0)) != 0)
			log_warn("listener %d: %s: cannot serve%s", l->id,
			    addr_format((struct sockaddr *)&peer, pbuf,
			    sizeof(pbuf)), tcp_log_more(more, sizeof(more), n));
		(void)close(fd);
		tcp_pool_conn_release(cs->pool);
	}
	atomic_store(&l->exited, 1);
	return (NULL);
}

/* It only has to interrupt: accept4() or poll() then fails with EINTR. */
static void
tcp_listener_wake_handler(int sig)
{
	(void)sig;
}

/* Without SA_RESTART, so that a blocked accept4() is not restarted. */
static void
tcp_listener_wake_install(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tcp_listener_wake_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(TCP_LISTENER_WAKE_SIGNAL, &sa, NULL) == -1)
		fatal("sigaction");
}

int
tcp_listener_start(struct tcp_listener *l)
{
	static pthread_once_t	once = PTHREAD_ONCE_INIT;
	int			rc;

	if ((rc = pthread_once(&once, tcp_listener_wake_install)) != 0)
		return (rc);
	if ((rc = pthread_create(&l->thread, NULL, tcp_listener_thread,
	    l)) == 0)
		l->started = 1;
	return (rc);
}

void
tcp_listener_stop(struct tcp_listener *l, int shared)
{
	atomic_store(&l->stopping, 1);
	if (shared)
		return;
	/* Wakes poll() with POLLHUP; new peers get refused. */
	(void)shutdown(l->fd, SHUT_RDWR);
	l->shut = 1;
}

void
tcp_listener_join(struct tcp_listener *l)
{
	struct timespec	ts = { 0, TCP_LISTENER_WAKE_MS * 1000000L };
	int		rc;

	if (!l->started)
		return;
	/*
	 * Without shutdown(), a signal wakes it: again and again, since one
	 * that lands just before the acceptor blocks in poll() wakes
	 * nothing, and poll() has no timeout.
	 */
	while (!l->shut && !atomic_load(&l->exited)) {
		if ((rc = pthread_kill(l->thread,
		    TCP_LISTENER_WAKE_SIGNAL)) != 0)
			fatalx("pthread_kill: %s", strerror(rc));
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
		ts.tv_nsec = TCP_LISTENER_WAKE_MS * 1000000L;
	}
	pthread_join(l->thread, NULL);
	l->started = 0;
}

void
tcp_listener_handover_sock(const struct tcp_listener *l,
    struct handover_sock *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = l->fd;
	s->type = SOCK_STREAM;
	s->addr = l->cs.ep->listen;
}

void
tcp_listener_abort_conns(struct tcp_listener *l)
{
	tcp_conns_abort_all(&l->cs);
}

void
tcp_listener_close(struct tcp_listener *l)
{
	if (l->fd != -1)
		(void)close(l->fd);
	l->fd = -1;
}

void
tcp_listener_log_stats(struct tcp_listener *l, const char *when)
{
	struct tcp_stats_snapshot	 s;
	char				 buf[ADDR_STRLEN];
	char				 line[COUNTER_LOG_LEN];

	counter_table_read(&tcp_stats_table, &l->cs.stats, &s);
	(void)counter_table_log(&tcp_stats_table, &s, line, sizeof(line));
	log_info("%s: listener %d on %s: %s", when, l->id,
	    addr_format((const struct sockaddr *)&l->cs.ep->listen, buf,
	    sizeof(buf)), line);
}
