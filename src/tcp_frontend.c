/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * tcp_frontend.c -- the TCP front end: -max-conns from the limits, the
 * listeners, the pool and bufpipes their relays share, and their shutdown.
 *
 * The main thread owns all of it. A relay reaches its listener's list,
 * the pool and the bufpipes until it ends, so none of them is freed while
 * one runs (tcp_frontend_free).
 */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "capacity.h"
#include "counter_table.h"
#include "duration.h"
#include "endpoint.h"
#include "handover.h"
#include "log.h"
#include "metrics_family.h"
#include "metrics_render.h"
#include "options.h"
#include "tcp_frontend.h"
#include "tcp_listener.h"
#include "tcp_stats.h"

/*
 * Relay threads need little stack: a 256-byte header buffer, a log line
 * (4 KiB in JSON) and libc's formatting below it; copy buffers and pipes come
 * from the bufpipe pool. Measured: an idle relay thread touches two pages
 * (8 KiB). 64 KiB leaves ample room, where the default would reserve
 * 8 MiB of address space per thread.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TCP_FRONTEND_STACK_SIZE	(1024 * 1024)	/* sanitizers pad frames */
#else
#define TCP_FRONTEND_STACK_SIZE	(64 * 1024)
#endif
#define TCP_FRONTEND_PIPE_SIZE	(64 * 1024)

#define TCP_FRONTEND(fe)	((struct tcp_frontend *)(void *)(fe))

struct frontend *
tcp_frontend_new(const struct frontend_env *env)
{
	struct tcp_frontend	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("calloc");
	t->fe.ops = &tcp_frontend_ops;
	t->fe.env = *env;
	/* Both at most 1,024: the product fits an int. */
	t->fe.nsocks = (int)env->nendpoints * env->opts->listeners;
	return (&t->fe);
}

/*
 * -max-conns, or as many as the fd and task limits allow (at most
 * CAPACITY_MAX_CONNS_DEFAULT); warn when a limit is lower than asked.
 */
static void
tcp_frontend_max_conns(struct tcp_frontend *t)
{
	const struct options	*opts = t->fe.env.opts;
	struct capacity_conns	 cc;
	size_t			 tasks = capacity_tasks();

	capacity_conns_plan(&cc, (size_t)opts->max_conns,
	    CAPACITY_MAX_CONNS_DEFAULT, t->fe.env.nofile, tasks,
	    (size_t)t->fe.nsocks, TCP_FRONTEND_BUFPIPES_IDLE);
	if (cc.want > cc.by_fds && opts->max_conns != 0)
		log_warnx("-max-conns %d needs about %zu file descriptors "
		    "but the limit is %llu: at most %zu connections fit "
		    "(raise the limit with ulimit -n or LimitNOFILE=)",
		    opts->max_conns, cc.want_fds,
		    (unsigned long long)t->fe.env.nofile, cc.by_fds);
	if (cc.want > cc.by_tasks)
		log_warnx("%s%zu needs %zu threads but the task limit "
		    "(TasksMax=, the cgroup's pids.max or ulimit -u) leaves "
		    "%zu: %s %zu connections (raise TasksMax= to %zu)",
		    opts->max_conns != 0 ? "-max-conns " :
		    "default -max-conns ", cc.want, cc.want_threads, tasks,
		    opts->max_conns != 0 ? "at most" : "capped at",
		    cc.by_tasks, cc.want_tasks);
	t->max_conns = cc.max;
	t->fit = cc.fit;
}

static int
tcp_frontend_sock_fd(const struct frontend *fe, int k)
{
	return (TCP_FRONTEND(fe)->listeners[k].fd);
}

/* Socket k listens on endpoint k / -listeners: copies sit side by side. */
static void
tcp_frontend_open(struct frontend *fe, struct handover_set *inherited)
{
	struct tcp_frontend	*t = TCP_FRONTEND(fe);
	const struct frontend_env *env = &fe->env;
	int			 k;

	tcp_frontend_max_conns(t);
	if (tcp_pool_init(&t->pool, t->max_conns,
	    TCP_FRONTEND_STACK_SIZE) == -1 ||
	    tcp_bufpipe_pool_init(&t->bufpipes, TCP_FRONTEND_BUFPIPES_IDLE,
	    TCP_FRONTEND_PIPE_SIZE, &t->gauge) == -1)
		fatal("out of memory");
	if ((t->listeners = calloc((size_t)fe->nsocks,
	    sizeof(*t->listeners))) == NULL)
		fatal("calloc");
	for (k = 0; k < fe->nsocks; k++)
		if (tcp_listener_open(&t->listeners[k], k, env->opts,
		    &env->endpoints[k / env->opts->listeners], &t->pool,
		    &t->bufpipes, env->allow, handover_take(inherited,
		    SOCK_STREAM, frontend_listen_addr(fe, k),
		    env->opts->dual_stack)) == -1)
			frontend_bind_failed(fe, k);
	frontend_log_listening(fe, tcp_frontend_sock_fd, "listener", "");
}

/*
 * Before the first connection: what is open now (listeners, -metrics,
 * stdio) stays open; pipes may use what connections leave (capacity.h).
 * Without /proc, the reserve the default -max-conns assumes.
 */
static void
tcp_frontend_init_gauge(struct tcp_frontend *t)
{
	size_t	open_now, socks = (size_t)t->fe.nsocks;

	if (tcp_fd_gauge_count_open(&open_now) == -1) {
		log_warn("cannot count open fds in /proc/self/fd, assuming %zu",
		    CAPACITY_FD_RESERVE + socks);
		open_now = CAPACITY_FD_RESERVE + socks;
	}
	tcp_fd_gauge_init(&t->gauge, t->fe.env.nofile, open_now, socks,
	    t->max_conns);
}

/*
 * The acceptors start at once, paused or not: during a hot upgrade both
 * generations accept from the same queues.
 */
static void
tcp_frontend_start(struct frontend *fe, int paused)
{
	struct tcp_frontend	*t = TCP_FRONTEND(fe);
	int			 k, rc;

	(void)paused;
	/*
	 * Every thread made from here on inherits SCHED_BATCH, so a relay
	 * woken by a few bytes waits for the running task's turn to end
	 * instead of preempting it (the backend, often on the same CPUs).
	 * Measured in bench/README.md: far fewer switches and more
	 * throughput when CPUs are shared; a little more latency when the
	 * proxy's own CPU is saturated. UDP's threads gain nothing.
	 */
	if (fe->env.opts->sched_batch && sched_setscheduler(0, SCHED_BATCH,
	    &(struct sched_param){ .sched_priority = 0 }) == -1)
		log_warn("SCHED_BATCH (threads keep the normal policy)");
	tcp_frontend_init_gauge(t);
	for (k = 0; k < fe->nsocks; k++)
		if ((rc = tcp_listener_start(&t->listeners[k])) != 0)
			fatalx("pthread_create: %s", strerror(rc));
	if (t->max_conns > t->fit)
		log_info("ready: up to %zu connections, but only about %zu "
		    "fit the fd and task limits", t->max_conns, t->fit);
	else
		log_info("ready: up to %zu connections (fd limit %llu)",
		    t->max_conns, (unsigned long long)fe->env.nofile);
}

/* Started unpaused. */
static void
tcp_frontend_go(struct frontend *fe)
{
	(void)fe;
}

static void
tcp_frontend_listen_socks(struct frontend *fe, struct handover_sock *v)
{
	struct tcp_frontend	*t = TCP_FRONTEND(fe);
	int			 k;

	for (k = 0; k < fe->nsocks; k++)
		tcp_listener_handover_sock(&t->listeners[k], &v[k]);
}

/*
 * Nothing to let go of: a connection is accepted by one generation or
 * the other from the queue they share, and ours stop accepting when
 * this one shuts down.
 */
static void
tcp_frontend_hand_off(struct frontend *fe)
{
	(void)fe;
}

static void
tcp_frontend_hand_off_end(struct frontend *fe, int taken)
{
	(void)fe;
	(void)taken;
}

/*
 * Every acceptor is told first, so none takes a slot that tcp_pool_stop
 * frees; then each is joined. Shared: ours close now, and the queue
 * lives on in the other generation.
 */
static void
tcp_frontend_stop(struct frontend *fe, int shared)
{
	struct tcp_frontend	*t = TCP_FRONTEND(fe);
	char			 grace[DURATION_STRLEN];
	size_t			 left;
	int			 k;

	for (k = 0; k < fe->nsocks; k++)
		tcp_listener_stop(&t->listeners[k], shared);
	tcp_pool_stop(&t->pool);
	for (k = 0; k < fe->nsocks; k++) {
		tcp_listener_join(&t->listeners[k]);
		if (shared)
			tcp_listener_close(&t->listeners[k]);
	}
	/* Acceptors gave their slots back: what is left is in flight. */
	left = tcp_pool_conns(&t->pool);
	log_info("stopping: %zu connection%s in flight, grace %s", left,
	    left == 1 ? "" : "s", duration_format(
	    fe->env.opts->shutdown_timeout_ms, grace, sizeof(grace)));
}

static size_t
tcp_frontend_in_flight(struct frontend *fe)
{
	return (tcp_pool_conns(&TCP_FRONTEND(fe)->pool));
}

static void
tcp_frontend_abort(struct frontend *fe)
{
	struct tcp_frontend	*t = TCP_FRONTEND(fe);
	int			 k;

	for (k = 0; k < fe->nsocks; k++)
		tcp_listener_abort_conns(&t->listeners[k]);
}

/* The acceptors were joined by stop; relays are waited for as in_flight. */
static int
tcp_frontend_join(struct frontend *fe)
{
	(void)fe;
	return (0);
}

static void
tcp_frontend_log_counters(struct frontend *fe, const char *when)
{
	struct tcp_frontend	*t = TCP_FRONTEND(fe);
	int			 k;

	for (k = 0; k < fe->nsocks; k++)
		tcp_listener_log_stats(&t->listeners[k], when);
}

static void
tcp_frontend_read_counters(struct frontend *fe, int k, void *snap)
{
	counter_table_read(&tcp_stats_table,
	    &TCP_FRONTEND(fe)->listeners[k].cs.stats, snap);
}

/*
 * The process-wide gauges of the pool and bufpipes, written by hand under
 * the names and help of the family table, then the listeners' counters.
 */
static void
tcp_frontend_render_metrics(struct frontend *fe, struct metrics_buf *b)
{
	struct tcp_frontend	*t = TCP_FRONTEND(fe);
	const char		*threads;
	size_t			 total, idle;

	tcp_pool_threads(&t->pool, &total, &idle);
	threads = metrics_families[METRICS_FAM_POOL_THREADS].name;
	metrics_render_head(b, METRICS_FAM_POOL_THREADS);
	metrics_buf_printf(b, "%s{state=\"busy\"} %zu\n%s{state=\"idle\"} "
	    "%zu\n", threads, total - idle, threads, idle);
	metrics_render_gauge(b, METRICS_FAM_SLOTS_USED,
	    tcp_pool_conns(&t->pool));
	metrics_render_gauge(b, METRICS_FAM_SLOTS_LIMIT, t->pool.max_conns);
	metrics_render_gauge(b, METRICS_FAM_KITS_IN_USE, (size_t)
	    atomic_load_explicit(&t->bufpipes.nlent, memory_order_relaxed));
	metrics_render_gauge(b, METRICS_FAM_PIPES_OPEN, (size_t)
	    atomic_load_explicit(&t->gauge.pipes, memory_order_relaxed));
	metrics_render_counters(b, fe, &tcp_stats_table,
	    tcp_frontend_read_counters);
}

/*
 * A relay still running reaches its listener's list, the pool and the
 * bufpipes: free them only when none is left. Otherwise they stay, and the
 * kernel closes what the relays held at exit.
 */
static size_t
tcp_frontend_free(struct frontend *fe)
{
	struct tcp_frontend	*t = TCP_FRONTEND(fe);
	size_t			 left;
	int			 k;

	if (t->listeners == NULL) {	/* never opened */
		free(t);
		return (0);
	}
	for (k = 0; k < fe->nsocks; k++)
		tcp_listener_close(&t->listeners[k]);
	if ((left = tcp_pool_conns(&t->pool)) != 0) {
		log_info("exiting with %zu connection%s still closing", left,
		    left == 1 ? "" : "s");
		return (left);
	}
	for (k = 0; k < fe->nsocks; k++)
		tcp_conns_destroy(&t->listeners[k].cs);
	tcp_pool_destroy(&t->pool);
	tcp_bufpipe_pool_destroy(&t->bufpipes);
	free(t->listeners);
	free(t);
	return (0);
}

const struct frontend_ops tcp_frontend_ops = {
	.name = "tcp",
	.socktype = SOCK_STREAM,
	.fds_per_socket = CAPACITY_FDS_PER_TCP_LISTENER,
	.open = tcp_frontend_open,
	.start = tcp_frontend_start,
	.go = tcp_frontend_go,
	.listen_socks = tcp_frontend_listen_socks,
	.hand_off = tcp_frontend_hand_off,
	.hand_off_end = tcp_frontend_hand_off_end,
	.stop = tcp_frontend_stop,
	.in_flight = tcp_frontend_in_flight,
	.abort = tcp_frontend_abort,
	.join = tcp_frontend_join,
	.log_counters = tcp_frontend_log_counters,
	.render_metrics = tcp_frontend_render_metrics,
	.free = tcp_frontend_free
};
