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
 * which holds the connection's only reference throughout. Every way a
 * connection fails here is counted and logged where it is found.
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
#include "failure_class.h"
#include "log.h"
#include "monotonic.h"
#include "options.h"
#include "proxy_header.h"
#include "target.h"
#include "tcp_connect.h"
#include "tcp_conns.h"
#include "tcp_log.h"
#include "tcp_relay.h"
#include "tcp_setup.h"

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

/* The header as read so far: on the stack, or on the heap once larger. */
struct setup_hdr {
	char	*buf;		/* stack, or a heap buffer of cap bytes */
	size_t	 cap, filled;
	char	 stack[SETUP_HDR_BUF];
};

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

/* Give back h's heap buffer, if any, and its budget: h is empty again. */
static void
setup_hdr_reset(struct setup_hdr *h)
{
	if (h->buf != h->stack) {
		free(h->buf);
		atomic_fetch_sub(&setup_hdr_heap, h->cap);
	}
	h->buf = h->stack;
	h->cap = sizeof(h->stack);
	h->filled = 0;
}

/*
 * Log a connection that brought no usable header (counted already):
 * why, and whether what came was a bad header. Returns -1.
 */
static int
setup_no_header(const struct log_fields *lf, const char *why, int bad)
{
	struct log_fields	f = *lf;

	f.reason = why;
	TCP_LOG_FAIL(TCP_LOG_HEADER, log_conn_f, &f, "%s: %s%s", f.lb,
	    bad ? "bad PROXY header: " : "", why);
	return (-1);
}

/*
 * Make room in h for a v2 header of want bytes. Returns 0, or -1 with
 * the failure counted and logged.
 */
static int
setup_hdr_grow(struct tcp_conns *cs, struct setup_hdr *h, size_t want,
    const struct log_fields *lf)
{
	char	*bigger;
	size_t	 filled = h->filled;

	if (setup_hdr_heap_take(want) == -1) {
		TCP_STATS_INC(&cs->stats, header_memory);
		return (setup_no_header(lf, "no memory left for headers "
		    "being read", 0));
	}
	if ((bigger = malloc(want)) == NULL) {
		atomic_fetch_sub(&setup_hdr_heap, want);
		return (setup_no_header(lf, "out of memory for the header",
		    0));
	}
	memcpy(bigger, h->buf, filled);
	setup_hdr_reset(h);
	h->buf = bigger;
	h->cap = want;
	h->filled = filled;
	return (0);
}

/*
 * Read c's header into h, under -header-timeout. Returns its length,
 * h->filled saying how much was read (the surplus belongs to the
 * backend); or -1 when the connection must be closed, with the failure
 * counted and logged (lf names the load balancer).
 */
static ssize_t
setup_read_header(struct conn *c, struct setup_hdr *h, struct pp_header *hdr,
    const struct log_fields *lf)
{
	struct tcp_conns *cs = c->cs;
	struct pollfd	 pfd = { .fd = c->cfd, .events = POLLIN };
	long long	 deadline, left;
	size_t		 want;
	ssize_t		 n;

	deadline = (long long)monotonic_ms() + cs->opts->header_timeout_ms;
	for (;;) {
		/* A v2 header may be larger than the first buffer. */
		want = proxy_header_expected_len(h->buf, h->filled);
		if (h->filled == h->cap && want > h->cap &&
		    setup_hdr_grow(cs, h, want, lf) == -1)
			return (-1);
		/* The header usually came with the handshake: try first. */
		n = recv(c->cfd, h->buf + h->filled, h->cap - h->filled,
		    MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			left = deadline - (long long)monotonic_ms();
			if (left <= 0 || (n = poll(&pfd, 1, (int)left)) == 0) {
				TCP_STATS_INC(&cs->stats, header_timeout);
				return (setup_no_header(lf, "no complete PROXY "
				    "header in time", 0));
			}
			if (n == -1 && errno != EINTR)
				return (setup_no_header(lf, "poll failed", 0));
			continue;
		}
		if (n == -1)
			return (setup_no_header(lf, "read error before the "
			    "header", 0));
		if (n == 0)
			return (setup_no_header(lf, "closed before a complete "
			    "PROXY header", 0));
		h->filled += (size_t)n;
		n = proxy_header_parse(h->buf, h->filled, hdr);
		if (n > 0)
			return (n);
		if (n < 0) {
			TCP_STATS_BAD_HEADER(&cs->stats,
			    failure_class_of_header((int)-n));
			return (setup_no_header(lf,
			    proxy_header_strerror((enum pp_error)-n), 1));
		}
	}
}

/*
 * From the header in h to a connected backend, and what came with the
 * header sent on. Returns 0 with c ready for tcp_relay_run, or -1 with
 * the connection to be closed, its failure counted and logged.
 */
static int
setup_conn(struct conn *c, struct setup_hdr *h)
{
	struct tcp_conns *cs = c->cs;
	const struct options *cfg = cs->opts;
	struct pp_header hdr;
	struct sockaddr_storage src;
	socklen_t	 slen = sizeof(c->local);
	char		 pbuf[ADDR_STRLEN] = "", cbuf[ADDR_STRLEN] = "";
	char		 tbuf[ADDR_STRLEN] = "";
	const char	*why = NULL, *what;
	ssize_t		 hlen;
	int		 spoof;
	/* At -v 0 nothing per connection is logged: format nothing either. */
	int		 named = log_verbosity() >= LOG_V_ERRORS;
	struct log_fields lf = LOG_FIELDS_INIT;

	lf.lb = pbuf;
	if (named)
		addr_format((struct sockaddr *)&c->peer, pbuf, sizeof(pbuf));
	if ((hlen = setup_read_header(c, h, &hdr, &lf)) == -1)
		return (-1);

	/* A TCP proxy treats UDP families (0x12, 0x22) like UNSPEC. */
	if (hdr.action == PP_ACTION_PROXY && hdr.transport != SOCK_STREAM)
		hdr.action = PP_ACTION_LOCAL;
	/* Only LOCAL needs to know which of our addresses was reached. */
	if (hdr.action == PP_ACTION_LOCAL && getsockname(c->cfd,
	    (struct sockaddr *)&c->local, &slen) == -1) {
		TCP_LOG_FAIL(TCP_LOG_INTERNAL, log_conn_warn_f, &lf,
		    "%s: getsockname", pbuf);
		return (-1);
	}
	if (target_choose(cfg, cs->ep, &hdr, (struct sockaddr *)&c->local,
	    &src, &spoof, &c->target, &why) == -1) {
		TCP_STATS_BAD_HEADER(&cs->stats, FAILURE_HDR_UNSUPPORTED);
		return (setup_no_header(&lf, why, 0));
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
		atomic_fetch_add(&cs->stats.dest_denied, 1);
		lf.reason = "destination not allowed";
		TCP_LOG_FAIL(TCP_LOG_DEST_DENIED, log_conn_f, &lf,
		    "%s via %s -> %s: destination not in "
		    "-dynamic-destination-allow, closed", cbuf, pbuf, tbuf);
		return (-1);
	}
	log_conn_f(LOG_V_STATES, &lf, "%s via %s -> %s: PROXY v%d header, "
	    "connecting", cbuf, pbuf, tbuf, hdr.version);

	if (tcp_connect_backend(c, spoof ? (struct sockaddr *)&src : NULL,
	    &lf, &what) == -1) {
		TCP_STATS_BACKEND_FAIL(&cs->stats, errno);
		TCP_LOG_FAIL(TCP_LOG_BACKEND, log_conn_warn_f, &lf,
		    "%s via %s -> %s: %s", cbuf, pbuf, tbuf, what);
		return (-1);
	}
	atomic_fetch_add(&cs->stats.proxied, 1);
	log_conn_f(LOG_V_STATES, &lf, "%s via %s -> %s: connected", cbuf, pbuf,
	    tbuf);
	/* What came with the header goes first, before any splice. */
	return (tcp_relay_connected(c, h->buf + hlen,
	    h->filled - (size_t)hlen));
}

void
tcp_setup_serve(void *arg)
{
	struct conn		*c = arg;
	struct setup_hdr	 h;
	int			 rc;

	h.buf = h.stack;
	h.cap = sizeof(h.stack);
	h.filled = 0;
	rc = setup_conn(c, &h);
	/* The header's memory goes back before the relay, which may last. */
	setup_hdr_reset(&h);
	if (rc == 0)
		tcp_relay_run(c);
	else
		tcp_relay_put(c);
}
