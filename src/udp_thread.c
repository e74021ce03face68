/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_thread.c -- the UDP thread: datagrams in, replies out, expiry.
 *
 * One thread per listening socket owns everything it touches: the
 * listener, its flow table, every flow and reply socket, its epoll and its
 * buffers (udp_thread_state.h). No lock is taken. Other threads reach it only
 * through the eventfd that udp_thread_stop() writes and through the
 * counters and the failed flag, which are atomics.
 *
 * The loop: sleep in epoll_wait until the oldest flow is due to expire
 * (so an idle flow closes within milliseconds of -close-after); read the
 * replies of every ready flow into one batch and send it; then read the
 * listener's datagrams, a few batches at a time, and forward each
 * (udp_datagram.c). Replies leave as udp_reply.c decides.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "handover.h"
#include "log.h"
#include "monotonic.h"
#include "net.h"
#include "udp_datagram.h"
#include "udp_flowsock.h"
#include "udp_steer.h"
#include "udp_thread.h"
#include "udp_thread_state.h"

/* Batches per wakeup on one socket before the others get a turn. */
#define UDP_THREAD_ROUNDS		8
/*
 * udp_thread_handover: once the listener is no longer read, replies are
 * relayed until none came for UDP_THREAD_QUIET_MS, -shutdown-timeout at
 * most. The next generation reads the listener meanwhile; a flow it
 * opens binds the same client address and port (SO_REUSEADDR), and the
 * kernel gives replies to the socket bound last, so each reply lands in
 * one generation or the other as long as we linger. Lingering longer
 * costs nothing but the old process's life, while a backend that stalls
 * longer than this before answering what we sent loses those answers.
 */
#define UDP_THREAD_QUIET_MS	1000
#define UDP_THREAD_EVENTS		64

/*
 * An error on a socket that a datagram or an ICMP message can cause, at
 * -v 1, at most once per UDP_THREAD_LOG_MS for each kind.
 */
static void
udp_thread_recv_error(struct udp_thread *u, struct ratelog *rl,
    const char *what)
{
	int		saved = errno;
	uint64_t	n;

	if ((n = udp_thread_log_due(u, rl)) == 0)
		return;
	errno = saved;
	log_conn_warn(LOG_V_ERRORS, "udp %d: %s (%" PRIu64 " error(s) since "
	    "the last line)", u->id, what, n);
}

/* Datagrams waiting on the listener, a few batches at a time. */
static void
udp_thread_listener_ready(struct udp_thread *u)
{
	struct udp_batch	*b = &u->in;
	union udp_flow_addr	 reached;
	in_port_t		 port;
	int			 i, n, round, known;

	port = htons((uint16_t)addr_port(&u->local.sa));
	for (round = 0; round < UDP_THREAD_ROUNDS; round++) {
		udp_batch_reset(b, 0, u->learn != UDP_LEARN_NONE);
		n = recvmmsg(u->listen_fd, b->msgs, UDP_BATCH_LEN,
		    MSG_DONTWAIT, NULL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			/* ICMP errors for earlier replies land here. */
			udp_thread_recv_error(u, &u->log_from_lb,
			    "from load balancers");
			continue;
		}
		for (i = 0; i < n; i++) {
			if (b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				udp_datagram_drop(u, &b->names[i].sa,
				    FAILURE_HDR_UNSUPPORTED,
				    "datagram too large");
				continue;
			}
			known = u->learn != UDP_LEARN_NONE &&
			    udp_cmsg_reached(&b->msgs[i].msg_hdr, port,
			    &reached) == 0;
			/* In the listener's family, as its peers are. */
			if (known && u->local.sa.sa_family == AF_INET6)
				udp_cmsg_map(&reached);
			udp_datagram(u, b->iov[i].iov_base,
			    b->msgs[i].msg_len, &b->names[i],
			    known ? &reached : NULL);
		}
		if (n < UDP_BATCH_LEN)
			return;
	}
}

/*
 * Replies waiting on a flow socket join the out batch; a full batch goes
 * out at once, the rest when every ready flow of this wakeup has been
 * read.
 *
 * With several flows ready, each gives one reply per wakeup (epoll is
 * level-triggered, so one with more comes back next time): a flow's
 * recvmmsg for more would nearly always end in a failed read. A flow
 * ready alone is drained, a batch at a time.
 */
static void
udp_thread_backend_ready(struct udp_thread *u, struct udp_flow *f, int drain)
{
	struct udp_batch	*b = &u->out;
	int			 n, want, round;

	for (round = 0; round < UDP_THREAD_ROUNDS; round++) {
		if (b->used == UDP_BATCH_LEN)
			udp_reply_flush(u);
		want = drain ? UDP_BATCH_LEN - b->used : 1;
		n = udp_reply_read(u, f, want);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			/*
			 * ECONNREFUSED: the backend port is closed, one
			 * ICMP error per datagram sent. Reading the error
			 * cleared it; the flow stays until idle.
			 */
			udp_thread_recv_error(u, &u->log_from_backend,
			    "from backend");
			return;
		}
		udp_flow_table_touch(&u->table, f, u->now);
		if (n < want || !drain)
			return;
	}
}

/*
 * The thread stops on an error it cannot serve through: it says so, asks
 * the main thread (which takes signals with sigwaitinfo) to shut the
 * daemon down, and leaves its loop. main reads failed for the exit status.
 */
static void
udp_thread_abort(struct udp_thread *u, const char *what)
{
	log_warn("udp %d: %s: stopping the daemon", u->id, what);
	atomic_store(&u->failed, 1);
	if (kill(getpid(), SIGTERM) == -1)
		log_warn("udp %d: kill SIGTERM", u->id);
}

/*
 * The eventfd fired: stop now, or (udp_thread_handover) stop reading the
 * listener and linger for the replies of what was forwarded. Returns 1
 * to stop now.
 */
static int
udp_thread_wakeup(struct udp_thread *u)
{
	uint64_t	junk;

	if (!atomic_load(&u->handover) || u->linger_until != 0)
		return (1);
	if (read(u->evfd, &junk, sizeof(junk)) == -1 && errno != EAGAIN)
		log_warn("udp %d: read eventfd", u->id);
	if (epoll_ctl(u->epfd, EPOLL_CTL_DEL, u->listen_fd, NULL) == -1 &&
	    errno != ENOENT)
		return (1);
	atomic_store(&u->released, 1);
	if (u->cfg->shutdown_timeout_ms == 0)
		return (1);
	u->linger_until = u->now + (uint64_t)u->cfg->shutdown_timeout_ms;
	return (0);
}

/* Lingering: wait no longer than the end, nor than a quiet spell. */
static int
udp_thread_linger_timeout(struct udp_thread *u, int timeout)
{
	uint64_t	left;

	if (u->linger_until == 0)
		return (timeout);
	left = u->linger_until > u->now ? u->linger_until - u->now : 0;
	if (left > UDP_THREAD_QUIET_MS)
		left = UDP_THREAD_QUIET_MS;
	return (timeout == -1 || (uint64_t)timeout > left ? (int)left :
	    timeout);
}

static void *
udp_thread_main(void *arg)
{
	struct udp_thread	*u = arg;
	struct epoll_event	 evs[UDP_THREAD_EVENTS];
	struct udp_flow		*f;
	uint64_t		 junk;
	int			 i, n, timeout, listener, stop = 0;

	log_info("udp %d: serving", u->id);
	while (!stop) {
		u->now = monotonic_ms();
		timeout = udp_thread_linger_timeout(u, udp_flowsock_expire(u));
		n = epoll_wait(u->epfd, evs, UDP_THREAD_EVENTS, timeout);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			udp_thread_abort(u, "epoll_wait");
			break;
		}
		u->now = monotonic_ms();
		/* Handing over: a quiet spell, so every reply came. */
		if (u->linger_until != 0 && n == 0)
			break;

		/*
		 * Replies first: only the listener opens and evicts flows,
		 * so every flow in evs is still alive while this runs.
		 */
		listener = 0;
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &u->listen_fd)
				listener = 1;
			else if (evs[i].data.ptr == &u->evfd)
				stop = udp_thread_wakeup(u);
			else
				udp_thread_backend_ready(u, evs[i].data.ptr,
				    n == 1);
		}
		udp_reply_flush(u);
		if (listener && !stop && u->linger_until == 0)
			udp_thread_listener_ready(u);
		if (u->linger_until != 0 && u->now >= u->linger_until)
			stop = 1;
	}

	if (read(u->evfd, &junk, sizeof(junk)) == -1 && errno != EAGAIN)
		log_warn("udp %d: read eventfd", u->id);
	while ((f = udp_flow_table_oldest(&u->table)) != NULL)
		udp_flowsock_close(u, f, u->linger_until != 0 ?
		    "handed over" : "stopping");
	/* Stopped instead: it reads the listener no more either. */
	atomic_store(&u->released, 1);
	log_info("udp %d: stopped", u->id);
	return (NULL);
}

void
udp_thread_free(struct udp_thread *u)
{
	if (u->epfd != -1)
		(void)close(u->epfd);
	if (u->evfd != -1)
		(void)close(u->evfd);
	udp_flow_table_free(&u->table);
	udp_reply_free(&u->replies);
	udp_batch_free(&u->in);
	udp_batch_free(&u->out);
	free(u);
}

/* A random key for the flow table's hash. Returns 0 or -1. */
static int
udp_thread_seed(uint8_t seed[16])
{
	size_t	got = 0;
	ssize_t	r;

	while (got < 16) {
		r = getrandom(seed + got, 16 - got, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return (-1);
		got += (size_t)r;
	}
	return (0);
}

/*
 * Ask the listener to tell, with each datagram, where it was sent: on a
 * wildcard listener the route back to the load balancer would pick the
 * reply's source address, and a balancer that sent to another of our
 * addresses would drop it; with -listen-transparent TPROXY may divert
 * datagrams sent to other ports too, and only IP_ORIGDSTADDR names those.
 */
static int
udp_thread_learn(struct udp_thread *u)
{
	int	one = 1, v6 = u->local.sa.sa_family == AF_INET6, fam;

	if (u->cfg->listen_transparent) {
		u->learn = UDP_LEARN_ORIGDST;
		if ((fam = net_listen_families(u->listen_fd)) == -1)
			return (-1);
		/* A dual-stack socket reports IPv4 datagrams at IP level. */
		if ((fam & NET_FAMILY_IPV4) && setsockopt(u->listen_fd,
		    IPPROTO_IP, IP_RECVORIGDSTADDR, &one, sizeof(one)) == -1)
			return (-1);
		return (v6 ? setsockopt(u->listen_fd, IPPROTO_IPV6,
		    IPV6_RECVORIGDSTADDR, &one, sizeof(one)) : 0);
	}
	if (!addr_is_wildcard(&u->local.sa)) {
		u->learn = UDP_LEARN_NONE;
		return (0);
	}
	u->learn = UDP_LEARN_PKTINFO;
	return (v6 ? setsockopt(u->listen_fd, IPPROTO_IPV6, IPV6_RECVPKTINFO,
	    &one, sizeof(one)) : setsockopt(u->listen_fd, IPPROTO_IP,
	    IP_PKTINFO, &one, sizeof(one)));
}

int
udp_thread_start(const struct options *cfg, const struct endpoint *ep,
    struct allowlist *allow, int id, int listen_fd, int paused,
    struct udp_thread **out)
{
	struct udp_thread	*u;
	struct epoll_event	 ev;
	socklen_t		 slen;
	uint8_t			 seed[16];
	int			 rc;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return (errno);
	u->id = id;
	u->cfg = cfg;
	u->ep = ep;
	u->allow = allow;
	u->listen_fd = listen_fd;
	u->epfd = u->evfd = -1;
	/* -close-after is at least 1 ms and -max-flows at least 1. */
	u->close_ms = (uint64_t)cfg->close_after_ms;
	udp_reply_init(&u->replies);

	if (udp_thread_seed(seed) == -1 ||
	    udp_flow_table_init(&u->table, (size_t)cfg->max_flows, seed) == -1)
		goto fail;
	if (udp_batch_init(&u->in) == -1 || udp_batch_init(&u->out) == -1)
		goto fail;
	if (id % cfg->listeners == 0 && cfg->listeners > 1 &&
	    udp_steer_attach(listen_fd, (uint32_t)cfg->listeners) == -1)
		goto fail;
	/* target_choose() takes the family for LOCAL from here. */
	slen = sizeof(u->local);
	if (getsockname(listen_fd, &u->local.sa, &slen) == -1)
		goto fail;
	if (udp_thread_learn(u) == -1)
		goto fail;
	if ((u->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		goto fail;
	if ((u->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		goto fail;
	if (!paused && udp_thread_resume(u) == -1)
		goto fail;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &u->evfd;
	if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, u->evfd, &ev) == -1)
		goto fail;
	if ((rc = pthread_create(&u->thread, NULL, udp_thread_main, u)) != 0) {
		errno = rc;
		goto fail;
	}
	*out = u;
	return (0);

fail:
	rc = errno;
	udp_thread_free(u);
	return (rc);
}

int
udp_thread_resume(struct udp_thread *u)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &u->listen_fd;
	return (epoll_ctl(u->epfd, EPOLL_CTL_ADD, u->listen_fd, &ev));
}

void
udp_thread_handover_sock(const struct udp_thread *u, struct handover_sock *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = u->listen_fd;
	s->type = SOCK_DGRAM;
	s->addr = u->ep->listen;
}

void
udp_thread_handover(struct udp_thread *u)
{
	atomic_store(&u->handover, 1);
	udp_thread_stop(u);
}

int
udp_thread_released(struct udp_thread *u)
{
	return (atomic_load(&u->released));
}

void
udp_thread_stop(struct udp_thread *u)
{
	uint64_t	one = 1;
	ssize_t		n;

	/* EAGAIN: the counter is full, so a stop is already pending. */
	do
		n = write(u->evfd, &one, sizeof(one));
	while (n == -1 && errno == EINTR);
}

int
udp_thread_join(struct udp_thread *u)
{
	int	rc;

	/* Runs in the main thread: failing here is "cannot happen". */
	if ((rc = pthread_join(u->thread, NULL)) != 0)
		fatalx("udp %d: pthread_join: %s", u->id, strerror(rc));
	if (close(u->listen_fd) == -1)
		log_warn("udp %d: close listener", u->id);
	return (atomic_load(&u->failed) ? -1 : 0);
}

void
udp_thread_get_stats(struct udp_thread *u, struct udp_stats_snapshot *st)
{
	udp_stats_read(&u->st, st);
}

void
udp_thread_log_stats(struct udp_thread *u, const char *when)
{
	char	buf[ADDR_STRLEN];

	udp_stats_log(&u->st, u->id, addr_format((const struct sockaddr *)
	    &u->ep->listen, buf, sizeof(buf)), when);
}
