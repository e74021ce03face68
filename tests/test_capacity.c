/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_capacity.c -- the fd and task budgets: arithmetic at the edges, and
 * pids.max read up a cgroup tree built in a temporary directory.
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/resource.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capacity.h"
#include "test_suites.h"

static void
test_capacity_conns_by_fds_sets_aside_reserve_and_idle_pipes(void)
{
	/* 20,000 fds, 64 idle pipes: (20000 - 64 - 128) / 2. */
	CU_ASSERT_EQUAL(capacity_conns_by_fds(20000, 64, 0), 9904);
	CU_ASSERT_EQUAL(capacity_conns_by_fds(65536, 64, 0), 32672);
	CU_ASSERT_EQUAL(capacity_conns_by_fds(1024, 0, 0), 480);
	/* 1,024 listening sockets: (20000 - 64 - 128 - 1024) / 2. */
	CU_ASSERT_EQUAL(capacity_conns_by_fds(20000, 64, 1024), 9392);
	/* Too small for anything still leaves one connection. */
	CU_ASSERT_EQUAL(capacity_conns_by_fds(100, 64, 0), 1);
	CU_ASSERT_EQUAL(capacity_conns_by_fds(0, 0, 0), 1);
	CU_ASSERT_EQUAL(capacity_conns_by_fds(1024, 0, 1024), 1);
}

static void
test_capacity_conns_by_tasks_takes_two_threads_each(void)
{
	CU_ASSERT_EQUAL(capacity_conns_by_tasks(CAPACITY_UNLIMITED, 1),
	    CAPACITY_UNLIMITED);
	/* 40 tasks, 8 reserved, 1 acceptor: (40 - 9) / 2. */
	CU_ASSERT_EQUAL(capacity_conns_by_tasks(40, 1), 15);
	CU_ASSERT_EQUAL(capacity_conns_by_tasks(4915, 4), 2451);
	CU_ASSERT_EQUAL(capacity_conns_by_tasks(5, 1), 1);
}

static void
test_capacity_listeners_need_a_fd_and_a_thread_each(void)
{
	size_t	need = 0;

	/* 1,024 TCP sockets: 8 to run at all + 1,024 + one connection's 2. */
	CU_ASSERT_EQUAL(capacity_listeners_fit(1034, CAPACITY_UNLIMITED, 1024,
	    CAPACITY_FDS_PER_TCP_LISTENER, &need), 0);
	CU_ASSERT_EQUAL(capacity_listeners_fit(1033, CAPACITY_UNLIMITED, 1024,
	    CAPACITY_FDS_PER_TCP_LISTENER, &need), CAPACITY_SHORT_FDS);
	CU_ASSERT_EQUAL(need, 1034);
	/* UDP sockets hold an epoll and an eventfd as well. */
	CU_ASSERT_EQUAL(capacity_listeners_fit(1034, CAPACITY_UNLIMITED, 1024,
	    CAPACITY_FDS_PER_UDP_LISTENER, &need), CAPACITY_SHORT_FDS);
	CU_ASSERT_EQUAL(need, 8 + 3 * 1024 + 2);
	/* Threads: 8 reserved + one per socket + one connection's 2. */
	CU_ASSERT_EQUAL(capacity_listeners_fit(65536, 1034, 1024,
	    CAPACITY_FDS_PER_TCP_LISTENER, &need), 0);
	CU_ASSERT_EQUAL(capacity_listeners_fit(65536, 1033, 1024,
	    CAPACITY_FDS_PER_TCP_LISTENER, &need), CAPACITY_SHORT_TASKS);
	CU_ASSERT_EQUAL(need, 1034);
}

static void
test_capacity_flows_by_fds_per_socket(void)
{
	/* 2,000 fds, one socket: (2000 - 64 - 3) / 1. */
	CU_ASSERT_EQUAL(capacity_flows_by_fds(2000, 1, 1), 1933);
	/* Four sockets share the limit; TPROXY reply sockets halve it. */
	CU_ASSERT_EQUAL(capacity_flows_by_fds(65536, 4, 1), 16365);
	CU_ASSERT_EQUAL(capacity_flows_by_fds(65536, 4, 2), 8182);
	/* Too small for anything still leaves one flow. */
	CU_ASSERT_EQUAL(capacity_flows_by_fds(60, 1, 1), 1);
	CU_ASSERT_EQUAL(capacity_flows_by_fds(1000, 0, 1), 1);
	/* The inverse: what the flows that fit need stays within it. */
	CU_ASSERT_EQUAL(capacity_fds_for_flows(1933, 1, 1), 2000);
	CU_ASSERT(capacity_fds_for_flows(16365, 4, 1) <= 65536);
	CU_ASSERT(capacity_fds_for_flows(16366, 4, 1) > 65536);
	CU_ASSERT_EQUAL(capacity_fds_for_flows(65536, 1, 1), 65603);
}

static void
test_capacity_conns_plan_cuts_only_the_default(void)
{
	struct capacity_conns	cc;

	/* Room for all: the default, and what it would need. */
	capacity_conns_plan(&cc, 0, CAPACITY_MAX_CONNS_DEFAULT, 1048576,
	    CAPACITY_UNLIMITED, 1, 64);
	CU_ASSERT_EQUAL(cc.want, 10000);
	CU_ASSERT_EQUAL(cc.max, 10000);
	CU_ASSERT_EQUAL(cc.by_tasks, CAPACITY_UNLIMITED);
	/* (1048576 - 64 - 1 - 128) / 2, and 20,000 + 64 + 128 + 1. */
	CU_ASSERT_EQUAL(cc.fit, 524191);
	CU_ASSERT_EQUAL(cc.want_fds, 20193);
	CU_ASSERT_EQUAL(cc.want_threads, 20000);
	CU_ASSERT_EQUAL(cc.want_tasks, 20009);
	/* TasksMax=40: the default is cut to the 15 that fit. */
	capacity_conns_plan(&cc, 0, CAPACITY_MAX_CONNS_DEFAULT, 1048576, 40, 1,
	    64);
	CU_ASSERT_EQUAL(cc.by_tasks, 15);
	CU_ASSERT_EQUAL(cc.fit, 15);
	CU_ASSERT_EQUAL(cc.max, 15);
	/* The fd limit cuts it too, and the lower limit wins. */
	capacity_conns_plan(&cc, 0, CAPACITY_MAX_CONNS_DEFAULT, 1024, 40, 4,
	    64);
	CU_ASSERT_EQUAL(cc.by_fds, 414);
	CU_ASSERT_EQUAL(cc.by_tasks, 14);
	CU_ASSERT_EQUAL(cc.max, 14);
	/* An explicit -max-conns stays, whatever fits. */
	capacity_conns_plan(&cc, 200, CAPACITY_MAX_CONNS_DEFAULT, 256,
	    CAPACITY_UNLIMITED, 1, 64);
	CU_ASSERT_EQUAL(cc.by_fds, 31);
	CU_ASSERT_EQUAL(cc.max, 200);
	CU_ASSERT_EQUAL(cc.want_fds, 593);
	/* Below the limits, the default is as asked. */
	capacity_conns_plan(&cc, 0, 5, 1048576, CAPACITY_UNLIMITED, 1, 64);
	CU_ASSERT_EQUAL(cc.max, 5);
}

static void
test_capacity_flows_plan_cuts_only_the_default(void)
{
	struct capacity_flows	cf;

	/* udp_fdlimit.sh's case: 2,000 fds, one socket. */
	capacity_flows_plan(&cf, 0, CAPACITY_MAX_FLOWS_DEFAULT, 2000, 1, 1);
	CU_ASSERT_EQUAL(cf.fit, 1933);
	CU_ASSERT_EQUAL(cf.max, 1933);
	CU_ASSERT_EQUAL(cf.want, 65536);
	CU_ASSERT_EQUAL(cf.want_fds, 65603);
	/* Room for all: two sockets, a reply socket per flow. */
	capacity_flows_plan(&cf, 0, CAPACITY_MAX_FLOWS_DEFAULT, 1048576, 2, 2);
	CU_ASSERT_EQUAL(cf.fit, 262126);
	CU_ASSERT_EQUAL(cf.max, 65536);
	/* Exactly enough is enough. */
	capacity_flows_plan(&cf, 0, CAPACITY_MAX_FLOWS_DEFAULT, 65603, 1, 1);
	CU_ASSERT_EQUAL(cf.max, 65536);
	capacity_flows_plan(&cf, 0, CAPACITY_MAX_FLOWS_DEFAULT, 65602, 1, 1);
	CU_ASSERT_EQUAL(cf.max, 65535);
	/* An explicit -max-flows stays, whatever fits. */
	capacity_flows_plan(&cf, 5000, CAPACITY_MAX_FLOWS_DEFAULT, 2000, 1, 2);
	CU_ASSERT_EQUAL(cf.fit, 966);
	CU_ASSERT_EQUAL(cf.max, 5000);
	CU_ASSERT_EQUAL(cf.want_fds, 10067);
}

static void
test_capacity_pipe_low_water_leaves_room_for_a_burst(void)
{
	/* 16 transient, 1 acceptor's fd, 64 connections of 2. */
	CU_ASSERT_EQUAL(capacity_pipe_low_water(1, 12000, 0), 145);
	CU_ASSERT_EQUAL(capacity_pipe_low_water(1, 12000, 11936), 145);
	/* Fewer may come near -max-conns: the slots hold them back. */
	CU_ASSERT_EQUAL(capacity_pipe_low_water(1, 9903, 9850), 123);
	CU_ASSERT_EQUAL(capacity_pipe_low_water(1, 100, 100), 17);
	CU_ASSERT_EQUAL(capacity_pipe_low_water(1, 100, 150), 17);
	CU_ASSERT_EQUAL(capacity_pipe_low_water(1024, 10, 0), 1060);
}

static void
test_capacity_fds_free_stops_at_zero(void)
{
	CU_ASSERT_EQUAL(capacity_fds_free(20000, 19853), 147);
	CU_ASSERT_EQUAL(capacity_fds_free(20000, 20000), 0);
	CU_ASSERT_EQUAL(capacity_fds_free(20000, 20001), 0);
	CU_ASSERT_EQUAL(capacity_fds_free(0, 0), 0);
}

/* Pipes that fit in 20,000 fds beside conns of -max-conns 12000. */
static size_t
pipes_beside(size_t conns)
{
	size_t	fixed = 6, pipes = 0;

	while (capacity_fds_free(20000, fixed + 2 * conns + 2 * pipes) >=
	    capacity_pipe_low_water(1, 12000, conns) + CAPACITY_FDS_PER_PIPE)
		pipes++;
	return (pipes);
}

/*
 * The case: -max-conns 12000 under 20,000 fds (the old budget
 * left one pipe for the whole process), a 50-connection flood beside
 * 1,000 idle connections: every one of its 100 directions gets a pipe;
 * beside 9,800, 74 of them do.
 */
static void
test_capacity_pipes_follow_use_not_max_conns(void)
{
	CU_ASSERT(pipes_beside(1050) >= 100);
	CU_ASSERT_EQUAL(pipes_beside(9850), 74);
}

static void
put(const char *dir, const char *file, const char *value)
{
	char	path[PATH_MAX];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	CU_ASSERT_FATAL((f = fopen(path, "w")) != NULL);
	fputs(value, f);
	fclose(f);
}

static void
test_capacity_tasks_take_the_lowest_level_of_the_cgroup_tree(void)
{
	char		root[] = "/tmp/test_budget.XXXXXX";
	char		a[PATH_MAX], b[PATH_MAX];
	struct rlimit	rl;
	size_t		nproc = CAPACITY_UNLIMITED;

	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		nproc = (size_t)rl.rlim_cur;
	CU_ASSERT_FATAL(mkdtemp(root) != NULL);
	snprintf(a, sizeof(a), "%s/system.slice", root);
	snprintf(b, sizeof(b), "%s/system.slice/mmproxyd.service", root);
	CU_ASSERT_FATAL(mkdir(a, 0700) == 0 && mkdir(b, 0700) == 0);

	/* No pids files anywhere: only RLIMIT_NPROC counts. */
	CU_ASSERT_EQUAL(capacity_tasks_in_cgroup(root,
	    "/system.slice/mmproxyd.service"), nproc);
	/* The unit's TasksMax=40 with 3 tasks running. */
	put(b, "pids.max", "40\n");
	put(b, "pids.current", "3\n");
	CU_ASSERT_EQUAL(capacity_tasks_in_cgroup(root,
	    "/system.slice/mmproxyd.service"), 37 < nproc ? 37 : nproc);
	/* A parent's lower limit wins; "max" means no limit there. */
	put(a, "pids.max", "20\n");
	put(a, "pids.current", "10\n");
	CU_ASSERT_EQUAL(capacity_tasks_in_cgroup(root,
	    "/system.slice/mmproxyd.service"), 10);
	put(a, "pids.max", "max\n");
	CU_ASSERT_EQUAL(capacity_tasks_in_cgroup(root,
	    "/system.slice/mmproxyd.service"), 37 < nproc ? 37 : nproc);
	/* Over the limit already: nothing left. Garbage is ignored. */
	put(b, "pids.current", "41\n");
	CU_ASSERT_EQUAL(capacity_tasks_in_cgroup(root,
	    "/system.slice/mmproxyd.service"), 0);
	put(b, "pids.max", "forty\n");
	CU_ASSERT_EQUAL(capacity_tasks_in_cgroup(root,
	    "/system.slice/mmproxyd.service"), nproc);

	snprintf(a, sizeof(a), "rm -rf %s", root);
	CU_ASSERT(system(a) == 0);
}

void
test_capacity_register(void)
{
	CU_pSuite	s = test_suite_add("capacity");

	test_add(s, "connections by fds set aside reserve and idle pipes",
	    test_capacity_conns_by_fds_sets_aside_reserve_and_idle_pipes);
	test_add(s, "connections by tasks take two threads each",
	    test_capacity_conns_by_tasks_takes_two_threads_each);
	test_add(s, "listeners need a fd and a thread each",
	    test_capacity_listeners_need_a_fd_and_a_thread_each);
	test_add(s, "flows by fds count per socket",
	    test_capacity_flows_by_fds_per_socket);
	test_add(s, "connections plan cuts only the default",
	    test_capacity_conns_plan_cuts_only_the_default);
	test_add(s, "flows plan cuts only the default",
	    test_capacity_flows_plan_cuts_only_the_default);
	test_add(s, "pipe low-water mark leaves room for a burst",
	    test_capacity_pipe_low_water_leaves_room_for_a_burst);
	test_add(s, "fds free stops at zero",
	    test_capacity_fds_free_stops_at_zero);
	test_add(s, "pipes follow use, not -max-conns",
	    test_capacity_pipes_follow_use_not_max_conns);
	test_add(s, "tasks take the lowest level of the cgroup tree",
	    test_capacity_tasks_take_the_lowest_level_of_the_cgroup_tree);
}
