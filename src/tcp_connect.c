/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_connect.c -- a connection's way to its backend: the socket, from
 * the client's address and port when the header named them, its options,
 * and connect().
 *
 * A load balancer may send the same client address and port again while
 * our connection from them is still closing: HAProxy's http-server-close
 * opens a server connection per request of one client connection. The
 * four-tuple is then taken, and -client-port-busy says what to do: wait
 * (bounded) for our own closing connection to let it go, then fall back
 * to a port the kernel picks on the client's address, so the backend
 * still sees the client's IP.
 *
 * How a taken four-tuple shows (Linux 6.18, tried in a namespace; the
 * sockets carry SO_REUSEADDR and IP_TRANSPARENT):
 *   - connect() fails with EADDRNOTAVAIL while a socket from the same
 *     address and port to the same target exists in a state other than
 *     TIME_WAIT (ESTABLISHED, CLOSE_WAIT and FIN_WAIT2 were tried; a
 *     socket closed from CLOSE_WAIT, in LAST_ACK, holds the tuple for
 *     some tens of microseconds more on loopback);
 *   - a TIME_WAIT one is taken over by the bound connect() when TCP
 *     timestamps are on (the default); with net.ipv4.tcp_timestamps=0
 *     connect() fails with EADDRNOTAVAIL for the whole TIME_WAIT;
 *   - bind() fails with EADDRINUSE when another socket holds the
 *     address and port without SO_REUSEADDR, or listens on them.
 * tests/functional/tcp_client_port_busy.sh makes each of these happen.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "monotonic.h"
#include "net.h"
#include "options.h"
#include "ratelog.h"
#include "tcp_connect.h"
#include "tcp_conns.h"
#include "tcp_relay.h"

#define TCP_CONNECT_MS		5000	/* backend connect deadline */
#define TCP_CONNECT_WARN_MS	10000	/* between fallback lines */
#define TCP_CONNECT_SETTLE_US	200	/* for a socket of ours in LAST_ACK */

/* Why the client's port could not be had, for the fallback's line. */
static const char *const tcp_connect_held[] = {
	[TCP_CONNS_PORT_NOT_OURS] = "held elsewhere (TIME_WAIT, or another "
	    "program)",
	[TCP_CONNS_PORT_LIVE] = "held by an open connection of ours",
	[TCP_CONNS_PORT_LET_GO] = "still held once ours closed",
	[TCP_CONNS_PORT_STILL_HELD] = "still held by a closing connection "
	    "of ours after the wait"
};

/* Fallback lines, one per TCP_CONNECT_WARN_MS for the whole process. */
static pthread_mutex_t	tcp_connect_warn_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct ratelog	tcp_connect_warn;

/*
 * One try from src (NULL: our own address): socket, options, connect.
 * Returns the fd, or -1 with errno set and *what naming the step.
 */
static int
tcp_connect_once(struct conn *c, const struct sockaddr *src,
    const char **what)
{
	struct tcp_conns	*cs = c->cs;
	const struct options	*cfg = cs->opts;
	int			 bfd, one = 1, saved;

	bfd = src != NULL ? net_socket_transparent(src, SOCK_STREAM,
	    cfg->mark) : net_socket_plain(c->target.ss_family, SOCK_STREAM,
	    cfg->mark);
	if (bfd == -1) {
		*what = "backend socket";
		return (-1);
	}
	tcp_conns_set_backend(cs, c, bfd);
	/* A backend that vanished cannot hold a slot either. */
	if (cfg->keepalive_ms > 0 &&
	    net_keepalive(bfd, cfg->keepalive_ms) == -1) {
		*what = "keepalive";
		goto fail;
	}
	/* Relayed bytes are already late: do not hold them for Nagle. */
	(void)setsockopt(bfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Urgent data is relayed inline, as the listener's sockets do. */
	(void)setsockopt(bfd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	/* Lets relay_pump give its bufpipe back when this side goes idle. */
	(void)setsockopt(bfd, SOL_SOCKET, SO_RCVTIMEO, &relay_idle_tv,
	    sizeof(relay_idle_tv));
	if (net_connect_timeout(bfd, (struct sockaddr *)&c->target,
	    TCP_CONNECT_MS) == -1) {
		*what = "connect";
		goto fail;
	}
	return (bfd);
fail:
	saved = errno;
	tcp_conns_set_backend(cs, c, -1);
	(void)close(bfd);
	errno = saved;
	return (-1);
}

/* Whether a failed try means that the client's address and port are taken. */
static int
tcp_connect_busy(int err, const char *what)
{
	return ((err == EADDRINUSE && strcmp(what, "backend socket") == 0) ||
	    (err == EADDRNOTAVAIL && strcmp(what, "connect") == 0));
}

/*
 * The fallback's line at -v 1, rate-limited: it may come per request.
 * held is what held the port, or -1 when nobody looked.
 */
static void
tcp_connect_log_fallback(int bfd, const struct log_fields *lf, int held)
{
	struct sockaddr_storage	 ss;
	struct log_fields	 f = *lf;
	socklen_t		 len = sizeof(ss);
	uint64_t		 n;

	if (log_verbosity() < LOG_V_ERRORS)
		return;
	pthread_mutex_lock(&tcp_connect_warn_mtx);
	n = ratelog_due(&tcp_connect_warn, TCP_CONNECT_WARN_MS);
	pthread_mutex_unlock(&tcp_connect_warn_mtx);
	if (n == 0)
		return;
	if (getsockname(bfd, (struct sockaddr *)&ss, &len) == -1)
		ss.ss_family = AF_UNSPEC;
	f.reason = "client port in use";
	log_conn_f(LOG_V_ERRORS, &f, "%s via %s -> %s: client port %s, "
	    "connected from port %d instead (%" PRIu64 " such since the last "
	    "line)", f.client, f.lb, f.target, held == -1 ? "in use" :
	    tcp_connect_held[held],
	    ss.ss_family != AF_UNSPEC ? addr_port((struct sockaddr *)&ss) : 0,
	    n);
}

static void
tcp_connect_pause_us(long us)
{
	struct timespec	ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Wait for our own closing connection to let src go, and retry each time
 * one does, for at most -client-port-wait. A socket of ours that
 * has just closed may still wait for the backend's last ACK (LAST_ACK)
 * when none of our connections holds the port any more: one short pause
 * lets it go too. Returns as tcp_connect_once; *held says what held the
 * port at the last look.
 */
static int
tcp_connect_wait(struct conn *c, const struct sockaddr *src,
    const struct log_fields *lf, const char **what,
    enum tcp_conns_port *held)
{
	struct tcp_stats	*st = &c->cs->stats;
	uint64_t		 start = monotonic_us(), deadline, waited;
	int			 bfd = -1, err = errno, slept = 0, paused = 0;

	deadline = start + (uint64_t)c->cs->opts->client_port_wait_ms * 1000;
	while (atomic_load(&c->why) == NULL) {
		*held = tcp_conns_wait_port(c, src,
		    (struct sockaddr *)&c->target, deadline);
		if (*held == TCP_CONNS_PORT_LIVE ||
		    (*held == TCP_CONNS_PORT_NOT_OURS && paused))
			break;
		slept = 1;
		if (*held == TCP_CONNS_PORT_STILL_HELD)
			break;
		if (*held == TCP_CONNS_PORT_NOT_OURS) {
			tcp_connect_pause_us(TCP_CONNECT_SETTLE_US);
			paused = 1;
		}
		if ((bfd = tcp_connect_once(c, src, what)) != -1)
			break;
		if (!tcp_connect_busy(err = errno, *what))
			break;
	}
	if (slept) {
		waited = monotonic_us() - start;
		atomic_fetch_add(&st->port_wait_us, waited);
		if (bfd != -1) {
			TCP_STATS_INC(st, port_waited);
			log_conn_f(LOG_V_STATES, lf, "%s via %s -> %s: waited "
			    "%" PRIu64 " us for our earlier connection from "
			    "the same address and port", lf->client, lf->lb,
			    lf->target, waited);
		}
	}
	errno = err;
	return (bfd);
}

int
tcp_connect_backend(struct conn *c, const struct sockaddr *src,
    const struct log_fields *lf, const char **what)
{
	struct tcp_stats	*st = &c->cs->stats;
	int			 how = c->cs->opts->client_port_busy;
	enum tcp_conns_port	 held = TCP_CONNS_PORT_NOT_OURS;
	struct sockaddr_storage	 any;
	int			 bfd;

	if ((bfd = tcp_connect_once(c, src, what)) != -1 || src == NULL ||
	    !tcp_connect_busy(errno, *what))
		return (bfd);
	if ((how & OPTIONS_PORT_WAIT) && ((bfd = tcp_connect_wait(c, src, lf,
	    what, &held)) != -1 || !tcp_connect_busy(errno, *what)))
		return (bfd);
	if (!(how & OPTIONS_PORT_FALLBACK) || atomic_load(&c->why) != NULL) {
		TCP_STATS_INC(st, port_failed);
		return (-1);
	}
	/* Port 0: connect() picks one that makes the four-tuple unique. */
	memcpy(&any, src, addr_len(src));
	addr_set_port(&any, 0);
	c->port_fell_back = 1;
	if ((bfd = tcp_connect_once(c, (struct sockaddr *)&any, what)) != -1) {
		TCP_STATS_INC(st, port_fallback);
		tcp_connect_log_fallback(bfd, lf,
		    how & OPTIONS_PORT_WAIT ? (int)held : -1);
	}
	return (bfd);
}
