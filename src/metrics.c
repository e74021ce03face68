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
 * hold a slot for METRICS_IO_MS from accept to close at most, and when
 * every slot is taken the oldest client is dropped for the new one, so
 * idle or slow clients cannot keep Prometheus out. Each answer closes
 * the connection; Prometheus reconnects per scrape, which at one scrape
 * a second costs nothing worth keeping connections alive for.
 *
 * The thread owns the client slots; the rest of struct metrics is set
 * before it starts and read-only after.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "http_min.h"
#include "log.h"
#include "metrics.h"
#include "monotonic.h"
#include "net.h"
#include "options.h"

#define METRICS_CLIENTS		8
#define METRICS_IO_MS		2000	/* accept to close, per client */
#define METRICS_BACKOFF_MS	100	/* after EMFILE and the like */
#define METRICS_HEAD_MAX	256

enum metrics_state {
	METRICS_READ,		/* the request head */
	METRICS_WRITE,		/* the response */
	METRICS_DRAIN		/* sent: wait for the client's FIN */
};

struct metrics_client {
	int			 fd;		/* -1: a free slot */
	enum metrics_state	 state;
	uint64_t		 since;		/* accepted, monotonic ms */
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
	struct metrics_sources	 src;
	double			 start_time;
	uint64_t		 backoff_until;
	struct metrics_client	 clients[METRICS_CLIENTS];
} metrics = { .fd = -1, .evfd = -1 };

void
metrics_open(const struct options *opts)
{
	const struct sockaddr	*sa = (const struct sockaddr *)&opts->metrics;
	struct timespec		 ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		fatal("clock_gettime");
	metrics.start_time = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	if (sa->sa_family == AF_UNSPEC)
		return;
	addr_format(sa, metrics.name, sizeof(metrics.name));
	if ((metrics.fd = net_listen(sa, SOCK_STREAM, opts->dual_stack ?
	    NET_LISTEN_DUAL_STACK : 0)) == -1)
		fatal("-metrics: listen on %s", metrics.name);
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
	if (status == 400)
		log_conn(LOG_V_ERRORS, "metrics: malformed request, answered "
		    "400");
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

/* A free slot, or the oldest client's, which is dropped for it. */
static struct metrics_client *
metrics_slot(void)
{
	struct metrics_client	*c, *oldest = NULL;
	size_t			 i;

	for (i = 0; i < METRICS_CLIENTS; i++) {
		c = &metrics.clients[i];
		if (c->fd == -1)
			return (c);
		if (oldest == NULL || c->since < oldest->since)
			oldest = c;
	}
	log_conn(LOG_V_ERRORS, "metrics: all %d slots taken, dropping the "
	    "oldest client", METRICS_CLIENTS);
	metrics_client_close(oldest);
	return (oldest);
}

static void
metrics_accept(uint64_t now)
{
	struct metrics_client	*c;
	int			 fd;

	fd = accept4(metrics.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		switch (errno) {
		case EAGAIN:
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			return;
		}
		log_warn("metrics: accept, backing off");
		metrics.backoff_until = now + METRICS_BACKOFF_MS;
		return;
	}
	c = metrics_slot();
	c->fd = fd;
	c->state = METRICS_READ;
	c->since = now;
	c->inlen = 0;
}

static void *
metrics_thread(void *arg)
{
	struct pollfd		 pfd[2 + METRICS_CLIENTS];
	struct metrics_client	*c;
	uint64_t		 now, due;
	size_t			 i;
	int			 n, timeout;

	(void)arg;
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
				log_conn(LOG_V_ERRORS, "metrics: client too "
				    "slow, closed");
				metrics_client_close(c);
				pfd[2 + i].fd = -1;
				continue;
			}
			if (timeout == -1 || (int)(due - now) < timeout)
				timeout = (int)(due - now);
		}
		n = poll(pfd, 2 + METRICS_CLIENTS, timeout);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
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
