/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * capacity.c -- what the fd and task limits leave room for: behind the
 * default -max-conns and -max-flows, and the pipes' low-water mark.
 *
 * A unit's TasksMax= (the cgroup's pids.max) is far lower than the
 * threads 10,000 connections need: past it pthread_create fails with
 * EAGAIN and a connection dies after its backend was dialled. Capping
 * the slots instead turns that into backpressure in the listen backlog.
 * Likewise a UDP flow table larger than the fd limit would fail new flows
 * with EMFILE before its least-recently-active eviction ever ran.
 * Pipes are budgeted against the fds in use, not the worst case: see
 * capacity.h for the low-water mark they leave free.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capacity.h"

size_t
capacity_conns_by_fds(size_t nofile, size_t min_pipes, size_t listen_fds)
{
	size_t	set_aside = CAPACITY_FD_RESERVE + listen_fds +
		    min_pipes * CAPACITY_FDS_PER_PIPE;

	if (nofile <= set_aside + CAPACITY_FDS_PER_CONN)
		return (1);
	return ((nofile - set_aside) / CAPACITY_FDS_PER_CONN);
}

size_t
capacity_conns_by_tasks(size_t tasks, size_t listeners)
{
	size_t	set_aside = CAPACITY_TASK_RESERVE + listeners;

	if (tasks == CAPACITY_UNLIMITED)
		return (CAPACITY_UNLIMITED);
	if (tasks <= set_aside + CAPACITY_TASKS_PER_CONN)
		return (1);
	return ((tasks - set_aside) / CAPACITY_TASKS_PER_CONN);
}

int
capacity_listeners_fit(size_t nofile, size_t tasks, size_t sockets,
    size_t fds_each, size_t *need)
{
	size_t	fds = CAPACITY_FD_MIN + sockets * fds_each +
		    CAPACITY_FDS_PER_CONN;
	size_t	threads = CAPACITY_TASK_RESERVE + sockets +
		    CAPACITY_TASKS_PER_CONN;

	if (fds > nofile) {
		*need = fds;
		return (CAPACITY_SHORT_FDS);
	}
	if (tasks != CAPACITY_UNLIMITED && threads > tasks) {
		*need = threads;
		return (CAPACITY_SHORT_TASKS);
	}
	return (0);
}

size_t
capacity_flows_by_fds(size_t nofile, size_t sockets, size_t fds_per_flow)
{
	size_t	set_aside = CAPACITY_FD_RESERVE +
	    sockets * CAPACITY_FDS_PER_UDP_LISTENER;

	if (sockets == 0 || fds_per_flow == 0 ||
	    nofile <= set_aside + sockets * fds_per_flow)
		return (1);
	return ((nofile - set_aside) / (sockets * fds_per_flow));
}

size_t
capacity_fds_for_flows(size_t flows, size_t sockets, size_t fds_per_flow)
{
	return (CAPACITY_FD_RESERVE + sockets * (CAPACITY_FDS_PER_UDP_LISTENER +
	    flows * fds_per_flow));
}

void
capacity_conns_plan(struct capacity_conns *cc, size_t asked, size_t dflt,
    size_t nofile, size_t tasks, size_t listeners, size_t idle_pipes)
{
	cc->want = asked != 0 ? asked : dflt;
	cc->by_fds = capacity_conns_by_fds(nofile, idle_pipes,
	    listeners * CAPACITY_FDS_PER_TCP_LISTENER);
	cc->by_tasks = capacity_conns_by_tasks(tasks, listeners);
	cc->fit = cc->by_fds < cc->by_tasks ? cc->by_fds : cc->by_tasks;
	cc->max = asked != 0 || cc->want < cc->fit ? cc->want : cc->fit;
	cc->want_fds = cc->want * CAPACITY_FDS_PER_CONN + CAPACITY_FD_RESERVE +
	    idle_pipes * CAPACITY_FDS_PER_PIPE +
	    listeners * CAPACITY_FDS_PER_TCP_LISTENER;
	cc->want_threads = cc->want * CAPACITY_TASKS_PER_CONN;
	cc->want_tasks = cc->want_threads + CAPACITY_TASK_RESERVE + listeners;
}

void
capacity_flows_plan(struct capacity_flows *cf, size_t asked, size_t dflt,
    size_t nofile, size_t sockets, size_t fds_per_flow)
{
	cf->want = asked != 0 ? asked : dflt;
	cf->fit = capacity_flows_by_fds(nofile, sockets, fds_per_flow);
	cf->max = asked != 0 || cf->want < cf->fit ? cf->want : cf->fit;
	cf->want_fds = capacity_fds_for_flows(cf->want, sockets, fds_per_flow);
}

size_t
capacity_pipe_low_water(size_t listen_sockets, size_t max_conns, size_t conns)
{
	size_t	may_come = conns < max_conns ? max_conns - conns : 0;

	if (may_come > CAPACITY_PIPE_BURST)
		may_come = CAPACITY_PIPE_BURST;
	return (CAPACITY_FD_TRANSIENT +
	    listen_sockets * CAPACITY_FDS_PER_TCP_LISTENER +
	    may_come * CAPACITY_FDS_PER_CONN);
}

size_t
capacity_fds_free(size_t nofile, size_t in_use)
{
	return (in_use < nofile ? nofile - in_use : 0);
}

/* One number from a cgroup file: 0, 1 for "max", or -1 (errno). */
static int
capacity_read_count(const char *path, unsigned long long *n)
{
	FILE	*f;
	char	 buf[64], *end;
	int	 rc = -1;

	if ((f = fopen(path, "re")) == NULL)
		return (-1);
	if (fgets(buf, sizeof(buf), f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		if (strcmp(buf, "max") == 0)
			rc = 1;
		else {
			errno = 0;
			*n = strtoull(buf, &end, 10);
			rc = (errno == 0 && end != buf && *end == '\0') ? 0 :
			    -1;
		}
	}
	(void)fclose(f);
	return (rc);
}

size_t
capacity_tasks_in_cgroup(const char *root, const char *cgroup_path)
{
	struct rlimit		 rl;
	char			 dir[PATH_MAX], path[PATH_MAX], *slash;
	unsigned long long	 max, cur;
	size_t			 left = CAPACITY_UNLIMITED;

	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		left = (size_t)rl.rlim_cur;
	if (root == NULL || cgroup_path == NULL ||
	    snprintf(dir, sizeof(dir), "%s%s", root, cgroup_path) >=
	    (int)sizeof(dir))
		return (left);
	/* Every level up to the root may set a lower pids.max. */
	for (;;) {
		if (snprintf(path, sizeof(path), "%s/pids.max", dir) <
		    (int)sizeof(path) && capacity_read_count(path, &max) == 0 &&
		    snprintf(path, sizeof(path), "%s/pids.current", dir) <
		    (int)sizeof(path) && capacity_read_count(path, &cur) == 0) {
			cur = cur < max ? max - cur : 0;
			if (cur < left)
				left = (size_t)cur;
		}
		if (strlen(dir) <= strlen(root) ||
		    (slash = strrchr(dir, '/')) == NULL)
			break;
		*slash = '\0';
	}
	return (left);
}

size_t
capacity_tasks(void)
{
	FILE	*f;
	char	 line[PATH_MAX + 64], *ctl, *path, *tok, *save;
	char	 cg[PATH_MAX];
	size_t	 v1 = CAPACITY_UNLIMITED, v2 = CAPACITY_UNLIMITED;

	if ((f = fopen("/proc/self/cgroup", "re")) == NULL)
		return (capacity_tasks_in_cgroup(NULL, NULL));
	/* "ID:CONTROLLERS:PATH"; cgroup v2 is "0::PATH". */
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((ctl = strchr(line, ':')) == NULL ||
		    (path = strchr(++ctl, ':')) == NULL)
			continue;
		*path++ = '\0';
		/* The root cgroup's "/" is kept out of the path join. */
		(void)snprintf(cg, sizeof(cg), "%s",
		    strcmp(path, "/") == 0 ? "" : path);
		if (*ctl == '\0') {
			v2 = capacity_tasks_in_cgroup("/sys/fs/cgroup", cg);
			continue;
		}
		for (tok = strtok_r(ctl, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, "pids") == 0)
				v1 = capacity_tasks_in_cgroup(
				    "/sys/fs/cgroup/pids", cg);
	}
	(void)fclose(f);
	return (v1 < v2 ? v1 : v2);
}
