/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_relay.c -- the relay engine: one proxied connection, its backend
 * connected, relayed both ways until both directions end; then its
 * sockets closed, its summary line and its slot given back.
 *
 * A connection starts on one thread that waits on both sockets
 * (relay_solo) and copies each light burst with a send that cannot
 * block: a short request/reply exchange or an idle connection never
 * needs a second thread, nor the hand-off and wake-ups one costs. The
 * first burst that would block, or that is bulk, gives each direction a
 * thread of its own (relay_pump: blocking calls, splice for bulk), and
 * so does a connection that keeps talking (RELAY_SOLO_BURSTS): a burst
 * costs relay_solo a poll() more than a thread blocked in recv() on its
 * one socket. Once one direction has ended, the thread pumps the other
 * alone, still watching the ended side for a reset.
 *
 * Ownership: c->refs counts the threads that hold c, each of which puts
 * its reference once (tcp_relay_put). The thread that set the connection
 * up holds the only one until relay_split hands a direction to a pool
 * thread, which brings the second (see there). A direction's thread
 * writes only that direction's struct relay_dir; the last one out
 * (refs reaches 0) reads both, closes the sockets and frees c. fds are
 * published in the shared list (tcp_conns.c) so that shutdown can end a
 * connection without racing close().
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "monotonic.h"
#include "net.h"
#include "tcp_bufpipe.h"
#include "tcp_conns.h"
#include "tcp_fd_gauge.h"
#include "tcp_log.h"
#include "tcp_pool.h"
#include "tcp_relay.h"

#define RELAY_CHUNK		(1024 * 1024)	/* most one splice may move */
#define RELAY_BULK		(16 * 1024)	/* this large a read: splice */
#define RELAY_SOLO_BURSTS	8	/* then a chatty connection splits */

/* Why a connection ended, for its summary line; pointers compared. */
static const char relay_client_error[] = "client error";
static const char relay_backend_error[] = "backend error";
static const char relay_client_timeout[] = "client timed out";
static const char relay_backend_timeout[] = "backend timed out";

const struct timeval relay_idle_tv = { RELAY_IDLE_MS / 1000,
	(RELAY_IDLE_MS % 1000) * 1000 };

struct conn *
tcp_relay_conn_new(struct tcp_conns *cs, int cfd,
    const struct sockaddr_storage *peer)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->cs = cs;
	c->cfd = cfd;
	c->bfd = -1;
	c->peer = *peer;
	atomic_init(&c->refs, 1);
	atomic_init(&c->why, NULL);
	c->start_ms = (long long)monotonic_ms();
	c->dir[RELAY_FORWARD] = (struct relay_dir){ .c = c, .in = -1,
	    .out = -1, .total = &cs->stats.bytes_in };
	c->dir[RELAY_BACKWARD] = (struct relay_dir){ .c = c, .in = -1,
	    .out = -1, .total = &cs->stats.bytes_out };
	return (c);
}

/*
 * Remember the first reason the connection ended. A timeout may still
 * explain an error seen on the same side first: the kernel reports
 * ETIMEDOUT to one caller only, and the other direction, writing to the
 * same socket, may fail first with EPIPE.
 */
static void
relay_why(struct conn *c, const char *why)
{
	const char	*was = NULL;

	if (atomic_compare_exchange_strong(&c->why, &was, why))
		return;
	if ((was == relay_client_error && why == relay_client_timeout) ||
	    (was == relay_backend_error && why == relay_backend_timeout))
		atomic_compare_exchange_strong(&c->why, &was, why);
}

/*
 * End both directions now, with a reset each way: an error on one side
 * ends the other too, and each peer learns that it was not a clean end.
 */
static void
relay_fail(struct conn *c, const char *why)
{
	relay_why(c, why);
	net_abort(c->cfd);
	if (c->bfd != -1)
		net_abort(c->bfd);
}

void
tcp_relay_abort(struct conn *c)
{
	relay_fail(c, "cut by shutdown");
}

/* c's three addresses, formatted for a line about it. */
struct relay_names {
	char	client[ADDR_STRLEN], lb[ADDR_STRLEN], target[ADDR_STRLEN];
};

static void
relay_names(const struct conn *c, struct relay_names *n,
    struct log_fields *lf)
{
	lf->client = c->client.ss_family != AF_UNSPEC ?
	    addr_format((const struct sockaddr *)&c->client, n->client,
	    sizeof(n->client)) : "local";
	lf->lb = addr_format((const struct sockaddr *)&c->peer, n->lb,
	    sizeof(n->lb));
	lf->target = addr_format((const struct sockaddr *)&c->target,
	    n->target, sizeof(n->target));
}

void
tcp_relay_put(struct conn *c)
{
	struct tcp_conns *cs = c->cs;
	struct relay_names names;
	struct log_fields lf = LOG_FIELDS_INIT;
	const char	*why;
	uint64_t	 in, out;
	long long	 ms;

	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	tcp_conns_leave(cs, c);
	why = atomic_load(&c->why);
	if (why == relay_client_timeout || why == relay_backend_timeout)
		atomic_fetch_add(&cs->stats.timed_out, 1);
	(void)close(c->cfd);
	if (c->bfd != -1) {
		(void)close(c->bfd);
		atomic_fetch_sub(&cs->stats.active, 1);
	}
	/* Listed until now: a connection waiting for its port finds it. */
	tcp_conns_remove(cs, c);
	if (c->bfd != -1 && log_verbosity() >= LOG_V_STATES) {
		ms = (long long)monotonic_ms() - c->start_ms;
		in = c->dir[RELAY_FORWARD].bytes;
		out = c->dir[RELAY_BACKWARD].bytes;
		relay_names(c, &names, &lf);
		lf.reason = why != NULL ? why : "eof";
		lf.bytes_in = (long long)in;
		lf.bytes_out = (long long)out;
		lf.duration_ms = ms;
		log_conn_f(LOG_V_STATES, &lf, "%s via %s -> %s: closed after "
		    "%lld.%03lld s, %llu bytes in, %llu bytes out (%s)",
		    lf.client, lf.lb, lf.target, ms / 1000, ms % 1000,
		    (unsigned long long)in, (unsigned long long)out,
		    lf.reason);
	}
	free(c);
	tcp_pool_conn_release(cs->pool);
}

/* Count n bytes that d moved, for the summary line and the listener. */
static void
relay_count(struct relay_dir *d, size_t n)
{
	d->bytes += n;
	atomic_fetch_add_explicit(d->total, n, memory_order_relaxed);
}

/* Where the error err was, and whether that peer went silent. */
static const char *
relay_side(struct conn *c, int fd, int err)
{
	if (fd == c->cfd)
		return (err == ETIMEDOUT ? relay_client_timeout :
		    relay_client_error);
	return (err == ETIMEDOUT ? relay_backend_timeout :
	    relay_backend_error);
}

/*
 * Send len bytes at buf to d's out, blocking, and count them. Returns 0,
 * or -1 with the connection failed.
 */
static int
relay_send(struct relay_dir *d, const char *buf, size_t len)
{
	if (net_write_all(d->out, buf, len) == -1) {
		relay_fail(d->c, relay_side(d->c, d->out, errno));
		return (-1);
	}
	relay_count(d, len);
	return (0);
}

/* Move every byte of the pipe to out. Returns 0, or -1 (errno). */
static int
relay_drain(int rfd, int out, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = splice(rfd, NULL, out, NULL, len, SPLICE_F_MOVE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		if (n == 0) {
			errno = EIO;
			return (-1);
		}
		len -= (size_t)n;
	}
	return (0);
}

/*
 * Whether the next bulk read of a direction may splice: a pipe is there,
 * or can be had, and fds are not short (tcp_bufpipe_need_pipe). A burst
 * that copies instead counts once as a copy fallback; the first one of
 * the process is logged, since the operator can give it fds.
 */
static int
relay_pipe(struct conn *c, struct tcp_bufpipe *bp)
{
	static atomic_int	 told;
	struct tcp_fd_gauge		*fds = c->cs->bufpipes->fds;

	if (tcp_bufpipe_need_pipe(c->cs->bufpipes, bp) == 0)
		return (1);
	if (!bp->copied) {
		bp->copied = 1;
		TCP_STATS_INC(&c->cs->stats, copy_fallback);
	}
	/* EMFILE is the gauge's refusal: the numbers say more. */
	if (!atomic_exchange(&told, 1))
		log_warnx("bulk data copied, not spliced, for want of a pipe: "
		    "%zu of %zu fds in use, %zu kept free for new connections "
		    "(counted as copy fallbacks from now on; raise "
		    "LimitNOFILE= or ulimit -n)%s%s", tcp_fd_gauge_in_use(fds),
		    fds->nofile, tcp_fd_gauge_low_water(fds),
		    errno == EMFILE ? "" : ": ",
		    errno == EMFILE ? "" : strerror(errno));
	return (0);
}

/*
 * The pending error of fd (taking it), or EPIPE when there is none: what
 * a write to it would have failed with.
 */
static int
relay_sock_error(int fd)
{
	socklen_t	len;
	int		err = 0;

	len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err == 0)
		err = EPIPE;
	return (err);
}

/*
 * One direction on a thread of its own, until EOF (then half-close its
 * out) or an error (then end both). An idle direction waits in poll()
 * holding nothing; once bytes arrive it borrows a bufpipe and keeps it while
 * they keep coming: the socket's receive timeout (RELAY_IDLE_MS, set on
 * the listener and the backend socket) ends a read that waited that
 * long, and the bufpipe goes back to the pool.
 *
 * Small reads are copied through the bufpipe's buffer: for a few bytes that
 * is cheaper than splice(), which pins a page per segment. A read of
 * RELAY_BULK or more means bulk data, and from then on bytes move with
 * splice() through the bufpipe's pipe, until a short splice says the burst
 * is over. Without a pipe (fds are short: relay_pipe) bulk is copied, a
 * whole buffer at a time.
 *
 * The wait watches out too, for an error or a hang-up only: once the
 * other direction has ended nobody reads out, and a peer that
 * half-closed and then reset (or that keepalive gave up) would
 * otherwise hold the connection until in has bytes for it.
 */
static void
relay_pump(struct relay_dir *d)
{
	struct conn		*c = d->c;
	struct tcp_bufpipe_pool	*pool = c->cs->bufpipes;
	struct tcp_bufpipe	 bp;
	struct pollfd		 pfd[2] = { { .fd = d->in, .events = POLLIN },
			    { .fd = d->out, .events = 0 } };
	ssize_t		 n;
	int		 use_splice, err;

	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			relay_fail(c, "poll failed");
			return;
		}
		/*
		 * POLLERR or POLLHUP: out can take nothing more. Our side
		 * never shuts out down before this direction ends, so a
		 * hang-up there is the peer's reset or a timeout.
		 */
		if (pfd[1].revents != 0) {
			relay_fail(c, relay_side(c, d->out,
			    relay_sock_error(d->out)));
			return;
		}
		if (tcp_bufpipe_get(pool, &bp) == -1) {
			relay_fail(c, "out of memory");
			return;
		}
		use_splice = 0;
		for (;;) {
			if (use_splice)
				n = splice(d->in, NULL, bp.wfd, NULL,
				    RELAY_CHUNK, SPLICE_F_MOVE);
			else
				n = recv(d->in, bp.buf, TCP_BUFPIPE_BUF_SIZE,
				    0);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 && errno == EAGAIN)
				break;		/* idle: give bp back */
			if (n == -1) {
				err = errno;
				tcp_bufpipe_put(pool, &bp, 0);
				relay_fail(c, relay_side(c, d->in, err));
				return;
			}
			if (n == 0 && use_splice) {
				/*
				 * Also 0 at TCP's urgent mark, with bytes still
				 * queued (tcp_read_sock stops there): only
				 * recv() reads past it, the urgent byte inline
				 * (SO_OOBINLINE). It tells that from EOF too.
				 */
				use_splice = 0;
				continue;
			}
			if (n == 0) {
				tcp_bufpipe_put(pool, &bp, 0);
				goto eof;
			}
			if ((use_splice ?
			    relay_drain(bp.rfd, d->out, (size_t)n) :
			    net_write_all(d->out, bp.buf, (size_t)n)) == -1) {
				err = errno;
				tcp_bufpipe_put(pool, &bp, use_splice);
				relay_fail(c, relay_side(c, d->out, err));
				return;
			}
			relay_count(d, (size_t)n);
			use_splice = n >= RELAY_BULK && relay_pipe(c, &bp);
		}
		tcp_bufpipe_put(pool, &bp, 0);
	}
eof:
	/* Half-close: the other direction keeps flowing until its own end. */
	if (shutdown(d->out, SHUT_WR) == -1 && errno != ENOTCONN)
		relay_fail(c, "shutdown failed");
}

/* A pool thread's part: the direction it was handed, then its reference. */
static void
relay_dir_task(void *arg)
{
	struct relay_dir *d = arg;
	struct conn	*c = d->c;

	relay_pump(d);
	tcp_relay_put(c);
}

/* The line for a connection that found no thread for a direction. */
static void
relay_log_no_thread(struct conn *c, int err)
{
	struct relay_names names;
	struct log_fields lf = LOG_FIELDS_INIT;

	relay_names(c, &names, &lf);
	errno = err;
	TCP_LOG_FAIL(TCP_LOG_INTERNAL, log_conn_warn_f, &lf,
	    "%s via %s -> %s: no thread for the second direction",
	    lf.client, lf.lb, lf.target);
}

/*
 * Give direction d a pool thread of its own: the one place where a
 * connection gains a reference. The invariant, for c = d->c:
 *   - on entry the calling thread holds c's only reference (refs 1) and
 *     is the only thread that touches c's directions;
 *   - refs goes to 2 before tcp_pool_run, since the new thread may run d to
 *     its end and put its reference before tcp_pool_run has returned;
 *   - on success, 0: the caller keeps its reference for the other
 *     direction, which it pumps itself, and touches d no more; each
 *     thread puts its reference once its direction ends, and whichever
 *     brings refs to 0 frees c;
 *   - when no thread takes d, nobody else has seen c: refs is 1 again
 *     and the connection has failed; -1, and the caller, which still
 *     holds c, puts its reference as it would have at the end.
 */
static int
relay_split(struct relay_dir *d)
{
	struct conn	*c = d->c;
	int		 err;

	atomic_store(&c->refs, 2);
	if (tcp_pool_run(c->cs->pool, relay_dir_task, d) == 0)
		return (0);
	err = errno;
	atomic_store(&c->refs, 1);
	relay_fail(c, "no thread");
	relay_log_no_thread(c, err);
	return (-1);
}

/* What one burst in relay_solo came to. */
enum relay_burst {
	RELAY_BURST_LIGHT,	/* all read and sent: wait again */
	RELAY_BURST_EOF,	/* in ended, out half-closed */
	RELAY_BURST_HEAVY,	/* *left bytes at bp->buf + *off to send */
	RELAY_BURST_FAILED	/* relay_fail done */
};

/*
 * Copy one read of d's in to its out without blocking. A read of
 * RELAY_BULK or more, or a send that would block, is HEAVY: this
 * direction needs a thread that may block, and *off and *left say what
 * of the bufpipe's buffer is still unsent. A read that did not fill the
 * buffer has most likely emptied the socket; if more came meanwhile,
 * poll() says so at once, so no read is spent on finding it empty.
 */
static enum relay_burst
relay_burst(struct relay_dir *d, struct tcp_bufpipe *bp, size_t *off,
    size_t *left)
{
	ssize_t	n, m;

	*off = *left = 0;
	for (;;) {
		n = recv(d->in, bp->buf, TCP_BUFPIPE_BUF_SIZE, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return (RELAY_BURST_LIGHT);
		if (n == -1) {
			relay_fail(d->c, relay_side(d->c, d->in, errno));
			return (RELAY_BURST_FAILED);
		}
		if (n == 0) {
			if (shutdown(d->out, SHUT_WR) == -1 &&
			    errno != ENOTCONN) {
				relay_fail(d->c, "shutdown failed");
				return (RELAY_BURST_FAILED);
			}
			return (RELAY_BURST_EOF);
		}
		do
			m = send(d->out, bp->buf, (size_t)n,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		while (m == -1 && errno == EINTR);
		if (m == -1 && errno != EAGAIN) {
			relay_fail(d->c, relay_side(d->c, d->out, errno));
			return (RELAY_BURST_FAILED);
		}
		if (m == -1)
			m = 0;
		relay_count(d, (size_t)m);
		*off = (size_t)m;
		*left = (size_t)(n - m);
		return (m < n || n >= RELAY_BULK ? RELAY_BURST_HEAVY :
		    RELAY_BURST_LIGHT);
	}
}

/* The direction that runs the other way from d. */
static struct relay_dir *
relay_other(struct relay_dir *d)
{
	struct conn	*c = d->c;

	return (d == &c->dir[RELAY_FORWARD] ? &c->dir[RELAY_BACKWARD] :
	    &c->dir[RELAY_FORWARD]);
}

/*
 * Both directions on this thread while their bursts are light (see the
 * top of the file). Returns the direction this thread is to pump from
 * now on, the other one having ended or gone to a pool thread; NULL
 * when the connection is over.
 */
static struct relay_dir *
relay_solo(struct conn *c)
{
	struct tcp_bufpipe_pool	*pool = c->cs->bufpipes;
	struct pollfd		 pfd[RELAY_WAYS];
	struct relay_dir *d;
	struct tcp_bufpipe	 bp;
	enum relay_burst r;
	size_t		 off, left;
	int		 i, bursts = 0;

	/* pfd[i] waits for bytes that c->dir[i] is to move. */
	for (i = 0; i < RELAY_WAYS; i++)
		pfd[i] = (struct pollfd){ .fd = c->dir[i].in,
		    .events = POLLIN };
	for (;;) {
		if (poll(pfd, RELAY_WAYS, -1) == -1) {
			if (errno == EINTR)
				continue;
			relay_fail(c, "poll failed");
			return (NULL);
		}
		for (i = 0; i < RELAY_WAYS; i++) {
			if (pfd[i].revents == 0)
				continue;
			d = &c->dir[i];
			if (tcp_bufpipe_get(pool, &bp) == -1) {
				relay_fail(c, "out of memory");
				return (NULL);
			}
			r = relay_burst(d, &bp, &off, &left);
			if (r == RELAY_BURST_LIGHT &&
			    ++bursts >= RELAY_SOLO_BURSTS)
				r = RELAY_BURST_HEAVY;	/* left is 0 */
			if (r == RELAY_BURST_HEAVY) {
				/* d may block now: the other one goes first. */
				if (relay_split(relay_other(d)) == -1 ||
				    relay_send(d, bp.buf + off, left) == -1)
					d = NULL;
				tcp_bufpipe_put(pool, &bp, 0);
				return (d);
			}
			tcp_bufpipe_put(pool, &bp, 0);
			if (r == RELAY_BURST_FAILED)
				return (NULL);
			if (r == RELAY_BURST_EOF)
				return (relay_other(d));
		}
	}
}

int
tcp_relay_connected(struct conn *c, const void *early, size_t len)
{
	struct relay_dir *fwd = &c->dir[RELAY_FORWARD];
	struct relay_dir *back = &c->dir[RELAY_BACKWARD];

	atomic_fetch_add(&c->cs->stats.active, 1);
	fwd->in = back->out = c->cfd;
	fwd->out = back->in = c->bfd;
	return (len > 0 ? relay_send(fwd, early, len) : 0);
}

void
tcp_relay_run(struct conn *c)
{
	struct relay_dir *d;

	if ((d = relay_solo(c)) != NULL)
		relay_pump(d);
	tcp_relay_put(c);
}
