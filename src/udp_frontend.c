/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * udp_frontend.c -- the UDP front end: -max-flows from the fd limit, the
 * sockets, one thread each (udp_thread.c), and the hot upgrade's hand-off,
 * in which our threads stop reading before the new generation starts.
 *
 * The main thread owns all of it; the threads own their flows.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "capacity.h"
#include "endpoint.h"
#include "handover.h"
#include "log.h"
#include "metrics_render.h"
#include "net.h"
#include "options.h"
#include "udp_frontend.h"
#include "udp_stats.h"
#include "udp_thread.h"

/*
 * A socket's receive buffer: the default (about 200 KiB) holds only a
 * couple of hundred small datagrams, so a burst that arrives while the
 * thread is off the CPU would be dropped by the kernel.
 */
#define UDP_FRONTEND_RCVBUF	(4 * 1024 * 1024)

#define UDP_FRONTEND(fe)	((struct udp_frontend *)(void *)(fe))

struct frontend *
udp_frontend_new(const struct frontend_env *env)
{
	struct udp_frontend	*u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		fatal("calloc");
	u->fe.ops = &udp_frontend_ops;
	u->fe.env = *env;
	/* Both at most 1,024: the product fits an int. */
	u->fe.nsocks = (int)env->nendpoints * env->opts->listeners;
	if ((u->threads = calloc((size_t)u->fe.nsocks,
	    sizeof(*u->threads))) == NULL ||
	    (u->fds = calloc((size_t)u->fe.nsocks, sizeof(*u->fds))) == NULL)
		fatal("calloc");
	return (&u->fe);
}

/*
 * -max-flows, or as many as the fd limit allows (at most
 * CAPACITY_MAX_FLOWS_DEFAULT per socket), so that a full table evicts its
 * least recently active flow instead of failing new ones with EMFILE.
 * With -listen-transparent a flow may hold a reply socket as well. Set
 * in the options before any thread starts: read-only from then on.
 */
static void
udp_frontend_max_flows(struct udp_frontend *u)
{
	struct options		*opts = u->fe.env.opts;
	struct capacity_flows	 cf;
	size_t			 socks = (size_t)u->fe.nsocks;
	unsigned long long	 nofile = u->fe.env.nofile;

	capacity_flows_plan(&cf, (size_t)opts->max_flows,
	    CAPACITY_MAX_FLOWS_DEFAULT, u->fe.env.nofile, socks,
	    opts->listen_transparent ? 2 : 1);
	if (opts->max_flows == 0 && cf.max < cf.want)
		log_info("default -max-flows %d lowered to %zu by the fd "
		    "limit of %llu (LimitNOFILE=%zu or ulimit -n %zu "
		    "allows all)", CAPACITY_MAX_FLOWS_DEFAULT, cf.max, nofile,
		    cf.want_fds, cf.want_fds);
	else if (opts->max_flows != 0 && cf.want > cf.fit)
		log_warnx("-max-flows %d on %zu socket%s needs about %zu file "
		    "descriptors but the limit is %llu: new flows will fail "
		    "with EMFILE past about %zu per socket (raise "
		    "LimitNOFILE= or ulimit -n to %zu, or lower -max-flows "
		    "to %zu or 0 for the default)", opts->max_flows, socks,
		    socks == 1 ? "" : "s", cf.want_fds, nofile, cf.fit,
		    cf.want_fds, cf.fit);
	/* At most 65,536, or what an int -max-flows asked. */
	opts->max_flows = (int)cf.max;
}

static int
udp_frontend_sock_fd(const struct frontend *fe, int k)
{
	return (UDP_FRONTEND(fe)->fds[k]);
}

/* Every socket is bound before any thread starts. */
static void
udp_frontend_open(struct frontend *fe, struct handover_set *inherited)
{
	struct udp_frontend	*u = UDP_FRONTEND(fe);
	const struct options	*opts = fe->env.opts;
	const struct sockaddr	*sa;
	char			 buf[ADDR_STRLEN], more[48];
	int			 k, got;

	udp_frontend_max_flows(u);
	for (k = 0; k < fe->nsocks; k++) {
		sa = frontend_listen_addr(fe, k);
		addr_format(sa, buf, sizeof(buf));
		/* Inherited: datagrams may be waiting in it already. */
		if ((u->fds[k] = handover_take(inherited, SOCK_DGRAM, sa,
		    opts->dual_stack)) == -1 && (u->fds[k] = net_listen(sa,
		    SOCK_DGRAM, net_share_nth(k % opts->listeners,
		    opts->listeners), (opts->listen_transparent ?
		    NET_LISTEN_TRANSPARENT : 0) | (opts->dual_stack ?
		    NET_LISTEN_DUAL_STACK : 0))) == -1)
			frontend_bind_failed(fe, k);
		/* The kernel reports twice what it counts as payload. */
		if ((got = net_grow_rcvbuf(u->fds[k], UDP_FRONTEND_RCVBUF)) ==
		    -1)
			log_warn("%s (udp): receive buffer", buf);
		else if (k == 0 && got / 2 < UDP_FRONTEND_RCVBUF)
			log_info("%s (udp): receive buffer %d KiB (%d asked)",
			    buf, got / 2 / 1024, UDP_FRONTEND_RCVBUF / 1024);
	}
	(void)snprintf(more, sizeof(more), ", up to %d flows each",
	    opts->max_flows);
	frontend_log_listening(fe, udp_frontend_sock_fd, "socket", more);
	log_info("udp: up to %d flows per socket", opts->max_flows);
}

/* Each thread takes its socket. */
static void
udp_frontend_start_threads(struct udp_frontend *u, int paused)
{
	const struct frontend_env *env = &u->fe.env;
	int			 k, rc;

	for (k = 0; k < u->fe.nsocks; k++)
		if ((rc = udp_thread_start(env->opts,
		    &env->endpoints[k / env->opts->listeners], env->allow, k,
		    u->fds[k], paused, &u->threads[k])) != 0)
			fatalx("udp flow thread: %s", strerror(rc));
}

static void
udp_frontend_start(struct frontend *fe, int paused)
{
	udp_frontend_start_threads(UDP_FRONTEND(fe), paused);
	log_info("ready (fd limit %llu)", (unsigned long long)fe->env.nofile);
}

static void
udp_frontend_go(struct frontend *fe)
{
	struct udp_frontend	*u = UDP_FRONTEND(fe);
	int			 k;

	for (k = 0; k < fe->nsocks; k++)
		if (udp_thread_resume(u->threads[k]) == -1)
			fatal("udp %d: epoll_ctl", k);
}

static void
udp_frontend_listen_socks(struct frontend *fe, struct handover_sock *v)
{
	struct udp_frontend	*u = UDP_FRONTEND(fe);
	int			 k;

	for (k = 0; k < fe->nsocks; k++)
		udp_thread_handover_sock(u->threads[k], &v[k]);
}

/* Copies of the sockets, in case the hand-over fails; or NULL. */
static int *
udp_frontend_dup(struct udp_frontend *u)
{
	int	*kept, k;

	if ((kept = calloc((size_t)u->fe.nsocks, sizeof(*kept))) == NULL)
		return (NULL);
	for (k = 0; k < u->fe.nsocks; k++) {
		if ((kept[k] = fcntl(u->fds[k], F_DUPFD_CLOEXEC, 0)) != -1)
			continue;
		while (k-- > 0)
			(void)close(kept[k]);
		free(kept);
		return (NULL);
	}
	return (kept);
}

/*
 * Every thread stops reading its socket, so that no client's datagrams
 * are split between generations, and lingers on for its flows' replies
 * (udp_thread_handover). Copies of the sockets are kept: joining a thread
 * closes its socket, and the new generation may yet vanish.
 */
static void
udp_frontend_hand_off(struct frontend *fe)
{
	struct udp_frontend	*u = UDP_FRONTEND(fe);
	struct timespec		 ts = { 0, 1000000L };
	int			 k;

	u->kept = udp_frontend_dup(u);
	for (k = 0; k < fe->nsocks; k++)
		udp_thread_handover(u->threads[k]);
	for (k = 0; k < fe->nsocks; k++)
		while (!udp_thread_released(u->threads[k]))
			(void)nanosleep(&ts, NULL);
	u->released = 1;
}

/* Not taken: the lingering threads go, new ones read the copies. */
static void
udp_frontend_hand_off_end(struct frontend *fe, int taken)
{
	struct udp_frontend	*u = UDP_FRONTEND(fe);
	int			 k;

	if (taken) {
		for (k = 0; u->kept != NULL && k < fe->nsocks; k++)
			(void)close(u->kept[k]);
		free(u->kept);
		u->kept = NULL;
		return;
	}
	if (u->kept == NULL)
		fatalx("upgrade: cannot serve UDP again: its sockets could "
		    "not be kept");
	for (k = 0; k < fe->nsocks; k++)
		(void)udp_thread_join(u->threads[k]);
	for (k = 0; k < fe->nsocks; k++) {
		udp_thread_log_stats(u->threads[k], "upgrade failed");
		udp_thread_free(u->threads[k]);
		u->fds[k] = u->kept[k];
	}
	free(u->kept);
	u->kept = NULL;
	u->released = 0;
	udp_frontend_start_threads(u, 0);
}

/* Released threads stop by themselves, once their flows are done. */
static void
udp_frontend_stop(struct frontend *fe, int shared)
{
	struct udp_frontend	*u = UDP_FRONTEND(fe);
	int			 k;

	(void)shared;
	for (k = 0; k < fe->nsocks && !u->released; k++)
		udp_thread_stop(u->threads[k]);
}

/* A thread closes its flows as it stops: join waits for them. */
static size_t
udp_frontend_in_flight(struct frontend *fe)
{
	(void)fe;
	return (0);
}

static void
udp_frontend_abort(struct frontend *fe)
{
	(void)fe;
}

static int
udp_frontend_join(struct frontend *fe)
{
	struct udp_frontend	*u = UDP_FRONTEND(fe);
	int			 k, rc = 0;

	for (k = 0; k < fe->nsocks; k++)
		if (udp_thread_join(u->threads[k]) == -1)
			rc = -1;
	return (rc);
}

static void
udp_frontend_log_counters(struct frontend *fe, const char *when)
{
	struct udp_frontend	*u = UDP_FRONTEND(fe);
	int			 k;

	for (k = 0; k < fe->nsocks; k++)
		udp_thread_log_stats(u->threads[k], when);
}

static void
udp_frontend_read_counters(struct frontend *fe, int k, void *snap)
{
	udp_thread_get_stats(UDP_FRONTEND(fe)->threads[k], snap);
}

static void
udp_frontend_render_metrics(struct frontend *fe, struct metrics_buf *b)
{
	metrics_render_counters(b, fe, &udp_stats_table,
	    udp_frontend_read_counters);
}

/* After join (nothing runs any more), or before start. */
static size_t
udp_frontend_free(struct frontend *fe)
{
	struct udp_frontend	*u = UDP_FRONTEND(fe);
	int			 k;

	for (k = 0; k < fe->nsocks; k++)
		if (u->threads[k] != NULL)
			udp_thread_free(u->threads[k]);
	free(u->threads);
	free(u->fds);
	free(u);
	return (0);
}

const struct frontend_ops udp_frontend_ops = {
	.name = "udp",
	.socktype = SOCK_DGRAM,
	.fds_per_socket = CAPACITY_FDS_PER_UDP_LISTENER,
	.open = udp_frontend_open,
	.start = udp_frontend_start,
	.go = udp_frontend_go,
	.listen_socks = udp_frontend_listen_socks,
	.hand_off = udp_frontend_hand_off,
	.hand_off_end = udp_frontend_hand_off_end,
	.stop = udp_frontend_stop,
	.in_flight = udp_frontend_in_flight,
	.abort = udp_frontend_abort,
	.join = udp_frontend_join,
	.log_counters = udp_frontend_log_counters,
	.render_metrics = udp_frontend_render_metrics,
	.free = udp_frontend_free
};
