/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_relay.c -- one proxied TCP connection: read the PROXY header under a
 * deadline, connect to the backend from the client's address, forward what
 * came with the header, then relay both ways.
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
 * Ownership: the pool thread that runs tcp_relay_serve owns the conn until
 * it hands one direction to another pool thread; from then on both
 * directions share it and refs counts them. Each direction writes only its
 * own byte counter; the last one to finish (refs reaches 0) reads both,
 * closes the sockets and frees the conn. fds are published in the shared
 * list (tcp_shared.c) so that shutdown can end a connection without
 * racing close().
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "destallow.h"
#include "fd_gauge.h"
#include "log.h"
#include "monotonic.h"
#include "net.h"
#include "kit_pool.h"
#include "pool.h"
#include "proxy_header.h"
#include "target.h"
#include "tcp_connect.h"
#include "tcp_log.h"
#include "tcp_relay.h"
#include "tcp_shared.h"

/*
 * Any v1 line and the usual v2 header, on the stack: a larger v2 header
 * moves to the heap. Kept small because a stack page touched once stays
 * in the thread's RSS while the connection lives, and a worker that never
 * calls malloc() never gets a per-thread malloc cache either.
 */
#define RELAY_HDR_BUF		256
/*
 * What the larger headers still being read may hold on the heap, all
 * connections together (about 4 MiB): each may announce up to 64 KiB and
 * send it slowly, and -max-conns of them would pin max_conns * 64 KiB.
 */
#define RELAY_HDR_HEAP_MAX	(64 * PP_V2_MAX_LEN)
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

/* Bytes of RELAY_HDR_HEAP_MAX that header buffers hold now. */
static atomic_size_t	relay_hdr_heap;

struct conn *
tcp_relay_conn_new(struct tcp_shared *sh, int cfd,
    const struct sockaddr_storage *peer)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->sh = sh;
	c->cfd = cfd;
	c->bfd = -1;
	c->peer = *peer;
	atomic_init(&c->refs, 1);
	atomic_init(&c->why, NULL);
	c->start_ms = (long long)monotonic_ms();
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

/* The last direction out closes, counts, logs and frees. */
static void
relay_put(struct conn *c)
{
	struct tcp_shared *sh = c->sh;
	char		 cbuf[ADDR_STRLEN], pbuf[ADDR_STRLEN];
	char		 tbuf[ADDR_STRLEN];
	struct log_fields lf = LOG_FIELDS_INIT;
	const char	*why;
	long long	 ms;

	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	tcp_shared_leave(sh, c);
	why = atomic_load(&c->why);
	if (why == relay_client_timeout || why == relay_backend_timeout)
		atomic_fetch_add(&sh->stats.timed_out, 1);
	(void)close(c->cfd);
	if (c->bfd != -1) {
		(void)close(c->bfd);
		atomic_fetch_sub(&sh->stats.active, 1);
	}
	/* Listed until now: a connection waiting for its port finds it. */
	tcp_shared_remove(sh, c);
	if (c->bfd != -1 && log_verbosity() >= LOG_V_STATES) {
		ms = (long long)monotonic_ms() - c->start_ms;
		lf.client = c->client.ss_family != AF_UNSPEC ?
		    addr_format((struct sockaddr *)&c->client, cbuf,
		    sizeof(cbuf)) : "local";
		lf.lb = addr_format((struct sockaddr *)&c->peer, pbuf,
		    sizeof(pbuf));
		lf.target = addr_format((struct sockaddr *)&c->target, tbuf,
		    sizeof(tbuf));
		lf.reason = why != NULL ? why : "eof";
		lf.bytes_in = (long long)c->bytes_in;
		lf.bytes_out = (long long)c->bytes_out;
		lf.duration_ms = ms;
		log_conn_f(LOG_V_STATES, &lf, "%s via %s -> %s: closed after "
		    "%lld.%03lld s, %llu bytes in, %llu bytes out (%s)",
		    lf.client, lf.lb, lf.target, ms / 1000, ms % 1000,
		    (unsigned long long)c->bytes_in,
		    (unsigned long long)c->bytes_out, lf.reason);
	}
	free(c);
	pool_conn_release(sh->pool);
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
 * Whether the next bulk read of a direction may splice: a pipe is there,
 * or can be had, and fds are not short (kit_pipe). A burst that copies
 * instead counts once as a copy fallback; the first one of the process
 * is logged, since the operator can give it fds.
 */
static int
relay_pipe(struct conn *c, struct kit *k)
{
	static atomic_int	 told;
	struct fd_gauge		*fds = c->sh->kits->fds;

	if (kit_pipe(c->sh->kits, k) == 0)
		return (1);
	if (!k->copied) {
		k->copied = 1;
		TCP_STATS_INC(&c->sh->stats, copy_fallback);
	}
	/* EMFILE is the gauge's refusal: the numbers say more. */
	if (!atomic_exchange(&told, 1))
		log_warnx("bulk data copied, not spliced, for want of a pipe: "
		    "%zu of %zu fds in use, %zu kept free for new connections "
		    "(counted as copy fallbacks from now on; raise "
		    "LimitNOFILE= or ulimit -n)%s%s", fd_gauge_in_use(fds),
		    fds->nofile, fd_gauge_low_water(fds),
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
 * One direction on a thread of its own, in to out, until EOF (then
 * half-close out) or an error (then end both). An idle direction waits in
 * poll() holding nothing; once bytes arrive it borrows a kit and keeps it
 * while they keep coming:
 * the socket's receive timeout (RELAY_IDLE_MS, set on the listener and the
 * backend socket) ends a read that waited that long, and the kit goes
 * back to the pool.
 *
 * Small reads are copied through the kit's buffer: for a few bytes that
 * is cheaper than splice(), which pins a page per segment. A read of
 * RELAY_BULK or more means bulk data, and from then on bytes move with
 * splice() through the kit's pipe, until a short splice says the burst
 * is over. Without a pipe (fds are short: relay_pipe) bulk is copied, a
 * whole buffer at a time.
 *
 * The wait watches out too, for an error or a hang-up only: once the
 * other direction has ended nobody reads out, and a peer that
 * half-closed and then reset (or that keepalive gave up) would
 * otherwise hold the connection until in has bytes for it.
 */
static void
relay_pump(struct conn *c, int in, int out, uint64_t *count,
    atomic_uint_fast64_t *total)
{
	struct kit_pool	*kits = c->sh->kits;
	struct kit	 k;
	struct pollfd	 pfd[2] = { { .fd = in, .events = POLLIN },
			    { .fd = out, .events = 0 } };
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
			relay_fail(c, relay_side(c, out,
			    relay_sock_error(out)));
			return;
		}
		if (kit_pool_get(kits, &k) == -1) {
			relay_fail(c, "out of memory");
			return;
		}
		use_splice = 0;
		for (;;) {
			if (use_splice)
				n = splice(in, NULL, k.wfd, NULL, RELAY_CHUNK,
				    SPLICE_F_MOVE);
			else
				n = recv(in, k.buf, KIT_BUF_SIZE, 0);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 && errno == EAGAIN)
				break;		/* idle: give the kit back */
			if (n == -1) {
				err = errno;
				kit_pool_put(kits, &k, 0);
				relay_fail(c, relay_side(c, in, err));
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
				kit_pool_put(kits, &k, 0);
				goto eof;
			}
			if ((use_splice ?
			    relay_drain(k.rfd, out, (size_t)n) :
			    net_write_all(out, k.buf, (size_t)n)) == -1) {
				err = errno;
				kit_pool_put(kits, &k, use_splice);
				relay_fail(c, relay_side(c, out, err));
				return;
			}
			*count += (uint64_t)n;
			atomic_fetch_add(total, (uint64_t)n);
			use_splice = n >= RELAY_BULK && relay_pipe(c, &k);
		}
		kit_pool_put(kits, &k, 0);
	}
eof:
	/* Half-close: the other direction keeps flowing until its own end. */
	if (shutdown(out, SHUT_WR) == -1 && errno != ENOTCONN)
		relay_fail(c, "shutdown failed");
}

/* One direction of a connection: in to out, with its byte counters. */
struct relay_dir {
	int			 in, out;
	uint64_t		*count;
	atomic_uint_fast64_t	*total;
};

static struct relay_dir
relay_dir(struct conn *c, int backward)
{
	struct tcp_shared *sh = c->sh;

	if (backward)
		return ((struct relay_dir){ c->bfd, c->cfd, &c->bytes_out,
		    &sh->stats.bytes_out });
	return ((struct relay_dir){ c->cfd, c->bfd, &c->bytes_in,
	    &sh->stats.bytes_in });
}

static void
relay_run(struct conn *c, int backward)
{
	struct relay_dir d = relay_dir(c, backward);

	relay_pump(c, d.in, d.out, d.count, d.total);
}

static void
relay_forward_task(void *arg)
{
	relay_run(arg, 0);
	relay_put(arg);
}

static void
relay_backward_task(void *arg)
{
	relay_run(arg, 1);
	relay_put(arg);
}

/* What one burst in relay_solo came to. */
enum relay_burst {
	RELAY_BURST_IDLE,	/* all read and sent: wait again */
	RELAY_BURST_EOF,	/* in ended, out half-closed */
	RELAY_BURST_HEAVY,	/* *left bytes at k->buf + *off still to send */
	RELAY_BURST_FAILED	/* relay_fail done */
};

/*
 * Copy one read of d.in to d.out without blocking. A read of RELAY_BULK
 * or more, or a send that would block, is HEAVY: this direction needs a
 * thread that may block, and *off and *left say what of the kit's
 * buffer is still unsent. A read that did not fill the buffer has most
 * likely emptied the socket; if more came meanwhile, poll() says so at
 * once, so no read is spent on finding it empty.
 */
static enum relay_burst
relay_burst(struct conn *c, struct relay_dir d, struct kit *k, size_t *off,
    size_t *left)
{
	ssize_t	n, m;

	*off = *left = 0;
	for (;;) {
		n = recv(d.in, k->buf, KIT_BUF_SIZE, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return (RELAY_BURST_IDLE);
		if (n == -1) {
			relay_fail(c, relay_side(c, d.in, errno));
			return (RELAY_BURST_FAILED);
		}
		if (n == 0) {
			if (shutdown(d.out, SHUT_WR) == -1 && errno != ENOTCONN) {
				relay_fail(c, "shutdown failed");
				return (RELAY_BURST_FAILED);
			}
			return (RELAY_BURST_EOF);
		}
		do
			m = send(d.out, k->buf, (size_t)n,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		while (m == -1 && errno == EINTR);
		if (m == -1 && errno != EAGAIN) {
			relay_fail(c, relay_side(c, d.out, errno));
			return (RELAY_BURST_FAILED);
		}
		if (m == -1)
			m = 0;
		*d.count += (uint64_t)m;
		atomic_fetch_add(d.total, (uint64_t)m);
		*off = (size_t)m;
		*left = (size_t)(n - m);
		return (m < n || n >= RELAY_BULK ? RELAY_BURST_HEAVY :
		    RELAY_BURST_IDLE);
	}
}

/*
 * Both directions on this thread while their bursts are light (see the
 * top of the file). Returns 0 after handing one direction to a pool
 * thread or finding it ended, with the direction this thread is to pump
 * in *keep (1: backward); -1 with the connection over, -2 when no thread
 * could take the other direction (then ended too).
 */
static int
relay_solo(struct conn *c, int *keep)
{
	struct kit_pool	*kits = c->sh->kits;
	struct pollfd	 pfd[2] = { { .fd = c->cfd, .events = POLLIN },
			    { .fd = c->bfd, .events = POLLIN } };
	struct kit	 k;
	enum relay_burst r;
	size_t		 off, left;
	int		 i, bursts = 0;

	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			relay_fail(c, "poll failed");
			return (-1);
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (kit_pool_get(kits, &k) == -1) {
				relay_fail(c, "out of memory");
				return (-1);
			}
			r = relay_burst(c, relay_dir(c, i), &k, &off, &left);
			if (r == RELAY_BURST_IDLE &&
			    ++bursts >= RELAY_SOLO_BURSTS)
				r = RELAY_BURST_HEAVY;	/* left is 0 */
			if (r != RELAY_BURST_HEAVY) {
				kit_pool_put(kits, &k, 0);
				if (r == RELAY_BURST_FAILED)
					return (-1);
				if (r == RELAY_BURST_EOF) {
					*keep = !i;	/* the other one */
					return (0);
				}
				continue;
			}
			/* The other direction gets a thread; this one blocks. */
			atomic_store(&c->refs, 2);
			if (pool_run(c->sh->pool, i ? relay_forward_task :
			    relay_backward_task, c) == -1) {
				atomic_store(&c->refs, 1);
				kit_pool_put(kits, &k, 0);
				relay_fail(c, "no thread");
				return (-2);
			}
			if (net_write_all(relay_dir(c, i).out, k.buf + off,
			    left) == -1) {
				relay_fail(c, relay_side(c,
				    relay_dir(c, i).out, errno));
				kit_pool_put(kits, &k, 0);
				return (-1);
			}
			*relay_dir(c, i).count += left;
			atomic_fetch_add(relay_dir(c, i).total, left);
			kit_pool_put(kits, &k, 0);
			*keep = i;
			return (0);
		}
	}
}

/* Take n bytes of the header budget. Returns 0, or -1 if it is spent. */
static int
relay_hdr_heap_take(size_t n)
{
	size_t	used = atomic_load(&relay_hdr_heap);

	do {
		if (n > RELAY_HDR_HEAP_MAX - used)
			return (-1);
	} while (!atomic_compare_exchange_weak(&relay_hdr_heap, &used,
	    used + n));
	return (0);
}

/* Free a header buffer of cap bytes from relay_read_header. */
static void
relay_hdr_free(char *buf, size_t cap)
{
	free(buf);
	atomic_fetch_sub(&relay_hdr_heap, cap);
}

/*
 * Read until the header is complete into *buf (*cap bytes; replaced by a
 * heap buffer, which the caller frees with relay_hdr_free, when a v2
 * header needs more and RELAY_HDR_HEAP_MAX allows). Returns the header
 * length with *filled saying how much was read (the surplus belongs to
 * the backend), or -1 (-2 for a bad header, -3 when the header budget is
 * spent) with *why set when the connection must be closed.
 */
static ssize_t
relay_read_header(struct conn *c, char **buf, size_t *cap, size_t *filled,
    struct pp_header *hdr, const char **why, int *timed_out)
{
	const struct options *cfg = c->sh->opts;
	struct pollfd	 pfd = { .fd = c->cfd, .events = POLLIN };
	long long	 deadline, left;
	size_t		 want;
	ssize_t		 n;
	char		*first = *buf, *bigger;

	deadline = (long long)monotonic_ms() +
	    cfg->header_timeout_ms;
	*filled = 0;
	for (;;) {
		/* A v2 header may be larger than the first buffer. */
		want = proxy_header_expected_len(*buf, *filled);
		if (*filled == *cap && want > *cap) {
			if (relay_hdr_heap_take(want) == -1) {
				*why = "no memory left for headers being read";
				return (-3);
			}
			if ((bigger = malloc(want)) == NULL) {
				atomic_fetch_sub(&relay_hdr_heap, want);
				*why = "out of memory for the header";
				return (-1);
			}
			memcpy(bigger, *buf, *filled);
			/* Grown once already: that buffer is ours to free. */
			if (*buf != first)
				relay_hdr_free(*buf, *cap);
			*buf = bigger;
			*cap = want;
		}
		/* The header usually came with the handshake: try first. */
		n = recv(c->cfd, *buf + *filled, *cap - *filled, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			left = deadline - (long long)monotonic_ms();
			if (left <= 0 || (n = poll(&pfd, 1, (int)left)) == 0) {
				*why = "no complete PROXY header in time";
				*timed_out = 1;
				return (-1);
			}
			if (n == -1 && errno != EINTR) {
				*why = "poll failed";
				return (-1);
			}
			continue;
		}
		if (n == -1) {
			*why = "read error before the header";
			return (-1);
		}
		if (n == 0) {
			*why = "closed before a complete PROXY header";
			return (-1);
		}
		*filled += (size_t)n;
		n = proxy_header_parse(*buf, *filled, hdr);
		if (n > 0)
			return (n);
		if (n < 0) {
			TCP_STATS_BAD_HEADER(&c->sh->stats,
			    metrics_header_class((int)-n));
			*why = proxy_header_strerror((enum pp_error)-n);
			return (-2);
		}
	}
}

void
tcp_relay_serve(void *arg)
{
	struct conn	*c = arg;
	struct tcp_shared *sh = c->sh;
	const struct options *cfg = sh->opts;
	struct pp_header hdr;
	struct sockaddr_storage src;
	socklen_t	 slen = sizeof(c->local);
	char		 stackbuf[RELAY_HDR_BUF], *buf = stackbuf;
	char		 pbuf[ADDR_STRLEN] = "", cbuf[ADDR_STRLEN] = "";
	char		 tbuf[ADDR_STRLEN] = "";
	size_t		 cap = sizeof(stackbuf), filled;
	const char	*why = NULL, *what;
	ssize_t		 hlen;
	int		 spoof, timed_out = 0, bfd, keep, rc;
	/* At -v 0 nothing per connection is logged: format nothing either. */
	int		 named = log_verbosity() >= LOG_V_ERRORS;
	struct log_fields lf = LOG_FIELDS_INIT;

	lf.lb = pbuf;
	if (named)
		addr_format((struct sockaddr *)&c->peer, pbuf, sizeof(pbuf));

	hlen = relay_read_header(c, &buf, &cap, &filled, &hdr, &why,
	    &timed_out);
	if (hlen < 0) {
		if (hlen == -2)
			atomic_fetch_add(&sh->stats.bad_header, 1);
		else if (hlen == -3)
			atomic_fetch_add(&sh->stats.header_memory, 1);
		else if (timed_out)
			atomic_fetch_add(&sh->stats.header_timeout, 1);
		lf.reason = why;
		TCP_LOG_FAIL(TCP_LOG_HEADER, log_conn_f, &lf, "%s: %s%s", pbuf,
		    hlen == -2 ? "bad PROXY header: " : "", why);
		goto done;
	}

	/* A TCP proxy treats UDP families (0x12, 0x22) like UNSPEC. */
	if (hdr.action == PP_ACTION_PROXY && hdr.transport != SOCK_STREAM)
		hdr.action = PP_ACTION_LOCAL;
	/* Only LOCAL needs to know which of our addresses was reached. */
	if (hdr.action == PP_ACTION_LOCAL && getsockname(c->cfd,
	    (struct sockaddr *)&c->local, &slen) == -1) {
		TCP_LOG_FAIL(TCP_LOG_INTERNAL, log_conn_warn_f, &lf,
		    "%s: getsockname", pbuf);
		goto done;
	}
	if (target_choose(cfg, sh->ep, &hdr, (struct sockaddr *)&c->local,
	    &src, &spoof, &c->target, &why) == -1) {
		atomic_fetch_add(&sh->stats.bad_header, 1);
		TCP_STATS_BAD_HEADER(&sh->stats, METRICS_HDR_UNSUPPORTED);
		lf.reason = why;
		TCP_LOG_FAIL(TCP_LOG_HEADER, log_conn_f, &lf, "%s: %s", pbuf,
		    why);
		goto done;
	}
	if (spoof)
		c->client = src;
	if (named) {
		if (spoof)
			addr_format((struct sockaddr *)&src, cbuf,
			    sizeof(cbuf));
		else
			(void)snprintf(cbuf, sizeof(cbuf), "local");
		addr_format((struct sockaddr *)&c->target, tbuf,
		    sizeof(tbuf));
	}
	lf.client = cbuf;
	lf.target = tbuf;
	if (spoof && cfg->dynamic_destination &&
	    !destallow_allows((struct sockaddr *)&c->target)) {
		atomic_fetch_add(&sh->stats.dest_denied, 1);
		lf.reason = "destination not allowed";
		TCP_LOG_FAIL(TCP_LOG_DEST_DENIED, log_conn_f, &lf,
		    "%s via %s -> %s: destination not in "
		    "-dynamic-destination-allow, closed", cbuf, pbuf, tbuf);
		goto done;
	}
	log_conn_f(LOG_V_STATES, &lf, "%s via %s -> %s: PROXY v%d header, "
	    "connecting", cbuf, pbuf, tbuf, hdr.version);

	bfd = tcp_connect_backend(c, spoof ? (struct sockaddr *)&src : NULL,
	    &lf, &what);
	if (bfd == -1) {
		TCP_STATS_BACKEND_FAIL(&sh->stats, errno);
		TCP_LOG_FAIL(TCP_LOG_BACKEND, log_conn_warn_f, &lf,
		    "%s via %s -> %s: %s", cbuf, pbuf, tbuf, what);
		goto done;
	}
	atomic_fetch_add(&sh->stats.proxied, 1);
	atomic_fetch_add(&sh->stats.active, 1);
	log_conn_f(LOG_V_STATES, &lf, "%s via %s -> %s: connected", cbuf, pbuf,
	    tbuf);

	/* What came with the header goes first, before any splice. */
	if (filled > (size_t)hlen) {
		if (net_write_all(bfd, buf + hlen, filled - (size_t)hlen)
		    == -1) {
			relay_fail(c, relay_side(c, bfd, errno));
			goto done;
		}
		c->bytes_in += filled - (size_t)hlen;
		atomic_fetch_add(&sh->stats.bytes_in, filled - (size_t)hlen);
	}
	if (buf != stackbuf) {
		relay_hdr_free(buf, cap);
		buf = stackbuf;
	}

	if ((rc = relay_solo(c, &keep)) == 0)
		relay_run(c, keep);
	else if (rc == -2)
		TCP_LOG_FAIL(TCP_LOG_INTERNAL, log_conn_warn_f, &lf,
		    "%s via %s -> %s: no thread for the second direction",
		    cbuf, pbuf, tbuf);
done:
	if (buf != stackbuf)
		relay_hdr_free(buf, cap);
	relay_put(c);
}
