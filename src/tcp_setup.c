/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_setup.c -- a proxied TCP connection's way from accept to relay:
 * read the PROXY header under a deadline, choose the target, check a
 * dynamic destination, connect to the backend from the client's address
 * (tcp_connect.c), and hand over to the relay engine (tcp_relay.c) with
 * what came with the header.
 *
 * Runs on the pool thread that the acceptor gave the connection to,
 * which holds the connection's only reference throughout.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "destallow.h"
#include "log.h"
#include "metrics_class.h"
#include "monotonic.h"
#include "options.h"
#include "proxy_header.h"
#include "target.h"
#include "tcp_connect.h"
#include "tcp_log.h"
#include "tcp_relay.h"
#include "tcp_setup.h"
#include "tcp_shared.h"

/*
 * Any v1 line and the usual v2 header, on the stack: a larger v2 header
 * moves to the heap. Kept small because a stack page touched once stays
 * in the thread's RSS while the connection lives, and a worker that never
 * calls malloc() never gets a per-thread malloc cache either.
 */
#define SETUP_HDR_BUF		256
/*
 * What the larger headers still being read may hold on the heap, all
 * connections together (about 4 MiB): each may announce up to 64 KiB and
 * send it slowly, and -max-conns of them would pin max_conns * 64 KiB.
 */
#define SETUP_HDR_HEAP_MAX	(64 * PP_V2_MAX_LEN)

/* Bytes of SETUP_HDR_HEAP_MAX that header buffers hold now. */
static atomic_size_t	setup_hdr_heap;

/* Take n bytes of the header budget. Returns 0, or -1 if it is spent. */
static int
setup_hdr_heap_take(size_t n)
{
	size_t	used = atomic_load(&setup_hdr_heap);

	do {
		if (n > SETUP_HDR_HEAP_MAX - used)
			return (-1);
	} while (!atomic_compare_exchange_weak(&setup_hdr_heap, &used,
	    used + n));
	return (0);
}

/* Free a header buffer of cap bytes from setup_read_header. */
static void
setup_hdr_free(char *buf, size_t cap)
{
	free(buf);
	atomic_fetch_sub(&setup_hdr_heap, cap);
}

/*
 * Read until the header is complete into *buf (*cap bytes; replaced by a
 * heap buffer, which the caller frees with setup_hdr_free, when a v2
 * header needs more and SETUP_HDR_HEAP_MAX allows). Returns the header
 * length with *filled saying how much was read (the surplus belongs to
 * the backend), or -1 (-2 for a bad header, -3 when the header budget is
 * spent) with *why set when the connection must be closed.
 */
static ssize_t
setup_read_header(struct conn *c, char **buf, size_t *cap, size_t *filled,
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
			if (setup_hdr_heap_take(want) == -1) {
				*why = "no memory left for headers being read";
				return (-3);
			}
			if ((bigger = malloc(want)) == NULL) {
				atomic_fetch_sub(&setup_hdr_heap, want);
				*why = "out of memory for the header";
				return (-1);
			}
			memcpy(bigger, *buf, *filled);
			/* Grown once already: that buffer is ours to free. */
			if (*buf != first)
				setup_hdr_free(*buf, *cap);
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
tcp_setup_serve(void *arg)
{
	struct conn	*c = arg;
	struct tcp_shared *sh = c->sh;
	const struct options *cfg = sh->opts;
	struct pp_header hdr;
	struct sockaddr_storage src;
	socklen_t	 slen = sizeof(c->local);
	char		 stackbuf[SETUP_HDR_BUF], *buf = stackbuf;
	char		 pbuf[ADDR_STRLEN] = "", cbuf[ADDR_STRLEN] = "";
	char		 tbuf[ADDR_STRLEN] = "";
	size_t		 cap = sizeof(stackbuf), filled;
	const char	*why = NULL, *what;
	ssize_t		 hlen;
	int		 spoof, timed_out = 0, bfd, rc;
	/* At -v 0 nothing per connection is logged: format nothing either. */
	int		 named = log_verbosity() >= LOG_V_ERRORS;
	struct log_fields lf = LOG_FIELDS_INIT;

	lf.lb = pbuf;
	if (named)
		addr_format((struct sockaddr *)&c->peer, pbuf, sizeof(pbuf));

	hlen = setup_read_header(c, &buf, &cap, &filled, &hdr, &why,
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
	log_conn_f(LOG_V_STATES, &lf, "%s via %s -> %s: connected", cbuf, pbuf,
	    tbuf);

	/* What came with the header goes first, before any splice. */
	rc = tcp_relay_connected(c, buf + hlen, filled - (size_t)hlen);
	if (buf != stackbuf) {
		setup_hdr_free(buf, cap);
		buf = stackbuf;
	}
	if (rc == 0) {
		tcp_relay_run(c);
		return;
	}
done:
	if (buf != stackbuf)
		setup_hdr_free(buf, cap);
	tcp_relay_put(c);
}
