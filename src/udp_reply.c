/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_reply.c -- replies back to the load balancer, and where they leave
 * from.
 *
 * A load balancer reading replies on a connected socket drops any that
 * does not come from the exact address and port it sent to. A listener on
 * one address answers from it anyway. On a wildcard listener the route
 * back would pick the source address, so each reply carries IP_PKTINFO
 * with the address its flow's datagram reached. With -listen-transparent
 * a TPROXY rule may divert datagrams sent to other ports: those replies
 * leave by a socket bound (IP_TRANSPARENT) to the original destination
 * the datagram carried (IP_ORIGDSTADDR). Such a socket is shared by the
 * flows that reached that destination, counted, and closed with the last.
 *
 * A reply socket is never connected, so TPROXY's socket lookup (which
 * takes connected UDP sockets only) keeps diverting to the listener; it
 * is never read. The set belongs to the UDP thread; no lock.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "net.h"
#include "udp_reply.h"
#include "udp_thread_state.h"

void
udp_reply_init(struct udp_reply_set *s)
{
	memset(s, 0, sizeof(*s));
}

void
udp_reply_free(struct udp_reply_set *s)
{
	struct udp_reply_sock	*rs, *next;
	size_t			 i;

	for (i = 0; i < UDP_REPLY_BUCKETS; i++) {
		for (rs = s->buckets[i]; rs != NULL; rs = next) {
			next = rs->next;
			(void)close(rs->fd);
			free(rs);
		}
		s->buckets[i] = NULL;
	}
	s->len = 0;
}

size_t
udp_reply_len(const struct udp_reply_set *s)
{
	return (s->len);
}

int
udp_reply_needs_sock(const union udp_flow_addr *local,
    const union udp_flow_addr *reached)
{
	if (reached->sa.sa_family != local->sa.sa_family)
		return (0);
	return (addr_port(&reached->sa) != addr_port(&local->sa));
}

/*
 * FNV-1a of the address and port. Not keyed: only destinations that the
 * TPROXY rule sends here can be named, and they are the operator's.
 */
static struct udp_reply_sock **
udp_reply_bucket(struct udp_reply_set *s, const union udp_flow_addr *addr)
{
	struct udp_flow_key	key;
	const uint8_t		*p = (const uint8_t *)&key;
	uint32_t		h = 2166136261U;
	size_t			i;

	(void)udp_flow_table_key(&addr->sa, 0, &key);
	for (i = 0; i < sizeof(key); i++)
		h = (h ^ p[i]) * 16777619U;
	return (&s->buckets[h % UDP_REPLY_BUCKETS]);
}

struct udp_reply_sock *
udp_reply_get(struct udp_reply_set *s, const union udp_flow_addr *addr)
{
	struct udp_reply_sock	**b, *rs;

	b = udp_reply_bucket(s, addr);
	for (rs = *b; rs != NULL; rs = rs->next)
		if (addr_equal(&rs->addr.sa, &addr->sa)) {
			rs->refs++;
			return (rs);
		}
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return (NULL);
	/* Replies are not marked: they go where the listener's would. */
	if ((rs->fd = net_socket_transparent(&addr->sa, SOCK_DGRAM, 0)) ==
	    -1) {
		free(rs);
		return (NULL);
	}
	rs->addr = *addr;
	rs->refs = 1;
	rs->next = *b;
	*b = rs;
	s->len++;
	return (rs);
}

int
udp_reply_put(struct udp_reply_set *s, struct udp_reply_sock *rs)
{
	struct udp_reply_sock	**pp;
	int			  rc;

	if (--rs->refs > 0)
		return (0);
	for (pp = udp_reply_bucket(s, &rs->addr); *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == rs) {
			*pp = rs->next;
			break;
		}
	s->len--;
	rc = close(rs->fd);
	free(rs);
	return (rc);
}

void
udp_reply_release(struct udp_thread *u, struct udp_flow *f)
{
	if (f->reply == NULL)
		return;
	if (udp_reply_put(&u->replies, f->reply) == -1)
		log_warn("udp %d: close reply socket", u->id);
	f->reply = NULL;
}

void
udp_reply_follow(struct udp_thread *u, struct udp_flow *f,
    const union udp_flow_addr *reached)
{
	char		buf[ADDR_STRLEN];
	uint64_t	n;

	if (reached == NULL)
		return;
	f->reached = *reached;
	if (!udp_reply_needs_sock(&u->local, reached)) {
		udp_reply_release(u, f);
		return;
	}
	/* The common case: the flow's datagrams keep to one destination. */
	if (f->reply != NULL && addr_equal(&f->reply->addr.sa, &reached->sa))
		return;
	udp_reply_release(u, f);
	if ((f->reply = udp_reply_get(&u->replies, reached)) != NULL)
		return;
	if ((n = udp_thread_log_due(u, &u->log_reply_sock)) != 0)
		log_conn_warn(LOG_V_ERRORS, "udp %d: reply socket on %s, "
		    "replying from the listener's port instead (%" PRIu64
		    " time(s) since the last line)", u->id,
		    addr_format(&reached->sa, buf, sizeof(buf)), n);
}

int
udp_reply_read(struct udp_thread *u, struct udp_flow *f, int want)
{
	struct udp_batch		*b = &u->out;
	const union udp_flow_addr	*src = NULL;
	int				 n, fd = u->listen_fd;

	udp_batch_reset(b, b->used, 0);
	do
		n = recvmmsg(f->fd, b->msgs + b->used, (unsigned int)want,
		    MSG_DONTWAIT, NULL);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return (n);
	if (f->reply != NULL)
		fd = f->reply->fd;	/* bound to the very address and port */
	else if (u->learn != UDP_LEARN_NONE)
		src = &f->reached;	/* AF_UNSPEC until a datagram says */
	udp_batch_address(b, b->used, n, fd, &f->sender, src);
	b->used += n;
	return (n);
}

void
udp_reply_flush(struct udp_thread *u)
{
	struct udp_batch	*b = &u->out;
	uint64_t		 n;
	int			 off = 0, r;

	while (off < b->used) {
		if ((r = udp_batch_send(b, off)) == -1) {
			UDP_STATS_INC(&u->st, send_fail);
			if ((n = udp_thread_log_due(u, &u->log_reply)) != 0)
				log_conn_warn(LOG_V_ERRORS, "udp %d: reply "
				    "to load balancer (%" PRIu64 " reply "
				    "failure(s) since the last line)", u->id,
				    n);
			off++;
			continue;
		}
		UDP_STATS_ADD(&u->st, replies, (uint_fast64_t)r);
		off += r;
	}
	b->used = 0;
}
