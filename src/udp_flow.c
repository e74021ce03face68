/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_flow.c -- the UDP thread: datagrams in, replies out, expiry.
 *
 * One thread per listening socket owns everything it touches: the
 * listener, its flow table, every flow socket, its epoll and its buffers.
 * No lock is taken. Other threads reach it only through the eventfd that
 * udp_flow_stop() writes and through the counters, which are atomics
 * written here and read by anyone.
 *
 * Each datagram from the load balancer carries a PROXY v2 header (PROXY,
 * DGRAM, INET or INET6). The client's address and port from the header
 * key a flow: a socket bound to that address with IP_TRANSPARENT,
 * connected to the backend, whose epoll data.ptr is its table entry.
 * Backend replies leave through the listener, without a header, to the
 * load balancer address that last sent for the flow (on a wildcard
 * listener, from the address that sender reached). A v2 LOCAL datagram
 * (a health check) gets a flow too, keyed by the load balancer's own
 * address under a separate tag, on a plain socket: so its replies find
 * their way back like any other.
 *
 * The thread sleeps in epoll_wait until the oldest flow is due to expire,
 * so an idle flow closes within milliseconds of -close-after.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/filter.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "allowlist.h"
#include "flow_table.h"
#include "log.h"
#include "monotonic.h"
#include "net.h"
#include "proxy_header.h"
#include "ratelog.h"
#include "target.h"
#include "udp_flow.h"

/*
 * Datagrams per recvmmsg/sendmmsg. Each gets a 64 KiB buffer so that no
 * datagram is ever cut; pages that small datagrams never reach are never
 * touched, so the resident cost stays small.
 */
#define UDP_FLOW_BATCH		16
#define UDP_FLOW_BUFSZ		65536
/* Batches per wakeup on one socket before the others get a turn. */
#define UDP_FLOW_ROUNDS		8
#define UDP_FLOW_EVENTS		64
/* At most one line per second for each kind of repeated trouble. */
#define UDP_FLOW_LOG_MS		1000

/* Flow key tags: a client flow, or the load balancer's own (LOCAL). */
#define UDP_FLOW_TAG_CLIENT	0
#define UDP_FLOW_TAG_LOCAL	1

struct udp_flow_counters {
	atomic_uint_fast64_t	datagrams;
	atomic_uint_fast64_t	forwarded;
	atomic_uint_fast64_t	replies;
	atomic_uint_fast64_t	bad_header;
	atomic_uint_fast64_t	denied;
	atomic_uint_fast64_t	send_fail;
	atomic_uint_fast64_t	flow_fail;
	atomic_uint_fast64_t	flows;
	atomic_uint_fast64_t	opened;
	atomic_uint_fast64_t	expired;
	atomic_uint_fast64_t	evicted;
};

/* Room for one IP_PKTINFO or IPV6_PKTINFO control message. */
union udp_flow_ctl {
	struct cmsghdr	align;
	unsigned char	buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

/*
 * Datagrams for one recvmmsg (from the listener) or, for replies, many
 * recvmmsg (one per ready flow) and then a single sendmmsg. ctl carries
 * the address each datagram reached (in) or the source each reply must
 * leave from (out), on a wildcard listener only.
 */
struct udp_flow_batch {
	unsigned char		*bufs;	/* UDP_FLOW_BATCH x UDP_FLOW_BUFSZ */
	int			 used;	/* replies waiting to go */
	struct mmsghdr		 msgs[UDP_FLOW_BATCH];
	struct iovec		 iov[UDP_FLOW_BATCH];
	union flow_addr		 names[UDP_FLOW_BATCH];
	union udp_flow_ctl	 ctl[UDP_FLOW_BATCH];
};

struct udp_flow {
	int				 id;
	const struct options		*cfg;
	struct allowlist		*allow;	/* NULL: everyone */
	int				 listen_fd;
	union flow_addr			 local;	/* the listener's */
	int				 pktinfo;	/* local is a wildcard */
	int				 epfd;
	int				 evfd;
	pthread_t			 thread;
	struct flow_table		 table;
	uint64_t			 close_ms;	/* 0: never */
	uint64_t			 now;	/* ms, per wakeup */

	struct udp_flow_batch		 in;	/* from the listener */
	struct udp_flow_batch		 out;	/* replies, all flows */

	struct ratelog			 log_bad;
	struct ratelog			 log_denied;
	struct ratelog			 log_evict;
	struct ratelog			 log_fail;
	struct udp_flow_counters	 st;
};

#define UDP_FLOW_INC(u, field) \
	atomic_fetch_add_explicit(&(u)->st.field, 1, memory_order_relaxed)
#define UDP_FLOW_ADD(u, field, n) \
	atomic_fetch_add_explicit(&(u)->st.field, (n), memory_order_relaxed)
#define UDP_FLOW_SUB(u, field) \
	atomic_fetch_sub_explicit(&(u)->st.field, 1, memory_order_relaxed)
#define UDP_FLOW_GET(u, field) \
	atomic_load_explicit(&(u)->st.field, memory_order_relaxed)

/*
 * Count one event; the number of events its line stands for when one is
 * due now (at most one per UDP_FLOW_LOG_MS), else 0.
 */
static uint64_t
udp_flow_ratelog_due(struct udp_flow *u, struct ratelog *rl)
{
	if (log_verbosity() < LOG_V_ERRORS)
		return (0);
	return (ratelog_due_at(rl, u->now, UDP_FLOW_LOG_MS));
}

static void
udp_flow_drop(struct udp_flow *u, const struct sockaddr *from,
    const char *why)
{
	char		buf[ADDR_STRLEN];
	uint64_t	n;

	UDP_FLOW_INC(u, bad_header);
	if ((n = udp_flow_ratelog_due(u, &u->log_bad)) == 0)
		return;
	log_conn(LOG_V_ERRORS, "udp %d: dropped %" PRIu64 " datagram(s) "
	    "without a usable PROXY v2 header, last from %s: %s", u->id,
	    n, addr_format(from, buf, sizeof(buf)), why);
}

/* Close and forget f. */
static void
udp_flow_close(struct udp_flow *u, struct flow *f, const char *why)
{
	union flow_addr	client;
	char		buf[ADDR_STRLEN];

	if (log_verbosity() >= LOG_V_STATES) {
		flow_table_key_addr(&f->key, &client);
		log_conn(LOG_V_STATES, "udp %d: flow %s%s closed: %s", u->id,
		    f->key.tag == UDP_FLOW_TAG_LOCAL ? "local " : "",
		    addr_format(&client.sa, buf, sizeof(buf)), why);
	}
	/* close() also takes the fd out of the epoll set. */
	if (f->fd != -1 && close(f->fd) == -1)
		log_warn("udp %d: close flow socket", u->id);
	flow_table_remove(&u->table, f);
	UDP_FLOW_SUB(u, flows);
}

/* Make room for one flow by closing the least recently used. */
static void
udp_flow_evict(struct udp_flow *u)
{
	struct flow	*f;
	union flow_addr	 client;
	char		 buf[ADDR_STRLEN];
	uint64_t	 n;

	if ((f = flow_table_oldest(&u->table)) == NULL)
		return;
	UDP_FLOW_INC(u, evicted);
	if ((n = udp_flow_ratelog_due(u, &u->log_evict)) != 0) {
		flow_table_key_addr(&f->key, &client);
		log_conn(LOG_V_ERRORS, "udp %d: flow table full (%d): evicted "
		    "%" PRIu64 " flow(s), last %s", u->id, u->cfg->max_flows,
		    n, addr_format(&client.sa, buf, sizeof(buf)));
	}
	udp_flow_close(u, f, "evicted");
}

static void
udp_flow_fail(struct udp_flow *u, const char *what,
    const struct sockaddr *src, const struct sockaddr *dst)
{
	char		sbuf[ADDR_STRLEN], dbuf[ADDR_STRLEN];
	int		saved = errno;
	uint64_t	n;

	if ((n = udp_flow_ratelog_due(u, &u->log_fail)) == 0)
		return;
	errno = saved;
	log_conn_warn(LOG_V_ERRORS, "udp %d: %s %s -> %s (%" PRIu64
	    " failure(s) since the last line)", u->id, what,
	    addr_format(src, sbuf, sizeof(sbuf)),
	    addr_format(dst, dbuf, sizeof(dbuf)), n);
}

/*
 * A new flow for key: a socket from src (spoofed when spoof is set, else
 * a plain one) connected to dst, in the epoll set. Returns the entry or
 * NULL, after logging.
 */
static struct flow *
udp_flow_open(struct udp_flow *u, const struct flow_key *key,
    const struct sockaddr *src, int spoof, const struct sockaddr *dst)
{
	struct epoll_event	 ev;
	struct flow		*f;
	char			 sbuf[ADDR_STRLEN], dbuf[ADDR_STRLEN];
	int			 fd;

	if (spoof)
		fd = net_socket_transparent(src, SOCK_DGRAM, u->cfg->mark);
	else
		fd = net_socket_plain(dst->sa_family, SOCK_DGRAM,
		    u->cfg->mark);
	if (fd == -1) {
		UDP_FLOW_INC(u, flow_fail);
		udp_flow_fail(u, spoof ? "bind" : "socket", src, dst);
		return (NULL);
	}
	if (connect(fd, dst, addr_len(dst)) == -1) {
		UDP_FLOW_INC(u, flow_fail);
		udp_flow_fail(u, "connect", src, dst);
		(void)close(fd);
		return (NULL);
	}
	if (flow_table_full(&u->table))
		udp_flow_evict(u);
	if ((f = flow_table_insert(&u->table, key, u->now)) == NULL) {
		UDP_FLOW_INC(u, flow_fail);
		udp_flow_fail(u, "flow table insert", src, dst);
		(void)close(fd);
		return (NULL);
	}
	f->fd = fd;
	memcpy(&f->target, dst, addr_len(dst));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = f;
	if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		UDP_FLOW_INC(u, flow_fail);
		udp_flow_fail(u, "epoll_ctl", src, dst);
		f->fd = -1;
		(void)close(fd);
		flow_table_remove(&u->table, f);
		return (NULL);
	}
	UDP_FLOW_INC(u, flows);
	UDP_FLOW_INC(u, opened);
	log_conn(LOG_V_STATES, "udp %d: flow %s%s -> %s opened", u->id,
	    spoof ? "" : "local ", addr_format(src, sbuf, sizeof(sbuf)),
	    addr_format(dst, dbuf, sizeof(dbuf)));
	return (f);
}

/* Send one payload on f's connected socket; UDP drops what cannot go. */
static void
udp_flow_forward(struct udp_flow *u, struct flow *f, const void *p,
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
			UDP_FLOW_INC(u, forwarded);
			return;
		}
		if (errno != EINTR && errno != ECONNREFUSED)
			break;
	}
	UDP_FLOW_INC(u, send_fail);
	if ((failures = udp_flow_ratelog_due(u, &u->log_fail)) != 0)
		log_conn_warn(LOG_V_ERRORS, "udp %d: send to backend "
		    "(%" PRIu64 " failure(s) since the last line)", u->id,
		    failures);
}

/*
 * The address a datagram on a wildcard listener was sent to, from its
 * IP_PKTINFO or IPV6_PKTINFO; AF_UNSPEC when it carried none.
 */
static void
udp_flow_reached(const struct msghdr *mh, const union flow_addr *local,
    union flow_addr *to)
{
	struct cmsghdr		*cm;
	struct in_pktinfo	 pi;
	struct in6_pktinfo	 pi6;

	memset(to, 0, sizeof(*to));
	for (cm = CMSG_FIRSTHDR((struct msghdr *)mh); cm != NULL;
	    cm = CMSG_NXTHDR((struct msghdr *)mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(pi))) {
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			to->sin.sin_family = AF_INET;
			to->sin.sin_addr = pi.ipi_addr;
			to->sin.sin_port = local->sin.sin_port;
			return;
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(pi6))) {
			memcpy(&pi6, CMSG_DATA(cm), sizeof(pi6));
			to->sin6.sin6_family = AF_INET6;
			to->sin6.sin6_addr = pi6.ipi6_addr;
			to->sin6.sin6_port = local->sin6.sin6_port;
			/* A link-local address only means something on its link. */
			if (IN6_IS_ADDR_LINKLOCAL(&pi6.ipi6_addr))
				to->sin6.sin6_scope_id = pi6.ipi6_ifindex;
			return;
		}
	}
}

/*
 * The control message that makes a reply leave from the address its
 * flow's sender reached. Returns its length, or 0 when the kernel's own
 * choice must do (nothing known, or a multicast or broadcast address,
 * which cannot be a source).
 */
static socklen_t
udp_flow_reply_from(union udp_flow_ctl *ctl, const union flow_addr *reached)
{
	struct in_pktinfo	 pi;
	struct in6_pktinfo	 pi6;
	const void		*data;
	size_t			 len;
	in_addr_t		 a;
	int			 level, type;

	memset(&pi, 0, sizeof(pi));
	memset(&pi6, 0, sizeof(pi6));
	if (reached->sa.sa_family == AF_INET) {
		a = ntohl(reached->sin.sin_addr.s_addr);
		if (IN_MULTICAST(a) || a == INADDR_BROADCAST)
			return (0);
		pi.ipi_spec_dst = reached->sin.sin_addr;
		level = IPPROTO_IP;
		type = IP_PKTINFO;
		data = &pi;
		len = sizeof(pi);
	} else if (reached->sa.sa_family == AF_INET6) {
		/* An IPv4 datagram on a dual-stack [::]: ::ffff:a.b.c.d. */
		memcpy(&a, &reached->sin6.sin6_addr.s6_addr[12], sizeof(a));
		a = ntohl(a);
		if (IN6_IS_ADDR_MULTICAST(&reached->sin6.sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&reached->sin6.sin6_addr) &&
		    (IN_MULTICAST(a) || a == INADDR_BROADCAST)))
			return (0);
		pi6.ipi6_addr = reached->sin6.sin6_addr;
		pi6.ipi6_ifindex = reached->sin6.sin6_scope_id;
		level = IPPROTO_IPV6;
		type = IPV6_PKTINFO;
		data = &pi6;
		len = sizeof(pi6);
	} else
		return (0);
	memset(ctl, 0, sizeof(*ctl));
	ctl->align.cmsg_level = level;
	ctl->align.cmsg_type = type;
	ctl->align.cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(&ctl->align), data, len);
	return (CMSG_SPACE(len));
}

/*
 * One datagram from the load balancer at from: check, route, forward. to
 * is the address it was sent to on a wildcard listener, else NULL.
 */
static void
udp_flow_datagram(struct udp_flow *u, const unsigned char *buf, size_t len,
    const union flow_addr *from, const union flow_addr *to)
{
	struct pp_header	 hdr;
	struct sockaddr_storage	 src, dst;
	struct flow_key		 key;
	struct flow		*f;
	const char		*why = NULL;
	ssize_t			 hlen;
	int			 spoof = 0, tag;
	char			 buf1[ADDR_STRLEN];
	uint64_t		 n;

	UDP_FLOW_INC(u, datagrams);
	if (u->allow != NULL && !allowlist_allows(u->allow, &from->sa)) {
		UDP_FLOW_INC(u, denied);
		if ((n = udp_flow_ratelog_due(u, &u->log_denied)) != 0)
			log_conn(LOG_V_ERRORS, "udp %d: denied %" PRIu64
			    " datagram(s) from outside the allow-list, "
			    "last from %s", u->id, n,
			    addr_format(&from->sa, buf1, sizeof(buf1)));
		return;
	}

	/* Header and payload travel together: a short header is bad. */
	hlen = proxy_header_parse(buf, len, &hdr);
	if (hlen == 0) {
		udp_flow_drop(u, &from->sa, "truncated header");
		return;
	}
	if (hlen < 0) {
		udp_flow_drop(u, &from->sa,
		    proxy_header_strerror((enum pp_error)-hlen));
		return;
	}
	if (hdr.version != 2) {
		udp_flow_drop(u, &from->sa, "v1 header on udp");
		return;
	}
	if (hdr.command == PP_CMD_LOCAL) {
		tag = UDP_FLOW_TAG_LOCAL;
	} else if (hdr.action != PP_ACTION_PROXY ||
	    (hdr.src.ss_family != AF_INET && hdr.src.ss_family != AF_INET6)) {
		udp_flow_drop(u, &from->sa, "not an INET or INET6 address");
		return;
	} else if (hdr.transport != SOCK_DGRAM) {
		udp_flow_drop(u, &from->sa, "not DGRAM transport");
		return;
	} else
		tag = UDP_FLOW_TAG_CLIENT;

	/*
	 * LOCAL picks -4 or -6 by the family the balancer reached: on a
	 * dual-stack [::] only the datagram's own address tells.
	 */
	if (target_choose(u->cfg, &hdr, to != NULL &&
	    to->sa.sa_family != AF_UNSPEC ? &to->sa : &u->local.sa, &src,
	    &spoof, &dst, &why) == -1) {
		udp_flow_drop(u, &from->sa, why != NULL ? why : "no target");
		return;
	}
	/* LOCAL (or a header without a source): the sender is the flow. */
	if (!spoof) {
		tag = UDP_FLOW_TAG_LOCAL;
		memset(&src, 0, sizeof(src));
		memcpy(&src, from, addr_len(&from->sa));
	}
	if (flow_table_key((struct sockaddr *)&src, tag, &key) == -1) {
		udp_flow_drop(u, &from->sa, "not an INET or INET6 address");
		return;
	}

	f = flow_table_lookup(&u->table, &key);
	/*
	 * -dynamic-destination: one flow per client, aimed where its latest
	 * datagram goes; a client that changes destination gets a new socket.
	 */
	if (f != NULL && u->cfg->dynamic_destination &&
	    !addr_equal(&f->target.sa, (struct sockaddr *)&dst)) {
		udp_flow_close(u, f, "destination changed");
		f = NULL;
	}
	if (f != NULL)
		flow_table_touch(&u->table, f, u->now);
	else if ((f = udp_flow_open(u, &key, (struct sockaddr *)&src, spoof,
	    (struct sockaddr *)&dst)) == NULL)
		return;
	f->sender = *from;
	if (to != NULL)
		f->reached = *to;
	udp_flow_forward(u, f, buf + hlen, len - (size_t)hlen);
}

/*
 * Point slots from..UDP_FLOW_BATCH-1 at their buffers, and at their
 * control buffers when ctl is set, ready for recvmmsg.
 */
static void
udp_flow_batch_reset(struct udp_flow_batch *b, int from, int ctl)
{
	int	i;

	memset(b->msgs + from, 0, (size_t)(UDP_FLOW_BATCH - from) *
	    sizeof(b->msgs[0]));
	for (i = from; i < UDP_FLOW_BATCH; i++) {
		b->iov[i].iov_base = b->bufs + (size_t)i * UDP_FLOW_BUFSZ;
		b->iov[i].iov_len = UDP_FLOW_BUFSZ;
		b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
		b->msgs[i].msg_hdr.msg_iovlen = 1;
		b->msgs[i].msg_hdr.msg_name = &b->names[i];
		b->msgs[i].msg_hdr.msg_namelen = sizeof(b->names[i]);
		if (ctl) {
			b->msgs[i].msg_hdr.msg_control = &b->ctl[i];
			b->msgs[i].msg_hdr.msg_controllen = sizeof(b->ctl[i]);
		}
	}
}

/* Datagrams waiting on the listener, a few batches at a time. */
static void
udp_flow_listener_ready(struct udp_flow *u)
{
	struct udp_flow_batch	*b = &u->in;
	union flow_addr		 reached;
	int			 i, n, round;

	for (round = 0; round < UDP_FLOW_ROUNDS; round++) {
		udp_flow_batch_reset(b, 0, u->pktinfo);
		n = recvmmsg(u->listen_fd, b->msgs, UDP_FLOW_BATCH,
		    MSG_DONTWAIT, NULL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			/* ICMP errors for earlier replies land here. */
			log_conn_warn(LOG_V_ERRORS, "udp %d: recvmmsg", u->id);
			continue;
		}
		for (i = 0; i < n; i++) {
			if (b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				udp_flow_drop(u, &b->names[i].sa,
				    "datagram too large");
				continue;
			}
			if (u->pktinfo)
				udp_flow_reached(&b->msgs[i].msg_hdr,
				    &u->local, &reached);
			udp_flow_datagram(u, b->iov[i].iov_base,
			    b->msgs[i].msg_len, &b->names[i],
			    u->pktinfo ? &reached : NULL);
		}
		if (n < UDP_FLOW_BATCH)
			return;
	}
}

/*
 * Send the collected replies to the load balancer in one sendmmsg (more
 * if some fail: each failure drops that one reply), then empty the batch.
 */
static void
udp_flow_flush_replies(struct udp_flow *u)
{
	struct udp_flow_batch	*b = &u->out;
	uint64_t		 n;
	int			 off = 0, r;

	while (off < b->used) {
		r = sendmmsg(u->listen_fd, b->msgs + off,
		    (unsigned int)(b->used - off), MSG_DONTWAIT |
		    MSG_NOSIGNAL);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			UDP_FLOW_INC(u, send_fail);
			if ((n = udp_flow_ratelog_due(u, &u->log_fail)) != 0)
				log_conn_warn(LOG_V_ERRORS, "udp %d: reply "
				    "to load balancer (%" PRIu64 " failure(s) "
				    "since the last line)", u->id, n);
			off++;
			continue;
		}
		UDP_FLOW_ADD(u, replies, (uint_fast64_t)r);
		off += r;
	}
	b->used = 0;
}

/*
 * Replies waiting on a flow socket join the batch, addressed to the
 * client's sender; a full batch goes out at once, the rest when every
 * ready flow of this wakeup has been read. One sendmmsg for many flows
 * saves a syscall and a wakeup of the load balancer per reply.
 *
 * With several flows ready, each gives one reply per wakeup (epoll is
 * level-triggered, so one with more comes back next time): a flow's
 * recvmmsg for more would nearly always end in a failed read. A flow
 * ready alone is drained, a batch at a time.
 */
static void
udp_flow_backend_ready(struct udp_flow *u, struct flow *f, int drain)
{
	struct udp_flow_batch	*b = &u->out;
	socklen_t		 slen = addr_len(&f->sender.sa);
	int			 i, n, want, round;

	for (round = 0; round < UDP_FLOW_ROUNDS; round++) {
		if (b->used == UDP_FLOW_BATCH)
			udp_flow_flush_replies(u);
		want = drain ? UDP_FLOW_BATCH - b->used : 1;
		udp_flow_batch_reset(b, b->used, 0);
		n = recvmmsg(f->fd, b->msgs + b->used, (unsigned int)want,
		    MSG_DONTWAIT, NULL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			/*
			 * ECONNREFUSED: the backend port is closed. Reading
			 * the error cleared it; the flow stays until idle.
			 */
			log_conn_warn(LOG_V_ERRORS, "udp %d: from backend",
			    u->id);
			return;
		}
		flow_table_touch(&u->table, f, u->now);
		for (i = b->used; i < b->used + n; i++) {
			b->iov[i].iov_len = b->msgs[i].msg_len;
			memcpy(&b->names[i], &f->sender, slen);
			b->msgs[i].msg_hdr.msg_namelen = slen;
			b->msgs[i].msg_hdr.msg_flags = 0;
			if (u->pktinfo && (b->msgs[i].msg_hdr.msg_controllen =
			    udp_flow_reply_from(&b->ctl[i], &f->reached)) != 0)
				b->msgs[i].msg_hdr.msg_control = &b->ctl[i];
		}
		b->used += n;
		if (n < want || !drain)
			return;
	}
}

/* Close flows idle for close_ms; return ms until the next is due. */
static int
udp_flow_expire(struct udp_flow *u)
{
	struct flow	*f;
	uint64_t	 due;

	if (u->close_ms == 0)
		return (-1);
	if (u->now >= u->close_ms) {
		while ((f = flow_table_expired(&u->table,
		    u->now - u->close_ms)) != NULL) {
			UDP_FLOW_INC(u, expired);
			udp_flow_close(u, f, "idle");
		}
	}
	if ((f = flow_table_oldest(&u->table)) == NULL)
		return (-1);
	due = f->last + u->close_ms;
	if (due <= u->now)
		return (0);
	if (due - u->now > INT32_MAX)
		return (INT32_MAX);
	return ((int)(due - u->now));
}

static void *
udp_flow_main(void *arg)
{
	struct udp_flow		*u = arg;
	struct epoll_event	 evs[UDP_FLOW_EVENTS];
	struct flow		*f;
	uint64_t		 junk;
	int			 i, n, timeout, listener, stop = 0;

	log_info("udp %d: serving", u->id);
	while (!stop) {
		u->now = monotonic_ms();
		timeout = udp_flow_expire(u);
		n = epoll_wait(u->epfd, evs, UDP_FLOW_EVENTS, timeout);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatal("udp %d: epoll_wait", u->id);
		u->now = monotonic_ms();

		/*
		 * Replies first: only the listener opens and evicts flows,
		 * so every flow in evs is still alive while this runs.
		 */
		listener = 0;
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &u->listen_fd)
				listener = 1;
			else if (evs[i].data.ptr == &u->evfd)
				stop = 1;
			else
				udp_flow_backend_ready(u, evs[i].data.ptr,
				    n == 1);
		}
		udp_flow_flush_replies(u);
		if (listener && !stop)
			udp_flow_listener_ready(u);
	}

	if (read(u->evfd, &junk, sizeof(junk)) == -1 && errno != EAGAIN)
		log_warn("udp %d: read eventfd", u->id);
	while ((f = flow_table_oldest(&u->table)) != NULL)
		udp_flow_close(u, f, "stopping");
	log_info("udp %d: stopped", u->id);
	return (NULL);
}

/*
 * -listeners N: SO_REUSEPORT would spread datagrams by the load balancer's
 * address and port, so one client reaching us through two balancer ports
 * would get a flow in two threads, both bound to its address: replies would
 * go astray. Instead this classic BPF program, run by the kernel on each
 * datagram's payload, picks the socket by the client address and port in
 * the v2 header (a hash of the last address word and the port, modulo N).
 * Anything else (LOCAL, garbage) returns an index out of range, and the
 * kernel falls back to its own 4-tuple hash, which is stable for a LOCAL
 * flow since that flow is keyed by the same 4-tuple.
 */
static int
udp_flow_steer(int fd, int listeners)
{
	struct sock_filter	code[] = {
		/* 0: the family nibble of the v2 header */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 4),
		/* 3: INET: source address, source port */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 24),
		BPF_JUMP(BPF_JMP | BPF_JA, 4, 0, 0),
		/* 7: INET6: last word of the source address, source port */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 8),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 28),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 48),
		/* 11: mix, then the socket's index */
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1U),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)listeners),
		BPF_STMT(BPF_RET | BPF_A, 0),
		/* 16: not a v2 INET/INET6 header: the kernel's hash */
		BPF_STMT(BPF_RET | BPF_K, 0xffffffffU),
	};
	struct sock_fprog	prog;

	/* Zeroed whole: the padding after len reaches the kernel too. */
	memset(&prog, 0, sizeof(prog));
	prog.len = sizeof(code) / sizeof(code[0]);
	prog.filter = code;
	return (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
	    sizeof(prog)));
}

static void
udp_flow_free(struct udp_flow *u)
{
	if (u->epfd != -1)
		(void)close(u->epfd);
	if (u->evfd != -1)
		(void)close(u->evfd);
	flow_table_free(&u->table);
	free(u->in.bufs);
	free(u->out.bufs);
	free(u);
}

int
udp_flow_start(const struct options *cfg, struct allowlist *allow, int id,
    int listen_fd, struct udp_flow **out)
{
	struct udp_flow		*u;
	struct epoll_event	 ev;
	socklen_t		 slen;
	uint8_t			 seed[16];
	size_t			 got = 0;
	ssize_t			 r;
	int			 rc, one = 1;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return (errno);
	u->id = id;
	u->cfg = cfg;
	u->allow = allow;
	u->listen_fd = listen_fd;
	u->epfd = u->evfd = -1;
	u->close_ms = cfg->close_after_ms > 0 ?
	    (uint64_t)cfg->close_after_ms : 0;

	while (got < sizeof(seed)) {
		r = getrandom(seed + got, sizeof(seed) - got, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		got += (size_t)r;
	}
	if (flow_table_init(&u->table, cfg->max_flows > 0 ?
	    (size_t)cfg->max_flows : OPTIONS_DEFAULT_MAX_FLOWS, seed) == -1)
		goto fail;
	if ((u->in.bufs = malloc((size_t)UDP_FLOW_BATCH * UDP_FLOW_BUFSZ)) ==
	    NULL || (u->out.bufs = malloc((size_t)UDP_FLOW_BATCH *
	    UDP_FLOW_BUFSZ)) == NULL)
		goto fail;
	if (id == 0 && cfg->listeners > 1 &&
	    udp_flow_steer(listen_fd, cfg->listeners) == -1)
		goto fail;
	/* target_choose() takes the family for LOCAL from here. */
	slen = sizeof(u->local);
	if (getsockname(listen_fd, &u->local.sa, &slen) == -1)
		goto fail;
	/*
	 * On a wildcard listener the route back to the load balancer would
	 * pick the reply's source address: a balancer that sent to another of
	 * our addresses would then drop it. Learn each datagram's address.
	 */
	if ((u->pktinfo = addr_is_wildcard(&u->local.sa)) &&
	    (u->local.sa.sa_family == AF_INET6 ?
	    setsockopt(listen_fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
	    sizeof(one)) : setsockopt(listen_fd, IPPROTO_IP, IP_PKTINFO, &one,
	    sizeof(one))) == -1)
		goto fail;
	if ((u->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		goto fail;
	if ((u->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		goto fail;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &u->listen_fd;
	if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, listen_fd, &ev) == -1)
		goto fail;
	ev.data.ptr = &u->evfd;
	if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, u->evfd, &ev) == -1)
		goto fail;
	if ((rc = pthread_create(&u->thread, NULL, udp_flow_main, u)) != 0) {
		errno = rc;
		goto fail;
	}
	*out = u;
	return (0);

fail:
	rc = errno;
	udp_flow_free(u);
	return (rc);
}

void
udp_flow_stop(struct udp_flow *u)
{
	uint64_t	one = 1;
	ssize_t		n;

	/* EAGAIN: the counter is full, so a stop is already pending. */
	do
		n = write(u->evfd, &one, sizeof(one));
	while (n == -1 && errno == EINTR);
}

void
udp_flow_join(struct udp_flow *u)
{
	int	rc;

	if ((rc = pthread_join(u->thread, NULL)) != 0)
		fatalx("udp %d: pthread_join: %s", u->id, strerror(rc));
	if (close(u->listen_fd) == -1)
		log_warn("udp %d: close listener", u->id);
	udp_flow_free(u);
}

void
udp_flow_get_stats(struct udp_flow *u, struct udp_flow_stats *st)
{
	st->datagrams = UDP_FLOW_GET(u, datagrams);
	st->forwarded = UDP_FLOW_GET(u, forwarded);
	st->replies = UDP_FLOW_GET(u, replies);
	st->bad_header = UDP_FLOW_GET(u, bad_header);
	st->denied = UDP_FLOW_GET(u, denied);
	st->send_fail = UDP_FLOW_GET(u, send_fail);
	st->flow_fail = UDP_FLOW_GET(u, flow_fail);
	st->flows = UDP_FLOW_GET(u, flows);
	st->opened = UDP_FLOW_GET(u, opened);
	st->expired = UDP_FLOW_GET(u, expired);
	st->evicted = UDP_FLOW_GET(u, evicted);
}

void
udp_flow_log_stats(struct udp_flow *u, const char *when)
{
	struct udp_flow_stats	s;

	udp_flow_get_stats(u, &s);
	log_info("udp %d %s: %" PRIu64 " datagrams, %" PRIu64 " forwarded, "
	    "%" PRIu64 " replies, %" PRIu64 " bad header, %" PRIu64
	    " denied, %" PRIu64 " send failed, %" PRIu64 " flow failed, "
	    "%" PRIu64 " flows open, %" PRIu64 " opened, %" PRIu64
	    " expired, %" PRIu64 " evicted", u->id, when, s.datagrams,
	    s.forwarded, s.replies, s.bad_header, s.denied, s.send_fail,
	    s.flow_fail, s.flows, s.opened, s.expired, s.evicted);
}
