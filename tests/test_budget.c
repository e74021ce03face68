/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_budget.c -- the fd and task budgets: arithmetic at the edges, and
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

#include "budget.h"
#include "test_suites.h"

static void
test_budget_conns_by_fds_sets_aside_reserve_and_idle_pipes(void)
{
	/* 20,000 fds, 64 idle pipes: (20000 - 64 - 128) / 2. */
	CU_ASSERT_EQUAL(budget_conns_by_fds(20000, 64), 9904);
	CU_ASSERT_EQUAL(budget_conns_by_fds(65536, 64), 32672);
	CU_ASSERT_EQUAL(budget_conns_by_fds(1024, 0), 480);
	/* Too small for anything still leaves one connection. */
	CU_ASSERT_EQUAL(budget_conns_by_fds(100, 64), 1);
	CU_ASSERT_EQUAL(budget_conns_by_fds(0, 0), 1);
}

static void
test_budget_conns_by_tasks_takes_two_threads_each(void)
{
	CU_ASSERT_EQUAL(budget_conns_by_tasks(BUDGET_UNLIMITED, 1),
	    BUDGET_UNLIMITED);
	/* 40 tasks, 8 reserved, 1 acceptor: (40 - 9) / 2. */
	CU_ASSERT_EQUAL(budget_conns_by_tasks(40, 1), 15);
	CU_ASSERT_EQUAL(budget_conns_by_tasks(4915, 4), 2451);
	CU_ASSERT_EQUAL(budget_conns_by_tasks(5, 1), 1);
}

static void
test_budget_pipes_get_what_the_connections_leave(void)
{
	/* The default on this kind of host: exactly the idle kits' 64. */
	CU_ASSERT_EQUAL(budget_pipes(20000, 9904), 64);
	/* Never more than one per direction. */
	CU_ASSERT_EQUAL(budget_pipes(65536, 10), 20);
	CU_ASSERT_EQUAL(budget_pipes(65536, 10000), 20000);
	/* Overcommitted: at least one, so the pool still works. */
	CU_ASSERT_EQUAL(budget_pipes(1024, 5000), 1);
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
test_budget_tasks_take_the_lowest_level_of_the_cgroup_tree(void)
{
	char		root[] = "/tmp/test_budget.XXXXXX";
	char		a[PATH_MAX], b[PATH_MAX];
	struct rlimit	rl;
	size_t		nproc = BUDGET_UNLIMITED;

	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		nproc = (size_t)rl.rlim_cur;
	CU_ASSERT_FATAL(mkdtemp(root) != NULL);
	snprintf(a, sizeof(a), "%s/system.slice", root);
	snprintf(b, sizeof(b), "%s/system.slice/mmproxyd.service", root);
	CU_ASSERT_FATAL(mkdir(a, 0700) == 0 && mkdir(b, 0700) == 0);

	/* No pids files anywhere: only RLIMIT_NPROC counts. */
	CU_ASSERT_EQUAL(budget_tasks_in_cgroup(root,
	    "/system.slice/mmproxyd.service"), nproc);
	/* The unit's TasksMax=40 with 3 tasks running. */
	put(b, "pids.max", "40\n");
	put(b, "pids.current", "3\n");
	CU_ASSERT_EQUAL(budget_tasks_in_cgroup(root,
	    "/system.slice/mmproxyd.service"), 37 < nproc ? 37 : nproc);
	/* A parent's lower limit wins; "max" means no limit there. */
	put(a, "pids.max", "20\n");
	put(a, "pids.current", "10\n");
	CU_ASSERT_EQUAL(budget_tasks_in_cgroup(root,
	    "/system.slice/mmproxyd.service"), 10);
	put(a, "pids.max", "max\n");
	CU_ASSERT_EQUAL(budget_tasks_in_cgroup(root,
	    "/system.slice/mmproxyd.service"), 37 < nproc ? 37 : nproc);
	/* Over the limit already: nothing left. Garbage is ignored. */
	put(b, "pids.current", "41\n");
	CU_ASSERT_EQUAL(budget_tasks_in_cgroup(root,
	    "/system.slice/mmproxyd.service"), 0);
	put(b, "pids.max", "forty\n");
	CU_ASSERT_EQUAL(budget_tasks_in_cgroup(root,
	    "/system.slice/mmproxyd.service"), nproc);

	snprintf(a, sizeof(a), "rm -rf %s", root);
	CU_ASSERT(system(a) == 0);
}

void
test_budget_register(void)
{
	CU_pSuite	s = test_suite_add("budget");

	test_add(s, "connections by fds set aside reserve and idle pipes",
	    test_budget_conns_by_fds_sets_aside_reserve_and_idle_pipes);
	test_add(s, "connections by tasks take two threads each",
	    test_budget_conns_by_tasks_takes_two_threads_each);
	test_add(s, "pipes get what the connections leave",
	    test_budget_pipes_get_what_the_connections_leave);
	test_add(s, "tasks take the lowest level of the cgroup tree",
	    test_budget_tasks_take_the_lowest_level_of_the_cgroup_tree);
}
