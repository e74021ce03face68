/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_flowsock.c -- the flow sockets of a UDP thread. A flow is keyed by
 * its client's address and port (or, for LOCAL, the load balancer's); its
 * socket is bound to the client's address with IP_TRANSPARENT (a LOCAL
 * flow's is a plain one), connected to the backend, and in the thread's
 * epoll set with its table entry as data.ptr. Everything here runs in,
 * and belongs to, that one thread.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "net.h"
#include "udp_flowsock.h"
#include "udp_thread_state.h"

void
udp_flowsock_close(struct udp_thread *u, struct udp_flow *f, const char *why)
{
	union udp_flow_addr	client;
	char			buf[ADDR_STRLEN], tbuf[ADDR_STRLEN];
	struct log_fields lf = LOG_FIELDS_INIT;

	if (log_verbosity() >= LOG_V_STATES) {
		udp_flow_table_key_addr(&f->key, &client);
		lf.client = addr_format(&client.sa, buf, sizeof(buf));
		lf.target = addr_format(&f->target.sa, tbuf, sizeof(tbuf));
		lf.reason = why;
		log_conn_f(LOG_V_STATES, &lf, "udp %d: flow %s%s closed: %s",
		    u->id, f->key.tag == UDP_FLOW_TAG_LOCAL ? "local " : "",
		    lf.client, why);
	}
	/* close() also takes the fd out of the epoll set. */
	if (f->fd != -1 && close(f->fd) == -1)
		log_warn("udp %d: close flow socket", u->id);
	udp_reply_release(u, f);
	udp_flow_table_remove(&u->table, f);
	UDP_STATS_DEC(&u->st, flows);
}

/* Make room for one flow by closing the least recently used. */
static void
udp_flowsock_evict(struct udp_thread *u)
{
	struct udp_flow		*f;
	union udp_flow_addr	 client;
	char			 buf[ADDR_STRLEN];
	struct log_fields lf = LOG_FIELDS_INIT;
	uint64_t	 n;

	if ((f = udp_flow_table_oldest(&u->table)) == NULL)
		return;
	UDP_STATS_INC(&u->st, evicted);
	if ((n = udp_thread_log_due(u, &u->log_evict)) != 0) {
		udp_flow_table_key_addr(&f->key, &client);
		lf.client = addr_format(&client.sa, buf, sizeof(buf));
		lf.reason = "evicted";
		log_conn_f(LOG_V_ERRORS, &lf, "udp %d: flow table full (%d): "
		    "evicted %" PRIu64 " flow(s), last %s", u->id,
		    u->cfg->max_flows, n, lf.client);
	}
	udp_flowsock_close(u, f, "evicted");
}

/* A new flow's socket could not be had: count, and maybe say why. */
static void
udp_flowsock_fail(struct udp_thread *u, const char *what,
    const struct sockaddr *src, const struct sockaddr *dst)
{
	char		sbuf[ADDR_STRLEN], dbuf[ADDR_STRLEN];
	struct log_fields lf = LOG_FIELDS_INIT;
	uint64_t	n;

	UDP_STATS_INC(&u->st, flow_fail);
	if ((n = udp_thread_log_due(u, &u->log_open)) == 0)
		return;
	lf.client = addr_format(src, sbuf, sizeof(sbuf));
	lf.target = addr_format(dst, dbuf, sizeof(dbuf));
	log_conn_warn_f(LOG_V_ERRORS, &lf, "udp %d: new flow: %s %s -> %s (%"
	    PRIu64 " flow(s) not opened since the last line)", u->id, what,
	    lf.client, lf.target, n);
}

struct udp_flow *
udp_flowsock_open(struct udp_thread *u, const struct udp_flow_key *key,
    const struct sockaddr *src, int spoof, const struct sockaddr *dst)
{
	struct epoll_event	 ev;
	struct udp_flow		*f;
	char			 sbuf[ADDR_STRLEN], dbuf[ADDR_STRLEN];
	struct log_fields	 lf = LOG_FIELDS_INIT;
	int			 fd, saved;

	if (spoof)
		fd = net_socket_transparent(src, SOCK_DGRAM, u->cfg->mark);
	else
		fd = net_socket_plain(dst->sa_family, SOCK_DGRAM,
		    u->cfg->mark);
	if (fd == -1) {
		udp_flowsock_fail(u, spoof ? "bind" : "socket", src, dst);
		return (NULL);
	}
	if (connect(fd, dst, addr_len(dst)) == -1) {
		udp_flowsock_fail(u, "connect", src, dst);
		(void)close(fd);
		return (NULL);
	}
	if (udp_flow_table_full(&u->table))
		udp_flowsock_evict(u);
	if ((f = udp_flow_table_insert(&u->table, key, u->now)) == NULL) {
		udp_flowsock_fail(u, "flow table insert", src, dst);
		(void)close(fd);
		return (NULL);
	}
	f->fd = fd;
	memcpy(&f->target, dst, addr_len(dst));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = f;
	if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		saved = errno;
		f->fd = -1;
		(void)close(fd);
		udp_flow_table_remove(&u->table, f);
		errno = saved;
		udp_flowsock_fail(u, "epoll_ctl", src, dst);
		return (NULL);
	}
	UDP_STATS_INC(&u->st, flows);
	UDP_STATS_INC(&u->st, opened);
	if (log_verbosity() >= LOG_V_STATES) {
		lf.client = addr_format(src, sbuf, sizeof(sbuf));
		lf.target = addr_format(dst, dbuf, sizeof(dbuf));
		log_conn_f(LOG_V_STATES, &lf, "udp %d: flow %s%s -> %s opened",
		    u->id, spoof ? "" : "local ", lf.client, lf.target);
	}
	return (f);
}

void
udp_flowsock_forward(struct udp_thread *u, struct udp_flow *f, const void *p,
    size_t len)
{
	ssize_t		n;
	uint64_t	failures;
	int		tries;

	/*
	 * A connected UDP socket reports an earlier ICMP error (the backend
	 * port was closed) on the next send, which then did not go out:
	 * the error is now cleared, so one retry sends it.
	 */
	for (tries = 0; tries < 3; tries++) {
		n = send(f->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0) {
			UDP_STATS_INC(&u->st, forwarded);
			return;
		}
		if (errno != EINTR && errno != ECONNREFUSED)
			break;
	}
	UDP_STATS_INC(&u->st, send_fail);
	if ((failures = udp_thread_log_due(u, &u->log_send)) != 0)
		log_conn_warn(LOG_V_ERRORS, "udp %d: send to backend "
		    "(%" PRIu64 " datagram(s) not sent since the last line)",
		    u->id, failures);
}

int
udp_flowsock_expire(struct udp_thread *u)
{
	struct udp_flow	*f;
	uint64_t	 due;

	if (u->now >= u->close_ms) {
		while ((f = udp_flow_table_expired(&u->table,
		    u->now - u->close_ms)) != NULL) {
			UDP_STATS_INC(&u->st, expired);
			udp_flowsock_close(u, f, "idle");
		}
	}
	if ((f = udp_flow_table_oldest(&u->table)) == NULL)
		return (-1);
	due = f->last + u->close_ms;
	if (due <= u->now)
		return (0);
	if (due - u->now > INT32_MAX)
		return (INT32_MAX);
	return ((int)(due - u->now));
}
