/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * budget.h -- how many TCP connections the process limits allow: file
 * descriptors (two sockets each, plus the kits' pipes) and tasks (two
 * relay threads each, under RLIMIT_NPROC and the cgroup's pids.max).
 */
#ifndef MMPROXYD_BUDGET_H
#define MMPROXYD_BUDGET_H

#include <stddef.h>

#define BUDGET_FD_RESERVE	64	/* listeners, logs, the odd file */
#define BUDGET_FDS_PER_CONN	2	/* two sockets */
#define BUDGET_FDS_PER_PIPE	2
#define BUDGET_TASK_RESERVE	8	/* main, spare, sanitizer threads */
#define BUDGET_TASKS_PER_CONN	2	/* one relay thread per direction */
#define BUDGET_UNLIMITED	((size_t)-1)

/*
 * Connections that fit in nofile descriptors once min_pipes pipes (the
 * idle kits') and the reserve are set aside; at least 1.
 */
size_t	budget_conns_by_fds(size_t nofile, size_t min_pipes);

/* Connections whose threads fit in tasks more tasks; at least 1. */
size_t	budget_conns_by_tasks(size_t tasks, size_t listeners);

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
