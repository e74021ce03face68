/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_tcp_fd_gauge.c -- pipes are counted against the fds in use, refused at
 * the low-water mark, shed exactly as far as the pressure asks, and never
 * over the mark however many threads race for them.
 */

#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "capacity.h"
#include "tcp_fd_gauge.h"
#include "test_suites.h"

#define TEST_GAUGE_THREADS	4
#define TEST_GAUGE_ROUNDS	20000

static void
test_tcp_fd_gauge_counts_open_fds(void)
{
	size_t	before, during, after;
	int	p[2];

	CU_ASSERT_FATAL(tcp_fd_gauge_count_open(&before) == 0);
	CU_ASSERT_FATAL(pipe(p) == 0);
	CU_ASSERT_FATAL(tcp_fd_gauge_count_open(&during) == 0);
	(void)close(p[0]);
	(void)close(p[1]);
	CU_ASSERT_FATAL(tcp_fd_gauge_count_open(&after) == 0);
	CU_ASSERT_EQUAL(during, before + 2);
	CU_ASSERT_EQUAL(after, before);
}

/* How many pipes g takes before it refuses; they stay counted. */
static size_t
take_all(struct tcp_fd_gauge *g)
{
	size_t	n = 0;

	while (tcp_fd_gauge_pipe_take(g) == 0)
		n++;
	return (n);
}

static void
test_tcp_fd_gauge_refuses_a_pipe_at_the_low_water_mark(void)
{
	struct tcp_fd_gauge	g;

	/* 200 fds, 10 open, mark 16 + 1 + 2 * 64 = 145: 22 pipes fit. */
	tcp_fd_gauge_init(&g, 200, 10, 1, 1000);
	CU_ASSERT_EQUAL(tcp_fd_gauge_low_water(&g), 145);
	CU_ASSERT_EQUAL(take_all(&g), 22);
	CU_ASSERT_EQUAL(atomic_load(&g.pipes), 22);
	CU_ASSERT_EQUAL(tcp_fd_gauge_in_use(&g), 54);
	CU_ASSERT(!tcp_fd_gauge_pressed(&g));
	/* Nothing to shed while the mark is free. */
	CU_ASSERT_EQUAL(tcp_fd_gauge_pipe_shed(&g), 0);
	tcp_fd_gauge_pipe_put(&g);
	CU_ASSERT_EQUAL(tcp_fd_gauge_pipe_take(&g), 0);
	CU_ASSERT_EQUAL(tcp_fd_gauge_pipe_take(&g), -1);
}

static void
test_tcp_fd_gauge_sheds_as_many_pipes_as_new_connections_need(void)
{
	struct tcp_fd_gauge	g;
	size_t			shed = 0;
	int			i;

	tcp_fd_gauge_init(&g, 200, 10, 1, 1000);
	CU_ASSERT_EQUAL(take_all(&g), 22);
	/* 5 connections: 64 in use, 136 free, 145 wanted. */
	for (i = 0; i < 5; i++)
		tcp_fd_gauge_conn_open(&g);
	CU_ASSERT(tcp_fd_gauge_pressed(&g));
	while (tcp_fd_gauge_pipe_shed(&g))
		shed++;
	/* 17 pipes leave 146 free. */
	CU_ASSERT_EQUAL(shed, 5);
	CU_ASSERT_EQUAL(atomic_load(&g.pipes), 17);
	CU_ASSERT(!tcp_fd_gauge_pressed(&g));
	CU_ASSERT_EQUAL(tcp_fd_gauge_pipe_take(&g), -1);
	for (i = 0; i < 5; i++)
		tcp_fd_gauge_conn_close(&g);
	CU_ASSERT_EQUAL(take_all(&g), 5);
}

static void
test_tcp_fd_gauge_mark_shrinks_near_max_conns(void)
{
	struct tcp_fd_gauge	g;
	int			i;

	/* 78 of 80 connections: mark 16 + 1 + 2 * 2 = 21; 34 fds free. */
	tcp_fd_gauge_init(&g, 200, 10, 1, 80);
	for (i = 0; i < 78; i++)
		tcp_fd_gauge_conn_open(&g);
	CU_ASSERT_EQUAL(tcp_fd_gauge_low_water(&g), 21);
	CU_ASSERT_EQUAL(take_all(&g), 6);
}

struct race {
	struct tcp_fd_gauge	*g;
	atomic_size_t		 made, most;
};

static void *
race_pipes(void *arg)
{
	struct race	*r = arg;
	size_t		 now, most;
	int		 i;

	for (i = 0; i < TEST_GAUGE_ROUNDS; i++) {
		if (tcp_fd_gauge_pipe_take(r->g) == -1)
			continue;
		now = atomic_fetch_add(&r->made, 1) + 1;
		most = atomic_load(&r->most);
		while (now > most &&
		    !atomic_compare_exchange_weak(&r->most, &most, now))
			;
		atomic_fetch_sub(&r->made, 1);
		tcp_fd_gauge_pipe_put(r->g);
	}
	return (NULL);
}

/* Threads that take and give back pipes at once never pass the mark. */
static void
test_tcp_fd_gauge_racing_takers_never_pass_the_mark(void)
{
	struct tcp_fd_gauge	g;
	struct race		r;
	pthread_t		t[TEST_GAUGE_THREADS];
	int			i;

	/* Room for exactly 2 pipes. */
	tcp_fd_gauge_init(&g, 10 + 145 + 2 * CAPACITY_FDS_PER_PIPE, 10, 1,
	    1000);
	r.g = &g;
	atomic_init(&r.made, 0);
	atomic_init(&r.most, 0);
	for (i = 0; i < TEST_GAUGE_THREADS; i++)
		CU_ASSERT_FATAL(pthread_create(&t[i], NULL, race_pipes,
		    &r) == 0);
	for (i = 0; i < TEST_GAUGE_THREADS; i++)
		pthread_join(t[i], NULL);
	CU_ASSERT(atomic_load(&r.most) >= 1);
	CU_ASSERT(atomic_load(&r.most) <= 2);
	CU_ASSERT_EQUAL(atomic_load(&g.pipes), 0);
}

void
test_tcp_fd_gauge_register(void)
{
	CU_pSuite	s = test_suite_add("tcp_fd_gauge");

	test_add(s, "counts open fds", test_tcp_fd_gauge_counts_open_fds);
	test_add(s, "refuses a pipe at the low-water mark",
	    test_tcp_fd_gauge_refuses_a_pipe_at_the_low_water_mark);
	test_add(s, "sheds as many pipes as new connections need",
	    test_tcp_fd_gauge_sheds_as_many_pipes_as_new_connections_need);
	test_add(s, "the mark shrinks near -max-conns",
	    test_tcp_fd_gauge_mark_shrinks_near_max_conns);
	test_add(s, "racing takers never pass the mark",
	    test_tcp_fd_gauge_racing_takers_never_pass_the_mark);
}
