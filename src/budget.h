/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * budget.h -- how many TCP connections the process limits allow: file
 * descriptors (two sockets each, plus the kits' pipes) and tasks (two
 * relay threads each, under RLIMIT_NPROC and the cgroup's pids.max),
 * once the listening sockets and their threads have theirs; and how many
 * UDP flows fit in the descriptors.
 */
#ifndef MMPROXYD_BUDGET_H
#define MMPROXYD_BUDGET_H

#include <stddef.h>

#define BUDGET_FD_RESERVE	64	/* listeners, logs, the odd file */
/* Fewer than this and nothing can run: stdio, the log, a file or two. */
#define BUDGET_FD_MIN		8
#define BUDGET_FDS_PER_CONN	2	/* two sockets */
#define BUDGET_FDS_PER_PIPE	2
#define BUDGET_TASK_RESERVE	8	/* main, spare, sanitizer threads */
#define BUDGET_TASKS_PER_CONN	2	/* at most a thread per direction */
/* A listening socket has one thread; a UDP one an epoll and eventfd too. */
#define BUDGET_FDS_PER_TCP_LISTENER	1
#define BUDGET_FDS_PER_UDP_LISTENER	3
#define BUDGET_SHORT_FDS	1
#define BUDGET_SHORT_TASKS	2
#define BUDGET_UNLIMITED	((size_t)-1)

/*
 * Connections that fit in nofile descriptors once min_pipes pipes (the
 * idle kits'), listen_fds and the reserve are set aside; at least 1.
 */
size_t	budget_conns_by_fds(size_t nofile, size_t min_pipes,
	    size_t listen_fds);

/*
 * Connections whose threads fit in tasks more tasks, beside the reserve
 * and one thread per listening socket; at least 1.
 */
size_t	budget_conns_by_tasks(size_t tasks, size_t listeners);

/*
 * UDP flows per socket (-max-flows counts per socket) that fit in nofile
 * descriptors across sockets listening sockets, each flow holding
 * fds_per_flow (its own socket, plus a TPROXY reply socket in the worst
 * case), once the reserve is set aside; at least 1.
 */
size_t	budget_flows_by_fds(size_t nofile, size_t sockets,
	    size_t fds_per_flow);

/* Descriptors that flows flows on each of sockets sockets need in all. */
size_t	budget_fds_for_flows(size_t flows, size_t sockets,
	    size_t fds_per_flow);

/*
 * Whether sockets listening sockets, fds_each descriptors and one thread
 * apiece, fit in nofile and tasks with the reserve and room for one
 * connection. Returns 0, BUDGET_SHORT_FDS or BUDGET_SHORT_TASKS; *need
 * is then what the limit should be at least.
 */
int	budget_listeners_fit(size_t nofile, size_t tasks, size_t sockets,
	    size_t fds_each, size_t *need);

/*
 * Pipes the kits may hold at once: the descriptors max_conns leave over,
 * at most two per connection (one per busy direction), at least 1.
 */
size_t	budget_pipes(size_t nofile, size_t max_conns);

/*
 * Tasks this process may still start: the smallest of RLIMIT_NPROC and,
 * up the cgroup tree from cgroup_path, of pids.max - pids.current.
 * root is the pids hierarchy's mount point. BUDGET_UNLIMITED when
 * nothing limits it.
 */
size_t	budget_tasks_in_cgroup(const char *root, const char *cgroup_path);

/* budget_tasks_in_cgroup for this process, found in /proc/self/cgroup. */
size_t	budget_tasks(void);

#endif
