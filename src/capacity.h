/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * capacity.h -- how many TCP connections the process limits allow: file
 * descriptors (two sockets each, plus the bufpipes' pipes) and tasks (two
 * relay threads each, under RLIMIT_NPROC and the cgroup's pids.max),
 * once the listening sockets and their threads have theirs; how many
 * UDP flows fit in the descriptors; and when a pipe may be made.
 */
#ifndef MMPROXYD_CAPACITY_H
#define MMPROXYD_CAPACITY_H

#include <stddef.h>

#define CAPACITY_FD_RESERVE	64	/* listeners, logs, the odd file */
/* Fewer than this and nothing can run: stdio, the log, a file or two. */
#define CAPACITY_FD_MIN		8
#define CAPACITY_FDS_PER_CONN	2	/* two sockets */
#define CAPACITY_FDS_PER_PIPE	2
#define CAPACITY_TASK_RESERVE	8	/* main, spare, sanitizer threads */
#define CAPACITY_TASKS_PER_CONN	2	/* at most a thread per direction */
/* A listening socket has one thread; a UDP one an epoll and eventfd too. */
#define CAPACITY_FDS_PER_TCP_LISTENER	1
#define CAPACITY_FDS_PER_UDP_LISTENER	3
#define CAPACITY_SHORT_FDS	1
#define CAPACITY_SHORT_TASKS	2
#define CAPACITY_UNLIMITED	((size_t)-1)
/* -max-conns 0 and -max-flows 0: these, or fewer if the limits say so. */
#define CAPACITY_MAX_CONNS_DEFAULT	10000
#define CAPACITY_MAX_FLOWS_DEFAULT	65536	/* per UDP socket */

/*
 * Connections that fit in nofile descriptors once min_pipes pipes (the
 * idle bufpipes'), listen_fds and the reserve are set aside; at least 1.
 */
size_t	capacity_conns_by_fds(size_t nofile, size_t min_pipes,
	    size_t listen_fds);

/*
 * Connections whose threads fit in tasks more tasks, beside the reserve
 * and one thread per listening socket; at least 1.
 */
size_t	capacity_conns_by_tasks(size_t tasks, size_t listeners);

/*
 * UDP flows per socket (-max-flows counts per socket) that fit in nofile
 * descriptors across sockets listening sockets, each flow holding
 * fds_per_flow (its own socket, plus a TPROXY reply socket in the worst
 * case), once the reserve is set aside; at least 1.
 */
size_t	capacity_flows_by_fds(size_t nofile, size_t sockets,
	    size_t fds_per_flow);

/* Descriptors that flows flows on each of sockets sockets need in all. */
size_t	capacity_fds_for_flows(size_t flows, size_t sockets,
	    size_t fds_per_flow);

/*
 * Whether sockets listening sockets, fds_each descriptors and one thread
 * apiece, fit in nofile and tasks with the reserve and room for one
 * connection. Returns 0, CAPACITY_SHORT_FDS or CAPACITY_SHORT_TASKS; *need
 * is then what the limit should be at least.
 */
int	capacity_listeners_fit(size_t nofile, size_t tasks, size_t sockets,
	    size_t fds_each, size_t *need);

/* -max-conns against the limits, for capacity_conns_plan. */
struct capacity_conns {
	size_t	want;		/* -max-conns, or the default */
	size_t	max;		/* in force: want, or the default cut to fit */
	size_t	by_fds;		/* connections the fd limit allows */
	size_t	by_tasks;	/* and the task limit (CAPACITY_UNLIMITED) */
	size_t	fit;		/* the lower of the two */
	size_t	want_fds;	/* the fd limit want needs */
	size_t	want_threads;	/* relay threads want may run */
	size_t	want_tasks;	/* the task limit want needs */
};

/*
 * asked connections (-max-conns; 0 for dflt, which is cut to what fits)
 * on listeners TCP listening sockets, idle_pipes pipes kept by idle
 * bufpipes, in nofile descriptors and tasks tasks. An explicit -max-conns
 * stays as asked: the caller warns when it does not fit.
 */
void	capacity_conns_plan(struct capacity_conns *cc, size_t asked,
	    size_t dflt, size_t nofile, size_t tasks, size_t listeners,
	    size_t idle_pipes);

/* -max-flows against the fd limit, for capacity_flows_plan. */
struct capacity_flows {
	size_t	want;		/* -max-flows, or the default */
	size_t	max;		/* in force: want, or the default cut to fit */
	size_t	fit;		/* per socket, in the fd limit */
	size_t	want_fds;	/* the fd limit want needs */
};

/*
 * asked flows per socket (-max-flows; 0 for dflt, which is cut to what
 * fits) on sockets UDP sockets, fds_per_flow each, in nofile
 * descriptors. An explicit -max-flows stays as asked.
 */
void	capacity_flows_plan(struct capacity_flows *cf, size_t asked,
	    size_t dflt, size_t nofile, size_t sockets, size_t fds_per_flow);

/*
 * Pipes are not budgeted against -max-conns but against the fds in use
 * now (tcp_fd_gauge.c counts them): a pipe is made only while it leaves this
 * low-water mark of fds free, so that a pipe never holds the fd a new
 * connection needs. The mark is the sum of:
 * - CAPACITY_FD_TRANSIENT, the fds opened for a moment beside the counted
 *   ones: up to 8 -metrics clients and the one accepted to replace the
 *   oldest, a list file SIGHUP re-reads, sd_notify's socket: 11, and
 *   room for a few more.
 * - One per listening socket: its acceptor holds the fd accept() gave
 *   until the connection is counted.
 * - Two for each connection that may still come, up to
 *   CAPACITY_PIPE_BURST. Below the mark an idle pipe is closed as soon as
 *   a new connection is counted, but a busy one only at its direction's
 *   next bulk read or the end of its burst: the mark holds what the
 *   acceptors take meanwhile. They take about 10,000 connections a
 *   second at most (bench/README.md, rate), so 64 are 6 ms of them,
 *   while a 64 KiB read through a pipe takes well under 1 ms when the
 *   data flows (one that comes in chunks keeps its pipe between them,
 *   up to the relay's 1 s idle timeout, and a burst of more than 64
 *   connections meanwhile can still find fds short). Near
 *   -max-conns fewer may come and the mark shrinks with them, to 17
 *   at the last slot (one listener): at the default -max-conns, which
 *   sets aside TCP_FRONTEND_BUFPIPES_IDLE pipes and the reserve, the
 *   bufpipes still get more pipes than they keep idle.
 * A direction stalled with bytes in its pipe (a peer that stopped
 * reading) cannot give it back until the peer reads or -keepalive gives
 * up on it; such pipes were all made above the mark.
 */
#define CAPACITY_FD_TRANSIENT	16
#define CAPACITY_PIPE_BURST	64

/*
 * The low-water mark with conns of max_conns connections counted, for
 * listen_sockets listening sockets.
 */
size_t	capacity_pipe_low_water(size_t listen_sockets, size_t max_conns,
	    size_t conns);

/* fds free of nofile with in_use in use; 0 when over. */
size_t	capacity_fds_free(size_t nofile, size_t in_use);

/*
 * Tasks this process may still start: the smallest of RLIMIT_NPROC and,
 * up the cgroup tree from cgroup_path, of pids.max - pids.current.
 * root is the pids hierarchy's mount point. CAPACITY_UNLIMITED when
 * nothing limits it.
 */
size_t	capacity_tasks_in_cgroup(const char *root, const char *cgroup_path);

/* capacity_tasks_in_cgroup for this process, found in /proc/self/cgroup. */
size_t	capacity_tasks(void);

#endif
