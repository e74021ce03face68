/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * metrics.c -- the -metrics server: one thread, one poll() loop, a few
 * non-blocking client slots.
 *
 * Scrapes are rendered one at a time, by this thread, from atomics the
 * relays bump anyway: serving costs the data path nothing. A client may
 * hold a slot for METRICS_IO_MS from accept to close at most. When every
 * slot is taken, a newcomer takes the slot of the client that has made
 * the least of it (metrics_victim): one whose answer is all sent, then
 * one that has sent nothing, then one still sending its request, and a
 * client receiving its answer last. The kernel hands a connection over
 * once its first bytes are in (TCP_DEFER_ACCEPT), and it is read, and
 * answered, as soon as it is accepted: a scraper is past the first two
 * stages before anyone else is let in, and a flood of connections that
 * send nothing or dribble can only displace each other. Each answer
 * closes the connection; Prometheus reconnects per scrape, which at one
 * scrape a second costs nothing worth keeping connections alive for.
 *
 * The thread owns the client slots; the rest of struct metrics is set
 * before it starts and read-only after. It runs without capabilities.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "handover.h"
#include "http_min.h"
#include "log.h"
#include "metrics.h"
#include "monotonic.h"
#include "net.h"
#include "options.h"
#include "privdrop.h"
#include "ratelog.h"

#define METRICS_CLIENTS		8
#define METRICS_IO_MS		2000	/* accept to close, per client */
#define METRICS_BACKOFF_MS	100	/* after EMFILE and the like */
#define METRICS_ACCEPT_BATCH	64	/* connections taken per wake-up */
#define METRICS_HEAD_MAX	256
#define METRICS_LOG_MS		1000	/* between lines of one kind at -v 1 */

enum metrics_state {
	METRICS_READ,		/* the request head */
	METRICS_WRITE,		/* the response */
	METRICS_DRAIN		/* sent: wait for the client's FIN */
};

struct metrics_client {
	int			 fd;		/* -1: a free slot */
	enum metrics_state	 state;
	uint64_t		 since;		/* accepted, monotonic ms */
	uint64_t		 moved;		/* last byte in or out, ms */
	size_t			 inlen;
	char			 in[HTTP_MIN_HEAD_MAX];
	char			*out;
	size_t			 outlen, outoff;
};

static struct metrics {
	int			 fd;		/* listening, -1 when off */
	int			 evfd;		/* metrics_stop() wakes us */
	pthread_t		 thread;
	int			 started;
	char			 name[ADDR_STRLEN];
	struct sockaddr_storage	 addr;
	struct metrics_sources	 src;
	double			 start_time;
	uint64_t		 backoff_until;
	struct metrics_client	 clients[METRICS_CLIENTS];
	struct ratelog		 log_bad, log_dropped, log_slow;
} metrics = { .fd = -1, .evfd = -1 };

/*
 * Count one event of rl's kind; the number of events a line now due
 * stands for (at -v 1 one line per METRICS_LOG_MS, at -v 2 each), or 0:
 * a flood costs a few lines.
 */
static uint64_t
metrics_log_due(struct ratelog *rl)
{
	if (log_verbosity() < LOG_V_ERRORS)
		return (0);
	return (ratelog_due(rl, log_verbosity() >= LOG_V_STATES ? 0 :
	    METRICS_LOG_MS));
}

void
metrics_open(const struct options *opts, int inherited)
{
	const struct sockaddr	*sa = (const struct sockaddr *)&opts->metrics;
	struct timespec		 ts;
	int			 fl;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		fatal("clock_gettime");
	metrics.start_time = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	if (sa->sa_family == AF_UNSPEC)
		return;
	addr_format(sa, metrics.name, sizeof(metrics.name));
	metrics.addr = opts->metrics;
	if (inherited != -1)
		metrics.fd = inherited;
	else if ((metrics.fd = net_listen(sa, SOCK_STREAM, NET_SHARE_NONE,
	    opts->dual_stack ? NET_LISTEN_DUAL_STACK : 0)) == -1)
		fatal("-metrics: listen on %s", metrics.name);
	/*
	 * metrics_accept() takes connections until EAGAIN; during a hot
	 * upgrade two processes poll one socket, and the one that loses the
	 * race must not block either.
	 */
	if ((fl = fcntl(metrics.fd, F_GETFL)) == -1 ||
	    fcntl(metrics.fd, F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("-metrics: O_NONBLOCK");
	/*
	 * The kernel holds a connection until its first bytes come: a
	 * scraper's request is there when it is accepted, and connections
	 * that send nothing wait outside the slots.
	 */
	if (setsockopt(metrics.fd, IPPROTO_TCP, TCP_DEFER_ACCEPT,
	    &(int){ METRICS_IO_MS / 1000 }, sizeof(int)) == -1)
		log_warn("-metrics: TCP_DEFER_ACCEPT");
	if ((metrics.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("-metrics: eventfd");
	log_info("metrics on http://%s/metrics", metrics.name);
}

static void
metrics_client_close(struct metrics_client *c)
{
	(void)close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* The response to the request in c->in, whole, into c->out. */
static void
metrics_respond(struct metrics_client *c, int parsed,
    const struct http_min_req *req)
{
	struct metrics_buf	 body = { NULL, 0, 0, 0 };
	const char		*ctype = "text/plain; charset=utf-8";
	char			 head[METRICS_HEAD_MAX];
	int			 status, hlen;
	uint64_t		 n;

	if (parsed < 0) {
		status = 400;
		metrics_buf_printf(&body, "bad request\n");
	} else if (req->path_len != 8 ||
	    memcmp(req->path, "/metrics", 8) != 0) {
		status = 404;
		metrics_buf_printf(&body, "not found: try /metrics\n");
	} else if (req->method == HTTP_MIN_OTHER) {
		status = 405;
		metrics_buf_printf(&body, "only GET and HEAD\n");
	} else {
		status = 200;
		ctype = METRICS_TEXT_CTYPE;
		metrics_render(&metrics.src, &body);
	}
	if (body.failed ||
	    (hlen = http_min_head(head, sizeof(head), status, ctype,
	    body.len)) == -1) {
		log_warnx("metrics: out of memory for a response");
		metrics_buf_free(&body);
		metrics_client_close(c);
		return;
	}
	if (parsed >= 0 && req->method == HTTP_MIN_HEAD)
		body.len = 0;
	if ((c->out = malloc((size_t)hlen + body.len)) == NULL) {
		log_warnx("metrics: out of memory for a response");
		metrics_buf_free(&body);
		metrics_client_close(c);
		return;
	}
	memcpy(c->out, head, (size_t)hlen);
	if (body.len != 0)
		memcpy(c->out + hlen, body.p, body.len);
	c->outlen = (size_t)hlen + body.len;
	c->outoff = 0;
	c->state = METRICS_WRITE;
	metrics_buf_free(&body);
	if (status == 400 && (n = metrics_log_due(&metrics.log_bad)) != 0)
		log_conn(LOG_V_ERRORS, "metrics: %" PRIu64 " malformed "
		    "request(s), answered 400", n);
}

static void
metrics_client_read(struct metrics_client *c)
{
	struct http_min_req	req;
	ssize_t			n;
	int			parsed;

	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		metrics_client_close(c);
		return;
	}
	c->inlen += (size_t)n;
	c->moved = monotonic_ms();
	if ((parsed = http_min_parse(c->in, c->inlen, &req)) == 0)
		return;
	metrics_respond(c, parsed, &req);
}

static void
metrics_client_write(struct metrics_client *c)
{
	ssize_t	n;

	n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
	    MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		metrics_client_close(c);
		return;
	}
	c->outoff += (size_t)n;
	c->moved = monotonic_ms();
	if (c->outoff < c->outlen)
		return;
	/*
	 * Closing now could reset the connection over unread request
	 * bytes and lose the answer: send our FIN, wait for theirs.
	 */
	(void)shutdown(c->fd, SHUT_WR);
	c->state = METRICS_DRAIN;
}

static void
metrics_client_drain(struct metrics_client *c)
{
	char	buf[512];
	ssize_t	n;

	n = recv(c->fd, buf, sizeof(buf), 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		metrics_client_close(c);
}

/*
 * How little a client stands to lose if dropped now, lowest first: its
 * answer is all sent (the kernel delivers the rest after close), it has
 * sent nothing, its request is on its way, its answer is.
 */
static int
metrics_rank(const struct metrics_client *c)
{
	if (c->state == METRICS_DRAIN)
		return (0);
	if (c->state == METRICS_READ)
		return (c->inlen == 0 ? 1 : 2);
	return (3);
}

/*
 * The client to drop for a newcomer: the lowest rank, and within it the
 * one that moved a byte least recently.
 */
static struct metrics_client *
metrics_victim(void)
{
	struct metrics_client	*c, *v = &metrics.clients[0];
	size_t			 i;
	int			 r, rv = metrics_rank(v);

	for (i = 1; i < METRICS_CLIENTS; i++) {
		c = &metrics.clients[i];
		r = metrics_rank(c);
		if (r < rv || (r == rv && c->moved < v->moved)) {
			v = c;
			rv = r;
		}
	}
	return (v);
}

/* A free slot, or the slot of the client dropped for the newcomer. */
static struct metrics_client *
metrics_slot(void)
{
	struct metrics_client	*c;
	size_t			 i;
	uint64_t		 n;

	for (i = 0; i < METRICS_CLIENTS; i++) {
		c = &metrics.clients[i];
		if (c->fd == -1)
			return (c);
	}
	c = metrics_victim();
	if ((n = metrics_log_due(&metrics.log_dropped)) != 0)
		log_conn(LOG_V_ERRORS, "metrics: all %d slots taken: dropped "
		    "%" PRIu64 " client(s) for newcomers, the last one %s",
		    METRICS_CLIENTS, n, c->state == METRICS_DRAIN ?
		    "after its answer" : c->state == METRICS_WRITE ?
		    "while receiving its answer" : c->inlen == 0 ?
		    "that had sent nothing" : "while sending its request");
	metrics_client_close(c);
	return (c);
}

/*
 * Take what is pending, up to METRICS_ACCEPT_BATCH: one at a time, a
 * flood would fill the kernel's queue and leave a scraper waiting there.
 */
static void
metrics_accept(uint64_t now)
{
	struct metrics_client	*c;
	int			 fd, i;

	for (i = 0; i < METRICS_ACCEPT_BATCH; i++) {
		fd = accept4(metrics.fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			switch (errno) {
			case EAGAIN:
				return;
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				continue;
			}
			log_warn("metrics: accept, backing off");
			metrics.backoff_until = now + METRICS_BACKOFF_MS;
			return;
		}
		c = metrics_slot();
		c->fd = fd;
		c->state = METRICS_READ;
		c->since = c->moved = now;
		c->inlen = 0;
		/* At once: a request that came with its connection. */
		metrics_client_read(c);
		if (c->fd != -1 && c->state == METRICS_WRITE)
			metrics_client_write(c);
	}
}

static void *
metrics_thread(void *arg)
{
	struct pollfd		 pfd[2 + METRICS_CLIENTS];
	struct metrics_client	*c;
	uint64_t		 now, due, n;
	size_t			 i;
	int			 ready, timeout;

	(void)arg;
	/* Named for top -H and the tests; a name is only a convenience. */
	if (prctl(PR_SET_NAME, "metrics", 0, 0, 0) == -1)
		log_warn("metrics: thread name");
	/*
	 * This thread parses what any client sends: it keeps none of the
	 * capabilities (CAP_NET_ADMIN) that the relays need.
	 */
	if (privdrop_thread_none() == -1)
		fatal("metrics: dropping capabilities");
	for (;;) {
		now = monotonic_ms();
		timeout = -1;
		pfd[0].fd = metrics.evfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = metrics.fd;
		pfd[1].events = POLLIN;
		if (now < metrics.backoff_until) {
			pfd[1].fd = -1;
			timeout = (int)(metrics.backoff_until - now);
		}
		for (i = 0; i < METRICS_CLIENTS; i++) {
			c = &metrics.clients[i];
			pfd[2 + i].fd = c->fd;
			pfd[2 + i].events = c->state == METRICS_WRITE ?
			    POLLOUT : POLLIN;
			if (c->fd == -1)
				continue;
			due = c->since + METRICS_IO_MS;
			if (due <= now) {
				if ((n = metrics_log_due(&metrics.log_slow))
				    != 0)
					log_conn(LOG_V_ERRORS, "metrics: %"
					    PRIu64 " client(s) too slow, "
					    "closed", n);
				metrics_client_close(c);
				pfd[2 + i].fd = -1;
				continue;
			}
			if (timeout == -1 || (int)(due - now) < timeout)
				timeout = (int)(due - now);
		}
		ready = poll(pfd, 2 + METRICS_CLIENTS, timeout);
		if (ready == -1 && errno == EINTR)
			continue;
		if (ready == -1)
			fatal("metrics: poll");
		if (pfd[0].revents != 0)
			break;
		for (i = 0; i < METRICS_CLIENTS; i++) {
			c = &metrics.clients[i];
			if (pfd[2 + i].fd == -1 || pfd[2 + i].revents == 0 ||
			    c->fd != pfd[2 + i].fd)
				continue;
			if (c->state == METRICS_READ)
				metrics_client_read(c);
			else if (c->state == METRICS_WRITE)
				metrics_client_write(c);
			else
				metrics_client_drain(c);
		}
		/* After the clients: a dropped slot is not served stale. */
		if (pfd[1].fd != -1 && pfd[1].revents != 0)
			metrics_accept(monotonic_ms());
	}
	return (NULL);
}

void
metrics_start(const struct metrics_sources *src)
{
	size_t	i;
	int	rc;

	if (metrics.fd == -1)
		return;
	metrics.src = *src;
	metrics.src.start_time = metrics.start_time;
	for (i = 0; i < METRICS_CLIENTS; i++)
		metrics.clients[i].fd = -1;
	if ((rc = pthread_create(&metrics.thread, NULL, metrics_thread,
	    NULL)) != 0)
		fatalx("metrics: pthread_create: %s", strerror(rc));
	metrics.started = 1;
}

int
metrics_handover_sock(struct handover_sock *s)
{
	memset(s, 0, sizeof(*s));
	if ((s->fd = metrics.fd) == -1)
		return (0);
	s->type = SOCK_STREAM;
	s->addr = metrics.addr;
	return (1);
}

void
metrics_stop(void)
{
	uint64_t	one = 1;
	size_t		i;

	if (metrics.fd == -1)
		return;
	if (metrics.started) {
		if (write(metrics.evfd, &one, sizeof(one)) == -1)
			log_warn("metrics: eventfd");
		pthread_join(metrics.thread, NULL);
		metrics.started = 0;
		for (i = 0; i < METRICS_CLIENTS; i++)
			if (metrics.clients[i].fd != -1)
				metrics_client_close(&metrics.clients[i]);
	}
	(void)close(metrics.fd);
	(void)close(metrics.evfd);
	metrics.fd = metrics.evfd = -1;
}
