/*
 * Copyright (c) 2026 The mmproxyd authors
 * SPDX-License-Identifier: ISC (see COPYING)
 */
/*
 * pool.c -- bounded thread pool for the TCP relays.
 *
 * mtx guards every field. Tasks never wait in the queue for long: pool_run
 * queues a task when an idle thread will take it, when a new thread was
 * started for it, or at the thread cap, where a thread of a connection
 * that just gave its slot back is about to return. Threads are detached;
 * nthreads counts them so that pool_destroy can wait until the last one
 * has left.
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pool.h"

#define POOL_SPARE		4	/* idle threads kept warm */
#define POOL_IDLE_SECONDS	10	/* then a thread beyond spare exits */

int
pool_init(struct pool *p, size_t max_conns, size_t stack_size)
{
	pthread_condattr_t	ca;

	memset(p, 0, sizeof(*p));
	p->max_conns = max_conns;
	p->max_threads = 2 * max_conns;
	p->spare = POOL_SPARE;
	p->stack_size = stack_size;
	p->idle_seconds = POOL_IDLE_SECONDS;
	if ((p->queue = calloc(p->max_threads, sizeof(*p->queue))) == NULL)
		return (-1);
	pthread_mutex_init(&p->mtx, NULL);
	/* Idle timeouts must not jump with the wall clock. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->work, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&p->slot_free, NULL);
	pthread_cond_init(&p->exited, NULL);
	return (0);
}

int
pool_conn_acquire(struct pool *p)
{
	int	rc = -1;

	pthread_mutex_lock(&p->mtx);
	while (p->conns == p->max_conns && !p->stopping) {
		p->slot_waiters++;
		pthread_cond_wait(&p->slot_free, &p->mtx);
		p->slot_waiters--;
	}
	if (!p->stopping) {
		p->conns++;
		rc = 0;
	}
	pthread_mutex_unlock(&p->mtx);
	return (rc);
}

void
pool_conn_release(struct pool *p)
{
	int	wake;

	pthread_mutex_lock(&p->mtx);
	p->conns--;
	wake = p->slot_waiters > 0;
	pthread_mutex_unlock(&p->mtx);
	/* After unlocking: the woken acceptor must not block on mtx. */
	if (wake)
		pthread_cond_signal(&p->slot_free);
}

size_t
pool_conns(struct pool *p)
{
	size_t	n;

	pthread_mutex_lock(&p->mtx);
	n = p->conns;
	pthread_mutex_unlock(&p->mtx);
	return (n);
}

void
pool_threads(struct pool *p, size_t *total, size_t *idle)
{
	pthread_mutex_lock(&p->mtx);
	*total = p->nthreads;
	*idle = p->nidle;
	pthread_mutex_unlock(&p->mtx);
}

/* Wait for a task; returns 0 with *t filled, or -1 when told to exit. */
static int
pool_next(struct pool *p, struct pool_task *t)
{
	struct timespec	deadline;
	int		rc;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += p->idle_seconds;
	p->nidle++;
	while (p->len == 0) {
		if (p->stopping)
			break;
		rc = pthread_cond_timedwait(&p->work, &p->mtx, &deadline);
		if (rc == ETIMEDOUT && p->len == 0 &&
		    p->nidle > p->spare)
			break;
		if (rc == ETIMEDOUT) {
			clock_gettime(CLOCK_MONOTONIC, &deadline);
			deadline.tv_sec += p->idle_seconds;
		}
	}
	p->nidle--;
	if (p->len == 0)
		return (-1);
	*t = p->queue[p->head];
	p->head = (p->head + 1) % p->max_threads;
	p->len--;
	return (0);
}

static void *
pool_thread(void *arg)
{
	struct pool	*p = arg;
	struct pool_task t;

	pthread_mutex_lock(&p->mtx);
	while (pool_next(p, &t) == 0) {
		pthread_mutex_unlock(&p->mtx);
		t.fn(t.arg);
		pthread_mutex_lock(&p->mtx);
	}
	p->nthreads--;
	pthread_cond_broadcast(&p->exited);
	pthread_mutex_unlock(&p->mtx);
	return (NULL);
}

/* Called with mtx held. */
static int
pool_spawn(struct pool *p)
{
	pthread_attr_t	attr;
	pthread_t	t;
	int		rc;

	if ((rc = pthread_attr_init(&attr)) != 0)
		return (rc);
	if (p->stack_size != 0 &&
	    (rc = pthread_attr_setstacksize(&attr, p->stack_size)) != 0)
		goto out;
	if ((rc = pthread_attr_setdetachstate(&attr,
	    PTHREAD_CREATE_DETACHED)) != 0)
		goto out;
	if ((rc = pthread_create(&t, &attr, pool_thread, p)) == 0)
		p->nthreads++;
out:
	pthread_attr_destroy(&attr);
	return (rc);
}

int
pool_run(struct pool *p, void (*fn)(void *), void *arg)
{
	int	rc = 0, wake = 0;

	pthread_mutex_lock(&p->mtx);
	if (p->len == p->max_threads) {
		rc = EAGAIN;	/* more tasks than two per slot: a bug */
		goto out;
	}
	/*
	 * Queued tasks each already have a thread coming for them. At the
	 * thread cap the task waits in the queue: a connection gives its slot
	 * back just before its last thread returns here, so a new
	 * connection's task can arrive a moment before that thread is idle.
	 */
	if (p->nidle <= p->len && p->nthreads < p->max_threads &&
	    (rc = pool_spawn(p)) != 0)
		goto out;
	p->queue[(p->head + p->len) % p->max_threads] =
	    (struct pool_task){ fn, arg };
	p->len++;
	wake = p->nidle > 0;
out:
	pthread_mutex_unlock(&p->mtx);
	/* After unlocking: the woken thread must not block on mtx. */
	if (wake)
		pthread_cond_signal(&p->work);
	if (rc != 0)
		errno = rc;
	return (rc == 0 ? 0 : -1);
}

void
pool_stop(struct pool *p)
{
	pthread_mutex_lock(&p->mtx);
	p->stopping = 1;
	pthread_cond_broadcast(&p->slot_free);
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mtx);
}

void
pool_destroy(struct pool *p)
{
	pthread_mutex_lock(&p->mtx);
	while (p->nthreads > 0)
		pthread_cond_wait(&p->exited, &p->mtx);
	pthread_mutex_unlock(&p->mtx);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->slot_free);
	pthread_cond_destroy(&p->exited);
	pthread_mutex_destroy(&p->mtx);
	free(p->queue);
}
