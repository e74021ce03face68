/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * test_tcp_pool.c -- the bounded thread pool: slots, backpressure, two tasks
 * per slot, idle threads leaving, stop.
 */

#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "tcp_pool.h"
#include "test_suites.h"

static void
sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

struct acquirer {
	struct tcp_pool	*p;
	atomic_int	 done;
	int		 rc;
};

static void *
acquire_thread(void *arg)
{
	struct acquirer	*a = arg;

	a->rc = tcp_pool_conn_acquire(a->p);
	atomic_store(&a->done, 1);
	return (NULL);
}

static int
wait_flag(atomic_int *flag, int ms)
{
	for (; ms > 0 && !atomic_load(flag); ms -= 10)
		sleep_ms(10);
	return (atomic_load(flag));
}

static void
test_tcp_pool_acquire_waits_while_every_slot_is_taken(void)
{
	struct tcp_pool	p;
	struct acquirer	a = { &p, 0, -2 };
	pthread_t	t;

	CU_ASSERT_FATAL(tcp_pool_init(&p, 2, 0) == 0);
	CU_ASSERT(tcp_pool_conn_acquire(&p) == 0);
	CU_ASSERT(tcp_pool_conn_acquire(&p) == 0);
	CU_ASSERT(tcp_pool_conns(&p) == 2);
	CU_ASSERT_FATAL(pthread_create(&t, NULL, acquire_thread, &a) == 0);
	sleep_ms(100);
	CU_ASSERT(atomic_load(&a.done) == 0);
	tcp_pool_conn_release(&p);
	CU_ASSERT(wait_flag(&a.done, 5000));
	pthread_join(t, NULL);
	CU_ASSERT(a.rc == 0);
	CU_ASSERT(tcp_pool_conns(&p) == 2);
	tcp_pool_conn_release(&p);
	tcp_pool_conn_release(&p);
	CU_ASSERT(tcp_pool_conns(&p) == 0);
	tcp_pool_stop(&p);
	tcp_pool_destroy(&p);
}

static void
test_tcp_pool_stop_wakes_a_waiting_acquirer_with_an_error(void)
{
	struct tcp_pool	p;
	struct acquirer	a = { &p, 0, -2 };
	pthread_t	t;

	CU_ASSERT_FATAL(tcp_pool_init(&p, 1, 0) == 0);
	CU_ASSERT(tcp_pool_conn_acquire(&p) == 0);
	CU_ASSERT_FATAL(pthread_create(&t, NULL, acquire_thread, &a) == 0);
	sleep_ms(50);
	tcp_pool_stop(&p);
	CU_ASSERT(wait_flag(&a.done, 5000));
	pthread_join(t, NULL);
	CU_ASSERT(a.rc == -1);
	CU_ASSERT(tcp_pool_conn_acquire(&p) == -1);
	tcp_pool_conn_release(&p);
	tcp_pool_destroy(&p);
}

/*
 * Tasks that wait until want of them have started, or 5 seconds: peak is
 * how many were inside at once, timed_out how many gave up waiting (so
 * a pool that ran them one at a time would show peak 1, not just take
 * longer).
 */
struct gather {
	pthread_mutex_t	mtx;
	pthread_cond_t	cv;
	int		want, running, finished;
	int		peak, timed_out;
};

static void
gather_task(void *arg)
{
	struct gather	*g = arg;
	struct timespec	 deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 5;
	pthread_mutex_lock(&g->mtx);
	g->running++;
	if (g->running - g->finished > g->peak)
		g->peak = g->running - g->finished;
	pthread_cond_broadcast(&g->cv);
	while (g->running < g->want) {
		if (pthread_cond_timedwait(&g->cv, &g->mtx, &deadline) != 0) {
			g->timed_out++;
			break;
		}
	}
	g->finished++;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mtx);
}

static void
test_tcp_pool_runs_two_tasks_per_slot_at_the_same_time(void)
{
	struct tcp_pool	p;
	struct gather	g = { PTHREAD_MUTEX_INITIALIZER,
			    PTHREAD_COND_INITIALIZER, 6, 0, 0, 0, 0 };
	int		i;

	CU_ASSERT_FATAL(tcp_pool_init(&p, 3, 64 * 1024) == 0);
	for (i = 0; i < 6; i++)
		CU_ASSERT(tcp_pool_run(&p, gather_task, &g) == 0);
	pthread_mutex_lock(&g.mtx);
	while (g.finished < 6) {
		struct timespec	deadline;

		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 10;
		if (pthread_cond_timedwait(&g.cv, &g.mtx, &deadline) != 0)
			break;
	}
	/* All six were inside gather_task together before any left. */
	CU_ASSERT(g.finished == 6);
	CU_ASSERT(g.peak == 6);
	CU_ASSERT(g.timed_out == 0);
	pthread_mutex_unlock(&g.mtx);
	tcp_pool_stop(&p);
	tcp_pool_destroy(&p);
}

static void
test_tcp_pool_queues_a_task_at_the_cap_until_a_thread_returns(void)
{
	struct tcp_pool	p;
	struct gather	g = { PTHREAD_MUTEX_INITIALIZER,
			    PTHREAD_COND_INITIALIZER, 3, 0, 0, 0, 0 };
	size_t		threads;
	int		i;

	CU_ASSERT_FATAL(tcp_pool_init(&p, 1, 0) == 0);
	/* Two threads at most; both held until the third task is queued. */
	CU_ASSERT(tcp_pool_run(&p, gather_task, &g) == 0);
	CU_ASSERT(tcp_pool_run(&p, gather_task, &g) == 0);
	for (i = 0; i < 500; i++) {
		pthread_mutex_lock(&g.mtx);
		if (g.running == 2) {
			pthread_mutex_unlock(&g.mtx);
			break;
		}
		pthread_mutex_unlock(&g.mtx);
		sleep_ms(10);
	}
	CU_ASSERT(tcp_pool_run(&p, gather_task, &g) == 0);
	pthread_mutex_lock(&p.mtx);
	threads = p.nthreads;
	pthread_mutex_unlock(&p.mtx);
	CU_ASSERT(threads == 2);
	/* The queue holds two tasks at most: a fourth and fifth... */
	CU_ASSERT(tcp_pool_run(&p, gather_task, &g) == 0);
	errno = 0;
	CU_ASSERT(tcp_pool_run(&p, gather_task, &g) == -1);
	CU_ASSERT(errno == EAGAIN);
	pthread_mutex_lock(&g.mtx);
	g.want = 2;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mtx);
	for (i = 0; i < 500; i++) {
		pthread_mutex_lock(&g.mtx);
		if (g.finished == 4) {
			pthread_mutex_unlock(&g.mtx);
			break;
		}
		pthread_mutex_unlock(&g.mtx);
		sleep_ms(10);
	}
	/* ...and the queued ones ran on the two threads once they came back. */
	CU_ASSERT(g.finished == 4);
	CU_ASSERT(g.timed_out == 0);
	tcp_pool_stop(&p);
	tcp_pool_destroy(&p);
}

static void
count_task(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

static void
test_tcp_pool_reuses_an_idle_thread_and_lets_extra_ones_exit(void)
{
	struct tcp_pool	p;
	atomic_int	n = 0;
	int		i;
	size_t		threads;

	CU_ASSERT_FATAL(tcp_pool_init(&p, 4, 0) == 0);
	p.spare = 0;
	p.idle_seconds = 1;
	for (i = 0; i < 50; i++) {
		CU_ASSERT(tcp_pool_run(&p, count_task, &n) == 0);
		while (atomic_load(&n) <= i)
			sleep_ms(1);
	}
	pthread_mutex_lock(&p.mtx);
	threads = p.nthreads;
	pthread_mutex_unlock(&p.mtx);
	/* One task at a time: one thread serves all of them. */
	CU_ASSERT(threads <= 2);
	for (i = 0; i < 300; i++) {
		pthread_mutex_lock(&p.mtx);
		threads = p.nthreads;
		pthread_mutex_unlock(&p.mtx);
		if (threads == 0)
			break;
		sleep_ms(10);
	}
	CU_ASSERT(threads == 0);
	CU_ASSERT(atomic_load(&n) == 50);
	tcp_pool_stop(&p);
	tcp_pool_destroy(&p);
}

void
test_tcp_pool_register(void)
{
	CU_pSuite	s = test_suite_add("tcp_pool");

	test_add(s, "acquire waits while every slot is taken",
	    test_tcp_pool_acquire_waits_while_every_slot_is_taken);
	test_add(s, "stop wakes a waiting acquirer with an error",
	    test_tcp_pool_stop_wakes_a_waiting_acquirer_with_an_error);
	test_add(s, "runs two tasks per slot at the same time",
	    test_tcp_pool_runs_two_tasks_per_slot_at_the_same_time);
	test_add(s, "queues a task at the thread cap until a thread returns",
	    test_tcp_pool_queues_a_task_at_the_cap_until_a_thread_returns);
	test_add(s, "reuses an idle thread and lets extra ones exit",
	    test_tcp_pool_reuses_an_idle_thread_and_lets_extra_ones_exit);
}
